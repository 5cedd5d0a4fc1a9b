#!/usr/bin/env bash
# Integration test: kernel_config, the public macro for one's own kernel, used from another
# workspace (this directory's WORKSPACE, copied to a temporary directory).
#
#   bash tests/integration/kernel_config/run.sh
#
# Cases (one output base; two tiny x86_64 imports, ~1 min each on an idle 2-core box):
#   front_door     @from_target//:vmlinux with --platforms=@rules_kernel_lto//platforms:x86_64
#                  --@rules_kernel_lto//:lto=none resolves to @from_target_none//:none, and
#                  :image/:system_map/:vmlinux_o/:modules exist
#   boot_test_kernel  kernel_boot_test(kernel = vmlinux()) of @from_target//:kernels.bzl
#                  reaches the selected import; kernel = "@from_target//:vmlinux" fails
#                  with one line naming kernels.bzl
#   wrong_mode     --@rules_kernel_lto//:lto=thin_dist (not imported): one error naming
#                  the platform and the modes that were imported
#   wrong_platform --platforms=@rules_kernel_lto//platforms:arm64: the same error
#   defconfig_file `make savedefconfig` of from_target's .config (Kbuild's own, with the
#                  hermetic LLVM) as kernel_config(defconfig = ...): the import's .config
#                  and plan.json equal from_target's (same_plan.py: host programs by
#                  name, their digests name the repository)
#   spaced_fragment, unknown_symbol  a fragment with `CONFIG_PRINTK = y` / a symbol no
#                  Kconfig file declares: the import fails with one line naming file:line,
#                  printed once (the repository's targets report it, not a failed fetch)
#   bad_args       kernel_config(lto = ["thin_dist"]): the WORKSPACE fails with one line
# Prints `PASS name` / `FAIL name: why` and `kernel_config: N passed, N failed`; exits 1 if
# a case failed (2 if the test could not be set up). KERNEL_CONFIG_KEEP=1 keeps the
# temporary directory.

set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
if [ -n "${BAZEL:-}" ]; then
  bazel="$BAZEL"
elif [ -x "$root/bazel" ]; then
  bazel="$root/bazel"
else
  bazel=bazel
fi
tmp="$(mktemp -d /tmp/kernel_config.XXXXXX)"
ws="$tmp/ws"
ob="$tmp/output_base"

cleanup() {
  [ -d "$ws" ] && (cd "$ws" && "$bazel" --output_base="$ob" shutdown) >/dev/null 2>&1
  [ -d "$tmp/bad" ] && (cd "$tmp/bad" && "$bazel" --output_base="$tmp/bad_output_base" shutdown) >/dev/null 2>&1
  if [ -n "${KERNEL_CONFIG_KEEP:-}" ]; then
    echo "kernel_config: kept $tmp" >&2
  else
    chmod -R u+w "$tmp" 2>/dev/null || true
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
  echo "kernel_config: $*" >&2
  exit 2
}

passed=0
failed=0
pass() {
  echo "PASS $1"
  passed=$((passed + 1))
}
fail_case() {
  echo "FAIL $1: $2"
  failed=$((failed + 1))
  if [ -n "${3:-}" ] && [ -f "$3" ]; then
    grep -v '^\(Loading\|Analyzing\|INFO\|Starting local\|Extracting\|\[\)' "$3" | tail -n 12 | sed 's/^/    | /'
  fi
}

