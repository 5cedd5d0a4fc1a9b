#!/usr/bin/env bash
# Differential test: tools/initcall_order against the kernel's own
# scripts/generate_initcall_order.pl, on the objects of a Kbuild-built tree.
#
#   difftest.sh [--nm=LLVM_NM] [--ar=LLVM_AR] [--python=PYTHON] [--perl-script=PL]
#               KBUILD_DIR [OBJECT...]
#
# OBJECTS are the files Kbuild hands the Perl script, in its order, relative
# to KBUILD_DIR; by default they are read from KBUILD_DIR/..tmp_initcalls.lds.cmd
# (Linux 6.1 with CONFIG_LTO_CLANG: `vmlinux.a $(KBUILD_VMLINUX_LIBS)`).
# Checks, each a byte-for-byte cmp:
#   1. the Perl script and the Python tool on OBJECTS (positional arguments);
#   2. the Python tool and Kbuild's own .tmp_initcalls.lds, if present and
#      OBJECTS are Kbuild's;
#   3. the Python tool on the members of OBJECTS (thin archives expanded with
#      `llvm-ar t`, in order, passed as --object lines of a --flagfile, as a
#      Bazel action would) and the Perl script's output.
# Defaults: --nm/--ar: llvm-nm-19/llvm-ar-19 (else llvm-nm/llvm-ar) from PATH;
# --python: python3 (it needs absl-py); --perl-script: the one in the .cmd
# file, else KBUILD_DIR/scripts/generate_initcall_order.pl.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tool="$here/initcall_order.py"
nm="" ar="" python="python3" perl_script=""

die() { echo "difftest: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --nm=*) nm="${1#*=}" ;;
    --ar=*) ar="${1#*=}" ;;
    --python=*) python="${1#*=}" ;;
    --perl-script=*) perl_script="${1#*=}" ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) die "unknown option $1" ;;
    *) break ;;
  esac
  shift
done
[[ $# -ge 1 ]] || usage
kdir="$(cd "$1" && pwd)" || die "$1: not a directory"
shift

pick() { local t; for t in "$@"; do command -v "$t" && return; done; return 1; }
abspath() { [[ "$1" == */* ]] && echo "$(cd "$(dirname "$1")" && pwd)/$(basename "$1")" || command -v "$1"; }
nm="$(if [[ -n "$nm" ]]; then abspath "$nm"; else pick llvm-nm-19 llvm-nm; fi)" || die "no llvm-nm; use --nm"
ar="$(if [[ -n "$ar" ]]; then abspath "$ar"; else pick llvm-ar-19 llvm-ar; fi)" || die "no llvm-ar; use --ar"

objects=("$@")
kbuild_objects=()
cmdfile="$kdir/..tmp_initcalls.lds.cmd"
if [[ ${#objects[@]} -eq 0 || -z "$perl_script" ]]; then
  if [[ -f "$cmdfile" ]]; then
    # cmd_.tmp_initcalls.lds := python3 ./scripts/jobserver-exec perl PL OBJ... > .tmp_initcalls.lds
    read -r -a words < <(sed -n 's/^cmd_\.tmp_initcalls\.lds := //p' "$cmdfile")
    kbuild_pl=""
    for w in "${words[@]}"; do
      [[ "$w" == ">" ]] && break
      if [[ -n "$kbuild_pl" ]]; then kbuild_objects+=("$w")
      elif [[ "$w" == *generate_initcall_order.pl ]]; then kbuild_pl="$w"; fi
    done
    [[ -n "$kbuild_pl" ]] || die "$cmdfile: no generate_initcall_order.pl command"
    [[ ${#objects[@]} -gt 0 ]] || objects=("${kbuild_objects[@]}")
    [[ -n "$perl_script" ]] || perl_script="$kbuild_pl"
  fi
fi
[[ ${#objects[@]} -gt 0 ]] || die "no objects given and no $cmdfile"
[[ -n "$perl_script" ]] || perl_script="scripts/generate_initcall_order.pl"
[[ "$perl_script" == /* ]] || perl_script="$kdir/$perl_script"
[[ -f "$perl_script" ]] || die "$perl_script: no such file"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$kdir"

passed=0 failed=0
check() {  # check NAME FILE_A FILE_B
  if cmp "$2" "$3"; then
    echo "PASS $1"; passed=$((passed + 1))
  else
    echo "FAIL $1"; failed=$((failed + 1))
  fi
}

echo "kernel dir: $kdir"
echo "objects (${#objects[@]}): ${objects[*]}"
echo "nm: $nm"

# The Perl script as Kbuild runs it (NM and objtree exported by the Makefile).
t0=$(date +%s%N)
NM="$nm" objtree=. perl "$perl_script" "${objects[@]}" > "$work/perl.lds" \
  || die "the Perl script failed"
t1=$(date +%s%N)
"$python" "$tool" --nm="$nm" --out="$work/python.lds" "${objects[@]}"
t2=$(date +%s%N)
echo "perl: $(( (t1 - t0) / 1000000 )) ms, python: $(( (t2 - t1) / 1000000 )) ms"
check "perl vs python on the objects" "$work/perl.lds" "$work/python.lds"

if [[ -f .tmp_initcalls.lds && "${objects[*]}" == "${kbuild_objects[*]}" ]]; then
  check "Kbuild's .tmp_initcalls.lds vs python" .tmp_initcalls.lds "$work/python.lds"
fi

# The same objects, archives flattened into their members.
magic() { cmp -s -n 8 <(printf '%s\n' "$1") "$2"; }
members=() expandable=1
for o in "${objects[@]}"; do
  if magic '!<thin>' "$o"; then
    mapfile -t m < <("$ar" t "$o")
    members+=("${m[@]}")
  elif magic '!<arch>' "$o"; then
    expandable=0
  else
    members+=("$o")
  fi
done
if [[ $expandable -eq 1 ]]; then
  {
    echo "--nm=$nm"
    echo "--out=$work/members.lds"
    printf -- '--object=%s\n' "${members[@]}"
  } > "$work/members.flags"
  "$python" "$tool" --flagfile="$work/members.flags"
  check "perl on the objects vs python on their ${#members[@]} members (--flagfile)" \
    "$work/perl.lds" "$work/members.lds"
else
  echo "SKIP members: a regular (not thin) archive among the objects"
fi

echo "initcall lines: $(grep -c $'^\t\t\\*(' "$work/perl.lds"), levels: $(grep -c $'^\t\\.' "$work/perl.lds"), bytes: $(wc -c < "$work/perl.lds")"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
