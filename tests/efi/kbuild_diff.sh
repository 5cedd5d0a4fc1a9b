#!/usr/bin/env bash
# Differential test of the EFI stub objects (issue 9): every object the plan derives from
# a compiled one (libstub's STUBCPY X.stub.o, arm64's OBJCOPY efi-entry.stub.o, and their
# source objects) as Bazel built it (KernelCompile + KernelObjcopy) must equal, byte for
# byte, what Kbuild's own make builds from the same .config with the same LLVM. The same
# for the plan's partial_links (KVM nVHE, tests/kvm/kbuild_diff.sh): the composite, its
# parts, linker script and every step's output.
#
#   tests/efi/kbuild_diff.sh [--repo=linux_arm64_efi_none] [--target=//tests/efi:image_arm64_none_test]
#                            [--work=DIR] [--keep] [--our_parts]
#
# Builds TARGET (a test whose kernel links every derived object of @REPO), then in a fresh object tree (WORK, default a mktemp directory):
# the import's .config, `make olddefconfig`, `make <every derived object>` with
# Kbuild's own rules (LLVM=<the hermetic LLVM>/, HOSTCC: the host's cc; host programs do
# not reach these objects). Prints `PASS <object>` or `FAIL <object>: ...` per object and
# `N identical, N different`; exits 1 on any difference. ~2-4 min (Kbuild's prepare).
# --our_parts: then redo the partial links' steps in Kbuild's tree from our parts (see below);
# the exit status is that of those step outputs (under LTO the bitcode parts differ in
# source_filename only).
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=linux_arm64_efi_none target=//tests/efi:image_arm64_none_test work="" keep=0 our_parts=0
for a in "$@"; do
  case "$a" in
    --repo=*) repo="${a#*=}" ;;
    --target=*) target="${a#*=}" ;;
    --work=*) work="${a#*=}" ;;
    --keep) keep=1 ;;
    --our_parts) our_parts=1 ;;
    *) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2 ;;
  esac
done
bazel=./bazel
# Through the test target: the kernel is reached as the tests reach it (to_transit), so
# this builds nothing they did not (a --platforms build would use another directory).
"$bazel" build "$target" >/dev/null 2>&1 ||
  { "$bazel" build "$target" 2>&1 | tail -20; echo "FAIL build $target"; exit 1; }
