"""The side-effecting half of the Kbuild import: running make and the compiler.

Every tool is an explicit path; make runs with a fixed, minimal environment (PATH
from --path, LC_ALL=C, TZ=UTC and fixed KBUILD_BUILD_* values), in the object
tree, as `make -C OBJTREE -f SRC/Makefile -f HELPER O=OBJTREE ARCH=... LLVM=1
CC=... LD=...`, the documented way to build outside the source tree (Kbuild then
never writes to SRC). HELPER is helper_makefile()'s text, written in OBJTREE.
"""

import concurrent.futures
import dataclasses
import functools
import hashlib
import json
import os
import pickle
import posixpath
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from typing import Callable, Iterable, Mapping, Sequence

from tools.kbuild_import import boot as boot_lib
from tools.kbuild_import import certs as certs_lib
from tools.kbuild_import import fragments as fragments_lib
from tools.kbuild_import import paths
from tools.kbuild_import import generate as generate_lib
from tools.kbuild_import import realmode as realmode_lib
from tools.kbuild_import import scan_cache
from tools.kbuild_import import vdso as vdso_lib
from tools.kbuild_import.analysis import MODULE_LDS, analyze, modules_order
from tools.kbuild_import.common import (
    DRY_RUN_GOALS, DRY_RUN_GOALS_MODULES, HELPER_GEN, HELPER_MODFINAL, HELPER_VARS,
    HELPER_EXPORT, KbuildConfigError, KbuildImportError, RESOURCE_DIR, SRCTREE, TOOL_VARS,
)
from tools.kbuild_import.config import LTO_CHOICE, LTO_FRAGMENT, lto_mode, parse_config
from tools.kbuild_import.deps import classify_deps, find_incbins, missing_sources, parse_make_deps, scan_deps_result
from tools.kbuild_import.dryrun import Archive, Compile, Step, cmd_mismatches, norm_rel, parse_cmd_file, parse_dry_run
from tools.kbuild_import.makefile import helper_makefile, ko_helper_makefile, parse_vars
from tools.kbuild_import.modules import (
    EXTMOD_DIR, EXTMOD_FILES, EXTMOD_MARK, EXTMOD_ORDER, EXTMOD_STAND_INS, MOD_C_HEADER,
    MOD_C_PROBE, MOD_C_PROBE_OUT, extmod_plan, parse_modfinal, unsupported_module_config,
)
from tools.kbuild_import.partial import generated_sources, host_targets
from tools.kbuild_import.placeholders import Roots, placeholder_path, split_placeholder
from tools.kbuild_import.symversions import (
    EXPORT_C, EXPORT_C_STAND_IN, EXPORT_O, SYMVERSIONS_ASM_HEADER, SYMVERSIONS_ASM_PROBE, parse_export_o,
    symversions_asm_probe,
)
from tools.kbuild_import.plan import build_plan, dump_plan, file_kind, gen_targets, listed_file, unlinked_archives
from tools.plan_check import lib as plan_check

HELPER_NAME = ".kbuild_import.mk"
KO_HELPER_NAME = ".kbuild_import_ko.mk"


@dataclasses.dataclass(frozen=True)
class Options:
    """How to run Kbuild.

    Attributes:
      src: absolute kernel source tree (read only).
      objtree: absolute object tree (created by the import).
      arch: ARCH.
      tools: {"clang": path, "ld": ..., ...} (TOOL_VARS keys), absolute paths.
      make: path of GNU make.
      path: PATH for make's recipes (sh, sed, awk, flex, bison, perl, bc, ...).
      jobs: parallel jobs for make and for the dependency scan.
      build_env: KBUILD_BUILD_TIMESTAMP/USER/HOST/VERSION values.
      clang_scan_deps: path of clang-scan-deps, or None to run `clang -M` per object.
      scan_cache: directory of clang-scan-deps results kept across imports (scan_cache.py),
        or None.
    """

    src: str
    objtree: str
    arch: str
    tools: Mapping[str, str]
    make: str
    path: str
    jobs: int
    build_env: Mapping[str, str]
    clang_scan_deps: str | None = None
    prefix_map: paths.PrefixMap = paths.PrefixMap(())
    scan_cache: str | None = None


def with_symlinked_src(src: str, prefix_map: paths.PrefixMap) -> paths.PrefixMap:
    """prefix_map plus the trees behind src's top-level symlinks (LINUX_SRC: @linux links
    each entry of the user's tree), mapped to src's own mapped form: tools/ builds (objtool)
    resolve srctree with realpath, and would put the user's path in their debug info."""
    mapped = src.rstrip("/") + "/"
    for old, new in prefix_map.pairs:
        if mapped.startswith(old):
            mapped = new + mapped[len(old):]
            break
    reals = set()
    for name in os.listdir(src):
        full = os.path.join(src, name)
        if os.path.islink(full):
            real = os.path.dirname(os.path.realpath(full)).rstrip("/") + "/"
            if real != src.rstrip("/") + "/" and real != "/":
                reals.add(real)
    return paths.PrefixMap(prefix_map.pairs + tuple((r, mapped) for r in sorted(reals)))


def env(opts: Options) -> dict[str, str]:
    e = {"PATH": opts.path, "LC_ALL": "C", "TZ": "UTC", "HOME": opts.objtree}
    e.update(opts.build_env)
    return e


def make_argv(opts: Options, goals: Sequence[str], *, dry_run: bool = False, jobs: int | None = None) -> list[str]:
    argv = [opts.make, "-C", opts.objtree, "-f", os.path.join(opts.src, "Makefile"),
            "-f", os.path.join(opts.objtree, HELPER_NAME), f"O={opts.objtree}",
            f"ARCH={opts.arch}", "LLVM=1"]
    for flag, var in TOOL_VARS:
        value = opts.tools.get(flag)
        if value:
            argv.append(f"{var}={value}")
    if "clangxx" not in opts.tools or not opts.tools.get("clangxx"):
        argv.append("HOSTCXX=false")  # no C++ host programs in this build: fail loudly if any
    # Host programs are linked statically against the pinned sysroot: objtool's libelf (and
    # its zlib/zstd) come from the sysroot, not from whatever the executing host has, and
    # no host pkg-config is consulted.
    argv += ["HOSTPKG_CONFIG=false", "HOSTLDFLAGS=-static -lz -lzstd"]
    if dry_run:
        argv.append("-n")
    elif jobs and jobs > 1:
        argv.append(f"-j{jobs}")
    argv.extend(goals)
    return argv


