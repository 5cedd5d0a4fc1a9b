#!/bin/bash
# Reproducibility and path freedom: clean kernel builds in two checkouts at different paths,
# with two different output bases, must give
#   - identical shipped outputs: vmlinux, System.map, Image, every .ko, Module.symvers,
#     modules.order, modules.builtin*, the initramfs of the modules boot test;
#   - identical action inputs: the sha256 of every file any action of those targets reads
#     (sources, the import's generated files and host programs, toolchain, intermediates),
#     so every action key is the same on every machine (a remote cache hits).
#
#   tests/repro/run.sh [--expect=SUMS] [--cache=nginx|buildgrid] [--first=here] [arch/mode[@repo] ...]   (default: arm64/thin_dist)
#
# arch/mode@repo builds a kernel_config hub's kernel instead of ours, e.g.
# arm64/thin_dist@linux_arm64_debug (configs/debug_info.config: every compile passes -g).
#
# Each copy is `git archive HEAD` unpacked under a different path and user-visible name.
# --first=here: the first build is this checkout with its own output base (CI: tests/run_all.sh,
#   whose `bazel test` has just built x86_64 none here, so it costs a null build, not a clean
#   one); refused when the checkout has changes `git archive HEAD` would not carry. With
#   --cache the second build is then the writer, and the read-only build from the cache is
#   this checkout again in a fresh output base: the keys still cross checkouts.
# The first difference is named, with the absolute path it contains when that is the cause.
# --cache=SERVER (tests/remote_cache/servers.sh, on loopback): the first build uploads to it
#   as CI does (--config=ci-cache, the writer's credentials), the second builds without
#   reading it; then the second copy is cleaned and built again from the cache as a
#   developer does (--config=remote-cache, read-only): every action must be a remote cache
#   hit, and it must upload nothing. nginx: writes without credentials must be refused.
# --expect=SUMS: build one copy only and compare its outputs with SUMS, lines
#   `sha256  arch/mode:external/<repo>/<path>` sorted by name, from an earlier run's
#   first-checkout.sums (kept with --keep).
# Exits non-zero, with the difference, when anything differs.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
expect=""
cache=""
keep=""
first_here=""
combos=()
for a in "$@"; do
  case "$a" in
    --expect=*) expect=$(realpath "${a#*=}") ;;
    --cache=*) cache=${a#*=} ;;
    --keep) keep=1 ;;
    --first=here) first_here=1 ;;
    -*) echo "run.sh: unknown option $a" >&2; exit 2 ;;
    *) combos+=("$a") ;;
  esac
