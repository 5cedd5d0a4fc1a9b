"""Shared data for the kbuild_import tests: real `make -n` output of Linux 6.1 arm64.
testdata/ holds lines Kbuild printed for `make -n vmlinux_o` of tinyconfig + serial
console + KALLSYMS + LTO_CLANG_THIN (and + RANDOMIZE_BASE for arch/arm64/kernel/pi),
source tree /work/scratch-kbuild/src, clang 19 at /usr/lib/llvm-19/bin:

  dry_run_snippets.txt     verbatim lines (compiles, archives, generators, link stage)
  mini_dry_run.txt         the same with archive member lists cut down (see its header)
  vars.txt                 the helper makefile's variable dump
  initramfs_data.d         `clang -M` of usr/initramfs_data.o
  initramfs_data.S         a synthetic .S shaped like usr/initramfs_data.S (an .incbin behind a comment)
  calibrate_intree_cmd.txt Kbuild's in-tree (no O=) command for init/calibrate.o
  modules_dry_run.txt      module lines of `make -n KBUILD_MODULES=1 vmlinux_o modules_prepare`
                           (arm64 and x86_64 ThinLTO; see its header)
  modfinal_dry_run.txt     pass 2: Makefile.modpost + Makefile.modfinal (arm64 ThinLTO)
  extmod_pass{1,2}.txt     the two passes over the out-of-tree probe module (x86_64 ThinLTO)
"""

import os

from tools.kbuild_import.common import RESOURCE_DIR
from tools.kbuild_import.dryrun import parse_dry_run
from tools.kbuild_import.placeholders import Roots

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = "/work/scratch-kbuild/src"
OBJ = "/work/scratch-kbuild/obj"
BIN = "/usr/lib/llvm-19/bin"
TOOLS = {
    "clang": f"{BIN}/clang", "ld": f"{BIN}/ld.lld", "ar": f"{BIN}/llvm-ar", "nm": f"{BIN}/llvm-nm",
    "objcopy": f"{BIN}/llvm-objcopy", "objdump": f"{BIN}/llvm-objdump", "readelf": f"{BIN}/llvm-readelf",
    "strip": f"{BIN}/llvm-strip", "hostcc": f"{BIN}/clang",
}
ROOTS = Roots(SRC, OBJ, (("/usr/lib/llvm-19/lib/clang/19", RESOURCE_DIR),))
LDS = "arch/arm64/kernel/vmlinux.lds"


def read_testdata(name):
    with open(os.path.join(HERE, "testdata", name)) as f:
        return f.read()


def dry_run_steps(name="dry_run_snippets.txt"):
    return parse_dry_run(read_testdata(name))


def find_step(steps, target, tag=None):
    found = [s for s in steps if s.target == target and (tag is None or s.tag == tag)]
    assert len(found) == 1, (target, found)
    return found[0]




# A .config excerpt (thin LTO, kallsyms) for config and plan tests.
CONFIG = ("CONFIG_CC_VERSION_TEXT=\"Debian clang version 19.1.7 (3~deb12u1)\"\nCONFIG_CLANG_VERSION=190107\n"
          "CONFIG_LLD_VERSION=190107\nCONFIG_KALLSYMS=y\nCONFIG_KALLSYMS_BASE_RELATIVE=y\nCONFIG_LTO_CLANG=y\n"
          "# CONFIG_LTO_NONE is not set\nCONFIG_LTO_CLANG_THIN=y\nCONFIG_LOG_BUF_SHIFT=17\n")

