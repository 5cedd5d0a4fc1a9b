"""Tests of scale.py's graph, critical path and list schedule (python3 scale_test.py)."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scale  # noqa: E402


def spawn(out, ins=(), argv=None):
    return {"actualOutputs": [{"path": out}], "inputs": [{"path": p} for p in ins],
            "commandArgs": argv or ["cc", out], "progressMessage": out, "mnemonic": "Cc"}


class ScaleTest(unittest.TestCase):
    def setUp(self):
        # a, b independent; c reads both; d reads c and a source file.
        log = [spawn("a"), spawn("b"), spawn("c", ["a", "b"]), spawn("d", ["c", "src.c"])]
        self.nodes, self.deps = scale.graph(log)

    def test_graph_edges_from_inputs(self):
        self.assertEqual([set(), set(), {0, 1}, {2}], self.deps)

    def test_spawns_reads_concatenated_objects(self):
        text = json.dumps(spawn("a")) + "\n" + json.dumps(spawn("b"))
        self.assertEqual(["a", "b"], [s["actualOutputs"][0]["path"] for s in scale.spawns(text)])

    def test_critical_path_and_makespan(self):
        dur = [2.0, 5.0, 1.0, 1.0]
        end, rest, users = scale.longest_paths(dur, self.deps)
        self.assertEqual(7.0, max(end))  # b -> c -> d
        self.assertEqual(9.0, scale.makespan(dur, self.deps, 1, rest, users))
        self.assertEqual(7.0, scale.makespan(dur, self.deps, 2, rest, users))
        # 1 s of worker time per action on the 3-action chain
        self.assertEqual(10.0, scale.makespan(dur, self.deps, 8, rest, users, scale.Overhead(stage=1.0)))
        # staging holds the worker: on 1 worker each of the 4 actions adds 1 s
        self.assertEqual(13.0, scale.makespan(dur, self.deps, 1, rest, users, scale.Overhead(stage=1.0)))
        # dispatch and client latency hold no worker: on 1 worker, a and b overlap them
        over = scale.Overhead(dispatch=0.5, client=0.25)
        self.assertEqual(9.0 + 3 * 0.75, scale.makespan(dur, self.deps, 1, rest, users, over))

    def test_measured_overhead(self):
        nodes = [("a", "cc a", "A", "Cc"), ("b", "cc b", "B", "Cc")]
        execs = {"cc a": (1.0, 2.0, 0.5), "cc b": (3.0, 3.5, 1.5)}  # exec, busy, queued
        over = scale.measured_overhead(nodes, execs, {"A": 3.0, "B": 5.5})
        self.assertAlmostEqual(0.75, over.stage)  # mean(1.0, 0.5)
        self.assertAlmostEqual(0.5, over.dispatch)  # the fastest queueing
        self.assertAlmostEqual(0.5, over.client)  # mean(3.0 - 2.5, 5.5 - 5.0)
        self.assertIsNone(scale.measured_overhead(nodes, execs, {}))

    def test_read_durations(self):
        path = os.path.join(os.environ.get("TEST_TMPDIR", "/tmp"), "d.tsv")
        with open(path, "w") as f:
            f.write("0.5\t1.0\t0.25\tcc -c a.c\tx\n")
        self.assertEqual({"cc -c a.c\tx": (0.5, 1.0, 0.25)}, scale.read_durations(path))
        with open(path, "w") as f:
            f.write("0.5\tcc -c a.c\n")
        with self.assertRaises(ValueError):
            scale.read_durations(path)

    def test_critical_chain_and_mnemonics(self):
        dur = [2.0, 5.0, 1.0, 1.0]
        end, _, _ = scale.longest_paths(dur, self.deps)
        self.assertEqual([1, 2, 3], scale.critical_chain(dur, self.deps, end))  # b -> c -> d
        nodes = [(n, a, p, m) for (n, a, p, _), m in zip(self.nodes, ["Cc", "Cc", "Link", "Cc"])]
        self.assertEqual([("Cc", 8.0, 3), ("Link", 1.0, 1)], scale.by_mnemonic(nodes, dur))
        self.assertEqual([("Cc", 6.0, 2), ("Link", 1.0, 1)], scale.by_mnemonic(nodes, dur, [1, 2, 3]))

    def test_cycle_is_an_error(self):
        with self.assertRaises(ValueError):
            scale.topo([{1}, {0}])


if __name__ == "__main__":
    unittest.main()
