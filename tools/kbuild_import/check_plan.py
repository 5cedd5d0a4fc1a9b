"""Checks a plan against Kbuild's own build of the same config (a differential test).

    check_plan.py --plan=plan.json --build_log=build.log \\
        [--kbuild_tree=linux-6.1 --ar=llvm-ar] [--log_srctree=/abs/src] [--verbose]

--build_log is the output of `make V=1` (any target that builds vmlinux) in
--kbuild_tree, with the same config and toolchain: an in-tree build (srctree =
objtree = "."), or an O= build if --log_srctree names its source tree. Checks, each
counted once:

  objects   the plan's objects are the kernel objects the log compiles (vDSO and
            scripts/ objects the plan does not link are left out);
  flags     per object and for the linker script: the plan's flags, put in in-tree
            form, equal the log's exactly, in order;
  ldflags   the log's `ld.lld ... -r -o vmlinux.o` equals the plan's vmlinux_o;
  archives  (with --kbuild_tree) `llvm-ar t` of vmlinux.a and each lib equals the
            plan's members, in order;
  deps      (with --kbuild_tree) per object, the plan's hdrs + gen_inputs +
            build_inputs equal the files fixdep recorded in the object's .cmd file;
  lto       (with --kbuild_tree) each object's file is LLVM bitcode iff the plan
            says bitcode (not for single-object LTO modules: Kbuild replaces X.o by
            the native `ld -r` output);
  modules   (schema 2, CONFIG_MODULES) the plan's modules section is consistent
            (check_modules: modules.order vs list, unique basenames, every part a
            plan object with "module" set and no archive); each M.mod.o compile, each
            module link (LD [M], the LTO single-object `ld -r`, with the tmp/mv pair
            folded), each .ko link and the modpost arguments equal the log's; with
            --kbuild_tree, mod_c's headers equal each M.mod.o's recorded deps.

--modules_only: the log is of `make V=1 modules` after the kernel was built (e.g. the
golden trees of tests/golden/regen.sh): only module objects are compared, and the
vmlinux.o link, archives and non-module deps are not checked.

In-tree form: Kbuild's out-of-tree `-I $(srctree)/$(src) -I $(objtree)/$(obj)` pair
is dropped, $(srctree) and $(objtree) become ".", path values are normalized, and a
repeated -I directory is dropped (clang ignores it; in-tree Kbuild omits the objtree
copies of -I./include etc.).

--only_dirs=a/,b/: the log is of `make V=1 a/ b/` (a sample of a kernel too large to build
whole here, e.g. arm64 defconfig on 2 cores): only the plan's objects under those
directories are compared (objects, flags, deps, lto); the vmlinux.o link, the linker
scripts outside them, archives and the module links and *.mod.o (modpost's stage) are
not checked.

Prints failures and `N passed, N failed`; exits 1 if any failed.
"""

import json
import os
import posixpath
import shlex
import subprocess
import sys

from absl import app, flags

from tools.common import lib as common
from tools.kbuild_import.in_tree import in_tree_form, split_compile_argv
from tools.kbuild_import.modules import check_modules
from tools.kbuild_import.placeholders import Roots, normalize_flags, placeholder_path, split_placeholder
from tools.kbuild_import.plan import SCHEMA

_PLAN = flags.DEFINE_string("plan", None, "The plan (JSON).", required=True)
_LOG = flags.DEFINE_string("build_log", None, "Kbuild's V=1 output of an in-tree build.", required=True)
_TREE = flags.DEFINE_string("kbuild_tree", None, "The in-tree Kbuild build the log is from.")
_AR = flags.DEFINE_string("ar", None, "llvm-ar, for --kbuild_tree's archives.")
_VERBOSE = flags.DEFINE_bool("verbose", False, "Print every check.")
_MODULES_ONLY = flags.DEFINE_bool("modules_only", False, "The log only builds modules (see the docstring).")
_ONLY_DIRS = flags.DEFINE_list("only_dirs", None,
                                "The log is of `make V=1 DIR/ ...`: compare only objects under these directories.")
_LOG_SRCTREE = flags.DEFINE_string("log_srctree", None,
                                   "For a log of an O= build (cwd --kbuild_tree): the absolute source tree it used.")

# The parts of a plan (tools/kbuild_import/plan.py, schema 2) this check reads, by type.
_PLAN_FIELDS = {"schema": int, "objects": list, "link": dict, "archives": dict}
_OBJECT_FIELDS = {"out": str, "src": str, "flags": list, "lto": str, "hdrs": list, "gen_inputs": list,
                  "build_inputs": list, "incbin": list}
