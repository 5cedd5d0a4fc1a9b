#!/bin/bash
# The same kernel built by Kbuild itself (make -j2), for comparison with our clean builds.
#
#   bench/kbuild_build.sh OUTPUT_BASE ARCH LTO [JOBS [REPO]]     (LTO: none | thin | full)
#
# Takes the .config of our import (OUTPUT_BASE/external/REPO/obj/.config; REPO defaults to
# linux_ARCH_LTO, a kernel_config import is NAME_LTO, e.g. my_kernel_none) and
# the same hermetic LLVM and sysroot (OUTPUT_BASE/external/kernel_llvm, kernel_sysroot),
# builds in a temporary O= directory and prints one line: ARCH LTO seconds.
# KBUILD_TARGETS overrides what make builds (default: vmlinux, and Image on arm64; `all`
# is what our //:vmlinux + image + //:modules build together).
set -euo pipefail
ob=$1 arch=$2 lto=$3 jobs=${4:-2} repo=${5:-linux_$2_$3}
ext="$ob/external"
cfg="$ext/$repo/obj/.config"
[ -f "$cfg" ] || { echo "kbuild_build: $cfg missing; build //:vmlinux for $arch/$lto first" >&2; exit 1; }
out=$(mktemp -d /tmp/kbuild-bench.XXXXXX)
trap 'rm -rf "$out"' EXIT
cp "$cfg" "$out/.config"
# The differential tests' make (tests/kbuild_make.sh), quiet: only the time matters here.
source "$(dirname "${BASH_SOURCE[0]}")/../tests/kbuild_make.sh"
kbuild_make_argv "$ext" "$out" "$arch"
mk=("${KBUILD_MAKE[@]}" -s)
env -i PATH=/usr/bin:/bin HOME="$out" LC_ALL=C "${mk[@]}" olddefconfig > "$out.log" 2>&1
targets=(vmlinux)
[ "$arch" = arm64 ] && targets+=(Image)
[ -n "${KBUILD_TARGETS:-}" ] && read -r -a targets <<< "$KBUILD_TARGETS"
t0=$(date +%s.%N)
env -i PATH=/usr/bin:/bin HOME="$out" LC_ALL=C "${mk[@]}" -j"$jobs" "${targets[@]}" >> "$out.log" 2>&1 \
  || { tail -20 "$out.log" >&2; exit 1; }
t1=$(date +%s.%N)
printf '%s %s %.0f\n' "$arch" "$lto" "$(echo "$t1 - $t0" | bc)"
rm -f "$out.log"
