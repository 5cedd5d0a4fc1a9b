"""Generated sources and tables as planned steps (docs/defconfig-steps.md section 6).

The vmlinux_o dry run prints, between prepare and the compiles, Kbuild's generators: a
host program, awk script or `cat` writing one file that an object compiles or includes,
for the tiny x86_64 kernel

    GEN     lib/crc32table.h                   lib/gen_crc32table > lib/crc32table.h
    GEN     arch/x86/lib/inat-tables.c         awk -f $(srctree)/arch/x86/tools/gen-insn-attr-x86.awk
                                               $(srctree)/arch/x86/lib/x86-opcode-map.txt > ...
    CONMK   drivers/tty/vt/consolemap_deftbl.c drivers/tty/vt/conmakehash $(srctree)/.../cp437.uni > ...
    COPY    drivers/tty/vt/defkeymap.c         cat $(srctree)/drivers/tty/vt/defkeymap.c_shipped > ...
    COPY    usr/initramfs_inc_data             cat usr/initramfs_data.cpio > usr/initramfs_inc_data

The import's make still runs them once (the dependency scan reads their outputs); the
plan's `generate` section (the shape of `vdso`, tools/kbuild_import/vdso.py) records each
as Kbuild's own command in its in-tree form (`$(srctree)/` dropped: the rules stage the
source files at their tree paths, so a generator that prints its argument, conmakehash,
writes what the import's path rewriting made of Kbuild's O= output), with exactly the files
it reads: srcs (source-tree files the command names), objtree (import-made files it names that no generate step makes),
inputs (outputs of earlier generate steps), host (import-built host programs), and `also`:
the other files the command writes that no step targets (genheaders' av_permissions.h beside
flask.h, asn1_compiler's .asn1.h beside the .asn1.c), more outputs of the same action. The rules
replay each one with tools/boot_step and the pinned @kernel_boot_tools (dash, mawk as
`awk`, busybox cat/sed/sort/grep) in a directory of exactly those inputs
(rules/private/actions/generate.bzl); the outputs replace the import's files, which leave
the object tree and `generated` (so no action can read the import's copies). `kbuild`
records the sha256 of what the import's make wrote (tests/generate/kbuild_diff.sh compares
the actions' outputs with it and with a fresh Kbuild build).

A step is modelled only if every program its command runs is one the rules have pinned
(PINNED_PROGRAMS), an import-built host program, or `sh` of a script in SH_SCRIPTS (scripts
read to use only pinned programs). The others stay import-time and are listed in
`import_time` with the reason (bc, python, ...). usr/gen_initramfs.sh is one of SH_SCRIPTS: the
step gets Kbuild's KBUILD_BUILD_TIMESTAMP (`env`), so the cpio's times are the import's.
The steps of other sections' directories (the vDSO, realmode, certs) are left to them.
"""

import posixpath
import re
from typing import Callable, Iterable, Mapping, Sequence

from tools.kbuild_import import boot as boot_lib
from tools.kbuild_import.common import KbuildImportError
from tools.kbuild_import.dryrun import Step, norm_rel, shell_split
from tools.kbuild_import.placeholders import Roots, normalize_cmd

# Kbuild's quiet labels of the generators this module plans (scripts/Makefile.lib's
# cmd_copy is COPY; lib/Makefile, drivers/tty/vt/Makefile, ... use GEN, CONMK, MKCAP, ...).
# PERLASM: arm64's sha256/sha512-core.S (perl-base is pinned). Not here: FILECHK (cmp/mv of Kbuild's
# filechk; kernel/config_data, hyp_constants.h, utsversion.h) and GZIP kernel/config_data.gz
# (its reader kernel/configs.o `.incbin`s it from bitcode: not yet measured as an action).
GEN_TAGS = frozenset({"GEN", "COPY", "CONMK", "MKCAP", "UNROLL", "TABLE", "LOGO", "MKELF", "ASN.1", "PERLASM"})
# Programs of @kernel_boot_tools (toolchains/private/boot_tools_repository.bzl): awk is
# Debian's mawk, the host `awk` Kbuild's import-time make runs ($(AWK) = awk).
PINNED_PROGRAMS = frozenset({"cat", "awk", "sed", "sort", "grep", "gzip", "xz", "rm", "tr", "wc", "head", "perl"})
# dash's built-ins (bin/sh is dash).
SHELL_BUILTINS = frozenset({"echo", "printf", "test", "[", "true", "false", ":", "set", "exit", "cd"})
# `sh SCRIPT`: scripts whose every command is a shell built-in or a pinned program
# (@kernel_boot_tools: GNU date, busybox find/head/mktemp/wc for gen_initramfs.sh), with
# what Kbuild's environment gives them that changes their output.
SH_SCRIPTS = {
    # Its `date -d "$KBUILD_BUILD_TIMESTAMP"` becomes gen_init_cpio's -t (without it, every
    # entry would carry the time of the build); TMPDIR: its mktemp list in the step's own
    # directory, not the machine's /tmp.
    # It runs the host program usr/gen_init_cpio, which its command line does not name.
    "usr/gen_initramfs.sh": {"env": ("KBUILD_BUILD_TIMESTAMP",), "set": {"TMPDIR": "."}, "host": ("usr/gen_init_cpio",)},
    # sed (busybox: `s/\t/ /g` as GNU's), wc, tr, dash's printf `%.*s`.
    "arch/x86/kernel/cpu/mkcapflags.sh": {"env": (), "set": {}},
}
# Directories whose steps other sections plan (vdso.py) or other work items will.
OTHER_SECTIONS = ("arch/x86/entry/vdso/", "arch/arm64/kernel/vdso", "arch/x86/realmode/", "certs/")
_SCRIPT_REASONS: dict[str, str] = {}
_REDIRECTS = frozenset({">", "<", ">>", "{", "}"})
_SHELL_SYNTAX = frozenset({"for", "while", "until", "if", "case", "do", "done", "then", "fi", "esac", "&&", "||"})


