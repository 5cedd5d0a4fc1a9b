"""Runs one boot-image step of an imported Kbuild plan (KernelBootStep; lib.py).

    boot_step.py --cmd='$(NM) vmlinux | sed ... > arch/x86/boot/voffset.h' \\
        --srctree=external/linux --tool=NM=.../llvm-nm --input=vmlinux=bazel-out/.../vmlinux \\
        --out_rel=arch/x86/boot/voffset.h --out=bazel-out/.../arch/x86/boot/voffset.h
"""

import sys

from absl import app, flags

from tools.boot_step import lib
from tools.common import lib as common

_CMD = flags.DEFINE_string("cmd", None, "The step's command as the plan has it ($(CC), $(srctree), ...).", required=True)
_SRCTREE = flags.DEFINE_string("srctree", None, "The kernel source tree's directory.", required=True)
_TOOLS = flags.DEFINE_multi_string("tool", [], "VAR=path of a $(VAR) tool (repeat).")
_INPUTS = flags.DEFINE_multi_string("input", [], "REL=path: a file the step reads, at its objtree path REL (repeat).")
_DIRS = flags.DEFINE_multi_string("mkdir", [], "An objtree directory the command may name (repeat).")
_SIZE_OF = flags.DEFINE_multi_string("size_of", [], "An --input whose size $(SIZE_APPEND) counts (repeat).")
_ENV = flags.DEFINE_multi_string("env", [], "NAME=value Kbuild exports to the command (repeat).")
_OUT_REL = flags.DEFINE_string("out_rel", None, "The output's objtree path.", required=True)
_OUT = flags.DEFINE_string("out", None, "Where to write the output.", required=True)
_ALSO = flags.DEFINE_multi_string("also", [], "REL=path: another file the step writes, at its objtree path REL (repeat).")
_NONEMPTY = flags.DEFINE_bool("nonempty", False, "An empty output is an error.")
_ROOTS = flags.DEFINE_multi_string("root", [], "NAME=dir: a directory the command names as $(NAME) (repeat).")
_TOOLS_DIR = flags.DEFINE_string(
    "tools_dir", None, "The pinned shell and tools (@kernel_boot_tools: bin/sh, bin/gzip, ..., lib/).", required=True
)


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    try:
        shell, path, lib_path = lib.tools_paths(_TOOLS_DIR.value)
        lib.run_step(cmd=_CMD.value, srctree=_SRCTREE.value, tools=lib.parse_pairs(_TOOLS.value, "tool"),
                     inputs=lib.parse_pairs(_INPUTS.value, "input"), out_rel=_OUT_REL.value, out=_OUT.value, dirs=_DIRS.value,
                     size_of=_SIZE_OF.value, env=lib.parse_pairs(_ENV.value, "env"),
                     workdir=_OUT.value + ".tree", path=path, shell=shell, lib_path=lib_path,
                     nonempty=_NONEMPTY.value, also=lib.parse_pairs(_ALSO.value, "also"),
                     roots=lib.parse_pairs(_ROOTS.value, "root"))
    except lib.StepError as e:
        sys.exit(f"boot_step: {e}")


if __name__ == "__main__":
    common.run(main, "boot_step")
