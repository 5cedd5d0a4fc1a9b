#!/usr/bin/env bash
# Differential test of the vDSO (issue 9, docs/defconfig-steps.md section 4; x86 realmode: 4.2): every output
# of the plan's `vdso` steps as the actions built them (the objects, vdso.lds, the linked and
# checked vdso64.so.dbg, the stripped vdso64.so, vdso2c's vdso-image-64.c) must equal, byte
# for byte, what Kbuild's own make builds from the same .config with the same LLVM.
#
#   tests/vdso/kbuild_diff.sh [--repo=linux_x86_64_none|linux_arm64_thin|linux_arm64_compat_none]
#                             [--section=vdso|realmode] [--work=DIR] [--keep]
#
# Builds @REPO//:objects --output_groups=SECTION, then in a fresh object tree (WORK, default a
# mktemp directory): the import's .config, `make olddefconfig`, `make prepare` and `make
# <the section's first directory>/` with Kbuild's own rules (tests/kbuild_make.sh: the same
# hermetic LLVM and host sysroot as the import). Prints `PASS <file>` or `FAIL <file>: ...` per
# file and `N identical, N different`; exits 1 on any difference. ~2-3 min (Kbuild's prepare).
# (The import's own make wrote the same files once; the plan records their sha256 as
# SECTION.kbuild, and this script checks those too.) Files the plan lists in
# SECTION.kbuild_paths (-g objects: Kbuild's DWARF names its trees, ours `.`) are compared
# after `llvm-objcopy --strip-debug` of both (`PASS <file> (debug info stripped)`).
# --section=realmode is x86's realmode blob (tests/realmode/kbuild_diff.sh). arm64: `make prepare`
# builds both vdso/ and (CONFIG_COMPAT_VDSO) vdso32/. KBUILD_DIFF_NICE: the nice level of its
# builds (default 19; beside a long build at a lower level, 10 gets CPU).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=linux_x86_64_none section=vdso work="" keep=0
for a in "$@"; do
  case "$a" in
    --repo=*) repo="${a#*=}" ;;
    --section=vdso|--section=realmode) section="${a#*=}" ;;
    --work=*) work="${a#*=}" ;;
    --keep) keep=1 ;;
    *) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2 ;;
  esac
done
nice=${KBUILD_DIFF_NICE:-19}
bazel=(nice -n "$nice" ./bazel)
"${bazel[@]}" build "@$repo//:objects" --output_groups="$section" >/dev/null 2>&1 ||
  { "${bazel[@]}" build "@$repo//:objects" --output_groups="$section" 2>&1 | tail -20; echo "FAIL build @$repo//:objects"; exit 1; }
ob=$("${bazel[@]}" info output_base 2>/dev/null)
plan="$ob/external/$repo/plan.json"
[ -f "$ob/external/$repo/obj/.config" ] || { echo "kbuild_diff: $ob/external/$repo/obj/.config: not found" >&2; exit 2; }
arch=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["arch"])' "$plan")
mapfile -t files < <(python3 -c '
import json, sys
print("\n".join(e["out"] for e in json.load(open(sys.argv[1])).get(sys.argv[2], {}).get("steps", [])))' "$plan" "$section")
[ ${#files[@]} -gt 0 ] || { echo "FAIL @$repo: the plan has no $section steps"; exit 1; }
mapfile -t with_paths < <(python3 -c '
import json, sys
print("\n".join(json.load(open(sys.argv[1]))[sys.argv[2]].get("kbuild_paths", [])))' "$plan" "$section")
objcopy="$ob/external/kernel_llvm/bin/llvm-objcopy"
mapfile -t dirs < <(printf '%s\n' "${files[@]}" | xargs -n1 dirname | sort -u)
ours=$(ls -1t "$("${bazel[@]}" info output_path 2>/dev/null)"/*/bin/external/"$repo"/objects/"${files[-1]}" 2>/dev/null | head -1)
ours=${ours%/"${files[-1]}"}
[ -n "$ours" ] || { echo "FAIL @$repo//:objects: no output directory has ${files[-1]}"; exit 1; }

if [ -z "$work" ]; then work=$(mktemp -d "/tmp/$section-kbuild.XXXXXX"); fi
[ "$keep" = 1 ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"
cp "$ob/external/$repo/obj/.config" "$work/.config"
source tests/kbuild_make.sh
kbuild_make_argv "$ob/external" "$work" "$arch"
mk=(env -i PATH=/usr/bin:/bin HOME="$work" LC_ALL=C TZ=UTC nice -n "$nice" "${KBUILD_MAKE[@]}" -j2)
start=$(date +%s)
"${mk[@]}" olddefconfig >"$work/make.log" 2>&1 || { tail -20 "$work/make.log"; echo "FAIL make olddefconfig"; exit 1; }
cmp -s "$ob/external/$repo/obj/.config" "$work/.config" || { echo "FAIL olddefconfig changed the import's .config"; exit 1; }
"${mk[@]}" prepare >>"$work/make.log" 2>&1 || { tail -20 "$work/make.log"; echo "FAIL make prepare"; exit 1; }
# The directory goal builds its built-in.a, whose members read the vDSO image (vdso-image-64.o).
# arch/x86/realmode/rm is no obj-y directory: its parent's rmpiggy.o runs its sub-make.
goal="${dirs[0]}/"
[ "$section" = realmode ] && goal="$(dirname "${dirs[0]}")/"
"${mk[@]}" "$goal" >>"$work/make.log" 2>&1 || { tail -20 "$work/make.log"; echo "FAIL make $goal"; exit 1; }
echo "Kbuild built $goal in $(( $(date +%s) - start )) s"

same=0 diff=0
for f in "${files[@]}"; do
  want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[3]]["kbuild"].get(sys.argv[2], ""))' "$plan" "$f" "$section")
  if [ ! -f "$ours/$f" ]; then
    echo "FAIL $f: Bazel did not build it"; diff=$((diff + 1))
  elif printf '%s\n' "${with_paths[@]}" | grep -qxF -- "$f"; then
    "$objcopy" --strip-debug "$ours/$f" "$work/ours.stripped" && "$objcopy" --strip-debug "$work/$f" "$work/kbuild.stripped" ||
      { echo "FAIL $f: llvm-objcopy --strip-debug failed"; exit 1; }
    if cmp -s "$work/ours.stripped" "$work/kbuild.stripped"; then
      echo "PASS $f (debug info stripped)"; same=$((same + 1))
    else
      echo "FAIL $f: differs from Kbuild's with debug info stripped ($(cmp "$work/ours.stripped" "$work/kbuild.stripped" 2>&1 | head -1))"; diff=$((diff + 1))
    fi
  elif ! cmp -s "$ours/$f" "$work/$f"; then
    echo "FAIL $f: differs from Kbuild's ($(cmp "$ours/$f" "$work/$f" 2>&1 | head -1))"; diff=$((diff + 1))
  elif [ -n "$want" ] && [ "$(sha256sum <"$ours/$f" | cut -d' ' -f1)" != "$want" ]; then
    echo "FAIL $f: equals this Kbuild build's but not the import's (plan $section.kbuild)"; diff=$((diff + 1))
  else
    echo "PASS $f"; same=$((same + 1))
  fi
done
echo "$same identical, $diff different"
[ "$diff" = 0 ]
