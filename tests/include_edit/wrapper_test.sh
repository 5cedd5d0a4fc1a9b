#!/usr/bin/env bash
# KernelCompile's wrapper (rules/private/actions/compile.bzl) on a fake exec root whose
# external/linux files are symlinks into a tree elsewhere (as a LINUX_SRC tree is), or real
# files under .../external/linux (as the Debian tree is), around the real clang.
set -uo pipefail
script="$(cat "$1")"
bb="$(pwd)/$2"
clang="$(pwd)/$3"
t="${TEST_TMPDIR:-$(mktemp -d)}/w"
rm -rf "$t"
mkdir -p "$t/tree/init" "$t/tree/include/linux" "$t/tree/include/uapi/linux" "$t/ex/external/linux/init" "$t/ex/external/linux/include/linux" "$t/ex/external/r/obj/include/generated"
cd "$t/ex" || exit 2
failed=0
check() {  # NAME CONDITION...
  local name="$1"
  shift
  if "$@"; then echo "PASS $name"; else echo "FAIL $name"; echo "--- output:"; cat out.txt; failed=1; fi
}
# wrap SRC OBJTOOL OBJTOOL_FLAGS COMMAND...: the wrapper as KernelCompile runs it.
wrap() {
  local src="$1" ot="$2" of="$3"
  shift 3
  "$bb" sh -c "$script" sh external/linux external/r/obj linux_x86_64_none init/main.o "$src" "$ot" "$of" main.o "$@" >out.txt 2>&1
}
put() {  # FILE TEXT: a tree file, linked into the exec root
  printf '%s\n' "$2" >"$t/tree/$1"
  ln -sf "$t/tree/$1" "external/linux/$1"
}
cc() { wrap external/linux/init/main.c "" "" "$clang" -Iexternal/linux/include -I external/r/obj/include -Iexternal/linux/include/uapi -c -o main.o external/linux/init/main.c; }

put include/linux/a.h 'int a;'
printf 'int z;\n' >"$t/tree/include/linux/zutil.h"  # in the tree, not in the exec root
printf 'int g;\n' >external/r/obj/include/generated/g.h

put init/main.c $'#include <linux/a.h>\n#include <generated/g.h>\nint x;'
cc
check ok test $? = 0 -a -s main.o -a ! -s out.txt

put init/main.c $'#include <linux/a.h>\n#include <linux/zutil.h>\nint x;'
cc
rc=$?
want="$t/tree/init/main.c:2: linux/zutil.h is in the kernel tree (include/linux/zutil.h) but not among the headers @linux_x86_64_none's import recorded for init/main.o (header sets are fixed at import); re-import: ./bazel sync --only=linux_x86_64_none --repo_env=LINUX_SRC=$t/tree"
check missing_in_tree test $rc = 1 -a "$(head -n 1 out.txt)" = "$want"
check no_file_not_found eval 'grep -q re-import out.txt && ! grep -q "file not found\|external/\|^ *[0-9]* |" out.txt'

put include/linux/a.h $'#include "zutil.h"\nint a;'
cc
check missing_quoted_in_header eval 'grep -qx "$t/tree/include/linux/a.h:1: zutil.h is in the kernel tree (include/linux/zutil.h) but not .*" out.txt && grep -qx "In file included from init/main.c:1:" out.txt'
put include/linux/a.h 'int a;'

put init/main.c $'#include <linux/nothere.h>\nint x;'
cc
check missing_nowhere eval 'grep -qx "init/main.c:1:10: fatal error: '"'"'linux/nothere.h'"'"' file not found" out.txt && ! grep -q "re-import" out.txt'

put init/main.c $'#include <generated/g.h>\nint x = y;'
cc
check error_paths eval 'grep -q "^init/main.c:2:9: error: use of undeclared identifier" out.txt && ! grep -q external/ out.txt'

