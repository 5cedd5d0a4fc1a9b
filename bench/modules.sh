#!/usr/bin/env bash
# Module build time per platform x mode, on top of an already built kernel.
#
#   bench/modules.sh [ARCH/MODE ...]        default: all 8
#
# For each: builds //:modules (kernel included, cached after the first run), then deletes
# the module outputs (every .ko, M.o, .mod.c/.mod.o, Module.symvers, module part objects,
# thin-link trees and backend natives) and rebuilds //:modules with a JSON profile, so
# exactly the module actions run again. Prints per mode the wall time, the number of
# actions and the time summed per mnemonic (KernelCompile of parts and .mod.c,
# KernelThinLink, KernelLtoBackend, KernelModuleObject, KernelModpost, KernelModuleLink).
set -euo pipefail
cd "$(dirname "$0")/.."
configs=("$@")
[ ${#configs[@]} -gt 0 ] || configs=(arm64/thin_dist arm64/thin arm64/full arm64/none x86_64/thin_dist x86_64/thin x86_64/full x86_64/none)
out=$(mktemp -d)
for c in "${configs[@]}"; do
  arch=${c%/*} mode=${c#*/}
  cfg=$mode; [ "$mode" = thin_dist ] && cfg=thin
  flags=(--platforms=//platforms:$arch --//:lto=$mode)
  ./bazel build //:modules "${flags[@]}" > "$out/build.log" 2>&1 || { tail -20 "$out/build.log"; exit 1; }
  dir=$(grep -o "bazel-out/[^ ]*/modules_$mode/" "$out/build.log" | head -1)
  [ -n "$dir" ] || { echo "bench/modules: no modules_$mode outputs in the build log" >&2; exit 1; }
  objects="${dir%modules_$mode/}objects"
  plan="$(./bazel info output_base 2>/dev/null)/external/linux_${arch}_${cfg}/plan.json"
  # The module parts: plan objects with a `module`.
  python3 - "$plan" "$objects" <<'EOF' | xargs -r rm -rf
import json, sys
plan, objects = sys.argv[1:]
for o in json.load(open(plan))["objects"]:
    if o.get("module"):
        print(f"{objects}/{o['out']}")
        print(f"{objects}/{o['out']}.inputs")
EOF
  rm -rf "$dir"
  start=$(date +%s.%N)
  ./bazel build //:modules "${flags[@]}" --profile="$out/profile.json" > "$out/build.log" 2>&1 || { tail -20 "$out/build.log"; exit 1; }
  end=$(date +%s.%N)
  python3 - "$out/profile.json" "$c" "$start" "$end" <<'EOF'
import collections, json, sys
path, config, start, end = sys.argv[1:]
events = json.load(open(path))
events = events["traceEvents"] if isinstance(events, dict) else events
total = collections.Counter()
count = collections.Counter()
for e in events:
    if e.get("cat") == "action processing" and e.get("ph") == "X":
        m = (e.get("args") or {}).get("mnemonic") or e.get("name", "?").split(" ")[0]
        total[m] += e["dur"] / 1e6
        count[m] += 1
parts = ", ".join(f"{m} {count[m]} x = {total[m]:.1f} s" for m in sorted(total))
print(f"{config}: {float(end) - float(start):.1f} s wall, {sum(count.values())} actions ({parts})")
EOF
done
rm -rf "$out"
