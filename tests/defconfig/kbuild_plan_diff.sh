#!/usr/bin/env bash
# A defconfig plan against Kbuild's own `make V=1` build of the same .config (manual; issue 9):
# tools/kbuild_import/check_plan.py over an example workspace's import.
#
#   tests/defconfig/kbuild_plan_diff.sh WORKSPACE [--lto=thin] [--tree=DIR] [--jobs=N] [DIR/ ...]
#
# WORKSPACE: examples/x86_64_defconfig or examples/arm64_defconfig (import it first:
# `../../bazel build --nobuild //:vmlinux` there). Three ways:
#   --tree=DIR       an existing O= build of the same .config with its V=1 log in DIR/build.log
#                    (kbuild_golden.sh --keep leaves one: WORK/out-thin): the whole plan is
#                    compared (objects, flags, deps, lto, archives, vmlinux.o link, modules).
#   DIR/ ...         Kbuild builds only these directories (`make V=1 DIR/ ...`, with its
#                    prepare), in /tmp/kbuild-plan-diff.<arch>: a sample, for a kernel too
#                    large to build whole here (arm64 defconfig: 7,074 compiles); only the
#                    plan's objects under them are compared (check_plan --only_dirs).
# Kbuild runs with the import's hermetic LLVM and sysroot (external/kernel_llvm, kernel_sysroot)
# and fixed KBUILD_BUILD_*, as kbuild_golden.sh. Prints check_plan's lines; exits as it does.
set -euo pipefail

die() { echo "kbuild_plan_diff: $*" >&2; exit 1; }
[ $# -ge 1 ] || die "usage: $0 WORKSPACE [--lto=thin] [--tree=DIR] [--jobs=N] [DIR/ ...]"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ws="$(cd "$1" && pwd)" || die "no workspace $1"
shift
lto=thin tree="" jobs=2 dirs=()
for a in "$@"; do
  case "$a" in
    --lto=*) lto="${a#*=}" ;;
    --tree=*) tree="$(cd "${a#*=}" && pwd)" || die "no tree ${a#*=}" ;;
    --jobs=*) jobs="${a#*=}" ;;
    -*) die "unknown option $a" ;;
    *) dirs+=("${a%/}/") ;;
  esac
done
[ -n "$tree" ] || [ ${#dirs[@]} -gt 0 ] || die "give --tree=DIR (a whole build) or directories to sample"

cd "$ws"
bazel=("$root/bazel")
ob="$("${bazel[@]}" info output_base 2>/dev/null)" || die "bazel info output_base failed in $ws"
ext="$ob/external"
repo="$ext/my_kernel_$lto"
[ -f "$repo/plan.json" ] || die "$repo/plan.json missing: import first (../../bazel build --nobuild //:vmlinux in $ws)"
src="$ext/linux"
arch=$(sed -n 's/^CONFIG_ARM64=y$/arm64/p; s/^CONFIG_X86_64=y$/x86_64/p' "$repo/obj/.config" | head -1)
[ -n "$arch" ] || die "$repo/obj/.config: neither CONFIG_ARM64 nor CONFIG_X86_64"

if [ -z "$tree" ]; then
  tree="/tmp/kbuild-plan-diff.$arch"
  rm -rf "$tree" && mkdir -p "$tree"
  # shellcheck source=tests/kbuild_make.sh
  source "$root/tests/kbuild_make.sh"
  kbuild_make_argv "$ext" "$tree" "$arch"
  kmake() { env -i PATH=/usr/bin:/bin HOME="$tree" LC_ALL=C TZ=UTC "${KBUILD_MAKE[@]}" "$@"; }
  cp "$repo/obj/.config" "$tree/.config"
  kmake -s olddefconfig > "$tree/config.log" 2>&1 || die "make olddefconfig failed (see $tree/config.log)"
  cmp -s "$repo/obj/.config" "$tree/.config" || die "make olddefconfig changed the imported .config (see $tree/.config)"
  t0=$(date +%s)
  kmake V=1 -j"$jobs" "${dirs[@]}" > "$tree/build.log" 2>&1 || {
    tail -n 20 "$tree/build.log" >&2; die "make ${dirs[*]} failed (log: $tree/build.log)"; }
  echo "kbuild: make V=1 ${dirs[*]}: $(( $(date +%s) - t0 )) s, $(grep -c -- ' -c -o ' "$tree/build.log") compiles"
fi
[ -f "$tree/build.log" ] || die "$tree/build.log missing (kbuild_golden.sh --keep writes it)"

args=(--plan="$repo/plan.json" --build_log="$tree/build.log" --kbuild_tree="$tree" --log_srctree="$src"
      --ar="$ext/kernel_llvm/bin/llvm-ar")
[ ${#dirs[@]} -eq 0 ] || args+=(--only_dirs="$(IFS=,; echo "${dirs[*]}")")
"${bazel[@]}" run --ui_event_filters=-info,-stdout,-stderr --noshow_progress \
  @rules_kernel_lto//tools/kbuild_import:check_plan -- "${args[@]}"
