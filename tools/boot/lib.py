"""`bazel run //:boot`: the QEMU command line of an interactive boot (pure parts).

The kernel's console is the serial port, which QEMU's `-nographic` connects to the
terminal (stdio, with QEMU's monitor multiplexed: Ctrl-A x quits, Ctrl-A h lists the keys).
The machine is the boot tests' (tools/boot_test MACHINE_ARGS: QEMU virt + cortex-a57 on
arm64, the PC on x86_64), TCG-only. The kernel command line is `console=<tty> panic=-1`
(a panic ends QEMU, -no-reboot) plus the user's --append.
"""

import os
from typing import List, Mapping, Optional, Sequence

from tools.boot_test.lib import CONSOLE, MACHINE_ARGS


class BootError(Exception):
    """A bad argument; str() is one line naming it and the fix."""


BASE_APPEND = "panic=-1"


def user_path(flag: str, path: str, env: Mapping[str, str], cwd: str) -> str:
    """An absolute path for a file the user named. `bazel run` runs tools in their runfiles
    directory, and tells them where the user was in BUILD_WORKING_DIRECTORY: relative paths
    are relative to that (else to `cwd`)."""
    if not path:
        raise BootError(f"--{flag}: empty path")
    base = env.get("BUILD_WORKING_DIRECTORY") or cwd
    full = os.path.normpath(os.path.join(base, path))
    if not os.path.isfile(full):
        raise BootError(f"--{flag}={path}: no such file ({full}; a relative path is relative to the "
                        "directory bazel was run in)")
    return full


def drive_args(path: str) -> List[str]:
    """QEMU arguments of a virtio disk image (raw, or qcow2 by its extension). The guest sees
    /dev/vda, /dev/vdb, ... in order; its kernel needs CONFIG_VIRTIO_BLK (and PCI)."""
    fmt = "qcow2" if path.endswith(".qcow2") else "raw"
    if "," in path:
        raise BootError(f"--drive={path}: QEMU cannot take a ',' in a file name; rename or link the image")
    return ["-drive", f"file={path},format={fmt},if=virtio"]


def qemu_command(
    qemu: str,
    arch: str,
    kernel: str,
    initrd: Optional[str] = None,
    append: Sequence[str] = (),
    drives: Sequence[str] = (),
    qemu_args: Sequence[str] = (),
    memory: str = "",
) -> List[str]:
    """The interactive QEMU command line for `arch` (a key of MACHINE_ARGS)."""
    if arch not in MACHINE_ARGS:
        raise BootError(f"unknown arch {arch!r} (want one of {', '.join(sorted(MACHINE_ARGS))})")
    machine = list(MACHINE_ARGS[arch])
    if memory:
        i = machine.index("-m")
        machine[i + 1] = memory
    cmdline = " ".join([f"console={CONSOLE[arch]}", BASE_APPEND] + [a.strip() for a in append if a.strip()])
    cmd = [qemu, *machine]
    for d in drives:
        cmd += drive_args(d)
    cmd += [*qemu_args, "-kernel", kernel]
    if initrd:
        cmd += ["-initrd", initrd]
    return cmd + ["-append", cmdline]
