#!/bin/bash
# Scale on paper of a build too large to run remotely on this box (issue 13: x86_64
# defconfig): one clean local build with no cache, then tests/remote_exec/scale.py --local
# over its execution log and profile (each action's local wall time as its duration, plus
# the per-action remote overhead measured by tests/remote_exec/run.sh on a tiny kernel:
# STAGE,DISPATCH,CLIENT seconds, scale.py --overhead).
#
#   bench/scale_local.sh --workspace=DIR --output_base=OB --overhead=STAGE,DISPATCH,CLIENT --out=PREFIX \
#       -- BAZEL_BUILD_ARGS...
#
# e.g. bench/scale_local.sh --workspace=examples/x86_64_defconfig --output_base=/var/tmp/ob \
#        --overhead=0.88,0.55,0.17 --out=/var/tmp/scale-thin -- --@rules_kernel_lto//:lto=thin \
#        --platforms=@rules_kernel_lto//platforms:x86_64 @my_kernel//:vmlinux @my_kernel//:modules
#
# `bazel clean` first (the import, an external repository, stays); the build runs with
# --disk_cache= and --remote_cache= so that every action executes. Writes PREFIX.exec.json,
# PREFIX.profile.gz, PREFIX.log and PREFIX.scale.txt (scale.py's report, also printed).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
ws="" ob="" overhead="" out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --workspace=*) ws=${1#*=} ;;
    --output_base=*) ob=${1#*=} ;;
    --overhead=*) overhead=${1#*=} ;;
    --out=*) out=${1#*=} ;;
    --) shift; break ;;
    *) echo "scale_local.sh: unknown argument $1 (see the header)" >&2; exit 2 ;;
  esac
  shift
done
if [ -z "$ws" ] || [ -z "$ob" ] || [ -z "$overhead" ] || [ -z "$out" ] || [ $# = 0 ]; then
  echo "scale_local.sh: needs --workspace, --output_base, --overhead, --out and -- BUILD_ARGS" >&2; exit 2
fi
bz() { (cd "$ws" && "$here/bazel" --output_base="$ob" "$@"); }
bz clean > "$out.log" 2>&1
t=$(date +%s)
bz build --disk_cache= --remote_cache= --execution_log_json_file="$out.exec.json" \
  --profile="$out.profile.gz" --noslim_profile "$@" >> "$out.log" 2>&1 ||
  { echo "scale_local.sh: the build failed: $(grep -m1 -A2 ERROR "$out.log" | tr '\n' ' ' | cut -c1-300)" >&2; exit 1; }
{
  echo "build: $(( $(date +%s) - t )) s wall, $(grep -m1 'processes:' "$out.log" | sed 's/^INFO: //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
  python3 "$here/tests/remote_exec/scale.py" --exec_log="$out.exec.json" --profile="$out.profile.gz" \
    --local --overhead="$overhead" --workers=1,2,8,32,128,1000
} | tee "$out.scale.txt"
