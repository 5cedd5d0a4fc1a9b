"""Boots a kernel in the pinned QEMU, on this terminal (what `bazel run //:boot` runs).

    bazel run //:boot --platforms=//platforms:arm64 [-- --append='loglevel=8' \\
        --initrd=my.cpio | --drive=rootfs.img --append='root=/dev/vda rw' --qemu_arg=-smp --qemu_arg=2]

The launcher that kernel_boot writes passes --qemu, --arch, --kernel and --initramfs (runfiles
paths, found with bazel-runfiles); the user's own flags follow:

  --append=ARGS     more kernel arguments (after `console=<tty> panic=-1`; repeatable)
  --initrd=PATH     boot this initramfs instead of the kernel's (busybox + its modules)
  --drive=PATH      a virtio disk image (raw, or .qcow2; repeatable); without --initrd the
                    kernel's initramfs is then left out, so the kernel mounts root= itself
  --qemu_arg=ARG    one more QEMU argument (repeatable)
  --memory=SIZE     guest memory (QEMU -m; default 256)
  --print_command   print the QEMU command line instead of running it

The default initramfs loads every module of the kernel, prints `kernel_lto: init done`,
then starts a login shell (prompt `kernel_lto # `) on the console. Leave with `reboot -f`
(QEMU runs with -no-reboot), `poweroff -f` (if the kernel can power off) or Ctrl-A x. Errors are one line `boot: ...`, exit 1.
"""

import os
import shlex
import sys

from absl import app, flags

from tools.boot import lib
from tools.common import lib as common

_QEMU = flags.DEFINE_string("qemu", None, "Runfiles path of qemu-system-* (set by the launcher).", required=True)
_ARCH = flags.DEFINE_enum("arch", None, ["arm64", "x86_64"], "Guest architecture (set by the launcher).", required=True)
_KERNEL = flags.DEFINE_string("kernel", None, "Runfiles path of the kernel image (set by the launcher).", required=True)
_INITRAMFS = flags.DEFINE_string("initramfs", None, "Runfiles path of the kernel's initramfs (set by the launcher).")
_APPEND = flags.DEFINE_multi_string("append", [], "More kernel command-line arguments.")
_INITRD = flags.DEFINE_string("initrd", None, "Your own initramfs (a path), instead of the kernel's.")
_DRIVE = flags.DEFINE_multi_string("drive", [], "A virtio disk image (raw or .qcow2), e.g. a root file system.")
_QEMU_ARG = flags.DEFINE_multi_string("qemu_arg", [], "One more QEMU argument.")
_MEMORY = flags.DEFINE_string("memory", "", "Guest memory (QEMU -m), e.g. 1G.")
_PRINT = flags.DEFINE_bool("print_command", False, "Print the QEMU command line instead of running it.")


def _rlocation(r, flag, path):
    found = r.Rlocation(path)
    if not found or not os.path.exists(found):
        raise lib.BootError(f"--{flag}={path}: not in this tool's runfiles; run it with `bazel run`")
    return found


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]} (flags only: --append='...', --initrd=PATH, ...)")
    from runfiles import runfiles

    try:
        r = runfiles.Create()
        if r is None:
            raise lib.BootError("cannot find the runfiles (no RUNFILES_DIR or RUNFILES_MANIFEST_FILE); run it with `bazel run`")
        qemu = _rlocation(r, "qemu", _QEMU.value)
        kernel = _rlocation(r, "kernel", _KERNEL.value)
        cwd = os.getcwd()
        drives = [lib.user_path("drive", d, os.environ, cwd) for d in _DRIVE.value]
        if _INITRD.value:
            initrd = lib.user_path("initrd", _INITRD.value, os.environ, cwd)
        elif _INITRAMFS.value and not drives:
            initrd = _rlocation(r, "initramfs", _INITRAMFS.value)
        else:
            initrd = None
        cmd = lib.qemu_command(qemu, _ARCH.value, kernel, initrd, _APPEND.value, drives, _QEMU_ARG.value, _MEMORY.value)
    except lib.BootError as e:
        sys.exit(f"boot: {e}")
    if _PRINT.value:
        print(shlex.join(cmd))
        return
    sys.stderr.write(f"boot: {_ARCH.value} kernel in QEMU (TCG); quit with Ctrl-A x, or `reboot -f` in the guest\n")
    sys.stderr.flush()
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    common.run(main, "boot")
