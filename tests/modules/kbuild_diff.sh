#!/usr/bin/env bash
# Compares the in-tree modules Bazel built (a kernel_modules output directory) with the
# ones Kbuild built from the same tree, config and LLVM (`make ... vmlinux modules`).
#
#   kbuild_diff.sh [--ko] OURS KBUILD
#
# OURS: e.g. bazel-bin/external/linux_arm64_none/modules_none (or the ST- directory
# `bazel build //:modules` prints). KBUILD: Kbuild's object tree. Compares
# modules.order, Module.symvers, modules.builtin{,.modinfo} and every <module>.mod.c byte
# for byte; with --ko also
# every <module>.o and .ko (expected identical without LTO; with LTO lld's output may
# legitimately differ from the distributed backends'; build thin with
# --//:config_slices=exact for Kbuild's bitcode: no slices, no srcloc plugin). Prints one line per file and
# `N identical, N different`; exits 1 on any difference or missing file.
set -euo pipefail

ko=0
case "${1:-}" in --ko) ko=1; shift ;; esac
[ $# -eq 2 ] || { sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
ours="$1" kbuild="$2"
[ -f "$ours/modules.order" ] || { echo "kbuild_diff: $ours/modules.order: not found (build //:modules first)" >&2; exit 2; }
[ -f "$kbuild/modules.order" ] || { echo "kbuild_diff: $kbuild/modules.order: not found (run make modules in that tree)" >&2; exit 2; }

same=0 diff=0
check() {
  if [ ! -f "$ours/$1" ] || [ ! -f "$kbuild/$1" ]; then
    echo "MISSING $1"; diff=$((diff + 1))
  elif cmp -s "$ours/$1" "$kbuild/$1"; then
    echo "same    $1"; same=$((same + 1))
  else
    echo "DIFFERS $1"; diff=$((diff + 1))
  fi
}
check modules.order
check Module.symvers
check modules.builtin
check modules.builtin.modinfo
while read -r k; do
  m="${k%.ko}"
  check "$m.mod.c"
  if [ "$ko" = 1 ]; then
    check "$m.o"
    check "$k"
  fi
done < "$kbuild/modules.order"
echo "$same identical, $diff different"
[ "$diff" = 0 ]
