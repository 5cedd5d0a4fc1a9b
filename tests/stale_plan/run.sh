#!/usr/bin/env bash
# Stale plans (issue 11, part 1): a kernel built from --repo_env=LINUX_SRC=TREE whose
# Makefile, Kconfig or in-tree config fragment changed after the import fails with one
# line naming the file and the re-import command; after that command the kernel is right.
# A .c edit rebuilds incrementally, without a re-import.
#
#   bash tests/stale_plan/run.sh [x86_64|arm64]     # a kernel and four imports: a manual suite
#
# In its own output base (under a temporary directory) and with this checkout: fetches
# @linux (Debian's linux-source-6.1), copies it to TREE (hard links; every edit below
# writes a new file, never into a shared inode), then, for the tiny kernel with --//:lto=none:
#   build          vmlinux builds; KernelPlanCheck ran
#   c_edit         init/version.c gains a variable: a few actions, no re-import, no check
#   makefile       kernel/Makefile gains `obj-y += stale_plan_probe.o` (and the .c): one
#                  line; sync; vmlinux builds and System.map has the probe's symbol
#   kconfig        init/Kconfig's LOG_BUF_SHIFT default 17 -> 16: one line; sync; the new
#                  .config has CONFIG_LOG_BUF_SHIFT=16
#   fragment       arch/<srcarch>/configs/tiny.config (read by tinyconfig) gains
#                  CONFIG_SYSVIPC=y: one line; sync; in the new .config
# Prints `PASS name` or `FAIL name` per step; exits 1 if any failed.
# STALE_PLAN_KEEP=1 keeps the temporary directory (and its Bazel server); STALE_PLAN_FLAGS
# adds build flags (e.g. --disk_cache=DIR).

set -uo pipefail

arch="${1:-x86_64}"
case "$arch" in
  x86_64) srcarch=x86 ;;
  arm64) srcarch=arm64 ;;
  *) echo "stale_plan: unknown arch $arch (x86_64 or arm64)" >&2; exit 2 ;;
esac
repo="linux_${arch}_none"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bazel="${BAZEL:-$root/bazel}"
tmp="$(mktemp -d /tmp/stale_plan.XXXXXX)"
ob="$tmp/output_base"
tree="$tmp/linux"
cleanup() {
  (cd "$root" && "$bazel" --output_base="$ob" shutdown) >/dev/null 2>&1 || true
  chmod -R u+w "$tmp" 2>/dev/null || true
  rm -rf "$tmp"
}
[ -n "${STALE_PLAN_KEEP:-}" ] || trap cleanup EXIT

passed=0
failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
die() { echo "stale_plan: $*" >&2; exit 2; }

