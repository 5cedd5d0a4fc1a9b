#!/usr/bin/env bash
# kCFI matrix (issue 11 part 2), one kernel at a time, timed:
#   tests/cfi/run.sh [arch/mode ...]        default: arm64 and x86_64 x thin_dist thin full none
# For each arch: the same config without CFI (@linux_<arch>_cfi_off, none) is built first
# (the initcall reference). For each arch/mode: build @linux_<arch>_cfi//:vmlinux, run
# //tests/cfi:cfi_<arch>_<mode>_test (boots; LKDTM CFI_FORWARD_PROTO prints "CFI failure
# at ..."; built-in initcalls equal the no-CFI kernel's), and write the kCFI facts
# (tools/kcfi_facts: every function's type hash, trap sites per function). Then thin_dist's
# facts must equal thin's (our distributed backends vs lld's in-process ones).
# Prints PASS/FAIL lines, a table, and `N passed, N failed`. Run it in a worktree of your own
# (each kernel is a clean build; ~5-10 min each on 2 cores).
set -uo pipefail
cd "$(dirname "$0")/../.."
bazel="${BAZEL:-./bazel}"
tmp="$(mktemp -d)"
passed=0
failed=0
pass() { echo "PASS $*"; passed=$((passed + 1)); }
fail() { echo "FAIL $*"; failed=$((failed + 1)); }

cases=("$@")
if [ ${#cases[@]} = 0 ]; then
  for arch in arm64 x86_64; do for mode in thin_dist thin full none; do cases+=("$arch/$mode"); done; done
fi

# The path of the output ending in /NAME that build log LOG printed.
output() {
  local rel
  rel="$(grep -oE "bazel-out/[^ ]*/$1\$" "$2" | tail -1)"
  [ -n "$rel" ] && echo "$execroot/$rel"
}
text_size() {
  local h
  h="$(readelf -SW "$1" | sed -n 's/.*\] \.text *PROGBITS *[0-9a-f]* [0-9a-f]* \([0-9a-f]*\) .*/\1/p')"
  [ -n "$h" ] && printf '%d\n' "0x$h"
}

# The sizes of vmlinux's distinct function symbols, summed (x86_64's .text is padded: its
# entry text is 2 MiB-aligned). readelf prints sizes over 99999 in hex.
func_bytes() {
  readelf -sW "$1" | awk '$4 == "FUNC" && $3 != "0" && !($2 in seen) {
    seen[$2] = 1; n = $3
    if (n ~ /^0x/) { v = 0; for (i = 3; i <= length(n); i++) v = v * 16 + index("0123456789abcdef", substr(n, i, 1)) - 1; n = v }
    t += n } END { print t + 0 }'
}

execroot="$("$bazel" info execution_root 2>/dev/null)"
testlogs="$("$bazel" info bazel-testlogs 2>/dev/null)"
rows=()
declare -A base_done
for c in "${cases[@]}"; do
  arch="${c%/*}"; mode="${c#*/}"
  if [ -z "${base_done[$arch]:-}" ]; then
    base_done[$arch]=1
    s=$SECONDS
    if nice "$bazel" build "@linux_${arch}_cfi_off//:vmlinux" --platforms="//platforms:$arch" --//:lto=none \
        >"$tmp/off_$arch.log" 2>&1; then
      v="$(output vmlinux "$tmp/off_$arch.log")"
      echo "no-CFI reference $arch none: built in $((SECONDS - s)) s, .text $(text_size "$v") bytes, functions $(func_bytes "$v") bytes"
    else
      fail "$arch: the no-CFI reference does not build (see $tmp/off_$arch.log)"
    fi
  fi
  s=$SECONDS
  built=no boots=- trap=- initcalls=- facts=- size=
  if nice "$bazel" build "@linux_${arch}_cfi//:vmlinux" --platforms="//platforms:$arch" --//:lto="$mode" \
      >"$tmp/build_${arch}_$mode.log" 2>&1; then
    built=yes
    v="$(output vmlinux "$tmp/build_${arch}_$mode.log")"
    size="$(text_size "$v") / $(func_bytes "$v")"
    cp "$v" "$tmp/vmlinux_${arch}_$mode"
  else
    fail "$c: build (see $tmp/build_${arch}_$mode.log)"
  fi
  tbuild=$((SECONDS - s))
  s=$SECONDS
  if [ $built = yes ]; then
    t="//tests/cfi:cfi_${arch}_${mode}_test"
    nice "$bazel" test "$t" >"$tmp/test_${arch}_$mode.log" 2>&1
    st=$?
    tlog="$testlogs/tests/cfi/cfi_${arch}_${mode}_test/test.log"
    if [ $st = 0 ]; then
      boots=yes trap=yes initcalls=yes
      pass "$c: boots, \"CFI failure at\" reported, initcalls equal the no-CFI kernel's"
    else
      if grep -q "initcall sequence differs" "$tlog" 2>/dev/null; then boots=yes trap=yes initcalls=NO
      elif grep -q "init reached its end" "$tlog" 2>/dev/null; then boots=yes trap=NO
      else boots=NO
      fi
      fail "$c: $(grep -m1 '^boot_test:' "$tlog" 2>/dev/null || echo "test failed, see $tmp/test_${arch}_$mode.log")"
    fi
    if nice "$bazel" run //tools/kcfi_facts -- --arch="$arch" --vmlinux="$tmp/vmlinux_${arch}_$mode" \
        --out="$tmp/facts_${arch}_$mode.txt" --expect_cfi >"$tmp/facts_${arch}_$mode.log" 2>&1; then
      facts="$(grep -c '^prefix ' "$tmp/facts_${arch}_$mode.txt") hashes/$(awk '/^traps /{n+=$3} END{print n+0}' "$tmp/facts_${arch}_$mode.txt") traps"
    else
      fail "$c: $(grep -m1 kcfi_facts "$tmp/facts_${arch}_$mode.log")"
    fi
  fi
  rows+=("| $arch | $mode | $built | $boots | $trap | $initcalls | ${size:-} | $facts | ${tbuild} s + $((SECONDS - s)) s |")
done

for arch in arm64 x86_64; do
  a="$tmp/facts_${arch}_thin.txt" b="$tmp/facts_${arch}_thin_dist.txt"
  [ -f "$a" ] && [ -f "$b" ] || continue
  if diff -u "$a" "$b" >"$tmp/facts_${arch}.diff"; then
    pass "$arch: thin_dist's kCFI facts equal thin's ($(wc -l <"$a") lines)"
  else
    fail "$arch: thin_dist's kCFI facts differ from thin's: $(grep -c '^[-+][pt]' "$tmp/facts_${arch}.diff") lines ($tmp/facts_${arch}.diff)"
  fi
done

echo
echo "| arch | mode | built | boots | CFI failure reported | initcalls equal | .text / function bytes | kCFI facts | build + test/boot |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo "logs: $tmp"
echo "$passed passed, $failed failed"
[ $failed = 0 ]
