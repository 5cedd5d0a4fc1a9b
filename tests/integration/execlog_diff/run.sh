#!/usr/bin/env bash
# Integration test: tools/execlog_diff on the execution logs of one build in two output bases.
#
#   bash tests/integration/execlog_diff/run.sh
#
# Copies the workspace beside this script to a temporary directory (pointing its
# local_repository at this checkout) and builds //:all there twice, in two fresh output
# bases at different paths, with --execution_log_binary_file and --execution_log_json_file.
# The workspace has a path-dependent repository (@path_dependent//:where.txt holds its own
# absolute path), an action that copies it, a non-deterministic action (random bytes), one
# that copies that, and a stable one. Then, with `bazel run @rules_kernel_lto//tools/...`
# in the first output base (the pinned Python; log paths relative to the workspace):
#   root_cause        where.txt is the one root-cause input; stamp.txt (the output of a
#                     differing action) is not
#   nondeterministic  TestStamp is reported as non-deterministic (outputs only)
#   summary           4 actions compared, 3 differ: 2 in their key, 1 only in outputs; exit 1
#   no_host_paths     the report names neither output base nor the temporary directory
#   deterministic     a second run prints the same report
#   same_log          a log against itself: no difference, exit 0
#   truncated         a cut log: exit 2 and one line naming it, no traceback
#   json_agrees       check_json: both binary logs decode as Bazel's JSON logs show them
# Prints `PASS name` or `FAIL name: why` per case and `execlog_diff: N passed, N failed`;
# exits 1 if any case failed (2 if the test itself could not be set up).
# EXECLOG_DIFF_KEEP=1 keeps the temporary directory (Bazel servers are shut down anyway).
# BAZEL=/path/to/bazel overrides the default, the checkout's ./bazel wrapper (or bazel on PATH).

set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
if [ -n "${BAZEL:-}" ]; then
  bazel="$BAZEL"
elif [ -x "$root/bazel" ]; then
  bazel="$root/bazel"
else
  bazel=bazel
fi

tmp="$(mktemp -d /tmp/execlog_diff.XXXXXX)"
ws="$tmp/ws"
logs="$tmp/logs"
# Two output bases at different paths (and of different lengths).
base_a="$tmp/a"
base_b="$tmp/second/output_base"

cleanup() {
  local base
  for base in "$base_a" "$base_b"; do
    if [ -d "$ws" ] && [ -d "$base" ]; then
      (cd "$ws" && "$bazel" --output_base="$base" shutdown) >/dev/null 2>&1 || true
    fi
  done
  if [ -n "${EXECLOG_DIFF_KEEP:-}" ]; then
    echo "execlog_diff: kept $tmp" >&2
  else
    chmod -R u+w "$tmp" 2>/dev/null || true
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
  echo "execlog_diff: $*" >&2
  exit 2
}

