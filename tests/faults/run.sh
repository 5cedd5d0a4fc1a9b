#!/bin/bash
# Faults during a build must never change the kernel (README "What we promise under faults").
# Manual suite: two clean kernel builds (x86_64, --//:lto=none, //:vmlinux by default; on
# 2 cores shared with other builds about 16 min each, most of the first minutes the Kbuild
# import), one with --expect.
#
#   tests/faults/run.sh [--keep] [--spec=ARCH/MODE] [--target=//:vmlinux] [--after=N]
#                       [--expect=SUMS]
#
#   1. reference: a clean, uninterrupted build in its own output base (skipped with
#      --expect=SUMS, lines "sha256  NAME" as written to ref.sums, kept with --keep);
#   2. a clean build in another output base; once N (default 200) objects are in its
#      bazel-out (KernelCompile actions have run), the Bazel server is killed with SIGKILL
#      (its pid from the output base's server/server.pid.txt; nothing else is signalled);
#   3. the same build again, in that output base: it must succeed, and every output of
#      the target (vmlinux, System.map, Image on arm64) must be bit-identical to the
#      reference. Prints how many actions the second run re-executed.
# No remote cache is involved (tests/remote_cache/run.sh --faults kills the cache server
# and corrupts its blobs; tests/remote_cache/trust.sh swaps an action-cache entry).
# Prints PASS/FAIL lines and a time for every step; exits non-zero on any FAIL.
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)

keep=0
spec=x86_64/none
target=//:vmlinux
after=200
expect=""
for a in "$@"; do
  case "$a" in
    --keep) keep=1 ;;
    --spec=*) spec=${a#*=} ;;
    --target=*) target=${a#*=} ;;
    --after=*) after=${a#*=} ;;
    --expect=*) expect=$(realpath "${a#*=}") || exit 2 ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "faults/run.sh: unknown argument $a (see --help)" >&2; exit 2 ;;
  esac
done
flags=(--platforms=//platforms:${spec%/*} --//:lto=${spec#*/})

work=$(mktemp -d /tmp/kernel-faults.XXXXXX)
C="$work/checkout"
obs=()
bpid=""
cleanup() {
  [ -n "$bpid" ] && kill "$bpid" 2>/dev/null
  local ob
  for ob in "${obs[@]}"; do
    [ -d "$ob" ] && (cd "$C" && bazel --output_base="$ob" shutdown >/dev/null 2>&1)
  done
  if [ $keep = 1 ]; then echo "kept: $work"; else chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
pass() { echo "PASS: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
bz() { local ob=$1; shift; (cd "$C" && ./bazel --output_base="$ob" "$@"); }
spawns() { python3 "$here/tests/remote_cache/exec_log.py" hits "$1" | awk '{ print $2 }'; }
build_failed() {  # WHAT LOG
  fail "$1: bazel build failed: $(grep -E '^(ERROR|FATAL)' "$2" | head -3 | tr '\n' ' ' | cut -c1-300)"
  tail -15 "$2" | sed 's/^/    /'
}
sums() {  # OB OUT: "sha256  NAME" for the target's files
  local ob=$1 out=$2 root f
  root=$(bz "$ob" info execution_root 2>/dev/null) || return 1
  : > "$out"
  for f in $(bz "$ob" cquery "$target" "${flags[@]}" --output=starlark \
      --starlark:expr='"\n".join([f.path for f in target.files.to_list()])' 2>/dev/null); do
    echo "$(sha256sum < "$root/$f" | cut -d' ' -f1)  ${f##*/}" >> "$out" || return 1
  done
  [ -s "$out" ]
}
finish() { echo "$passed passed, $failed failed"; [ $failed = 0 ]; exit; }
objects() {  # OB: object files in the output base's bazel-out so far
  find "$1"/execroot/*/bazel-out -name '*.o' 2>/dev/null | wc -l
}

mkdir -p "$C" && git -C "$here" archive HEAD | tar -x -C "$C" || { echo "FAIL: git archive HEAD"; exit 1; }

# 1. The reference.
if [ -n "$expect" ]; then
  cp "$expect" "$work/ref.sums"
  echo "reference: $expect"
else
  ob_ref="$work/ref.ob"; obs+=("$ob_ref")
  t=$(now)
  bz "$ob_ref" build "$target" "${flags[@]}" --execution_log_json_file="$work/ref.json" > "$work/ref.log" 2>&1 \
    || { build_failed "reference build" "$work/ref.log"; finish; }
  echo "time: reference build ($(spawns "$work/ref.json") actions): $(since "$t") s"
  sums "$ob_ref" "$work/ref.sums" || { fail "no output sums for the reference build"; finish; }
  bz "$ob_ref" shutdown > /dev/null 2>&1   # its memory, for the next build
fi

# 2. kill -9 of the Bazel server mid-build.
ob="$work/fault.ob"; obs+=("$ob")
t=$(now)
bz "$ob" build "$target" "${flags[@]}" > "$work/killed.log" 2>&1 &
bpid=$!
killed=""
while kill -0 "$bpid" 2>/dev/null; do
  n=$(objects "$ob")
  if [ "$n" -ge "$after" ]; then
    spid=$(cat "$ob/server/server.pid.txt" 2>/dev/null)
    # Only this output base's server: its command line names the output base.
    if [ -n "$spid" ] && tr '\0' ' ' < "/proc/$spid/cmdline" 2>/dev/null | grep -qF -- "--output_base=$ob"; then
      kill -KILL "$spid" && killed="$(since "$t") s in, $n objects built"
    fi
    break
  fi
  sleep 1
done
wait "$bpid"; status=$?
bpid=""
if [ -z "$killed" ]; then
  fail "the build ended (status $status) before $after objects were built, or its server was not found: fault not exercised"
  finish
fi
if [ $status = 0 ]; then
  fail "the build whose server was SIGKILLed ($killed) exited 0"
else
  pass "Bazel server SIGKILLed mid-build ($killed): the client exited $status ($(grep -m1 -oE 'Server terminated abruptly[^,]*' "$work/killed.log" || echo "no message"))"
fi

# 3. The same build again.
t=$(now)
if bz "$ob" build "$target" "${flags[@]}" --execution_log_json_file="$work/again.json" > "$work/again.log" 2>&1; then
  secs=$(since "$t")
  sums "$ob" "$work/again.sums" || { fail "no output sums after the rebuild"; finish; }
  ref_n=""; [ -f "$work/ref.json" ] && ref_n=" of the reference's $(spawns "$work/ref.json")"
  if diff -u "$work/ref.sums" "$work/again.sums" > "$work/again.diff"; then
    pass "the same build after the kill: $(awk '{ printf "%s%s", s, $2; s = ", " }' "$work/ref.sums") bit-identical to the uninterrupted build; $(spawns "$work/again.json")$ref_n actions re-executed ($secs s)"
  else
    fail "the same build after the kill: outputs differ from the uninterrupted build:"
    sed 's/^/    /' "$work/again.diff"
  fi
else
  build_failed "the same build after the kill" "$work/again.log"
fi
finish
