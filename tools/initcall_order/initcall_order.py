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

As a Bazel persistent worker (KernelInitcallOrder), it keeps each object's initcalls
between requests, keyed by llvm-nm's and the object's content digests as Bazel sent them
(tools/common/worker.py): after a one-file edit only that object goes through llvm-nm
again (x86_64 defconfig: 2,685 objects, 17 s from nothing).
"""

import os
import sys

from absl import app, flags

from tools.common import lib as common
from tools.common import worker
from tools.initcall_order import lib

_NM = flags.DEFINE_string("nm", None, "Path to llvm-nm (never looked up on PATH).", required=True)
_OUT = flags.DEFINE_string("out", None, "Output linker script.", required=True)
_OBJECTS = flags.DEFINE_multi_string(
    "object", [], "Object, archive or thin archive, in link order (repeat the flag)."
)
_JOBS = flags.DEFINE_integer("jobs", 1, "How many llvm-nm processes to run at once.", lower_bound=1)


# (llvm-nm's digest, object path, object digest) -> its initcalls, for the objects of the
# last request; filled only in a persistent worker.
_KNOWN = {}


def initcalls(nm, objects, jobs, inputs, known):
    """The initcalls of OBJECTS in order; llvm-nm runs only on those KNOWN lacks.

    INPUTS: path -> digest of the request (empty outside a worker: nothing is remembered).
    KNOWN is updated to hold exactly this request's objects that have digests.
    """
    nm_digest = inputs.get(os.path.normpath(nm))
    # An archive's digest does not cover a thin archive's members: archives are never kept.
    keys = {p: (nm_digest, p, inputs[p]) for p in objects if nm_digest and inputs.get(p) and not p.endswith(".a")}
    todo = [p for p in dict.fromkeys(objects) if keys.get(p) not in known]
    fresh = {p: lib.parse_nm_output(p, text) for p, text in lib.nm_outputs(nm, todo, jobs=jobs)}
    calls = [c for p in objects for c in (fresh[p] if p in fresh else known[keys[p]])]
    current = {keys[p]: fresh[p] if p in fresh else known[keys[p]] for p in keys}
    known.clear()
    known.update(current)
    return calls


def main(argv):
    positional = argv[1:]
    if positional and _OBJECTS.value:
        raise app.UsageError("give objects as positional arguments or as --object, not both")
    objects = positional or _OBJECTS.value
    if not objects:
        raise app.UsageError("no objects given")
    try:
        text = lib.render_lds(initcalls(_NM.value, objects, _JOBS.value, worker.current_inputs(), _KNOWN))
    except lib.InitcallError as e:
        sys.exit(f"initcall_order: {e}")
    try:
        common.write_atomically(_OUT.value, text.encode(lib.ENCODING, lib.ERRORS))
    except OSError as e:
        sys.exit(f"initcall_order: {_OUT.value}: cannot write: {e.strerror}")


if __name__ == "__main__":
    common.run(main, "initcall_order")
