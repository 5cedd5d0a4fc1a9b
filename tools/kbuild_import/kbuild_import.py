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
dependencies and writes the plan (schema: lib.py). OBJ keeps the configured and
prepared object tree (generated headers, host programs) for the next step.
"""

import json
import os
import sys

from absl import app, flags

from tools.kbuild_import import lib, run

_SRC = flags.DEFINE_string("src", None, "Kernel source tree (read only).", required=True)
_OUT_DIR = flags.DEFINE_string("out_dir", None, "Object tree to create (absent or empty).", required=True)
_ARCH = flags.DEFINE_string("arch", None, "ARCH, e.g. arm64 or x86_64.", required=True)
_CONFIG = flags.DEFINE_string("config", None, "A full .config to start from.")
_DEFCONFIG = flags.DEFINE_string("defconfig_target", None, "A *config make target to start from, e.g. tinyconfig.")
_FRAGMENTS = flags.DEFINE_multi_string("fragment", [], "Config fragment appended before olddefconfig (repeatable).")
_LTO = flags.DEFINE_enum("lto", None, ["none", "thin", "full"], "LTO mode set on top of the config.")
_PLAN = flags.DEFINE_string("plan", None, "Output plan (JSON).", required=True)
_JOBS = flags.DEFINE_integer("jobs", 1, "Parallel make jobs and dependency scans.", lower_bound=1)
_MAKE = flags.DEFINE_string("make", None, "GNU make.", required=True)
_PATH = flags.DEFINE_string("path", None, "PATH for make's recipes (sh, sed, awk, flex, bison, perl, bc, ...).",
                            required=True)
_TIMINGS = flags.DEFINE_string("timings", None, "Optional: write wall seconds per phase here (JSON).")
_BUILD_TIMESTAMP = flags.DEFINE_string("build_timestamp", "Thu Jan  1 00:00:00 UTC 1970", "KBUILD_BUILD_TIMESTAMP.")
_BUILD_USER = flags.DEFINE_string("build_user", "kbuild", "KBUILD_BUILD_USER.")
_BUILD_HOST = flags.DEFINE_string("build_host", "kbuild", "KBUILD_BUILD_HOST.")
_BUILD_VERSION = flags.DEFINE_string("build_version", "1", "KBUILD_BUILD_VERSION.")
_CLANG_SCAN_DEPS = flags.DEFINE_string("clang_scan_deps", None,
                                       "clang-scan-deps (fast); without it, `clang -M` runs per object.")
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
}


def _abs(path):
    return os.path.abspath(path) if path else path


def _import(timer):
    tools = {k: _abs(v.value) for k, v in _TOOLS.items() if v.value}
    tools.setdefault("hostcc", tools["clang"])
    opts = run.Options(
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
    )
    run.check_dirs(opts.src, opts.objtree)
    config_text = run.read_text(_CONFIG.value) if _CONFIG.value else None
    fragments = [(p, run.read_text(p)) for p in _FRAGMENTS.value]

    config_text = timer.run("config", run.configure, opts, config_text=config_text,
                            defconfig_target=_DEFCONFIG.value, fragments=fragments, lto=_LTO.value)
    make_vars = timer.run("prepare", run.prepare, opts)
    prepared = run.walk(opts.objtree)

    libs = make_vars["KBUILD_VMLINUX_LIBS"].split()
    text = timer.run("dry_run", run.dry_run, opts, ["vmlinux.a", *libs])
    analysis = timer.run("parse", lambda: lib.analyze(lib.parse_dry_run(text), tools, make_vars["KBUILD_LDS"]))

    timer.run("generate", run.generate, opts, lib.gen_targets(analysis, prepared))
    after = run.walk(opts.objtree)
    built = {k: v for k, v in after.items() if k not in prepared}

    roots = lib.Roots(opts.src, opts.objtree, ((run.resource_dir(tools["clang"]), lib.RESOURCE_DIR),))
    compiles = list(analysis.compiles.values())
    raw = timer.run("deps", run.scan_deps, opts, compiles,
                    preprocess_only=[analysis.lds] if analysis.lds else [])

    def classify():
        deps, incbins = {}, {}
        for c in compiles + ([analysis.lds] if analysis.lds else []):
            src = c.src if os.path.isabs(c.src) else os.path.join(opts.objtree, c.src)
            inc = lib.find_incbins(c.out, run.read_text(src)) if c.lang == "asm" or c.src.endswith(".c") else []
            incbins[c.out] = [lib.split_placeholder(lib.placeholder_path(p, roots))[1] for p in inc]
            deps[c.out] = lib.classify_deps(c.out, raw[c.out] + inc, roots, prepared, built,
                                            skip=[lib.placeholder_path(c.src, roots)])
        return deps, incbins

    deps, incbins = timer.run("classify", classify)
    head_list = run.read_text(os.path.join(opts.src, "scripts/head-object-list.txt"))
    plan = timer.run("plan", lambda: lib.build_plan(
        arch=opts.arch, config_text=config_text, make_vars=make_vars, analysis=analysis,
        head_list_text=head_list, deps=deps, incbins=incbins,
        generated_prepare=run.listing(opts.objtree, prepared),
        generated_build=run.listing(opts.objtree, built), roots=roots, tools=tools))
    run.write_atomically(_PLAN.value, lib.dump_plan(plan))


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    if bool(_CONFIG.value) == bool(_DEFCONFIG.value):
        raise app.UsageError("give exactly one of --config and --defconfig_target")
    timer = run.Timer()
    try:
        timer.run("total", _import, timer)
    except (lib.KbuildImportError, OSError) as e:
        sys.exit(f"kbuild_import: {e}")
    if _TIMINGS.value:
        run.write_atomically(_TIMINGS.value, json.dumps(timer.times, sort_keys=True, indent=1) + "\n")


if __name__ == "__main__":
    app.run(main)
