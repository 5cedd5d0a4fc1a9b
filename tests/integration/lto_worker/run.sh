#!/usr/bin/env bash
# Integration test: ThinLTO backends as persistent workers give the bits sandboxed ones do.
#
#   bash tests/integration/lto_worker/run.sh [arm64|x86_64]      (default arm64)
#
# KernelLtoBackend declares supports-workers (rules/private/actions/lto.bzl; the protocol:
# tools/common/worker.py), so a local build runs every backend in a few long-lived
# tools/thinlto processes instead of one sandboxed interpreter each. In this checkout's
# output base (CI has built //:vmlinux thin_dist just before), with no disk cache:
#   worker_used      deleting every backend output and building again re-runs exactly the
#                    backends (Bazel's `N processes: ... N worker` line)
#   sandboxed        the same with --strategy=KernelLtoBackend=sandboxed re-runs them in the
#                    sandbox (`N linux-sandbox`)
#   same_bits        each of those builds wrote every backend output byte-identical to the
#                    other's, and nothing downstream re-ran (vmlinux.o's inputs unchanged)
# Prints times too. Prints `PASS name` or `FAIL name: why`; exits 1 if any case failed.

set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../.."
arch="${1:-arm64}"
bazel=./bazel
flags=(--platforms=//platforms:"$arch" --//:lto=thin_dist --disk_cache= --remote_cache=)
failed=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }

tmp="$(mktemp -d /tmp/lto_worker.XXXXXX)"
trap 'rm -rf "$tmp"' EXIT

if ! "$bazel" build "${flags[@]}" //:vmlinux >"$tmp/build0.log" 2>&1; then
  tail -5 "$tmp/build0.log"; echo "FAIL setup: the build of //:vmlinux failed"; exit 1
fi
execroot=$("$bazel" info "${flags[@]}" execution_root 2>/dev/null)
"$bazel" aquery "${flags[@]}" "mnemonic('^KernelLtoBackend$', deps(//:vmlinux))" --output=text 2>/dev/null \
  | sed -n 's/^  Outputs: \[\(.*\)\]$/\1/p' | sort >"$tmp/outputs"
n=$(wc -l <"$tmp/outputs")
if [ "$n" -lt 100 ]; then
  echo "FAIL setup: only $n KernelLtoBackend outputs found"; exit 1
fi

# Deletes every backend output, builds with FLAGS..., leaves the log in $tmp/$1.log and the
# outputs' sha256 in $tmp/$1.sha.
run() {
  local name="$1"; shift
  (cd "$execroot" && xargs -a "$tmp/outputs" rm -f)
  local t0=$SECONDS
  if ! "$bazel" build "${flags[@]}" "$@" //:vmlinux >"$tmp/$name.log" 2>&1; then
    tail -5 "$tmp/$name.log"; fail "$name" "the build failed"; return 1
  fi
  echo "$name: $n backends re-run in $((SECONDS - t0)) s: $(grep -o '[0-9,]* processes:.*' "$tmp/$name.log" | tail -1)"
  (cd "$execroot" && xargs -a "$tmp/outputs" sha256sum) >"$tmp/$name.sha"
}

run worker || exit 1
if grep -q "processes: .*\b$n worker\b" "$tmp/worker.log" && ! grep -q "processes: .*sandbox" "$tmp/worker.log"; then
  pass worker_used
else
  fail worker_used "expected $n worker processes, got: $(grep -o 'processes:.*' "$tmp/worker.log" | tail -1)"
fi
run sandboxed --strategy=KernelLtoBackend=sandboxed || exit 1
if grep -q "processes: .*\b$n linux-sandbox\b" "$tmp/sandboxed.log" && ! grep -q "processes: .*worker" "$tmp/sandboxed.log"; then
  pass sandboxed
else
  fail sandboxed "expected $n linux-sandbox processes, got: $(grep -o 'processes:.*' "$tmp/sandboxed.log" | tail -1)"
fi
if ! cmp -s "$tmp/worker.sha" "$tmp/sandboxed.sha"; then
  fail same_bits "backend outputs differ: $(diff "$tmp/worker.sha" "$tmp/sandboxed.sha" | grep -m1 '^>' | awk '{print $3}')"
elif [ "$(wc -l <"$tmp/worker.sha")" != "$n" ]; then
  fail same_bits "$(wc -l <"$tmp/worker.sha") of $n outputs were written"
else
  pass same_bits
fi
echo "lto_worker: $arch, $n backends"
exit $failed
