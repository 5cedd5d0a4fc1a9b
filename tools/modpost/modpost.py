"""Linux 6.1's scripts/mod/modpost in Python: a drop-in for Kbuild's command line.

Kbuild runs (scripts/Makefile.modpost), in the object tree:

    sed 's/ko$/o/' modules.order | modpost [-m] [-a] [-E] [-N] [-W] [-w] [-n] \\
        [-e] [-i Module.symvers]... [-d modules.nsdeps] -o Module.symvers -T - [vmlinux.o]

and this tool takes the same short options, in any order, as upstream's getopt
does ("ei:mnT:o:aWwENd:"): -m CONFIG_MODVERSIONS, -a CONFIG_MODULE_SRCVERSION_ALL,
-E section mismatches are errors, -N missing namespace imports are warnings,
-W extra warnings (W=1), -w unresolved symbols are warnings, -n ignore missing
objects, -e external modules, -i read a symbol dump, -o write one, -d write
missing namespace dependencies, -T read object names from a file ("-": stdin).
It writes what upstream writes (<module>.mod.c, .vmlinux.export.c, the -o and -d
files) relative to the working directory, prints the same diagnostics to stderr
and exits with the same status (0, or 1 on any error).

Upstream's option syntax is getopt's, not absl's, so main() receives argv as is.
"""

import sys

from absl import flags

from tools.common import lib as common
from tools.modpost import lib


def _keep_argv(argv):
    """absl's flags are marked parsed (there are none); argv goes to main untouched."""
    flags.FLAGS(argv[:1])
    return argv


def main(argv):
    sys.exit(lib.main(argv[1:], sys.stdin.buffer, sys.stderr.buffer))


if __name__ == "__main__":
    common.run(main, "modpost", flags_parser=_keep_argv)
