#!/bin/bash
# A real remote cache, started here on loopback: a second checkout must get every action
# from it.
#
#   tests/remote_cache/run.sh [--server=nginx|buildgrid|both] [--faults] [--keep]
#                             [--targets='//a //b'] [--corrupt=N] [--flags='--x --y'] [SPEC...]
#
# SPEC is arch/mode (arch arm64|x86_64, mode none|thin|full|thin_dist): builds
# `//:vmlinux //:modules --platforms=//platforms:ARCH --//:lto=MODE` (--targets replaces the
# target list; with --targets and no SPEC, the targets are built with no platform or LTO
# flag). Default: arm64/thin_dist with nginx.
#
# For each server (tests/remote_cache/servers.sh): start it; checkout A (`git archive HEAD`)
# builds with --config=ci-cache and the writer's URL (uploads, as CI does); checkout B, at
# another path and directory depth with a fresh output base, builds the same: every spawn
# in B's execution log must be a remote cache hit, and the sha256 of every top-level output
# file must equal A's. B writes too (--config=ci-cache), so that (ii) shows the cache
# healed by a writer's uploads; read-only builds: tests/repro, tests/remote_cache/trust.sh.
# With --faults, in B:
#   (i)  bazel clean; build in the background; SIGKILL the server once it has answered a
#        third of the action-cache lookups (the build is executing actions): the build
#        must still succeed, with the same sums (no flag needed: see .bazelrc);
#        then a build started while the server is down (HTTP: succeeds; gRPC: Bazel 4.2.3
#        stops at its capabilities check, printed as a note);
#   (ii) restart the server on the same data dir (BuildGrid's action cache is in memory:
#        A re-populates it after bazel clean), overwrite --corrupt=N (default 3) CAS
#        blobs that B downloads, bazel clean, build: must succeed with the same sums;
#        prints how many actions were re-executed.
# Prints PASS/FAIL lines and a time for every step; exits non-zero on any FAIL. Servers,
# Bazel servers and temp dirs are cleaned up on exit; --keep keeps the temp dirs (the
# checkouts, output bases, logs and the server's data; servers are stopped all the same).
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
source "$here/tests/remote_cache/servers.sh"

servers=(nginx)
faults=0
keep=0
corrupt=3
targets="//:vmlinux //:modules"
targets_given=0
extra_flags=""
specs=()
for a in "$@"; do
  case "$a" in
    --server=nginx|--server=buildgrid) servers=("${a#*=}") ;;
    --server=both) servers=(nginx buildgrid) ;;
    --faults) faults=1 ;;
    --keep) keep=1 ;;
    --corrupt=*) corrupt=${a#*=} ;;
    --targets=*) targets=${a#*=}; targets_given=1 ;;
    --flags=*) extra_flags=${a#*=} ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "run.sh: unknown option $a" >&2; exit 2 ;;
    */*)
      case "${a%/*}:${a#*/}" in
        arm64:none|arm64:thin|arm64:full|arm64:thin_dist|x86_64:none|x86_64:thin|x86_64:full|x86_64:thin_dist) specs+=("$a") ;;
        *) echo "run.sh: bad spec $a (arch arm64|x86_64, mode none|thin|full|thin_dist)" >&2; exit 2 ;;
      esac ;;
    *) echo "run.sh: bad spec $a (arch/mode)" >&2; exit 2 ;;
  esac
