#!/usr/bin/env bash
# Differential test: tools/modpost against the kernel's own scripts/mod/modpost,
# with Kbuild's exact modpost command, on a Kbuild-built tree.
#
#   difftest.sh [--python=PYTHON] [--upstream=MODPOST] [--args=EXTRA] [--name=LABEL]
#               [--template=CMD_FILE] [--drop=OPTION]... KBUILD_DIR [EXT_MODULE_DIR]
#
# The command is the one Kbuild recorded in KBUILD_DIR/.Module.symvers.cmd (or
# .modules-only.symvers.cmd / .vmlinux.symvers.cmd), or in
# EXT_MODULE_DIR/.Module.symvers.cmd for an M= build:
#     sed 's/ko$/o/' modules.order | scripts/mod/modpost -m -a -E -o Module.symvers -T - vmlinux.o
# --template takes the command from another M= directory's .Module.symvers.cmd
# (Kbuild saves it only when modpost succeeds), with that directory's path
# replaced by EXT_MODULE_DIR. --args adds options right after the modpost word (e.g. "-w", "-N -d nsdeps",
# "-W") and --drop removes one (e.g. -m, -a, -E), to run the same inputs
# through more of modpost's paths.
#
# Both programs run on hard-link copies of the tree (outputs are deleted from
# each copy first, so nothing shared is written), reached through one symlink
# so that every path they print is the same. Checks, each byte for byte:
# exit status, stdout, stderr, the -o dump, .vmlinux.export.c, the -d file and
# every <module>.mod.c of the module list; and, without --args, the Python
# outputs against Kbuild's own files in KBUILD_DIR.
# Defaults: --python: python3 (it needs absl-py and pyelftools);
# --upstream: KBUILD_DIR/scripts/mod/modpost.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
python="python3" upstream="" extra="" label="" template="" drop=()

die() { echo "difftest: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --python=*) python="${1#*=}" ;;
    --upstream=*) upstream="${1#*=}" ;;
    --args=*) extra="${1#*=}" ;;
    --name=*) label="${1#*=}" ;;
    --template=*) template="${1#*=}" ;;
    --drop=*) drop+=("${1#*=}") ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) die "unknown option $1" ;;
    *) break ;;
  esac
  shift
