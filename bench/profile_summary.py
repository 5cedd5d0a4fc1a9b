#!/usr/bin/env python3
"""Where a build's time went, from Bazel's JSON trace profile (command.profile.gz).

    bench/profile_summary.py OUTPUT_BASE/command.profile.gz [--top 15]

Bazel writes the profile of the last command into the output base (copy it before the
next command). Prints, per kind of action (the first words of its progress message:
"Compiling", "ThinLTO backend", "Linking", ...): how many ran, their summed and longest
duration, and when the first started and the last ended (seconds from the first action);
then the critical path Bazel computed, longest components first.

Counts and sums are lower bounds: Bazel's default (slim) profile leaves out or merges short
events (x86_64 defconfig's clean build listed 151 of its 2,654 ThinLTO backends). The
first-start/last-end columns and the critical path are what it is for.
"""

import argparse
import gzip
import json
import re

# Progress messages name a file or target after the kind: keep the words before it.
_KIND = re.compile(r"^([A-Za-z][A-Za-z0-9 +/-]*?)(?= [^ ]*[/:.@]| \(|$)")


def kind(name):
    m = _KIND.match(name or "")
    return (m.group(1) if m else (name or "?")).strip()[:40]


def summarize(events):
    """(kinds, critical, span): per kind [count, sum us, max us, first ts, last end]; the
    critical path components as (name, dur us); the first action's start and the last end."""
    actions = [e for e in events if e.get("ph") == "X" and e.get("cat") == "action processing"]
    critical = [(e.get("name", "?"), e.get("dur", 0)) for e in events
                if e.get("ph") == "X" and e.get("cat") == "critical path component"]
    if not actions:
        return {}, critical, (0, 0)
    t0 = min(e["ts"] for e in actions)
    t1 = max(e["ts"] + e.get("dur", 0) for e in actions)
    kinds = {}
    for e in actions:
        k = kinds.setdefault(kind(e.get("name")), [0, 0, 0, e["ts"], 0])
        d = e.get("dur", 0)
        k[0] += 1
        k[1] += d
        k[2] = max(k[2], d)
        k[3] = min(k[3], e["ts"])
        k[4] = max(k[4], e["ts"] + d)
    return kinds, critical, (t0, t1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("profile")
    ap.add_argument("--top", type=int, default=15)
    a = ap.parse_args()
    opener = gzip.open if a.profile.endswith(".gz") else open
    with opener(a.profile, "rt") as f:
        data = json.load(f)
    events = data["traceEvents"] if isinstance(data, dict) else data
    kinds, critical, (t0, t1) = summarize(events)
    print(f"actions from first start to last end: {(t1 - t0) / 1e6:.1f} s")
    print(f"{'kind':40} {'count':>6} {'sum s':>9} {'max s':>7} {'first':>7} {'last end':>9}")
    for name, (n, total, longest, first, last) in sorted(kinds.items(), key=lambda kv: -kv[1][1]):
        print(f"{name:40} {n:6} {total / 1e6:9.1f} {longest / 1e6:7.2f} {(first - t0) / 1e6:7.1f} {(last - t0) / 1e6:9.1f}")
    if critical:
        print(f"critical path: {len(critical)} components, {sum(d for _, d in critical) / 1e6:.1f} s; longest:")
        for name, d in sorted(critical, key=lambda c: -c[1])[:a.top]:
            print(f"  {d / 1e6:8.2f} s  {name[:110]}")


if __name__ == "__main__":
    main()