_PLACEHOLDER_RE = re.compile(r"\$\(([A-Za-z_]+)\)")


def _programs(cmd: str) -> list[list[str]]:
    """The argv of each simple command of a normalized command (redirections and their
    files dropped; `$(srctree)`, `$(NM)`, ... kept whole)."""
    out = []
    for argv in shell_split(_PLACEHOLDER_RE.sub(r"@@PH_\1@@", cmd)):
        argv = [re.sub(r"@@PH_([A-Za-z_]+)@@", r"$(\1)", w) for w in argv]
        words, skip = [], False
        for w in argv:
            if skip:
                skip = False
                continue
            if w in ("(", ")"):  # a subshell's parentheses (net/wireless/shipped-certs.c)
                continue
            if w in _REDIRECTS:
                skip = w in (">", ">>")  # the output; `< file` is an input, kept as a word
                continue
            words.append(w)
        if words:
            out.append(words)
    return out


def unsupported(cmd: str, host: Iterable[str]) -> str | None:
    """Why a normalized command cannot run as an action (None: it can)."""
    host = set(host)
    for argv in _programs(cmd):
        prog = argv[0]
        if prog in _SHELL_SYNTAX:
            return f"uses the shell's {prog} (not analysed)"
        if not prog.startswith("$(") and "/" in prog:
            prog = posixpath.normpath(prog)  # ./scripts/asn1_compiler
        if prog in PINNED_PROGRAMS or prog in SHELL_BUILTINS or prog in host:
            continue
        if prog.startswith("$(") and prog.endswith(")") and prog != "$(srctree)":
            continue  # $(NM), $(OBJCOPY), ...: the toolchain's (boot_step --tool)
        if prog in ("sh", "$(CONFIG_SHELL)") and len(argv) > 1 and argv[1].startswith("$(srctree)/"):
            script = argv[1][len("$(srctree)/"):]
            if script in SH_SCRIPTS:
                continue
            return _SCRIPT_REASONS.get(script, f"runs sh {script}, whose programs are not checked against the pins")
        return f"runs {prog}, which @kernel_boot_tools does not pin"
    return None


def select(build_steps: Sequence[Step], host: Iterable[str], tools: Mapping[str, str],
           roots: Roots) -> tuple[list[Step], list[dict]]:
    """(the generators planned as actions, in order; [{tag, out, reason}] of those left
    import-time). Steps of other tags or of OTHER_SECTIONS' directories are neither."""
    host = set(host)
    kept, left = [], []
    seen = set()
    for s in build_steps:
        if s.tag not in GEN_TAGS:
            continue
        out = norm_rel(s.target)
        if out.startswith(OTHER_SECTIONS) or out in seen:
            continue
        seen.add(out)
        why = unsupported(normalize_cmd(s.cmd, tools, roots), host)
        if why:
            left.append({"tag": s.tag, "out": out, "reason": why})
        else:
            kept.append(s)
    # A step reading what a step left import-time made reads the import's file (objtree).
    return kept, left


