#!/usr/bin/env bash
# Differential test of the generated sources and tables (issue 9, docs/defconfig-steps.md
# section 6): every output of the plan's `generate` steps as the KernelGenerate actions built
# them (lib/crc32table.h, arch/x86/lib/inat-tables.c, drivers/tty/vt/consolemap_deftbl.c,
# defkeymap.c, usr/initramfs_inc_data, ...) must equal, byte for byte, what Kbuild's own make
# builds from the same .config with the same LLVM and host sysroot.
#
#   tests/generate/kbuild_diff.sh [--repo=linux_x86_64_none|linux_arm64_thin] [--work=DIR] [--keep] [--reuse]
#
# --reuse: WORK already holds this script's Kbuild build (--keep): only compare.
#
# Builds @REPO//:objects --output_groups=generate, then in a fresh object tree (WORK, default
# a mktemp directory): the import's .config, `make olddefconfig`, `make prepare` and `make
# <each output's directory>/` with Kbuild's own rules (tests/kbuild_make.sh; the host's awk,
# as the import's make), its text compared in the import's in-tree path form (below). Prints `PASS <file>` or `FAIL <file>: ...` per file and `N identical,
# N different`; exits 1 on any difference. (The plan's generate.kbuild records the sha256 of
# what the import's own make wrote: this script checks those too.)
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=linux_x86_64_none work="" keep=0 reuse=0
for a in "$@"; do
  case "$a" in
    --repo=*) repo="${a#*=}" ;;
    --work=*) work="${a#*=}" ;;
    --keep) keep=1 ;;
    --reuse) reuse=1 keep=1 ;;
    *) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2 ;;
  esac
done
bazel=(nice -n 19 ./bazel)
"${bazel[@]}" build "@$repo//:objects" --output_groups=generate >/dev/null 2>&1 ||
  { "${bazel[@]}" build "@$repo//:objects" --output_groups=generate 2>&1 | tail -20; echo "FAIL build @$repo//:objects"; exit 1; }
ob=$("${bazel[@]}" info output_base 2>/dev/null)
plan="$ob/external/$repo/plan.json"
[ -f "$ob/external/$repo/obj/.config" ] || { echo "kbuild_diff: $ob/external/$repo/obj/.config: not found" >&2; exit 2; }
arch=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["arch"])' "$plan")
mapfile -t files < <(python3 -c '
import json, sys
print("\n".join(p for e in json.load(open(sys.argv[1])).get("generate", {}).get("steps", []) for p in [e["out"]] + e.get("also", [])))' "$plan")
[ ${#files[@]} -gt 0 ] || { echo "FAIL @$repo: the plan has no generate steps"; exit 1; }
mapfile -t dirs < <(printf '%s\n' "${files[@]}" | xargs -n1 dirname | sort -u)
ours=$(ls -1t "$("${bazel[@]}" info output_path 2>/dev/null)"/*/bin/external/"$repo"/objects/"${files[-1]}" 2>/dev/null | head -1)
ours=${ours%/"${files[-1]}"}
[ -n "$ours" ] || { echo "FAIL @$repo//:objects: no output directory has ${files[-1]}"; exit 1; }

if [ -z "$work" ]; then work=$(mktemp -d /tmp/generate-kbuild.XXXXXX); fi
[ "$keep" = 1 ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"
if [ "$reuse" = 0 ]; then
cp "$ob/external/$repo/obj/.config" "$work/.config"
source tests/kbuild_make.sh
kbuild_make_argv "$ob/external" "$work" "$arch"
mk=(env -i PATH=/usr/bin:/bin HOME="$work" LC_ALL=C TZ=UTC nice -n 19 "${KBUILD_MAKE[@]}" -j2)
start=$(date +%s)
"${mk[@]}" olddefconfig >"$work/make.log" 2>&1 || { tail -20 "$work/make.log"; echo "FAIL make olddefconfig"; exit 1; }
cmp -s "$ob/external/$repo/obj/.config" "$work/.config" || { echo "FAIL olddefconfig changed the import's .config"; exit 1; }
"${mk[@]}" prepare >>"$work/make.log" 2>&1 || { tail -20 "$work/make.log"; echo "FAIL make prepare"; exit 1; }
# Directory goals build each directory's built-in.a, whose members read the generated files.
"${mk[@]}" "${dirs[@]/%//}" >>"$work/make.log" 2>&1 || { tail -20 "$work/make.log"; echo "FAIL make ${dirs[*]/%//}"; exit 1; }
echo "Kbuild built ${dirs[*]/%//} in $(( $(date +%s) - start )) s"
fi

# The import rewrites its generated text files to Kbuild's in-tree path form (paths.relativize:
# `<tree>/x` -> `x`; conmakehash prints its absolute argument into consolemap_deftbl.c in an O=
# build). The actions run in-tree, so Kbuild's files are compared after the same rewrite.
mkdir -p "$work/relativized"
for f in "${files[@]}"; do
  [ -f "$work/$f" ] || continue
  mkdir -p "$work/relativized/$(dirname "$f")"
  python3 -c '
import sys
data = open(sys.argv[1], "rb").read()
for tree in sorted(sys.argv[3:], key=len, reverse=True):  # tools/kbuild_import/paths.py relativize
    data = data.replace(tree.rstrip("/").encode() + b"/", b"")
open(sys.argv[2], "wb").write(data)' "$work/$f" "$work/relativized/$f" "$ob/external/linux" "$(readlink -f "$ob/external/linux")" "$work"
  cmp -s "$work/$f" "$work/relativized/$f" || echo "note: $f: Kbuild's has absolute tree paths; compared in the import's in-tree form"
done

same=0 diff=0
for f in "${files[@]}"; do
  want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["generate"]["kbuild"].get(sys.argv[2], ""))' "$plan" "$f")
  if [ ! -f "$ours/$f" ]; then
    echo "FAIL $f: Bazel did not build it"; diff=$((diff + 1))
  elif [ ! -f "$work/$f" ]; then
    echo "FAIL $f: Kbuild's make did not build it"; diff=$((diff + 1))
  elif ! cmp -s "$ours/$f" "$work/relativized/$f"; then
    echo "FAIL $f: differs from Kbuild's ($(cmp "$ours/$f" "$work/relativized/$f" 2>&1 | head -1))"; diff=$((diff + 1))
  elif [ -n "$want" ] && [ "$(sha256sum <"$ours/$f" | cut -d' ' -f1)" != "$want" ]; then
    echo "FAIL $f: equals this Kbuild build's but not the import's (plan generate.kbuild)"; diff=$((diff + 1))
  else
    echo "PASS $f"; same=$((same + 1))
  fi
done
echo "$same identical, $diff different"
[ "$diff" = 0 ]
