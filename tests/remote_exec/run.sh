#!/bin/bash
# Remote execution on a real REAPI engine started here on loopback (issue 13): BuildGrid
# with its PostgreSQL scheduler and CAS, and WORKERS bots running buildbox-run/bubblewrap
# (tests/remote_exec/engine.sh). Manual, not in CI: one remote kernel is ~20-40 min on the
# shared 2 cores.
#
#   tests/remote_exec/run.sh [--workers=N] [--faults] [--keep] [SPEC...]
#
# SPEC is arch/mode[@repo] (arch arm64|x86_64, mode none|thin|full|thin_dist); default
# arm64/thin_dist. @repo builds a kernel_config hub's kernel instead of ours, e.g.
# arm64/thin_dist@linux_arm64_printk_time (a config variant: objects taken from its base). For each SPEC, in this checkout (its output base; `bazel clean` between
# builds keeps the external repositories and imports, and wipes bazel-bin):
#   1. local: `./bazel build //:vmlinux //:modules` (the disk cache of user.bazelrc may
#      serve it); the sha256 of every top-level output (vmlinux, System.map, Image or
#      bzImage, every .ko, modules.order, Module.symvers, ...) from the build event log;
#   2. remote: bazel clean, then the same with --config=remote: every spawn of the
#      execution log must have run remotely (or be a remote cache hit of the engine's),
#      none locally, and every output sum must equal the local build's;
#   3. with --faults: (i) bazel clean, build again with the engine's results refused for
#      the link-side actions (--modify_execution_info=FORCE=+no-remote-cache: they execute
#      again), SIGKILL worker 1 (bot + buildbox-run) once 5 of them have run: the build must
#      succeed with the same sums (BuildGrid requeues the lease after the bot's session
#      expires, RE_KEEPALIVE=20 s); (ii) the same build, stopping the BuildGrid server
#      after 5 leases: prints Bazel's error (README "Remote execution" documents it); then a
#      build started while the server is down.
# Prints PASS/FAIL lines, a time for each step, and per build "N remote, M remote cache
# hit, L local" from the execution log; exits non-zero on any FAIL. The engine is stopped
# on exit; --keep keeps the temp dir (engine data and logs, execution logs, profiles).
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
source "$here/tests/remote_exec/engine.sh"

workers=2
faults=0
keep=0
specs=()
targets=(//:vmlinux //:modules)
FORCE='Kernel(LtoBackend|Link|Vmlinux|ModuleLink|Modpost|BootStep)'
for a in "$@"; do
  case "$a" in
    --workers=*) workers=${a#*=} ;;
    --faults) faults=1 ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run.sh: unknown option $a" >&2; exit 2 ;;
    arm64/none|arm64/thin|arm64/full|arm64/thin_dist|x86_64/none|x86_64/thin|x86_64/full|x86_64/thin_dist) specs+=("$a") ;;
    arm64/*@*|x86_64/*@*) case "${a%@*}" in */none|*/thin|*/full|*/thin_dist) specs+=("$a") ;;
                          *) echo "run.sh: bad spec $a (mode none|thin|full|thin_dist)" >&2; exit 2 ;; esac ;;
    *) echo "run.sh: bad spec $a (arch arm64|x86_64 / mode none|thin|full|thin_dist [@repo])" >&2; exit 2 ;;
  esac