def readers(section_steps: Sequence[Mapping], objects: Sequence[Mapping]) -> dict[str, list[str]]:
    """Plan object -> the generate outputs it reads (source, generated header, build input,
    .incbin): the rules add search directories for them."""
    made = {p for e in section_steps for p in [e["out"]] + e.get("also", [])}
    out = {}
    for o in objects:
        files = ([o["src"]] if o["src_root"] == "objtree" else []) + list(o.get("gen_inputs", ())) + \
            list(o.get("build_inputs", ())) + list(o.get("incbin", ()))
        got = sorted({p for p in files if p in made})
        if got:
            out[o["out"]] = got
    return out


def _scripts(cmd: str) -> list[tuple[str, Mapping]]:
    out = []
    for argv in _programs(cmd):
        if argv[0] in ("sh", "$(CONFIG_SHELL)") and len(argv) > 1 and argv[1].startswith("$(srctree)/"):
            info = SH_SCRIPTS.get(argv[1][len("$(srctree)/"):])
            if info:
                out.append((argv[1], info))
    return out


def step_env(cmd: str, build_env: Mapping[str, str]) -> dict[str, str]:
    """What Kbuild's environment gives the SH_SCRIPTS a normalized command runs."""
    env = {}
    for script, info in _scripts(cmd):
        for name in info["env"]:
            if name not in build_env:
                raise KbuildImportError(f"{script}: reads ${name}, which the import does not set")
            env[name] = build_env[name]
        env.update(info["set"])
    return env


def script_hosts(cmd: str, host: Iterable[str]) -> list[str]:
    """The host programs the SH_SCRIPTS a normalized command runs use (not on its command line)."""
    host = set(host)
    out = []
    for script, info in _scripts(cmd):
        for p in info.get("host", ()):
            if p not in host:
                raise KbuildImportError(f"{script}: runs {p}, which the import did not build")
            out.append(p)
    return out


def generate_plan(steps: Sequence[Step], *, host: Sequence[str], tools: Mapping[str, str], roots: Roots,
                  is_src_file: Callable[[str], bool], files: Iterable[str], objects: Sequence[Mapping],
                  kbuild: Mapping[str, str], import_time: Sequence[Mapping] = (),
                  build_env: Mapping[str, str] = {}, also: Mapping[str, Sequence[str]] = {}) -> dict:
    """The plan's `generate` section (see the module docstring). host: the import's host
    programs; files: every file the import's make wrote (objtree inputs); objects: the
    plan's objects; kbuild: objtree path -> sha256 of the import's copy of each output;
    also: a step's target -> the other files its command writes (extra_outputs)."""
    files = set(files)
    entries, made = [], []
    for s in steps:
        out = norm_rel(s.target)
        more = list(also.get(out, ()))
        e = boot_lib.step_inputs(s, made, host, roots, is_src_file)
        # Words naming import-made files no generate step makes (a step left import-time).
        objtree = []
        for argv in _programs(normalize_cmd(s.cmd, tools, roots)):
            for w in argv[1:]:
                if w.startswith("-") or w.startswith("$(") or posixpath.isabs(w):
                    continue
                try:
                    p = norm_rel(w)
                except KbuildImportError:
                    continue
                if p != out and p not in more and p in files and p not in made and p not in e["host"] \
                        and p not in objtree:
                    objtree.append(p)
        for p in [out] + more:
            if p not in kbuild:
                raise KbuildImportError(f"{s.tag} {p}: a generate step's output the import's make did not write")
        # As Kbuild's in-tree build runs it: source files at their tree paths beside the
        # object-tree files (conmakehash writes its argument into consolemap_deftbl.c; the
        # import's path rewriting gives its copy the same in-tree form).
        clash = [p for p in e["srcs"] if p in files or p == out or p in more or p in e["host"]]
        if clash:
            raise KbuildImportError(f"{s.tag} {out}: source file {clash[0]} has the path of an object-tree file; "
                                    "the step cannot run in-tree")
        env = step_env(normalize_cmd(s.cmd, tools, roots), build_env)
        e["host"] += [p for p in script_hosts(normalize_cmd(s.cmd, tools, roots), host) if p not in e["host"]]
        cmd = normalize_cmd(s.cmd, tools, roots).replace("$(srctree)/", "")
        entries.append({"tag": s.tag, "out": out, "cmd": cmd, "srcs": e["srcs"],
                        "objtree": sorted(objtree), "inputs": e["inputs"], "host": e["host"],
                        **({"also": more} if more else {}), **({"env": env} if env else {})})
        made += [out] + more
    rd = readers(entries, objects)
    read = sorted({p for ps in rd.values() for p in ps})
    return {"steps": entries, "outputs": read, "readers": rd,
            "dirs": sorted({posixpath.dirname(e["out"]) for e in entries}),
            "kbuild": {p: kbuild[p] for e in entries for p in [e["out"]] + e.get("also", [])},
            "import_time": list(import_time)}


