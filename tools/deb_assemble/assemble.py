"""Assembles a relocatable LLVM (or QEMU) prefix from unpacked Debian packages.

    assemble.py --root UNPACKED --out DIR --prefix usr/lib/llvm-19 --tool clang --tool lld ...
    assemble.py --root UNPACKED --out DIR/usr --prefix usr --tool qemu-system-x86_64 \
        --module usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so=lib/... --data usr/share/qemu=share/qemu

Standard library only: the repository rule runs it with the pinned interpreter before any
wheel exists.
"""

import os
import sys

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from tools.common import lib as common  # noqa: E402
from tools.deb_assemble import lib  # noqa: E402


def main(argv=None):
    parser = common.ArgumentParser(prog="deb_assemble", description=__doc__.splitlines()[0])
    parser.add_argument("--root", help="directory of the unpacked packages")
    parser.add_argument("--out", help="directory to assemble bin/ and lib/ in")
    parser.add_argument("--prefix", help="LLVM prefix inside --root, e.g. usr/lib/llvm-19")
    parser.add_argument("--tool", action="append", default=[], help="NAME or NAME=LLVM_BIN_NAME")
    parser.add_argument("--data", action="append", default=[], help="SRC[=DEST]: a file or tree to copy as is")
    parser.add_argument("--module", action="append", default=[], help="SRC[=DEST]: a dlopen()ed shared object")
    parser.add_argument("--allow-host-libs", action="store_true", help="local LLVM installs: skip the closure check")
    parser.add_argument("--relative-symlinks", metavar="DIR", help="only rewrite absolute symlinks under DIR")
    parser.add_argument("--zip-tree", nargs=2, metavar=("DIR", "ZIP"), help="only move DIR's files into ZIP")
    parser.add_argument("--keep", action="append", default=[], help="with --zip-tree: paths below DIR to leave")
    parser.add_argument("--compile", action="store_true", help="with --zip-tree: byte-compile DIR's .py first (by this interpreter)")
    args = parser.parse_args(argv)
    try:
        if args.zip_tree:
            if args.compile:
                lib.compile_tree(args.zip_tree[0], args.keep)
            lib.zip_tree(args.zip_tree[0], args.zip_tree[1], args.keep)
            return
        if args.relative_symlinks:
            lib.relative_symlinks(args.relative_symlinks)
            return
        if not (args.root and args.out and args.prefix and args.tool):
            parser.error("--root, --out, --prefix and --tool are required")
        lib.assemble_llvm(args.root, args.out, args.prefix, args.tool, args.allow_host_libs,
                          args.data, args.module)
    except lib.AssembleError as e:
        sys.exit(f"deb_assemble: {e}")
    except OSError as e:
        sys.exit(f"deb_assemble: {common.os_error_message(e)}")


if __name__ == "__main__":
    common.run_plain(main, "deb_assemble")
