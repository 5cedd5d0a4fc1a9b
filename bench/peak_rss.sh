#!/bin/bash
# Peak RSS of a kernel link action, re-run by hand from its recorded command line.
#
#   bench/peak_rss.sh OUTPUT_BASE ARCH MODE MNEMONIC [WORKSPACE TARGET]
#     e.g. bench/peak_rss.sh /work/bench1/ob arm64 thin_dist KernelThinLink
#          bench/peak_rss.sh /work/bench1/ob arm64 thin KernelLink    (lld's in-process ThinLTO)
#
#   e.g. bench/peak_rss.sh "$(cd examples/x86_64_defconfig && ../../bazel info output_base)" \
#          x86_64 thin_dist KernelThinLink examples/x86_64_defconfig @my_kernel//:vmlinux
#
# The kernel must be built in OUTPUT_BASE (bench/clean_builds.sh; WORKSPACE: this repository
# or a user's workspace such as examples/x86_64_defconfig, TARGET default //:vmlinux). The action's command
# line comes from `bazel aquery`; its params file is rewritten so every output goes to a
# temporary directory (the build's outputs are untouched), then it runs under
# /usr/bin/time -v in the execution root. Prints: MNEMONIC ARCH/MODE wall_s max_rss_MB.
set -euo pipefail
ob=$1 arch=$2 mode=$3 mnemonic=$4 ws=${5:-.} target=${6:-//:vmlinux}
cd "$(dirname "$0")/.."
bazel="$PWD/bazel"
cd "$ws"
plat=//platforms:$arch lto=//:lto
[ "$ws" = . ] || plat=@rules_kernel_lto//platforms:$arch lto=@rules_kernel_lto//:lto
bz() { "$bazel" --output_base="$ob" "$@"; }
root=$(bz info execution_root 2>/dev/null)
tmp=$(mktemp -d /tmp/peak-rss.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
bz aquery "mnemonic('^$mnemonic\$', deps($target))" --platforms=$plat --$lto=$mode \
  --output=jsonproto 2>/dev/null > "$tmp/aquery.json"
python3 - "$tmp" "$root" <<'PY' > "$tmp/cmd"
import json, os, shlex, sys
tmp, root = sys.argv[1], sys.argv[2]
actions = json.load(open(os.path.join(tmp, "aquery.json"))).get("actions", [])
if len(actions) != 1:
    sys.exit(f"expected one action, aquery found {len(actions)}")
argv = actions[0]["arguments"]
out = []
for a in argv:
    pf = a[1:] if a.startswith("@") else a.split("=", 1)[1] if a.startswith("--flagfile=") else None
    if pf is None:
        out.append(a)
        continue
    lines = open(os.path.join(root, pf)).read().splitlines()
    new, n = [], 0
    for i, l in enumerate(lines):
        if i > 0 and lines[i - 1] == "-o":            # ld.lld: -o OUT
            l, n = os.path.join(tmp, "out"), n + 1
        elif l.startswith("--tree="):                  # thinlto thin_link: --tree=DIR
            l, n = f"--tree={tmp}/trees/{n}", n + 1
            os.makedirs(l.split("=", 1)[1])
        new.append(l)
    if not n:
        sys.exit(f"{pf}: found no output to redirect")
    newpf = os.path.join(tmp, "params")
    open(newpf, "w").write("\n".join(new) + "\n")
    out.append(("@" if a.startswith("@") else "--flagfile=") + newpf)
print(shlex.join(out))
PY
cd "$root"
eval /usr/bin/time -f "'%e %M'" -o "$tmp/time" "$(cat "$tmp/cmd")" > "$tmp/log" 2>&1 || { tail "$tmp/log"; exit 1; }
read -r wall kb < "$tmp/time"
echo "$mnemonic $arch/$mode wall ${wall}s max_rss $((kb / 1024)) MB"
