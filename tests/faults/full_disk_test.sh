#!/bin/bash
# A link that runs out of disk space must say so in one line, not crash (issue 17).
#   full_disk_test.sh LD_LLD FLAGS_FILE
# In a new user+mount namespace, a 256 KiB tmpfs is the output directory of an ld.lld -r
# of a 1 MiB blob. With the rules' flags (FLAGS_FILE: lto_actions.LD_SAFE_FLAGS) ld.lld
# must exit 1 with "No space left on device" and no crash banner. Without them the same
# link must crash (SIGBUS, the banner): otherwise this test no longer shows anything and
# fails, so that the flags can be reconsidered.
set -uo pipefail
ld=$(realpath "$1")
flags=()
mapfile -t flags <"$2" || exit 1
[ "${#flags[@]}" -gt 0 ] || { echo "FAIL: $2 lists no flags"; exit 1; }
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/full_disk.XXXXXX")
trap 'rm -rf "$work"' EXIT
head -c 1048576 /dev/zero | tr '\0' 'k' >"$work/blob.bin"
mkdir "$work/full"
if ! unshare -rm true 2>"$work/unshare.err"; then
  echo "FAIL: cannot create a user+mount namespace ($(head -1 "$work/unshare.err")); this test needs unprivileged user namespaces"
  exit 1
fi
link() {  # link OUT_LOG FLAGS...: the link on the full tmpfs; prints its exit status
  local log=$1
  shift
  unshare -rm bash -c 'mount -t tmpfs -o size=256k tmpfs "$1" || exit 99; shift; cd "$(dirname "$1")" && shift && exec "$@"' \
    _ "$work/full" "$work/blob.bin" "$ld" "${@}" -m elf_x86_64 -r -b binary blob.bin -o "$work/full/out.o" >"$log" 2>&1
  echo $?
}
fail=0
rc=$(link "$work/safe.log" "${flags[@]}")
if [ "$rc" = 1 ] && grep -q "No space left on device" "$work/safe.log" && ! grep -q "PLEASE submit\|Stack dump\|#0 " "$work/safe.log"; then
  echo "PASS: with ${flags[*]}: exit 1, $(grep -m1 'No space left' "$work/safe.log")"
else
  echo "FAIL: with ${flags[*]}: exit $rc, expected 1 and one 'No space left on device' line; got:"
  head -5 "$work/safe.log"
  fail=1
fi
rc=$(link "$work/plain.log")
if [ "$rc" != 0 ] && [ "$rc" != 1 ] && grep -q "PLEASE submit" "$work/plain.log"; then
  echo "PASS: without the flags ld.lld still crashes (exit $rc): the flags are what makes the error clear"
else
  echo "FAIL: without the flags: exit $rc, expected a crash (SIGBUS, LLVM's banner); got:"
  head -3 "$work/plain.log"
  fail=1
fi
exit $fail
