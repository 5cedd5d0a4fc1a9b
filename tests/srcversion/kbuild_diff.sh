#!/usr/bin/env bash
# Differential test of srcversion (issue 9, docs/defconfig-steps.md 7.4): in-tree modules
# with MODULE_VERSION, built by Bazel for @linux_x86_64_srcv (tiny x86_64 +
# configs/srcversion.config: xz_dec.ko of four parts with lib/xz/'s private headers,
# xz_dec_test.ko), against Kbuild's own `make vmlinux modules` of the same .config with the
# same LLVM.
#
#   tests/srcversion/kbuild_diff.sh [--quick] [--work=DIR] [--keep]
#
# Builds @linux_x86_64_srcv_none//:modules_none, then in a fresh object tree (WORK, default
# a mktemp directory): the import's .config, `make olddefconfig` (must not change it), `make
# vmlinux modules` (LLVM=<the hermetic LLVM>/, HOSTCC its clang on the pinned sysroot, fixed
# KBUILD_BUILD_*). Prints each module's srcversion on both sides, then compares through
# tests/modules/kbuild_diff.sh --ko (modules.order, Module.symvers, every .mod.c: its
# MODULE_INFO(srcversion, ...), every module .o and .ko) and exits 1 on any difference or
# when Kbuild's side has no srcversion at all. Kbuild's make: ~15-20 min on 2 loaded cores.
# --quick: Kbuild builds only `prepare` and the modules' directory (lib/xz/: its parts, their
# .cmd files from fixdep, xz_dec.o, the .mod files), then Kbuild's own scripts/mod/modpost -w
# (no vmlinux.o: unresolved symbols are warnings) writes the .mod.c files; compares the
# srcversion lines only (~3 min).
set -euo pipefail
cd "$(dirname "$0")/../.."
work="" keep=0 quick=0
for a in "$@"; do
  case "$a" in
    --quick) quick=1 ;;
    --work=*) work="${a#*=}" ;;
    --keep) keep=1 ;;
    *) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2 ;;
  esac
done
repo=linux_x86_64_srcv_none
target=@$repo//:modules_none
bazel=./bazel
"$bazel" build "$target" >/dev/null 2>&1 ||
  { "$bazel" build "$target" 2>&1 | tail -20; echo "FAIL build $target"; exit 1; }
ob=$("$bazel" info output_base 2>/dev/null)
out=$("$bazel" info output_path 2>/dev/null)
src="$ob/external/linux"
llvm="$ob/external/kernel_llvm/bin"
config="$ob/external/$repo/obj/.config"
[ -f "$config" ] || { echo "kbuild_diff: $config: not found" >&2; exit 2; }
# The kernel rules transition to their own platform: the newest output directory that has them.
order=$(ls -1t "$out"/*/bin/external/"$repo"/modules_none/modules.order 2>/dev/null | head -1)
[ -n "$order" ] || { echo "FAIL $target: no output directory has modules.order"; exit 1; }
ours=$(dirname "$order")

if [ -z "$work" ]; then work=$(mktemp -d /tmp/srcv-kbuild.XXXXXX); fi
[ "$keep" = 1 ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"
cp "$config" "$work/.config"
# Host programs (objtool needs libelf) as the import builds them: the hermetic clang on the pinned sysroot.
sysroot="$ob/external/kernel_sysroot"
mk=(nice -n 10 make -C "$src" O="$work" ARCH=x86_64 LLVM="$llvm/" -j2
    HOSTCC="$llvm/clang --sysroot=$sysroot -fuse-ld=lld -Qunused-arguments" HOSTLD="$llvm/ld.lld"
    HOSTAR="$llvm/llvm-ar" HOSTCXX=false HOSTPKG_CONFIG=false "HOSTLDFLAGS=-static -lz -lzstd"
    "KBUILD_BUILD_TIMESTAMP=Thu Jan  1 00:00:00 UTC 1970" KBUILD_BUILD_USER=kbuild KBUILD_BUILD_HOST=kbuild KBUILD_BUILD_VERSION=1)
start=$(date +%s)
"${mk[@]}" olddefconfig >"$work/make.log" 2>&1 || { tail -20 "$work/make.log"; echo "FAIL make olddefconfig"; exit 1; }
cmp -s "$config" "$work/.config" || { echo "FAIL olddefconfig changed the import's .config"; exit 1; }
if [ "$quick" = 1 ]; then
  "${mk[@]}" prepare lib/xz/ >>"$work/make.log" 2>&1 || { tail -20 "$work/make.log"; echo "FAIL make prepare lib/xz/"; exit 1; }
  cp "$work/lib/xz/modules.order" "$work/modules.order"
  (cd "$work" && sed 's/ko$/o/' modules.order | scripts/mod/modpost -w -T - -o Module.symvers.srcv) >>"$work/make.log" 2>&1 ||
    { tail -5 "$work/make.log"; echo "FAIL Kbuild's modpost"; exit 1; }
  echo "Kbuild's make prepare lib/xz/ + modpost: $(( $(date +%s) - start )) s"
else
  "${mk[@]}" vmlinux modules >>"$work/make.log" 2>&1 || { tail -20 "$work/make.log"; echo "FAIL make vmlinux modules"; exit 1; }
  echo "Kbuild's make vmlinux modules: $(( $(date +%s) - start )) s"
fi

fail=0 versions=0 same=""
while read -r k; do
  m="${k%.ko}.mod.c"
  theirs=$(sed -n 's/^MODULE_INFO(srcversion, "\(.*\)");$/\1/p' "$work/$m")
  mine=$(sed -n 's/^MODULE_INFO(srcversion, "\(.*\)");$/\1/p' "$ours/$m" 2>/dev/null || true)
  [ -z "$theirs" ] || versions=$((versions + 1))
  if [ "$theirs" = "$mine" ]; then same=same; else same=DIFFERS; fail=1; fi
  echo "$same srcversion ${k%.ko}: Kbuild ${theirs:-none}, ours ${mine:-none}"
done < "$work/modules.order"
[ "$versions" -gt 0 ] || { echo "FAIL Kbuild wrote no srcversion: the config has no MODULE_VERSION module"; fail=1; }
[ "$quick" = 1 ] || tests/modules/kbuild_diff.sh --ko "$ours" "$work" || fail=1
exit $fail
