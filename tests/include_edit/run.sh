#!/usr/bin/env bash
# Include edits after the import (issue 16 part 0): each compile declares exactly the headers
# the import recorded for its object, and KernelIncludeScan (rules/private/actions/
# include_scan.bzl) adds, per object, the headers an edit made it read: an #include added to
# a .c or to a header, or removed, builds with no re-import, and only the objects that read
# the edited file compile again (every other KernelCompile keeps its key). What cannot be
# made automatic fails with one line naming the user's file and the re-import command, never
# clang's "file not found" for a file that exists, with paths relative to the tree.
#
#   bash tests/include_edit/run.sh [x86_64|arm64]     # a kernel and one re-import: a manual suite
#
# In its own output base with this checkout, on a hard-linked copy of @linux given as
# LINUX_SRC, tiny kernel, --//:lto=none:
#   build      vmlinux builds
#   body       a one-line code edit of kernel/exec_domain.c (no directive): the scan rescans
#              nothing, only kernel/exec_domain.o compiles (the leaf edit of bench.py)
#   hdr_body   a declaration appended to include/linux/reboot.h: rescans nothing, exactly its
#              readers compile
#   c_add      init/main.c gains `#include <linux/zutil.h>` (outside main.o's set): builds with
#              no re-import; the only KernelCompile that ran is init/main.o; the scan copied
#              include/linux/zutil.h for it; every KernelCompile's key (aquery) is unchanged
#   c_same     after `sync` (main.o's set now holds zutil.h) main.o compiles again to the
#              same bytes (the copy's path is mapped away: __FILE__, -I order)
#   c_remove   the line removed again: builds with no re-import; only init/main.o compiles
#   h_add      include/linux/reboot.h (14 objects of vmlinux on x86_64) gains `#include
#              <linux/crc32poly.h>`: builds with no re-import; the compiles that ran are
#              exactly the objects whose set holds reboot.h; keys (aquery) unchanged
#   h_remove   reboot.h restored: builds with no re-import; exactly its readers compile
#   gen_add    lib/crc32.c, whose object includes an action's output (the generated
#              crc32table.h), gains `#include <linux/zutil.h>`: rescanned with that output,
#              builds with no re-import, only lib/crc32.o compiles
#   unreach    init/main.c gains `#include "../lib/kstrtox.h"` (next to the source, outside
#              every -I dir: not automatic): fails with the one re-import line, not
#              "file not found"
#   diag       an error in a .c: clang's message names init/main.c, not external/linux/
# Prints `PASS name` or `FAIL name` per step (with the KernelIncludeScan time, from
# --profile); exits 1 if any failed. INCLUDE_EDIT_KEEP=1 keeps the temporary directory;
# INCLUDE_EDIT_FLAGS adds build flags.

set -uo pipefail

arch="${1:-x86_64}"
case "$arch" in
  x86_64 | arm64) ;;
  *) echo "include_edit: unknown arch $arch (x86_64 or arm64)" >&2; exit 2 ;;
esac
repo="linux_${arch}_none"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bazel="${BAZEL:-$root/bazel}"
tmp="$(mktemp -d /tmp/include_edit.XXXXXX)"
ob="$tmp/output_base"
tree="$tmp/linux"
cleanup() {
  (cd "$root" && "$bazel" --output_base="$ob" shutdown) >/dev/null 2>&1 || true
  chmod -R u+w "$tmp" 2>/dev/null || true
  rm -rf "$tmp"
}
[ -n "${INCLUDE_EDIT_KEEP:-}" ] || trap cleanup EXIT

passed=0
failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
die() { echo "include_edit: $*" >&2; exit 2; }

