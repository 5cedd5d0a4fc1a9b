"""Summarises a Bazel --execution_log_json_file (tests/remote_cache/run.sh).

    python3 exec_log.py hits LOG          # "HITS TOTAL": spawns that were remote cache hits, all spawns
    python3 exec_log.py misses LOG [MAX]  # one line per miss: mnemonic first-output [runner]
    python3 exec_log.py outputs LOG       # "SHA256 SIZE MNEMONIC PATH" for each spawn's first output

The log is a stream of concatenated JSON objects (one SpawnExec each), not an array: read by
tools/common/execlog.py. Standard library only.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from tools.common.execlog import spawns  # noqa: E402


def first_output(spawn):
    outs = spawn.get("actualOutputs") or spawn.get("listedOutputs") or []
    if not outs:
        return None
    out = outs[0]
    return out if isinstance(out, dict) else {"path": out}


def main(argv):
    if len(argv) < 3 or argv[1] not in ("hits", "misses", "outputs"):
        sys.exit(__doc__)
    with open(argv[2]) as f:
        log = list(spawns(f.read()))
    if argv[1] == "hits":
        print(sum(1 for s in log if s.get("remoteCacheHit")), len(log))
    elif argv[1] == "misses":
        limit = int(argv[3]) if len(argv) > 3 else None
        misses = [s for s in log if not s.get("remoteCacheHit")][:limit]
        for s in misses:
            out = first_output(s) or {}
            print(s.get("mnemonic", "?"), out.get("path", "(no output)"), f"[{s.get('runner', '?')}]")
    else:
        for s in log:
            for out in s.get("actualOutputs") or []:
                digest = out.get("digest") or {}
                if digest.get("hash") and int(digest.get("sizeBytes", 0)) > 0:
                    print(digest["hash"], digest["sizeBytes"], s.get("mnemonic", "?"), out.get("path"))
                    break


if __name__ == "__main__":
    main(sys.argv)
