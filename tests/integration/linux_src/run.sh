#!/usr/bin/env bash
# Integration test: a kernel developer's own tree (--repo_env=LINUX_SRC=...) is re-imported
# when its Kbuild files change, and only then.
#
#   bash tests/integration/linux_src/run.sh
#
# The tree is a symlink copy of this checkout's pinned @linux (fetched first) with
# kernel/Makefile as a real file. In a temporary output base:
#   imported   `query @linux_arm64_none//:objects` imports it; the plan has no canary object
#   unchanged  the same query again does not re-import (plan.json untouched)
#   makefile   `obj-y += canary.o` appended to kernel/Makefile (+ kernel/canary.c): the
#              next query re-imports and the plan compiles kernel/canary.o
# Prints `PASS name` / `FAIL name: why` per case and `linux_src: N passed, N failed`.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
bazel="${BAZEL:-$root/bazel}"
tmp="$(mktemp -d /tmp/linux_src.XXXXXX)"
ob="$tmp/output_base"
cleanup() {
  (cd "$root" && "$bazel" --output_base="$ob" shutdown) >/dev/null 2>&1 || true
  chmod -R u+w "$tmp" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
passed=0 failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }

(cd "$root" && "$bazel" fetch @linux//:tree) >"$tmp/fetch.log" 2>&1 \
  || { tail -5 "$tmp/fetch.log"; echo "linux_src: cannot fetch @linux"; exit 2; }
pinned="$(cd "$root" && "$bazel" info output_base 2>/dev/null)/external/linux"
tree="$tmp/my-linux"
mkdir -p "$tree"
for e in "$pinned"/*; do
  case "$(basename "$e")" in BUILD.bazel|WORKSPACE|KERNELVERSION.bzl) continue ;; esac
  cp -as "$(realpath "$e")" "$tree/$(basename "$e")"
done
rm "$tree/kernel/Makefile" && cp "$(realpath "$pinned/kernel/Makefile")" "$tree/kernel/Makefile"

q() { (cd "$root" && "$bazel" --output_base="$ob" query --repo_env=LINUX_SRC="$tree" @linux_arm64_none//:objects) >"$tmp/q.log" 2>&1; }
plan="$ob/external/linux_arm64_none/plan.json"

if q && [ -f "$plan" ] && ! grep -q '"kernel/canary.o"' "$plan"; then pass imported
else fail imported "$(tail -3 "$tmp/q.log")"; fi

before=$(stat -c %Y "$plan" 2>/dev/null)
sleep 1
if q && [ "$(stat -c %Y "$plan" 2>/dev/null)" = "$before" ]; then pass unchanged
else fail unchanged "the import re-ran (or failed) with nothing changed"; fi

echo 'obj-y += canary.o' >> "$tree/kernel/Makefile"
printf '// SPDX-License-Identifier: GPL-2.0\nint kernel_lto_canary;\n' > "$tree/kernel/canary.c"
if q && grep -q '"kernel/canary.o"' "$plan"; then pass makefile
else fail makefile "kernel/canary.o not in the plan after editing kernel/Makefile: $(tail -2 "$tmp/q.log")"; fi

echo "linux_src: $passed passed, $failed failed"
[ "$failed" = 0 ]