def write_helper(opts: Options, targets=(), ko_helper: str | None = None, gen_after_prepare: bool = False) -> None:
    with open(os.path.join(opts.objtree, HELPER_NAME), "w") as f:
        f.write(helper_makefile(targets, ko_helper, gen_after_prepare=gen_after_prepare))


def run_make(opts: Options, goals: Sequence[str], *, dry_run: bool = False, what: str = "") -> str:
    """Runs make; returns its stdout. Raises KbuildImportError with make's last error lines."""
    argv = make_argv(opts, goals, dry_run=dry_run, jobs=None if dry_run else opts.jobs)
    proc = subprocess.run(argv, cwd=opts.objtree, env=env(opts), capture_output=True, text=True,
                          errors="surrogateescape", check=False)
    if proc.returncode != 0:
        err = [l for l in proc.stderr.splitlines() if l.strip()][-3:]
        raise KbuildImportError(f"make {what or ' '.join(goals)} failed (exit {proc.returncode}): "
                                    + " | ".join(err))
    return proc.stdout


def check_dirs(src: str, objtree: str) -> None:
    if not os.path.isfile(os.path.join(src, "Makefile")) or not os.path.isdir(os.path.join(src, "scripts")):
        raise KbuildImportError(f"{src}: not a kernel source tree")
    rs, ro = os.path.realpath(src), os.path.realpath(objtree)
    if ro == rs or ro.startswith(rs + "/"):
        raise KbuildImportError(f"{objtree}: the object tree must be outside the source tree")
    if os.path.exists(os.path.join(src, ".config")) or os.path.isdir(os.path.join(src, "include/config")):
        raise KbuildImportError(f"{src}: the source tree is configured (run make mrproper on a copy)")
    if os.path.exists(objtree) and os.listdir(objtree):
        raise KbuildImportError(f"{objtree}: the object tree must be absent or empty")


def configure(opts: Options, *, config_text: str | None, defconfig_target: str | None,
              fragments: Sequence[tuple[str, str]], lto: str | None) -> str:
    """Writes OBJTREE/.config: a full config or a *config target, then the fragments and
    the LTO choice appended and `olddefconfig`. Returns the final .config text."""
    # Every fragment line must be one Kconfig reads, before any make step runs.
    if config_text is not None:
        fragments_lib.parse_fragment("--config", config_text)
    wanted = fragments_lib.effective(fragments)
    if lto:  # --lto is applied last and wins over the fragments' LTO choice
        wanted = {sym: w for sym, w in wanted.items() if sym not in LTO_CHOICE}
        wanted.update(fragments_lib.effective([(f"--lto={lto}", LTO_FRAGMENT[lto])]))
    os.makedirs(opts.objtree, exist_ok=True)
    write_helper(opts)
    dotconfig = os.path.join(opts.objtree, ".config")
    if config_text is not None:
        with open(dotconfig, "w") as f:
            f.write(config_text)
    else:
        run_make(opts, [defconfig_target])
    extra = list(fragments)
    if lto:
        extra.append((f"--lto={lto}", LTO_FRAGMENT[lto]))
    if extra or config_text is not None:
        with open(dotconfig, "a") as f:
            for _, text in extra:
                f.write(text if text.endswith("\n") else text + "\n")
        run_make(opts, ["olddefconfig"])
    with open(dotconfig) as f:
        final = f.read()
    config = parse_config(final)
    absent = [sym for sym in wanted if sym not in config]
    problems = fragments_lib.unmet(wanted, config, kconfig_declared(opts.src) if absent else None)
    if lto:
        if lto_mode(config) != lto:
            problems.append(f"--lto={lto}: the .config has LTO mode {lto_mode(config)}")
    if problems:
        raise KbuildConfigError(problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    return final


def kconfig_declared(src: str) -> set[str]:
    """The CONFIG_ symbols the tree's Kconfig* files declare (read only to explain an error)."""
    texts = []
    for dirpath, dirnames, filenames in os.walk(src, followlinks=True):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        texts += [read_text(os.path.join(dirpath, f)) for f in filenames if f.startswith("Kconfig")]
    return fragments_lib.kconfig_symbols(texts)


def prepare(opts: Options) -> dict[str, str]:
    """`make prepare` (and the helper's variable dump). Returns the make variables."""
    out = run_make(opts, ["prepare", HELPER_VARS])
    return parse_vars(out)


def _with_stand_ins(opts: Options, files: Mapping[str, str], fn: Callable[[], str]) -> str:
    """Runs fn with the objtree-relative files (path -> text) present; removes them after."""
    made = []
    try:
        for p, text in files.items():
            full = os.path.join(opts.objtree, p)
            if os.path.exists(full):
                raise KbuildImportError(f"{p}: already in the object tree")
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "w") as f:
                f.write(text)
            made.append(full)
        return fn()
    finally:
        for full in made:
            os.unlink(full)


def dry_run(opts: Options, placeholders: Sequence[str], *, modules: bool = False) -> str:
    """`make -n vmlinux_o kbuild-import-link`, with empty stand-ins for the archives
    Makefile.vmlinux_o insists exist (removed again). Returns make's stdout. With
    modules: KBUILD_MODULES=1 and modules_prepare too (DRY_RUN_GOALS_MODULES)."""
    goals = ["KBUILD_MODULES=1", *DRY_RUN_GOALS_MODULES] if modules else list(DRY_RUN_GOALS)
    return _with_stand_ins(opts, {p: "" for p in placeholders},
                           lambda: run_make(opts, goals, dry_run=True, what="-n vmlinux_o"))


def _modfinal_make(opts: Options, files: Mapping[str, str], goals: Sequence[str], what: str) -> str:
    ko_helper = os.path.join(opts.objtree, KO_HELPER_NAME)
    with open(ko_helper, "w") as f:
        f.write(ko_helper_makefile())
    write_helper(opts, ko_helper=ko_helper)
    try:
        return _with_stand_ins(opts, files, lambda: run_make(opts, goals, dry_run=True, what=what))
    finally:
        write_helper(opts)
        os.unlink(ko_helper)


def export_o_dry_run(opts: Options) -> str:
    """`make -n kbuild-import-export` with a stand-in .vmlinux.export.c (removed after):
    Makefile.vmlinux's compile of .vmlinux.export.o (CONFIG_MODVERSIONS)."""
    return _with_stand_ins(opts, {EXPORT_C: EXPORT_C_STAND_IN},
                           lambda: run_make(opts, [HELPER_EXPORT], dry_run=True, what="-n .vmlinux.export.o"))


