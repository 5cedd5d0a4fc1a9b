#!/usr/bin/env bash
# Regenerates the golden initcall sequences (initcalls_<arch>.txt here) from
# Kbuild's own non-LTO builds of Linux 6.1 tinyconfig + configs/<arch>.config, booted
# in QEMU (TCG) by tools/boot_test; or, with --check, boots Kbuild builds (e.g.
# --lto=thin) and compares their sequences with the goldens.
#
#   regen.sh --src=SRC --llvm=LLVM_BIN_DIR --qemu-aarch64=QEMU --qemu-x86_64=QEMU
#            [--arch=arm64|x86_64|all] [--lto=none|thin|full] [--check]
#            [--work=DIR] [--jobs=N] [--boot-test=EXE] [--timeout=SECS] [--modules]
#
# SRC: the kernel source tarball (e.g. /usr/src/linux-source-6.1.tar.xz,
# extracted once into WORK/src) or an unpacked, clean kernel tree.
# LLVM_BIN_DIR: holds clang, ld.lld, llvm-* (e.g. /usr/lib/llvm-19/bin); passed
# to Kbuild as LLVM=DIR/. QEMU: explicit paths to qemu-system-aarch64 and
# qemu-system-x86_64 (only the ones for --arch are needed).
# Defaults: --arch=all, --lto=none, --work=/tmp/golden-work, --jobs=2,
# --timeout=300, --boot-test: `./bazel build //tools/boot_test` in this repo.
# Without --check the goldens are rewritten only with --lto=none.
#
# Per arch: make tinyconfig, append <arch>.config (+ CONFIG_LTO_CLANG_<LTO>=y),
# make olddefconfig, check every fragment line is in .config, build (arm64:
# Image; x86_64: vmlinux bzImage, vmlinux booted through its PVH entry) with a
# fixed KBUILD_BUILD_{TIMESTAMP,USER,HOST,VERSION}, boot it. Writes the console
# log and sequence to WORK/out-<arch>-<lto>/{serial.log,initcalls.txt} and one
# line per arch: `<arch> lto=<lto>: build N s, boot N s, N initcalls[, equal]`.
# --modules: then `make V=1 modules` in the same tree (log: modules.log), leaving
# Kbuild's .ko, .mod.c and Module.symvers as the reference for our modules
# (tools/kbuild_import/check_plan.py --modules_only --build_log=.../modules.log).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
src="" llvm="" qemu_arm64="" qemu_x86_64="" arch=all lto=none check=0
work=/tmp/golden-work jobs=2 boot_test="" timeout=300 modules=0

die() { echo "regen: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }

for a in "$@"; do
  case "$a" in
    --src=*) src="${a#*=}" ;;
    --llvm=*) llvm="${a#*=}" ;;
    --qemu-aarch64=*) qemu_arm64="${a#*=}" ;;
    --qemu-x86_64=*) qemu_x86_64="${a#*=}" ;;
    --arch=*) arch="${a#*=}" ;;
    --lto=*) lto="${a#*=}" ;;
    --check) check=1 ;;
    --work=*) work="${a#*=}" ;;
    --jobs=*) jobs="${a#*=}" ;;
    --boot-test=*) boot_test="${a#*=}" ;;
    --timeout=*) timeout="${a#*=}" ;;
    --modules) modules=1 ;;
    -h|--help) usage ;;
    *) die "unknown argument $a (see --help)" ;;
  esac
done
[[ -n "$src" && -n "$llvm" ]] || usage
case "$arch" in arm64|x86_64) arches=("$arch") ;; all) arches=(arm64 x86_64) ;; *) die "bad --arch=$arch" ;; esac
case "$lto" in none|thin|full) ;; *) die "bad --lto=$lto" ;; esac
[[ "$lto" == none || "$check" == 1 ]] || die "--lto=$lto without --check would overwrite the non-LTO goldens"
[[ -x "$llvm/clang" && -x "$llvm/ld.lld" ]] || die "--llvm=$llvm: no clang / ld.lld there"
llvm="$(cd "$llvm" && pwd)"
mkdir -p "$work"
work="$(cd "$work" && pwd)"

# The kernel tree.
if [[ -d "$src" ]]; then
  tree="$(cd "$src" && pwd)"
elif [[ -f "$src" ]]; then
  tree="$work/src"
  if [[ ! -f "$tree/Makefile" ]]; then
    rm -rf "$tree.tmp" && mkdir -p "$tree.tmp"
    tar -xf "$src" -C "$tree.tmp" --strip-components=1
    mv "$tree.tmp" "$tree"
  fi
