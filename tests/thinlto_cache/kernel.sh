#!/bin/bash
# The ThinLTO cache on a kernel's vmlinux.o link (issue 12 part 1), by hand:
#
#   tests/thinlto_cache/kernel.sh [CONFIG]        (default linux_arm64_ikconfig: tiny arm64 +
#                                                  CONFIG_IKCONFIG, kernel/configs.o .incbin's
#                                                  kernel/config_data.gz)
#
# Builds @CONFIG//:vmlinux (thin) as usual (no cache), then re-runs its KernelLink action by
# hand in the execution root through the same wrapper, into a private cache root and a
# temporary output: cold, warm, and with a changed config_data.gz (a .config with one more
# line). Checks that cold and warm give Bazel's vmlinux.o byte for byte and that the changed
# file's gzip stream is what the new vmlinux.o carries after IKCFG_ST; prints the times.
set -euo pipefail
cd "$(dirname "$0")/../.."
config=${1:-linux_arm64_ikconfig}
flags=(--platforms=//platforms:arm64 --//:lto=thin)
./bazel build "@$config//:vmlinux" //tools/thinlto_cache "${flags[@]}" 2>&1 | tail -1
root=$(./bazel info execution_root 2>/dev/null)
cli=$root/$(./bazel cquery //tools/thinlto_cache "${flags[@]}" --output=starlark \
  --starlark:expr='target.files_to_run.executable.path' 2>/dev/null)
tmp=$(mktemp -d /var/tmp/thinlto-kernel.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
./bazel aquery "mnemonic('^KernelLink$', deps(@$config//:vmlinux))" "${flags[@]}" --output=jsonproto \
  2>/dev/null > "$tmp/aquery.json"
python3 - "$tmp" "$root" "$cli" <<'PY'
import gzip, json, os, subprocess, sys, time, zlib
tmp, root, cli = sys.argv[1:]
actions = json.load(open(os.path.join(tmp, "aquery.json")))["actions"]
assert len(actions) == 1, f"expected one KernelLink, found {len(actions)}"
argv = actions[0]["arguments"]
sep = argv.index("--")
# aquery shows the ld.lld response file's words inline (or the @file).
lines = argv[sep + 1:]
if len(lines) == 1 and lines[0].startswith("@"):
    lines = open(os.path.join(root, lines[0][1:])).read().splitlines()
out_i = lines.index("-o") + 1
built = os.path.join(root, lines[out_i])
lines[out_i] = os.path.join(tmp, "vmlinux.o")
open(os.path.join(tmp, "params"), "w").write("\n".join(lines) + "\n")
incbin = [a for a in argv[:sep] if a.startswith("--incbin=kernel/config_data.gz=")]
assert incbin, f"the link names no kernel/config_data.gz: {argv[:sep]}"
gz = incbin[0].split("=", 2)[2]
cache = os.path.join(tmp, "cache")
subprocess.run([cli, f"--cache_root={cache}", "enable"], cwd=root, check=True, stdout=subprocess.DEVNULL)
# A changed .config: the same gzip (-9 -n, as Kbuild's cmd_gzip) of one more line.
text = gzip.decompress(open(os.path.join(root, gz), "rb").read()) + b"# CONFIG_THINLTO_CACHE_TEST is not set\n"
changed = os.path.join(tmp, "config_data.gz")
subprocess.run(["sh", "-c", f"gzip -9 -n > {changed}"], input=text, check=True)

def link(what, incbin_file):
    args = [a if not a.startswith("--incbin=kernel/config_data.gz=") else f"--incbin=kernel/config_data.gz={incbin_file}"
            for a in argv[:sep]]
    t0 = time.time()
    subprocess.run([*args, f"--cache_root={cache}", "--", "@" + os.path.join(tmp, "params")], cwd=root, check=True)
    dt = time.time() - t0
    s = json.loads(subprocess.run([cli, f"--cache_root={cache}", "stats", "--json"], capture_output=True, check=True).stdout)
    print(f"{what:<22} {dt:7.1f} s  hits {s['hits']:4} misses {s['misses']:4} entries {s['entries']} "
          f"{s['bytes'] / 2**20:.1f} MiB  load {os.getloadavg()[0]:.1f}")
    return open(os.path.join(tmp, "vmlinux.o"), "rb").read()

def carried(obj):
    i = obj.index(b"IKCFG_ST") + 8
    return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(obj[i:])

want = open(built, "rb").read()
cold = link("cold", gz)
warm = link("warm", gz)
new = link("changed config_data", changed)
again = link("changed, warm", changed)
ok = True
for what, cond in [("cold == Bazel's vmlinux.o", cold == want), ("warm == Bazel's vmlinux.o", warm == want),
                   ("changed != old", new != want), ("changed carries the new .config", carried(new) == text),
                   ("old carries the old .config", carried(want) + b"# CONFIG_THINLTO_CACHE_TEST is not set\n" == text),
                   ("changed, warm == changed", again == new)]:
    print(("PASS " if cond else "FAIL ") + what)
    ok &= cond
sys.exit(0 if ok else 1)
PY
