"""compile_commands.json from a Kbuild import's plan: every KernelCompile, as clangd reads it.

Kbuild's scripts/clang-tools/gen_compile_commands.py reads the .cmd files a build left
behind; here the plan holds the same commands (plan.py: `$(CC) flags -c -o out src`, cwd
`$(objtree)`, paths as `$(srctree)/...`, `$(objtree)/...`, `$(CC_RESOURCE_DIR)/...`).
Each entry gets them with the placeholders replaced by real directories: the kernel source
tree (the user's LINUX_SRC tree, or @linux under the output base), the import's object
tree (generated headers) and the compiler's resource directory. Pure: no file access.
The vDSO's outputs are Bazel actions' (not in the object tree): objects that read them get
the import's own copies, kept beside the object tree in editor/.
"""

import posixpath

PLACEHOLDERS = ("$(srctree)", "$(objtree)", "$(CC_RESOURCE_DIR)")


class CompileCommandsError(Exception):
    """A plan this tool cannot turn into entries (one line)."""


def _substitute(text, roots):
    for placeholder, value in roots.items():
        text = text.replace(placeholder, value)
    return text


# Where the import keeps its own copies of the files the vDSO, realmode, CERT and generate
# actions make (those plan sections): beside obj/, so no action reads them, for editors only
# (tools/kbuild_import/run.py).
EDITOR_DIR = "editor"


def _vdso_flags(plan, out, editor):
    """-I / -Wa,-I for the vDSO/realmode/CERT outputs object `out` reads (as KernelCompile's vdso.bzl dirs),
    pointing at the import's editor copies."""
    reads = [p for name in ("vdso", "realmode", "certs") for p in (plan.get(name) or {}).get("readers", {}).get(out, [])]
    flags = []
    if any(p.endswith(".h") and p.startswith("include/") for p in reads):
        flags.append(f"-I{editor}/include")
    if any(not p.endswith(".h") for p in reads):
        flags.append(f"-Wa,-I{editor}")
    return flags


# The plan sections whose steps are actions: what they write is in editor/, not obj/.
_MADE_BY_ACTIONS = ("vdso", "realmode", "certs", "generate")


def _made(plan):
    """objtree paths the actions write (the import moved its copies to editor/)."""
    return {e["out"] for name in _MADE_BY_ACTIONS for e in (plan.get(name) or {}).get("steps", ())}


def _with_editor_dirs(flags, objtree, editor, made_dirs):
    """After each `-I <objtree>/DIR` whose DIR holds an action-made file, `-I <editor>/DIR`
    (as KernelCompile puts the actions' output directory after it: generate.bzl)."""
    out, i = [], 0
    while i < len(flags):
        f = flags[i]
        out.append(f)
        path = None
        if f == "-I" and i + 1 < len(flags):
            i += 1
            out.append(flags[i])
            path = flags[i]
        elif f.startswith("-I"):
            path = f[2:]
        if path is not None and path.startswith(objtree + "/") and path[len(objtree) + 1:].rstrip("/") in made_dirs:
            out.append(f"-I{editor}/{path[len(objtree) + 1:].rstrip('/')}")
        i += 1
    return out


def entries(plan, *, srctree, objtree, clang, resource_dir):
    """The compile_commands.json entries of a plan, sorted by output.

    Args:
      plan: the decoded plan.json (schema 1 or 2).
      srctree, objtree, resource_dir: absolute directories for the placeholders.
      clang: absolute path of the compiler (arguments[0]).

    Returns:
      A list of {"directory", "file", "arguments", "output"} dicts.
    """
    if plan.get("schema") not in (1, 2):
        raise CompileCommandsError(f"unknown plan schema {plan.get('schema')!r}; re-import with this version of rules_kernel_lto")
    roots = {"$(srctree)": srctree.rstrip("/"), "$(objtree)": objtree.rstrip("/"),
             "$(CC_RESOURCE_DIR)": resource_dir.rstrip("/")}
    out = []
    editor = f"{posixpath.dirname(roots['$(objtree)'])}/{EDITOR_DIR}"
    made = _made(plan)
    made_dirs = {posixpath.dirname(p) for p in made}
    for o in plan.get("objects", []):
        if o.get("src_root") not in ("srctree", "objtree"):
            raise CompileCommandsError(f"{o.get('out')}: unknown src_root {o.get('src_root')!r}")
        root = roots["$(srctree)"] if o["src_root"] == "srctree" else roots["$(objtree)"]
        if o["src_root"] == "objtree" and o["src"] in made:
            root = editor  # a generated source an action makes (vdso-image-64.c, capflags.c)
        src = f"{root}/{o['src']}"
        flags = [_substitute(f, roots) for f in o["flags"]]
        left = [f for f in flags if "$(" in f]
        if left:
            raise CompileCommandsError(f"{o['out']}: flag {left[0]!r} names a placeholder this tool does not know")
        if o.get("incbin"):
            flags.append("-Wa,-I" + roots["$(objtree)"])  # as KernelCompile: .incbin paths are objtree-relative
        flags = _with_editor_dirs(flags, roots["$(objtree)"], editor, made_dirs)
        flags += _vdso_flags(plan, o["out"], editor)
        out.append({
            "arguments": [clang, *flags, "-c", "-o", o["out"], src],
            "directory": roots["$(objtree)"],
            "file": src,
            "output": o["out"],
        })
    if not out:
        raise CompileCommandsError("the plan has no objects")
    return sorted(out, key=lambda e: e["output"])


def syntax_only(entry):
    """The entry's arguments with `-c -o OUT` replaced by -fsyntax-only (what the test runs)."""
    args = list(entry["arguments"])
    i = args.index("-c")
    if args[i + 1] != "-o":
        raise CompileCommandsError(f"{entry['output']}: expected `-c -o OUT` in its arguments")
    return args[:i] + ["-fsyntax-only"] + args[i + 3:]