else
  die "--src=$src: no such file or directory"
fi
[[ -f "$tree/Makefile" && -f "$tree/scripts/kconfig/merge_config.sh" ]] || die "$tree: not a kernel tree"

# The boot checker.
if [[ -z "$boot_test" ]]; then
  (cd "$repo" && ./bazel build //tools/boot_test:boot_test >&2) || die "cannot build //tools/boot_test"
  boot_test="$repo/bazel-bin/tools/boot_test/boot_test"
fi
[[ -x "$boot_test" ]] || die "--boot-test=$boot_test: not executable"

export KBUILD_BUILD_TIMESTAMP="Thu Jan  1 00:00:00 UTC 1970"
export KBUILD_BUILD_USER=kbuild KBUILD_BUILD_HOST=kbuild KBUILD_BUILD_VERSION=1

for a in "${arches[@]}"; do
  case "$a" in
    arm64) qemu="$qemu_arm64" targets=(Image) kernel=arch/arm64/boot/Image ;;
    x86_64) qemu="$qemu_x86_64" targets=(vmlinux bzImage) kernel=vmlinux ;;
  esac
  [[ -n "$qemu" ]] || die "no --qemu-$( [[ $a == arm64 ]] && echo aarch64 || echo x86_64 ) for $a"
  out="$work/out-$a-$lto"
  rm -rf "$out" && mkdir -p "$out"
  kmake=(make -s -C "$tree" O="$out" ARCH="$a" LLVM="$llvm/")

  "${kmake[@]}" tinyconfig > "$out/config.log" 2>&1 || die "$a: make tinyconfig failed (see $out/config.log)"
  frag="$out/fragment.config"
  cp "$here/../../configs/$a.config" "$frag"   # the same fragment the Bazel build imports
  case "$lto" in
    none) echo "CONFIG_LTO_NONE=y" >> "$frag" ;;
    thin) echo "CONFIG_LTO_CLANG_THIN=y" >> "$frag" ;;
    full) echo "CONFIG_LTO_CLANG_FULL=y" >> "$frag" ;;
  esac
  cat "$frag" >> "$out/.config"
  "${kmake[@]}" olddefconfig >> "$out/config.log" 2>&1 || die "$a: make olddefconfig failed (see $out/config.log)"
  while read -r line; do
    [[ -z "$line" || "$line" == \#* ]] && continue
    grep -qxF "$line" "$out/.config" || die "$a: $line did not stick (see $out/.config)"
  done < "$frag"

  t0=$(date +%s.%N)
  "${kmake[@]}" -j"$jobs" "${targets[@]}" > "$out/build.log" 2>&1 || {
    tail -n 20 "$out/build.log" >&2; die "$a: kernel build failed (log: $out/build.log)"; }
  t1=$(date +%s.%N)

  golden="$here/initcalls_$a.txt"
  args=(--qemu="$qemu" --arch="$a" --kernel="$out/$kernel" --timeout_secs="$timeout"
        --serial_log="$out/serial.log" --write_initcalls="$out/initcalls.txt")
  [[ "$check" == 1 ]] && args+=(--expected_initcalls="$golden")
  status=0
  "$boot_test" "${args[@]}" || status=$?
  t2=$(date +%s.%N)
  n=$(wc -l < "$out/initcalls.txt" 2>/dev/null || echo "?")
  result=""
  [[ "$check" == 1 && "$status" == 0 ]] && result=", equal to $(basename "$golden")"
  printf '%s lto=%s: build %.0f s, boot %.1f s, %s initcalls%s\n' \
    "$a" "$lto" "$(echo "$t1 - $t0" | bc)" "$(echo "$t2 - $t1" | bc)" "$n" "$result"
  [[ "$status" == 0 ]] || die "$a: boot_test failed (log: $out/serial.log)"
  if [[ "$modules" == 1 ]]; then
    grep -qx "CONFIG_MODULES=y" "$out/.config" || die "$a: --modules, but CONFIG_MODULES is not set"
    "${kmake[@]}" V=1 -j"$jobs" modules > "$out/modules.log" 2>&1 || {
      tail -n 20 "$out/modules.log" >&2; die "$a: make modules failed (log: $out/modules.log)"; }
    echo "$a lto=$lto: modules $(grep -c . "$out/modules.order") (.ko, .mod.c, Module.symvers in $out)"
  fi
  if [[ "$check" == 0 ]]; then
    cp "$out/initcalls.txt" "$golden"
  fi
done
