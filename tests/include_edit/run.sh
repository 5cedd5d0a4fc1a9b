#!/usr/bin/env bash
# Include edits after the import (issue 16 part 0): each compile sees exactly the headers the
# import recorded for its object, so an added #include of a header outside that set fails.
# It must fail with one line naming the user's file, the header's place in the tree and the
# re-import command, never clang's "file not found" for a file that exists, and with paths
# relative to the tree (not the sandbox's external/linux/). After the re-import exactly the
# objects that read the edited file compile again; a removed #include builds without one.
#
#   bash tests/include_edit/run.sh [x86_64|arm64]     # a kernel and two imports: a manual suite
#
# In its own output base with this checkout, on a hard-linked copy of @linux given as
# LINUX_SRC, tiny kernel, --//:lto=none:
#   build      vmlinux builds
#   c_add      init/main.c gains `#include <linux/zutil.h>`: the build fails with the line
#              (<tree>/init/main.c:N: ... include/linux/zutil.h ... re-import: ./bazel sync
#              --only=<repo> --repo_env=LINUX_SRC=<tree>); sync; builds; the only
#              KernelCompile that ran is init/main.o
#   c_remove   the line removed again: builds with no re-import; only init/main.o compiles
#   h_add      include/linux/reboot.h (14 objects of vmlinux on x86_64) gains `#include
#              <linux/crc32poly.h>`: fails (--keep_going) with one line per reader, each
#              naming include/linux/reboot.h and the object; sync; builds; the compiles that
#              ran are exactly the objects whose new header set holds reboot.h
#   h_remove   reboot.h restored: builds with no re-import
#   diag       an error in a .c: clang's message names init/main.c, not external/linux/
# Prints `PASS name` or `FAIL name` per step; exits 1 if any failed. INCLUDE_EDIT_KEEP=1
# keeps the temporary directory; INCLUDE_EDIT_FLAGS adds build flags.

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
  bz build "${flags[@]}" --execution_log_json_file="$tmp/$name.exec.json" //:vmlinux "$@" >"$tmp/$name.log" 2>&1
}
reimport() { bz sync --only="$repo" --repo_env=LINUX_SRC="$tree" >"$tmp/$1.sync.log" 2>&1; }
imported="$ob/external/$repo"
marker="$ob/external/@$repo.marker"

# compiled NAME: the objects whose KernelCompile ran (or was fetched from a cache), sorted.
compiled() {
  python3 - "$tmp/$1.exec.json" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
dec, i, outs = json.JSONDecoder(), 0, set()
while i < len(text):
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text):
        break
    spawn, i = dec.raw_decode(text, i)
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

# missing_lines LOG FILE HEADER: every wrapper line names FILE (in TREE), HEADER's place in
# the tree and the exact command; clang's "file not found" and external/ paths never show.
missing_lines() {
  local log="$1" file="$2" header="$3" n
  n="$(grep -c "^$tree/$file:[0-9]*: " "$log")"
  [ "$n" -ge 1 ] || { echo "no line naming $tree/$file"; return 1; }
  if grep "^$tree/$file:[0-9]*: " "$log" | grep -v " is in the kernel tree (include/$header) but not among the headers @$repo's import recorded for [^ ]*\.o (header sets are fixed at import); re-import: ./bazel sync --only=$repo --repo_env=LINUX_SRC=$tree\$"; then
    echo "a line in another form (above)"
    return 1
  fi
  if grep -n "file not found" "$log"; then echo "clang's 'file not found' shows"; return 1; fi
  if grep -n "external/linux/" "$log"; then echo "a sandbox path shows"; return 1; fi
  echo "$n"
}

# The tree: Debian's linux-source-6.1 as @linux fetches it.
bz fetch @linux//:Makefile >"$tmp/fetch.log" 2>&1 || die "fetching @linux failed (see $tmp/fetch.log)"
cp -al "$ob/external/linux" "$tree" || die "cannot copy @linux"
rm -f "$tree/BUILD.bazel" "$tree/WORKSPACE" "$tree/KERNELVERSION.bzl"

t0=$(date +%s)
if build build && [ -f "$imported/plan.json" ]; then
  pass "build ($(($(date +%s) - t0)) s: import and kernel)"
else
  fail build "see $tmp/build.log"
fi

# c_add
edit init/main.c '0,/^#include <linux\/types.h>$/s//#include <linux\/types.h>\n#include <linux\/zutil.h>/'
if build c_add; then
  fail c_add "the build succeeded with a header outside init/main.o's set"
elif ! why="$(missing_lines "$tmp/c_add.log" init/main.c linux/zutil.h)" || [ "$why" != 1 ]; then
  fail c_add "$why (see $tmp/c_add.log)"
elif ! reimport c_add; then
  fail c_add "sync failed (see $tmp/c_add.sync.log)"
elif ! build c_add2; then
  fail c_add "the build fails after the re-import (see $tmp/c_add2.log)"
elif [ "$(compiled c_add2)" != init/main.o ]; then
  fail c_add "after the re-import compiled: $(compiled c_add2 | tr '\n' ' ')"
else
  pass "c_add (one line; after the re-import only init/main.o compiled)"
fi

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
  pass "c_remove (no re-import; only init/main.o compiled)"
fi

# h_add
edit include/linux/reboot.h '0,/^#include <linux\/notifier.h>$/s//#include <linux\/notifier.h>\n#include <linux\/crc32poly.h>/'
# built_readers HEADER: the readers of HEADER that //:vmlinux compiles (not the =m parts).
built_readers() { comm -12 <(readers "$1") <(compiled build); }
want="$(comm -23 <(built_readers include/linux/reboot.h) <(readers include/linux/crc32poly.h))"
if build h_add --keep_going; then
  fail h_add "the build succeeded with a header outside the readers' sets"
elif ! why="$(missing_lines "$tmp/h_add.log" include/linux/reboot.h linux/crc32poly.h)"; then
  fail h_add "$why (see $tmp/h_add.log)"
elif [ "$(sed -n 's/.* recorded for \([^ ]*\) (header sets .*/\1/p' "$tmp/h_add.log" | sort)" != "$want" ]; then
  fail h_add "the lines name other objects than the $(echo "$want" | wc -l) readers of reboot.h (see $tmp/h_add.log)"
elif ! reimport h_add; then
  fail h_add "sync failed (see $tmp/h_add.sync.log)"
elif ! build h_add2; then
  fail h_add "the build fails after the re-import (see $tmp/h_add2.log)"
elif [ "$(compiled h_add2)" != "$(built_readers include/linux/reboot.h)" ]; then
  fail h_add "compiled: $(compiled h_add2 | tr '\n' ' '); readers: $(built_readers include/linux/reboot.h | tr '\n' ' ')"
else
  pass "h_add ($why lines, one per reader; after the re-import exactly the $(compiled h_add2 | wc -l) readers of reboot.h compiled)"
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
  pass "h_remove (no re-import; exactly the readers of reboot.h compiled)"
fi

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
