"""Manages the ThinLTO cache of in-process `thin` links (README "ThinLTO cache").

    bazel run //tools:thinlto_cache -- enable [--max_size=4G] [--max_age=14d]
    bazel run //tools:thinlto_cache -- stats [--json]
    bazel run //tools:thinlto_cache -- prune [--max_size=1G] [--max_age=1d]
    bazel run //tools:thinlto_cache -- clear
    bazel run //tools:thinlto_cache -- disable

`enable` creates the root and its policy; builds then use it with --config=thinlto-cache
(a sandboxed link must be allowed to write there). `prune` applies the policy (or the
limits given), `clear` removes every entry and zeroes the counters, `disable` removes the
whole cache.
"""

import json
import os
import shutil

from absl import app, flags

from tools.common import lib as common
from tools.thinlto_cache import lib

_ROOT = flags.DEFINE_string("cache_root", lib.DEFAULT_ROOT, "The cache root.")
_MAX_SIZE = flags.DEFINE_string("max_size", None, "enable/prune: size limit (e.g. 4G).")
_MAX_AGE = flags.DEFINE_string("max_age", None, "enable/prune: remove entries unused this long (e.g. 14d).")
_JSON = flags.DEFINE_bool("json", False, "stats: print JSON.")


def _policy(base):
    kw = {}
    if _MAX_SIZE.value is not None:
        kw["max_size_bytes"] = lib.parse_size(_MAX_SIZE.value)
    if _MAX_AGE.value is not None:
        kw["max_age_seconds"] = lib.parse_age(_MAX_AGE.value)
    return lib.Policy(**{**vars(base), **kw})


def _mb(n):
    return f"{n / (1 << 20):.1f} MiB"


def main(argv):
    if len(argv) != 2 or argv[1] not in ("stats", "prune", "clear", "enable", "disable"):
        raise app.UsageError("expected one command: stats, prune, clear, enable or disable")
    cmd, root = argv[1], _ROOT.value
    if cmd == "enable":
        os.makedirs(os.path.join(root, "ns"), exist_ok=True)
        policy, _ = lib.state(root)
        policy = _policy(policy or lib.Policy())
        lib.write_atomic(os.path.join(root, "policy.json"), policy.text().encode())
        print(f"ThinLTO cache enabled in {root} (max {_mb(policy.max_size_bytes)}, entries unused "
              f"{policy.max_age_seconds // 86400} d pruned); build with --config=thinlto-cache")
        return
    if not os.path.isdir(root):
        raise lib.CacheError(f"{root}: no cache here; `bazel run //tools:thinlto_cache -- enable` creates it")
    if cmd == "disable":
        with lib.locked(root, exclusive=True):
            shutil.rmtree(os.path.join(root, "ns"), ignore_errors=True)
            for f in ("policy.json", "stats.json", "toolchains.json", "last_prune"):
                if os.path.exists(os.path.join(root, f)):
                    os.unlink(os.path.join(root, f))
        print(f"ThinLTO cache in {root} removed (links run without it)")
        return
    if cmd == "clear":
        with lib.locked(root, exclusive=True):
            shutil.rmtree(os.path.join(root, "ns"), ignore_errors=True)
            os.makedirs(os.path.join(root, "ns"), exist_ok=True)
            if os.path.exists(os.path.join(root, "stats.json")):
                os.unlink(os.path.join(root, "stats.json"))
        print(f"ThinLTO cache in {root} cleared")
        return
    if cmd == "prune":
        policy, why = lib.state(root)
        if policy is None and _MAX_SIZE.value is None and _MAX_AGE.value is None:
            raise lib.CacheError(f"{root}: {why}; give --max_size/--max_age")
        policy = _policy(policy or lib.Policy())
        with lib.locked(root, exclusive=True):
            n = lib.prune(root, policy)
        if n:
            lib.add_stats(root, pruned=n)
        s = lib.summary(root)
        print(f"pruned {n} entries; {s['entries']} left, {_mb(s['bytes'])}")
        return
    s = lib.summary(root)
    if _JSON.value:
        print(json.dumps(s, sort_keys=True))
        return
    looked = s["hits"] + s["misses"]
    rate = f" ({100 * s['hits'] / looked:.0f}% hits)" if looked else ""
    print(f"root        {s['root']} ({'enabled' if s['enabled'] else 'off: ' + s['why_off']})")
    print(f"links       {s['links']}")
    print(f"hits        {s['hits']}{rate}")
    print(f"misses      {s['misses']}")
    print(f"corrupt     {s['corrupt']} (found and replaced)")
    print(f"pruned      {s['pruned']}")
    print(f"entries     {s['entries']} in {s['namespaces']} namespaces")
    print(f"size        {_mb(s['bytes'])}" + (f" of {_mb(s['max_size_bytes'])}" if s["enabled"] else ""))


def _main(argv):
    try:
        main(argv)
    except lib.CacheError as e:
        raise SystemExit(f"thinlto_cache: {e}") from None


if __name__ == "__main__":
    common.run(_main, "thinlto_cache")
