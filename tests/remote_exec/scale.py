"""Scale on paper: how wide is a build's action graph, and what would N workers give?

    python3 scale.py --exec_log=X.json [--durations=D.tsv] [--profile=P.gz] [--overhead=S]
    python3 scale.py --exec_log=X.json --profile=P.gz --local --overhead=S   # a local build

--exec_log: Bazel's --execution_log_json_file of the build (concatenated JSON objects): the
  graph (an action depends on the actions whose outputs it reads).
--durations: `SECONDS<TAB>ARGV` lines, each action's execution time on a worker (BuildGrid's
  execution_start/completed timestamps, written by run.sh from its PostgreSQL); matched to
  the log by the command line. Without it, or for an action it lacks, the duration is the
  action's wall time in --profile ("action processing" events, matched by progress message)
  minus the overhead.
--profile: Bazel's --profile of the remote build (gzipped JSON trace).
--local: the log and profile are of a local build without caches (defconfig, where a remote
  run on this box's 2 cores would take hours): each duration is the local wall time, and
  --overhead (the per-action overhead measured in a remote run) is added in the schedule.
--overhead: seconds each remote action costs beyond its execution (scheduling, staging,
  uploads, downloads). Default: measured, mean(profile wall time - worker execution time)
  over the actions that have both.

Prints: actions, summed execution time W, critical path C (longest chain, durations only),
width W / C, W and the critical path by mnemonic, the measured overhead, then for N workers the makespan of a list schedule
(ready actions by longest remaining path first, each costing duration + overhead) and the
speedup W / makespan. Standard library only.
"""

import argparse
import gzip
import heapq
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from tools.common.execlog import spawns  # noqa: E402


def graph(log):
    """[(name, argv, progress, mnemonic)], deps[i] = set of producer indices."""
    producer, nodes = {}, []
    for s in log:
        outs = [o["path"] for o in s.get("actualOutputs") or []] or s.get("listedOutputs") or []
        i = len(nodes)
        nodes.append((outs[0] if outs else f"#{i}", " ".join(s.get("commandArgs", [])).replace("\n", " "), s.get("progressMessage", ""),
                      s.get("mnemonic", "?"), [x["path"] for x in s.get("inputs", [])]))
        for o in outs:
            producer[o] = i
    deps = [{producer[p] for p in ins if p in producer and producer[p] != i} for i, (*_, ins) in enumerate(nodes)]
    return [n[:4] for n in nodes], deps


def critical_chain(dur, deps, end):
    """The nodes of a longest chain, first to last."""
    if not end:
        return []
    i = max(range(len(end)), key=lambda k: end[k])
    chain = [i]
    while deps[i]:
        i = max(deps[i], key=lambda k: end[k])
        chain.append(i)
    return chain[::-1]


def by_mnemonic(nodes, dur, which=None):
    """[(mnemonic, seconds, count)] summed over `which` (default all), largest first."""
    out = {}
    for i in range(len(nodes)) if which is None else which:
        m = nodes[i][3]
        t, c = out.get(m, (0.0, 0))
        out[m] = (t + dur[i], c + 1)
    return sorted(((m, t, c) for m, (t, c) in out.items()), key=lambda x: -x[1])


def profile_walls(path):
    """progress message -> wall seconds of its 'action processing' event (last one wins)."""
    with gzip.open(path, "rt") as f:
        data = json.load(f)
    events = data["traceEvents"] if isinstance(data, dict) else data
    return {e["name"]: e["dur"] / 1e6 for e in events if e.get("cat") == "action processing" and "dur" in e}


def longest_paths(dur, deps):
    """Longest chain ending at each node, and remaining (to any sink) from each node."""
    n = len(dur)
    order = topo(deps)
    end = [0.0] * n
    for i in order:
        end[i] = dur[i] + max((end[d] for d in deps[i]), default=0.0)
    users = [[] for _ in range(n)]
    for i in range(n):
        for d in deps[i]:
            users[d].append(i)
    rest = [0.0] * n
    for i in reversed(order):
        rest[i] = dur[i] + max((rest[u] for u in users[i]), default=0.0)
    return end, rest, users