done
[ ${#specs[@]} = 0 ] && specs=(arm64/thin_dist)

work=$(mktemp -d /tmp/kernel-remote-exec.XXXXXX)
chmod 755 "$work"   # mktemp's 0700 would keep the postgres user out of engine/pg
fails=0
passes=0
cleanup() {
  re_stop
  if [ $keep = 1 ]; then echo "kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
pass() { echo "PASS: $*"; passes=$((passes + 1)); }
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
now() { date +%s; }
bz() { (cd "$here" && nice -n 10 ./bazel "$@"); }

runners() {  # EXECLOG: "N remote, M remote cache hit, L local" (+ the first local spawns)
  python3 - "$1" "$here" <<'EOF'
import sys
sys.path.insert(0, sys.argv[2])
from tools.common import execlog
spawns = execlog.read(sys.argv[1])
hits = [s for s in spawns if s.get("remoteCacheHit")]
remote = [s for s in spawns if not s.get("remoteCacheHit") and s.get("runner") == "remote"]
local = [s for s in spawns if not s.get("remoteCacheHit") and s.get("runner") != "remote"]
print(f"{len(remote)} remote, {len(hits)} remote cache hit, {len(local)} local")
for s in local[:5]:
    outs = s.get("listedOutputs") or ["?"]
    print(f"  local: {s.get('mnemonic')} {outs[0]} [{s.get('runner')}]")
EOF
}

# At most 10 connections x 100 streams: the engine serves 4,000 concurrent RPCs
# (engine.sh), and the first plan check uploads ~6,500 inputs at once (Bazel's default of
# 100 connections made 543 of them fail with "errors during bulk transfer"; 20: 16).
remote_flags() { echo "--config=remote --remote_executor=$RE_URL --remote_instance_name=$RE_INSTANCE --remote_max_connections=10"; }

wait_leases() {  # N PID: until N more leases completed (or the build PID ended)
  local want=$(( $(re_leases) + $1 ))
  while kill -0 "$2" 2>/dev/null && [ "$(re_leases)" -lt "$want" ]; do sleep 1; done
}

t0=$(now)
echo "== engine: PostgreSQL + BuildGrid + $workers workers in $work/engine"
re_start "$work/engine" "$workers" || { fail "engine did not start"; exit 1; }
echo "   $RE_URL instance $RE_INSTANCE ($(( $(now) - t0 )) s)"

for spec in "${specs[@]}"; do
  repo=""
  [[ "$spec" != *@* ]] || repo=${spec#*@}
  base=${spec%@*}
  arch=${base%/*} mode=${base#*/} tag=${base/\//_}${repo:+_$repo}
  flags=(--platforms=//platforms:$arch --//:lto=$mode)
  if [ -n "$repo" ]; then targets=("@$repo//:vmlinux" "@$repo//:modules"); else targets=(//:vmlinux //:modules); fi
  echo "== $spec: local build"
  t=$(now)
  if ! bz build "${targets[@]}" "${flags[@]}" --build_event_json_file="$work/$tag.local.bep" > "$work/$tag.local.log" 2>&1; then
    fail "$spec: local build failed: $(grep -m1 ERROR "$work/$tag.local.log" | cut -c1-300)"; continue
  fi
  python3 "$here/tests/remote_exec/bep_files.py" "$work/$tag.local.bep" > "$work/$tag.local.sums"
  echo "   $(( $(now) - t )) s, $(wc -l < "$work/$tag.local.sums") outputs"

  echo "== $spec: remote build ($workers workers)"
  bz clean > /dev/null 2>&1
  t=$(now)
  # shellcheck disable=SC2046
  if ! bz build "${targets[@]}" "${flags[@]}" $(remote_flags) --execution_log_json_file="$work/$tag.remote.exec.json" \
       --build_event_json_file="$work/$tag.remote.bep" --profile="$work/$tag.remote.profile.gz" --noslim_profile > "$work/$tag.remote.log" 2>&1; then
    fail "$spec: remote build failed: $(grep -m1 -A2 ERROR "$work/$tag.remote.log" | tr '\n' ' ' | cut -c1-400)"; continue
  fi
  secs=$(( $(now) - t ))
  python3 "$here/tests/remote_exec/bep_files.py" "$work/$tag.remote.bep" > "$work/$tag.remote.sums"
  counts=$(runners "$work/$tag.remote.exec.json")
  echo "   $secs s: $counts ($(grep -m1 'processes:' "$work/$tag.remote.log"))"
  if [[ "$counts" == *", 0 local"* ]]; then pass "$spec: no action ran locally"
  else fail "$spec: actions ran locally: $counts"; fi
  # Scale on paper from this build (README "Remote execution"): the worker's execution time
  # of each action (BuildGrid's job timestamps), the overhead as measured here.
  re_durations "$work/$tag.durations.tsv" &&
    python3 "$here/tests/remote_exec/scale.py" --exec_log="$work/$tag.remote.exec.json" \
      --durations="$work/$tag.durations.tsv" --profile="$work/$tag.remote.profile.gz" --workers=1,2,8,32,1000 |
    sed 's/^/   scale: /'
  if cmp -s "$work/$tag.local.sums" "$work/$tag.remote.sums"; then
    pass "$spec: remote outputs == local ($(wc -l < "$work/$tag.remote.sums") files: $(grep -cE '(vmlinux|Image|bzImage|\.ko)$' "$work/$tag.remote.sums") of vmlinux/image/.ko)"
  else
    fail "$spec: remote outputs differ: $(diff "$work/$tag.local.sums" "$work/$tag.remote.sums" | head -4 | tr '\n' ' ')"
  fi

  [ $faults = 1 ] || continue
  echo "== $spec: fault (i): SIGKILL worker 1 mid-build"
  bz clean > /dev/null 2>&1
  t=$(now)
  # shellcheck disable=SC2046
  (cd "$here" && exec nice -n 10 ./bazel build "${targets[@]}" "${flags[@]}" $(remote_flags) \
     --modify_execution_info="$FORCE=+no-remote-cache" --execution_log_json_file="$work/$tag.kill.exec.json" \
     --build_event_json_file="$work/$tag.kill.bep" > "$work/$tag.kill.log" 2>&1) &
  pid=$!
  wait_leases 5 "$pid"
  re_kill_worker 1
  echo "   worker 1 killed after $(( $(now) - t )) s"
  wait "$pid"; rc=$?
  re_start_worker 1
  if [ $rc = 0 ]; then
    python3 "$here/tests/remote_exec/bep_files.py" "$work/$tag.kill.bep" > "$work/$tag.kill.sums"
    if cmp -s "$work/$tag.local.sums" "$work/$tag.kill.sums"; then
      pass "$spec: worker killed mid-build: same outputs ($(( $(now) - t )) s; $(runners "$work/$tag.kill.exec.json" | head -1))"
    else fail "$spec: worker killed mid-build: outputs differ"; fi
  else
    fail "$spec: worker killed mid-build: build failed: $(grep -m1 -A2 ERROR "$work/$tag.kill.log" | tr '\n' ' ' | cut -c1-400)"
  fi

  echo "== $spec: fault (ii): stop the BuildGrid server mid-build"
  bz clean > /dev/null 2>&1
  # shellcheck disable=SC2046
  (cd "$here" && exec nice -n 10 ./bazel build "${targets[@]}" "${flags[@]}" $(remote_flags) \
     --modify_execution_info="$FORCE=+no-remote-cache" > "$work/$tag.stop.log" 2>&1) &
  pid=$!
  wait_leases 5 "$pid"
  re_stop_server
  wait "$pid"; rc=$?
  echo "   Bazel exited $rc; its error:"
  grep -E 'ERROR|FAILED' "$work/$tag.stop.log" | head -4 | cut -c1-400 | sed 's/^/     /'
  [ $rc != 0 ] && pass "$spec: server stopped mid-build: the build fails (exit $rc)" || fail "$spec: server stopped mid-build: the build succeeded?"
  # shellcheck disable=SC2046
  bz build "${targets[@]}" "${flags[@]}" $(remote_flags) > "$work/$tag.down.log" 2>&1; rc=$?
  echo "   build started with the server down: exit $rc:"
  grep -E 'ERROR|FAILED' "$work/$tag.down.log" | head -3 | cut -c1-400 | sed 's/^/     /'
  re_start_server || { fail "BuildGrid did not restart"; break; }
done

echo "total $(( $(now) - t0 )) s"
echo "$passes passed, $fails failed"
[ $fails = 0 ]