done
[[ $# -ge 1 && $# -le 2 ]] || usage
kdir="$(cd "$1" && pwd)" || die "$1: not a directory"
mdir=""
[[ $# -eq 2 ]] && { mdir="$(cd "$2" && pwd)" || die "$2: not a directory"; }
[[ -n "$upstream" ]] || upstream="$kdir/scripts/mod/modpost"
upstream="$(cd "$(dirname "$upstream")" && pwd)/$(basename "$upstream")"
[[ -x "$upstream" ]] || die "$upstream: no upstream modpost"

cmdfile=""
if [[ -n "$template" ]]; then
  cmdfile="$template"
elif [[ -n "$mdir" ]]; then
  cmdfile="$mdir/.Module.symvers.cmd"
else
  for f in .Module.symvers.cmd .modules-only.symvers.cmd .vmlinux.symvers.cmd; do
    [[ -f "$kdir/$f" ]] && { cmdfile="$kdir/$f"; break; }
  done
fi
[[ -f "$cmdfile" ]] || die "no Kbuild modpost command (.Module.symvers.cmd) found"
cmd="$(sed -n 's/^cmd_[^ ]* := //p' "$cmdfile")"
cmd="${cmd//\$\$/\$}"  # the .cmd file is make syntax
if [[ -n "$template" ]]; then
  tdir="$(cd "$(dirname "$template")" && pwd)"
  [[ -n "$mdir" ]] && cmd="${cmd//$tdir/$mdir}"
fi
[[ "$cmd" == *scripts/mod/modpost* ]] || die "$cmdfile: no modpost command"

work="$(mktemp -d "${TMPDIR:-/tmp}/modpost-difftest.XXXXXX")"
trap '[[ -n "${DIFFTEST_KEEP:-}" ]] || rm -rf "$work"' EXIT

for d in "${drop[@]}"; do
  cmd="$(sed "s/ $d / /" <<< "$cmd")"
done

# Paths as the runs will see them: $work/k (and $work/m) are symlinks to the copy in use.
cmd="${cmd//scripts\/mod\/modpost/\"\$MODPOST\" $extra}"
[[ -n "$mdir" ]] && cmd="${cmd//$mdir/$work/m}"

words=($cmd)
dump="" nsdeps="" order=""
for ((i = 0; i < ${#words[@]}; i++)); do
  case "${words[i]}" in
    -o) dump="${words[i + 1]}" ;;
    -d) nsdeps="${words[i + 1]}" ;;
    "'s/ko\$/o/'") order="${words[i + 1]}" ;;
  esac
done
order="${order:-/dev/null}"

copy() {  # copy DEST: hard-link copies of the tree (and the M dir)
  mkdir -p "$1"
  cp -al "$kdir" "$1/k" 2>/dev/null || { rm -rf "$1/k"; cp -a "$kdir" "$1/k"; }  # another file system
  if [[ -n "$mdir" ]]; then
    cp -al "$mdir" "$1/m" 2>/dev/null || { rm -rf "$1/m"; cp -a "$mdir" "$1/m"; }
    for f in "$1/m/modules.order" "$1/m/"*.mod; do  # absolute paths into the M dir
      [[ -f "$f" ]] || continue
      sed "s#$mdir#$work/m#g" "$f" > "$f.new" && rm -f "$f" && mv "$f.new" "$f"
    done
  fi
}

modc_list() {  # the .mod.c files of the module list, as seen from $work/k
  [[ "$order" == /dev/null ]] && return
  (cd "$work/k" && sed 's/ko$/mod.c/' "$order")
}

outputs=()
point() {  # point RUN: make $work/k and $work/m the RUN copy
  ln -sfn "$work/$1/k" "$work/k"
  [[ -n "$mdir" ]] && ln -sfn "$work/$1/m" "$work/m"
  return 0
}

run() {  # run NAME MODPOST
  copy "$work/$1"
  point "$1"
  if [[ ${#outputs[@]} -eq 0 ]]; then
    mapfile -t outputs < <(modc_list)
    outputs+=(.vmlinux.export.c)
    [[ -n "$dump" ]] && outputs+=("$dump")
    [[ -n "$nsdeps" ]] && outputs+=("$nsdeps")
  fi
  (cd "$work/k" && rm -f "${outputs[@]}")
  local t0 t1
  t0=$(date +%s%N)
  (cd "$work/k" && set +e; MODPOST="$2" bash -c "$cmd" > "$work/$1.stdout" 2> "$work/$1.stderr"; echo $? > "$work/$1.rc")
  t1=$(date +%s%N)
  echo $(( (t1 - t0) / 1000000 )) > "$work/$1.ms"
}

case "$python" in
  */*) python="$(cd "$(dirname "$python")" && pwd)/$(basename "$python")" ;;
  *) python="$(command -v "$python")" || die "no $python" ;;
esac
cat > "$work/ours" <<EOF
#!/bin/sh
PYTHONPATH="$repo" exec "$python" "$here/modpost.py" "\$@"
EOF
chmod +x "$work/ours"

echo "kernel dir: $kdir${mdir:+, M=$mdir}${label:+ [$label]}"
echo "command: $cmd"
run up "$upstream"
run py "$work/ours"
echo "upstream: $(cat "$work/up.ms") ms, python: $(cat "$work/py.ms") ms, exit status $(cat "$work/up.rc")"

passed=0 failed=0
check() {  # check NAME FILE_A FILE_B
  if [[ ! -e "$2" && ! -e "$3" ]]; then
    passed=$((passed + 1)); return
  fi
  if [[ -e "$2" && -e "$3" ]] && cmp -s "$2" "$3"; then
    passed=$((passed + 1))
  else
    echo "FAIL $1"; failed=$((failed + 1))
    if [[ -e "$2" && -e "$3" ]]; then diff "$2" "$3" | head -20; else echo "  only one of $2 $3 exists"; fi
  fi
}
check "exit status" "$work/up.rc" "$work/py.rc"
check stdout "$work/up.stdout" "$work/py.stdout"
check stderr "$work/up.stderr" "$work/py.stderr"
loc() {  # loc RUN FILE: where FILE (as the runs named it) is in the RUN copy
  case "$2" in
    "$work/m/"*) echo "$work/$1/m/${2#"$work/m/"}" ;;
    /*) echo "$2" ;;
    *) echo "$work/$1/k/$2" ;;
  esac
}
written=0
for f in "${outputs[@]}"; do
  [[ -e "$(loc up "$f")" ]] && written=$((written + 1))
  check "${f#"$work/m/"}" "$(loc up "$f")" "$(loc py "$f")"
done
if [[ -z "$extra" && ${#drop[@]} -eq 0 && -z "$mdir" && -z "$template" ]]; then  # Kbuild's own command
  for f in "${outputs[@]}"; do
    [[ -e "$kdir/$f" ]] && check "Kbuild's $f" "$kdir/$f" "$work/py/k/$f"
  done
fi
echo "outputs: ${#outputs[@]} checked, $written written by upstream; stderr lines: $(wc -l < "$work/up.stderr")"
if [[ "${DIFFTEST_SHOW_STDERR:-0}" -gt 0 ]]; then
  head -"$DIFFTEST_SHOW_STDERR" "$work/up.stderr" | sed 's/^/  | /'
fi
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
