#!/usr/bin/env bash
# Integration test: rules_kernel_lto_dependencies(llvm_source = "local" | "archive").
#
#   bash tests/integration/llvm_sources/run.sh
#
# The LLVM under test is this checkout's own hermetic @kernel_llvm (built first with
# `./bazel build @kernel_llvm//:all_files`). Each case copies the workspace beside this
# script to its own temporary directory (local_repository -> this checkout, llvm_source.bzl
# -> the case's llvm_* arguments) and runs Bazel there in its own output base:
#   local             llvm_path = an LLVM prefix made of that @kernel_llvm
#   archive           the same prefix as an uncompressed tar at a file:// URL + sha256
#                     + strip_prefix
#     both: build @rules_kernel_lto//tests/toolchain:smoke_{x86_64,arm64} with the
#     registered toolchain (so with the case's @kernel_llvm); the programs must exist, be
#     ELF for their machine, and the x86_64 one must exit 22.
#   version_mismatch  llvm_path = a fake prefix whose clang says 18: the fetch must fail
#   missing_prefix    llvm_path = an empty directory: the fetch must fail
# Prints `PASS name` or `FAIL name: why` per case and `llvm_sources: N passed, N failed`;
# exits 1 if any case failed (2 if the test itself could not be set up).
# LLVM_SOURCES_KEEP=1 keeps the temporary directory (Bazel servers are shut down anyway).
# BAZEL=/path/to/bazel overrides the default, the checkout's ./bazel wrapper (or bazel on PATH).
# LLVM_SOURCES_RULES=/path/to/rules_kernel_lto tests another checkout of the rules (e.g. a
# patched copy); the LLVM still comes from this checkout.

set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
rules="${LLVM_SOURCES_RULES:-$root}"
if [ -n "${BAZEL:-}" ]; then
  bazel="$BAZEL"
elif [ -x "$root/bazel" ]; then
  bazel="$root/bazel"
else
  bazel=bazel
fi

tmp="$(mktemp -d /tmp/llvm_sources.XXXXXX)"
cases=()

