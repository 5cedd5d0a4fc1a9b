#!/bin/bash
# Who can ship a kernel through a shared cache (README "Who can ship a kernel"). Manual
# suite: one clean kernel build, then three from the cache (x86_64, --//:lto=none,
# //:vmlinux by default; on 2 cores shared with other builds: 16 min for the clean build,
# 6.5 min for the first from the cache, most of it the Kbuild import).
#
#   tests/remote_cache/trust.sh [--keep] [--spec=ARCH/MODE] [--target=//:vmlinux]
#                               [--reuse=DIR]
#
# Against an nginx cache on loopback (tests/remote_cache/servers.sh; writes need basic auth):
#   1. PUT without or with a wrong password is refused, with the writer's credentials it
#      is stored;
#   2. CI (--config=ci-cache, credentials in the checkout's user.bazelrc, made here) builds
#      from an empty cache: every action runs here, the uploads are accepted; its
#      vmlinux and System.map are the reference;
#   3. vmlinux's action-cache entry (the KernelVmlinux action's ActionResult, found among
#      the cache's ac/ entries by its output path) is rewritten to name another valid CAS
#      blob, vmlinux.o: without credentials the rewrite is refused; with them it is stored
#      (a writer gone bad);
#   4. a developer (--config=remote-cache, read-only) builds from a fresh output base: it
#      uploads nothing, and Bazel delivers the swapped vmlinux with status 0 (this is the
#      attack the write credentials guard against: the check PASSes when it reproduces);
#   5. --config=release in the same output base: vmlinux and System.map equal the
#      reference (the final link steps run here; the swapped entry is not read);
#   6. vmlinux's entry put back by the writer; then three rounds, each with one compile's
#      entry damaged on the server's disk (truncated, bytes flipped, emptied), bazel
#      clean and a developer build: the reference's outputs, or a failure naming the
#      action (Bazel 4.2.3 takes an empty entry for a result without outputs).
# Prints PASS/FAIL lines and a time for every step; exits non-zero on any FAIL. The server,
# Bazel servers and temp dirs are cleaned up on exit (--keep keeps the temp dirs).
# --reuse=DIR: the temp dir of an earlier run kept with --keep (same spec and target): its
# checkout, cache and CI build are used again (step 2 is skipped) and the later steps
# redone with a new developer output base; the dir is kept.
set -uo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
source "$here/tests/remote_cache/servers.sh"

keep=0
spec=x86_64/none
target=//:vmlinux
reuse=""
for a in "$@"; do
  case "$a" in
    --keep) keep=1 ;;
    --spec=*) spec=${a#*=} ;;
    --target=*) target=${a#*=} ;;
    --reuse=*) reuse=$(realpath "${a#*=}") || exit 2; keep=1 ;;
    -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "trust.sh: unknown argument $a (see --help)" >&2; exit 2 ;;
  esac