bz() { (cd "$root" && "$bazel" --output_base="$ob" --max_idle_secs=600 "$@"); }
flags=(--symlink_prefix=/ --platforms="//platforms:$arch" --//:lto=none --repo_env=LINUX_SRC="$tree")
# e.g. STALE_PLAN_FLAGS=--disk_cache=DIR: action keys are path-free, so the first kernel can
# come from another checkout's or output base's cache.
read -r -a extra <<<"${STALE_PLAN_FLAGS:-}"
flags+=("${extra[@]}")
build() { bz build "${flags[@]}" "$@"; }
reimport() { bz sync --only="$repo" --repo_env=LINUX_SRC="$tree"; }
imported="$ob/external/$repo"

# edit FILE SED-EXPRESSION | edit FILE --append TEXT: always a new file (TREE is hard links).
edit() {
  local f="$tree/$1"
  if [ "$2" = --append ]; then
    { cat "$f"; printf '%s\n' "$3"; } >"$f.new" || die "cannot edit $1"
  else
    sed "$2" "$f" >"$f.new" || die "cannot edit $1"
    cmp -s "$f" "$f.new" && die "$1: '$2' changed nothing"
  fi
  mv "$f.new" "$f"
}

# stale_line LOG FILE: the log has exactly one plan_check line, naming FILE and the command.
stale_line() {
  local lines
  lines="$(grep -c '^plan_check: ' "$1")"
  [ "$lines" = 1 ] || { echo "$lines plan_check lines"; return 1; }
  grep -q "^plan_check: $2: changed since @$repo was imported; the plan is stale, re-import: ./bazel sync --only=$repo --repo_env=LINUX_SRC=<your tree>\$" "$1" ||
    { grep '^plan_check: ' "$1"; return 1; }
}

# output PATTERN LOG: the exec-root path of the built output matching PATTERN.
output() {
  local rel
  rel="$(grep -oE "bazel-out/[^ ]*/$1\$" "$2" | tail -1)"
  [ -n "$rel" ] && echo "$(bz info execution_root 2>/dev/null)/$rel"
}

# The tree: Debian's linux-source-6.1 as @linux fetches it.
bz fetch @linux//:Makefile >"$tmp/fetch.log" 2>&1 || die "fetching @linux failed (see $tmp/fetch.log)"
cp -al "$ob/external/linux" "$tree" || die "cannot copy @linux"
rm -f "$tree/BUILD.bazel" "$tree/WORKSPACE" "$tree/KERNELVERSION.bzl"

# build
t0=$(date +%s)
if build //:vmlinux --show_result=10 >"$tmp/build.log" 2>&1 && [ -f "$imported/plan_sources.json" ]; then
  pass "build ($(($(date +%s) - t0)) s: import and kernel)"
else
  fail build "see $tmp/build.log"
fi

# c_edit: no re-import, a few actions.
marker="$ob/external/@$repo.marker"
before="$(stat -c %Y "$marker" 2>/dev/null)"
edit init/version.c --append 'int stale_plan_c_edit = 1;'
build //:vmlinux >"$tmp/c_edit.log" 2>&1
rc=$?
procs="$(grep -oE 'INFO: [0-9]+ processes' "$tmp/c_edit.log" | grep -oE '[0-9]+')"
if [ $rc -ne 0 ]; then
  fail c_edit "the build failed (see $tmp/c_edit.log)"
elif [ "$(stat -c %Y "$marker")" != "$before" ]; then
  fail c_edit "the .c edit re-imported $repo"
elif grep -q "Checking the plan" "$tmp/c_edit.log"; then
  fail c_edit "KernelPlanCheck ran again"
elif [ -z "$procs" ] || [ "$procs" -gt 20 ]; then
  fail c_edit "${procs:-?} processes: not incremental (see $tmp/c_edit.log)"
else
  pass "c_edit ($procs processes, no re-import)"
fi

# stale_case NAME FILE CHECK...: after an edit of FILE, the build fails with the line; after
# the re-import the check passes and CHECK holds. The Makefile case comes first: it builds
# the kernel again (one new object); after a config change every object would recompile,
# so those cases build the check alone and look at the new .config.
stale_case() {
  local name="$1" file="$2"
  shift 2
  if build //:vmlinux >"$tmp/$name.log" 2>&1; then
    fail "$name" "the build succeeded with an edited $file"
    return
  fi
  local why
  why="$(stale_line "$tmp/$name.log" "$file")" || { fail "$name" "$why"; return; }
  reimport >"$tmp/$name.sync.log" 2>&1 || { fail "$name" "sync failed (see $tmp/$name.sync.log)"; return; }
  build "@$repo//:objects" --output_groups=plan_check >"$tmp/$name.check.log" 2>&1 ||
    { fail "$name" "the check fails after the re-import (see $tmp/$name.check.log)"; return; }
  "$@" || { fail "$name" "after the re-import: $*"; return; }
  pass "$name (the line names $file; re-imported)"
}

cat >"$tree/kernel/stale_plan_probe.c" <<'EOF'
// SPDX-License-Identifier: GPL-2.0
/* tests/stale_plan: an object only a re-imported plan builds. */
int stale_plan_probe_value = 11;
EOF
edit kernel/Makefile --append 'obj-y += stale_plan_probe.o'
in_system_map() {
  build //:vmlinux --show_result=10 >"$tmp/makefile.build.log" 2>&1 || return 1
  local map
  map="$(output System.map "$tmp/makefile.build.log")" || return 1
  grep -q ' stale_plan_probe_value$' "$map"
}
stale_case makefile kernel/Makefile in_system_map

edit init/Kconfig '/^config LOG_BUF_SHIFT$/,/^$/s/^\tdefault 17$/\tdefault 16/'
stale_case kconfig init/Kconfig grep -qx CONFIG_LOG_BUF_SHIFT=16 "$imported/obj/.config"

edit "arch/$srcarch/configs/tiny.config" --append CONFIG_SYSVIPC=y
stale_case fragment "arch/$srcarch/configs/tiny.config" grep -qx CONFIG_SYSVIPC=y "$imported/obj/.config"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
