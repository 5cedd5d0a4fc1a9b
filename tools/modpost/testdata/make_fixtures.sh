#!/usr/bin/env bash
# Rebuilds tools/modpost/testdata/fixtures: tiny arm64 (and one x86_64) ELF
# objects standing in for vmlinux.o and modules, the Kbuild side files modpost
# reads (.cmd with #SYMVER and source_/deps_, .mod, .vmlinux.objs), and the
# golden outputs of upstream's scripts/mod/modpost for each scenario in
# fixtures/scenarios (lib_test.py replays them against the Python port).
#
#   make_fixtures.sh UPSTREAM_MODPOST [CLANG]
#
# UPSTREAM_MODPOST: a Linux 6.1 scripts/mod/modpost built for an arm64 kernel.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fx="$here/fixtures"
modpost="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
clang="${2:-clang-19}"
cd "$fx"
rm -rf obj golden
mkdir -p obj/drivers obj/ext golden
cflags=(--target=aarch64-linux-gnu -O2 -ffreestanding -fno-pic -fno-asynchronous-unwind-tables -fno-addrsig -c)
cc() { "$clang" "${cflags[@]}" "src/$1.c" -o "obj/$1.o"; }
cc vmlinux; cc drivers/m1; cc drivers/m2; cc ext/m3; cc ext/m4
"$clang" "${cflags[@]}" -fcommon src/ext/m5.c -o obj/ext/m5.o
"$clang" --target=x86_64-linux-gnu -O2 -ffreestanding -fno-pic -c src/drivers/m2.c -o obj/drivers/m2_x86.o
cp src/drivers/m1.c src/drivers/m1.h src/drivers/m2.c obj/drivers/
cp src/ext/m3.c src/ext/m4.c src/ext/m5.c obj/ext/
cp src/fixture.h obj/

# The .cmd files Kbuild would write: CRCs (#SYMVER) and, for srcversion, the
# source file and its dependencies.
cmdfile() {  # cmdfile OBJ SOURCE DEP... -- SYMVER_LINES
  local obj="$1" src="$2"; shift 2
  local dir base; dir="$(dirname "$obj")"; base="$(basename "$obj")"
  {
    echo "cmd_$obj := clang -c -o $obj $src"
    echo
    echo "source_$obj := $src"
    echo
    echo "deps_$obj := \\"
    while [[ $# -gt 0 && "$1" != -- ]]; do echo "  $1 \\"; shift; done
    echo "  \$(wildcard include/config/FOO) \\"
    echo
    echo "$obj: \$(deps_$obj)"
    echo
    echo "\$(deps_$obj):"
    [[ $# -gt 0 ]] && shift
    for l in "$@"; do echo "$l"; done
  } > "obj/$dir/.$base.cmd"
}
cmdfile vmlinux.o vmlinux.c fixture.h -- "#SYMVER vm_plain 0x1a2b3c4d" "#SYMVER vm_gpl 0x00000007" \
  "#SYMVER vm_ns 0xdeadbeef" "#SYMVER module_layout 0x0badc0de" "#SYMVER orphan_sym 0x1"
cmdfile drivers/m1.o drivers/m1.c drivers/m1.h fixture.h -- "#SYMVER m1_sym 0x12345678" \
  "#SYMVER m1_gpl_sym 0"
cmdfile drivers/m2.o drivers/m2.c fixture.h --
cmdfile ext/m3.o ext/m3.c fixture.h -- "#SYMVER m3_sym 0x33"
cmdfile ext/m4.o ext/m4.c -- "#SYMVER vm_plain 0x44"
cmdfile ext/m5.o ext/m5.c -- "#SYMVER m5_undef 5" "#SYMVER"  "#SYMVER bad x1" "#SYMVER m5_undef 07x"
printf 'vmlinux.o\n' > obj/.vmlinux.objs
for m in drivers/m1 drivers/m2 ext/m3 ext/m4 ext/m5; do printf '%s.o\n' "$m" > "obj/$m.mod"; done
printf 'drivers/m1.o\ndrivers/m2.o\n' > obj/modules.order
printf "drivers/m1.o\n" > obj/m1.order

# Each scenario: NAME|STDIN FILE (or -)|ARGS|OUTPUTS (files to keep)
run() {
  local name="$1" stdin="$2" args="$3" outs="$4"
  local work; work="$(mktemp -d)"
  cp -a obj/. "$work/"
  (cd "$work" && set +e; if [[ "$stdin" == - ]]; then $modpost $args < /dev/null; else $modpost $args < "$stdin"; fi \
     > "$work/.stdout" 2> "$work/.stderr"; echo $? > "$work/.rc")
  mkdir -p "golden/$name"
  cp "$work/.rc" "golden/$name/rc"; cp "$work/.stderr" "golden/$name/stderr"; cp "$work/.stdout" "golden/$name/stdout"
  for f in $outs; do
    if [[ -f "$work/$f" ]]; then mkdir -p "golden/$name/out/$(dirname "$f")"; cp "$work/$f" "golden/$name/out/$f"; fi
  done
  printf '%s\n' "$args" > "golden/$name/args"
  printf '%s\n' "$stdin" > "golden/$name/stdin"
  printf '%s\n' $outs > "golden/$name/outputs"
  rm -rf "$work"
}
outs="Module.symvers .vmlinux.export.c drivers/m1.mod.c drivers/m2.mod.c ext/m3.mod.c ext/m4.mod.c ext/m5.mod.c ext/Module.symvers modules.nsdeps"
run warn_only m1.order "-m -a -w -o Module.symvers -T - vmlinux.o" "$outs"
run errors modules.order "-m -E -o Module.symvers -T - vmlinux.o" "$outs"
run plain - "-W -o Module.symvers vmlinux.o drivers/m1.o" "$outs"
cp golden/warn_only/out/Module.symvers obj/Module.symvers.in
run external - "-e -m -N -i Module.symvers.in -d modules.nsdeps -o ext/Module.symvers ext/m3.o" "$outs"
run external_twice - "-e -i Module.symvers.in -o ext/Module.symvers ext/m4.o ext/m3.o" "$outs"
run intree_twice - "-m -o Module.symvers vmlinux.o ext/m4.o" "$outs"
run odd_objects - "-m -a -o Module.symvers vmlinux.o ext/m5.o" "$outs"
run missing_ignored - "-n -o Module.symvers vmlinux.o drivers/absent.o" "$outs"
run missing - "-o Module.symvers vmlinux.o drivers/absent.o" "$outs"
run bad_suffix - "-o Module.symvers vmlinux.o drivers/m1.c" "$outs"
run bad_option - "-x vmlinux.o" "$outs"
# upstream prints its own argv[0] in getopt messages; ours says "modpost".
sed -i "s#^$modpost:#modpost:#" golden/bad_option/stderr
du -sh "$fx"
