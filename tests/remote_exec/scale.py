"""Scale on paper: how wide is a build's action graph, and what would N workers give?

    python3 scale.py --exec_log=X.json [--durations=D.tsv] [--profile=P.gz] [--overhead=S,D,C]
    python3 scale.py --exec_log=X.json --profile=P.gz --local --overhead=S,D,C   # a local build

--exec_log: Bazel's --execution_log_json_file of the build (concatenated JSON objects): the
  graph (an action depends on the actions whose outputs it reads).
--durations: `EXEC<TAB>BUSY<TAB>QUEUED<TAB>ARGV` lines, seconds: each action's execution time on
  a worker, the time the worker spent on it, and its time in the queue (BuildGrid's job
  timestamps; engine.sh re_durations, written by run.sh from its PostgreSQL); matched to the
  log by the command line. Without it, or for an action it lacks, the duration is the
  action's wall time in --profile ("action processing" events, matched by progress message)
  minus the overhead.
--profile: Bazel's --profile of the build (gzipped JSON trace).
--local: the log and profile are of a local build without caches (defconfig, where a remote
  run on this box's 2 cores would take hours): each duration is the local wall time, and
  --overhead (measured in a remote run) is added in the schedule.
--overhead: STAGE,DISPATCH,CLIENT seconds (class Overhead). Default: measured from
  --durations and --profile (measured_overhead).

Prints: actions, summed execution time W, critical path C (longest chain, durations only),
width W / C, W and the critical path by mnemonic, the overhead, then for N workers the
makespan of a list schedule (ready actions by longest remaining path first; event
simulation with the overhead, and without it) and the speedup W / makespan. Standard
library only.
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


class Overhead:
    """What remote execution adds to an action, in seconds (tests/remote_exec/run.sh measures
    them on BuildGrid): `stage` keeps the worker busy beyond the command (fetching the inputs
    into the sandbox, uploading the outputs); `dispatch` passes before a free worker starts a
    ready action (the scheduler's assignment); `client` is Bazel's part (the Merkle tree,
    uploads, the Execute call, the download), after which the action's users are ready."""

    def __init__(self, stage=0.0, dispatch=0.0, client=0.0):
        self.stage, self.dispatch, self.client = stage, dispatch, client

    def __str__(self):
        return (f"stage {self.stage:.2f} s (worker busy), dispatch {self.dispatch:.2f} s, client {self.client:.2f} s:"
                f" {self.stage + self.dispatch + self.client:.2f} s per action")


def makespan(dur, deps, workers, rest, users, over=None):
    """Event simulation of a list schedule on `workers` single-action workers: an action is
    ready when its deps are done, reaches a free worker `dispatch` later (longest remaining
    path first), holds it for dur + stage, and is done `client` after that."""
    over = over or Overhead()
    n = len(dur)
    indeg = [len(d) for d in deps]
    arriving = [(over.dispatch, i) for i in range(n) if indeg[i] == 0]  # (time at the scheduler, node)
    heapq.heapify(arriving)
    ready, events = [], []  # (-rest, node); (time, kind, node): kind 0 frees a worker, 1 finishes
    t, free, done, last = 0.0, workers, 0, 0.0
    while done < n:
        while arriving and arriving[0][0] <= t:
            _, i = heapq.heappop(arriving)
            heapq.heappush(ready, (-rest[i], i))
        while ready and free:
            _, i = heapq.heappop(ready)
            free -= 1
            heapq.heappush(events, (t + dur[i] + over.stage, 0, i))
            heapq.heappush(events, (t + dur[i] + over.stage + over.client, 1, i))
        t = min(events[0][0] if events else float("inf"), arriving[0][0] if arriving else float("inf"))
        while events and events[0][0] <= t:
            when, kind, i = heapq.heappop(events)
            if kind == 0:
                free += 1
                continue
            done += 1
            last = max(last, when)
            for u in users[i]:
                indeg[u] -= 1
                if indeg[u] == 0:
                    heapq.heappush(arriving, (when + over.dispatch, u))
    return last


def read_durations(path):
    """{argv: (execution, worker busy, queued)} from run.sh's durations file (the last run of a
    command wins): `EXEC<TAB>BUSY<TAB>QUEUED<TAB>ARGV` lines, seconds."""
    out = {}
    with open(path) as f:
        for n, line in enumerate(f, 1):
            parts = line.rstrip("\n").split("\t", 3)
            if len(parts) != 4:
                raise ValueError(f"{path}:{n}: not EXEC<TAB>BUSY<TAB>QUEUED<TAB>ARGV")
            out[parts[3]] = (float(parts[0]), float(parts[1]), float(parts[2]))
    return out


def measured_overhead(nodes, execs, walls):
    """Overhead from a remote build: stage = mean(busy - execution); dispatch = the 5th
    percentile of the queueing time (an action that found a worker free still waited that
    long); client = mean(Bazel's wall time - (queued + busy)). None without matches."""
    rows = [(execs[argv], walls[pm]) for _, argv, pm, _ in nodes if argv in execs and pm in walls]
    if not rows:
        return None
    queued = sorted(q for (_, _, q), _ in rows)
    return Overhead(stage=statistics.mean(b - e for (e, b, _), _ in rows),
                    dispatch=queued[len(queued) // 20],
                    client=max(statistics.mean(w - q - b for (_, b, q), w in rows), 0.0))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--exec_log", required=True)
    p.add_argument("--durations")
    p.add_argument("--profile")
    p.add_argument("--overhead", help="STAGE,DISPATCH,CLIENT seconds (default: measured from --durations and --profile)")
    p.add_argument("--local", action="store_true",
                   help="--profile is of a local build: an action's duration is its wall time there; --overhead, "
                        "required, is added in the schedule only")
    p.add_argument("--workers", default="1,2,4,8,16,32,64,1000")
    a = p.parse_args()
    if a.local and (a.overhead is None or not a.profile or a.durations):
        p.error("--local needs --profile and --overhead, and no --durations")
    with open(a.exec_log) as f:
        nodes, deps = graph(list(spawns(f.read())))
    execs = read_durations(a.durations) if a.durations else {}
    walls = profile_walls(a.profile) if a.profile else {}
    if a.overhead:
        over = Overhead(*(float(x) for x in a.overhead.split(",")))
        how = "given"
    else:
        over = measured_overhead(nodes, execs, walls) or Overhead()
        how = "measured: BuildGrid's job times and Bazel's profile" if execs and walls else "none measured"
    dur, missing, timed = [], 0, 0
    for _, argv, pm, _ in nodes:
        if argv in execs:
            dur.append(execs[argv][0])
            timed += 1
        elif pm in walls:
            # Remote without a job time: the wall minus what the overhead accounts for.
            dur.append(walls[pm] if a.local else max(walls[pm] - over.stage - over.dispatch - over.client, 0.0))
        else:
            dur.append(0.0)
            missing += 1
    if missing > len(nodes) // 100:
        # Bazel's default --slim_profile merges short events of a large build: their actions
        # would count as 0 s and the width would be wrong.
        sys.exit(f"scale.py: {missing} of {len(nodes)} actions have no duration in {a.profile or 'the profile'}"
                 f"{' or ' + a.durations if a.durations else ''}; build with --noslim_profile")
    end, rest, users = longest_paths(dur, deps)
    work, crit = sum(dur), max(end, default=0.0)
    print(f"actions {len(nodes)} ({len(nodes) - missing} with a measured duration; {timed} worker-timed)")
    print(f"summed execution W = {work:.1f} s, critical path C = {crit:.1f} s, width W/C = {work / crit if crit else 0:.1f}")
    print("summed execution by mnemonic: " + ", ".join(f"{m} {t:.1f} s ({c})" for m, t, c in by_mnemonic(nodes, dur)[:8]))
    chain = critical_chain(dur, deps, end)
    print(f"critical path, {len(chain)} actions: " + ", ".join(f"{m} {t:.1f} s ({c})" for m, t, c in by_mnemonic(nodes, dur, chain)))
    print(f"remote overhead ({how}{'; durations: local wall times' if a.local else ''}): {over}")
    print("workers  makespan_s  speedup(W/makespan)  makespan_without_overhead_s")
    for w in [int(x) for x in a.workers.split(",")]:
        m = makespan(dur, deps, w, rest, users, over)
        m0 = makespan(dur, deps, w, rest, users)
        print(f"{w:7d}  {m:10.1f}  {work / m:8.2f}  {m0:10.1f}")


if __name__ == "__main__":
    sys.exit(main())