case "$root" in *[\"\\\|]*) die "path with a quote, backslash or bar: $root" ;; esac

mkdir -p "$ws" "$logs" "$(dirname "$base_b")" || die "cannot create $tmp"
cp "$here/WORKSPACE" "$here/BUILD.bazel" "$here/defs.bzl" "$here/.bazelrc" "$ws/" || die "cannot copy the workspace"
sed -i "s|path = \"../../..\"|path = \"$root\"|" "$ws/WORKSPACE"
grep -qF "path = \"$root\"" "$ws/WORKSPACE" || die "cannot point local_repository at $root"

# bazel_in BASE ARGS...: bazel in the workspace with that output base, quietly.
bazel_in() {
  local base="$1"
  shift
  (cd "$ws" && "$bazel" --output_base="$base" --max_idle_secs=120 "$@")
}

for side in a b; do
  base="$base_a"
  [ "$side" = b ] && base="$base_b"
  bazel_in "$base" build //:all \
    --execution_log_binary_file="$logs/$side.log" \
    --execution_log_json_file="$logs/$side.json" >"$tmp/build_$side.out" 2>&1 ||
    die "bazel build //:all ($side) failed; the end of its output:
$(tail -n 15 "$tmp/build_$side.out")"
done

# tool NAME ARGS...: runs @rules_kernel_lto//tools/execlog_diff:NAME in the first output
# base; its stdout, stderr and exit status go to $tmp/NAME.{out,err,rc}.
quiet=(--ui_event_filters=-info,-stdout,-stderr --noshow_progress --noshow_loading_progress)
tool() {
  local name="$1"
  shift
  bazel_in "$base_a" run "${quiet[@]}" "@rules_kernel_lto//tools/execlog_diff:$name" -- "$@" \
    >"$tmp/out" 2>"$tmp/err"
  echo $? >"$tmp/rc"
}

passed=0
failed=0
check() {
  local name="$1"
  shift
  local problems=("$@")
  if [ "${#problems[@]}" -eq 0 ]; then
    echo "PASS $name"
    passed=$((passed + 1))
  else
    local IFS=";"
    echo "FAIL $name: ${problems[*]}"
    failed=$((failed + 1))
  fi
}

# The logs, relative to the workspace (where `bazel run` starts: BUILD_WORKING_DIRECTORY).
tool execlog_diff ../logs/a.log ../logs/b.log
report="$(cat "$tmp/out")"
rc="$(cat "$tmp/rc")"
echo "--- execlog_diff ../logs/a.log ../logs/b.log (exit $rc):"
sed 's/^/    | /' "$tmp/out"
if [ ! -s "$tmp/out" ]; then
  echo "    --- stderr:"
  tail -n 15 "$tmp/err" | sed 's/^/    | /'
fi

bin="bazel-out/k8-fastbuild/bin"
# The root-cause section: from its header to the next section.
roots="$(sed -n '/^root causes:/,/^differing actions:/p' <<<"$report")"

p=()
grep -qxF "root causes: 1 input, 0 commands, 1 non-deterministic action" <<<"$roots" ||
  p+=("no header 'root causes: 1 input, 0 commands, 1 non-deterministic action'")
grep -qE '^  input  external/path_dependent/where\.txt: [0-9a-f]{8}… != [0-9a-f]{8}… \(1 action\)$' <<<"$roots" ||
  p+=("where.txt is not named as a root cause")
grep -qF "  input  $bin/stamp.txt" <<<"$roots" && p+=("stamp.txt (output of a differing action) named as a root cause")
check root_cause ${p[@]+"${p[@]}"}

p=()
grep -qxF "  non-deterministic TestStamp $bin/stamp.txt" <<<"$roots" || p+=("TestStamp not a non-deterministic root cause")
grep -A1 -xF "TestStamp $bin/stamp.txt" <<<"$report" | grep -qxF "  same inputs, args and env: non-deterministic" ||
  p+=("TestStamp's block does not say non-deterministic")
grep -qE "^  output $bin/stamp\.txt: [0-9a-f]{8}… != [0-9a-f]{8}…$" <<<"$report" || p+=("no output line for stamp.txt")
grep -qxF "  non-deterministic TestStampCopy $bin/stamp_copy.txt" <<<"$report" && p+=("TestStampCopy called non-deterministic")
check nondeterministic ${p[@]+"${p[@]}"}

p=()
[ "$rc" = 1 ] || p+=("exit $rc, not 1")
want="4 actions compared, 3 differ: 2 in their key (inputs/args/env), 1 only in outputs (non-deterministic); 0 only in ../logs/a.log, 0 only in ../logs/b.log"
[ "$(tail -n 1 <<<"$report")" = "$want" ] || p+=("last line is not: $want")
grep -qF "TestStable" <<<"$report" && p+=("TestStable reported as differing")
check summary ${p[@]+"${p[@]}"}

p=()
grep -qF "$tmp" <<<"$report" && p+=("the report names $tmp")
grep -qF "$HOME" <<<"$report" && [ "$HOME" != / ] && p+=("the report names $HOME")
check no_host_paths ${p[@]+"${p[@]}"}

tool execlog_diff ../logs/a.log ../logs/b.log
p=()
[ "$(cat "$tmp/out")" = "$report" ] || p+=("a second run printed another report")
check deterministic ${p[@]+"${p[@]}"}

tool execlog_diff "$logs/a.log" ../logs/a.log
p=()
[ "$(cat "$tmp/rc")" = 0 ] || p+=("exit $(cat "$tmp/rc"), not 0")
grep -qF "4 actions compared, none differ" "$tmp/out" || p+=("no '4 actions compared, none differ' in: $(tail -n 1 "$tmp/out")")
check same_log ${p[@]+"${p[@]}"}

head -c -7 "$logs/a.log" >"$logs/cut.log"
tool execlog_diff ../logs/a.log ../logs/cut.log
p=()
[ "$(cat "$tmp/rc")" = 2 ] || p+=("exit $(cat "$tmp/rc"), not 2")
messages="$(grep '^execlog_diff: ' "$tmp/err")"
[ "$(grep -c . <<<"$messages")" = 1 ] || p+=("not one execlog_diff: line on stderr")
grep -qF "execlog_diff: ../logs/cut.log: truncated" <<<"$messages" || p+=("the message does not name ../logs/cut.log as truncated")
grep -qF Traceback "$tmp/err" && p+=("a Python traceback")
[ -s "$tmp/out" ] && p+=("output on stdout")
check truncated ${p[@]+"${p[@]}"}

p=()
for side in a b; do
  tool check_json "../logs/$side.log" "../logs/$side.json"
  [ "$(cat "$tmp/rc")" = 0 ] && grep -qxF "4 spawns agree" "$tmp/out" ||
    p+=("$side: exit $(cat "$tmp/rc"): $(cat "$tmp/out") $(grep '^check_json' "$tmp/err")")
done
check json_agrees ${p[@]+"${p[@]}"}

echo "execlog_diff: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
