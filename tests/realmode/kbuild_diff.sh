#!/usr/bin/env bash
# Differential test of x86's realmode blob (issue 9, docs/defconfig-steps.md section 4.2): every
# output of the plan's `realmode` steps as the actions built them (the objects, pasyms.h,
# realmode.lds, realmode.elf, realmode.relocs, realmode.bin) must equal, byte for byte, what
# Kbuild's own make builds from the same .config with the same LLVM (the -g objects with their
# debug info stripped: Kbuild's DWARF names its trees).
#
#   tests/realmode/kbuild_diff.sh [--repo=linux_x86_64_none] [--work=DIR] [--keep]
#
# tests/vdso/kbuild_diff.sh --section=realmode does the work (see there); ~2-3 min.
set -euo pipefail
exec "$(dirname "$0")/../vdso/kbuild_diff.sh" --section=realmode "$@"