ob=$("$bazel" info output_base 2>/dev/null)
src="$ob/external/linux"
llvm="$ob/external/kernel_llvm/bin"
plan="$ob/external/$repo/plan.json"
[ -f "$ob/external/$repo/obj/.config" ] || { echo "kbuild_diff: $ob/external/$repo/obj/.config: not found" >&2; exit 2; }
arch=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["arch"])' "$plan")
# What to compare: every derived object and its source; every composite of partial_links
# (KVM nVHE kvm_nvhe.o), its parts, its linker scripts and each step's output (tmp.o,
# hyp-reloc.S, rel.o). What to make: the derived objects, their sources and the composites
# (Kbuild's single targets are objects; the intermediates stay in its tree).
mapfile -t objects < <(python3 -c '
import json, sys
plan = json.load(open(sys.argv[1]))
d = plan.get("derived", {})
out = set(d) | {e["src"] for e in d.values()}
for final, p in plan.get("partial_links", {}).items():
    out |= {final, *p["parts"], *(l["out"] for l in p["lds"]), *(s["out"] for s in p["steps"])}
print("\n".join(sorted(out)))' "$plan")
mapfile -t goals < <(python3 -c '
import json, sys
plan = json.load(open(sys.argv[1]))
d = plan.get("derived", {})
print("\n".join(sorted(set(d) | {e["src"] for e in d.values()} | set(plan.get("partial_links", {})))))' "$plan")
[ ${#objects[@]} -gt 0 ] || { echo "FAIL @$repo: the plan derives no objects and has no partial links"; exit 1; }
# The kernel rules transition to their own platform: find the output directory that has
# them (the newest, if several configurations do).
ours=$(ls -1t "$("$bazel" info output_path 2>/dev/null)"/*/bin/external/"$repo"/objects/"${objects[0]}" 2>/dev/null | head -1)
ours=${ours%/"${objects[0]}"}
[ -n "$ours" ] || { echo "FAIL @$repo//:objects: no output directory has ${objects[0]}"; exit 1; }

if [ -z "$work" ]; then work=$(mktemp -d /tmp/efi-kbuild.XXXXXX); fi
[ "$keep" = 1 ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"
cp "$ob/external/$repo/obj/.config" "$work/.config"
# The source tree must be clean for O= builds; @linux is (the import checks it too).
mk=(make -C "$src" O="$work" ARCH="$arch" LLVM="$llvm/" HOSTCC=cc -j2
    KBUILD_BUILD_TIMESTAMP=@0 KBUILD_BUILD_USER=kbuild KBUILD_BUILD_HOST=kbuild)
start=$(date +%s)
"${mk[@]}" olddefconfig >"$work/make.log" 2>&1 || { tail -20 "$work/make.log"; echo "FAIL make olddefconfig"; exit 1; }
cmp -s "$ob/external/$repo/obj/.config" "$work/.config" || { echo "FAIL olddefconfig changed the import's .config"; exit 1; }
"${mk[@]}" "${goals[@]}" >>"$work/make.log" 2>&1 || { tail -20 "$work/make.log"; echo "FAIL make ${goals[*]}"; exit 1; }
echo "Kbuild built ${#goals[@]} goals (${#objects[@]} files to compare) in $(( $(date +%s) - start )) s"

same=0 diff=0
for o in "${objects[@]}"; do
  if [ ! -f "$ours/$o" ]; then
    echo "FAIL $o: Bazel did not build it"; diff=$((diff + 1))
  elif ! cmp -s "$ours/$o" "$work/$o"; then
    echo "FAIL $o: differs from Kbuild's ($(cmp "$ours/$o" "$work/$o" 2>&1 | head -1))"; diff=$((diff + 1))
  else
    echo "PASS $o"; same=$((same + 1))
  fi
done
echo "$same identical, $diff different"

# --our_parts (LTO kernels): bitcode objects differ from Kbuild's in source_filename (its O=
# build names an absolute srctree, ours external/linux), and so does what lld's LTO makes of
# them. To check the partial links' steps themselves, give Kbuild our parts and linker
# scripts, remove its step outputs, let its make redo the steps, and compare those again.
if [ "$our_parts" = 1 ]; then
  mapfile -t parts < <(python3 -c '
import json, sys
for final, p in json.load(open(sys.argv[1])).get("partial_links", {}).items():
    made = {s["out"] for s in p["steps"]}
    print("\n".join([x for x in p["parts"] if x not in made] + [l["out"] for l in p["lds"]]))' "$plan")
  mapfile -t steps < <(python3 -c '
import json, sys
for final, p in json.load(open(sys.argv[1])).get("partial_links", {}).items():
    print("\n".join(s["out"] for s in p["steps"]))' "$plan")
  [ ${#steps[@]} -gt 0 ] || { echo "FAIL --our_parts: @$repo has no partial links"; exit 1; }
  sleep 1  # newer than Kbuild's own outputs, so make redoes what reads them
  for p in "${parts[@]}"; do cp --remove-destination "$ours/$p" "$work/$p"; touch "$work/$p"; done
  for p in "${steps[@]}"; do rm -f "$work/$p"; done
  "${mk[@]}" "${goals[@]}" >>"$work/make.log" 2>&1 || { tail -20 "$work/make.log"; echo "FAIL make with our parts"; exit 1; }
  for p in "${steps[@]}"; do
    if cmp -s "$ours/$p" "$work/$p"; then
      echo "PASS $p (from our parts)"; same=$((same + 1))
    else
      echo "FAIL $p (from our parts): differs from Kbuild's"; diff=$((diff + 1)); step_diff=1
    fi
  done
  echo "with our ${#parts[@]} parts: ${#steps[@]} step outputs compared"
  # What counts with --our_parts: the steps given the same inputs (parts may differ as said).
  [ "${step_diff:-0}" = 0 ]
  exit
fi
[ "$diff" = 0 ]
