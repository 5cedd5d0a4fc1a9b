#!/usr/bin/env bash
# Integration test (CI): real configs import and analyse. Each example workspace (Linux 6.1
# `defconfig` through kernel_config, ThinLTO) is imported into a fresh output base and its
# front door analysed in thin_dist: @my_kernel//:vmlinux, :image, :modules and its boot tests.
#   x86_64  examples/x86_64_defconfig (EFI stub, bzImage; //:bzimage_test, //:ovmf_test)
#   arm64   examples/arm64_defconfig (KVM nVHE, compat vDSO, ~1,000 modules; //:boot_test)
# The whole builds are benchmarks (bench/), not CI.
#
#   bash tests/integration/defconfig/run.sh [x86_64] [arm64]      (default: both)
#
# Cases, per arch:
#   ARCH/import_analysis  `build --nobuild` of the targets succeeds (the import runs every
#                         Kbuild step the plan models; a step it cannot model is a one-line error)
#   ARCH/plan             the plan holds at least MIN objects and modules (x86_64: 2,715
#                         objects, 8 modules, want >= 2,000 and 5; arm64: 7,074 and 1,016, want
#                         >= 6,000 and 800): an import that silently dropped work fails
#   ARCH/null_analysis    the same command again: nothing re-imported or re-analysed
# Prints `PASS name (numbers)` / `FAIL name: why`, then `defconfig: N passed, N failed`; the
# numbers (import + analysis wall time, null time, Bazel heap) are measurements, not limits.
# DEFCONFIG_KEEP=1 keeps the temporary output bases.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
bazel="${BAZEL:-$root/bazel}"
tmp="$(mktemp -d /tmp/defconfig.XXXXXX)"
cleanup() {
  local a
  for a in x86_64 arm64; do
    [ -d "$tmp/$a" ] && (cd "$root/examples/${a}_defconfig" && "$bazel" --output_base="$tmp/$a" shutdown) >/dev/null 2>&1
  done
  if [ -n "${DEFCONFIG_KEEP:-}" ]; then
    echo "defconfig: kept $tmp" >&2
  else
    chmod -R u+w "$tmp" 2>/dev/null || true
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
pass() { echo "PASS $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

# check ARCH MIN_OBJECTS MIN_MODULES TARGET...: the three cases for examples/ARCH_defconfig.
check() {
  local arch=$1 min_objects=$2 min_modules=$3
  shift 3
  local ws="$root/examples/${arch}_defconfig" log="$tmp/$arch" start heap counts
  local bzl=("$bazel" --output_base="$tmp/$arch")
  local flags=(--nobuild --symlink_prefix=/ --platforms=@rules_kernel_lto//platforms:$arch)
  start=$(date +%s)
  if (cd "$ws" && "${bzl[@]}" build "${flags[@]}" "$@") > "$log.first" 2>&1; then
    pass "$arch/import_analysis ($(( $(date +%s) - start )) s import + analysis, $(grep -o '[0-9,]* targets configured' "$log.first" | tail -1))"
  else
    fail "$arch/import_analysis: $(grep -m1 -E '^ERROR|error:' "$log.first" || tail -1 "$log.first")"
    return
  fi

  local plan="$tmp/$arch/external/my_kernel_thin/plan.json"
  if counts=$(python3 - "$plan" "$min_objects" "$min_modules" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1]))
objects, modules = len(plan["objects"]), len((plan.get("modules") or {}).get("list", {}))
print(objects, modules)
sys.exit(0 if objects >= int(sys.argv[2]) and modules >= int(sys.argv[3]) else 1)
PY
  ); then
    pass "$arch/plan ($counts: objects, modules; $(( $(stat -c %s "$plan") / 1000000 )) MB plan.json)"
  else
    fail "$arch/plan: $plan holds ${counts:-nothing readable} (objects, modules); want >= $min_objects objects and $min_modules modules"
  fi

  start=$(date +%s%N)
  if (cd "$ws" && "${bzl[@]}" build "${flags[@]}" "$@") > "$log.null" 2>&1; then
    heap=$(cd "$ws" && "${bzl[@]}" info used-heap-size-after-gc 2>/dev/null)
    pass "$arch/null_analysis ($(( ($(date +%s%N) - start) / 1000000 )) ms, Bazel heap after GC ${heap:-?})"
  else
    fail "$arch/null_analysis: $(grep -m1 -E '^ERROR' "$log.null" || tail -1 "$log.null")"
  fi
  # The next arch's output base would hold a second server's heap: stop this one.
  (cd "$ws" && "${bzl[@]}" shutdown) >/dev/null 2>&1
}

arches=("$@")
[ ${#arches[@]} -gt 0 ] || arches=(x86_64 arm64)
for arch in "${arches[@]}"; do
  case "$arch" in
    # The boot tests' kernel is vmlinux() of @my_kernel//:kernels.bzl: analysed too.
    x86_64) check x86_64 2000 5 @my_kernel//:vmlinux @my_kernel//:image @my_kernel//:modules //:bzimage_test //:ovmf_test ;;
    arm64) check arm64 6000 800 @my_kernel//:vmlinux @my_kernel//:image @my_kernel//:modules //:boot_test ;;
    *) fail "$arch: no examples/${arch}_defconfig (x86_64 or arm64)" ;;
  esac
done

echo "defconfig: $passed passed, $failed failed"
[ "$failed" = 0 ]
