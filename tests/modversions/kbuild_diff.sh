#!/usr/bin/env bash
# Differential test of a CONFIG_MODVERSIONS kernel (issue 11 part 3): what Bazel built for
# @linux_x86_64_modv (KernelSymversions, modpost -m, .vmlinux.export.o) against Kbuild's own
# `make vmlinux modules` of the same .config with the same LLVM.
#
#   tests/modversions/kbuild_diff.sh [--mode=none|thin_dist|thin] [--work=DIR [--reuse]] [--keep]
#
# Builds //tests/modversions:modversions_x86_64_<mode>_test (the kernel and its modules as
# the boot test reaches them), then in a fresh object tree (WORK, default a mktemp
# directory): the import's .config, `make olddefconfig` (must not change it), `make vmlinux
# modules` (LLVM=<the hermetic LLVM>/, HOSTCC its clang on the pinned sysroot, fixed
# KBUILD_BUILD_*). Compares, byte for
# byte: .vmlinux.export.c (every SYMBOL_CRC of vmlinux), and through tests/modules/kbuild_diff.sh
# modules.order, Module.symvers (with the CRCs), modules.builtin{,.modinfo}, every M.mod.c
# (its ____versions[]); with --mode=none also every module's .o and .ko. Then
# extmod_diff.sh in that tree (the out-of-tree modules against Kbuild's `make M=`). Prints
# one line per file, the number of `____versions` entries, and `N identical, N different`;
# exits 1 on any difference. --reuse: WORK already holds Kbuild's build of this .config (from
# an earlier --keep run, same LTO choice): compare with it, make nothing. Kbuild's make: ~25 min
# (none) to ~30 min (thin) on 2 loaded cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
mode=none work="" keep=0 reuse=0
for a in "$@"; do
  case "$a" in
    --mode=*) mode="${a#*=}" ;;
    --work=*) work="${a#*=}" ;;
    --keep) keep=1 ;;
    --reuse) reuse=1 keep=1 ;;
    *) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2 ;;
  esac
done
case "$mode" in
  none) repo=linux_x86_64_modv_none ko=--ko ;;
  thin_dist | thin) repo=linux_x86_64_modv_thin ko="" ;;
  *) echo "kbuild_diff: --mode=$mode: want none, thin_dist or thin" >&2; exit 2 ;;
esac
# thin (lld's in-process ThinLTO, as Kbuild links) has no boot test: its kernel and modules.
targets=(//tests/modversions:modversions_x86_64_${mode}_test)
[ "$mode" != thin ] || targets=("@$repo//:thin" "@$repo//:modules_thin")
bazel=./bazel
"$bazel" build "${targets[@]}" >/dev/null 2>&1 ||
  { "$bazel" build "${targets[@]}" 2>&1 | tail -20; echo "FAIL build ${targets[*]}"; exit 1; }
ob=$("$bazel" info output_base 2>/dev/null)
out=$("$bazel" info output_path 2>/dev/null)
src="$ob/external/linux"
llvm="$ob/external/kernel_llvm/bin"
config="$ob/external/$repo/obj/.config"
[ -f "$config" ] || { echo "kbuild_diff: $config: not found" >&2; exit 2; }
# The kernel rules transition to their own platform: the newest output directory that has them.
order=$(ls -1t "$out"/*/bin/external/"$repo"/modules_"$mode"/modules.order 2>/dev/null | head -1)
[ -n "$order" ] || { echo "FAIL @$repo//:modules_$mode: no output directory has modules.order"; exit 1; }
ours=$(dirname "$order")
export_c=$(ls -1t "$out"/*/bin/external/"$repo"/*/export/.vmlinux.export.c 2>/dev/null | head -1)
[ -n "$export_c" ] || { echo "FAIL @$repo//:$mode: no .vmlinux.export.c built"; exit 1; }

if [ -z "$work" ]; then work=$(mktemp -d /tmp/modv-kbuild.XXXXXX); fi
[ "$keep" = 1 ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"
[ "$reuse" = 1 ] || cp "$config" "$work/.config"
# Host programs (objtool needs libelf) as the import builds them: the hermetic clang on the pinned sysroot.
sysroot="$ob/external/kernel_sysroot"
mk=(nice -n 10 make -C "$src" O="$work" ARCH=x86_64 LLVM="$llvm/" -j2
    HOSTCC="$llvm/clang --sysroot=$sysroot -fuse-ld=lld -Qunused-arguments" HOSTLD="$llvm/ld.lld"
    HOSTAR="$llvm/llvm-ar" HOSTCXX=false HOSTPKG_CONFIG=false "HOSTLDFLAGS=-static -lz -lzstd"
    "KBUILD_BUILD_TIMESTAMP=Thu Jan  1 00:00:00 UTC 1970" KBUILD_BUILD_USER=kbuild KBUILD_BUILD_HOST=kbuild KBUILD_BUILD_VERSION=1)
start=$(date +%s)
if [ "$reuse" = 1 ]; then
  [ -f "$work/vmlinux" ] && cmp -s "$config" "$work/.config" ||
    { echo "FAIL --reuse: $work has no vmlinux built from the import's .config"; exit 1; }
  echo "Kbuild's make vmlinux modules: reused $work"
else
"${mk[@]}" olddefconfig >"$work/make.log" 2>&1 || { tail -20 "$work/make.log"; echo "FAIL make olddefconfig"; exit 1; }
cmp -s "$config" "$work/.config" || { echo "FAIL olddefconfig changed the import's .config"; exit 1; }
grep -q '^CONFIG_MODVERSIONS=y' "$work/.config" || { echo "FAIL $config: no CONFIG_MODVERSIONS=y"; exit 1; }
"${mk[@]}" vmlinux modules >>"$work/make.log" 2>&1 || { tail -20 "$work/make.log"; echo "FAIL make vmlinux modules"; exit 1; }
echo "Kbuild's make vmlinux modules: $(( $(date +%s) - start )) s"
fi

fail=0
if cmp -s "$export_c" "$work/.vmlinux.export.c"; then
  echo "same    .vmlinux.export.c ($(grep -c '^SYMBOL_CRC' "$export_c") SYMBOL_CRC lines)"
else
  echo "DIFFERS .vmlinux.export.c"; fail=1
fi
echo "Module.symvers: $(wc -l < "$work/Module.symvers") symbols, $(grep -vc $'^0x00000000\t' "$work/Module.symvers") with a CRC"
versions=0
while read -r k; do
  n=$(sed -n '/^static const struct modversion_info ____versions\[\]/,/^};/p' "$work/${k%.ko}.mod.c" | grep -c '^	{ *0' || true)
  [ "$n" -gt 0 ] || { echo "FAIL ${k%.ko}.mod.c: Kbuild's has no ____versions entries"; fail=1; }
  versions=$((versions + n))
done < "$work/modules.order"
echo "____versions: $versions entries in $(wc -l < "$work/modules.order") modules"
# shellcheck disable=SC2086
tests/modules/kbuild_diff.sh $ko "$ours" "$work" || fail=1

# Out-of-tree (kernel_module, modpost -m) against Kbuild's `make M=` in that tree.
# (thin: the out-of-tree modules are the thin_dist ones' code; extmod_diff runs them there.)
[ "$mode" = thin ] || tests/modversions/extmod_diff.sh --mode="$mode" --kbuild="$work" || fail=1
exit $fail
