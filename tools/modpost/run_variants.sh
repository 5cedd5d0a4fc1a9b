#!/usr/bin/env bash
# difftest.sh on a Kbuild tree with Kbuild's own modpost command and with the
# variants Kbuild itself would run (make vmlinux only: vmlinux.symvers; make
# modules without vmlinux.o: modules-only.symvers with -w), plus option
# variants (-w, -W, -N -d nsdeps, without -m / -a / -E) on the same inputs.
#
#   run_variants.sh [--python=PYTHON] KBUILD_DIR
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="python3"
if [[ "${1:-}" == --python=* ]]; then python="${1#*=}"; shift; fi
[[ $# -eq 1 ]] || { sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }
kdir="$(cd "$1" && pwd)"
cmdfile="$kdir/.Module.symvers.cmd"
[[ -f "$cmdfile" ]] || { echo "run_variants: no $cmdfile (build vmlinux and modules first)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# make vmlinux (no modules): no module list, -o vmlinux.symvers.
sed -e 's/^cmd_Module.symvers/cmd_vmlinux.symvers/' -e 's# modules.order # /dev/null #' \
    -e 's#-o Module.symvers#-o vmlinux.symvers#' "$cmdfile" > "$tmp/vmlinux-only.cmd"
# make modules without vmlinux.o: Kbuild warns, adds -w, writes modules-only.symvers.
sed -e 's/^cmd_Module.symvers := /cmd_modules-only.symvers := echo >\&2 "WARNING: vmlinux.o is missing."; echo >\&2 "         Modules may not have dependencies or modversions."; echo >\&2 "         You may get many unresolved symbol warnings.";/' \
    -e 's#-o Module.symvers#-o modules-only.symvers -w#' -e 's# vmlinux.o$# #' "$cmdfile" > "$tmp/modules-only.cmd"

total=0 bad=0
variant() {
  total=$((total + 1))
  "$here/difftest.sh" --python="$python" "$@" "$kdir" || bad=$((bad + 1))
}
variant
variant --args=-w
variant --args=-W
variant "--args=-N -d modules.nsdeps"
variant --drop=-m
variant --drop=-a
variant --drop=-E
variant --template="$tmp/vmlinux-only.cmd"
variant --template="$tmp/modules-only.cmd"
echo "variants: $((total - bad)) of $total identical"
[[ $bad -eq 0 ]]
