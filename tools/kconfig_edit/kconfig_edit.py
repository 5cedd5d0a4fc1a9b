"""menuconfig, olddefconfig or savedefconfig on a kernel_config, written back to its file.

    bazel run //:menuconfig --platforms=//platforms:arm64     (or @NAME//:menuconfig)
    bazel run //:savedefconfig ...  /  bazel run //:olddefconfig ...
      [-- --out=FILE] [-- --defconfig_out=FILE]

Configures the kernel as the import does (tools/kbuild_import/run.py configure: the start,
the fragments, the first LTO choice, olddefconfig, every assignment checked) in a
temporary object tree, runs the action, then writes the result back (lib.py says what goes
where): the last fragment, else the defconfig file, in the workspace `bazel run` was
started from. The next build re-imports, because the file is an input of the import.
Then the written file is checked: configuring again from it gives the edited .config.

menuconfig builds scripts/kconfig/mconf with the host's cc and ncurses (Debian:
gcc, libncurses-dev): an interactive program, never an input of a build. Configuring
uses the hermetic clang as the import does (Kconfig asks the compiler).
"""

import os
import shutil
import subprocess
import sys
import tempfile

from absl import app, flags

from tools.common import lib as common
from tools.kbuild_import import run
from tools.kbuild_import.common import KbuildImportError
from tools.kconfig_edit import lib

_ACTION = flags.DEFINE_enum("action", None, ["menuconfig", "olddefconfig", "savedefconfig"], "What to run.",
                            required=True)
_NAME = flags.DEFINE_string("name", "kernel", "The kernel_config's name (in messages).")
_SRCTREE_FILE = flags.DEFINE_string("srctree_file", None, "The kernel tree's top Makefile.", required=True)
_CLANG = flags.DEFINE_string("clang", None, "The hermetic clang (its directory has ld.lld, llvm-ar, ...).",
                             required=True)
_SYSROOT_FILE = flags.DEFINE_string("sysroot_file", None, "A file at the top of the pinned sysroot.", required=True)
_ARCH = flags.DEFINE_string("arch", None, "ARCH.", required=True)
_DEFCONFIG_TARGET = flags.DEFINE_string("defconfig_target", None, "The *config target the config starts from.")
_DEFCONFIG = flags.DEFINE_string("defconfig", None, "The defconfig file the config starts from.")
_FRAGMENTS = flags.DEFINE_multi_string("fragment", [], "A fragment, in order (repeat).")
_LTO = flags.DEFINE_enum("lto", "none", ["none", "thin", "full"], "The LTO choice applied last.")
_OUT = flags.DEFINE_string("out", None, "Write here instead of the last fragment (or the defconfig file).")
_DEFCONFIG_OUT = flags.DEFINE_string("defconfig_out", None, "Also write `make savedefconfig`'s file here.")
_MAKE = flags.DEFINE_string("make", "/usr/bin/make", "GNU make.")
_PATH = flags.DEFINE_string("path", "/usr/bin:/bin", "PATH for make's recipes.")
_HOST_CC = flags.DEFINE_string("host_cc", "/usr/bin/cc", "The host C compiler that builds mconf (menuconfig).")

# What mconf needs from the terminal's environment.
_TERMINAL_ENV = ("TERM", "TERMINFO", "LINES", "COLUMNS", "MENUCONFIG_COLOR", "MENUCONFIG_MODE")


def _fail(message):
    sys.exit(f"kconfig_edit: {message}")


def _workspace_file(runfile, what):
    """The workspace file behind a runfile, or an error naming the fix."""
    ws = os.environ.get("BUILD_WORKSPACE_DIRECTORY")
    real = os.path.realpath(runfile)
    if not ws:
        raise app.UsageError("no BUILD_WORKSPACE_DIRECTORY: start it with `bazel run`, or give --out=FILE")
    ws = os.path.realpath(ws)
    if not real.startswith(ws + "/"):
        _fail(f"{what} {real} is not in your workspace {ws}: copy it into the workspace and name it in "
              f"kernel_config, or give -- --out=FILE")
    return real


def _options(objtree):
    llvm = os.path.dirname(os.path.realpath(_CLANG.value))
    sysroot = os.path.dirname(os.path.realpath(_SYSROOT_FILE.value))
    tools = {flag: os.path.join(llvm, tool) for flag, tool in [
        ("clang", "clang"), ("ld", "ld.lld"), ("ar", "llvm-ar"), ("nm", "llvm-nm"), ("objcopy", "llvm-objcopy"),
        ("objdump", "llvm-objdump"), ("readelf", "llvm-readelf"), ("strip", "llvm-strip")]}
    tools["hostcc"] = f"{tools['clang']} --sysroot={sysroot} -fuse-ld=lld -Qunused-arguments"
    tools["hostld"], tools["hostar"] = tools["ld"], tools["ar"]
    return run.Options(src=os.path.dirname(os.path.realpath(_SRCTREE_FILE.value)), objtree=objtree, arch=_ARCH.value,
                       tools=tools, make=_MAKE.value, path=_PATH.value, jobs=2,
                       build_env={"KBUILD_BUILD_TIMESTAMP": "Thu Jan  1 00:00:00 UTC 1970",
                                  "KBUILD_BUILD_USER": "kbuild", "KBUILD_BUILD_HOST": "kbuild",
                                  "KBUILD_BUILD_VERSION": "1"})


def _configure(opts, fragments):
    return run.configure(opts, config_text=run.read_text(_DEFCONFIG.value) if _DEFCONFIG.value else None,
                         defconfig_target=_DEFCONFIG_TARGET.value, fragments=fragments, lto=_LTO.value)


