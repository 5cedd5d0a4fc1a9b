"""Bazel's --execution_log_json_file: SpawnExec objects one after another (not an array).

The one reader of the JSON execution log for the scripts that summarise builds (bench/,
tests/*/run.sh, tests/config_slice/toggle_diff.py, tests/remote_exec/scale.py,
tests/remote_cache/exec_log.py). tools/execlog_diff reads the binary log with its own
schema. Standard library only: bench scripts run it with the host's python3.
"""

import json


class LogError(ValueError):
    """Not an execution log (the message names the file and the first bad object)."""


def spawns(text, name="execution log"):
    """Yields the objects of a log's text; LogError on anything else."""
    dec = json.JSONDecoder()
    i, n, count = 0, len(text), 0
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            return
        try:
            obj, i = dec.raw_decode(text, i)
        except json.JSONDecodeError as e:
            raise LogError(f"{name}:{e.lineno}: not a JSON execution log: {e.msg}") from None
        count += 1
        if not isinstance(obj, dict):
            raise LogError(f"{name}: not a JSON execution log: object {count} is a {type(obj).__name__}")
        yield obj


def read(path):
    """The spawns of the log at path, as a list."""
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        return list(spawns(f.read(), path))


def executed(log):
    """The spawns that ran (not remote or disk cache hits)."""
    return [s for s in log if not s.get("remoteCacheHit")]


def by_mnemonic(log):
    """{mnemonic: count} of spawns."""
    counts = {}
    for s in log:
        m = s.get("mnemonic", "?")
        counts[m] = counts.get(m, 0) + 1
    return counts


def outputs(spawn):
    """The paths of a spawn's outputs (actual ones when it ran, else the listed ones)."""
    return [o["path"] for o in spawn.get("actualOutputs") or []] or list(spawn.get("listedOutputs") or [])
