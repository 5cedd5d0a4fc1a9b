#!/usr/bin/env bash
# Differential test of the x86_64 bzImage (rules/private/kernel_bzimage.bzl) against Kbuild:
# Kbuild's own make builds arch/x86/boot from OUR vmlinux in a copy of the import's object
# tree, and every boot output must equal ours byte for byte (objects and setup.elf after
# --strip-debug: their DWARF names the directory they were compiled in).
#
#   tests/bzimage/kbuild_diff.sh [none|thin|full|thin_dist]   (default none; builds //:image first)
#   tests/bzimage/kbuild_diff.sh --efi                          (@linux_x86_64_efi, none: CONFIG_EFI_STUB)
#
# With CONFIG_EFI_STUB the compressed vmlinux links drivers/firmware/efi/libstub/lib.a: Kbuild
# first builds it in the same tree (`$(build)=drivers/firmware/efi/libstub .../lib.a`: libstub's
# objects, STUBCPY, AR), and the libstub objects, their .stub.o and lib.a are compared too.
# Costs one import-tree copy (~20 MB) and Kbuild's boot build (~40 small compiles).
set -euo pipefail
cd "$(dirname "$0")/../.."
mode=${1:-none} hub=
case $mode in
  none|full) repo=linux_x86_64_$mode ;;
  thin|thin_dist) repo=linux_x86_64_thin ;;
  --efi) mode=none repo=linux_x86_64_efi_none hub=@linux_x86_64_efi ;;
  *) echo "usage: $0 [none|thin|full|thin_dist|--efi]" >&2; exit 2 ;;
esac
image=$(./bazel build "$hub//:image" --platforms=//platforms:x86_64 --//:lto="$mode" 2>&1 | grep -o 'bazel-out/\S*/bzImage$') \
  || { echo "kbuild_diff: ./bazel build $hub//:image --//:lto=$mode failed or built no bzImage" >&2; exit 1; }
ob=$(./bazel info output_base 2>/dev/null)
execroot=$(./bazel info execution_root 2>/dev/null)
ours=$execroot/${image%/arch/x86/boot/bzImage}              # .../external/<repo>/<mode>
objects=$(dirname "$ours")/objects                           # boot steps before vmlinux
llvm=$ob/external/kernel_llvm/bin
src=$ob/external/linux
work=$(mktemp -d /tmp/bzimage_diff.XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
cp -a "$ob/external/$repo/obj" "$work/obj"
o=$work/obj
cp "$ours/vmlinux" "$o/vmlinux"
# The archives boot steps link (the plan's AR entries: libstub's lib.a), by Kbuild first.
mapfile -t libs < <(python3 -c '
import json, sys
for e in json.load(open(sys.argv[1]))["boot"]["steps"]:
    if e["tag"] == "AR": print(e["out"])' "$ob/external/$repo/plan.json")
{ printf 'kbuild-boot-diff:\n'
  for a in "${libs[@]}"; do printf '\t$(Q)$(MAKE) $(build)=%s %s\n' "$(dirname "$a")" "$a"; done
  printf '\t$(Q)$(MAKE) $(build)=arch/x86/boot arch/x86/boot/bzImage\n'; } > "$o/.boot_diff.mk"
t0=$(date +%s)
env -i PATH=/usr/bin:/bin LC_ALL=C TZ=UTC HOME="$o" \
  KBUILD_BUILD_TIMESTAMP='Thu Jan  1 00:00:00 UTC 1970' KBUILD_BUILD_USER=kbuild KBUILD_BUILD_HOST=kbuild KBUILD_BUILD_VERSION=1 \
  make -C "$o" -f "$src/Makefile" -f "$o/.boot_diff.mk" O="$o" ARCH=x86_64 LLVM=1 \
  CC="$llvm/clang" LD="$llvm/ld.lld" AR="$llvm/llvm-ar" NM="$llvm/llvm-nm" OBJCOPY="$llvm/llvm-objcopy" \
  OBJDUMP="$llvm/llvm-objdump" READELF="$llvm/llvm-readelf" STRIP="$llvm/llvm-strip" \
  HOSTCC="$llvm/clang --sysroot=$ob/external/kernel_sysroot -fuse-ld=lld -Qunused-arguments" HOSTCXX=false \
  HOSTPKG_CONFIG=false "HOSTLDFLAGS=-static -lz -lzstd" -j2 kbuild-boot-diff > "$work/make.log" 2>&1 \
  || { tail -5 "$work/make.log" >&2; echo "kbuild_diff: Kbuild's boot build failed" >&2; exit 1; }
echo "Kbuild's arch/x86/boot build from our vmlinux: $(( $(date +%s) - t0 )) s"
pass=0 fail=0
# Every boot step's output, and the kernel objects an archive step archives (libstub's
# X.stub.o, KernelObjcopy) with the objects they are derived from (KernelCompile).
for f in $(python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
outs = [e["out"] for e in p["boot"]["steps"]]
members = [m for e in p["boot"]["steps"] if e["tag"] == "AR" for m in e["objects"]]
srcs = [p.get("derived", {})[m]["src"] for m in members if m in p.get("derived", {})]
print("\n".join(sorted(set(members + srcs)) + outs))' "$ob/external/$repo/plan.json"); do
  mine=$ours/$f; [ -e "$mine" ] || mine=$objects/$f
  theirs=$o/$f
  case $f in
    *.o|*/setup.elf) "$llvm/llvm-objcopy" --strip-debug "$mine" "$work/a"; "$llvm/llvm-objcopy" --strip-debug "$theirs" "$work/b"; a=$work/a; b=$work/b ;;
    *) a=$mine; b=$theirs ;;
  esac
  if cmp -s "$a" "$b"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "DIFFERS: $f"; fi
done
echo "$mode: $pass identical, $fail different (bzImage $(stat -c %s "$ours/arch/x86/boot/bzImage") bytes, sha256 $(sha256sum < "$ours/arch/x86/boot/bzImage" | cut -c1-16))"
[ "$fail" = 0 ]
