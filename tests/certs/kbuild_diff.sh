#!/usr/bin/env bash
# Differential test of the system keyring's certificates (issue 9, docs/defconfig-steps.md
# section 5): every output of the plan's `certs` steps as the KernelCert actions built them
# (certs/x509_certificate_list from the test certificate CONFIG_SYSTEM_TRUSTED_KEYS names,
# certs/signing_key.x509 from the empty CONFIG_MODULE_SIG_KEY) and the object that `.incbin`s
# them (certs/system_certificates.o) must equal, byte for byte, what Kbuild's own make builds
# from the same .config and source tree with the same LLVM.
#
#   tests/certs/kbuild_diff.sh [--repo=linux_x86_64_certs_none] [--work=DIR] [--keep]
#
# Builds @REPO//:objects --output_groups=certs, then in a fresh object tree (WORK, default a
# mktemp directory): the import's .config, `make olddefconfig`, `make prepare` and `make
# certs/` with Kbuild's own rules (tests/kbuild_make.sh: the same hermetic LLVM and host
# sysroot as the import, the import's source tree). Prints `PASS <file>` or `FAIL <file>: ...`
# per file and `N identical, N different`; exits 1 on any difference. ~2-3 min (Kbuild's
# prepare). (The import's own make wrote the CERT outputs once; the plan records their
# sha256 as certs.kbuild, and this script checks those too.)
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=linux_x86_64_certs_none work="" keep=0
for a in "$@"; do
  case "$a" in
    --repo=*) repo="${a#*=}" ;;
    --work=*) work="${a#*=}" ;;
    --keep) keep=1 ;;
    *) sed -n '2,/^set -e/{/^set -e/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2 ;;
  esac
done
bazel=(nice -n 19 ./bazel)
"${bazel[@]}" build "@$repo//:objects" --output_groups=certs >/dev/null 2>&1 ||
  { "${bazel[@]}" build "@$repo//:objects" --output_groups=certs 2>&1 | tail -20; echo "FAIL build @$repo//:objects"; exit 1; }
ob=$("${bazel[@]}" info output_base 2>/dev/null)
plan="$ob/external/$repo/plan.json"
[ -f "$ob/external/$repo/obj/.config" ] || { echo "kbuild_diff: $ob/external/$repo/obj/.config: not found" >&2; exit 2; }
arch=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["arch"])' "$plan")
# The source repository: the one the import's srctree names (@linux_certs_src for the default).
src=$(grep -o '@[A-Za-z0-9_]*//:Makefile' "$ob/external/$repo/BUILD.bazel" | head -1 | sed 's|^@||; s|//:Makefile||')
[ -n "$src" ] || src=linux
mapfile -t files < <(python3 -c '
import json, sys
c = json.load(open(sys.argv[1])).get("certs", {})
print("\n".join([e["out"] for e in c.get("steps", [])] + sorted(c.get("readers", {}))))' "$plan")
[ ${#files[@]} -gt 0 ] || { echo "FAIL @$repo: the plan has no certs steps"; exit 1; }
ours=$(ls -1t "$("${bazel[@]}" info output_path 2>/dev/null)"/*/bin/external/"$repo"/objects/"${files[0]}" 2>/dev/null | head -1)
ours=${ours%/"${files[0]}"}
[ -n "$ours" ] || { echo "FAIL @$repo//:objects: no output directory has ${files[0]}"; exit 1; }

if [ -z "$work" ]; then work=$(mktemp -d /tmp/certs-kbuild.XXXXXX); fi
[ "$keep" = 1 ] || trap 'rm -rf "$work"' EXIT
mkdir -p "$work"
cp "$ob/external/$repo/obj/.config" "$work/.config"
source tests/kbuild_make.sh
kbuild_make_argv "$ob/external" "$work" "$arch" "$src"
mk=(env -i PATH=/usr/bin:/bin HOME="$work" LC_ALL=C TZ=UTC nice -n 19 "${KBUILD_MAKE[@]}" -j2)
start=$(date +%s)
"${mk[@]}" olddefconfig >"$work/make.log" 2>&1 || { tail -20 "$work/make.log"; echo "FAIL make olddefconfig"; exit 1; }
cmp -s "$ob/external/$repo/obj/.config" "$work/.config" || { echo "FAIL olddefconfig changed the import's .config"; exit 1; }
"${mk[@]}" prepare >>"$work/make.log" 2>&1 || { tail -20 "$work/make.log"; echo "FAIL make prepare"; exit 1; }
"${mk[@]}" certs/ >>"$work/make.log" 2>&1 || { tail -20 "$work/make.log"; echo "FAIL make certs/"; exit 1; }
echo "Kbuild (@$src) built certs/ in $(( $(date +%s) - start )) s"

same=0 diff=0
for f in "${files[@]}"; do
  want=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["certs"]["kbuild"].get(sys.argv[2], ""))' "$plan" "$f")
  if [ ! -f "$ours/$f" ]; then
    echo "FAIL $f: Bazel did not build it"; diff=$((diff + 1))
  elif ! cmp -s "$ours/$f" "$work/$f"; then
    echo "FAIL $f: differs from Kbuild's ($(cmp "$ours/$f" "$work/$f" 2>&1 | head -1))"; diff=$((diff + 1))
  elif [ -n "$want" ] && [ "$(sha256sum <"$ours/$f" | cut -d' ' -f1)" != "$want" ]; then
    echo "FAIL $f: equals this Kbuild build's but not the import's (plan certs.kbuild)"; diff=$((diff + 1))
  else
    echo "PASS $f ($(stat -c %s "$ours/$f") bytes)"; same=$((same + 1))
  fi
done
echo "$same identical, $diff different"
[ "$diff" = 0 ]
