"""Boots a kernel in QEMU (TCG) and checks its serial console.

    boot_test.py --qemu=/usr/bin/qemu-system-aarch64 --arch=arm64 \\
        --kernel=arch/arm64/boot/Image \\
        --expected_initcalls=tests/golden/initcalls_arm64.txt

The kernel gets `console=<ttyAMA0|ttyS0> initcall_debug ignore_loglevel
panic=-1` (+ --append_extra). The boot passes once every --expect regex has
appeared on the console (default: `Run /bin/sh as init process`, the last line
before a kernel without a root file system panics for want of an init); QEMU is
then stopped. A panic before that, QEMU exiting, or --timeout_secs passing is a
failure. Then the `calling  <fn>+0x.../0x... @ 1` lines of `initcall_debug`
give the initcall sequence, which must equal each --expected_initcalls file (one
name per line; an LTO kernel's PCI fixup stubs `__UNIQUE_ID_<hook><N>` match a
non-LTO kernel's `<hook>`); --write_initcalls writes it (to regenerate a golden).

With --initrd (an initramfs of kernel_initramfs), the boot is over when its init prints
`kernel_lto: init done`; then every --expect regex (none by default) and the
`kernel_lto: insmod <name> ok` marker of every module in --expect_modules must have
appeared, and no `kernel_lto: insmod <name> FAILED` or `<module>: Unknown symbol` line.
Modules' initcalls (`calling  <fn>+0x../0x.. [<module>] @ <pid>`) are not part of the
sequence compared with --expected_initcalls; --write_module_initcalls writes them.

Errors are one line `boot_test: ...` on stderr (a failed boot adds the last
20 console lines, an initcall mismatch the start of a unified diff), exit 1.
Success prints nothing. The console log is written to --serial_log, by default
$TEST_UNDECLARED_OUTPUTS_DIR/serial.log under `bazel test`.
"""

import os
import re
import sys

from absl import app, flags

from tools.boot_test import lib
from tools.common import lib as common

_QEMU = flags.DEFINE_string(
    "qemu", None, "Path to qemu-system-aarch64 / qemu-system-x86_64 (never looked up on PATH).",
    required=True,
)
_ARCH = flags.DEFINE_enum("arch", None, sorted(lib.MACHINE_ARGS), "Guest architecture.", required=True)
_KERNEL = flags.DEFINE_string(
    "kernel", None, "Kernel to boot: arm64 Image; x86_64 vmlinux (PVH entry) or bzImage.",
    required=True,
)
_INITRD = flags.DEFINE_string("initrd", None, "Optional initrd / initramfs (-initrd).")
_APPEND_EXTRA = flags.DEFINE_string("append_extra", "", "Appended to the kernel command line.")
_QEMU_ARGS = flags.DEFINE_multi_string(
    "qemu_arg", [], "Extra QEMU argument, before -kernel (repeat the flag; e.g. -L DIR)."
)
_TIMEOUT = flags.DEFINE_float(
    "timeout_secs", 120, "Give up after this long (QEMU is TCG-only here).", lower_bound=0
)
_EXPECT = flags.DEFINE_multi_string(
    "expect", [lib.DEFAULT_EXPECT], "Regex that must appear on the console (repeat the flag)."
)
_EXPECT_MODULES = flags.DEFINE_string(
    "expect_modules", None,
    "File of module names (one a line) whose `kernel_lto: insmod <name> ok` must appear (with --initrd).",
)
_DONE = flags.DEFINE_string(
    "done_marker", lib.DONE_MARKER, "With --initrd: the regex of the line that ends the boot."
)
_WRITE_MODULE_INITCALLS = flags.DEFINE_string(
    "write_module_initcalls", None, "Write the observed module initcalls (`fn [module]`) here."
)
_EXPECTED_INITCALLS = flags.DEFINE_multi_string(
    "expected_initcalls", [],
    "File with the initcall sequence the kernel must run, one per line (repeat the flag: each).",
)
_WRITE_INITCALLS = flags.DEFINE_string(
    "write_initcalls", None, "Write the observed initcall sequence here (golden regeneration)."
)
_SERIAL_LOG = flags.DEFINE_string(
    "serial_log", None, "Write the console log here (default: $TEST_UNDECLARED_OUTPUTS_DIR/serial.log)."
)


