#!/usr/bin/env bash
# The whole test suite: `bazel test //...` (unit, analysis, toolchain smoke and hermetic
# checks) and one kernel boot, the mount-namespace hermeticity run, and the integration
# workspaces.
# Ends with one line `N passed, N failed`: Python test cases (from Bazel's test.xml),
# other Bazel test targets, and integration cases.
set -uo pipefail
cd "$(dirname "$0")/.."
bazel=./bazel
log=$(mktemp)
passed=0
failed=0

# Bazel first (it also installs Bazel and fetches the toolchains on a fresh machine).
# Plus two real kernels with their modules: the default build (arm64, thin_dist) and
# x86_64 none (objtool per object), each with its in-tree modules and the out-of-tree
# pair (tests/modules), booted in QEMU from a busybox initramfs that insmods them; the
# built-in initcalls must equal Kbuild's golden. Every platform x mode:
#   ./bazel test //tests/boot:boots //tests/boot:modules
# x86_64 none also boots from its bzImage (arch/x86/boot as actions; //tests/boot:bzimages: every mode).
# The daily loop on that kernel (tests/daily): `bazel run //:boot` driven through a pty to
# the busybox prompt, and `bazel run //:dist` checked with kmod.
# compile_commands.json of arm64 thin: every 8th entry through clang -fsyntax-only (~1.5 min).
# Config footprints (tests/config_slice): a fixed quarter of both kernels' objects preprocesses
# the same with its slice of autoconf.h as with the whole file (every object: manual targets).
# Config variants (tests/variants): @linux_<arch>_printk_time takes every object but printk.o
# (and those never shared) from its base; a quarter compiled again and compared; arm64 boots.
"$bazel" test //... //tests/boot:modules_arm64_thin_dist_test //tests/boot:modules_x86_64_none_test \
  //tests/boot:bzimage_x86_64_none_test \
  //tests/daily:boot_pty_x86_64_none_test //tests/daily:dist_x86_64_none_test \
  //tests/compile_commands:arm64_thin_sample_test \
  //tests/config_slice:arm64_thin_sample_test //tests/config_slice:x86_64_none_sample_test \
  //tests/variants:arm64_thin_sample_share_test //tests/variants:x86_64_none_sample_share_test \
  //tests/variants:boot_arm64_printk_time_thin_dist_test 2>&1 | tee "$log"
bazel_status=${PIPESTATUS[0]}
echo "=== bazel test: ${SECONDS} s"
testlogs=$("$bazel" info bazel-testlogs 2>/dev/null)
while read -r target result; do
  xml="$testlogs/${target#//}"; xml="${xml/://}/test.xml"
  cases=""
  if [ -f "$xml" ] && grep -q '<testsuites' "$xml"; then
    cases=$(sed -n 's/.*<testsuites[^>]* tests="\([0-9]*\)".*/\1/p' "$xml" | head -1)
    bad=$(sed -n 's/.*<testsuites[^>]* failures="\([0-9]*\)" errors="\([0-9]*\)".*/\1 \2/p' "$xml" | head -1)
  fi
  if [ -n "$cases" ] && [ "$result" = PASSED ]; then
    passed=$((passed + cases))
  elif [ -n "$cases" ]; then
    set -- $bad
    failed=$((failed + ${1:-0} + ${2:-0})); passed=$((passed + cases - ${1:-0} - ${2:-0}))
    [ $(( ${1:-0} + ${2:-0} )) -gt 0 ] || failed=$((failed + 1))
  elif [ "$result" = PASSED ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
  fi
done < <(sed -n 's#^\(//[^ ]*\) \{1,\}\(([a-z]*) \)\{0,1\}\(PASSED\|FAILED\|TIMEOUT\|NO STATUS\|FAILED TO BUILD\|FLAKY\|INCOMPLETE\).*#\1 \3#p' "$log" | sed 's/ NO STATUS$/ NO_STATUS/; s/ FAILED TO BUILD$/ FAILED_TO_BUILD/')
if [ "$bazel_status" != 0 ] && [ $failed = 0 ]; then
  failed=$((failed + 1))   # e.g. a loading error: no target lines at all
fi

# Integration: each script prints `PASS`/`FAIL` lines; its exit status must agree.
# tests/repro: x86_64 none (objtool, host programs) built in two checkouts at different
# paths: identical outputs and action inputs, then all remote cache hits from nginx.
for script in tests/hermetic/run.sh tests/integration/*/run.sh "tests/repro/run.sh --cache=nginx --first=here x86_64/none"; do
  [ -f "${script%% *}" ] || continue
  echo "=== $script"
  # shellcheck disable=SC2086
  t0=$SECONDS
  out=$(bash $script 2>&1); status=$?
  echo "$out" | tail -40
  echo "=== $script: $((SECONDS - t0)) s"
  p=$(grep -c '\bPASS\b' <<<"$out"); f=$(grep -c '\bFAIL\b' <<<"$out")
  if [ $status != 0 ] && [ "$f" = 0 ]; then f=1; fi
  passed=$((passed + p)); failed=$((failed + f))
done

rm -f "$log"
echo "=== total: ${SECONDS} s"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
