#!/usr/bin/env bash
# Seeded faults: builds the out-of-tree modules of testdata/faults against a
# Kbuild tree (one M= directory per case), then runs difftest.sh on each case:
# upstream's modpost and tools/modpost must print the same diagnostics, exit
# with the same status and write the same files.
#
#   run_faults.sh [--python=PYTHON] [--make="make ARCH=arm64 LLVM=1 ..."] KBUILD_DIR WORK_DIR
#
# KBUILD_DIR: a configured and built kernel (O= directory) with CONFIG_MODULES
# and its Module.symvers. WORK_DIR: where the case directories are built
# (created; reused if present). --make: the make command line, with the
# variables the tree was configured with (ARCH, LLVM, CC, ...).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="python3" make="make"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --python=*) python="${1#*=}" ;;
    --make=*) make="${1#*=}" ;;
    -*) echo "run_faults: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
  shift
done
[[ $# -eq 2 ]] || { sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
kdir="$(cd "$1" && pwd)"
mkdir -p "$2"
work="$(cd "$2" && pwd)"

long=this_module_name_is_much_too_long_for_the_kernel_module_loader
# case|modules|extra modpost options of additional runs (";"-separated)
cases=(
  "ok|exporter user_ok aliases versioned|-w;-N -d @M@/modules.nsdeps"
  "unexported|unexported|-w"
  "gplonly|exporter gplonly|-w"
  "nsmissing|exporter nsmissing|-N;-N -d @M@/modules.nsdeps;-d @M@/modules.nsdeps"
  "secmismatch|secmismatch|-W"
  "nolicense|nolicense|"
  "twice|exporter twice|"
  "toolong|$long|"
  "all|exporter user_ok unexported gplonly nsmissing secmismatch nolicense twice aliases versioned $long|-w;-w -N"
)

total=0 bad=0
for c in "${cases[@]}"; do
  IFS='|' read -r name mods variants <<< "$c"
  d="$work/$name"
  mkdir -p "$d"
  : > "$d/Kbuild.new"
  for m in $mods; do
    cp -p "$here/testdata/faults/$m.c" "$d/"
    echo "obj-m += $m.o" >> "$d/Kbuild.new"
  done
  cp -p "$here/testdata/faults/"*.h "$d/"
  cmp -s "$d/Kbuild.new" "$d/Kbuild" || mv "$d/Kbuild.new" "$d/Kbuild"
  rm -f "$d/Kbuild.new"
  echo "=== build $name: $mods"
  # Kbuild runs upstream's modpost itself; a seeded fault makes that step fail.
  if $make -C "$kdir" M="$d" modules > "$d/build.log" 2>&1; then echo "(Kbuild: modpost passed)"; else echo "(Kbuild: make failed, as expected for a fault)"; fi
  for m in $mods; do
    [[ -f "$d/$m.o" && -f "$d/$m.mod" ]] || { echo "run_faults: $d/$m.o was not built; see $d/build.log" >&2; exit 1; }
  done
done

template="$work/ok/.Module.symvers.cmd"
[[ -f "$template" ]] || { echo "run_faults: the ok case left no $template" >&2; exit 1; }
for c in "${cases[@]}"; do
  IFS='|' read -r name mods variants <<< "$c"
  d="$work/$name"
  IFS=';' read -r -a vs <<< "$variants"
  for v in "" "${vs[@]}"; do
    v="${v//@M@/$d}"
    total=$((total + 1))
    if ! "$here/difftest.sh" --python="$python" --template="$template" --args="$v" \
        --name="$name${v:+ [$v]}" "$kdir" "$d"; then
      bad=$((bad + 1))
    fi
  done
done
echo "fault runs: $((total - bad)) of $total identical"
[[ $bad -eq 0 ]]