def _fail(message, tail=()):
    lines = [f"boot_test: {message}"]
    if tail:
        lines.append(f"--- last {len(tail)} console lines ---")
        lines.extend(tail)
    sys.exit("\n".join(lines))


def _write(path, text, what):
    try:
        with open(path, "w") as f:
            f.write(text)
    except OSError as e:
        _fail(f"{path}: cannot write {what}: {e.strerror}")


def _read_text(path, what):
    """PATH's text (UTF-8), or a one-line failure naming the file."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        _fail(f"{path}: cannot read: {e.strerror}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        _fail(f"{path}:{line}: not UTF-8 text (byte {data[e.start]:#04x}); want {what}")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    qemu = os.path.abspath(_QEMU.value)  # A bare name is a path, not a PATH lookup.
    if not (os.path.isfile(qemu) and os.access(qemu, os.X_OK)):
        _fail(f"--qemu={_QEMU.value}: not an executable file")
    for flag, path in (("kernel", _KERNEL.value), ("initrd", _INITRD.value)):
        if path is not None and not os.path.isfile(path):
            _fail(f"--{flag}={path}: no such file")
    expected = {
        path: lib.parse_sequence(_read_text(path, "one initcall name a line"))
        for path in _EXPECTED_INITCALLS.value
    }
    expects = list(_EXPECT.value)
    if _INITRD.value:
        # The default (`Run /bin/sh ...`) is the no-initramfs end; an initramfs runs /init.
        expects = list(_EXPECT.value) if flags.FLAGS["expect"].present else []
        if _EXPECT_MODULES.value:
            expects += lib.expect_module_markers(
                lib.parse_sequence(_read_text(_EXPECT_MODULES.value, "one module name a line")))
    elif _EXPECT_MODULES.value:
        _fail("--expect_modules needs --initrd (the initramfs that loads them)")
    try:
        cmd = lib.qemu_command(
            qemu, _ARCH.value, _KERNEL.value, _INITRD.value, _APPEND_EXTRA.value, _QEMU_ARGS.value
        )
        if _INITRD.value:
            watcher = lib.Watcher(expects, done=_DONE.value, failures=lib.FAILURE_PATTERNS)
        else:
            watcher = lib.Watcher(expects)
    except lib.BootError as e:
        _fail(str(e))
    except re.error as e:
        _fail(f"bad --expect or --done_marker regex {e.pattern!r}: {e}")

    try:
        result = lib.run_qemu(cmd, watcher, _TIMEOUT.value)
    except lib.BootError as e:
        _fail(str(e))
    serial_log = _SERIAL_LOG.value or lib.default_serial_log()
    if serial_log:
        _write(serial_log, "".join(f"{l}\n" for l in watcher.lines), "the console log")
    try:
        lib.check_boot(result, watcher, _TIMEOUT.value)
    except lib.BootError as e:
        _fail(str(e), e.tail)

    observed = lib.builtin_initcall_names(watcher.lines)
    if _WRITE_MODULE_INITCALLS.value:
        _write(
            _WRITE_MODULE_INITCALLS.value,
            lib.format_sequence(lib.module_initcall_names(watcher.lines)),
            "the module initcalls",
        )
    if _WRITE_INITCALLS.value:
        _write(_WRITE_INITCALLS.value, lib.format_sequence(observed), "the initcall sequence")
    for path, want in expected.items():
        # An LTO and a non-LTO kernel name PCI fixups differently (lib.match_lto_stubs).
        want, got = lib.match_lto_stubs(want, observed)
        diff = lib.diff_initcalls(want, got, path, "observed")
        if diff:
            sys.exit(
                f"boot_test: initcall sequence differs from {path} "
                f"(expected {len(want)}, observed {len(got)})\n{diff.rstrip()}"
            )


if __name__ == "__main__":
    common.run(main, "boot_test")