done
flags=(--platforms=//platforms:${spec%/*} --//:lto=${spec#*/})

if [ -n "$reuse" ]; then
  work=$reuse
  for f in checkout ci.ob ref.sums server/credentials; do
    [ -e "$work/$f" ] || { echo "trust.sh: --reuse=$reuse: no $f there (a run kept with --keep after its CI build?)" >&2; exit 2; }
  done
  rm -rf "$work/dev.ob"   # (bazel-owned read-only files: see cleanup's chmod)
else
  work=$(mktemp -d /tmp/kernel-trust.XXXXXX)
fi
chmod 755 "$work"   # nginx's workers (nobody) reach the server's data dir through it
C="$work/checkout"
obs=()
cleanup() {
  rc_stop
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
hits() { python3 "$here/tests/remote_cache/exec_log.py" hits "$1"; }
bz() { local ob=$1; shift; (cd "$C" && ./bazel --output_base="$ob" "$@"); }
build_failed() {  # WHAT LOG
  fail "$1: bazel build failed: $(grep -E '^(ERROR|FATAL)' "$2" | head -3 | tr '\n' ' ' | cut -c1-300)"
  tail -15 "$2" | sed 's/^/    /'
}
sums() {  # OB OUT: "sha256  NAME" for the target's files (vmlinux, System.map, ...)
  local ob=$1 out=$2 root f
  root=$(bz "$ob" info execution_root 2>/dev/null) || return 1
  : > "$out"
  for f in $(bz "$ob" cquery "$target" "${flags[@]}" --output=starlark \
      --starlark:expr='"\n".join([f.path for f in target.files.to_list()])' 2>/dev/null); do
    echo "$(sha256sum < "$root/$f" | cut -d' ' -f1)  ${f##*/}" >> "$out" || return 1
  done
  [ -s "$out" ]
}
sum_of() { awk -v n="$2" '$2 == n { print $1 }' "$1"; }  # SUMS NAME
short() { echo "${1:0:12}"; }

if [ -z "$reuse" ]; then
  mkdir -p "$C" && git -C "$here" archive HEAD | tar -x -C "$C" || { echo "FAIL: git archive HEAD"; exit 1; }
fi
t=$(now)
rc_start nginx "$work/server" || { echo "FAIL: nginx did not start"; exit 1; }
echo "time: nginx started: $(since "$t") s"

# 1. Writes need the credentials.
if rc_check_auth; then passed=$((passed + 3)); else failed=$((failed + 1)); fi

# user.bazelrc, as on a CI machine (the writer's URL comes from its secret store) and a
# developer's (the read-only URL): git-ignored, never committed.
(umask 077; cat > "$C/user.bazelrc" <<EOF
build:remote-cache --remote_cache=$RC_URL
build:ci-cache --remote_cache=$RC_WRITE_URL
EOF
)

# 2. CI fills the cache.
ob_ci="$work/ci.ob"; ob_dev="$work/dev.ob"; obs+=("$ob_ci" "$ob_dev")
if [ -n "$reuse" ]; then
  echo "reused: the CI build and cache of $reuse (step 2 skipped)"
else
  ok0=$(rc_writes 201); refused0=$(rc_writes 401)
  t=$(now)
  if ! bz "$ob_ci" build "$target" "${flags[@]}" --config=ci-cache \
      --execution_log_json_file="$work/ci.json" > "$work/ci.log" 2>&1; then
    build_failed "CI build (--config=ci-cache)" "$work/ci.log"; echo "$passed passed, $failed failed"; exit 1
  fi
  secs=$(since "$t")
  read -r h n < <(hits "$work/ci.json")
  ok=$(( $(rc_writes 201) - ok0 )); refused=$(( $(rc_writes 401) - refused0 ))
  if [ "$ok" -gt 0 ] && [ "$refused" = 0 ]; then
    pass "CI build (--config=ci-cache, credentials from user.bazelrc): $((n - h)) of $n actions ran, $ok uploads stored, 0 refused ($secs s)"
  else
    fail "CI build (--config=ci-cache): $ok uploads stored, $refused refused (want >0 and 0) ($secs s)"
  fi
  sums "$ob_ci" "$work/ref.sums" || { fail "no output sums for the CI build"; echo "$passed passed, $failed failed"; exit 1; }
fi
ref_vmlinux=$(sum_of "$work/ref.sums" vmlinux)

# 3. Rewrite vmlinux's action-cache entry to name vmlinux.o's blob.
vmlinux_path=$(bz "$ob_ci" cquery "$target" "${flags[@]}" --output=starlark \
  --starlark:expr='"\n".join([f.path for f in target.files.to_list() if f.basename == "vmlinux"])' 2>/dev/null)
python3 "$here/tests/remote_cache/ac_entry.py" list "$RC_DIR/data/ac" > "$work/ac.list"
entry=$(awk -v p="$vmlinux_path" '$4 == p { print $1 }' "$work/ac.list")
read -r bad_hash bad_size bad_path < <(awk '$4 ~ /\/vmlinux\.o$/ { print $2, $3, $4; exit }' "$work/ac.list")
if [ "$(grep -c . <<<"$entry")" != 1 ] || [ -z "$bad_hash" ]; then
  fail "vmlinux's action-cache entry: found '$entry' for $vmlinux_path among $(wc -l < "$work/ac.list") outputs of $(ls "$RC_DIR/data/ac" | wc -l) entries; vmlinux.o blob '${bad_hash:-none}'"
  echo "$passed passed, $failed failed"; exit 1
fi
echo "vmlinux's action-cache entry: ac/$(short "$entry")... (vmlinux $(short "$ref_vmlinux")..., among $(ls "$RC_DIR/data/ac" | wc -l) entries); swapped for ${bad_path##*/} $(short "$bad_hash")... ($bad_size bytes)"
python3 "$here/tests/remote_cache/ac_entry.py" swap "$RC_DIR/data/ac/$entry" "$vmlinux_path" "$bad_hash" "$bad_size" > "$work/poisoned" \
  || { fail "could not rewrite the entry"; echo "$passed passed, $failed failed"; exit 1; }
cp "$RC_DIR/data/ac/$entry" "$work/entry.before"
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$work/poisoned" "$RC_URL/ac/$entry")
if [ "$code" = 401 ] && cmp -s "$work/entry.before" "$RC_DIR/data/ac/$entry"; then
  pass "rewriting vmlinux's entry without credentials is refused (HTTP $code), the entry is unchanged"
else
  fail "rewriting vmlinux's entry without credentials answered HTTP $code (want 401)"
fi
code=$(curl -s -o /dev/null -w '%{http_code}' -u "$RC_USER:$RC_PASS" -X PUT --data-binary @"$work/poisoned" "$RC_URL/ac/$entry")
if [[ "$code" = 20[14] ]] && cmp -s "$work/poisoned" "$RC_DIR/data/ac/$entry"; then
  echo "poisoned: vmlinux's entry rewritten with the writer's credentials (HTTP $code)"
else
  fail "could not poison the entry with the writer's credentials (HTTP $code)"; echo "$passed passed, $failed failed"; exit 1
fi

# 4. A developer's read-only build from a fresh output base takes the swapped file.
puts0=$(rc_writes)
t=$(now)
if bz "$ob_dev" build "$target" "${flags[@]}" --config=remote-cache \
    --execution_log_json_file="$work/dev.json" > "$work/dev.log" 2>&1; then
  secs=$(since "$t")
  read -r h n < <(hits "$work/dev.json")
  puts=$(( $(rc_writes) - puts0 ))
  if [ "$puts" = 0 ]; then pass "developer build (--config=remote-cache): $h/$n actions were remote cache hits, 0 uploads tried ($secs s)"
  else fail "developer build (--config=remote-cache) tried $puts uploads (want 0)"; fi
  sums "$ob_dev" "$work/dev.sums"
  got=$(sum_of "$work/dev.sums" vmlinux)
  if [ "$got" = "$bad_hash" ]; then
    pass "poisoned entry, default build: status 0, vmlinux is the swapped blob ($(short "$got")..., ${bad_path##*/}; want $(short "$ref_vmlinux")...): Bazel trusts the action cache, so write access must be CI's alone"
  elif [ "$got" = "$ref_vmlinux" ]; then
    fail "poisoned entry, default build: vmlinux is right: the attack did not reproduce (did Bazel start checking?)"
  else
    fail "poisoned entry, default build: vmlinux is $(short "$got")..., neither the reference nor the swapped blob"
  fi
  for f in $(awk '$2 != "vmlinux" { print $2 }' "$work/ref.sums"); do
    [ "$(sum_of "$work/dev.sums" "$f")" = "$(sum_of "$work/ref.sums" "$f")" ] \
      && echo "note: $f stayed right (nothing cross-checks it against vmlinux)"
  done
else
  build_failed "developer build with the poisoned entry" "$work/dev.log"
fi

# 5. A release build in the same output base: the final link steps run here.
t=$(now)
if bz "$ob_dev" build "$target" "${flags[@]}" --config=remote-cache --config=release \
    --execution_log_json_file="$work/rel.json" > "$work/rel.log" 2>&1; then
  secs=$(since "$t")
  read -r h n < <(hits "$work/rel.json")
  ran=$(python3 "$here/tests/remote_cache/exec_log.py" misses "$work/rel.json" | awk '{ print $1 }' | sort | uniq -c | awk '{ printf "%s%s %s", s, $1, $2; s = ", " }')
  sums "$ob_dev" "$work/rel.sums"
  if diff -q "$work/ref.sums" "$work/rel.sums" > /dev/null; then
    pass "poisoned entry, --config=release: $(awk '{ printf "%s%s", s, $2; s = ", " }' "$work/ref.sums") equal the CI build's (vmlinux $(short "$ref_vmlinux")...); ran here: ${ran:-nothing}; $h/$n remote hits ($secs s)"
  else
    fail "poisoned entry, --config=release: outputs differ from the CI build's: $(diff "$work/ref.sums" "$work/rel.sums" | grep '^>' | tr '\n' ' ')"
  fi
else
  build_failed "--config=release with the poisoned entry" "$work/rel.log"
fi

# 6. Damaged action-cache entries: the writer puts vmlinux's entry back; then, one at a
# time, a compile's entry is damaged on the server's disk (truncated to half, every byte
# flipped, emptied), the developer's output tree cleaned and the build run again. It must
# give the reference's outputs, or fail naming the action: never another kernel. The
# entry is put back after each round.
size=$(stat -c %s "$(bz "$ob_ci" info execution_root 2>/dev/null)/$vmlinux_path")
python3 "$here/tests/remote_cache/ac_entry.py" swap "$RC_DIR/data/ac/$entry" "$vmlinux_path" "$ref_vmlinux" "$size" > "$work/restored" \
  && code=$(curl -s -o /dev/null -w '%{http_code}' -u "$RC_USER:$RC_PASS" -X PUT --data-binary @"$work/restored" "$RC_URL/ac/$entry") \
  && [[ "$code" = 20[14] ]] || { fail "could not put vmlinux's entry back"; echo "$passed passed, $failed failed"; exit 1; }
mapfile -t victims < <(awk -v e="$entry" '$1 != e && $4 ~ /\.o$/ && $4 !~ /vmlinux\.o$/ { print $1 }' "$work/ac.list" | sort -u | head -3)
i=0
for how in half flipped empty; do
  key=${victims[$i]}; i=$((i + 1))
  out=$(awk -v k="$key" '$1 == k { print $4; exit }' "$work/ac.list")
  cp "$RC_DIR/data/ac/$key" "$work/ac-$key"
  python3 - "$RC_DIR/data/ac/$key" "$how" <<'PY'
import sys
path, how = sys.argv[1:]
data = open(path, "rb").read()
data = {"empty": b"", "half": data[:len(data) // 2], "flipped": bytes(b ^ 0x5A for b in data)}[how]
open(path, "wb").write(data)
PY
  what="action-cache entry of ${out##*/} $how"
  bz "$ob_dev" clean > /dev/null 2>&1
  t=$(now)
  if bz "$ob_dev" build "$target" "${flags[@]}" --config=remote-cache \
      --execution_log_json_file="$work/ac-$how.json" > "$work/ac-$how.log" 2>&1; then
    secs=$(since "$t")
    read -r h n < <(hits "$work/ac-$how.json")
    python3 "$here/tests/remote_cache/exec_log.py" misses "$work/ac-$how.json" > "$work/ac-$how.misses"
    rerun=no; grep -qF " $out " "$work/ac-$how.misses" && rerun=yes
    sums "$ob_dev" "$work/ac-$how.sums"
    if diff -q "$work/ref.sums" "$work/ac-$how.sums" > /dev/null; then
      pass "$what: build succeeded with the reference's outputs; $((n - h)) of $n actions ran here (the damaged one: $rerun); Bazel: $(grep -m1 -A1 '^WARNING: .*[Rr]emote [Cc]ache' "$work/ac-$how.log" | tr '\n' ' ' | cut -c1-160) ($secs s)"
    else
      fail "$what: outputs differ from the CI build's: $(diff "$work/ref.sums" "$work/ac-$how.sums" | grep '^>' | tr '\n' ' ')"
    fi
  elif grep -qF "output '${out#bazel-out/*/bin/}' was not created" "$work/ac-$how.log" || grep -qF "${out##*/}' was not created" "$work/ac-$how.log"; then
    pass "$what: the build failed, naming the action (no other kernel): $(grep -m1 '^ERROR' "$work/ac-$how.log" | sed 's/^ERROR: [^ ]*: //' | cut -c1-160); every build reading this entry fails until the writer replaces it"
  else
    build_failed "$what" "$work/ac-$how.log"
  fi
  curl -s -o /dev/null -u "$RC_USER:$RC_PASS" -X PUT --data-binary @"$work/ac-$key" "$RC_URL/ac/$key"
done

echo "$passed passed, $failed failed"
[ $failed = 0 ]
