#!/bin/bash
# Reproducibility and path freedom: clean kernel builds in two checkouts at different paths,
# with two different output bases, must give
#   - identical shipped outputs: vmlinux, System.map, Image, every .ko, Module.symvers,
#     modules.order, modules.builtin*, the initramfs of the modules boot test;
#   - identical action inputs: the sha256 of every file any action of those targets reads
#     (sources, the import's generated files and host programs, toolchain, intermediates),
#     so every action key is the same on every machine (a remote cache hits).
#
#   tests/repro/run.sh [--expect=SUMS] [--cache=nginx|buildgrid] [arch/mode[@repo] ...]   (default: arm64/thin_dist)
#
# arch/mode@repo builds a kernel_config hub's kernel instead of ours, e.g.
# arm64/thin_dist@linux_arm64_debug (configs/debug_info.config: every compile passes -g).
#
# Each copy is `git archive HEAD` unpacked under a different path and user-visible name.
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
combos=()
for a in "$@"; do
  case "$a" in
    --expect=*) expect=$(realpath "${a#*=}") ;;
    --cache=*) cache=${a#*=} ;;
    --keep) keep=1 ;;
    -*) echo "run.sh: unknown option $a" >&2; exit 2 ;;
    *) combos+=("$a") ;;
  esac
done
[ ${#combos[@]} -gt 0 ] || combos=(arm64/thin_dist)
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

# build_copy DIR PHASE [bazel flags...]: builds every combo in DIR (a checkout made on the
# first call) with output base DIR.ob; writes DIR.sums (outputs) and DIR.inputs (inputs).
build_copy() {
  local dir=$1 phase=$2
  shift 2
  if [ ! -d "$dir" ]; then
    mkdir -p "$dir"
    git -C "$here" archive HEAD | tar -x -C "$dir"
  fi
  local ob="$dir.ob" bzl=(./bazel --output_base="$dir.ob")
  : > "$dir.sums"
  : > "$dir.inputs"
  local root start
  for c in "${combos[@]}"; do
    local repo="" spec=$c
    [[ "$spec" != *@* ]] || { repo=${spec#*@}; spec=${spec%@*}; }
    local arch=${spec%/*} mode=${spec#*/} flags
    flags=(--platforms=//platforms:$arch --//:lto=$mode)
    start=$(date +%s)
    # shellcheck disable=SC2046
    local log=()
    [ "$phase" != cached ] || log=(--execution_log_json_file="$dir.$phase.$arch.$mode.execlog")
    (cd "$dir" && "${bzl[@]}" build "${flags[@]}" "$@" "${log[@]}" $(targets "$arch" "$mode" "$repo")) > "$dir.log" 2>&1 || { tail -20 "$dir.log" >&2; exit 1; }
    echo "$phase $c: $(grep -o '[0-9]* processes: .*' "$dir.log" | tail -1) ($(( $(date +%s) - start )) s)"
    root=$(cd "$dir" && "${bzl[@]}" info execution_root 2>/dev/null)
    for t in $(targets "$arch" "$mode" "$repo"); do
      (cd "$dir" && "${bzl[@]}" cquery "$t" "${flags[@]}" --output=starlark \
        --starlark:expr='"\n".join([f.path for f in target.files.to_list()])' 2>/dev/null)
    done | sort -u | while read -r f; do
      (cd "$root" && sha256sum "$f") | sed "s|  .*/bin/|  $c:|"
    done >> "$dir.sums"
    (cd "$dir" && "${bzl[@]}" aquery "${flags[@]}" --output=text "deps($(targets "$arch" "$mode" "$repo" | sed 's/ / + /g'))" 2>/dev/null) \
      | python3 "$here/tests/repro/action_inputs.py" sums "$root" | sed "s|  |  $c:|" >> "$dir.inputs"
  done
  sort -k2 -o "$dir.sums" "$dir.sums"
  sort -k2 -o "$dir.inputs" "$dir.inputs"
}

roots_of() {  # DIR -> --root=... for its checkout, output base and execution root
  echo "--root=$1" "--root=$1.ob" "--root=$(cd "$1" && ./bazel --output_base="$1.ob" info execution_root 2>/dev/null)"
}

first="$work/first-checkout"
second="$work/second/other-name"
build_copy "$first" first "${writer_flags[@]}"
status=$auth_status
if [ -n "$expect" ]; then
  want=$expect
else
  # The second build must not read the cache: it proves the outputs, not the keys.
  build_copy "$second" second ${cache:+--noremote_accept_cached --noremote_upload_local_results --remote_cache="$RC_URL"}
  want="$work/second.sums"
  cp "$second.sums" "$want"
  # shellcheck disable=SC2046
  python3 "$here/tests/repro/action_inputs.py" compare "$first.inputs" "$second.inputs" \
    --execroot="$(cd "$first" && ./bazel --output_base="$first.ob" info execution_root 2>/dev/null)" \
    $(roots_of "$first") $(roots_of "$second") || status=1
fi
if ! diff -u "$want" "$first.sums"; then
  echo "FAIL: kernel outputs differ between the two builds" >&2
  status=1
else
  echo "PASS: $(wc -l < "$want") outputs identical ($(awk '{print $2}' "$want" | sed 's|.*/||' | sort -u | tr '\n' ' ' | cut -c1-200)...)"
fi
if [ -n "$cache" ] && [ -z "$expect" ]; then
  # The second checkout again, from a clean output tree: everything from the cache.
  (cd "$second" && ./bazel --output_base="$second.ob" clean) >/dev/null 2>&1
  puts=$(rc_writes)
  build_copy "$second" cached "${reader_flags[@]}"
  if [ "$(rc_writes)" != "$puts" ]; then
    echo "FAIL: the read-only build (--config=remote-cache) tried $(( $(rc_writes) - puts )) uploads"; status=1
  fi
  for c in "${combos[@]}"; do
    spec=${c%@*}; arch=${spec%/*} mode=${spec#*/}
    python3 - "$second.cached.$arch.$mode.execlog" "$c" "$cache" <<'EOF' || status=1
import json, sys
text, spawns, i = open(sys.argv[1]).read(), [], 0
dec = json.JSONDecoder()
while True:
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text):
        break
    obj, i = dec.raw_decode(text, i)
    spawns.append(obj)
missed = [s for s in spawns if not s.get("remoteCacheHit")]
if spawns and not missed:
    print(f"PASS: {sys.argv[2]} {sys.argv[3]}: {len(spawns)}/{len(spawns)} actions were remote cache hits (second checkout)")
    sys.exit(0)
print(f"FAIL: {sys.argv[2]} {sys.argv[3]}: {len(spawns) - len(missed)}/{len(spawns)} remote cache hits; missed:")
for s in missed[:10]:
    outs = s.get("listedOutputs") or ["?"]
    print(f"FAIL:   {s.get('mnemonic')} {outs[0]}")
sys.exit(1)
EOF
  done
  diff -u "$want" "$second.sums" >/dev/null || { echo "FAIL: outputs from the cache differ"; status=1; }
fi
exit $status