_LINK_FIELDS = {"ldflags": list, "vmlinux_o": list}
_LDS_FIELDS = {"out": str, "src": str, "flags": list}
_MODULES_FIELDS = {"list": dict, "lds": dict, "mod_c": dict, "modpost": list}
_TYPE_NAMES = {int: "a number", list: "a list", dict: "an object", str: "a string"}


class PlanError(Exception):
    """The plan file cannot be read as a plan: one line naming the file."""


def _shape(where, value, fields):
    """The first problem of VALUE against FIELDS ({name: type}), or None."""
    if not isinstance(value, dict):
        return f"{where or 'the top level'} is not an object"
    for name, typ in fields.items():
        if name not in value:
            return f"{where + ': ' if where else ''}no {name!r}"
        if not isinstance(value[name], typ) or (typ is int and isinstance(value[name], bool)):
            return f"{where + '.' if where else ''}{name} is not {_TYPE_NAMES[typ]}"
    return None


def plan_problem(plan):
    """The first way PLAN (parsed JSON) is not a schema-2 plan as this check reads it, or None."""
    problem = _shape("", plan, _PLAN_FIELDS)
    if problem:
        return problem
    if plan["schema"] != SCHEMA:
        return f"schema {plan['schema']}, this check reads schema {SCHEMA}"
    for i, o in enumerate(plan["objects"]):
        problem = _shape(f"objects[{i}]", o, _OBJECT_FIELDS)
        if problem:
            return problem
    problem = _shape("link", plan["link"], _LINK_FIELDS)
    if problem:
        return problem
    if plan["link"].get("lds") is not None:
        problem = _shape("link.lds", plan["link"]["lds"], _LDS_FIELDS)
        if problem:
            return problem
    for name, a in plan["archives"].items():
        if not isinstance(a, dict) or not isinstance(a.get("members"), list):
            return f"archives[{name!r}] has no members list"
    modules = plan.get("modules")
    if modules is not None:
        problem = _shape("modules", modules, _MODULES_FIELDS) or _shape("modules.lds", modules["lds"], _LDS_FIELDS)
        if problem:
            return problem
    return None


def load_plan(path, data):
    """The plan in DATA (the bytes of PATH); PlanError unless it is a schema-2 plan."""
    hint = "give the plan.json a kbuild import wrote (external/<kernel>/plan.json)"
    if not data.strip():
        raise PlanError(f"{path}: empty, not a plan; {hint}")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise PlanError(f"{path}:{line}: not UTF-8 text, not a plan; {hint}") from None
    try:
        plan = json.loads(text)
    except json.JSONDecodeError as e:
        raise PlanError(f"{path}:{e.lineno}: not JSON ({e.msg}; truncated?); {hint}") from None
    except RecursionError:
        raise PlanError(f"{path}: JSON nested too deeply, not a plan; {hint}") from None
    problem = plan_problem(plan)
    if problem:
        raise PlanError(f"{path}: not a plan as check_plan reads it: {problem}; {hint}")
    return plan


def log_compiles(text):
    """out -> (argv) of every `clang ... -c -o X.o SRC` and `clang -E ... -o X.lds SRC`."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if "clang" not in line.split(" ", 1)[0]:
            continue
        try:
            argv = shlex.split(line.split(";")[0])
        except ValueError:
            continue
        if "-o" not in argv:
            continue
        # Kbuild names some outputs through "..": KVM's arch/arm64/kvm/hyp/nvhe/../entry.nvhe.o.
        target = posixpath.normpath(argv[argv.index("-o") + 1])
        if "-c" in argv or "-E" in argv:
            out[target] = argv
    return out


def log_links(text):
    """out -> argv of every ld.lld command in the log (each `;`-separated part of a line)."""
    out = {}
    for line in text.splitlines():
        for part in line.strip().split(";"):
            try:
                argv = shlex.split(part)
            except ValueError:
                continue
            if argv and "ld.lld" in posixpath.basename(argv[0]) and "-o" in argv[:-1]:
                out[argv[argv.index("-o") + 1]] = argv
    return out


def log_modpost(text):
    """modpost's arguments in the log (`... | scripts/mod/modpost ARGS`), or None."""
    for line in text.splitlines():
        if "scripts/mod/modpost " in line and "sed " in line:
            cmd = line.split("|", 1)[1].split(";")[0]
            return shlex.split(cmd)[1:]
    return None