bz() { (cd "$root" && "$bazel" --output_base="$ob" --max_idle_secs=600 "$@"); }
flags=(--symlink_prefix=/ --platforms="//platforms:$arch" --//:lto=none --repo_env=LINUX_SRC="$tree")
read -r -a extra <<<"${INCLUDE_EDIT_FLAGS:-}"
flags+=("${extra[@]}")
# build NAME [FLAGS...]: //:vmlinux, with an execution log of what ran (or came from a cache).
build() {
  local name="$1"
  shift
  bz build "${flags[@]}" --execution_log_json_file="$tmp/$name.exec.json" --profile="$tmp/$name.profile.json" //:vmlinux "$@" >"$tmp/$name.log" 2>&1
}

# keys NAME: every KernelCompile's output and action key (aquery: command line, inputs' paths).
keys() {
  bz aquery "${flags[@]}" "mnemonic(KernelCompile, @$repo//:objects)" --output=text 2>/dev/null |
    awk '/^ *ActionKey: /{k=$2} /^ *Outputs: /{print $0, k}' | sort >"$tmp/$1.keys"
  [ -s "$tmp/$1.keys" ]
}

# scan_time NAME: KernelIncludeScan's wall time in that build (from its --profile), in s.
scan_time() {
  python3 - "$tmp/$1.profile.json" <<'PY'
import json, sys
events = json.load(open(sys.argv[1]))
events = events["traceEvents"] if isinstance(events, dict) else events
d = [e.get("dur", 0) for e in events if "#include lines" in str(e.get("name", ""))]
print(f"{max(d) / 1e6:.2f}" if d else "?")
PY
}

# report: KernelIncludeScan's report (what it rescanned and copied) of the last build.
report() { find "$ob/execroot" -path "*/bin/external/$repo/objects/extra_hdrs.json" 2>/dev/null | head -n 1 | xargs cat; }

# copied OBJECT: the files the last scan copied for OBJECT, one a line.
copied() { report | python3 -c "import json,sys; print('\n'.join(json.load(sys.stdin)['copied'].get(sys.argv[1], [])))" "$1"; }
reimport() { bz sync --only="$repo" --repo_env=LINUX_SRC="$tree" >"$tmp/$1.sync.log" 2>&1; }
imported="$ob/external/$repo"
marker="$ob/external/@$repo.marker"

# compiled NAME: the objects whose KernelCompile ran (or was fetched from a cache), sorted.
compiled() {
  python3 - "$tmp/$1.exec.json" "$root" <<'PY'
import re, sys
sys.path.insert(0, sys.argv[2])
from tools.common import execlog
outs = set()
for spawn in execlog.read(sys.argv[1]):
    if spawn.get("mnemonic") == "KernelCompile":
        for o in spawn.get("listedOutputs", []):
            m = re.search(r"/objects/(.*)$", o)
            if m:
                outs.add(m.group(1))
print("\n".join(sorted(outs)))
PY
}

# readers HEADER: the objects whose header set in the (new) plan holds HEADER, sorted.
readers() {
  python3 - "$imported/plan.json" "$1" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1]))
print("\n".join(sorted(o["out"] for o in plan["objects"] if sys.argv[2] in o.get("hdrs", []))))
PY
}

# edit FILE SED-EXPRESSION: always a new file (TREE is hard links).
edit() {
  local f="$tree/$1"
  sed "$2" "$f" >"$f.new" || die "cannot edit $1"
  cmp -s "$f" "$f.new" && die "$1: '$2' changed nothing"
  mv "$f.new" "$f"
}

# The tree: Debian's linux-source-6.1 as @linux fetches it.
bz fetch @linux//:Makefile >"$tmp/fetch.log" 2>&1 || die "fetching @linux failed (see $tmp/fetch.log)"
cp -al "$ob/external/linux" "$tree" || die "cannot copy @linux"
rm -f "$tree/BUILD.bazel" "$tree/WORKSPACE" "$tree/KERNELVERSION.bzl"

t0=$(date +%s)
if build build && [ -f "$imported/plan.json" ] && [ -f "$imported/include_record.json" ] && keys build; then
  pass "build ($(($(date +%s) - t0)) s: import and kernel; scan $(scan_time build) s)"
else
  fail build "see $tmp/build.log"
fi

# body: a code edit; hdr_body: a declaration in a header. No directive changes: nothing rescanned.
# rescanned: the objects the last scan rescanned, one a line.
rescanned() { report | python3 -c "import json,sys; print('\n'.join(json.load(sys.stdin)['rescanned']))"; }
edit kernel/exec_domain.c '$a\
int include_edit_body;'
if ! build body; then
  fail body "see $tmp/body.log"
elif [ "$(compiled body)" != kernel/exec_domain.o ]; then
  fail body "compiled: $(compiled body | tr '\n' ' ')"
elif [ -n "$(rescanned)" ]; then
  fail body "rescanned: $(rescanned | tr '\n' ' ')"
else
  pass "body (only kernel/exec_domain.o compiled, nothing rescanned; scan $(scan_time body) s)"
