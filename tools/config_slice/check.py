"""KernelConfigCheck: an object preprocesses the same with its config slice as with autoconf.h.

    check.py --clang=clang --slice_include=DIR --name=kernel/printk/printk.o --out=STAMP \\
        -- FLAGS... SOURCE

runs `clang -E -P FLAGS SOURCE` (the full autoconf.h, through the flags' -I$(objtree)/include)
and `clang -E -P -IDIR FLAGS SOURCE` (DIR/generated/autoconf.h, the slice) and fails with one
line naming the first differing output line; writes an empty stamp when they are equal.
With --fixdep and --symbols, also runs Kbuild's fixdep on the first run's depfile and fails
unless every include/config/<S> it names is in the object's footprint (ours recompile on a
toggle wherever Kbuild's would).
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
_FIXDEP = flags.DEFINE_string("fixdep", None, "Kbuild's scripts/basic/fixdep (built by the import): check that "
                              "its symbols for the object are in --symbols.")
_SYMBOLS = flags.DEFINE_string("symbols", None, "The object's config footprint, one symbol a line.")


def _preprocess(argv, name):
    res = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if res.returncode != 0:
        err = res.stderr.decode(errors="replace").strip().splitlines()
        sys.exit(f"config_slice_check: {name}: clang -E failed: {err[0] if err else res.returncode}")
    return res.stdout.decode(errors="replace")


def _check_fixdep(depfile):
    """Kbuild's fixdep on the full preprocessing's depfile: its include/config/ symbols must
    be in the footprint, or we would not recompile where Kbuild does."""
    res = subprocess.run([_FIXDEP.value, depfile, _NAME.value, "cc"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, check=False)
    if res.returncode != 0:
        sys.exit(f"config_slice_check: {_NAME.value}: fixdep failed: {res.stderr.decode(errors='replace').strip()}")
    with open(_SYMBOLS.value, encoding="utf-8") as f:
        ours = set(f.read().split())
    missing = lib.fixdep_symbols(res.stdout.decode(errors="replace")) - ours
    if missing:
        sys.exit("config_slice_check: " + lib.missing_message(_NAME.value, missing))


def main(argv):
    rest = argv[1:]
    if not rest:
        raise app.UsageError("no compile flags and source after --")
    depfile = _OUT.value + ".d"
    dep_flags = ["-MD", "-MF", depfile, "-MT", _NAME.value] if _FIXDEP.value else []
    full = _preprocess([_CLANG.value, "-E", "-P"] + dep_flags + rest, _NAME.value)
    if _FIXDEP.value:
        _check_fixdep(depfile)
    sliced = _preprocess([_CLANG.value, "-E", "-P", "-I" + _SLICE.value] + rest, _NAME.value)
    diff = lib.first_difference(full, sliced)
    if diff:
        sys.exit("config_slice_check: " + lib.difference_message(_NAME.value, diff))
    with common.atomic_output(_OUT.value, "w") as f:
        f.write("")


if __name__ == "__main__":
    common.run(main, "config_slice_check")