def extmod_dry_runs(opts: Options) -> tuple[str, str, str]:
    """The out-of-tree probe (EXTMOD_FILES in OBJTREE/lib.EXTMOD_DIR, removed after):
    pass 1 `make -n M=DIR DIR` (its compiles, .mod and LD [M]), pass 2 as for in-tree
    modules with M=DIR (stand-ins: DIR's modules.order, M.o and M.mod.c; Module.symvers
    and scripts/module.lds as a kernel build has them). Returns (pass 1, pass 2, DIR)."""
    probe = os.path.join(opts.objtree, EXTMOD_DIR)
    if os.path.exists(probe):
        raise KbuildImportError(f"{EXTMOD_DIR}: already in the object tree")
    os.makedirs(probe)
    try:
        for name, text in EXTMOD_FILES.items():
            with open(os.path.join(probe, name), "w") as f:
                f.write(text)
        text1 = run_make(opts, [f"M={probe}", probe], dry_run=True, what="-n M=<probe module>")
        files = {"Module.symvers": "", MODULE_LDS: ""}
        for name in EXTMOD_STAND_INS:
            files[os.path.join(EXTMOD_DIR, name)] = ""
        files[os.path.join(EXTMOD_DIR, "modules.order")] = "".join(
            ko.replace(EXTMOD_MARK, probe) + "\n" for ko in EXTMOD_ORDER)
        text2 = _modfinal_make(opts, files, [f"M={probe}", HELPER_MODFINAL],
                               "-n M=<probe module> Makefile.modpost/Makefile.modfinal")
        return text1, text2, probe
    finally:
        shutil.rmtree(probe)


def modfinal_dry_run(opts: Options, order: Sequence[str], archives: Sequence[str] = ()) -> str:
    """Pass 2 (docs/modules-design.md 1.8): what `make modules` runs after modules_check,
    under `make -n`: Makefile.modpost and Makefile.modfinal, the latter with the .ko
    recipe replaced by one that prints it. Stand-ins (removed after): modules.order (pass
    1's), empty M.o, M.mod.c, vmlinux.o (so modpost reads it, as in a full build) and
    scripts/module.lds; with CONFIG_MODVERSIONS also the archives (vmlinux.a and
    KBUILD_VMLINUX_LIBS), which .vmlinux.objs lists. Returns make's stdout."""
    files = {"modules.order": "".join(ko + "\n" for ko in order), "vmlinux.o": ""}
    files.update({a: "" for a in archives})
    for ko in order:
        files[ko[:-len(".ko")] + ".o"] = ""
        files[ko[:-len(".ko")] + ".mod.c"] = ""
    files[MODULE_LDS] = ""
    return _modfinal_make(opts, files, [HELPER_MODFINAL], "-n Makefile.modpost/Makefile.modfinal")


def boot_dry_run(opts: Options, goal: tuple[str, Sequence[str]], files: Mapping[str, str]) -> str:
    """The boot image's dry run (boot.py): `$(MAKE) $(build)=OBJ TARGET` under make -n, with
    stand-ins (vmlinux) present. Returns make's stdout."""
    write_helper(opts, [goal])
    try:
        return _with_stand_ins(opts, files, lambda: run_make(opts, [HELPER_GEN], dry_run=True,
                                                             what=f"-n {' '.join(goal[1])}"))
    finally:
        write_helper(opts)


def vdso_dry_run(opts: Options, goals: Sequence[tuple[str, Sequence[str]]], files: Sequence[str]) -> list[Step]:
    """The steps of the vDSO `make prepare` made (arm64 vdso_prepare's sub-makes, vdso.py:
    vdso/, and vdso32/ with CONFIG_COMPAT_VDSO): a dry run of their goals with their files
    moved aside (restored after). Each step's command must be the one prepare ran (its .cmd file):
    the goals run after `prepare` (gen_after_prepare), as vdso_prepare does after arm64's
    stack_protector_prepare has added `-mstack-protector-guard=sysreg ...` to KBUILD_CFLAGS
    (CONFIG_STACKPROTECTOR_PER_TASK, arm64 defconfig). prepare's own vdso_prepare then prints
    the same steps first (its files are aside too); select keeps each output's first step."""
    aside = tempfile.mkdtemp(prefix=".kbuild_import_vdso.", dir=opts.objtree)
    try:
        for rel in files:
            os.makedirs(os.path.dirname(os.path.join(aside, rel)), exist_ok=True)
            os.rename(os.path.join(opts.objtree, rel), os.path.join(aside, rel))
        write_helper(opts, goals, gen_after_prepare=True)
        try:
            text = run_make(opts, [HELPER_GEN], dry_run=True, what=f"-n {' '.join(t for _, g in goals for t in g)}")
        finally:
            write_helper(opts)
    finally:
        for rel in files:
            if os.path.exists(os.path.join(aside, rel)):
                os.replace(os.path.join(aside, rel), os.path.join(opts.objtree, rel))
        shutil.rmtree(aside)
    steps = parse_dry_run(text)
    cmds = [posixpath.join(posixpath.dirname(rel), "." + posixpath.basename(rel) + ".cmd") for rel in files]
    check_generated_cmds(opts, steps, [c for c in cmds if os.path.isfile(os.path.join(opts.objtree, c))])
    return steps


def generate(opts: Options, targets: Sequence[tuple[str, Sequence[str]]]) -> None:
    """Runs the build-time generators (a real make of just those targets)."""
    if not targets:
        return
    write_helper(opts, targets, gen_after_prepare=True)  # prepare's KBUILD_CFLAGS additions, as in the dry run
    try:
        run_make(opts, [HELPER_GEN])
    finally:
        write_helper(opts)


def check_generated_cmds(opts: Options, steps: Sequence[Step], built: Iterable[str]) -> None:
    """Fails if a command `generate`'s real make ran (a .cmd file it wrote) is not the dry
    run's command for that target: its outputs would not be what Kbuild builds."""
    made = {}
    for rel in built:
        if posixpath.basename(rel).startswith(".") and rel.endswith(".cmd"):
            parsed = parse_cmd_file(read_text(os.path.join(opts.objtree, rel)))
            if parsed is not None:
                made[parsed[0]] = parsed[1]
    problems = cmd_mismatches(steps, made)
    if problems:
        raise KbuildImportError(f"{problems[0]} ({len(problems)} such)")


