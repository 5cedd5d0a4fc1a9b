#!/usr/bin/env bash
# Differential test of a CONFIG_MODVERSIONS kernel (issue 11 part 3): what Bazel built for
# @linux_x86_64_modv (KernelSymversions, modpost -m, .vmlinux.export.o) against Kbuild's own
# `make vmlinux modules` of the same .config with the same LLVM.
#
#   tests/modversions/kbuild_diff.sh [--mode=none|thin_dist] [--work=DIR] [--keep]
#
# Builds //tests/modversions:modversions_x86_64_<mode>_test (the kernel and its modules as
# the boot test reaches them), then in a fresh object tree (WORK, default a mktemp
# directory): the import's .config, `make olddefconfig` (must not change it), `make vmlinux
# modules` (LLVM=<the hermetic LLVM>/, HOSTCC its clang on the pinned sysroot, fixed
# KBUILD_BUILD_*). Compares, byte for
# byte: .vmlinux.export.c (every SYMBOL_CRC of vmlinux), and through tests/modules/kbuild_diff.sh
# modules.order, Module.symvers (with the CRCs), modules.builtin{,.modinfo}, every M.mod.c
# (its ____versions[]); with --mode=none also every module's .o and .ko. Then the
# out-of-tree modules of tests/modversions (kernel_module, modpost -m) against Kbuild's
# `make M=` in that tree: .mod.c files and the provider's Module.symvers, with the unchanged
# and the changed prototype. Prints one line per file, the number of `____versions`
# entries, and `N identical, N different`; exits 1 on any difference. Kbuild's make: ~25 min
# (none) to ~30 min (thin) on 2 loaded cores.
set -euo pipefail
cd "$(dirname "$0")/../.."
mode=none work="" keep=0
for a in "$@"; do
  case "$a" in
    --mode=*) mode="${a#*=}" ;;
    --work=*) work="${a#*=}" ;;
    --keep) keep=1 ;;
    *) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2 ;;
  esac
done
case "$mode" in
  none) repo=linux_x86_64_modv_none ko=--ko ;;
  thin_dist) repo=linux_x86_64_modv_thin ko="" ;;
  *) echo "kbuild_diff: --mode=$mode: want none or thin_dist" >&2; exit 2 ;;
esac
target=//tests/modversions:modversions_x86_64_${mode}_test
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
order=$(ls -1t "$out"/*/bin/external/"$repo"/modules_"$mode"/modules.order 2>/dev/null | head -1)
[ -n "$order" ] || { echo "FAIL @$repo//:modules_$mode: no output directory has modules.order"; exit 1; }
ours=$(dirname "$order")
export_c=$(ls -1t "$out"/*/bin/external/"$repo"/*/export/.vmlinux.export.c 2>/dev/null | head -1)
[ -n "$export_c" ] || { echo "FAIL @$repo//:$mode: no .vmlinux.export.c built"; exit 1; }

if [ -z "$work" ]; then work=$(mktemp -d /tmp/modv-kbuild.XXXXXX); fi
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
grep -q '^CONFIG_MODVERSIONS=y' "$work/.config" || { echo "FAIL $config: no CONFIG_MODVERSIONS=y"; exit 1; }
"${mk[@]}" vmlinux modules >>"$work/make.log" 2>&1 || { tail -20 "$work/make.log"; echo "FAIL make vmlinux modules"; exit 1; }
echo "Kbuild's make vmlinux modules: $(( $(date +%s) - start )) s"

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

# Out-of-tree (kernel_module: genksyms per part, modpost -m) against Kbuild's `make M=` in
# that object tree: the provider and its user built with api/modv_api.h, and again with
# changed/modv_api.h (the changed prototype). Each module's .mod.c and the provider's
# Module.symvers line (CRC, symbol, export; Kbuild names the module by its M= path, we by
# package) must be Kbuild's; the two providers' CRCs of modv_value must differ.
extmod() {  # extmod <api|changed> <our package> <user module>
  local m="$work/extmod_$1" user="$3"
  mkdir -p "$m"
  cp tests/modversions/modv_provider.c tests/modversions/modv_user.c "tests/modversions/$1/modv_api.h" "$m/"
  if [ "$user" = modv_user ]; then
    printf 'obj-m := modv_provider.o modv_user.o\n' > "$m/Kbuild"
  else
    printf 'obj-m := modv_provider.o %s.o\n%s-y := modv_user.o\n' "$user" "$user" > "$m/Kbuild"
  fi
  "${mk[@]}" M="$m" modules >"$m/make.log" 2>&1 || { tail -20 "$m/make.log"; echo "FAIL make M=$m modules"; fail=1; return; }
  local mod o
  for mod in modv_provider "$user"; do
    o=$(ls -1t "$out"/*/bin/"$2/$mod/$2/$mod.mod.c" 2>/dev/null | head -1)
    if [ -z "$o" ]; then echo "MISSING $2/$mod.mod.c (not built)"; fail=1
    elif cmp -s "$o" "$m/$mod.mod.c"; then
      echo "same    $1: $mod.mod.c ($(grep -c '^	{ *0' "$o") ____versions entries)"
    else echo "DIFFERS $1: $mod.mod.c"; diff -u "$m/$mod.mod.c" "$o" | head -20; fail=1
    fi
  done
  o=$(ls -1t "$out"/*/bin/"$2/modv_provider/$2/Module.symvers" 2>/dev/null | head -1)
  local theirs mine
  theirs=$(cut -f1,2,4 "$m/Module.symvers")
  mine=$(cut -f1,2,4 "${o:-/dev/null}")
  if [ -n "$theirs" ] && [ "$theirs" = "$mine" ]; then echo "same    $1: modv_provider Module.symvers ($theirs)"
  else echo "DIFFERS $1: modv_provider Module.symvers: Kbuild '$theirs', ours '$mine'"; fail=1
  fi
  crc[$1]=$(cut -f1 "$m/Module.symvers")
}
declare -A crc
extmod api tests/modversions modv_user
extmod changed tests/modversions/changed modv_user_stale
if [ -n "${crc[api]:-}" ] && [ "${crc[api]}" != "${crc[changed]:-}" ]; then
  echo "modv_value's CRC: ${crc[api]} (int), ${crc[changed]:-none} (long)"
else
  echo "FAIL the changed prototype did not change modv_value's CRC (${crc[api]:-none})"; fail=1
fi
exit $fail
