"""Runs an in-process LTO link (ld.lld) with the .incbin files in reach and, when enabled,
the ThinLTO cache (tools/thinlto_cache/lib.py).

    link --tool=LD [--incbin=NAME=FILE ...] -- LLD_ARGS...
    link --tool=CLANG --nothinlto_cache --incbin=NAME=FILE -- CLANG_ARGS...

The second form compiles a bitcode object whose inline assembly .incbin's NAME: clang
parses that assembly for the object's symbol table and looks NAME up from its working
directory too (-Wa,-I reaches only the assembler of native objects).

NAME is the path a bitcode object's `.incbin` names (relative to Kbuild's object tree),
FILE the action input holding it: lld then runs in a directory where both NAME and the
command line's relative paths resolve. The cache is used when its root has a policy.json
and is writable here; otherwise (CI, a sandbox without --config=thinlto-cache, remote
execution) the link runs as it would without this wrapper. The output is the same bytes
either way; nothing on the action's command line says whether or where a cache is.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

from absl import app, flags

from tools.common import incbin as incbin_lib
from tools.common import lib as common
from tools.thinlto_cache import lib

_TOOL = flags.DEFINE_string("tool", None, "ld.lld (or clang, with --nothinlto_cache).", required=True)
_CACHE = flags.DEFINE_bool("thinlto_cache", True, "Use the ThinLTO cache when it is enabled (ld.lld only).")
_INCBIN = flags.DEFINE_multi_string("incbin", [], "NAME=FILE: a file a bitcode object's .incbin reads, as NAME.")
_ROOT = flags.DEFINE_string("cache_root", lib.DEFAULT_ROOT, "The cache (tests only: actions never pass it).")
_PRUNE_EVERY = 3600


def _run(cmd, cwd):
    return subprocess.run(cmd, cwd=cwd, check=False).returncode


def _memo(root):
    try:
        with open(os.path.join(root, "toolchains.json")) as f:
            return json.load(f)
    except (FileNotFoundError, ValueError):
        return {}


def _read(path):
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return f.read()


def _cached_link(root, ld, args, incbins, cwd):
    memo = _memo(root)
    toolchain = lib.toolchain_digest(lib.toolchain_files(ld), memo)
    lib.write_atomic(os.path.join(root, "toolchains.json"), json.dumps(memo, sort_keys=True).encode())
    ns = lib.namespace(toolchain, lib.expand_args(args, _read),
                       [(name, lib.sha256_file(path).hexdigest()) for name, path in incbins])
    nsdir = os.path.abspath(os.path.join(root, "ns", ns))
    os.makedirs(nsdir, exist_ok=True)
    cmd = [ld, *args, f"--thinlto-cache-dir={nsdir}", f"--thinlto-cache-policy={lib.LLD_POLICY}"]
    with lib.locked(root, exclusive=False):
        before = lib.list_entries(nsdir)
        corrupt = _drop(nsdir, lib.changed(before), "changed since it was written")
        status, hits, misses, bad, good = _link(cmd, cwd, nsdir)
        if bad:
            # lld read an entry whose bytes are not what was written (same size and time):
            # drop it and link again, so the output never holds a corrupt object.
            corrupt += _drop(nsdir, bad, "read with other bytes than written; linking again")
            status, hits, misses, _, good = _link(cmd, cwd, nsdir)
        if status == 0:
            lib.record(hits + misses, time.time(), good)
    lib.add_stats(root, hits=len(hits), misses=len(misses), links=1, corrupt=corrupt)
    _maybe_prune(root)
    return status


def _drop(nsdir, bad, why):
    if bad:
        sys.stderr.write(f"thinlto_cache: {len(bad)} corrupt entries in {nsdir} (first: "
                         f"{os.path.basename(bad[0])}: {why}); removed\n")
    for p in bad:
        lib.remove_entry(p)
    return len(bad)


def _link(cmd, cwd, nsdir):
    """Runs lld once: (status, hits, misses, hits that do not match their record,
    {path: sha256} of those that do)."""
    before = lib.list_entries(nsdir)
    lib.reset_atimes(before)
    before = lib.list_entries(nsdir)
    status = _run(cmd, cwd)
    hits, misses = lib.classify(before, lib.list_entries(nsdir))
    bad, good = lib.check_sums(hits)
    return status, hits, misses, bad, good


def _maybe_prune(root):
    stamp = os.path.join(root, "last_prune")
    try:
        if time.time() - os.stat(stamp).st_mtime < _PRUNE_EVERY:
            return
    except FileNotFoundError:
        pass
    policy, _ = lib.state(root)
    if policy is None:
        return
    with lib.locked(root, exclusive=True, blocking=False) as got:
        if got:  # another link or a prune is running: a later link prunes
            n = lib.prune(root, policy)
            lib.write_atomic(stamp, b"")
            if n:
                lib.add_stats(root, pruned=n)


def main(argv):
    args = argv[1:]
    if not args:
        raise app.UsageError("no ld.lld arguments after --")
    incbins = incbin_lib.parse_all(_INCBIN.value)
    root = _ROOT.value
    policy, _ = lib.state(root) if _CACHE.value and os.path.isdir(root) else (None, "off")
    with tempfile.TemporaryDirectory(prefix="ltolink.") as tmp:
        cwd = None
        if incbins:
            incbin_lib.mirror(tmp, os.getcwd(), incbins)
            cwd = tmp
        if policy is None:
            return _run([_TOOL.value, *args], cwd)
        return _cached_link(root, _TOOL.value, args, incbins, cwd)


def _main(argv):
    try:
        sys.exit(main(argv))
    except (lib.CacheError, incbin_lib.IncbinError) as e:
        sys.exit(f"thinlto_cache link: {e}")


if __name__ == "__main__":
    common.run(_main, "thinlto_cache link")
