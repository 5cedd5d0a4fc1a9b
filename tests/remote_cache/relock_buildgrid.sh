#!/bin/bash
# Rewrites toolchains/locks/buildgrid.lock.txt: BuildGrid (the test remote cache of
# tests/remote_cache/) and every dependency, exact versions and the sha256 of each file, as
# the machine's configured pip resolves them for the host's python3 now.
#
#   tests/remote_cache/relock_buildgrid.sh [buildgrid==VERSION]     (default: the lock's)
#
# BuildGrid >= 0.5 needs Python >= 3.13; on 3.11 pip picks 0.4.4, whose cache-only config
# is what servers.sh writes. Only wheels are accepted (servers.sh installs with
# --only-binary=:all:), so the lock is per Python version and CPU (here: CPython 3.11,
# the host's wheels plus the other Linux CPU's, x86_64 / aarch64, where a package has them).
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
lock="$here/toolchains/locks/buildgrid.lock.txt"
want=${1:-$(sed -n 's/^\(buildgrid==[^ ]*\).*/\1/p' "$lock" 2>/dev/null || true)}
want=${want:-buildgrid==0.4.4}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')

# 1. Resolve for this host: every distribution file pip would install.
python3 -m pip download -q --disable-pip-version-check --only-binary=:all: -d "$tmp/host" "$want"
# 2. The CPU-specific wheels again for the other Linux CPU (their hashes join each line).
other=$( [ "$(uname -m)" = aarch64 ] && echo x86_64 || echo aarch64 )
mkdir -p "$tmp/$other"
for f in "$tmp"/host/*.whl; do
  case "$f" in *-none-any.whl) continue ;; esac
  pin=$(basename "$f" | awk -F- '{print $1 "==" $2}')
  python3 -m pip download -q --disable-pip-version-check --only-binary=:all: --no-deps \
    --python-version "$py" --implementation cp \
    --platform "manylinux2014_$other" --platform "manylinux_2_28_$other" --platform "manylinux_2_34_$other" \
    --platform "manylinux1_$other" --platform "manylinux_2_17_$other" --platform "manylinux_2_5_$other" \
    -d "$tmp/$other" "$pin" 2>/dev/null || echo "relock: no $other wheel of $pin (that CPU will not install it)" >&2
done
python3 - "$want" "$py" "$tmp/host" "$tmp/$other" > "$tmp/lock" <<'EOF'
import hashlib, os, re, sys
want, py, dirs = sys.argv[1], sys.argv[2], sys.argv[3:]
hashes = {}
for d in dirs:
    for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
        name, version = f.split("-")[:2]
        key = (re.sub(r"[-_.]+", "-", name).lower(), version)
        with open(os.path.join(d, f), "rb") as fh:
            hashes.setdefault(key, set()).add(hashlib.sha256(fh.read()).hexdigest())
print(f"# BuildGrid for tests/remote_cache (the test remote cache), CPython {py}: {want} and its")
print("# dependencies, every wheel pinned by sha256 (x86_64 and aarch64 manylinux). Installed by")
print("# tests/remote_cache/servers.sh with `pip install --require-hashes --no-deps -r` into a venv.")
print("# Generated; do not edit. Relock (the machine's configured pip):")
print(f"#   tests/remote_cache/relock_buildgrid.sh {want}")
for (name, version), hs in sorted(hashes.items()):
    print(f"{name}=={version} \\")
    print(" \\\n".join(f"    --hash=sha256:{h}" for h in sorted(hs)))
EOF
mv "$tmp/lock" "$lock"
echo "relock: wrote $lock ($(grep -c '==' "$lock") distributions)"
