"""Imports a Linux 6.1 Kbuild build into a JSON plan of fine-grained actions.

    kbuild_import.py --src=linux-6.1 --out_dir=OBJ --arch=arm64 \\
        --defconfig_target=tinyconfig --fragment=tiny-arm64.config --lto=thin \\
        --clang=.../clang --ld=.../ld.lld --ar=.../llvm-ar --nm=.../llvm-nm \\
        --objcopy=.../llvm-objcopy --objdump=.../llvm-objdump \\
        --readelf=.../llvm-readelf --strip=.../llvm-strip \\
        [--clang_scan_deps=.../clang-scan-deps] --make=/usr/bin/make \\
        --path=/usr/bin:/bin --jobs=2 --plan=plan.json

Configures and prepares OBJ with `make O=OBJ` (SRC is never written), dry-runs the
vmlinux.o build, runs the few build-time generators, scans every object's header
dependencies and writes the plan (schema: plan.py). OBJ keeps the configured and
prepared object tree (generated headers, host programs, generated sources) for the
next step; the plan lists those files with their sha256.

Every input is a flag: tools are paths (HOSTCC/HOSTLD/HOSTAR default to --clang,
--ld and --ar), make's recipes see only --path, LC_ALL=C, TZ=UTC and the
--build_* values. --config starts from a full .config, --defconfig_target from a
*config target; --fragment files are appended and --lto is applied last (it wins
over the fragments' LTO choice), then `make olddefconfig`; any assignment that did
not stick is an error. With --clang_scan_deps the dependency scan takes seconds,
without it `clang -M` runs once per object (--jobs at a time).
"""

import json
import os
import sys

from absl import app, flags

from tools.common import lib as common
from tools.kbuild_import import paths, run
from tools.kbuild_import.common import EXIT_CONFIG, KbuildConfigError, KbuildImportError
from tools.kbuild_import.plan import dump_plan
from tools.plan_check import lib as plan_check

_SRC = flags.DEFINE_string("src", None, "Kernel source tree (read only).", required=True)
_OUT_DIR = flags.DEFINE_string("out_dir", None, "Object tree to create (absent or empty).", required=True)
_ARCH = flags.DEFINE_string("arch", None, "ARCH, e.g. arm64 or x86_64.", required=True)
_CONFIG = flags.DEFINE_string("config", None, "A full .config to start from.")
_DEFCONFIG = flags.DEFINE_string("defconfig_target", None, "A *config make target to start from, e.g. tinyconfig.")
_FRAGMENTS = flags.DEFINE_multi_string("fragment", [], "Config fragment appended before olddefconfig (repeatable).")
_LTO = flags.DEFINE_enum("lto", None, ["none", "thin", "full"], "LTO mode set on top of the config.")
_PLAN = flags.DEFINE_string("plan", None, "Output plan (JSON).", required=True)
_JOBS = flags.DEFINE_integer("jobs", 1, "Parallel make jobs and dependency scans.", lower_bound=1)
_MAKE = flags.DEFINE_string("make", None, "GNU make (a path, or a name looked up in --path).", required=True)
_PATH = flags.DEFINE_string("path", None, "PATH for make's recipes (sh, sed, awk, flex, bison, perl, bc, ...).",
                            required=True)
_TIMINGS = flags.DEFINE_string("timings", None, "Optional: write wall seconds per phase here (JSON).")
_PHASE = flags.DEFINE_enum("phase", "all", ["all", "config", "prepare", "dryrun", "finish"],
                           "Run one phase of the import (in this order, each with the same flags and --state) "
                           "or all of them.")
_STATE = flags.DEFINE_string("state", None, "With --phase: the file the phases hand their state over in.")
_PROGRESS = flags.DEFINE_string("progress", None, "Optional: append a line here as each phase starts "
                                "(the repository rule shows the last one while the import runs).")
_BUILD_TIMESTAMP = flags.DEFINE_string("build_timestamp", "Thu Jan  1 00:00:00 UTC 1970", "KBUILD_BUILD_TIMESTAMP.")
_BUILD_USER = flags.DEFINE_string("build_user", "kbuild", "KBUILD_BUILD_USER.")
_BUILD_HOST = flags.DEFINE_string("build_host", "kbuild", "KBUILD_BUILD_HOST.")
_BUILD_VERSION = flags.DEFINE_string("build_version", "1", "KBUILD_BUILD_VERSION.")
_CLANG_SCAN_DEPS = flags.DEFINE_string("clang_scan_deps", None,
                                       "clang-scan-deps (fast); without it, `clang -M` runs per object.")
_SCAN_CACHE = flags.DEFINE_string("scan_cache", None, "Optional: a directory where clang-scan-deps results are kept "
                                  "across imports and reused while still valid (scan_cache.py).")
_PREFIX_MAP = flags.DEFINE_multi_string(
    "prefix_map", [], "OLD=NEW (OLD an absolute directory ending in '/'): host programs are built with "
    "-ffile-prefix-map=OLD=NEW, generated text is rewritten, and no listed file may contain OLD (repeatable).")
_SOURCES = flags.DEFINE_string(
    "sources", None, "Optional: write what the plan was derived from here (tools/plan_check: the "
    "sha256 of the --watch files of --src, of what the import's builds read, of the config inputs, tools).")
_WATCH = flags.DEFINE_multi_string("watch", [], "A Bazel glob of --src files to record (repeat; with --sources).")
_WATCH_EXCLUDE = flags.DEFINE_multi_string("watch_exclude", [], "An exclude pattern of --watch (repeat).")
_REPO = flags.DEFINE_string("repo", "", "The repository this import is (named in the re-import command).")
_SOURCE_KIND = flags.DEFINE_enum("source_kind", "tree", ["tree", "LINUX_SRC"],
                                 "LINUX_SRC: --src is a user's tree (--repo_env=LINUX_SRC).")
