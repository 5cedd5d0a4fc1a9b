#!/usr/bin/env bash
# Integration test (CI): a real config imports and analyses. examples/x86_64_defconfig (Linux
# 6.1 x86_64 `defconfig`, EFI stub, ThinLTO through kernel_config) is imported into a fresh
# output base and its front door analysed: @my_kernel//:vmlinux, :image (bzImage), :modules in
# thin_dist, and its boot tests (//:bzimage_test, //:ovmf_test). The whole builds are benchmarks (bench/), not CI.
#
#   bash tests/integration/defconfig/run.sh
#
# Cases:
#   import_analysis  `build --nobuild` of the five targets succeeds (the import runs every
#                    Kbuild step the plan models; a step it cannot model is a one-line error)
#   plan             the plan holds at least 2,000 objects and 5 modules (x86_64 defconfig:
#                    2,715 objects, 8 modules): an import that silently dropped work fails
#   null_analysis    the same command again: nothing re-imported or re-analysed
# Prints `PASS name (numbers)` / `FAIL name: why`, then `defconfig: N passed, N failed`; the
# numbers (import + analysis wall time, null time, Bazel heap) are measurements, not limits.
# DEFCONFIG_KEEP=1 keeps the temporary output base.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
bazel="${BAZEL:-$root/bazel}"
ws="$root/examples/x86_64_defconfig"
tmp="$(mktemp -d /tmp/defconfig.XXXXXX)"
ob="$tmp/output_base"
bzl=("$bazel" --output_base="$ob")
cleanup() {
  (cd "$ws" && "${bzl[@]}" shutdown) >/dev/null 2>&1
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

# and the example's boot tests (their kernel is vmlinux() of @my_kernel//:kernels.bzl).
targets=(@my_kernel//:vmlinux @my_kernel//:image @my_kernel//:modules //:bzimage_test //:ovmf_test)
flags=(--nobuild --symlink_prefix=/ --platforms=@rules_kernel_lto//platforms:x86_64)

start=$(date +%s)
if (cd "$ws" && "${bzl[@]}" build "${flags[@]}" "${targets[@]}") > "$tmp/first.log" 2>&1; then
  pass "import_analysis ($(( $(date +%s) - start )) s import + analysis, $(grep -o '[0-9,]* targets configured' "$tmp/first.log" | tail -1))"
else
  fail "import_analysis: $(grep -m1 -E '^ERROR|error:' "$tmp/first.log" || tail -1 "$tmp/first.log")"
  echo "defconfig: $passed passed, $failed failed"
  exit 1
fi

plan="$ob/external/my_kernel_thin/plan.json"
if counts=$(python3 - "$plan" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1]))
objects, modules = len(plan["objects"]), len((plan.get("modules") or {}).get("list", {}))
print(objects, modules)
sys.exit(0 if objects >= 2000 and modules >= 5 else 1)
PY
); then
  pass "plan ($counts: objects, modules; $(( $(stat -c %s "$plan") / 1000000 )) MB plan.json)"
else
  fail "plan: $plan holds ${counts:-nothing readable} (objects, modules); want >= 2000 objects and 5 modules"
fi

start=$(date +%s%N)
if (cd "$ws" && "${bzl[@]}" build "${flags[@]}" "${targets[@]}") > "$tmp/null.log" 2>&1; then
  heap=$(cd "$ws" && "${bzl[@]}" info used-heap-size-after-gc 2>/dev/null)
  pass "null_analysis ($(( ($(date +%s%N) - start) / 1000000 )) ms, Bazel heap after GC ${heap:-?})"
else
  fail "null_analysis: $(grep -m1 -E '^ERROR' "$tmp/null.log" || tail -1 "$tmp/null.log")"
fi

echo "defconfig: $passed passed, $failed failed"
[ "$failed" = 0 ]