workspace_copy() {  # DIR: this workspace, its rules_kernel_lto path made absolute
  mkdir -p "$1" || die "cannot create $1"
  cp "$here/WORKSPACE" "$here/BUILD.bazel" "$here/.bazelrc" "$here"/*.config "$1/" || die "cannot copy the workspace"
  sed -i "s|path = \"../../..\"|path = \"$root\"|" "$1/WORKSPACE"
  grep -qF "path = \"$root\"" "$1/WORKSPACE" || die "cannot point local_repository at $root"
}

bz() {  # bazel in $ws with the test's output base
  (cd "$ws" && "$bazel" --output_base="$ob" "$@")
}

x86=(--platforms=@rules_kernel_lto//platforms:x86_64)
workspace_copy "$ws"
: > "$ws/tiny.defconfig"  # written for real after from_target's import

# front_door: the hub resolves to the import of the selected mode.
log="$tmp/front_door.log"
if ! bz cquery 'deps(@from_target//:vmlinux, 1)' "${x86[@]}" --@rules_kernel_lto//:lto=none > "$log" 2>&1; then
  fail_case front_door "cquery failed" "$log"
elif ! grep -q '^@from_target_none//:none ' "$log"; then
  fail_case front_door "@from_target//:vmlinux does not reach @from_target_none//:none" "$log"
elif ! bz cquery '@from_target//:image + @from_target//:system_map + @from_target//:vmlinux_o + @from_target//:modules + @from_target//:boot + @from_target//:dist' \
    "${x86[@]}" --@rules_kernel_lto//:lto=none > "$tmp/groups.log" 2>&1; then
  fail_case front_door "the hub lacks one of image, system_map, vmlinux_o, modules, boot, dist" "$tmp/groups.log"
else
  pass front_door
fi

# boot_test_kernel: a kernel_boot_test of vmlinux() from @from_target//:kernels.bzl reaches
# the selected import (VMLINUX["x86_64/none"] too); the front door itself as its kernel
# fails with one line naming kernels.bzl (its select cannot work after the transition).
log="$tmp/boot_test_kernel.log"
if ! bz cquery 'deps(//:boot_selected, 1) + deps(//:boot_none, 1)' "${x86[@]}" --@rules_kernel_lto//:lto=none > "$log" 2>&1; then
  fail_case boot_test_kernel "cquery of //:boot_selected failed" "$log"
elif [ "$(grep -c '^@from_target_none//:none ' "$log")" -lt 1 ]; then
  fail_case boot_test_kernel "//:boot_selected does not reach @from_target_none//:none" "$log"
elif bz cquery 'deps(//:boot_front_door, 1)' "${x86[@]}" --@rules_kernel_lto//:lto=none > "$tmp/misuse.log" 2>&1; then
  fail_case boot_test_kernel "a boot test of the front door analysed" "$tmp/misuse.log"
elif ! grep -qF '@from_target//:vmlinux cannot be the kernel of a rule that builds it for its own platform (kernel_boot_test, kernel_initcalls): load("@from_target//:kernels.bzl", "vmlinux")' "$tmp/misuse.log"; then
  fail_case boot_test_kernel "no one-line error naming kernels.bzl" "$tmp/misuse.log"
else
  pass boot_test_kernel
fi

# wrong_mode / wrong_platform: one error naming what was imported.
want="@from_target//:vmlinux is built for --platforms=@rules_kernel_lto//platforms:x86_64 with --@rules_kernel_lto//:lto=none (the LTO modes imported for it)"
for c in "wrong_mode ${x86[*]} --@rules_kernel_lto//:lto=thin_dist" \
         "wrong_platform --platforms=@rules_kernel_lto//platforms:arm64 --@rules_kernel_lto//:lto=none"; do
  set -- $c
  name=$1
  shift
  log="$tmp/$name.log"
  if bz cquery @from_target//:vmlinux "$@" > "$log" 2>&1; then
    fail_case "$name" "cquery succeeded" "$log"
  elif ! grep -qF "$want" "$log"; then
    fail_case "$name" "no error naming the imported platform and modes" "$log"
  else
    pass "$name"
  fi
done

# defconfig_file: Kbuild's savedefconfig of from_target's .config, imported as a file.
case_defconfig() {
  local log="$tmp/defconfig_file.log" ext src llvm sysroot sdc
  bz build @from_target_none//:plan.json > "$log" 2>&1 || { fail_case defconfig_file "import of from_target failed" "$log"; return; }
  ext="$ob/external"
  src="$ext/linux" llvm="$ext/kernel_llvm/bin" sysroot="$ext/kernel_sysroot"
  [ -f "$ext/from_target_none/obj/.config" ] || { fail_case defconfig_file "no obj/.config in the import"; return; }
  sdc="$tmp/savedefconfig"
  mkdir -p "$sdc" && cp "$ext/from_target_none/obj/.config" "$sdc/.config"
  if ! make -s -C "$src" O="$sdc" ARCH=x86_64 LLVM="$llvm/" \
      HOSTCC="$llvm/clang --sysroot=$sysroot -fuse-ld=lld" HOSTCXX=false HOSTPKG_CONFIG=false \
      savedefconfig > "$tmp/savedefconfig.log" 2>&1; then
    fail_case defconfig_file "make savedefconfig failed" "$tmp/savedefconfig.log"; return
  fi
  # A minimal file (not the whole .config), so olddefconfig really fills in the rest.
  local n_def n_all
  n_def=$(grep -c '^CONFIG_' "$sdc/defconfig") n_all=$(grep -c '^CONFIG_' "$sdc/.config")
  [ "$n_def" -gt 0 ] && [ "$n_def" -lt "$n_all" ] || { fail_case defconfig_file "savedefconfig wrote $n_def of $n_all assignments"; return; }
  cp "$sdc/defconfig" "$ws/tiny.defconfig"
  bz build @from_file_none//:plan.json > "$log" 2>&1 || { fail_case defconfig_file "import of from_file failed" "$log"; return; }
  if ! cmp -s "$ext/from_target_none/obj/.config" "$ext/from_file_none/obj/.config"; then
    fail_case defconfig_file "the .config from the defconfig file ($n_def assignments) differs: $(diff "$ext/from_target_none/obj/.config" "$ext/from_file_none/obj/.config" | grep '^[<>]' | head -3 | tr '\n' ' ')"
  elif ! python3 "$here/same_plan.py" "$ext/from_target_none/plan.json" "$ext/from_file_none/plan.json" > "$tmp/plan_diff.txt"; then
    fail_case defconfig_file "same .config, plan.json differs in: $(cat "$tmp/plan_diff.txt")"
  else
    pass "defconfig_file ($n_def assignments -> $n_all, same .config and plan)"
  fi
}
case_defconfig

# spaced_fragment / unknown_symbol: one error naming the fragment's line, nothing else.
for c in "spaced_fragment spaced.config:2: 'CONFIG_PRINTK = y' is not an assignment Kconfig reads; write CONFIG_PRINTK=y (no spaces)" \
         "unknown_symbol unknown.config:2: CONFIG_DOES_NOT_EXIST=y: no such symbol in this kernel's Kconfig files"; do
  name=${c%% *} want=${c#* }
  log="$tmp/$name.log"
  if bz cquery "@$name//:vmlinux" "${x86[@]}" --@rules_kernel_lto//:lto=none > "$log" 2>&1; then
    fail_case "$name" "the import succeeded" "$log"
  elif ! grep -qF "$want" "$log"; then
    fail_case "$name" "no error naming the line ($want)" "$log"
  elif [ "$(grep -cF "$want" "$log")" != 1 ]; then  # a failed fetch: 3 times (issue 17)
    fail_case "$name" "the error is printed $(grep -cF "$want" "$log") times, not once" "$log"
  elif grep -qE 'File "[^"]*\.py", line [0-9]+' "$log"; then  # Bazel frames fail() as a Starlark traceback
    fail_case "$name" "a Python traceback" "$log"
  else
    pass "$name"
  fi
done

# bad_args: an LTO mode where a Kconfig LTO choice belongs.
bad="$tmp/bad"
workspace_copy "$bad"
sed -i 's|lto = \["none"\],|lto = ["thin_dist"],|' "$bad/WORKSPACE"
log="$tmp/bad_args.log"
if (cd "$bad" && "$bazel" --output_base="$tmp/bad_output_base" query @from_target//:all) > "$log" 2>&1; then
  fail_case bad_args "the workspace loaded" "$log"
elif ! grep -q 'kernel_config(from_target): lto = \["thin_dist"\]: "thin_dist" is not a Kconfig LTO choice; use full, none, thin' "$log"; then
  fail_case bad_args "no one-line error naming the bad choice" "$log"
else
  pass bad_args
fi

echo "kernel_config: $passed passed, $failed failed"
[ "$failed" = 0 ]