fi
edit include/linux/reboot.h '$a\
extern int include_edit_hdr_body;'
if ! build hdr_body; then
  fail hdr_body "see $tmp/hdr_body.log"
elif [ "$(compiled hdr_body)" != "$(comm -12 <(readers include/linux/reboot.h) <(compiled build))" ]; then
  fail hdr_body "compiled: $(compiled hdr_body | tr '\n' ' ')"
elif [ -n "$(rescanned)" ]; then
  fail hdr_body "rescanned: $(rescanned | tr '\n' ' ')"
else
  pass "hdr_body (exactly the $(compiled hdr_body | wc -l) readers of reboot.h compiled, nothing rescanned; scan $(scan_time hdr_body) s)"
fi

# c_add
before="$(stat -c %Y "$marker")"
edit init/main.c '0,/^#include <linux\/types.h>$/s//#include <linux\/types.h>\n#include <linux\/zutil.h>/'
if ! build c_add; then
  fail c_add "the build failed (see $tmp/c_add.log)"
elif [ "$(stat -c %Y "$marker")" != "$before" ]; then
  fail c_add "re-imported"
elif [ "$(compiled c_add)" != init/main.o ]; then
  fail c_add "compiled: $(compiled c_add | tr '\n' ' ')"
elif ! copied init/main.o | grep -qx "external/linux/include/linux/zutil.h"; then
  fail c_add "the scan copied no include/linux/zutil.h for init/main.o: $(report)"
elif ! keys c_add || ! cmp -s "$tmp/build.keys" "$tmp/c_add.keys"; then
  fail c_add "KernelCompile keys changed: $(diff "$tmp/build.keys" "$tmp/c_add.keys" | head -4)"
else
  pass "c_add (no re-import; only init/main.o compiled; keys unchanged; scan $(scan_time c_add) s)"
fi

# c_same: the automatic object is the one a re-import gives.
main_o() { find "$ob/execroot" -path "*/bin/external/$repo/objects/init/main.o" | head -n 1; }
cp "$(main_o)" "$tmp/main.o.auto" 2>/dev/null
if ! reimport c_same; then
  fail c_same "sync failed (see $tmp/c_same.sync.log)"
elif ! build c_same; then
  fail c_same "the build fails after the re-import (see $tmp/c_same.log)"
elif [ "$(compiled c_same)" != init/main.o ]; then
  fail c_same "after the re-import compiled: $(compiled c_same | tr '\n' ' ')"
elif ! cmp "$tmp/main.o.auto" "$(main_o)"; then
  fail c_same "init/main.o differs from the automatic build's"
else
  pass "c_same (after the re-import init/main.o compiled again to the same bytes)"
fi
keys c_same

# c_remove
before="$(stat -c %Y "$marker")"
edit init/main.c '/^#include <linux\/zutil.h>$/d'
if ! build c_remove; then
  fail c_remove "see $tmp/c_remove.log"
elif [ "$(stat -c %Y "$marker")" != "$before" ]; then
  fail c_remove "re-imported"
elif [ "$(compiled c_remove)" != init/main.o ]; then
  fail c_remove "compiled: $(compiled c_remove | tr '\n' ' ')"
else
  pass "c_remove (no re-import; only init/main.o compiled; scan $(scan_time c_remove) s)"
fi

# h_add
# built_readers HEADER: the readers of HEADER that //:vmlinux compiles (not the =m parts).
built_readers() { comm -12 <(readers "$1") <(compiled build); }
before="$(stat -c %Y "$marker")"
edit include/linux/reboot.h '0,/^#include <linux\/notifier.h>$/s//#include <linux\/notifier.h>\n#include <linux\/crc32poly.h>/'
want="$(comm -23 <(built_readers include/linux/reboot.h) <(readers include/linux/crc32poly.h))"
if ! build h_add; then
  fail h_add "the build failed (see $tmp/h_add.log)"
elif [ "$(stat -c %Y "$marker")" != "$before" ]; then
  fail h_add "re-imported"
elif [ "$(compiled h_add)" != "$(built_readers include/linux/reboot.h)" ]; then
  fail h_add "compiled: $(compiled h_add | tr '\n' ' '); readers: $(built_readers include/linux/reboot.h | tr '\n' ' ')"
