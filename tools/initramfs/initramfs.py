"""Writes a deterministic initramfs (newc cpio), byte for byte as `gen_init_cpio -t 0`.

Pack a gen_init_cpio file list:

    initramfs.py --list=initramfs.list --out=initramfs.cpio [--checksum]

or assemble a boot-test initramfs from busybox-static and kernel modules:

    initramfs.py --arch=arm64 --busybox=busybox --module=a.ko --module=b.ko \\
        --out=initramfs.cpio [--expect_loaded=NAME]... [--write_expect_loaded=FILE]
        [--refused=c.ko]... [--write_list=FILE] [--write_init=FILE] [--write_order=FILE]

The second form packs /bin/busybox (+ applet links), /init (busybox's init, which runs
/etc/init.sh through /etc/inittab), and /lib/modules/<name>.ko in dependency order (the
.modinfo `depends=`); /etc/init.sh insmods them one by one and prints
`kernel_lto: insmod <name> ok` or `... FAILED <status>` for each (`... not loaded <status>`
for a module left out of a non-empty --expect_loaded), then `kernel_lto: init done`, then
powers off. With --shell (`bazel run //:boot`) it does not power off: busybox
init starts a login shell on the serial console's tty (prompt `kernel_lto # `). Each
--refused module is packed as /lib/modules/refused/<name>.ko and insmod-ed after the others;
it must fail (`kernel_lto: insmod <name> refused <status>`; if it loads, a FAILED marker).
--write_order writes the load order, one module name a line.

Errors are one line `initramfs: file:line: what is wrong`, exit 1. Success prints nothing.
"""

import contextlib
import os
import sys

from absl import app, flags

from tools.common import lib as common
from tools.initramfs import lib

_LIST = flags.DEFINE_string("list", None, "A gen_init_cpio file list to pack.")
_CHECKSUM = flags.DEFINE_bool("checksum", False, "Write 070702 headers with data checksums (gen_init_cpio -c).")
_ARCH = flags.DEFINE_enum("arch", None, ["arm64", "x86_64"], "Guest architecture (boot-test initramfs).")
_BUSYBOX = flags.DEFINE_string("busybox", None, "busybox-static for --arch (boot-test initramfs).")
_MODULES = flags.DEFINE_multi_string("module", [], "A kernel module (.ko) to pack and load (repeat).")
_REFUSED = flags.DEFINE_multi_string(
    "refused", [], "A kernel module (.ko) the kernel must refuse to load, e.g. a CRC that disagrees (repeat).")
_OUT = flags.DEFINE_string("out", None, "The archive to write.", required=True)
_WRITE_LIST = flags.DEFINE_string("write_list", None, "Also write the generated file list here.")
_WRITE_INIT = flags.DEFINE_string("write_init", None, "Also write the generated /etc/init.sh here.")
_EXPECT_LOADED = flags.DEFINE_multi_string(
    "expect_loaded", [], "A module that a boot must load (default: all); written to --write_expect_loaded.")
_WRITE_EXPECT_LOADED = flags.DEFINE_string(
    "write_expect_loaded", None, "Write the names of the modules a boot must load here.")
_WRITE_ORDER = flags.DEFINE_string("write_order", None, "Also write the module load order here.")
_SHELL = flags.DEFINE_bool(
    "shell", False, "Interactive: no poweroff after init; a login shell on the serial console.")
_COMMANDS = flags.DEFINE_multi_string(
    "command", [], "A shell line /etc/init.sh runs after loading the modules (repeat; in order).")

# Locations of generated files in the list (no such files exist on disk).
_GEN = "<generated>/"


def _read_file(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise lib.InitramfsError(f"{path}: cannot read: {e.strerror}")


def _write_all(outputs):
    """Writes {path: bytes}, each whole or not at all; on a failure none is left behind."""
    written = []
    try:
        for path, data in outputs.items():
            common.write_atomically(path, data)
            written.append(path)
    except OSError as e:
        for path in written:
            with contextlib.suppress(OSError):
                os.remove(path)
        raise lib.InitramfsError(f"{path}: cannot write: {e.strerror}") from None


def _boot_initramfs():
    if not (_ARCH.value and _BUSYBOX.value):
        raise app.UsageError("give --list, or --arch and --busybox (and --module...)")
    lib.check_static_elf(_BUSYBOX.value, _ARCH.value)
    modules = lib.order_modules([lib.read_modinfo(p) for p in _MODULES.value])
    expected = lib.expected_modules(modules, _EXPECT_LOADED.value)
    refused = [lib.read_modinfo(p) for p in _REFUSED.value]
    names = [m.name for m in refused]
    for m in refused:
        if names.count(m.name) > 1:
            raise lib.InitramfsError(f"{m.path}: module {m.name} is refused twice; give one .ko per name")
    generated = {
        _GEN + "init.sh": lib.init_script(modules, _COMMANDS.value, shell=_SHELL.value, refused=refused,
                                           optional=sorted({m.name for m in modules} - set(expected))).encode(),
        _GEN + "inittab": (lib.shell_inittab(_ARCH.value) if _SHELL.value else lib.INITTAB).encode(),
        _GEN + "profile": lib.SHELL_PROFILE.encode(),
    }
    text = lib.initramfs_list(_BUSYBOX.value, _GEN + "init.sh", _GEN + "inittab", modules,
                              shell_arch=_ARCH.value if _SHELL.value else None, profile=_GEN + "profile",
                              refused=refused)
    entries = lib.parse_list(text, "<generated list>")
    data = lib.write_cpio(entries, lambda loc: generated[loc] if loc in generated else _read_file(loc))
    extra = {}
    if _WRITE_LIST.value:
        extra[_WRITE_LIST.value] = text.encode()
    if _WRITE_INIT.value:
        extra[_WRITE_INIT.value] = generated[_GEN + "init.sh"]
    if _WRITE_EXPECT_LOADED.value:
        extra[_WRITE_EXPECT_LOADED.value] = "".join(f"{n}\n" for n in expected).encode()
    if _WRITE_ORDER.value:
        extra[_WRITE_ORDER.value] = "".join(f"{m.name}\n" for m in modules).encode()
    return data, extra


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    try:
        if _LIST.value:
            if (_ARCH.value or _BUSYBOX.value or _MODULES.value or _REFUSED.value or _EXPECT_LOADED.value
                    or _COMMANDS.value
                    or _SHELL.value or _WRITE_LIST.value
                    or _WRITE_INIT.value or _WRITE_EXPECT_LOADED.value or _WRITE_ORDER.value):
                raise app.UsageError("--list packs a list as it is; drop --arch, --busybox, --module, --refused, "
                                     "--expect_loaded, --command, --shell and the --write_* flags")
            text = _read_file(_LIST.value).decode("utf-8", errors="surrogateescape")
            data = lib.write_cpio(lib.parse_list(text, _LIST.value), _read_file, _CHECKSUM.value)
            extra = {}
        else:
            data, extra = _boot_initramfs()
        _write_all({_OUT.value: data, **extra})
    except lib.InitramfsError as e:
        sys.exit(f"initramfs: {e}")


if __name__ == "__main__":
    common.run(main, "initramfs")