# Every case's server is shut down (normally right after the case; here if interrupted).
shutdown_case() {
  local dir="$tmp/$1"
  if [ -d "$dir/ws" ] && [ -d "$dir/output_base" ]; then
    (cd "$dir/ws" && "$bazel" --output_base="$dir/output_base" shutdown) >/dev/null 2>&1 || true
  fi
}
cleanup() {
  local c
  for c in ${cases[@]+"${cases[@]}"}; do
    shutdown_case "$c"
  done
  if [ -n "${LLVM_SOURCES_KEEP:-}" ]; then
    echo "llvm_sources: kept $tmp" >&2
  else
    chmod -R u+w "$tmp" 2>/dev/null || true
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() {
  echo "llvm_sources: $*" >&2
  exit 2
}

for p in "$tmp" "$rules"; do
  case "$p" in *[\"\\]*) die "path with a quote or backslash: $p" ;; esac
done

# The LLVM under test: this checkout's assembled @kernel_llvm.
(cd "$root" && "$bazel" build @kernel_llvm//:all_files) >"$tmp/kernel_llvm.log" 2>&1 ||
  die "\`bazel build @kernel_llvm//:all_files\` failed in $root; see the end of its output:
$(tail -n 15 "$tmp/kernel_llvm.log")"
kernel_llvm="$(cd "$root" && "$bazel" info output_base 2>/dev/null)/external/kernel_llvm"
[ -x "$kernel_llvm/bin/clang" ] || die "no $kernel_llvm/bin/clang"

# An LLVM prefix made of it. @kernel_llvm has the toolchain's names (ld.lld, llvm-readelf,
# llvm-strip); kernel_llvm_repository takes LLVM's (lld, llvm-readobj, llvm-objcopy: see
# LLVM_TOOLS), which every LLVM install and release archive has, so add those.
prefix="$tmp/llvm-19-test"
mkdir -p "$prefix/bin" || die "cannot create $prefix"
for f in "$kernel_llvm"/bin/*; do
  ln -s "$f" "$prefix/bin/" || die "cannot link $f"
done
ln -s "$kernel_llvm/bin/ld.lld" "$prefix/bin/lld" &&
  ln -s "$kernel_llvm/bin/llvm-readelf" "$prefix/bin/llvm-readobj" &&
  ln -s "$kernel_llvm/lib" "$prefix/lib" || die "cannot create $prefix"

passed=0
failed=0
pass() {
  echo "PASS $1"
  passed=$((passed + 1))
}
fail_case() {
  local name="$1" why="$2" log="${3:-}"
  echo "FAIL $name: $why"
  failed=$((failed + 1))
  if [ -n "$log" ] && [ -f "$log" ]; then
    echo "    --- bazel output, last lines:"
    grep -v '^\(Loading\|Analyzing\|INFO\|Starting local\|Extracting\|\[\)' "$log" | tail -n 15 | sed 's/^/    | /'
  fi
}

# join ITEM...: the items, separated by "; ".
join() {
  local out="$1"
  shift
  local item
  for item in "$@"; do
    out="$out; $item"
  done
  echo "$out"
}

# new_case NAME SOURCE [URL SHA256 STRIP_PREFIX | PATH]: a workspace in $tmp/NAME/ws whose
# rules_kernel_lto_dependencies() call gets these llvm_* arguments.
new_case() {
  local dir="$tmp/$1"
  cases+=("$1")
  mkdir -p "$dir/ws" || die "cannot create $dir"
  cp "$here/WORKSPACE" "$here/BUILD.bazel" "$here/.bazelrc" "$dir/ws/" || die "cannot copy the workspace"
  sed -i "s|path = \"../../..\"|path = \"$rules\"|" "$dir/ws/WORKSPACE"
  grep -qF "path = \"$rules\"" "$dir/ws/WORKSPACE" || die "cannot point local_repository at $rules"
  local urls="" sha256="" strip_prefix="" path=""
  case "$2" in
    archive) urls="\"$3\"" sha256="$4" strip_prefix="$5" ;;
    local) path="$3" ;;
  esac
  cat >"$dir/ws/llvm_source.bzl" <<EOF || die "cannot write $dir/ws/llvm_source.bzl"
"""Written by run.sh for the case $1."""

LLVM_SOURCE = "$2"
LLVM_URLS = [$urls]
LLVM_SHA256 = "$sha256"
LLVM_STRIP_PREFIX = "$strip_prefix"
LLVM_PATH = "$path"
EOF
}

# bazel_in NAME ARGS...: runs bazel in the case's workspace and output base.
bazel_in() {
  local dir="$tmp/$1"
  shift
  (cd "$dir/ws" && "$bazel" --output_base="$dir/output_base" --max_idle_secs=300 "$@")
}

# elf_machine FILE: e_machine as a decimal number (62 x86_64, 183 aarch64).
elf_machine() {
  [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ] || return 1
  od -An -tu2 -j18 -N2 "$1" | tr -d ' '
}

# smoke_case NAME SOURCE [BAZEL_FLAGS...]: builds both smoke programs and checks them.
smoke_case() {
  local name="$1" source="$2"
  shift 2
  local dir="$tmp/$name" log="$tmp/$name/build.log"
  local x86=@rules_kernel_lto//tests/toolchain:smoke_x86_64
  local arm=@rules_kernel_lto//tests/toolchain:smoke_arm64
  if ! bazel_in "$name" build "$@" "$x86" "$arm" >"$log" 2>&1; then
    fail_case "$name" "bazel build of smoke_x86_64 and smoke_arm64 failed" "$log"
    return
  fi
  # The repository the toolchain used is this case's LLVM.
  local generated="$dir/output_base/external/kernel_llvm/BUILD.bazel"
  if ! grep -qF "kernel_llvm_repository ($source)" "$generated" 2>/dev/null; then
    fail_case "$name" "@kernel_llvm was not generated from source = \"$source\" ($generated)"
    return
  fi
  # The programs, built in the platform transition's output directories.
  local execroot files
  execroot="$(bazel_in "$name" info "$@" execution_root 2>/dev/null)"
  files="$(bazel_in "$name" cquery "$@" --output=starlark \
    --starlark:expr='str(target.label) + " " + " ".join([f.path for f in target.files.to_list()])' \
    "$x86 + $arm" 2>"$tmp/$name/cquery.log")" || {
    fail_case "$name" "bazel cquery failed" "$tmp/$name/cquery.log"
    return
  }
  local label path x86_path="" arm_path=""
  while read -r label path; do
    case "$label" in
      *:smoke_x86_64) x86_path="$execroot/$path" ;;
      *:smoke_arm64) arm_path="$execroot/$path" ;;
    esac
  done <<<"$files"
  local problems=() arch program want machine
  for arch in x86_64 arm64; do
    case "$arch" in
      x86_64) program="$x86_path" want=62 ;;
      arm64) program="$arm_path" want=183 ;;
    esac
    if [ -z "$program" ] || [ ! -f "$program" ]; then
      problems+=("no $arch program (${program:-cquery named none})")
    elif ! machine="$(elf_machine "$program")"; then
      problems+=("the $arch program is not ELF: $program")
    elif [ "$machine" != "$want" ]; then
      problems+=("the $arch program has e_machine $machine, not $want")
    fi
  done
  if [ -f "$x86_path" ]; then
    timeout 10 "$x86_path" >/dev/null 2>&1
    local rc=$?
    [ "$rc" -eq 22 ] || problems+=("x86_64 program exited $rc, not 22")
  fi
  if [ "${#problems[@]}" -eq 0 ]; then
    pass "$name"
  else
    fail_case "$name" "$(join "${problems[@]}")"
  fi
}

# fetch_fails_case NAME FRAGMENT...: building @kernel_llvm//:all_files must fail, printing
# every FRAGMENT (a FRAGMENT `A|B` needs A or B).
fetch_fails_case() {
  local name="$1"
  shift
  local log="$tmp/$name/build.log"
  bazel_in "$name" build @kernel_llvm//:all_files >"$log" 2>&1
  local rc=$?
  local problems=()
  [ "$rc" -ne 0 ] || problems+=("bazel build @kernel_llvm//:all_files succeeded")
  local fragment alt found alts
  for fragment in "$@"; do
    found=""
    IFS='|' read -r -a alts <<<"$fragment"
    for alt in "${alts[@]}"; do
      grep -qF -- "$alt" "$log" && found=1
    done
    [ -n "$found" ] || problems+=("output lacks: $fragment")
  done
  if [ "${#problems[@]}" -eq 0 ]; then
    pass "$name"
  else
    fail_case "$name" "$(join "${problems[@]}")" "$log"
  fi
}

# 1. local: the prefix itself.
new_case local local "$prefix"
smoke_case local local
shutdown_case local

# 2. archive: the prefix as llvm-19-test/{bin,lib} in a plain tar (gzip would cost more
# than it saves here). Its own repository cache keeps the 290 MB out of the user's.
tar="$tmp/llvm.tar"
if tar -cf "$tar" -C "$tmp" --dereference --hard-dereference --sort=name --mtime=@0 \
  --owner=0 --group=0 --numeric-owner llvm-19-test; then
  sha="$(sha256sum "$tar" | cut -d' ' -f1)"
  new_case archive archive "file://$tar" "$sha" llvm-19-test
  smoke_case archive archive --repository_cache="$tmp/archive/repository_cache"
  shutdown_case archive
else
  fail_case archive "cannot tar $prefix"
fi
rm -f "$tar"

# 3. version_mismatch: every tool kernel_llvm_repository copies, as a shell script; clang
# says it is 18.
fake="$tmp/fake-llvm-18"
mkdir -p "$fake/bin" || die "cannot create $fake"
for tool in lld llvm-ar llvm-nm llvm-objcopy llvm-readobj llvm-objdump llvm-dis; do
  printf '#!/bin/sh\nexit 0\n' >"$fake/bin/$tool"
done
cat >"$fake/bin/clang" <<'EOF'
#!/bin/sh
if [ "${1:-}" = --version ]; then
  echo "clang version 18.1.8 (fake)"
  echo "Target: x86_64-pc-linux-gnu"
  exit 0
fi
exit 1
EOF
chmod +x "$fake"/bin/*
new_case version_mismatch local "$fake"
fetch_fails_case version_mismatch "clang is version 18" "needs 19"
shutdown_case version_mismatch

# 4. missing_prefix: llvm_path is an empty directory.
empty="$tmp/empty-prefix"
mkdir -p "$empty" || die "cannot create $empty"
new_case missing_prefix local "$empty"
fetch_fails_case missing_prefix "needs path|bin/clang" "$empty"
shutdown_case missing_prefix

echo "llvm_sources: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