_TOOLS = {
    "clang": flags.DEFINE_string("clang", None, "clang (CC).", required=True),
    "ld": flags.DEFINE_string("ld", None, "ld.lld (LD).", required=True),
    "ar": flags.DEFINE_string("ar", None, "llvm-ar (AR).", required=True),
    "nm": flags.DEFINE_string("nm", None, "llvm-nm (NM).", required=True),
    "objcopy": flags.DEFINE_string("objcopy", None, "llvm-objcopy (OBJCOPY).", required=True),
    "objdump": flags.DEFINE_string("objdump", None, "llvm-objdump (OBJDUMP).", required=True),
    "readelf": flags.DEFINE_string("readelf", None, "llvm-readelf (READELF).", required=True),
    "strip": flags.DEFINE_string("strip", None, "llvm-strip (STRIP).", required=True),
    "hostcc": flags.DEFINE_string("hostcc", None, "Host C compiler (HOSTCC); default: --clang."),
    "clangxx": flags.DEFINE_string("clangxx", None, "Host C++ compiler (HOSTCXX); default: none."),
    "hostld": flags.DEFINE_string("hostld", None, "Host linker for tools/ (HOSTLD); default: --ld."),
    "hostar": flags.DEFINE_string("hostar", None, "Host archiver for tools/ (HOSTAR); default: --ar."),
}


def _abs(path):
    return os.path.abspath(path) if path else path


def _options():
    tools = {k: _abs(v.value) for k, v in _TOOLS.items() if v.value}
    tools.setdefault("hostcc", tools["clang"])
    try:
        prefix_map = paths.PrefixMap.parse(_PREFIX_MAP.value)
    except ValueError as e:
        raise app.UsageError(str(e))
    prefix_map = run.with_symlinked_src(os.path.normpath(_abs(_SRC.value)), prefix_map)
    tools["hostcc"] = paths.host_cc(tools["hostcc"], prefix_map)
    tools.setdefault("hostld", tools["ld"])
    tools.setdefault("hostar", tools["ar"])
    return run.Options(
        src=os.path.normpath(_abs(_SRC.value)),
        objtree=os.path.normpath(_abs(_OUT_DIR.value)),
        arch=_ARCH.value,
        tools=tools,
        make=_MAKE.value,
        path=_PATH.value,
        jobs=_JOBS.value,
        build_env={"KBUILD_BUILD_TIMESTAMP": _BUILD_TIMESTAMP.value, "KBUILD_BUILD_USER": _BUILD_USER.value,
                   "KBUILD_BUILD_HOST": _BUILD_HOST.value, "KBUILD_BUILD_VERSION": _BUILD_VERSION.value},
        clang_scan_deps=_abs(_CLANG_SCAN_DEPS.value),
        prefix_map=prefix_map,
        scan_cache=_abs(_SCAN_CACHE.value),
    )


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    if bool(_CONFIG.value) == bool(_DEFCONFIG.value):
        raise app.UsageError("give exactly one of --config and --defconfig_target")
    if (_PHASE.value == "all") == bool(_STATE.value):
        raise app.UsageError("--state is needed with --phase (and only then)")
    timer = run.Timer(progress=run.progress_writer(_PROGRESS.value) if _PROGRESS.value else None)
    phases = run.PHASES if _PHASE.value == "all" else (_PHASE.value,)
    try:
        opts = _options()
        if phases[0] == run.PHASES[0]:
            state = {"config_text": run.read_text(_CONFIG.value) if _CONFIG.value else None,
                     "fragments": [(p, run.read_text(p)) for p in _FRAGMENTS.value],
                     "defconfig_target": _DEFCONFIG.value, "lto": _LTO.value}
            # Hashed before the import reads them: an edit during the import makes the plan stale.
            tree = timer.run("record", run.hash_tree, opts, _WATCH.value, _WATCH_EXCLUDE.value) if _SOURCES.value else {}
        else:
            saved = run.load_state(_STATE.value)
            state, tree = saved["state"], saved["tree"]
            timer.times.update(saved["times"])
        for phase in phases:
            state = timer.run("total", run.import_phase, phase, opts, timer, state)
        if phases[-1] != run.PHASES[-1]:
            run.save_state(_STATE.value, {"state": state, "tree": tree, "times": timer.times})
            return
        plan = state["plan"]
        if _SOURCES.value:
            built_from = [p for p in run.built_from(opts) if p not in tree]
            config_inputs = ([_CONFIG.value] if _CONFIG.value else []) + _FRAGMENTS.value
            record = plan_check.record(
                tree=tree, built_from=plan_check.hash_files(opts.src, built_from),
                include=_WATCH.value, exclude=_WATCH_EXCLUDE.value,
                fragments=[plan_check.sha256_file(p) for p in config_inputs],
                tools=run.tool_identity(opts), repo=_REPO.value, source=_SOURCE_KIND.value)
            run.write_atomically(_SOURCES.value, plan_check.dump(record))
        run.write_atomically(_PLAN.value, state.get("plan_text") or dump_plan(plan))
    except KbuildConfigError as e:  # the config's fault: the repository reports it (EXIT_CONFIG)
        print(f"kbuild_import: {e}", file=sys.stderr)
        sys.exit(EXIT_CONFIG)
    except KbuildImportError as e:  # an OSError is one line from common.run, naming its file
        sys.exit(f"kbuild_import: {e}")
    if _STATE.value and os.path.exists(_STATE.value):
        os.unlink(_STATE.value)
    if _TIMINGS.value:
        run.write_atomically(_TIMINGS.value, json.dumps(timer.times, sort_keys=True, indent=1) + "\n")


if __name__ == "__main__":
    common.run(main, "kbuild_import")
