"""Tests for execlog.py, the JSON execution-log reader."""

from absl.testing import absltest

from tools.common import execlog

_LOG = """{
  "commandArgs": ["a"],
  "mnemonic": "KernelCompile",
  "actualOutputs": [{"path": "bazel-out/k8-fastbuild/bin/a.o"}],
  "remoteCacheHit": true
}
{
  "mnemonic": "KernelCompile",
  "listedOutputs": ["bazel-out/k8-fastbuild/bin/b.o"]
}{"mnemonic": "KernelLink", "runner": "remote"}
"""


class ExeclogTest(absltest.TestCase):
    def test_concatenated_objects(self):
        log = list(execlog.spawns(_LOG))
        self.assertLen(log, 3)
        self.assertEqual(execlog.by_mnemonic(log), {"KernelCompile": 2, "KernelLink": 1})
        ran = execlog.executed(log)
        self.assertEqual([s["mnemonic"] for s in ran], ["KernelCompile", "KernelLink"])
        self.assertEqual(execlog.outputs(log[0]), ["bazel-out/k8-fastbuild/bin/a.o"])
        self.assertEqual(execlog.outputs(log[1]), ["bazel-out/k8-fastbuild/bin/b.o"])
        self.assertEqual(execlog.outputs(log[2]), [])

    def test_empty(self):
        self.assertEqual(list(execlog.spawns(" \n")), [])

    def test_not_a_log(self):
        with self.assertRaisesRegex(execlog.LogError, r"^x.log:2: not a JSON execution log"):
            list(execlog.spawns('{"a": 1}\n{truncated', "x.log"))
        with self.assertRaisesRegex(execlog.LogError, "object 1 is a list"):
            list(execlog.spawns("[1, 2]", "x.log"))


if __name__ == "__main__":
    absltest.main()