done
if [ ${#specs[@]} = 0 ]; then
  if [ $targets_given = 1 ]; then specs=(default); else specs=(arm64/thin_dist); fi
fi

work=$(mktemp -d /tmp/kernel-remote-cache.XXXXXX)
chmod 755 "$work"   # nginx's workers (nobody) reach the server's data dir through it
obs=()
cleanup() {
  rc_stop
  local ob
  for ob in "${obs[@]}"; do
    [ -d "$ob" ] && (cd "$A" && bazel --output_base="$ob" shutdown >/dev/null 2>&1)
  done
  if [ $keep = 1 ]; then
    echo "kept: $work (checkouts a/, b/; output bases *.ob; logs; server data in server-*)"
  else
    chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
step() { echo "time: $1: $2 s"; }

spec_flags() {  # SPEC -> build flags
  [ "$1" = default ] && return 0
  echo "--platforms=//platforms:${1%/*} --//:lto=${1#*/}"
}

# Checkout A and B: `git archive HEAD`, different paths, names and depths.
t0=$(now)
A="$work/a/rules_kernel_lto"
B="$work/b/deeper/by/three/other-name"
for d in "$A" "$B"; do
  mkdir -p "$d" && git -C "$here" archive HEAD | tar -x -C "$d" || { echo "FAIL: git archive HEAD into $d"; exit 1; }
done
step "checkouts A ($A) and B ($B)" "$(since "$t0")"

bz() {  # DIR OB ARGS...: ./bazel in checkout DIR with output base OB
  local dir=$1 ob=$2; shift 2
  (cd "$dir" && ./bazel --output_base="$ob" "$@")
}

build() {  # DIR OB SPEC LOG EXECLOG: build the targets with the cache
  local dir=$1 ob=$2 spec=$3 log=$4 exec=$5
  # shellcheck disable=SC2046,SC2086
  bz "$dir" "$ob" build $targets $(spec_flags "$spec") --config=ci-cache \
    --remote_cache="$RC_WRITE_URL" --execution_log_json_file="$exec" $extra_flags > "$log" 2>&1
}

sums() {  # DIR OB SPEC OUT: "sha256  path" of every top-level output file, sorted
  local dir=$1 ob=$2 spec=$3 out=$4 root t f files
  : > "$out"
  root=$(bz "$dir" "$ob" info execution_root 2>/dev/null) || return 1
  for t in $targets; do
    # shellcheck disable=SC2046
    files=$(bz "$dir" "$ob" cquery "$t" $(spec_flags "$spec") --output=starlark \
      --starlark:expr='"\n".join([f.path for f in target.files.to_list()])' 2>/dev/null) || return 1
    for f in $files; do
      (cd "$root" && sha256sum "$f") >> "$out" || return 1
    done
  done
  sort -k2 -o "$out" "$out"
  [ -s "$out" ]
}

compare_sums() {  # WANT GOT WHAT
  if diff -u "$1" "$2" > "$2.diff"; then
    pass "$3: $(wc -l < "$1") top-level output files identical to checkout A's"
  else
    fail "$3: top-level outputs differ from checkout A's: $(grep -c '^[-+][0-9a-f]' "$2.diff") lines in $2.diff"
    head -20 "$2.diff"
  fi
}

hits() {  # EXECLOG: print "HITS TOTAL"
  python3 "$here/tests/remote_cache/exec_log.py" hits "$1"
}

misses() {  # EXECLOG MAX: the first MAX misses, "mnemonic output [runner]"
  python3 "$here/tests/remote_cache/exec_log.py" misses "$1" "$2"
}

build_failed() {  # WHAT LOG
  fail "$1: bazel build failed: $(grep -E '^(ERROR|FATAL)' "$2" | head -3 | tr '\n' ' ' | cut -c1-400)"
  tail -15 "$2" | sed 's/^/    /'
}

run_server() {
  local server=$1 spec tag t ob_a ob_b
  local sdir="$work/server-$server"
  t=$(now)
  rc_start "$server" "$sdir" || { fail "$server: server did not start"; return; }
  step "$server started at $RC_URL" "$(since "$t")"
  local line
  while read -r line; do  # nginx: writes need the credentials (a note for BuildGrid)
    case "$line" in PASS:*) pass "${line#PASS: }" ;; FAIL:*) fail "${line#FAIL: }" ;; *) echo "$line" ;; esac
  done < <(rc_check_auth)
  ob_a="$work/a-$server.ob"; ob_b="$work/b-$server.ob"
  obs+=("$ob_a" "$ob_b")
  for spec in "${specs[@]}"; do
    tag="$spec $server"
    local L="$work/${server}-${spec//\//_}"
    # A: uploads.
    t=$(now)
    build "$A" "$ob_a" "$spec" "$L.a.log" "$L.a.json" || { build_failed "$tag: checkout A" "$L.a.log"; continue; }
    step "$tag: checkout A build (uploads; $(hits "$L.a.json" | awk '{print $2 - $1 " executed, " $1 " hits"}'))" "$(since "$t")"
    sums "$A" "$ob_a" "$spec" "$L.a.sums" || { fail "$tag: no output sums for checkout A"; continue; }
    # B: every action from the cache.
    t=$(now)
    build "$B" "$ob_b" "$spec" "$L.b.log" "$L.b.json" || { build_failed "$tag: checkout B" "$L.b.log"; continue; }
    local secs; secs=$(since "$t")
    step "$tag: checkout B build" "$secs"
    local hits total
    read -r hits total < <(hits "$L.b.json")
    if [ "$total" -gt 0 ] && [ "$hits" = "$total" ]; then
      pass "$tag: $hits/$total actions were remote cache hits (second checkout, fresh output base, $secs s)"
    else
      fail "$tag: $hits/$total actions were remote cache hits (second checkout, fresh output base, $secs s); first misses:"
      misses "$L.b.json" 10 | sed 's/^/    /'
    fi
    sums "$B" "$ob_b" "$spec" "$L.b.sums" && compare_sums "$L.a.sums" "$L.b.sums" "$tag: checkout B" \
      || fail "$tag: no output sums for checkout B"
    [ $faults = 1 ] && faults_for "$server" "$spec" "$L" "$ob_a" "$ob_b" "$total"
  done
  rc_stop
}

