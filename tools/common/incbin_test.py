"""Tests of tools/common/incbin.py."""

import os
import tempfile

from absl.testing import absltest

from tools.common import incbin


def _write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def _read(path):
    with open(path, "rb") as f:
        return f.read()


class IncbinTest(absltest.TestCase):
    def test_parse(self):
        self.assertEqual(incbin.parse("kernel/config_data.gz=bazel-out/k/config_data.gz"),
                         ("kernel/config_data.gz", "bazel-out/k/config_data.gz"))
        for bad in ("x", "=y", "/abs=y", "../up=y", "a="):
            with self.assertRaises(incbin.IncbinError):
                incbin.parse(bad)

    def test_parse_all_wants_existing_files(self):
        with tempfile.TemporaryDirectory() as d:
            _write(os.path.join(d, "gz"), b"gz")
            self.assertEqual(incbin.parse_all([f"kernel/config_data.gz={d}/gz"]), [("kernel/config_data.gz", f"{d}/gz")])
            with self.assertRaisesRegex(incbin.IncbinError, r"--incbin=k/x=.*/none: no such file"):
                incbin.parse_all([f"k/x={d}/none"])

    def test_mirror(self):
        with tempfile.TemporaryDirectory() as d:
            cwd, tmp = os.path.join(d, "execroot"), os.path.join(d, "tmp")
            _write(os.path.join(cwd, "bazel-out/x.o"), b"x")
            _write(os.path.join(cwd, "kernel/BUILD"), b"b")  # a top-level dir the name shares
            _write(os.path.join(cwd, "gen/config_data.gz"), b"gz")
            os.mkdir(tmp)
            incbin.mirror(tmp, cwd, [("kernel/config_data.gz", os.path.join(cwd, "gen/config_data.gz")),
                                      ("arch/arm64/vdso.so", os.path.join(cwd, "gen/config_data.gz"))])
            self.assertEqual(_read(os.path.join(tmp, "bazel-out/x.o")), b"x")
            self.assertEqual(_read(os.path.join(tmp, "kernel/config_data.gz")), b"gz")
            self.assertEqual(_read(os.path.join(tmp, "kernel/BUILD")), b"b")
            self.assertEqual(_read(os.path.join(tmp, "arch/arm64/vdso.so")), b"gz")
            self.assertFalse(os.path.exists(os.path.join(cwd, "kernel/config_data.gz")))


if __name__ == "__main__":
    absltest.main()
