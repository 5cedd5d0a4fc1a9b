#!/usr/bin/env bash
# Builds the out-of-tree example modules (hello, pair) with Kbuild's `make M=dir` against
# a Kbuild object tree, and compares them with what kernel_module built.
#
#   kbuild_extmod_diff.sh --kbuild=TREE --arch=arm64|x86_64 --llvm=LLVM_BIN_DIR OURS
#
# TREE: a Kbuild object tree of the same config and mode that has run `make modules`
# (e.g. what tests/golden/regen.sh --modules leaves). OURS: bazel-bin/tests/modules after
# `bazel build //tests/modules:hello //tests/modules:pair --platforms=... --//:lto=...`.
# Compares each .mod.c and .ko byte for byte; prints `N identical, N different`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
kbuild="" arch="" llvm="" ours=""
for a in "$@"; do
  case "$a" in
    --kbuild=*) kbuild="${a#*=}" ;;
    --arch=*) arch="${a#*=}" ;;
    --llvm=*) llvm="${a#*=}" ;;
    -*) echo "kbuild_extmod_diff: unknown option $a" >&2; exit 2 ;;
    *) ours="$a" ;;
  esac
done
[ -n "$kbuild" ] && [ -n "$arch" ] && [ -n "$llvm" ] && [ -n "$ours" ] || {
  sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
[ -f "$kbuild/Module.symvers" ] || { echo "kbuild_extmod_diff: $kbuild/Module.symvers: not found (run make modules there)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$here"/hello.c "$here"/pair_a.c "$here"/pair_b.c "$here"/pair.h "$work"/
printf 'obj-m := hello.o pair.o\npair-y := pair_a.o pair_b.o\n' > "$work/Kbuild"
export KBUILD_BUILD_TIMESTAMP="Thu Jan  1 00:00:00 UTC 1970" KBUILD_BUILD_USER=kbuild KBUILD_BUILD_HOST=kbuild KBUILD_BUILD_VERSION=1
make -C "$kbuild" ARCH="$arch" LLVM="$llvm/" M="$work" modules > "$work/make.log" 2>&1 || {
  tail -20 "$work/make.log" >&2; echo "kbuild_extmod_diff: make M= failed" >&2; exit 1; }

same=0 diff=0
for m in hello pair; do
  for f in "$m.mod.c" "$m.ko"; do
    o="$ours/$m/tests/modules/$f"
    if [ ! -f "$o" ]; then echo "MISSING $o"; diff=$((diff + 1))
    elif cmp -s "$o" "$work/$f"; then echo "same    $f"; same=$((same + 1))
    else echo "DIFFERS $f"; diff=$((diff + 1)); fi
  done
done
echo "$same identical, $diff different"
[ "$diff" = 0 ]
