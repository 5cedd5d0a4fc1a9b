#!/usr/bin/env bash
# MODVERSIONS pieces vs Kbuild's own output (issue 11 part 3, docs/modversions.md).
#
#   modversions_diff.sh OUTPUT_BASE KERNEL WORKDIR [OBJECT...]
#
# OUTPUT_BASE: a Bazel output base holding @linux, @kernel_llvm, @kernel_sysroot,
# @kernel_python, @kernel_py_wheels and the imported @linux_<KERNEL> (KERNEL: <arch>_<lto>,
# e.g. x86_64_none or arm64_thin; its obj/ is copied to WORKDIR and switched to
# CONFIG_MODVERSIONS=y; with LTO the objects are bitcode, as in Kbuild). Kbuild then builds OBJECTS for real
# (default: a few exporting C and .S objects), and the script compares
#   1. per object, the `#SYMVER` lines of the KernelSymversions script
#      (rules/private/actions/symversions.bzl, run with the flags the dry run printed and
#      the import parses) with those Kbuild appended to the object's .cmd file;
#   2. upstream modpost -m (the tree's scripts/mod/modpost) over Kbuild's .cmd files with
#      tools/modpost -m over the emit_modpost staging (rules/private/actions/modules.bzl)
#      of the script's outputs, vmlinux.o being an `ld.lld -r` of the objects:
#      Module.symvers and .vmlinux.export.c byte for byte.
# Prints one line per check and exits 1 on any difference. Nice'd; a few minutes on a
# loaded 2-core machine (the dry run of `all`, the objects, their headers).
set -euo pipefail

[ $# -ge 3 ] || { sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
ob="$1" kernel="$2" work="$3"; shift 3
arch="${kernel%_*}"
repo="$(cd "$(dirname "$0")/../.." && pwd)"
ext="$ob/external"
case "$arch" in
  x86_64) objs="${*:-lib/string.o lib/bitmap.o kernel/sched/core.o init/main.o arch/x86/lib/memcpy_64.o arch/x86/entry/entry_64.o}" ;;
  arm64) objs="${*:-lib/string.o lib/bitmap.o kernel/sched/core.o init/main.o arch/arm64/lib/memcpy.o}" ;;
  *) echo "modversions_diff: KERNEL must be x86_64_<lto> or arm64_<lto>, not $kernel" >&2; exit 2 ;;
esac
[ -d "$ext/linux_$kernel/obj/arch" ] || { echo "modversions_diff: $ext/linux_$kernel/obj: not found (build @linux_$kernel//:plan.json first)" >&2; exit 2; }
bin="$ext/kernel_llvm/bin"
py() {
  PYTHONPATH="$repo:$ext/kernel_py_wheels/site.zip" \
    LD_LIBRARY_PATH="$ext/kernel_python/usr/lib/x86_64-linux-gnu" "$ext/kernel_python/usr/bin/python3.11" "$@"
}
kmake() {
  nice make -C "$work/obj" -f "$ext/linux/Makefile" O="$work/obj" ARCH="$arch" LLVM=1 \
    CC="$bin/clang" LD="$bin/ld.lld" AR="$bin/llvm-ar" NM="$bin/llvm-nm" OBJCOPY="$bin/llvm-objcopy" \
    OBJDUMP="$bin/llvm-objdump" READELF="$bin/llvm-readelf" STRIP="$bin/llvm-strip" \
    HOSTCC="$bin/clang --sysroot=$ext/kernel_sysroot -fuse-ld=lld -Qunused-arguments" HOSTLD="$bin/ld.lld" \
    HOSTAR="$bin/llvm-ar" HOSTCXX=false HOSTPKG_CONFIG=false "HOSTLDFLAGS=-static -lz -lzstd" "$@"
}

rm -rf "$work" && mkdir -p "$work/sv" "$work/kbuild" "$work/ours"
cp -a "$ext/linux_$kernel/obj" "$work/obj"
sed -i 's/^# CONFIG_MODVERSIONS is not set$/CONFIG_MODVERSIONS=y/' "$work/obj/.config"
kmake olddefconfig > "$work/olddefconfig.log" 2>&1
grep -q '^CONFIG_MODVERSIONS=y' "$work/obj/.config" || { echo "modversions_diff: CONFIG_MODVERSIONS did not stick" >&2; exit 1; }
kmake -n -k all > "$work/dry_run.log" 2> "$work/dry_run.err" || true  # stops at vmlinux.o: fine
# shellcheck disable=SC2086
kmake $objs > "$work/make.log" 2>&1