def walk(objtree: str) -> dict[str, bool]:
    """Every regular file under objtree -> is it executable. Symlinks are skipped."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(objtree):
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
        for name in filenames:
            full = os.path.join(dirpath, name)
            st = os.lstat(full)
            if stat.S_ISREG(st.st_mode):
                out[os.path.relpath(full, objtree)] = bool(st.st_mode & stat.S_IXUSR)
    return out


def listing(objtree: str, files: Mapping[str, bool]) -> dict[str, dict[str, str]]:
    """The plan's generated-file entries for `files` (those listed_file keeps)."""
    out = {}
    for rel, exe in sorted(files.items()):
        if not listed_file(rel):
            continue
        h = hashlib.sha256()
        with open(os.path.join(objtree, rel), "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        out[rel] = {"sha256": h.hexdigest(), "kind": file_kind(rel, exe)}
    return out


def _trees(opts: Options) -> list[str]:
    return [opts.src, opts.objtree]


def relativize_tree(opts: Options, rels: Sequence[str]) -> None:
    """Rewrites listed generated text files to Kbuild's in-tree path form (paths.relativize)."""
    for rel in rels:
        if not listed_file(rel) or not rel.endswith(paths.TEXT_SUFFIXES):
            continue
        full = os.path.join(opts.objtree, rel)
        with open(full, "rb") as f:
            data = f.read()
        new = paths.relativize(data, _trees(opts), opts.prefix_map)
        if new != data:
            with open(full, "wb") as f:
                f.write(new)


def check_path_free(opts: Options, rels: Sequence[str], plan_text: str) -> None:
    """Fails naming the first listed file (or the plan) that contains an absolute path of
    this machine: the trees or a --prefix_map directory."""
    files = {"plan.json": plan_text.encode()}
    for rel in rels:
        if listed_file(rel):
            with open(os.path.join(opts.objtree, rel), "rb") as f:
                files[rel] = f.read()
    hit = paths.find_absolute(files, paths.forbidden(_trees(opts), opts.prefix_map))
    if hit:
        raise KbuildImportError(paths.error_line(hit))


def resource_dir(clang: str) -> str:
    proc = subprocess.run([clang, "-print-resource-dir"], capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise KbuildImportError(f"{clang} -print-resource-dir failed: {proc.stderr.strip()}")
    return os.path.normpath(proc.stdout.strip())


def _clang_m(opts: Options, c: Compile) -> list[str]:
    # -C/-CC (keep comments: the vDSO's linker script) are refused with -M and change no dependency.
    argv = [opts.tools["clang"], *[f for f in c.flags if f not in ("-C", "-CC")], "-M", "-MT", c.out, c.src]
    proc = subprocess.run(argv, cwd=opts.objtree, env=env(opts), capture_output=True, text=True,
                          errors="surrogateescape", check=False)
    if proc.returncode != 0:
        err = [l for l in proc.stderr.splitlines() if "error" in l][:1] or proc.stderr.splitlines()[-1:]
        raise KbuildImportError(f"{c.out}: clang -M failed: {' '.join(err)}")
    deps = parse_make_deps(proc.stdout)
    if list(deps) != [c.out]:
        raise KbuildImportError(f"{c.out}: clang -M printed targets {list(deps)}")
    return deps[c.out]


def _src_key(opts: Options, src: str) -> str:
    return os.path.normpath(src if os.path.isabs(src) else os.path.join(opts.objtree, src))


def _scan_argv(opts: Options, c: Compile) -> list[str]:
    return [opts.tools["clang"], *c.flags, "-c", "-o", c.out, c.src]


def _scan_deps(opts: Options, compiles: Sequence[Compile], use_cache: bool = False) -> dict[str, list[str]]:
    """clang-scan-deps over all compiles, in as few runs as there are objects sharing
    one source (arch/arm64/kernel/pi/lib-fdt.o is lib/fdt.c again). With use_cache and
    opts.scan_cache, results still valid from an earlier import are reused (scan_cache.py)."""
    out: dict[str, list[str]] = {}
    cache = None
    if use_cache and opts.scan_cache:
        version = subprocess.run([opts.clang_scan_deps, "--version"], capture_output=True, text=True,
                                 check=False).stdout
        cache = scan_cache.ScanCache(opts.scan_cache, opts.objtree,
                                     scan_cache.listing_digest(opts.src, opts.objtree, version))
        todo = []
        for c in compiles:
            got = cache.get(_scan_argv(opts, c))
            if got is None:
                todo.append(c)
            else:
                out[c.out] = got
        compiles = todo
    batches: list[dict[str, Compile]] = []
    for c in compiles:
        k = _src_key(opts, c.src)
        batch = next((b for b in batches if k not in b), None)
        if batch is None:
            batch = {}
            batches.append(batch)
        batch[k] = c
    for batch in batches:
        out.update(_scan_deps_batch(opts, batch))
    if cache:
        for c in compiles:
            cache.put(_scan_argv(opts, c), out[c.out])
        deleted, left = scan_cache.prune(opts.scan_cache)
        print(f"kbuild_import: scan cache: {cache.hits} reused, {len(compiles)} scanned"
              f" ({left >> 20} MB kept, {deleted} least recently used entries deleted)", file=sys.stderr)
    return out


def scan_jobs(jobs: int) -> int:
    """clang-scan-deps threads for --jobs: twice as many. The scan is CPU-bound and nothing
    else of the build can run before the import ends; on a box shared with other builds
    more threads get it a larger share (x86_64 defconfig sample, 272 units at load ~16:
    -j2 27.3 s, -j4 18.4 s, -j8 18.8 s wall, the same 7-7.5 s of CPU), and on an idle box
    the extra threads cost nothing measurable."""
    return 2 * jobs


def _scan_deps_batch(opts: Options, by_src: Mapping[str, Compile]) -> dict[str, list[str]]:
    """One clang-scan-deps run. The experimental-full format names each translation
    unit by its input file (the make format names .S units after a temporary file and
    prints them in completion order), so sources must be unique within a run."""
    compiles = list(by_src.values())

    def key(src):
        return _src_key(opts, src)

    db = [{"directory": opts.objtree, "file": key(c.src),
           "arguments": _scan_argv(opts, c), "output": c.out}
          for c in compiles]
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix=".kbuild_import.", dir=opts.objtree,
                                     delete=False) as f:
        json.dump(db, f)
    try:
        proc = subprocess.run([opts.clang_scan_deps, "-compilation-database", f.name,
                               "-format", "experimental-full", "-j", str(scan_jobs(opts.jobs))],
                              cwd=opts.objtree, env=env(opts), capture_output=True, text=True,
                              errors="surrogateescape", check=False)
    finally:
        os.unlink(f.name)
    err = [l for l in proc.stderr.splitlines() if "error" in l.lower()]
    if proc.returncode != 0 or err:
        raise KbuildImportError(f"clang-scan-deps failed: {' | '.join(err[:2]) or proc.stderr.strip()[-200:]}")
    try:
        result = json.loads(proc.stdout)
    except ValueError as e:
        raise KbuildImportError(f"clang-scan-deps: unreadable output: {e}") from None
    out = scan_deps_result(result, lambda f: by_src.get(key(f)))
    missing = [c.out for c in compiles if c.out not in out]
    if missing:
        raise KbuildImportError(f"{missing[0]}: clang-scan-deps printed no dependencies for it")
    return out


def scan_deps(opts: Options, compiles: Sequence[Compile], *, preprocess_only: Sequence[Compile] = (),
              use_cache: bool = False) -> dict[str, list[str]]:
    """Header dependencies per compile (paths as the preprocessor prints them, cwd =
    objtree). Objects go through clang-scan-deps if given, else `clang -M` in a pool;
    preprocess_only (e.g. the linker script) always through `clang -M`."""
    out: dict[str, list[str]] = {}
    pool_items = list(preprocess_only)
    if opts.clang_scan_deps:
        out.update(_scan_deps(opts, compiles, use_cache))
    else:
        pool_items = list(compiles) + pool_items
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
        for c, deps in zip(pool_items, pool.map(lambda c: _clang_m(opts, c), pool_items)):
            out[c.out] = deps
    return out


def read_text(path: str) -> str:
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return f.read()


class Timer:
    """Wall-clock seconds per named phase, and the phases as they start (progress).

    progress, if given, is called with one line per phase start ("prepare") and per
    note ("deps: 2673 objects"); the repository rule shows the last one (kbuild_import.bzl).
    """

    def __init__(self, progress: Callable[[str], None] | None = None):
        self.times: dict[str, float] = {}
        self._progress = progress
        self._last = None

    def note(self, text: str) -> None:
        self._last = text
        if self._progress:
            self._progress(text)

    def run(self, name: str, fn: Callable, *args, **kwargs):
        if name != self._last and name not in ("total", "record"):
            self.note(name)
        t0 = time.monotonic()
        try:
            return fn(*args, **kwargs)
        finally:
            self.times[name] = round(self.times.get(name, 0.0) + time.monotonic() - t0, 3)


def progress_writer(path: str) -> Callable[[str], None]:
    """A Timer progress callback appending one line per call to path (flushed at once)."""

    def write(text: str) -> None:
        with open(path, "a", encoding="utf-8") as f:
            f.write(text.replace("\n", " ") + "\n")

    return write


def write_atomically(path: str, text: str) -> None:
    d = os.path.dirname(os.path.abspath(path))
    with tempfile.NamedTemporaryFile("w", dir=d, prefix=".kbuild_import.", delete=False) as f:
        f.write(text)
    os.chmod(f.name, 0o644)
    shutil.move(f.name, path)


PHASES = ("config", "prepare", "dryrun", "finish")


def import_kernel(opts: Options, timer: Timer, *, config_text: str | None, defconfig_target: str | None,
                  fragments: Sequence[tuple[str, str]], lto: str | None) -> dict:
    """The whole import (see kbuild_import.py); returns the plan. timer gets the phases:
    config, prepare, dry_run, parse, [modfinal, extmod: with CONFIG_MODULES,] generate,
    deps, classify, plan. The same as running import_phase for each of PHASES in turn."""
    state = {"config_text": config_text, "defconfig_target": defconfig_target, "fragments": fragments, "lto": lto}
    for phase in PHASES:
        state = import_phase(phase, opts, timer, state)
    return state["plan"]


def import_phase(phase: str, opts: Options, timer: Timer, state: dict) -> dict:
    """One phase of the import: state in (what the earlier phases returned), state out.

    The repository rule runs each phase as its own process (save_state/load_state in
    between), so Bazel can show the import's progress between them (kbuild_import.bzl).
    config takes config_text, defconfig_target, fragments, lto; finish returns "plan".
    """
    return {"config": _phase_config, "prepare": _phase_prepare, "dryrun": _phase_dryrun,
            "finish": _phase_finish}[phase](opts, timer, **state)


def save_state(path: str, state: dict) -> None:
    """Writes the state between two phases (a pickle: only this tool, in this import, reads it)."""
    with open(path, "wb") as f:
        pickle.dump(state, f, protocol=pickle.HIGHEST_PROTOCOL)


def load_state(path: str) -> dict:
    try:
        with open(path, "rb") as f:
            return pickle.load(f)
    except FileNotFoundError:
        raise KbuildImportError(f"{path}: no state from the previous phase (run the phases in order: "
                                f"{', '.join(PHASES)})") from None


def _phase_config(opts: Options, timer: Timer, *, config_text, defconfig_target, fragments, lto, **_) -> dict:
    check_dirs(opts.src, opts.objtree)
    config_text = timer.run("config", configure, opts, config_text=config_text,
                            defconfig_target=defconfig_target, fragments=fragments, lto=lto)
    refused = unsupported_module_config(parse_config(config_text))
    if refused:  # before the dry runs it would make fail
        raise KbuildConfigError(refused[0])
    return {"config_text": config_text}


def _phase_prepare(opts: Options, timer: Timer, *, config_text, **_) -> dict:
    make_vars = timer.run("prepare", prepare, opts)
    return {"config_text": config_text, "make_vars": make_vars, "prepared": walk(opts.objtree)}


def _phase_dryrun(opts: Options, timer: Timer, *, config_text, make_vars, prepared, **_) -> dict:
    ext1 = ext2 = probe_dir = None
    libs = make_vars["KBUILD_VMLINUX_LIBS"].split()
    modules = parse_config(config_text).get("CONFIG_MODULES") == "y"
    text = timer.run("dry_run", dry_run, opts, ["vmlinux.a", *libs], modules=modules)
    steps = timer.run("parse", parse_dry_run, text)
    analysis = timer.run("parse", analyze, steps, opts.tools, make_vars["KBUILD_LDS"])
    timer.note(f"dry run: {len(steps)} commands, {len(analysis.compiles)} compiles")
    modfinal = None
    if modules:
        order = modules_order(analysis.orders)
        modversions = parse_config(config_text).get("CONFIG_MODVERSIONS") == "y"
        text2 = timer.run("modfinal", modfinal_dry_run, opts, order, ["vmlinux.a", *libs] if modversions else ())
        modfinal = parse_modfinal(text2, opts.tools["clang"])
        ext1, ext2, probe_dir = timer.run("extmod", extmod_dry_runs, opts)

    boot_goal = boot_lib.boot_goal(opts.arch)
    boot_steps, boot_hosts, boot_unsupported = [], [], None
    if boot_goal:
        # A boot image the plan cannot model does not fail the import (vmlinux and modules do
        # not need it): the plan records the one line, and building the image fails with it.
        try:
            unlinked = unlinked_archives(analysis, libs)
            text3 = timer.run("boot", boot_dry_run, opts, boot_goal, boot_lib.stand_ins(unlinked))
            steps3 = timer.run("boot", parse_dry_run, text3)
            boot_hosts = boot_lib.host_programs(steps3)
            boot_steps, boot_compiles = boot_lib.split_steps(steps3, opts.tools["clang"])
        except KbuildImportError as e:
            boot_unsupported, boot_hosts = paths.relativize(str(e).encode(), _trees(opts), opts.prefix_map).decode(), []

    partial_hosts = host_targets(analysis.partials.steps, analysis.hosts)  # gen-hyprel
    boot_archives = None
    if boot_goal and not boot_unsupported:  # the unlinked archives the boot image links (EFI stub)
        ar_steps = {norm_rel(s.target): s.cmd for s in steps if s.tag == "AR"}
        boot_archives = {a: (ar_steps[a], analysis.archives[a]) for a in unlinked}
    gen = gen_targets(analysis, prepared) + boot_hosts + partial_hosts
    timer.note(f"generate: {sum(len(t) for _, t in gen)} build-time files and host programs")
    # A CERT key no action can read (pkcs11:, outside the trees): one line before make runs it.
    certs_lib.check_keys(certs_lib.select(analysis.build_steps), Roots(opts.src, opts.objtree, ()))
    timer.run("generate", generate, opts, gen)
    built = {k: v for k, v in walk(opts.objtree).items() if k not in prepared}
    timer.run("generate", check_generated_cmds, opts, steps, built)
    relativize_tree(opts, [*prepared, *built])

    roots = Roots(opts.src, opts.objtree, ((resource_dir(opts.tools["clang"]), RESOURCE_DIR),))
    compiles = list(analysis.compiles.values())
    extra = [analysis.lds] if analysis.lds else []
    extra += [analysis.partials.lds[o] for o in sorted(analysis.partials.lds)]
    # The vDSO's steps (vdso.py): planned as actions; its linker script is scanned too.
    vdso_files = vdso_lib.prepare_files(opts.arch, prepared)
    if vdso_files:  # arm64: `make prepare` made it (vdso/, vdso32/); its own dry run prints the steps
        vdso_steps = timer.run("vdso", vdso_dry_run, opts, vdso_lib.prepare_goals(opts.arch, prepared), vdso_files)
        vdso_steps, vdso_compiles = vdso_lib.select(vdso_steps, (), None, opts.tools["clang"], opts.arch)
    elif opts.arch in vdso_lib.PREPARE_GOALS:  # prepare made no vDSO file: nothing to plan
        vdso_steps, vdso_compiles = [], {}
    else:
        vdso_steps, vdso_compiles = vdso_lib.select(
            steps, {m for a in analysis.archives.values() for m in a.members}, analysis.build_steps,
            opts.tools["clang"], opts.arch)
    extra += [c for o, c in sorted(vdso_compiles.items()) if o not in analysis.compiles]
    # x86's realmode blob (realmode.py): the same, from the vmlinux_o dry run.
    realmode_steps, realmode_compiles = realmode_lib.select(
        steps, {m for a in analysis.archives.values() for m in a.members}, analysis.build_steps,
        opts.tools["clang"], opts.arch)
    extra += [c for o, c in sorted(realmode_compiles.items()) if o not in analysis.compiles]
    # Sources a partial link's step writes (hyp-reloc.S): scanned as empty stand-ins.
    partial_srcs = generated_sources(analysis.partials.steps)
    probe = []
    if modfinal is not None:
        # Every *.mod.c has the same includes: scan one stand-in with a module's .mod.c flags.
        if not modfinal.mod_o:
            raise KbuildImportError("CONFIG_MODULES=y but no module: Makefile.modfinal compiles no .mod.c")
        first = modfinal.mod_o[sorted(modfinal.mod_o)[0]]
        probe = [Compile(MOD_C_PROBE_OUT, MOD_C_PROBE, "c", first.flags, ())]
        if analysis.module_lds is not None:
            extra.append(analysis.module_lds)
    missing = missing_sources(compiles + extra, lambda src: (not os.path.isabs(src) and norm_rel(src) in partial_srcs)
                              or os.path.exists(_src_key(opts, src)))
    if missing:
        raise KbuildImportError(missing[0])
    probe_files = {MOD_C_PROBE: MOD_C_HEADER} if probe else {}
    for p in sorted(partial_srcs):
        if os.path.exists(os.path.join(opts.objtree, p)):
            raise KbuildImportError(f"{p}: a partial link step writes it, but the import's make made it already")
        probe_files[p] = ""
    export_o = None
    if parse_config(config_text).get("CONFIG_MODVERSIONS") == "y":  # modpost -m's CRCs, linked into vmlinux
        export_o = parse_export_o(timer.run("export_o", export_o_dry_run, opts), opts.tools["clang"])
        probe.append(Compile(EXPORT_O, EXPORT_C, "c", export_o.flags, ()))
        probe_files[EXPORT_C] = EXPORT_C_STAND_IN
    sv_asm = symversions_asm_probe(analysis, opts.tools)
    if sv_asm is not None:  # CONFIG_ASM_MODVERSIONS: what cmd_gensymtypes_S's dummy C file reads
        probe.append(sv_asm)
        probe_files[SYMVERSIONS_ASM_PROBE] = SYMVERSIONS_ASM_HEADER
    timer.note(f"scanning the headers of {len(compiles) + len(probe) + len(extra)} compiles")
    return {"config_text": config_text, "make_vars": make_vars, "prepared": prepared, "built": built,
            "analysis": analysis, "modfinal": modfinal, "ext1": ext1, "ext2": ext2, "probe_dir": probe_dir,
            "boot_goal": boot_goal, "boot_steps": boot_steps,
            "boot_compiles": boot_compiles if boot_goal and not boot_unsupported else None,
            "boot_unsupported": boot_unsupported, "roots": roots, "compiles": compiles, "extra": extra,
            "probe": probe, "probe_files": probe_files, "export_o": export_o, "partial_srcs": partial_srcs,
            "boot_archives": boot_archives, "vdso_steps": vdso_steps, "vdso_compiles": vdso_compiles,
            "realmode_steps": realmode_steps, "realmode_compiles": realmode_compiles}


def _phase_finish(opts: Options, timer: Timer, *, config_text, make_vars, prepared, built, analysis, modfinal,
                  ext1, ext2, probe_dir, boot_goal, boot_steps, boot_compiles, boot_unsupported, roots,
                  compiles, extra, probe, probe_files, export_o, partial_srcs, boot_archives, vdso_steps=(),
                  vdso_compiles=None, realmode_steps=(), realmode_compiles=None, **_) -> dict:
    for name, text in probe_files.items():
        os.makedirs(os.path.dirname(os.path.join(opts.objtree, name)), exist_ok=True)
        with open(os.path.join(opts.objtree, name), "w") as f:
            f.write(text)
    try:
        raw = timer.run("deps", scan_deps, opts, compiles + probe, preprocess_only=extra, use_cache=True)
    finally:
        for name in probe_files:
            os.unlink(os.path.join(opts.objtree, name))

    anchor = srctree_anchor(opts.src)

    def classify():
        deps, incbins = {}, {}
        for c in probe:  # removed already; a stand-in has no .incbin
            deps[c.out] = classify_deps(c.out, raw[c.out], roots, prepared, built,
                                            skip=[placeholder_path(c.src, roots)], anchor=anchor)
        for c in compiles + extra:
            src = c.src if os.path.isabs(c.src) else os.path.join(opts.objtree, c.src)
            generated = not os.path.isabs(c.src) and norm_rel(c.src) in partial_srcs
            inc = find_incbins(c.out, "" if generated else read_text(src))
            incbins[c.out] = [split_placeholder(placeholder_path(p, roots))[1] for p in inc]
            deps[c.out] = classify_deps(c.out, raw[c.out] + inc, roots, prepared, built,
                                            skip=[placeholder_path(c.src, roots)], anchor=anchor)
        return deps, incbins

    deps, incbins = timer.run("classify", classify)
    boot = None
    if boot_unsupported:
        boot = boot_lib.unsupported(boot_unsupported)
    elif boot_goal:
        boot = timer.run("boot", _boot_plan, opts, roots, boot_steps, boot_compiles, prepared, built,
                         {"ARCH": opts.arch, "SRCARCH": make_vars["SRCARCH"]}, boot_archives)
    # The file vmlinux.a's command greps (Linux 6.1: $(srctree)/scripts/head-object-list.txt).
    head_list = placeholder_path(analysis.head_list, roots)
    if not head_list.startswith(SRCTREE + "/"):
        raise KbuildImportError(f"vmlinux.a: head object list {analysis.head_list} is not in the source tree")
    head_list_text = read_text(os.path.join(opts.src, split_placeholder(head_list)[1]))
    extmod = extmod_plan(ext1, ext2, probe_dir, tools=opts.tools, roots=roots) if ext1 is not None else None
    plan = timer.run("plan", lambda: build_plan(
        arch=opts.arch, config_text=config_text, make_vars=make_vars, analysis=analysis,
        head_list_text=head_list_text, deps=deps, incbins=incbins,
        generated_prepare=listing(opts.objtree, prepared),
        generated_build=listing(opts.objtree, built), roots=roots, tools=opts.tools, modfinal=modfinal,
        extmod=extmod, export_o=export_o))
    if boot is not None:
        plan["boot"] = boot
    if vdso_steps:
        plan["vdso"] = timer.run("vdso", _image_section, opts, roots, plan, vdso_steps, vdso_compiles, deps, incbins,
                                 prepared, built, vdso_lib.vdso_plan, "vDSO")
    if realmode_steps:
        plan["realmode"] = timer.run("realmode", _image_section, opts, roots, plan, realmode_steps, realmode_compiles,
                                     deps, incbins, prepared, built, realmode_lib.realmode_plan,
                                     realmode_lib.WHAT)
    cert_steps = certs_lib.select(analysis.build_steps)
    if cert_steps:
        plan["certs"] = timer.run("certs", _certs_section, opts, roots, plan, cert_steps, prepared, built)
    # Generated sources and tables (generate.py): planned as actions where the pins allow.
    timer.run("generate", generate_lib.apply, plan, analysis.build_steps,
              host=[p for p, exe in {**prepared, **built}.items() if exe], tools=opts.tools, roots=roots,
              is_src_file=lambda rel: os.path.isfile(os.path.join(opts.src, rel)), build_env=opts.build_env)
    text = timer.run("plan", dump_plan, plan)  # once (json's indenting encoder: ~13 s for defconfig)
    timer.run("path_check", check_path_free, opts, [*prepared, *built], text)
    # Actions make them: no action may read the import's copies, so they leave obj/ for
    # editor/ beside it, which only compile_commands.json names (for clangd).
    editor = os.path.join(os.path.dirname(opts.objtree), "editor")
    for rel in vdso_lib.made_files(plan.get("vdso")) + vdso_lib.made_files(plan.get("realmode")) + \
            vdso_lib.made_files(plan.get("certs")) + generate_lib.made_files(plan.get("generate")):
        os.makedirs(os.path.dirname(os.path.join(editor, rel)), exist_ok=True)
        os.replace(os.path.join(opts.objtree, rel), os.path.join(editor, rel))
    return {"plan": plan, "plan_text": text}


def srctree_anchor(src: str) -> Callable[[str], str | None]:
    """srctree directory -> a file that makes it exist in a sandbox: its first header, else
    its first file (sorted; subdirectories only if it has no files), or None (cached)."""
    @functools.lru_cache(maxsize=None)
    def anchor(rel: str) -> str | None:
        for top, dirs, files in os.walk(os.path.join(src, rel)):
            dirs.sort()
            files = sorted(f for f in files if os.path.isfile(os.path.join(top, f)))
            if files:
                pick = ([f for f in files if f.endswith(".h")] or files)[0]
                return os.path.relpath(os.path.join(top, pick), src)
        return None
    return anchor


def _image_section(opts: Options, roots: Roots, plan: dict, steps: Sequence[Step], compiles: Mapping[str, Compile],
                   deps: Mapping, incbins: Mapping, prepared: Mapping[str, bool], built: Mapping[str, bool],
                   plan_fn: Callable[..., dict], what: str) -> dict:
    """The plan's vdso (vdso.py) or realmode (realmode.py) section, by plan_fn; drops its
    outputs from generated.build and build_steps."""
    kbuild, data = {}, {}
    for s in steps:
        rel = norm_rel(s.target)
        full = os.path.join(opts.objtree, rel)
        if not os.path.isfile(full):
            raise KbuildImportError(f"{rel}: a {what} step's output the import's make did not write")
        with open(full, "rb") as f:
            data[rel] = f.read()
        kbuild[rel] = hashlib.sha256(data[rel]).hexdigest()
    # Files whose bytes name this machine's trees (-g objects' DWARF): not comparable across machines.
    forbidden = paths.forbidden(_trees(opts), opts.prefix_map)
    with_paths = [rel for rel in sorted(data) if paths.find_absolute({rel: data[rel]}, forbidden)]
    hosts = [p for p, exe in {**prepared, **built}.items() if exe]
    section = plan_fn(steps, compiles, deps=deps, incbins=incbins, host=hosts, tools=opts.tools,
                      roots=roots, is_src_file=lambda rel: os.path.isfile(os.path.join(opts.src, rel)),
                      objects=plan["objects"], kbuild=kbuild, kbuild_paths=with_paths,
                      anchor=srctree_anchor(opts.src))
    made = set(vdso_lib.made_files(section))
    for group in ("prepare", "build"):
        plan["generated"][group] = {k: v for k, v in plan["generated"][group].items() if k not in made}
    plan["build_steps"] = [s for s in plan["build_steps"] if norm_rel(s["target"]) not in made]
    return section


def _sha256_files(opts: Options, paths: Iterable[str], what: str) -> dict[str, str]:
    """objtree path -> sha256 of the file the import's make wrote (an error if it did not)."""
    out = {}
    for rel in paths:
        full = os.path.join(opts.objtree, rel)
        if not os.path.isfile(full):
            raise KbuildImportError(f"{rel}: {what} output the import's make did not write")
        with open(full, "rb") as f:
            out[rel] = hashlib.sha256(f.read()).hexdigest()
    return out


def _drop_made(plan: dict, made: Iterable[str]) -> None:
    """Removes what actions make from generated.{prepare,build} and build_steps."""
    made = set(made)
    for group in ("prepare", "build"):
        plan["generated"][group] = {k: v for k, v in plan["generated"][group].items() if k not in made}
    plan["build_steps"] = [s for s in plan["build_steps"] if norm_rel(s["target"]) not in made]


def _certs_section(opts: Options, roots: Roots, plan: dict, steps: Sequence[Step], prepared: Mapping[str, bool],
                   built: Mapping[str, bool]) -> dict:
    """The plan's certs section (certs.py); drops its outputs from generated.build and build_steps."""
    kbuild = _sha256_files(opts, [norm_rel(s.target) for s in steps], "a CERT step's")
    hosts = [p for p, exe in {**prepared, **built}.items() if exe]
    made = set(kbuild)
    section = certs_lib.cert_plan(steps, tools=opts.tools, roots=roots,
                                  is_src_file=lambda rel: os.path.isfile(os.path.join(opts.src, rel)), host=hosts,
                                  import_made=[p for p in {**prepared, **built} if p not in made],
                                  objects=plan["objects"], kbuild=kbuild)
    _drop_made(plan, made)
    return section


def _boot_plan(opts: Options, roots: Roots, steps: Sequence[Step], compiles: Mapping[str, Compile],
               prepared: Mapping[str, bool], built: Mapping[str, bool], env: Mapping[str, str],
               archives: Mapping[str, tuple[str, Archive]]) -> dict:
    """The boot section (boot.py): the boot compiles' headers scanned with empty stand-ins
    for what boot steps generate (voffset.h, zoffset.h, cpustr.h, piggy.S)."""
    made = {norm_rel(s.target) for s in steps}
    stand = boot_lib.scan_stand_ins(steps, compiles)
    raw = _with_stand_ins(opts, {p: "" for p in stand}, lambda: scan_deps(opts, list(compiles.values())))
    deps, incbins = {}, {}
    for c in compiles.values():
        src = c.src if os.path.isabs(c.src) else os.path.join(opts.objtree, c.src)
        text = "" if not os.path.isabs(c.src) and norm_rel(c.src) in made else read_text(src)
        inc = find_incbins(c.out, text)
        incbins[c.out] = [split_placeholder(placeholder_path(p, roots))[1] for p in inc]
        deps[c.out] = classify_deps(c.out, raw[c.out] + inc, roots, prepared, set(built) | made,
                                    skip=[placeholder_path(c.src, roots)])
    hosts = [p for p, exe in {**prepared, **built}.items() if exe]
    return boot_lib.boot_plan(steps, compiles, deps=deps, incbins=incbins, host=hosts, tools=opts.tools,
                              roots=roots, is_src_file=lambda rel: os.path.isfile(os.path.join(opts.src, rel)),
                              env=env, archives=archives)


# ---------------------------------------------------------------------------
# What the plan was derived from (tools/plan_check: KernelPlanCheck compares it)

def _cmd_files(objtree: str):
    for dirpath, dirnames, filenames in os.walk(objtree):
        dirnames[:] = [d for d in dirnames if not os.path.islink(os.path.join(dirpath, d))]
        for name in filenames:
            if name.startswith(".") and name.endswith(".cmd"):
                yield os.path.join(dirpath, name)


def built_from(opts: Options) -> list[str]:
    """The source-tree files Kbuild's own builds during the import read (asm-offsets.c,
    bounds.c, host programs, vDSO, ... and their headers): every regular file of the
    source tree that an object-tree .cmd file names (commands, fixdep's deps)."""
    found = set()
    for path in _cmd_files(opts.objtree):
        found.update(plan_check.source_paths(read_text(path), opts.src))
    return sorted(p for p in found if os.path.isfile(os.path.join(opts.src, p)))


def _tool_sources_digest() -> str:
    """sha256 over the import's own Python sources (name + content, sorted)."""
    h = hashlib.sha256()
    here = os.path.dirname(os.path.abspath(__file__))
    files = [os.path.join(here, n) for n in sorted(os.listdir(here)) if n.endswith(".py") and not n.endswith("_test.py")]
    files.append(os.path.abspath(plan_check.__file__))
    for path in files:
        h.update(f"{os.path.basename(os.path.dirname(path))}/{os.path.basename(path)}\0".encode())
        with open(path, "rb") as f:
            h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()


def tool_identity(opts: Options) -> dict[str, str]:
    """The pinned tools the plan depends on: clang (sha256, the check compares it with the
    toolchain's), its version line, the import's own sources. Host tools (make) are not
    recorded: the record is an action input and must be the same on every machine."""
    proc = subprocess.run([opts.tools["clang"], "--version"], capture_output=True, text=True, check=False)
    return {
        "clang": plan_check.sha256_file(opts.tools["clang"]),
        "clang_version": (proc.stdout.splitlines() or ["?"])[0].strip(),
        "kbuild_import": _tool_sources_digest(),
    }


def hash_tree(opts: Options, include: Sequence[str], exclude: Sequence[str]) -> dict[str, str]:
    """sha256 of every source-tree file glob(include, exclude) lists (as Bazel's glob)."""
    try:
        return plan_check.hash_files(opts.src, plan_check.tree_files(opts.src, include, exclude))
    except plan_check.PlanCheckError as e:
        raise KbuildImportError(str(e)) from None