def topo(deps):
    n = len(deps)
    indeg = [len(d) for d in deps]
    users = [[] for _ in range(n)]
    for i in range(n):
        for d in deps[i]:
            users[d].append(i)
    ready = [i for i in range(n) if indeg[i] == 0]
    order = []
    while ready:
        i = ready.pop()
        order.append(i)
        for u in users[i]:
            indeg[u] -= 1
            if indeg[u] == 0:
                ready.append(u)
    if len(order) != n:
        raise ValueError("the execution log's graph has a cycle")
    return order


def makespan(dur, deps, workers, overhead, rest, users):
    """List schedule: `workers` machines; an action costs dur + overhead once its deps end."""
    n = len(dur)
    indeg = [len(d) for d in deps]
    ready = [(-rest[i], i) for i in range(n) if indeg[i] == 0]
    heapq.heapify(ready)
    running = []  # (end time, node)
    t, free = 0.0, workers
    done = 0
    while done < n:
        while ready and free:
            _, i = heapq.heappop(ready)
            heapq.heappush(running, (t + dur[i] + overhead, i))
            free -= 1
        t, i = heapq.heappop(running)
        free += 1
        done += 1
        for u in users[i]:
            indeg[u] -= 1
            if indeg[u] == 0:
                heapq.heappush(ready, (-rest[u], u))
    return t


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--exec_log", required=True)
    p.add_argument("--durations")
    p.add_argument("--profile")
    p.add_argument("--overhead", type=float)
    p.add_argument("--local", action="store_true",
                   help="--profile is of a local build: an action's duration is its wall time there (nothing "
                        "subtracted); --overhead, required, is added per action in the schedule only")
    p.add_argument("--workers", default="1,2,4,8,16,32,64,1000")
    a = p.parse_args()
    if a.local and (a.overhead is None or not a.profile or a.durations):
        p.error("--local needs --profile and --overhead, and no --durations")
    with open(a.exec_log) as f:
        nodes, deps = graph(list(spawns(f.read())))
    execs = {}
    if a.durations:
        with open(a.durations) as f:
            for line in f:
                secs, _, argv = line.rstrip("\n").partition("\t")
                if secs:
                    execs[argv] = float(secs)  # the last run of a command wins
    walls = profile_walls(a.profile) if a.profile else {}
    both = [walls[pm] - execs[argv] for _, argv, pm, _ in nodes if pm in walls and argv in execs]
    overhead = a.overhead if a.overhead is not None else (statistics.mean(both) if both else 0.0)
    dur, missing = [], 0
    for _, argv, pm, _ in nodes:
        if argv in execs:
            dur.append(execs[argv])
        elif pm in walls:
            dur.append(walls[pm] if a.local else max(walls[pm] - overhead, 0.0))
        else:
            dur.append(0.0)
            missing += 1
    end, rest, users = longest_paths(dur, deps)
    work, crit = sum(dur), max(end, default=0.0)
    print(f"actions {len(nodes)} ({len(nodes) - missing} with a measured duration; {len(execs)} worker-timed)")
    print(f"summed execution W = {work:.1f} s, critical path C = {crit:.1f} s, width W/C = {work / crit if crit else 0:.1f}")
    print("summed execution by mnemonic: " + ", ".join(f"{m} {t:.1f} s ({c})" for m, t, c in by_mnemonic(nodes, dur)[:8]))
    chain = critical_chain(dur, deps, end)
    print(f"critical path, {len(chain)} actions: " + ", ".join(f"{m} {t:.1f} s ({c})" for m, t, c in by_mnemonic(nodes, dur, chain)))
    if a.local:
        print(f"per-action remote overhead = {overhead:.2f} s (given; durations: the local build's wall times)")
    elif both:
        print(f"per-action remote overhead = {overhead:.2f} s (mean of Bazel wall - worker execution over {len(both)} actions;"
              f" median {statistics.median(both):.2f} s)")
    else:
        print(f"per-action remote overhead = {overhead:.2f} s (given)")
    print("workers  makespan_s  speedup(W/makespan)")
    for w in [int(x) for x in a.workers.split(",")]:
        m = makespan(dur, deps, w, overhead, rest, users)
        print(f"{w:7d}  {m:10.1f}  {work / m:8.2f}")


if __name__ == "__main__":
    sys.exit(main())