# The two scripts exactly as the rules run them.
py - "$repo" "$work" <<'EOF'
import re, sys
repo, work = sys.argv[1:]
s = open(f"{repo}/rules/private/actions/symversions.bzl").read()
open(f"{work}/symversions.sh", "w").write(re.search(r'_SCRIPT = r"""(.*?)"""', s, re.S).group(1))
s = open(f"{repo}/rules/private/actions/modules.bzl").read()
open(f"{work}/stage.sh", "w").write('set -e\nroot="$PWD"\ncd "$DIR"\n' + re.search(r'_SRCVERSION_STUBS = r"""(.*?)"""', s, re.S).group(1))
EOF

fail=0
# 1. KernelSymversions' script vs Kbuild's .cmd files.
# shellcheck disable=SC2086
py - "$work" "$bin" $objs <<'EOF' || fail=1
import os, subprocess, sys
from tools.kbuild_import.dryrun import parse_compile, parse_dry_run
from tools.kbuild_import.symversions import GENKSYMS_TAG, parse_symvers_lines, parse_symversions
work, bin_, objs = sys.argv[1], sys.argv[2], sys.argv[3:]
tools = {"clang": f"{bin_}/clang", "nm": f"{bin_}/llvm-nm"}
steps = parse_dry_run(open(f"{work}/dry_run.log").read())
comp = {s.target: parse_compile(s, tools["clang"]) for s in steps
        if s.tag in ("CC", "AS", "CC [M]", "AS [M]") and s.target.endswith(".o")}
gen = {s.target: s for s in steps if s.tag == GENKSYMS_TAG}
print(f"dry run: {len(comp)} compiles, {len(gen)} gen_symversions steps")
bad = 0
for o in objs:
    c = comp[o]
    sv = parse_symversions(gen[o], c, tools)
    out = f"{work}/sv/{o.replace('/', '_')}.symversions"
    argv = ["bash", "-c", open(f"{work}/symversions.sh").read(), "", tools["nm"], o, "scripts/genksyms/genksyms",
            out, tools["clang"], sv.kind, *c.flags, c.src] + (["--", *sv.c_flags] if sv.kind == "asm" else [])
    r = subprocess.run(argv, cwd=f"{work}/obj", capture_output=True, text=True)
    got = open(out).read() if r.returncode == 0 else None
    d, b = os.path.split(o)
    want = "".join(l + "\n" for l in open(f"{work}/obj/{d}/.{b}.cmd").read().splitlines() if l.startswith("#SYMVER "))
    ok = got == want
    bad += not ok
    n = len(parse_symvers_lines(want, o))
    print(f"{'same   ' if ok else 'DIFFERS'} {o} ({sv.kind}, {n} #SYMVER lines){'' if r.returncode == 0 else ': ' + r.stderr.strip()[:200]}")
sys.exit(1 if bad else 0)
EOF

# 2. modpost -m: upstream on Kbuild's .cmd files vs ours on the staging.
cd "$work/obj"
# shellcheck disable=SC2086
"$bin/ld.lld" -r -o "$work/vmlinux.o" $objs
args=()
for o in $objs; do
  mkdir -p "$work/kbuild/$(dirname "$o")"
  cp "$(dirname "$o")/.$(basename "$o").cmd" "$work/kbuild/$(dirname "$o")/"
  args+=(--symvers "$o" "sv/$(echo "$o" | tr / _).symversions")
done
cp "$work/vmlinux.o" "$work/kbuild/vmlinux.o" && cp "$work/vmlinux.o" "$work/ours/vmlinux.o"
printf '%s\n' $objs > "$work/kbuild/.vmlinux.objs"
(cd "$work/kbuild" && "$work/obj/scripts/mod/modpost" -m -o Module.symvers -T - vmlinux.o < /dev/null > ../kbuild_modpost.log 2>&1) || fail=1
# shellcheck disable=SC2086
(cd "$work" && DIR=ours bash stage.sh "${args[@]}" --vmlinux_objs $objs --)
(cd "$work/ours" && py "$repo/tools/modpost/modpost.py" -m -o Module.symvers -T - vmlinux.o < /dev/null > ../our_modpost.log 2>&1) || fail=1
for f in Module.symvers .vmlinux.export.c; do
  if [ -f "$work/kbuild/$f" ] && cmp -s "$work/kbuild/$f" "$work/ours/$f"; then
    echo "same    $f ($(grep -c . "$work/kbuild/$f") lines)"
  else
    echo "DIFFERS $f"; fail=1
  fi
done
if cmp -s "$work/kbuild_modpost.log" "$work/our_modpost.log"; then echo "same    modpost diagnostics"; else echo "DIFFERS modpost diagnostics"; fail=1; fi
exit $fail
