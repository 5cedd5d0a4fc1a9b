#!/usr/bin/env bash
# The out-of-tree modules of tests/modversions (kernel_module with CONFIG_MODVERSIONS:
# genksyms per part, modpost -m) against Kbuild's own `make M=` (issue 11 part 3).
#
#   tests/modversions/extmod_diff.sh [--mode=none|thin_dist] [--kbuild=TREE]
#
# Builds the four modules (//tests/modversions:out_of_tree_<mode>, :stale_<mode>). TREE: a
# Kbuild object tree of @linux_x86_64_modv's .config after `make vmlinux modules` (what
# kbuild_diff.sh passes). Without it: a copy of the import's object tree (.config, generated
# headers, scripts/genksyms, scripts/mod/modpost) plus our kernel's Module.symvers
# (byte-identical to Kbuild's: kbuild_diff.sh) and scripts/module.lds: all that `make M=`
# reads of the kernel. There Kbuild builds modv_provider + modv_user with api/modv_api.h,
# and modv_provider + modv_user_stale (modv_user.o) with changed/modv_api.h. Compares each
# module's .mod.c and the providers' Module.symvers lines (CRC, symbol, export; the module
# column is the M= directory there, the package here) and requires the two CRCs of
# modv_value to differ. Prints one line per file; exits 1 on any difference. ~2 min.
set -euo pipefail
cd "$(dirname "$0")/../.."
mode=none kbuild=""
for a in "$@"; do
  case "$a" in
    --mode=*) mode="${a#*=}" ;;
    --kbuild=*) kbuild="${a#*=}" ;;
    *) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2 ;;
  esac
done
case "$mode" in
  none) repo=linux_x86_64_modv_none ;;
  thin_dist) repo=linux_x86_64_modv_thin ;;
  *) echo "extmod_diff: --mode=$mode: want none or thin_dist" >&2; exit 2 ;;
esac
bazel=./bazel
targets=(//tests/modversions:out_of_tree_"$mode" //tests/modversions:stale_"$mode" "@$repo//:modules_$mode")
"$bazel" build "${targets[@]}" >/dev/null 2>&1 ||
  { "$bazel" build "${targets[@]}" 2>&1 | tail -20; echo "FAIL build ${targets[*]}"; exit 1; }
ob=$("$bazel" info output_base 2>/dev/null)
out=$("$bazel" info output_path 2>/dev/null)
src="$ob/external/linux" llvm="$ob/external/kernel_llvm/bin" sysroot="$ob/external/kernel_sysroot"
work=$(mktemp -d /tmp/modv-extmod.XXXXXX)
trap 'rm -rf "$work"' EXIT
if [ -z "$kbuild" ]; then
  kbuild="$work/tree"
  cp -a "$ob/external/$repo/obj" "$kbuild"
  symvers=$(ls -1t "$out"/*/bin/external/"$repo"/modules_"$mode"/Module.symvers 2>/dev/null | head -1)
  lds=$(ls -1t "$out"/*/bin/external/"$repo"/*/scripts/module.lds 2>/dev/null | head -1)
  [ -n "$symvers" ] && [ -n "$lds" ] || { echo "FAIL @$repo: no Module.symvers or scripts/module.lds built"; exit 1; }
  cp "$symvers" "$kbuild/Module.symvers"
  cp "$lds" "$kbuild/scripts/module.lds"
fi
[ -f "$kbuild/Module.symvers" ] || { echo "extmod_diff: $kbuild/Module.symvers: not found" >&2; exit 2; }
mk=(nice -n 10 make -C "$src" O="$kbuild" ARCH=x86_64 LLVM="$llvm/" -j2
    HOSTCC="$llvm/clang --sysroot=$sysroot -fuse-ld=lld -Qunused-arguments" HOSTLD="$llvm/ld.lld"
    HOSTAR="$llvm/llvm-ar" HOSTCXX=false HOSTPKG_CONFIG=false "HOSTLDFLAGS=-static -lz -lzstd"
    "KBUILD_BUILD_TIMESTAMP=Thu Jan  1 00:00:00 UTC 1970" KBUILD_BUILD_USER=kbuild KBUILD_BUILD_HOST=kbuild KBUILD_BUILD_VERSION=1)

fail=0
declare -A crc
extmod() {  # extmod <api|changed> <our package> <user module>
  local m="$work/extmod_$1" user="$3" mod o theirs mine
  mkdir -p "$m"
  cp tests/modversions/modv_provider.c tests/modversions/modv_user.c "tests/modversions/$1/modv_api.h" "$m/"
  if [ "$user" = modv_user ]; then
    printf 'obj-m := modv_provider.o modv_user.o\n' > "$m/Kbuild"
  else
    printf 'obj-m := modv_provider.o %s.o\n%s-y := modv_user.o\n' "$user" "$user" > "$m/Kbuild"
  fi
  if ! "${mk[@]}" M="$m" modules >"$m/make.log" 2>&1; then
    tail -20 "$m/make.log"; echo "FAIL $1: make M=$m modules"; fail=1; return
  fi
  for mod in modv_provider "$user"; do
    o=$(ls -1t "$out"/*/bin/"$2/$mod/$2/$mod.mod.c" 2>/dev/null | head -1)
    if [ -z "$o" ]; then echo "MISSING $2/$mod.mod.c (not built)"; fail=1
    elif cmp -s "$o" "$m/$mod.mod.c"; then
      echo "same    $1: $mod.mod.c ($(grep -c '^	{ 0x' "$o" || true) ____versions entries)"
    else echo "DIFFERS $1: $mod.mod.c"; diff -u "$m/$mod.mod.c" "$o" | head -20; fail=1
    fi
  done
  o=$(ls -1t "$out"/*/bin/"$2/modv_provider/$2/Module.symvers" 2>/dev/null | head -1)
  theirs=$(cut -f1,2,4 "$m/Module.symvers")
  mine=$(cut -f1,2,4 "${o:-/dev/null}")
  if [ -n "$theirs" ] && [ "$theirs" = "$mine" ]; then echo "same    $1: modv_provider Module.symvers: $(echo $theirs)"
  else echo "DIFFERS $1: modv_provider Module.symvers: Kbuild '$theirs', ours '$mine'"; fail=1
  fi
  crc[$1]=$(cut -f1 "$m/Module.symvers")
}
extmod api tests/modversions modv_user
extmod changed tests/modversions/changed modv_user_stale
if [ -n "${crc[api]:-}" ] && [ -n "${crc[changed]:-}" ] && [ "${crc[api]}" != "${crc[changed]}" ]; then
  echo "modv_value's CRC (Kbuild's genksyms): ${crc[api]} with int, ${crc[changed]} with long"
else
  echo "FAIL the changed prototype did not give modv_value another CRC (${crc[api]:-none}, ${crc[changed]:-none})"; fail=1
fi
exit $fail
