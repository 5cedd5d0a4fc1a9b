#!/usr/bin/env bash
# Differential test: tools/link_vmlinux against Kbuild's own
# scripts/link-vmlinux.sh (Linux 6.1, Clang LTO, CONFIG_KALLSYMS), on a
# Kbuild-built tree (in-tree or O=).
#
#   difftest.sh [--llvm-bin=DIR] [--python=PYTHON | --tool=LAUNCHER] KBUILD_DIR [BUILD_LOG]
#
# BUILD_LOG is the tree's `make V=1` log (default KBUILD_DIR/../build.log): it
# holds the only record of the flags link-vmlinux.sh assembled the kallsyms .S
# with (its `set -x` trace). The rest comes from the tree, as the script reads
# it: LD, KBUILD_LDFLAGS and LDFLAGS_vmlinux from .vmlinux.cmd, the kallsyms
# options and sorttable from include/config/auto.conf, the linker script from
# the traced final link.
#
# The tool runs in a scratch copy holding only its inputs (vmlinux.o,
# init/version-timestamp.o, the .lds, scripts/kallsyms, scripts/sorttable and
# the headers `clang -M` names for the kallsyms .S), from a --flagfile as a
# Bazel action would, twice: in two differently named directories, with a
# relative --workdir and with none. Checks, each a byte-for-byte cmp:
#   vmlinux, System.map and the temporaries (.tmp_vmlinux.kallsyms*) against
#   Kbuild's; for arm64 Image against KBUILD_DIR/arch/arm64/boot/Image (or, if
#   Kbuild did not make one, against Kbuild's objcopy rule applied to Kbuild's
#   vmlinux); the second run's outputs against the first's; and no output
#   holds the scratch directory's absolute path.
# Defaults: --llvm-bin /usr/lib/llvm-19/bin; the tool is link_vmlinux.py run
# by --python (python3; it needs absl-py) unless --tool names a launcher
# (e.g. bazel-bin/tools/link_vmlinux/link_vmlinux).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
llvm="/usr/lib/llvm-19/bin" python="python3" tool=""

die() { echo "difftest: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --llvm-bin=*) llvm="${1#*=}" ;;
    --python=*) python="${1#*=}" ;;
    --tool=*) tool="$(cd "$(dirname "${1#*=}")" && pwd)/$(basename "${1#*=}")" ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) die "unknown option $1" ;;
    *) break ;;
  esac
  shift
