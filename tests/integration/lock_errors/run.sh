#!/usr/bin/env bash
# Integration test: kernel_sysroot_repository on bad locks fails with a message that says
# what is wrong and how to relock.
#
#   bash tests/integration/lock_errors/run.sh
#
# Copies the workspace beside this script to a temporary directory (pointing its
# local_repository at this checkout), builds a tiny .deb into a file:// mirror, and for
# each case builds @CASE//:all_files with --repo_env=KERNEL_LTO_DEBIAN_MIRROR=file://MIRROR
# in its own output base, expecting bazel to fail with the case's messages.
# Prints `PASS name` or `FAIL name` per case; exits 1 if any case failed.
# LOCK_ERRORS_KEEP=1 keeps the temporary directory (and its Bazel server) for debugging.
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

tmp="$(mktemp -d /tmp/lock_errors.XXXXXX)"
ws="$tmp/ws"
mirror="$tmp/mirror"
output_base="$tmp/output_base"

cleanup() {
  if [ -d "$ws" ] && [ -d "$output_base" ]; then
    (cd "$ws" && "$bazel" --output_base="$output_base" shutdown) >/dev/null 2>&1 || true
  fi
  chmod -R u+w "$tmp" 2>/dev/null || true
  rm -rf "$tmp"
}
[ -n "${LOCK_ERRORS_KEEP:-}" ] || trap cleanup EXIT

die() {
  echo "lock_errors: $*" >&2
  exit 2
}

# The mirror: MIRROR/debian/pool/main/f/fake/fake_1.0_all.deb, a real (tiny) package.
pkg="$tmp/pkg"
deb="$mirror/debian/pool/main/f/fake/fake_1.0_all.deb"
mkdir -p "$pkg/DEBIAN" "$pkg/usr/include" "$(dirname "$deb")" || die "cannot create $tmp"
cat >"$pkg/DEBIAN/control" <<'EOF'
Package: fake
Version: 1.0
Architecture: all
Maintainer: rules_kernel_lto tests <tests@invalid>
Description: a package for tests/integration/lock_errors
EOF
echo '#define FAKE 1' >"$pkg/usr/include/fake.h"
dpkg-deb --root-owner-group --build "$pkg" "$deb" >/dev/null || die "dpkg-deb --build failed"
actual_sha="$(sha256sum "$deb" | cut -d' ' -f1)"

# The workspace, with local_repository pointing at this checkout.
mkdir -p "$ws" || die "cannot create $ws"
cp -R "$here/WORKSPACE" "$here/BUILD.bazel" "$here/.bazelrc" "$here/locks" "$ws/" || die "cannot copy the workspace"
sed -i "s|path = \"../../..\"|path = \"$root\"|" "$ws/WORKSPACE"
grep -qF "path = \"$root\"" "$ws/WORKSPACE" || die "cannot point local_repository at $root"

passed=0
failed=0

# run_case NAME FRAGMENT...: `bazel build @NAME//:all_files` must fail and print every FRAGMENT.
run_case() {
  local name="$1"
  shift
  local log="$tmp/$name.log"
  (cd "$ws" && "$bazel" --output_base="$output_base" --max_idle_secs=120 build \
    --repo_env=KERNEL_LTO_DEBIAN_MIRROR="file://$mirror" "@$name//:all_files") >"$log" 2>&1
  local rc=$?
  local problems=()
  if [ "$rc" -eq 0 ]; then
    problems+=("bazel build succeeded")
  fi
  local fragment
  for fragment in "$@"; do
    grep -qF -- "$fragment" "$log" || problems+=("output lacks: $fragment")
  done
  if [ "${#problems[@]}" -eq 0 ]; then
    echo "PASS $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name"
    failed=$((failed + 1))
    local p
    for p in "${problems[@]}"; do
      echo "    $p"
    done
    echo "    --- bazel output (exit $rc), last lines:"
    grep -v '^\(Loading\|Analyzing\|INFO\|Starting local\|Extracting\)' "$log" | tail -n 15 | sed 's/^/    | /'
  fi
}

relock="tools/relock/relock.py"

# (a) The mirror serves another file than the one the lock pins.
run_case sha_mismatch \
  "locks/sha_mismatch.lock.json: fake 1.0 from file://$mirror/debian/pool/main/f/fake/fake_1.0_all.deb" \
  "has sha256 $actual_sha" \
  "the lock pins 1111111111111111111111111111111111111111111111111111111111111111" \
  "relock" "$relock"

# (b) The package vanished from the mirror.
run_case missing_package \
  "locks/missing_package.lock.json: vanished 2.0 could not be downloaded" \
  "file://$mirror/debian/pool/main/v/vanished/vanished_2.0_all.deb" \
  "relock" "$relock"

# (c) The lock is valid JSON but not an object.
run_case not_an_object \
  "locks/not_an_object.lock.json: not a JSON object" \
  "relock" "$relock"

# (d) The lock was cut short (an interrupted relock, a bad merge): the message must still
# name the lock and tell how to relock.
run_case truncated \
  "locks/truncated.lock.json" \
  "relock" "$relock"

echo "lock_errors: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
