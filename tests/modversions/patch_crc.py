"""Writes a copy of a kernel module with one `__versions` CRC changed (test-only).

    patch_crc.py --ko=M.ko --symbol=module_layout --out=M.badcrc.ko [--xor=0x1]

The copy is what a module built against a kernel with another prototype for SYMBOL looks
like; the kernel must refuse it ("disagrees about version of symbol SYMBOL").
Errors are one line `patch_crc: file: what is wrong`, exit 1. Success prints nothing.
"""

import sys

from absl import app, flags

from tests.modversions import patch_crc_lib as lib
from tools.common import lib as common

_KO = flags.DEFINE_string("ko", None, "The module (.ko) to copy.", required=True)
_SYMBOL = flags.DEFINE_string("symbol", None, "The symbol whose CRC to change.", required=True)
_OUT = flags.DEFINE_string("out", None, "The patched copy to write.", required=True)
_XOR = flags.DEFINE_string("xor", "0x1", "What to xor the CRC with (nonzero, 32 bits).")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    try:
        xor = int(_XOR.value, 0)
    except ValueError:
        raise app.UsageError(f"--xor={_XOR.value}: not a number")
    try:
        with open(_KO.value, "rb") as f:
            data = f.read()
    except OSError as e:
        sys.exit(f"patch_crc: {_KO.value}: cannot read: {e.strerror}")
    try:
        patched, _, _ = lib.patch_crc(data, _KO.value, _SYMBOL.value, xor)
    except lib.PatchError as e:
        sys.exit(f"patch_crc: {e}")
    common.write_atomically(_OUT.value, patched)


if __name__ == "__main__":
    common.run(main, "patch_crc")
