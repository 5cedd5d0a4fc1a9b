"""KernelConfigCheck: an object preprocesses the same with its config slice as with autoconf.h.

    check.py --clang=clang --slice_include=DIR --name=kernel/printk/printk.o --out=STAMP \\
        -- FLAGS... SOURCE

runs `clang -E -P FLAGS SOURCE` (the full autoconf.h, through the flags' -I$(objtree)/include)
and `clang -E -P -IDIR FLAGS SOURCE` (DIR/generated/autoconf.h, the slice) and fails with one
line naming the first differing output line; writes an empty stamp when they are equal.
"""

import subprocess
import sys

from absl import app, flags

from tools.common import lib as common
from tools.config_slice import lib

_CLANG = flags.DEFINE_string("clang", None, "Path to clang.", required=True)
_SLICE = flags.DEFINE_string("slice_include", None, "The slice's include directory.", required=True)
_NAME = flags.DEFINE_string("name", None, "The object, for the message.", required=True)
_OUT = flags.DEFINE_string("out", None, "The stamp.", required=True)


def _preprocess(argv, name):
    res = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if res.returncode != 0:
        err = res.stderr.decode(errors="replace").strip().splitlines()
        sys.exit(f"config_slice_check: {name}: clang -E failed: {err[0] if err else res.returncode}")
    return res.stdout.decode(errors="replace")


def main(argv):
    rest = argv[1:]
    if not rest:
        raise app.UsageError("no compile flags and source after --")
    full = _preprocess([_CLANG.value, "-E", "-P"] + rest, _NAME.value)
    sliced = _preprocess([_CLANG.value, "-E", "-P", "-I" + _SLICE.value] + rest, _NAME.value)
    diff = lib.first_difference(full, sliced)
    if diff:
        sys.exit("config_slice_check: " + lib.difference_message(_NAME.value, diff))
    with common.atomic_output(_OUT.value, "w") as f:
        f.write("")


if __name__ == "__main__":
    common.run(main, "config_slice_check")