def _savedefconfig(opts):
    run.run_make(opts, ["savedefconfig"])
    return run.read_text(os.path.join(opts.objtree, "defconfig"))


def _menuconfig(opts):
    if not os.path.exists(_HOST_CC.value):
        _fail(f"menuconfig builds mconf with the host's C compiler and ncurses: {_HOST_CC.value} is missing "
              "(Debian: apt-get install gcc libncurses-dev)")
    env = run.env(opts)
    env.update({k: os.environ[k] for k in _TERMINAL_ENV if k in os.environ})
    argv = run.make_argv(opts, ["menuconfig"]) + [f"HOSTCC={_HOST_CC.value}", "HOSTLDFLAGS=", "HOSTPKG_CONFIG=pkg-config"]
    if subprocess.run(argv, cwd=opts.objtree, env=env, check=False).returncode != 0:
        _fail("make menuconfig failed (see above; it needs the host's ncurses: apt-get install libncurses-dev)")
    # Normalize what mconf saved with the hermetic toolchain, as the import will.
    run.run_make(opts, ["olddefconfig"])


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    if bool(_DEFCONFIG.value) == bool(_DEFCONFIG_TARGET.value):
        raise app.UsageError("give exactly one of --defconfig and --defconfig_target")
    if _OUT.value:
        target = os.path.abspath(_OUT.value)
    elif _FRAGMENTS.value:
        target = _workspace_file(_FRAGMENTS.value[-1], "the last fragment")
    elif _DEFCONFIG.value:
        target = _workspace_file(_DEFCONFIG.value, "the defconfig file")
    else:
        _fail(f"{_NAME.value} starts from `make {_DEFCONFIG_TARGET.value}` and has no fragment to write the "
              "result to: add fragments = [\"//:my.config\"] (an empty file) to its kernel_config, or give -- --out=FILE")
    fragments = [(p, run.read_text(p)) for p in _FRAGMENTS.value]
    tmp = tempfile.mkdtemp(prefix="kconfig_edit.")
    try:
        opts = _options(os.path.join(tmp, "obj"))
        try:
            base_min = None
            if fragments and _ACTION.value == "savedefconfig":  # the base: all but the last fragment
                _configure(opts, fragments[:-1])
                base_min = _savedefconfig(opts)
            _configure(opts, fragments)
            current_min = _savedefconfig(opts)
            if _ACTION.value == "menuconfig":
                _menuconfig(opts)
            edited_full = run.read_text(os.path.join(opts.objtree, ".config"))
            edited_min = _savedefconfig(opts)
            if _DEFCONFIG_OUT.value:
                common.write_atomically(os.path.abspath(_DEFCONFIG_OUT.value), edited_min.encode())
            if fragments:
                old = fragments[-1][1]
                if base_min is not None:
                    diff = lib.changes(base_min, edited_min, edited_full, listed_only=True)
                else:
                    diff = lib.changes(current_min, edited_min, edited_full)
                new, report = _fixpoint(tmp, fragments[:-1], target, old, diff, edited_full,
                                        minimal=base_min is not None)
            else:
                old = run.read_text(_DEFCONFIG.value)
                new = lib.defconfig_text(edited_min, old)
                report = [l for l in new.splitlines() if l not in old.splitlines()]
                report += [f"{l} -> removed" for l in old.splitlines() if l not in new.splitlines()]
                got = run.configure(_options(os.path.join(tmp, "check")), config_text=new, defconfig_target=None,
                                    fragments=[], lto=_LTO.value)
                bad = lib.mismatches(edited_full, got)
                if bad:
                    _fail(f"configuring from the new {target} would differ from the edited .config in "
                          f"{len(bad)} symbol(s), first {bad[0]}; nothing written")
        except KbuildImportError as e:
            _fail(str(e))
        if new == old and not _OUT.value:
            print(f"{_ACTION.value}: {target}: no change", file=sys.stderr)
            return
        common.write_atomically(target, new.encode())
        print(f"{_ACTION.value}: wrote {target} ({len(report)} change{'s' if len(report) != 1 else ''}; "
              "configuring from it gives the edited .config):", file=sys.stderr)
        for line in report:
            print("  " + line, file=sys.stderr)
        if new != old:
            print("The next build re-imports this kernel (its config inputs changed).", file=sys.stderr)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _fixpoint(tmp, earlier, target, old, diff, edited_full, *, minimal):
    """The last fragment rewritten (lib.merge_fragment), plus what configuring from it needs
    to give edited_full (a few rounds of configure: a line savedefconfig would drop may be
    needed after all); (text, report). Fails when it cannot get there."""
    extra = {}
    for i in range(5):
        text, report = lib.merge_fragment(old, {**diff, **extra}, edited_full, minimal=minimal)
        check = _options(os.path.join(tmp, f"check{i}"))
        try:
            got = _configure(check, earlier + [(target, text)])
        except KbuildImportError:  # an assignment that does not hold yet: compare the .config
            dotconfig = os.path.join(check.objtree, ".config")
            if not os.path.exists(dotconfig):
                raise
            got = run.read_text(dotconfig)
        if not lib.mismatches(edited_full, got):
            return text, report
        missing = lib.missing_assignments(edited_full, got)
        if not missing:
            break
        extra.update(missing)
    _fail(f"configuring from the new {target} would differ from the edited .config: "
          f"{lib.mismatches(edited_full, got)[0]}; nothing written")


if __name__ == "__main__":
    common.run(main, "kconfig_edit")
