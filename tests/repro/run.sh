#!/bin/bash
# Reproducibility: clean kernel builds in two different directories, with two different
# output bases, must give identical vmlinux, System.map and Image.
#
#   tests/repro/run.sh [--expect=SUMS] [arch/mode ...]      (default: arm64/thin_dist)
#
# Each copy is `git archive HEAD` unpacked under a different path and user-visible name.
# --expect=SUMS: build one copy only and compare with SUMS, lines `sha256  arch/mode:external/
# <repo>/<mode>/<file>` sorted by name, from an earlier clean build elsewhere, e.g.
#   (cd $(bazel info execution_root) && sha256sum bazel-out/*/bin/external/linux_arm64_none/none/{Image,System.map,vmlinux}) \
#     | sed 's|  .*/external/|  arm64/none:external/|' | sort -k2 > SUMS
# Exits non-zero, with a diff, when any output differs.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
expect=""
combos=()
for a in "$@"; do
  case "$a" in
    --expect=*) expect=$(realpath "${a#*=}") ;;
    -*) echo "run.sh: unknown option $a" >&2; exit 2 ;;
    *) combos+=("$a") ;;
  esac
done
[ ${#combos[@]} -gt 0 ] || combos=(arm64/thin_dist)
work=$(mktemp -d /tmp/kernel-repro.XXXXXX)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

build_copy() {  # DIR -> writes DIR.sums
  local dir=$1
  mkdir -p "$dir"
  git -C "$here" archive HEAD | tar -x -C "$dir"
  local ob="$dir.ob"
  : > "$dir.sums"
  for c in "${combos[@]}"; do
    local arch=${c%/*} mode=${c#*/}
    (cd "$dir" && ./bazel --output_base="$ob" build //:vmlinux --platforms=//platforms:$arch --//:lto=$mode) \
      > "$dir.log" 2>&1 || { tail -20 "$dir.log" >&2; exit 1; }
    local root files
    root=$(cd "$dir" && ./bazel --output_base="$ob" info execution_root 2>/dev/null)
    files=$(cd "$dir" && ./bazel --output_base="$ob" cquery //:vmlinux --platforms=//platforms:$arch \
      --//:lto=$mode --output=starlark --starlark:expr='"\n".join([f.path for f in target.files.to_list()])' 2>/dev/null)
    for f in $files; do
      (cd "$root" && sha256sum "$f") | sed "s|  .*/external/|  $c:external/|" >> "$dir.sums"
    done
  done
  sort -k2 -o "$dir.sums" "$dir.sums"
  (cd "$dir" && ./bazel --output_base="$ob" shutdown) || true
}

build_copy "$work/first-checkout"
if [ -n "$expect" ]; then
  want=$expect
else
  build_copy "$work/second/other-name"
  want="$work/second/other-name.sums"
fi
if ! diff -u "$want" "$work/first-checkout.sums"; then
  echo "FAIL: kernel outputs differ between the two builds" >&2
  exit 1
fi
echo "PASS: $(wc -l < "$want") outputs identical ($(tr '\n' ' ' < "$want" | cut -c1-200)...)"