elif [ "$(for o in $want; do copied "$o" | grep -qx external/linux/include/linux/crc32poly.h && echo "$o"; done)" != "$want" ]; then
  fail h_add "the scan did not copy crc32poly.h for each of: $(echo $want) ($(report))"
elif ! keys h_add || ! cmp -s "$tmp/c_same.keys" "$tmp/h_add.keys"; then
  fail h_add "KernelCompile keys changed: $(diff "$tmp/c_same.keys" "$tmp/h_add.keys" | head -4)"
else
  pass "h_add (no re-import; exactly the $(compiled h_add | wc -l) readers of reboot.h compiled, $(echo $want | wc -w) with a copy of crc32poly.h; keys unchanged; scan $(scan_time h_add) s)"
fi

# h_remove
before="$(stat -c %Y "$marker")"
edit include/linux/reboot.h '/^#include <linux\/crc32poly.h>$/d'
if ! build h_remove; then
  fail h_remove "see $tmp/h_remove.log"
elif [ "$(stat -c %Y "$marker")" != "$before" ]; then
  fail h_remove "re-imported"
elif [ "$(compiled h_remove)" != "$(built_readers include/linux/reboot.h)" ]; then
  fail h_remove "compiled: $(compiled h_remove | tr '\n' ' ')"
else
  pass "h_remove (no re-import; exactly the readers of reboot.h compiled; scan $(scan_time h_remove) s)"
fi

# gen_add: lib/crc32.o also reads an action's output (generate.bzl's lib/crc32table.h, no
# longer in the import's object tree): its rescan must see that output as its compile does.
failed_scans() { report | python3 -c "import json,sys; print('\n'.join(json.load(sys.stdin)['failed']))"; }
before="$(stat -c %Y "$marker")"
edit lib/crc32.c '0,/^#include <linux\/types.h>$/s//#include <linux\/types.h>\n#include <linux\/zutil.h>/'
if ! build gen_add; then
  fail gen_add "the build failed (see $tmp/gen_add.log)"
elif [ "$(stat -c %Y "$marker")" != "$before" ]; then
  fail gen_add "re-imported"
elif [ "$(compiled gen_add)" != lib/crc32.o ]; then
  fail gen_add "compiled: $(compiled gen_add | tr '\n' ' ')"
elif [ -n "$(failed_scans)" ]; then
  fail gen_add "the scan failed for: $(failed_scans | tr '\n' ' ')"
elif ! copied lib/crc32.o | grep -qx "external/linux/include/linux/zutil.h"; then
  fail gen_add "the scan copied no include/linux/zutil.h for lib/crc32.o: $(report)"
else
  pass "gen_add (a reader of a generated header: no re-import; only lib/crc32.o compiled; scan $(scan_time gen_add) s)"
fi
edit lib/crc32.c '/^#include <linux\/zutil.h>$/d'

# unreach: a header next to the source, outside every -I dir, is not copied: the one line.
edit init/main.c '0,/^#include <linux\/types.h>$/s//#include <linux\/types.h>\n#include "..\/lib\/kstrtox.h"/'
line="^$tree/init/main.c:[0-9]*: ../lib/kstrtox.h is in the kernel tree (.*lib/kstrtox.h) but not among the headers @$repo's import recorded for init/main.o (header sets are fixed at import); re-import: ./bazel sync --only=$repo --repo_env=LINUX_SRC=$tree\$"
if build unreach; then
  fail unreach "the build succeeded"
elif [ "$(grep -c "$line" "$tmp/unreach.log")" != 1 ]; then
  fail unreach "no one line (see $tmp/unreach.log)"
elif grep -n "file not found" "$tmp/unreach.log"; then
  fail unreach "clang's 'file not found' shows"
else
  pass "unreach (one line naming init/main.c and the re-import)"
fi
edit init/main.c '/^#include "..\/lib\/kstrtox.h"$/d'

# diag: a plain error names the tree's file.
edit init/main.c '$a\
int include_edit_diag = include_edit_undeclared;'
if build diag; then
  fail diag "the build succeeded"
elif ! grep -q "^init/main.c:[0-9]*:[0-9]*: error: use of undeclared identifier 'include_edit_undeclared'" "$tmp/diag.log"; then
  fail diag "no error naming init/main.c (see $tmp/diag.log)"
elif grep -n "external/linux/" "$tmp/diag.log"; then
  fail diag "a sandbox path shows"
else
  pass "diag (clang's error names init/main.c)"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
