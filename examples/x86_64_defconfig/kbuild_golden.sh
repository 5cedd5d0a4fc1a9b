#!/usr/bin/env bash
# Kbuild's own build of this example's exact .config, booted in QEMU: regenerates
# initcalls_kbuild.txt (the built-in initcall sequence every boot test here must equal), as
# tests/golden/regen.sh does for the tiny kernels; --check compares instead.
#
#   examples/x86_64_defconfig/kbuild_golden.sh [--lto=thin|none|full] [--check]
#        [--work=DIR] [--jobs=N] [--timeout=SECS] [--keep]
#
# The .config is the import's (external/my_kernel_<lto>/obj/.config of this workspace's
# output base; build //:vmlinux in that mode first). When only the none import exists, its
# .config with the Kconfig LTO choice switched to --lto (olddefconfig) is used, and it must
# differ from the imported one in the LTO lines only. Kbuild runs `make LLVM=1 all`
# (vmlinux, bzImage, modules) with the same hermetic LLVM and sysroot as the import
# (external/kernel_llvm, external/kernel_sysroot), fixed KBUILD_BUILD_*, in WORK/out-<lto>
# (default WORK: /tmp/kbuild-golden). The bzImage boots in the pinned QEMU (@kernel_qemu)
# with //:initramfs_golden (busybox, no modules) through tools/boot_test. Prints one line:
#   x86_64 defconfig lto=<lto>: kbuild all N s (load A -> B), boot N s, N initcalls[, equal]
# Default --lto=thin (Kbuild's ThinLTO; the sequence equals the non-LTO one's), --jobs=2.
# The build runs with V=1: with --keep, WORK/out-<lto>/build.log and the tree are what
# tools/kbuild_import/check_plan.py compares the import's plan with (--log_srctree).
# Run it alone on a shared box (nice -n 10 ...), not next to a Bazel kernel build.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
lto=thin check=0 work=/tmp/kbuild-golden jobs=2 timeout=900 keep=0

die() { echo "kbuild_golden: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }

for a in "$@"; do
  case "$a" in
    --lto=*) lto="${a#*=}" ;;
    --check) check=1 ;;
    --work=*) work="${a#*=}" ;;
    --jobs=*) jobs="${a#*=}" ;;
    --timeout=*) timeout="${a#*=}" ;;
    --keep) keep=1 ;;
    -h|--help) usage ;;
    *) die "unknown argument $a (see --help)" ;;
  esac
done
case "$lto" in
  none) choice=LTO_NONE ;;
  thin) choice=LTO_CLANG_THIN ;;
  full) choice=LTO_CLANG_FULL ;;
  *) die "bad --lto=$lto (none, thin or full)" ;;
esac

cd "$here"
bazel=(../../bazel)
ob="$("${bazel[@]}" info output_base 2>/dev/null)" || die "bazel info output_base failed in $here"
ext="$ob/external"
cfg="$ext/my_kernel_$lto/obj/.config"
[[ -f "$cfg" ]] || cfg="$ext/my_kernel_none/obj/.config"
[[ -f "$cfg" ]] || die "$ext/my_kernel_{$lto,none}/obj/.config missing; build //:vmlinux --config=nolto here first"
src="$ext/linux"
bin="$ext/kernel_llvm/bin"
sysroot="$ext/kernel_sysroot"
[[ -f "$src/Makefile" && -x "$bin/clang" && -d "$sysroot" ]] || die "$ext: no linux, kernel_llvm or kernel_sysroot; build //:vmlinux here first"

# The boot checker, QEMU and an initramfs without modules, from this workspace.
"${bazel[@]}" build @rules_kernel_lto//tools/boot_test @kernel_qemu//:files //:initramfs_golden >&2 \
  || die "cannot build the boot_test tool, QEMU or //:initramfs_golden"
boot_test="$here/bazel-bin/external/rules_kernel_lto/tools/boot_test/boot_test"
qemu="$ext/kernel_qemu/bin/qemu-system-x86_64"
initrd="$here/bazel-bin/initramfs_golden.cpio"
for f in "$boot_test" "$qemu" "$initrd"; do [[ -e "$f" ]] || die "$f missing after the build"; done

mkdir -p "$work"
work="$(cd "$work" && pwd)"
out="$work/out-$lto"
rm -rf "$out" && mkdir -p "$out"
# shellcheck source=../../tests/kbuild_make.sh
source "$here/../../tests/kbuild_make.sh"
kbuild_make_argv "$ext" "$out" x86_64
kmake() { env -i PATH=/usr/bin:/bin HOME="$out" LC_ALL=C TZ=UTC "${KBUILD_MAKE[@]}" -s "$@"; }
# `make -s` would override V=1 (Kbuild sets quiet=silent_): the build itself runs without it.
kmake_v() { env -i PATH=/usr/bin:/bin HOME="$out" LC_ALL=C TZ=UTC "${KBUILD_MAKE[@]}" V=1 "$@"; }

# The .config: the import's, with the LTO choice of --lto; nothing else may move.
cp "$cfg" "$out/.config"
sed -i -e '/^CONFIG_LTO_NONE=y$/d;/^CONFIG_LTO_CLANG_THIN=y$/d;/^CONFIG_LTO_CLANG_FULL=y$/d' \
  -e '/^# CONFIG_LTO_\(NONE\|CLANG_THIN\|CLANG_FULL\) is not set$/d' "$out/.config"
echo "CONFIG_$choice=y" >> "$out/.config"
kmake olddefconfig > "$out/config.log" 2>&1 || die "make olddefconfig failed (see $out/config.log)"
grep -qx "CONFIG_$choice=y" "$out/.config" || die "CONFIG_$choice=y did not stick (see $out/.config)"
if ! diff <(grep -v 'LTO' "$cfg") <(grep -v 'LTO' "$out/.config") > "$out/config.diff"; then
  die "$out/.config differs from $cfg in more than the LTO lines (see $out/config.diff)"
fi

load0=$(cut -d' ' -f1 /proc/loadavg)
t0=$(date +%s.%N)
kmake_v -j"$jobs" all > "$out/build.log" 2>&1 || {
  tail -n 20 "$out/build.log" >&2; die "make all failed (log: $out/build.log)"; }
t1=$(date +%s.%N)
load1=$(cut -d' ' -f1 /proc/loadavg)

golden="$here/initcalls_kbuild.txt"
args=(--qemu="$qemu" --arch=x86_64 --kernel="$out/arch/x86/boot/bzImage" --initrd="$initrd"
      --timeout_secs="$timeout" --serial_log="$out/serial.log" --write_initcalls="$out/initcalls.txt")
[[ "$check" == 1 ]] && args+=(--expected_initcalls="$golden")
status=0
"$boot_test" "${args[@]}" || status=$?
t2=$(date +%s.%N)
n=$(wc -l < "$out/initcalls.txt" 2>/dev/null || echo "?")
result=""
[[ "$check" == 1 && "$status" == 0 ]] && result=", equal to $(basename "$golden")"
printf 'x86_64 defconfig lto=%s: kbuild all %.0f s (load %s -> %s), boot %.1f s, %s initcalls%s\n' \
  "$lto" "$(echo "$t1 - $t0" | bc)" "$load0" "$load1" "$(echo "$t2 - $t1" | bc)" "$n" "$result"
[[ "$status" == 0 ]] || die "boot_test failed (log: $out/serial.log)"
[[ "$check" == 1 ]] || cp "$out/initcalls.txt" "$golden"
cp "$out/serial.log" "$work/serial-$lto.log" 2>/dev/null || true
[[ "$keep" == 1 ]] || rm -rf "$out"