done
[[ $# -ge 1 && $# -le 2 ]] || usage
kdir="$(cd "$1" && pwd)" || die "$1: not a directory"
log="${2:-$kdir/../build.log}"
[[ -f "$log" ]] || die "$log: no build log (give it as the second argument)"
for t in ld.lld llvm-nm clang llvm-objcopy; do
  [[ -x "$llvm/$t" ]] || die "$llvm/$t: not found (use --llvm-bin)"
done
if [[ -z "$tool" ]]; then
  PYTHONPATH="$repo" "$python" -c 'import absl' 2>/dev/null \
    || die "$python has no absl-py: use --python=PYTHON or --tool=LAUNCHER"
fi
for f in vmlinux System.map vmlinux.o init/version-timestamp.o .vmlinux.cmd \
         include/config/auto.conf scripts/kallsyms; do
  [[ -e "$kdir/$f" ]] || die "$kdir/$f: missing (not a built kernel tree?)"
done
enabled() { grep -q "^$1=y" "$kdir/include/config/auto.conf"; }
enabled CONFIG_KALLSYMS || die "CONFIG_KALLSYMS is not set in $kdir"

work="$(mktemp -d /tmp/link_vmlinux_difftest.XXXXXX)"
trap 'rm -rf "$work"' EXIT

# Kbuild's flags, one per line, into $work/*.txt (shlex undoes the shell's
# and `set -x`'s quoting).
python3 - "$kdir/.vmlinux.cmd" "$log" "$work" <<'EOF'
import re, shlex, sys
cmdfile, log, work = sys.argv[1:]
# cmd_vmlinux := scripts/link-vmlinux.sh "LD" "KBUILD_LDFLAGS" "LDFLAGS_vmlinux";  true
line = next(l for l in open(cmdfile) if l.startswith("cmd_vmlinux := "))
words = shlex.split(line[len("cmd_vmlinux := "):].split(";")[0])
assert words[0].endswith("link-vmlinux.sh") and len(words) == 4, words
ld, ldflags, ldflags_vmlinux = words[1], words[2].split(), words[3].split()
asm = final = None
with open(log, "rb") as f:
    for raw in f:
        l = raw.decode("utf-8", "surrogateescape").rstrip("\n")
        if l.endswith(" -c -o .tmp_vmlinux.kallsyms1.o .tmp_vmlinux.kallsyms1.S") and l.startswith("+ "):
            asm = shlex.split(l[2:])
        elif l.startswith("+ ") and " -o vmlinux --whole-archive " in l:
            final = shlex.split(l[2:])
if asm is None or final is None:
    sys.exit(f"difftest: {log}: no `set -x` trace of link-vmlinux.sh (need a V=1 log)")
lds = next(w[len("--script="):] for w in final if w.startswith("--script="))
def write(name, items):
    with open(f"{work}/{name}.txt", "w") as out:
        out.writelines(f"{i}\n" for i in items)
write("ldflags", ldflags)
write("ldflags_vmlinux", ldflags_vmlinux)
write("asflags", asm[1:-4])
write("lds", [lds])
EOF
mapfile -t asflags < "$work/asflags.txt"
lds="$(cat "$work/lds.txt")"
lds="${lds#./}"
kallsyms_args=()
enabled CONFIG_KALLSYMS_ALL && kallsyms_args+=(--all-symbols)
enabled CONFIG_KALLSYMS_ABSOLUTE_PERCPU && kallsyms_args+=(--absolute-percpu)
enabled CONFIG_KALLSYMS_BASE_RELATIVE && kallsyms_args+=(--base-relative)
enabled CONFIG_LTO_CLANG && kallsyms_args+=(--lto-clang)
sorttable=0
enabled CONFIG_BUILDTIME_TABLE_SORT && sorttable=1
arch=""
[[ "$lds" == arch/*/kernel/vmlinux.lds ]] && arch="${lds#arch/}" && arch="${arch%%/*}"
image=0
[[ "$arch" == arm64 ]] && image=1

# The headers the kallsyms .S includes, as `clang -M` finds them from the tree.
printf '#include <asm/bitsperlong.h>\n' > "$work/probe.S"
deps="$(cd "$kdir" && "$llvm/clang" "${asflags[@]}" -M -MT x "$work/probe.S")" \
  || die "clang -M with Kbuild's asm flags failed"
read -r -a deps <<< "$(echo "$deps" | tr -d '\\\n' | sed 's/^x://')"

# A scratch tree holding only the tool's inputs.
make_sandbox() {
  local dir="$1" d
  mkdir -p "$dir"
  (cd "$kdir" && cp --parents vmlinux.o init/version-timestamp.o "$lds" scripts/kallsyms "$dir/")
  [[ $sorttable -eq 1 ]] && (cd "$kdir" && cp --parents scripts/sorttable "$dir/")
  for d in "${deps[@]}"; do
    [[ "$d" == "$work/probe.S" || "$d" == /* ]] && continue  # absolute: read in place
    (cd "$kdir" && cp --parents "$d" "$dir/")
  done
}

# The tool's flags, one per line, as a Bazel action writes them.
write_flagfile() {  # write_flagfile FILE WORKDIR|""
  {
    echo "--ld=$llvm/ld.lld"
    echo "--nm=$llvm/llvm-nm"
    echo "--clang=$llvm/clang"
    echo "--objcopy=$llvm/llvm-objcopy"
    echo "--kallsyms=scripts/kallsyms"
    for k in "${kallsyms_args[@]}"; do echo "--kallsyms_arg=$k"; done
    [[ $sorttable -eq 1 ]] && echo "--sorttable=scripts/sorttable"
    sed 's/^/--ldflag=/' "$work/ldflags.txt"
    sed 's/^/--ldflag_vmlinux=/' "$work/ldflags_vmlinux.txt"
    sed 's/^/--asflag=/' "$work/asflags.txt"
    echo "--lds=./$lds"
    echo "--object=vmlinux.o"
    echo "--object=init/version-timestamp.o"
    echo "--out_vmlinux=out/vmlinux"
    echo "--out_system_map=out/System.map"
    [[ $image -eq 1 ]] && echo "--out_image=out/Image"
    [[ -n "$2" ]] && echo "--workdir=$2"
    true
  } > "$1"
}

run_tool() {  # run_tool DIR FLAGFILE
  local t0 t1
  mkdir -p "$1/out"
  t0=$(date +%s%N)
  if [[ -n "$tool" ]]; then
    (cd "$1" && "$tool" --flagfile="$2")
  else
    (cd "$1" && PYTHONPATH="$repo" "$python" "$here/link_vmlinux.py" --flagfile="$2")
  fi
  t1=$(date +%s%N)
  echo "run in $1: $(( (t1 - t0) / 1000000 )) ms"
}

passed=0 failed=0
check() {  # check NAME FILE_A FILE_B
  if cmp "$2" "$3"; then
    echo "PASS $1"; passed=$((passed + 1))
  else
    echo "FAIL $1"; failed=$((failed + 1))
  fi
}

echo "kernel dir: $kdir (arch ${arch:-?}), log: $log"
echo "kallsyms: ${kallsyms_args[*]}; sorttable: $sorttable; asm flags: ${#asflags[@]}; headers: ${#deps[@]}"

a="$work/a" b="$work/sandbox-number-two"
make_sandbox "$a"
make_sandbox "$b"
write_flagfile "$work/a.flags" "tmp"
write_flagfile "$work/b.flags" ""
run_tool "$a" "$work/a.flags" || die "the tool failed in $a"
run_tool "$b" "$work/b.flags" || die "the tool failed in $b"

check "vmlinux vs Kbuild's" "$a/out/vmlinux" "$kdir/vmlinux"
check "System.map vs Kbuild's" "$a/out/System.map" "$kdir/System.map"
if [[ $image -eq 1 ]]; then
  if [[ -f "$kdir/arch/arm64/boot/Image" ]]; then
    check "Image vs Kbuild's" "$a/out/Image" "$kdir/arch/arm64/boot/Image"
  else
    echo "(no Kbuild Image: comparing with Kbuild's objcopy rule on Kbuild's vmlinux)"
    "$llvm/llvm-objcopy" -O binary -R .note -R .note.gnu.build-id -R .comment -S \
      "$kdir/vmlinux" "$work/Image.ref"
    check "Image vs objcopy of Kbuild's vmlinux" "$a/out/Image" "$work/Image.ref"
  fi
fi
for f in "$a"/tmp/.tmp_vmlinux.kallsyms*; do
  n="$(basename "$f")"
  if [[ -f "$kdir/$n" ]]; then
    check "$n vs Kbuild's" "$f" "$kdir/$n"
  else
    echo "FAIL $n: Kbuild made no such file"; failed=$((failed + 1))
  fi
done
for f in "$kdir"/.tmp_vmlinux.kallsyms*; do
  [[ -e "$a/tmp/$(basename "$f")" ]] && continue
  echo "FAIL $(basename "$f"): Kbuild made it, the tool did not"; failed=$((failed + 1))
done
for f in "$a"/out/*; do
  check "$(basename "$f"): run in $a vs run in $b (no --workdir)" "$f" "$b/out/$(basename "$f")"
done
if grep -l -F -e "$work" "$a"/out/* "$a"/tmp/.tmp_vmlinux.kallsyms* "$b"/out/*; then
  echo "FAIL the files above hold the absolute path $work"; failed=$((failed + 1))
else
  echo "PASS no output holds the absolute path $work"; passed=$((passed + 1))
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