def extra_outputs(s: Step, tools: Mapping[str, str], roots: Roots, listed: Iterable[str],
                  known: Iterable[str]) -> list[str]:
    """Import-made files a step's command names that existed before no step: files no build
    step targets and `make prepare` did not make, i.e. what this step writes besides its
    target (genheaders' av_permissions.h, asn1_compiler's .asn1.h)."""
    listed, known = set(listed), set(known)
    out = norm_rel(s.target)
    extra = []
    for argv in _programs(normalize_cmd(s.cmd, tools, roots)):
        for w in argv[1:]:
            if w.startswith("-") or w.startswith("$(") or posixpath.isabs(w):
                continue
            try:
                p = norm_rel(w)
            except KbuildImportError:
                continue
            if p != out and p in listed and p not in known and p not in extra:
                extra.append(p)
    return extra


UNREAD = "no plan object reads it (only the import's own builds, e.g. modpost's elfconfig.h)"


def _listed_out(s: Step, listed: Mapping) -> bool:
    try:
        return norm_rel(s.target) in listed
    except KbuildImportError:
        return False


def read_steps(steps: Sequence[Step], objects: Sequence[Mapping],
               also: Mapping[str, Sequence[str]] = {}) -> tuple[list[Step], list[Step]]:
    """(the steps whose output (target or `also` file) a plan object or a later such step
    reads, in order; the others: they feed only what the import builds itself, such as host
    programs)."""
    wanted = set()
    for o in objects:
        wanted.update(([o["src"]] if o["src_root"] == "objtree" else []) + list(o.get("gen_inputs", ())) +
                      list(o.get("build_inputs", ())) + list(o.get("incbin", ())))
    kept, unread = [], []
    for s in reversed(steps):
        out = norm_rel(s.target)
        if out in wanted or wanted.intersection(also.get(out, ())):
            kept.append(s)
            for argv in shell_split(s.cmd):
                for w in argv:
                    try:
                        wanted.add(norm_rel(w))
                    except KbuildImportError:
                        pass
        else:
            unread.append(s)
    return kept[::-1], unread[::-1]


def made_files(section: Mapping | None) -> list[str]:
    """Every file the section's steps write (removed from the import's object tree)."""
    return sorted(p for e in (section or {}).get("steps", ()) for p in [e["out"]] + e.get("also", []))


def apply(plan: dict, build_steps: Sequence[Step], *, host: Sequence[str], tools: Mapping[str, str], roots: Roots,
          is_src_file: Callable[[str], bool], build_env: Mapping[str, str] = {}) -> dict | None:
    """Adds the `generate` section to plan (None if no step is modelled) and drops its
    outputs from generated and build_steps. The outputs' import-made sha256 is the
    `generated` listing's (after the import's path rewriting)."""
    listed = {**plan["generated"]["prepare"], **plan["generated"]["build"]}
    # Only steps whose output the listing has (the import made it; not its own Makefile).
    steps, left = select([s for s in build_steps if _listed_out(s, listed)], host, tools, roots)
    # A step that also writes files no step targets (genheaders' av_permissions.h,
    # asn1_compiler's .asn1.h) declares them as more outputs of its action (`also`).
    known = set(plan["generated"]["prepare"]) | set(host) | {norm_rel(s.target) for s in build_steps
                                                            if _listed_out(s, listed)}
    also = {}
    for s in steps:
        extra = extra_outputs(s, tools, roots, listed, known)
        if extra:
            also[norm_rel(s.target)] = extra
    claimed = {}
    for out, extra in also.items():
        for p in extra:
            if p in claimed:
                raise KbuildImportError(f"{p}: written by two generate steps ({claimed[p]}, {out})")
            claimed[p] = out
    steps, unread = read_steps(steps, plan["objects"], also)
    left += [{"tag": s.tag, "out": norm_rel(s.target), "reason": UNREAD} for s in unread]
    if not steps:
        return None
    kbuild = {p: v["sha256"] for p, v in listed.items()}
    section = generate_plan(steps, host=host, tools=tools, roots=roots, is_src_file=is_src_file, files=listed,
                            objects=plan["objects"], kbuild=kbuild, import_time=left, build_env=build_env,
                            also=also)
    made = set(made_files(section))
    for group in ("prepare", "build"):
        plan["generated"][group] = {k: v for k, v in plan["generated"][group].items() if k not in made}
    plan["build_steps"] = [s for s in plan["build_steps"] if norm_rel(s["target"]) not in made]
    plan["generate"] = section
    return section