put init/main.c $'#warning include_edit\nint x;'
cc
rc=$?
check warning_kept eval 'test $rc = 0 -a -s main.o && grep -qx "init/main.c:1:2: warning: include_edit \\[-W#warnings\\]" out.txt'

printf '#!/bin/sh\necho "$@" >objtool.ran\n' >objtool && chmod +x objtool
rm -f objtool.ran
put init/main.c 'int x;'
wrap external/linux/init/main.c ./objtool "--a --b" "$clang" -c -o main.o external/linux/init/main.c
check objtool_after_success eval 'test "$(cat objtool.ran)" = "--a --b main.o"'
rm -f objtool.ran
put init/main.c 'int x = y;'
wrap external/linux/init/main.c ./objtool "--a" "$clang" -c -o main.o external/linux/init/main.c
rc=$?
check no_objtool_after_failure eval 'test $rc = 1 -a ! -e objtool.ran'

# The Debian tree: real files under <output base>/external/linux: no LINUX_SRC in the command.
rm -rf "$t/ob" && mkdir -p "$t/ob/external" && cp -rL "$t/tree" "$t/ob/external/linux"
printf '#include <linux/zutil.h>\nint x;\n' >"$t/ob/external/linux/init/main.c"
rm -f external/linux/init/main.c && ln -s "$t/ob/external/linux/init/main.c" external/linux/init/main.c
cc
check debian_tree eval 'grep -qx "init/main.c:1: linux/zutil.h is in the kernel tree (include/linux/zutil.h) but not .*; re-import: ./bazel sync --only=linux_x86_64_none" out.txt'

# Absolute sandbox prefixes are cut too.
mkdir -p "$t/sb/execroot/__main__" && ln -sfn "$t/ex/external" "$t/sb/execroot/__main__/external"
wrap external/linux/init/main.c "" "" "$clang" -Iexternal/linux/include -c -o main.o "$t/sb/execroot/__main__/external/linux/init/main.c"
check absolute_prefix eval '! grep -q "execroot\|external/" out.txt && grep -q "^init/main.c:1: linux/zutil.h is in the kernel tree" out.txt'

# A config slice's autoconf.h (actions/config_slice.bzl) reads as include/generated/autoconf.h.
mkdir -p bazel-out/k8-fastbuild/bin/external/r/objects/config/0a1b/generated
printf '#define CONFIG_X 1\n#warning in_slice\n' >bazel-out/k8-fastbuild/bin/external/r/objects/config/0a1b/generated/autoconf.h
put init/main.c $'#include <generated/autoconf.h>\nint x;'
wrap external/linux/init/main.c "" "" "$clang" -Ibazel-out/k8-fastbuild/bin/external/r/objects/config/0a1b -c -o main.o external/linux/init/main.c
check config_slice_path eval 'grep -q "^include/generated/autoconf.h:2:2: warning: in_slice" out.txt && ! grep -q bazel-out out.txt'

# A header's copy in the object's extra-headers directory (actions/include_scan.bzl) reads as
# the tree's file.
x=bazel-out/k8-fastbuild/bin/external/r/objects/extra_hdrs/init/main.o
mkdir -p "$x/external/linux/include/linux" "$x/external/r/obj/include/generated"
printf '#warning in_copy\n' >"$x/external/linux/include/linux/new.h"
printf '#warning in_gen_copy\n' >"$x/external/r/obj/include/generated/new.h"
put init/main.c $'#include <linux/new.h>\n#include <generated/new.h>\nint x;'
wrap external/linux/init/main.c "" "" "$clang" -Iexternal/linux/include "-I$x/external/linux/include" -Iexternal/r/obj/include "-I$x/external/r/obj/include" -c -o main.o external/linux/init/main.c
check extra_hdrs_path eval 'grep -q "^include/linux/new.h:1:2: warning: in_copy" out.txt && grep -q "^include/generated/new.h:1:2: warning: in_gen_copy" out.txt && ! grep -q "bazel-out\|external/" out.txt'

exit $failed
