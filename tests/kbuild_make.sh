# Sourced (bash): Kbuild's own make, as the differential tests and benchmarks run it.
#
#   source tests/kbuild_make.sh
#   kbuild_make_argv EXT OUT ARCH [SRC]  # sets the array KBUILD_MAKE (SRC: the source
#                                        # repository, default linux)
#   env -i PATH=/usr/bin:/bin HOME="$OUT" LC_ALL=C TZ=UTC "${KBUILD_MAKE[@]}" V=1 -j2 all
#
# EXT is an output base's external/ (the import's linux, kernel_llvm, kernel_sysroot): the
# same hermetic LLVM and host sysroot as our build, LLVM=1, an O=OUT build of EXT/linux, and
# fixed KBUILD_BUILD_* (no user, host or time in the kernel). No -s: it would override V=1.

kbuild_make_argv() {
  local ext=$1 out=$2 arch=$3 src=${4:-linux}
  local bin="$ext/kernel_llvm/bin"
  KBUILD_MAKE=(make -C "$out" -f "$ext/$src/Makefile" O="$out" ARCH="$arch" LLVM=1
    CC="$bin/clang" LD="$bin/ld.lld" AR="$bin/llvm-ar" NM="$bin/llvm-nm" OBJCOPY="$bin/llvm-objcopy"
    OBJDUMP="$bin/llvm-objdump" READELF="$bin/llvm-readelf" STRIP="$bin/llvm-strip"
    HOSTCC="$bin/clang --sysroot=$ext/kernel_sysroot -fuse-ld=lld -Qunused-arguments"
    HOSTLD="$bin/ld.lld" HOSTAR="$bin/llvm-ar" HOSTCXX=false HOSTPKG_CONFIG=false
    "HOSTLDFLAGS=-static -lz -lzstd"
    KBUILD_BUILD_TIMESTAMP="Thu Jan  1 00:00:00 UTC 1970" KBUILD_BUILD_USER=kbuild
    KBUILD_BUILD_HOST=kbuild KBUILD_BUILD_VERSION=1)
}