done
[ ${#combos[@]} -gt 0 ] || combos=(arm64/thin_dist)
if [ -n "$first_here" ] && git -C "$here" status --porcelain --untracked-files=normal | grep -qvE '(^|/)bazel-[^/]*$'; then
  echo "run.sh: --first=here needs a checkout without changes (git status lists some): commit or stash them" >&2
  exit 2
fi
work=$(mktemp -d /tmp/kernel-repro.XXXXXX)
chmod 755 "$work"  # the cache server runs as nobody
cleanup() {
  [ -z "$cache" ] || rc_stop || true
  for ob in "$work"/*.ob "$work"/*/*.ob; do
    [ -d "$ob" ] && (cd "$work" && bazel --output_base="$ob" shutdown >/dev/null 2>&1) || true
  done
  if [ -z "$keep" ]; then chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"; else echo "kept $work"; fi
}
trap cleanup EXIT
writer_flags=()
reader_flags=()
auth_status=0
if [ -n "$cache" ]; then
  # shellcheck source=../remote_cache/servers.sh
  source "$here/tests/remote_cache/servers.sh"
  rc_start "$cache" "$work/cache"
  rc_check_auth || auth_status=1
  writer_flags=(--config=ci-cache --remote_cache="$RC_WRITE_URL")
  reader_flags=(--config=remote-cache --remote_cache="$RC_URL")
fi

targets() {  # arch mode [repo]: our tiny kernels, or a kernel_config hub's (arch/mode@repo)
  if [ -n "${3:-}" ]; then
    echo "@$3//:vmlinux @$3//:modules"
  else
    echo //:vmlinux //:modules //tests/boot:modules_$1_$2
  fi
}

# build_copy DIR OB OUT PHASE [bazel flags...]: builds every combo in DIR (a checkout made on
# the first call; "" = Bazel's default output base of DIR) with output base OB; writes OUT.sums
# (outputs) and OUT.inputs (inputs).
build_copy() {
  local dir=$1 ob=$2 out=$3 phase=$4
  shift 4
  if [ ! -d "$dir" ]; then
    mkdir -p "$dir"
    git -C "$here" archive HEAD | tar -x -C "$dir"
  fi
  local bzl=(./bazel ${ob:+--output_base="$ob"})
  : > "$out.sums"
  : > "$out.inputs"
  local root start
  for c in "${combos[@]}"; do
    local repo="" spec=$c
    [[ "$spec" != *@* ]] || { repo=${spec#*@}; spec=${spec%@*}; }
    local arch=${spec%/*} mode=${spec#*/} flags
    flags=(--platforms=//platforms:$arch --//:lto=$mode)
    start=$(date +%s)
    # shellcheck disable=SC2046
    local log=()
    [ "$phase" != cached ] || log=(--execution_log_json_file="$out.$phase.$arch.$mode.execlog")
    (cd "$dir" && "${bzl[@]}" build "${flags[@]}" "$@" "${log[@]}" $(targets "$arch" "$mode" "$repo")) > "$out.log" 2>&1 || { tail -20 "$out.log" >&2; exit 1; }
    echo "$phase $c: $(grep -o '[0-9]* processes: .*' "$out.log" | tail -1) ($(( $(date +%s) - start )) s)"
    root=$(cd "$dir" && "${bzl[@]}" info execution_root 2>/dev/null)
    for t in $(targets "$arch" "$mode" "$repo"); do
      (cd "$dir" && "${bzl[@]}" cquery "$t" "${flags[@]}" --output=starlark \
        --starlark:expr='"\n".join([f.path for f in target.files.to_list()])' 2>/dev/null)
    done | sort -u | while read -r f; do
      (cd "$root" && sha256sum "$f") | sed "s|  .*/bin/|  $c:|"
    done >> "$out.sums"
    # (the build from the cache proves the keys by its hits: its inputs are not compared)
    [ "$phase" = cached ] && continue
    (cd "$dir" && "${bzl[@]}" aquery "${flags[@]}" --output=text "deps($(targets "$arch" "$mode" "$repo" | sed 's/ / + /g'))" 2>/dev/null) \
      | python3 "$here/tests/repro/action_inputs.py" sums "$root" | sed "s|  |  $c:|" >> "$out.inputs"
  done
  sort -k2 -o "$out.sums" "$out.sums"
  sort -k2 -o "$out.inputs" "$out.inputs"
}

roots_of() {  # DIR OB -> --root=... for its checkout, output base and execution root
  local bzl=(./bazel ${2:+--output_base="$2"})
  echo "--root=$1" "--root=$(cd "$1" && "${bzl[@]}" info output_base 2>/dev/null)" \
    "--root=$(cd "$1" && "${bzl[@]}" info execution_root 2>/dev/null)"
}

if [ -n "$first_here" ]; then
  first_dir=$here first_ob=""
else
  first_dir="$work/first-checkout" first_ob="$work/first-checkout.ob"
fi
first="$work/first-checkout"
second="$work/second/other-name"
# The writer: the first build, or the second when the first is this checkout's earlier build.
first_flags=("${writer_flags[@]}") second_flags=()
if [ -n "$cache" ] && [ -n "$first_here" ]; then
  first_flags=() second_flags=(--noremote_accept_cached "${writer_flags[@]}")
elif [ -n "$cache" ]; then
  # The second build must not read the cache: it proves the outputs, not the keys.
  second_flags=(--noremote_accept_cached --noremote_upload_local_results --remote_cache="$RC_URL")
fi
build_copy "$first_dir" "$first_ob" "$first" first "${first_flags[@]}"
status=$auth_status
if [ -n "$expect" ]; then
  want=$expect
else
  build_copy "$second" "$second.ob" "$second" second "${second_flags[@]}"
  want="$work/second.sums"
  cp "$second.sums" "$want"
  # shellcheck disable=SC2046
  python3 "$here/tests/repro/action_inputs.py" compare "$first.inputs" "$second.inputs" \
    --execroot="$(cd "$first_dir" && ./bazel ${first_ob:+--output_base="$first_ob"} info execution_root 2>/dev/null)" \
    $(roots_of "$first_dir" "$first_ob") $(roots_of "$second" "$second.ob") ${first_here:+--first_built_more} || status=1
fi
if ! diff -u "$want" "$first.sums"; then
  echo "FAIL: kernel outputs differ between the two builds" >&2
  status=1
else
  echo "PASS: $(wc -l < "$want") outputs identical ($(awk '{print $2}' "$want" | sed 's|.*/||' | sort -u | tr '\n' ' ' | cut -c1-200)...)"
fi
if [ -n "$cache" ] && [ -z "$expect" ]; then
  # A checkout other than the writer's, from a clean output tree: everything from the cache.
  puts=$(rc_writes)
  if [ -n "$first_here" ]; then
    cached=$work/cached
    # (no --disk_cache of a user.bazelrc: every hit must come from the server)
    build_copy "$here" "$work/cached.ob" "$cached" cached "${reader_flags[@]}" --disk_cache=
  else
    cached=$second
    (cd "$second" && ./bazel --output_base="$second.ob" clean) >/dev/null 2>&1
    build_copy "$second" "$second.ob" "$second" cached "${reader_flags[@]}"
  fi
  if [ "$(rc_writes)" != "$puts" ]; then
    echo "FAIL: the read-only build (--config=remote-cache) tried $(( $(rc_writes) - puts )) uploads"; status=1
  fi
  for c in "${combos[@]}"; do
    spec=${c%@*}; arch=${spec%/*} mode=${spec#*/}
    python3 - "$cached.cached.$arch.$mode.execlog" "$c" "$cache" "$here" <<'EOF' || status=1
import sys
sys.path.insert(0, sys.argv[4])
from tools.common import execlog
spawns = execlog.read(sys.argv[1])
missed = [s for s in spawns if not s.get("remoteCacheHit")]
if spawns and not missed:
    print(f"PASS: {sys.argv[2]} {sys.argv[3]}: {len(spawns)}/{len(spawns)} actions were remote cache hits (another checkout than the writer's)")
    sys.exit(0)
print(f"FAIL: {sys.argv[2]} {sys.argv[3]}: {len(spawns) - len(missed)}/{len(spawns)} remote cache hits; missed:")
for s in missed[:10]:
    outs = s.get("listedOutputs") or ["?"]
    print(f"FAIL:   {s.get('mnemonic')} {outs[0]}")
sys.exit(1)
EOF
  done
  diff -u "$want" "$cached.sums" >/dev/null || { echo "FAIL: outputs from the cache differ"; status=1; }
fi
exit $status