def cmd_deps(path):
    """Files fixdep recorded in a .cmd file (no $(wildcard ...))."""
    deps, on = [], False
    with open(path) as f:
        for line in f:
            if line.startswith("deps_"):
                on = True
                continue
            if on:
                s = line.strip().rstrip("\\").strip()
                if not s:
                    break
                if not s.startswith("$(wildcard"):
                    deps.append(posixpath.normpath(s))
    return deps


class Checks:
    def __init__(self, verbose):
        self.passed = self.failed = 0
        self.verbose = verbose
        self.by_kind = {}

    def check(self, kind, name, ok, detail=""):
        k = self.by_kind.setdefault(kind, [0, 0])
        if ok:
            self.passed += 1
            k[0] += 1
            if self.verbose:
                print(f"PASS {kind} {name}")
        else:
            self.failed += 1
            k[1] += 1
            print(f"FAIL {kind} {name}{': ' + detail if detail else ''}")


def first_diff(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"at {i}: plan {x!r}, kbuild {y!r}"
    return f"lengths {len(a)} vs {len(b)}: plan tail {a[len(b):][:3]}, kbuild tail {b[len(a):][:3]}"


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    try:
        with open(_PLAN.value, "rb") as f:
            plan = load_plan(_PLAN.value, f.read())
        with open(_LOG.value, errors="surrogateescape") as f:
            log = f.read()
    except PlanError as e:
        sys.exit(f"check_plan: {e}")
    except OSError as e:
        sys.exit(f"check_plan: {common.os_error_message(e)}")
    checks = Checks(_VERBOSE.value)
    compiles = log_compiles(log)
    roots = None
    if _LOG_SRCTREE.value:
        if not _TREE.value:
            raise app.UsageError("--log_srctree needs --kbuild_tree (the O= directory)")
        roots = Roots(os.path.normpath(_LOG_SRCTREE.value), os.path.normpath(os.path.abspath(_TREE.value)))

    def log_form(flags_log, src_log, out):
        """The log's flags and source, in the form in_tree_form compares."""
        if roots is None:
            return in_tree_form(flags_log), posixpath.normpath(src_log)
        flags_log = normalize_flags(flags_log, roots, out)
        return in_tree_form(flags_log, out), split_placeholder(placeholder_path(src_log, roots))[1]

    def log_path(p):
        if roots is None:
            return posixpath.normpath(p)
        return split_placeholder(placeholder_path(p, roots))[1]

    # objects and flags
    kernel = {o: a for o, a in compiles.items() if o.endswith(".o") and "-D__KERNEL__" in a}
    objs = {o["out"]: o for o in plan["objects"]}
    modules = plan.get("modules")
    mod_o = {m["mod_o"]["out"]: m for m in (modules or {"list": {}})["list"].values()}
    dirs = tuple(d.rstrip("/") + "/" for d in _ONLY_DIRS.value or [])
    if dirs:
        # init/version-timestamp.o is compiled by the vmlinux link (scripts/Makefile.vmlinux),
        # which `make DIR/` does not run.
        objs = {k: v for k, v in objs.items() if k.startswith(dirs) and k != "init/version-timestamp.o"}
        kernel = {k: v for k, v in kernel.items() if k.startswith(dirs)}
        mod_o = {}
        print(f"sample: {len(objs)} plan objects under {' '.join(dirs)}")
        if not objs:
            sys.exit(f"check_plan: no plan object under {' '.join(dirs)}: nothing to compare")
    for out in sorted(mod_o):
        m = mod_o[out]
        if out not in kernel:
            checks.check("modules", out, False, "not compiled in Kbuild's log")
            continue
        want, src_log = log_form(*split_compile_argv(kernel.pop(out), "-c"), out)
        got = in_tree_form(m["mod_o"]["flags"], out)
        checks.check("modules", out, got == want and src_log == m["mod_o"]["src"],
                     first_diff(got, want) if got != want else f"source {m['mod_o']['src']} vs {src_log}")
    if _MODULES_ONLY.value:
        objs = {k: v for k, v in objs.items() if v.get("module")}
        kernel = {k: v for k, v in kernel.items() if "-DMODULE" in v}
    # Objects of the vDSO shared object, of x86's real-mode image (realmode.elf, embedded
    # by .incbin) and scripts/mod/empty.o are not linked into vmlinux (make prepare or a
    # generator builds them and the plan lists their outputs in `generated`, or the plan's
    # vdso/realmode steps do).
    image_dirs = tuple(sorted({posixpath.dirname(g) + "/" for kind in plan.get("generated", {}).values()
                               for g in kind if g.endswith((".elf", ".so"))} |
                              {posixpath.dirname(e["out"]) + "/" for name in ("vdso", "realmode")
                               for e in (plan.get(name) or {}).get("steps", []) if e["out"].endswith((".elf", ".so"))}))
    prepared = sorted(o for o in kernel if o not in objs and
                      (o.startswith("scripts/") or "/vdso/" in o or o.startswith(image_dirs)))
    if prepared:
        print(f"skipped {len(prepared)} objects not linked into vmlinux: {' '.join(prepared)}")
    for o in prepared:
        del kernel[o]
    # x86's boot image (arch/x86/boot: setup, compressed/): the plan's boot steps replay
    # Kbuild's commands; each compile must be the log's, with $(srctree) as the log has it.
    if not dirs and not _MODULES_ONLY.value:
        srctree = roots.srctree if roots else "."
        for step in plan.get("boot", {}).get("steps", []):
            out = step.get("out", "")
            if not (out.endswith(".o") and step.get("cmd", "").startswith("$(CC) ")):
                continue
            argv_log = kernel.pop(out, None) or compiles.get(out)
            got = shlex.split(step["cmd"].replace("$(srctree)", srctree))[1:]
            checks.check("boot", out, argv_log is not None and got == argv_log[1:],
                         "not compiled in Kbuild's log" if argv_log is None else first_diff(got, argv_log[1:]))
    # .vmlinux.export.o (Makefile.vmlinux, with CONFIG_MODULES): without CONFIG_MODVERSIONS
    # its source is modpost's bare `#include <linux/export-internal.h>`: no symbols, and
    # the plan has no link.export_o.
    export_c = os.path.join(_TREE.value, ".vmlinux.export.c") if _TREE.value else None
    if ".vmlinux.export.o" in kernel and not plan["link"].get("export_o") and export_c:
        with open(export_c) as f:
            text = f.read()
        checks.check("objects", ".vmlinux.export.o", text.strip() == "#include <linux/export-internal.h>",
                     f"Kbuild's {export_c} exports symbols, the plan has no link.export_o")
        del kernel[".vmlinux.export.o"]
    for out in sorted(set(kernel) | set(objs)):
        checks.check("objects", out, out in kernel and out in objs,
                     "only in the plan" if out in objs else "only in Kbuild's log")
    for out in sorted(set(kernel) & set(objs)):
        o = objs[out]
        want, src_log = log_form(*split_compile_argv(kernel[out], "-c"), out)
        got = in_tree_form(o["flags"], out)
        ok = got == want and src_log == o["src"]
        checks.check("flags", out, ok, "" if ok else (first_diff(got, want) if got != want
                                                      else f"source {o['src']} vs {src_log}"))
    ldss = [] if _MODULES_ONLY.value else [plan["link"].get("lds")]
    ldss.append(modules["lds"] if modules else None)
    if dirs:
        ldss = [lds for lds in ldss if lds and lds["out"].startswith(dirs)]
    for lds in filter(None, ldss):
        argv_log = compiles.get(lds["out"])
        if argv_log is None:
            checks.check("flags", lds["out"], False, "not in Kbuild's log")
        else:
            want, src_log = log_form(*split_compile_argv(argv_log, "-E"), lds["out"])
            got = in_tree_form(lds["flags"], lds["out"])
            checks.check("flags", lds["out"], got == want and src_log == lds["src"],
                         first_diff(got, want) if got != want else "")

    if modules and not dirs:
        problems = check_modules(modules, {o["out"]: o for o in plan["objects"]}, plan["link"]["order"])
        for p in problems:
            checks.check("modules", "consistency", False, p)
        if not problems:
            checks.check("modules", "consistency", True)
        links = log_links(log)
        for ko, m in sorted(modules["list"].items()):
            mo = m["name"] + ".o"
            log_ko = links.get(ko)
            checks.check("modules", ko, log_ko is not None and m["ko"][1:] == log_ko[1:],
                         "no .ko link in Kbuild's log" if log_ko is None else first_diff(m["ko"][1:], log_ko[1:]))
            if m["link"] is None:
                continue
            tmp = posixpath.join(posixpath.dirname(mo), ".tmp_" + posixpath.basename(mo))
            log_link = links.get(mo) or links.get(tmp)
            if log_link is None:
                checks.check("modules", mo, False, "no module link in Kbuild's log")
                continue
            want = []
            for a in log_link[1:]:
                if a == "@" + m["name"] + ".mod":
                    want.extend(m["objects"])
                else:
                    want.append(mo if a == tmp else a)
            checks.check("modules", mo, m["link"][1:] == want, first_diff(m["link"][1:], want))
        args = log_modpost(log)
        checks.check("modules", "modpost", args == modules["modpost"],
                     f"plan {modules['modpost']}, kbuild {args}")

    # the vmlinux.o link
    ld_line = next((l.strip() for l in log.splitlines() if " -r -o vmlinux.o " in l), None)
    if _MODULES_ONLY.value or dirs:
        pass
    elif ld_line is None:
        checks.check("ldflags", "vmlinux.o", False, "no `-r -o vmlinux.o` in Kbuild's log")
    else:
        argv_log = shlex.split(ld_line.split(";")[0])
        got = [t.replace("$(objtree)/", "") for t in plan["link"]["vmlinux_o"][1:]]
        checks.check("ldflags", "vmlinux.o", got == argv_log[1:], first_diff(got, argv_log[1:]))
        n = len(plan["link"]["ldflags"])
        checks.check("ldflags", "KBUILD_LDFLAGS", argv_log[1:1 + n] == plan["link"]["ldflags"],
                     f"{argv_log[1:1 + n]} vs {plan['link']['ldflags']}")

    if _TREE.value:
        tree = os.path.abspath(_TREE.value)
        if _AR.value and not _MODULES_ONLY.value and not dirs:
            for name, a in sorted(plan["archives"].items()):
                proc = subprocess.run([_AR.value, "t", os.path.join(tree, name)], capture_output=True,
                                      text=True, check=False)
                members = [os.path.relpath(m, tree) if os.path.isabs(m) else posixpath.normpath(m)
                           for m in proc.stdout.split()]
                checks.check("archives", name, proc.returncode == 0 and members == a["members"],
                             proc.stderr.strip() or first_diff(a["members"], members))
        for o in plan["objects"]:
            if _MODULES_ONLY.value and not o.get("module"):
                continue
            if o["out"] not in objs:
                continue  # outside --only_dirs
            cmd = os.path.join(tree, posixpath.dirname(o["out"]), "." + posixpath.basename(o["out"]) + ".cmd")
            if not os.path.exists(cmd):
                checks.check("deps", o["out"], False, f"no {cmd}")
                continue
            kb = {log_path(p) for p in cmd_deps(cmd)} - {o["src"]}
            ours = set(o["hdrs"]) | set(o["gen_inputs"]) | set(o["build_inputs"])
            # fixdep leaves out autoconf.h (it turns it into include/config/* deps);
            # Kbuild does not record .incbin inputs in the .cmd file.
            ours -= {"include/generated/autoconf.h", *o["incbin"]}
            kb -= {"include/generated/autoconf.h"}
            checks.check("deps", o["out"], ours == kb,
                         f"only plan: {sorted(ours - kb)[:3]}, only kbuild: {sorted(kb - ours)[:3]}")
            with open(os.path.join(tree, o["out"]), "rb") as f:
                magic = f.read(4)
            is_bc = magic == b"BC\xc0\xde"
            m = modules["list"][o["module"]] if o.get("module") else None
            if m and m["single"] and m["link"]:
                continue  # Kbuild's cmd_ld_single_m replaced X.o by the native ld -r output
            checks.check("lto", o["out"], is_bc == (o["lto"] == "bitcode"),
                         f"plan {o['lto']}, file magic {magic!r}")

        if modules and not dirs:
            # Every M.mod.o reads what the plan's mod_c lists (fixdep's record in .M.mod.o.cmd).
            ours = set(modules["mod_c"]["hdrs"]) | set(modules["mod_c"]["gen_inputs"])
            ours.discard("include/generated/autoconf.h")
            for m in modules["list"].values():
                out = m["mod_o"]["out"]
                cmd = os.path.join(tree, posixpath.dirname(out), "." + posixpath.basename(out) + ".cmd")
                if not os.path.exists(cmd):
                    checks.check("modules", out + " deps", False, f"no {cmd}")
                    continue
                kb = {log_path(p) for p in cmd_deps(cmd)} - {m["mod_o"]["src"], "include/generated/autoconf.h"}
                checks.check("modules", out + " deps", ours == kb,
                             f"only plan: {sorted(ours - kb)[:3]}, only kbuild: {sorted(kb - ours)[:3]}")

    for kind, (p, f) in sorted(checks.by_kind.items()):
        print(f"{kind}: {p} passed, {f} failed")
    print(f"{checks.passed} passed, {checks.failed} failed")
    sys.exit(1 if checks.failed else 0)


if __name__ == "__main__":
    common.run(main, "check_plan")
