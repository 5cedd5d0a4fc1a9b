"""Makes an EFI stub object X.stub.o from X.o as Kbuild 6.1's cmd_stubcopy does.

    stubcopy.py --strip=llvm-strip --objdump=llvm-objdump --objcopy=llvm-objcopy \\
        --src=X.o --out=X.stub.o --name=drivers/firmware/efi/libstub/X.stub.o \\
        --strip_flag=--strip-debug --reject_reloc=R_X86_64_64 \\
        --objcopy_flag=--remove-section=.note.gnu.property

fails with Kbuild's message ("X.stub.o: absolute symbol references not allowed in the
EFI stub") when the debug-stripped object has a relocation matching --reject_reloc,
else writes objcopy of X.o with the --objcopy_flag flags (lib.py).
"""

import sys

from absl import app, flags

from tools.common import lib as common
from tools.stubcopy import lib

_STRIP = flags.DEFINE_string("strip", None, "Path to llvm-strip.", required=True)
_OBJDUMP = flags.DEFINE_string("objdump", None, "Path to llvm-objdump.", required=True)
_OBJCOPY = flags.DEFINE_string("objcopy", None, "Path to llvm-objcopy.", required=True)
_SRC = flags.DEFINE_string("src", None, "The compiled object (X.o).", required=True)
_OUT = flags.DEFINE_string("out", None, "Output X.stub.o.", required=True)
_NAME = flags.DEFINE_string("name", None, "X.stub.o as Kbuild names it, for the message.", required=True)
_STRIP_FLAGS = flags.DEFINE_multi_string("strip_flag", [], "A strip flag of the check (repeat).")
_RELOC = flags.DEFINE_string("reject_reloc", None, "Relocation type pattern the stub must not have.", required=True)
_OBJCOPY_FLAGS = flags.DEFINE_multi_string("objcopy_flag", [], "An objcopy flag, in order (repeat).")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    try:
        lib.stubcopy(strip=_STRIP.value, objdump=_OBJDUMP.value, objcopy=_OBJCOPY.value, src=_SRC.value,
                     out=_OUT.value, name=_NAME.value, strip_flags=_STRIP_FLAGS.value,
                     reject_reloc=_RELOC.value, objcopy_flags=_OBJCOPY_FLAGS.value)
    except lib.StubError as e:
        sys.exit(f"stubcopy: {e}")


if __name__ == "__main__":
    common.run(main, "stubcopy")