faults_for() {  # SERVER SPEC L OB_A OB_B N_ACTIONS
  local server=$1 spec=$2 L=$3 ob_a=$4 ob_b=$5 n=$6 tag="$2 $1" t secs
  # (i) SIGKILL the server while B's build executes actions: once it has answered WANT
  # action-cache lookups (a third of the actions). A tiny build can do all its lookups
  # between two polls: then the kill came too late (no action ran without the server), so
  # restart the server (BuildGrid: re-populate it from A) and try again with WANT halved.
  local base want killed_after status attempt hits total bpid
  want=$(( n / 3 > 0 ? n / 3 : 1 ))
  for attempt in 1 2 3; do
    bz "$B" "$ob_b" clean > /dev/null 2>&1
    base=$(rc_lookups)
    killed_after=-1
    t=$(now)
    build "$B" "$ob_b" "$spec" "$L.kill.log" "$L.kill.json" &
    bpid=$!
    while kill -0 "$bpid" 2>/dev/null; do
      if [ $(( $(rc_lookups) - base )) -ge "$want" ]; then
        killed_after=$(since "$t")
        rc_kill
        break
      fi
      sleep 0.05
    done
    wait "$bpid"; status=$?
    secs=$(since "$t")
    hits=0; total=0
    [ $status = 0 ] && read -r hits total < <(hits "$L.kill.json")
    if [ $status = 0 ] && { [ "$killed_after" = -1 ] || [ "$hits" = "$total" ]; }; then
      echo "note: $tag: server kill attempt $attempt after $want lookups came too late (the build had all it needed); again"
      rc_kill
      rc_start "$server" "$work/server-$server" || { fail "$tag: server did not restart"; return; }
      if [ "$server" = buildgrid ]; then
        bz "$A" "$ob_a" clean > /dev/null 2>&1
        build "$A" "$ob_a" "$spec" "$L.a2.log" "$L.a2.json" || { build_failed "$tag: checkout A re-populating" "$L.a2.log"; return; }
      fi
      want=$(( want / 2 > 0 ? want / 2 : 1 ))
      continue
    fi
    break
  done
  rc_kill   # (after three late attempts it was restarted)
  if [ $status != 0 ]; then
    build_failed "$tag: server SIGKILLed ${killed_after} s into the build" "$L.kill.log"
  elif [ "$killed_after" = -1 ] || [ "$hits" = "$total" ]; then
    fail "$tag: server kill: 3 attempts, each too late (the build needed no server after it): fault not exercised"
  else
    step "$tag: B build with the server SIGKILLed ${killed_after} s in, after $want lookups ($hits/$total hits before, $((total - hits)) executed locally; $(grep -c '^WARNING: .*[Rr]emote' "$L.kill.log") remote warnings)" "$secs"
    pass "$tag: build succeeded with the server SIGKILLed ${killed_after} s into it: $hits/$total actions from the cache, $((total - hits)) executed locally, $secs s"
    sums "$B" "$ob_b" "$spec" "$L.kill.sums" && compare_sums "$L.a.sums" "$L.kill.sums" "$tag: after server kill" \
      || fail "$tag: no output sums after the server kill"
  fi

  # (i') The server down when a build starts (B is up to date: only the start matters).
  # gRPC: Bazel 4.2.3 asks for the server's capabilities first and stops when it can't.
  t=$(now)
  if build "$B" "$ob_b" "$spec" "$L.down.log" "$L.down.json"; then
    pass "$tag: build started with the server down succeeded ($(since "$t") s)"
  elif grep -q 'Failed to query remote execution capabilities' "$L.down.log"; then
    echo "note: $tag: a build started with the server down stops at once ($(since "$t") s): $(grep -m1 '^ERROR' "$L.down.log" | cut -c1-200)"
  else
    build_failed "$tag: build started with the server down" "$L.down.log"
  fi

  # (ii) Restart on the same data, corrupt blobs B downloads, rebuild B.
  t=$(now)
  rc_start "$server" "$work/server-$server" || { fail "$tag: server did not restart"; return; }
  step "$tag: $server restarted on the same data dir at $RC_URL" "$(since "$t")"
  if [ "$server" = buildgrid ]; then
    t=$(now)
    bz "$A" "$ob_a" clean > /dev/null 2>&1
    build "$A" "$ob_a" "$spec" "$L.a2.log" "$L.a2.json" || { build_failed "$tag: checkout A re-populating" "$L.a2.log"; return; }
    step "$tag: checkout A re-populated the in-memory action cache (bazel clean, build)" "$(since "$t")"
  fi
  # Spread the corruption over the spawns B downloads (each one's first output).
  local hashes
  hashes=$(python3 "$here/tests/remote_cache/exec_log.py" outputs "$L.b.json" | awk -v n="$corrupt" '
    { h[NR] = $1 } END { if (NR == 0) exit; step = NR / n; if (step < 1) step = 1
      for (i = 1; i <= NR && c < n; i += step) { print h[int(i)]; c++ } }' | sort -u)
  local corrupted
  # shellcheck disable=SC2086
  corrupted=$(rc_corrupt_blobs "$corrupt" $hashes)
  local nc; nc=$(grep -c . <<<"$corrupted")
  local what
  what=$(python3 "$here/tests/remote_cache/exec_log.py" outputs "$L.b.json" | grep -F -f <(echo "$corrupted") \
    | awk '{ n = split($4, p, "/"); print $3 " " p[n] }' | sort -u | head -6 | tr '\n' ',' | sed 's/,$//; s/,/, /g')
  echo "corrupted $nc CAS blobs in place (same size; outputs of: ${what:-no spawn of B})"
  bz "$B" "$ob_b" clean > /dev/null 2>&1
  t=$(now)
  if ! build "$B" "$ob_b" "$spec" "$L.corrupt.log" "$L.corrupt.json"; then
    build_failed "$tag: build with $nc corrupt CAS blobs" "$L.corrupt.log"
    return
  fi
  secs=$(since "$t")
  local hits total detected healed=0 h
  read -r hits total < <(hits "$L.corrupt.json")
  detected=$(grep -c 'does not match received digest' "$L.corrupt.log")
  for h in $corrupted; do
    [ "$(sha256sum < "$(rc_blob_path "$h")" | cut -d' ' -f1)" = "$h" ] && healed=$((healed + 1))
  done
  pass "$tag: build with $nc corrupt CAS blobs succeeded: $((total - hits)) of $total actions re-executed, $hits remote cache hits, $secs s; Bazel reported $detected digest mismatches; $healed of $nc blobs were rewritten with the right content by B's uploads"
  grep -m1 -A1 '^WARNING: Reading from Remote Cache' "$L.corrupt.log" | tail -1 | cut -c1-300 | sed 's/^/    Bazel: /'
  misses "$L.corrupt.json" 10 | sed 's/^/    re-executed: /'
  sums "$B" "$ob_b" "$spec" "$L.corrupt.sums" && compare_sums "$L.a.sums" "$L.corrupt.sums" "$tag: after corrupt blobs" \
    || fail "$tag: no output sums after the corrupt-blob build"
}

for server in "${servers[@]}"; do
  t_server=$(now)
  run_server "$server"
  step "$server: all steps" "$(since "$t_server")"
done
echo "$passed passed, $failed failed"
[ $failed = 0 ]
