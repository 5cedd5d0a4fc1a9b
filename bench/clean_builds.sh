#!/bin/bash
# Clean kernel builds, one platform x LTO mode at a time, in a fresh output base.
#
#   bench/clean_builds.sh [OUT.tsv] [arch/mode ...]     (default: all 8, arm64 first)
#
# Per build: wall seconds, processes run (Bazel's count), output sha256s, and the kernel's
# action graph by mnemonic (aquery). Builds run in order, so a later mode of the same config (thin after
# thin_dist) reuses its compiles: the table says how many actions each build ran.
# The Kbuild import (repository fetch) is timed separately first.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench/clean_builds.tsv}
shift || true
combos=("$@")
[ ${#combos[@]} -gt 0 ] || combos=(arm64/none arm64/thin_dist arm64/thin arm64/full x86_64/none x86_64/thin_dist x86_64/thin x86_64/full)
base=${BENCH_BASE:-$(mktemp -d /tmp/kernel-bench.XXXXXX)}
mkdir -p "$base"
bz() { ./bazel --output_base="$base/ob" "$@"; }
log="$base/log"
if [ -z "${BENCH_RESUME:-}" ]; then  # BENCH_RESUME=1: same output base, append to OUT
  printf 'what\tseconds\tactions\tdetail\n' > "$out"
  t0=$(date +%s.%N)
  bz fetch @linux_arm64_none//:all @linux_arm64_thin//:all @linux_arm64_full//:all \
    @linux_x86_64_none//:all @linux_x86_64_thin//:all @linux_x86_64_full//:all > "$log" 2>&1
  t1=$(date +%s.%N)
  printf 'fetch+import(6 configs, toolchain)\t%.0f\t-\t%s\n' "$(echo "$t1 - $t0" | bc)" "$(uname -m)" >> "$out"
fi
for c in "${combos[@]}"; do
  arch=${c%/*} mode=${c#*/}
  t0=$(date +%s.%N)
  bz build //:vmlinux --platforms=//platforms:$arch --//:lto=$mode \
    --profile="$base/profile_${arch}_${mode}.json.gz" >> "$log" 2>&1
  t1=$(date +%s.%N)
  # Actions run = the processes Bazel reports; per mnemonic from the action graph (all of
  # them ran unless an earlier build of the same config had run them: see "processes").
  ran=$(grep -a -o 'INFO: [0-9,]* processes' "$log" | tail -1 | tr -dc 0-9)
  counts=$(bz aquery "deps(//:vmlinux)" --platforms=//platforms:$arch --//:lto=$mode --output=jsonproto 2>/dev/null \
    | python3 -c '
import collections, json, sys
n = collections.Counter(a["mnemonic"] for a in json.load(sys.stdin).get("actions", []) if a["mnemonic"].startswith("Kernel"))
print(sum(n.values()), " ".join(f"{k}={v}" for k, v in sorted(n.items())))')
  root=$(bz info execution_root 2>/dev/null)
  files=$(bz cquery //:vmlinux --platforms=//platforms:$arch --//:lto=$mode --output=starlark --starlark:expr='"\n".join([f.path for f in target.files.to_list()])' 2>/dev/null | sort)
  sums=$(for f in $files; do printf '%s=%s ' "$(basename "$f")" "$(sha256sum "$root/$f" | cut -c1-16)"; done)
  printf '%s\t%.0f\t%s\t%s; graph %s %s\n' "$c" "$(echo "$t1 - $t0" | bc)" "$ran" "$sums" "${counts%% *}" "${counts#* }" >> "$out"
  cat "$out" | tail -1
done
echo "output base: $base/ob (bazel --output_base=$base/ob test //tests/boot:boots boots these kernels without rebuilding them)"
