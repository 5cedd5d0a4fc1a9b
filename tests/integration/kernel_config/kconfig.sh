#!/usr/bin/env bash
# Integration test: menuconfig / olddefconfig / savedefconfig on a kernel_config, run as a
# user would (`bazel run @NAME//:menuconfig`) in a temporary copy of this workspace. No
# kernel is imported: configuring needs none. By hand (not in CI: ~2 min per case at load 10):
#
#   bash tests/integration/kernel_config/kconfig.sh
#
# Cases:
#   olddefconfig    @edit//:olddefconfig on a consistent config: "no change", edit.config
#                   byte-identical
#   menuconfig      @edit//:menuconfig driven through a pty (menuconfig_pty.py: search
#                   PRINTK_TIME, jump, y, Esc Esc, save): edit.config's
#                   `# CONFIG_PRINTK_TIME is not set` became CONFIG_PRINTK_TIME=y in place
#   savedefconfig   @edit//:savedefconfig: edit.config keeps CONFIG_PRINTK_TIME=y; the tool
#                   itself checks that configuring from the written file gives the same
#                   .config; -- --defconfig_out writes Kbuild's savedefconfig file
#   defconfig_file  that file as @from_file's defconfig: olddefconfig says "no change"
#   outside         @from_target//:menuconfig (its fragment is @rules_kernel_lto's, not in
#                   this workspace): one line naming the file and the fix, nothing written
# Prints `PASS name` / `FAIL name: why`; exits 1 if a case failed. KCONFIG_KEEP=1 keeps
# the temporary directory.

set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
bazel="${BAZEL:-$root/bazel}"
tmp="$(mktemp -d /tmp/kconfig.XXXXXX)"
ws="$tmp/ws"
ob="$tmp/output_base"

cleanup() {
  [ -d "$ws" ] && (cd "$ws" && "$bazel" --output_base="$ob" shutdown) >/dev/null 2>&1
  if [ -n "${KCONFIG_KEEP:-}" ]; then echo "kconfig: kept $tmp" >&2; else chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail_case() {
  echo "FAIL $1: $2"
  failed=$((failed + 1))
  [ -n "${3:-}" ] && [ -f "$3" ] && grep -v '^\(Loading\|Analyzing\|INFO\|\[\)' "$3" | tail -n 12 | sed 's/^/    | /'
}

mkdir -p "$ws"
cp "$here/WORKSPACE" "$here/BUILD.bazel" "$here/.bazelrc" "$here"/*.config "$ws/"
sed -i "s|path = \"../../..\"|path = \"$root\"|" "$ws/WORKSPACE"
: > "$ws/tiny.defconfig"
bz() { (cd "$ws" && "$bazel" --output_base="$ob" "$@"); }

# olddefconfig: nothing to change.
log="$tmp/olddefconfig.log"
cp "$ws/edit.config" "$tmp/edit.before"
if ! bz run @edit//:olddefconfig > "$log" 2>&1; then
  fail_case olddefconfig "bazel run failed" "$log"
elif ! grep -q "olddefconfig: .*edit.config: no change" "$log" || ! cmp -s "$ws/edit.config" "$tmp/edit.before"; then
  fail_case olddefconfig "edit.config changed" "$log"
else
  pass olddefconfig
fi

# menuconfig through a pty: PRINTK_TIME to y.
log="$tmp/menuconfig.log"
if ! (cd "$ws" && python3 "$here/menuconfig_pty.py" PRINTK_TIME -- "$bazel" --output_base="$ob" run @edit//:menuconfig) > "$log" 2>&1; then
  fail_case menuconfig "the pty run failed" "$log"
elif ! grep -qx "CONFIG_PRINTK_TIME=y" "$ws/edit.config"; then
  fail_case menuconfig "edit.config has no CONFIG_PRINTK_TIME=y: $(tr '\n' '|' < "$ws/edit.config")" "$log"
elif grep -q "PRINTK_TIME is not set" "$ws/edit.config" || ! head -1 "$ws/edit.config" | grep -q '^# The fragment'; then
  fail_case menuconfig "the line was not updated in place (comments kept)" "$log"
else
  pass menuconfig
fi

# savedefconfig: minimal fragment, same .config (checked by the tool), Kbuild's file too.
log="$tmp/savedefconfig.log"
if ! bz run @edit//:savedefconfig -- --defconfig_out="$ws/tiny.defconfig" > "$log" 2>&1; then
  fail_case savedefconfig "bazel run failed" "$log"
elif ! grep -qx "CONFIG_PRINTK_TIME=y" "$ws/edit.config"; then
  fail_case savedefconfig "CONFIG_PRINTK_TIME=y was dropped" "$log"
elif ! grep -qx "CONFIG_PRINTK_TIME=y" "$ws/tiny.defconfig"; then
  fail_case savedefconfig "--defconfig_out has no CONFIG_PRINTK_TIME=y" "$log"
else
  pass savedefconfig
fi

# defconfig_file: Kbuild's savedefconfig file as a kernel_config(defconfig = ...).
log="$tmp/defconfig_file.log"
cp "$ws/tiny.defconfig" "$tmp/defconfig.before"
if ! bz run @from_file//:olddefconfig > "$log" 2>&1; then
  fail_case defconfig_file "bazel run failed" "$log"
elif ! grep -q "olddefconfig: .*tiny.defconfig: no change" "$log" || ! cmp -s "$ws/tiny.defconfig" "$tmp/defconfig.before"; then
  fail_case defconfig_file "tiny.defconfig changed" "$log"
else
  pass defconfig_file
fi

# outside: the fragment to write is not in this workspace.
log="$tmp/outside.log"
if bz run @from_target//:olddefconfig > "$log" 2>&1; then
  fail_case outside "bazel run succeeded" "$log"
elif ! grep -q "^kconfig_edit: the last fragment .*x86_64.config is not in your workspace .*: copy it into the workspace" "$log"; then
  fail_case outside "no one-line error naming the fragment and the fix" "$log"
else
  pass outside
fi

echo "kconfig: $passed passed, $failed failed"
[ "$failed" = 0 ]
