"""Writes the initcall-ordering linker script for a Clang LTO kernel link.

A port of Linux 6.1's scripts/generate_initcall_order.pl with the same output
byte for byte. Kbuild runs the Perl script as

    NM=llvm-nm perl scripts/generate_initcall_order.pl \\
        vmlinux.a arch/arm64/lib/lib.a lib/lib.a > .tmp_initcalls.lds

and the same inputs give the same file here:

    initcall_order.py --nm=path/to/llvm-nm --out=.tmp_initcalls.lds \\
        vmlinux.a arch/arm64/lib/lib.a lib/lib.a

Objects (plain objects, archives or thin archives) come in link order, as
positional arguments or as repeated --object flags (one or the other), and so
may come from a --flagfile.
"""

import sys

from absl import app, flags

from tools.common import lib as common
from tools.initcall_order import lib

_NM = flags.DEFINE_string("nm", None, "Path to llvm-nm (never looked up on PATH).", required=True)
_OUT = flags.DEFINE_string("out", None, "Output linker script.", required=True)
_OBJECTS = flags.DEFINE_multi_string(
    "object", [], "Object, archive or thin archive, in link order (repeat the flag)."
)
_JOBS = flags.DEFINE_integer("jobs", 1, "How many llvm-nm processes to run at once.", lower_bound=1)


def main(argv):
    positional = argv[1:]
    if positional and _OBJECTS.value:
        raise app.UsageError("give objects as positional arguments or as --object, not both")
    objects = positional or _OBJECTS.value
    if not objects:
        raise app.UsageError("no objects given")
    try:
        text = lib.generate_lds(lib.nm_outputs(_NM.value, objects, jobs=_JOBS.value))
    except lib.InitcallError as e:
        sys.exit(f"initcall_order: {e}")
    try:
        common.write_atomically(_OUT.value, text.encode(lib.ENCODING, lib.ERRORS))
    except OSError as e:
        sys.exit(f"initcall_order: {_OUT.value}: cannot write: {e.strerror}")


if __name__ == "__main__":
    common.run(main, "initcall_order")
