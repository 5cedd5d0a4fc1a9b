#!/usr/bin/env bash
# Hermeticity test: builds and tests the toolchain targets for both platforms from a
# fresh output base inside a mount namespace where the host's LLVM, Python and QEMU are
# hidden (/dev/null over their executables and libLLVM/libclang, empty tmpfs over their
# lib and firmware trees). Repositories are fetched first, outside the namespace: fetching
# may use the host's pip; building and testing must not use anything of the host but glibc.
#
#   tests/hermetic/run.sh [BAZEL]        (BAZEL defaults to ./bazel)
set -euo pipefail
cd "$(dirname "$0")/../.."
bazel=${1:-./bazel}
ob=${TMPDIR:-/tmp}/rules_kernel_lto-hermetic-$(id -u)
targets=(//tests/toolchain/... //tools/... @kernel_qemu//:smoke_test)
[ "$(id -u)" = 0 ] || { echo "hermetic: needs root for a mount namespace (unshare -m)"; exit 1; }

# A server left over from an earlier run lives in that run's namespace: stop it first.
"$bazel" --output_base="$ob" shutdown
"$bazel" --output_base="$ob" fetch "${targets[@]}" >/dev/null 2>"$ob.fetch.log" || { cat "$ob.fetch.log"; exit 1; }
"$bazel" --output_base="$ob" clean   # every action runs again inside: no cached results
"$bazel" --output_base="$ob" shutdown

status=0
# Inside, run Bazel itself: the wrapper would try to install the Python it can't see.
unshare -m --propagation private bash -euo pipefail -s "$ob" "${targets[@]}" <<'INNER' || status=$?
ob=$1; shift
trap 'bazel --output_base="$ob" shutdown' EXIT   # never leave a server in this namespace
shopt -s nullglob
hidden=0
for f in /usr/bin/clang* /usr/bin/ld.lld* /usr/bin/lld* /usr/bin/llvm-* /usr/bin/python3* \
         /usr/local/bin/python3* /usr/lib/x86_64-linux-gnu/libLLVM* /usr/lib/x86_64-linux-gnu/libclang* \
         /usr/bin/qemu-system-*; do
  [ -L "$f" ] && continue   # a symlink's target is hidden in its own right
  mount --bind /dev/null "$f"; hidden=$((hidden + 1))
done
for d in /usr/lib/llvm-* /usr/lib/python3 /usr/lib/python3.* /usr/local/lib/python3.* "$HOME/.pyenv" \
         /usr/share/qemu /usr/share/seabios /usr/lib/ipxe /usr/lib/x86_64-linux-gnu/qemu; do
  [ -d "$d" ] && { mount -t tmpfs none "$d"; hidden=$((hidden + 1)); }
done
echo "hermetic: hid $hidden host LLVM/Python/QEMU files and directories"
for exe in python3 clang-19 clang ld.lld llvm-nm qemu-system-aarch64 qemu-system-x86_64; do
  if command -v "$exe" >/dev/null && "$exe" --version >/dev/null 2>&1; then
    echo "hermetic: FAIL: host $exe still runs inside the namespace"; exit 1
  fi
done
bazel --output_base="$ob" test --nocache_test_results "$@"
INNER
echo "hermetic: $([ $status = 0 ] && echo PASS || echo FAIL) (builds and tests with host LLVM, Python and QEMU hidden)"
exit $status
