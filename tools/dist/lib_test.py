"""Tests of tools/dist/lib.py."""

import os
import tempfile

from absl.testing import absltest

from tools.dist import lib


class DistLibTest(absltest.TestCase):
    def test_release(self):
        self.assertEqual(lib.check_release("6.1.192\n", "r"), "6.1.192")
        for bad in ["", "6.1 x", "../6.1", "..", "a/b"]:
            with self.assertRaisesRegex(lib.DistError, r"^r: .* is not a kernel release"):
                lib.check_release(bad, "r")

    def test_install_layout(self):
        kos = {"lib/a.ko": "/x/a.ko", "drivers/b/b.ko": "/x/b.ko"}
        out = lib.install_layout("6.1.1", kos, ["lib/a.ko", "drivers/b/b.ko"])
        self.assertEqual(out, {
            "a.ko": "/x/a.ko",
            "b.ko": "/x/b.ko",
            "modules_install/lib/modules/6.1.1/kernel/lib/a.ko": "/x/a.ko",
            "modules_install/lib/modules/6.1.1/kernel/drivers/b/b.ko": "/x/b.ko",
        })
        with self.assertRaisesRegex(lib.DistError, r"^modules.order: lib/c.ko has no .ko"):
            lib.install_layout("r", kos, ["lib/a.ko", "lib/c.ko"])
        with self.assertRaisesRegex(lib.DistError, r"^drivers/b/b.ko: not in modules.order"):
            lib.install_layout("r", kos, ["lib/a.ko"])
        with self.assertRaisesRegex(lib.DistError, r"a second module named a.ko"):
            lib.install_layout("r", {"lib/a.ko": "1", "x/a.ko": "2"}, ["lib/a.ko", "x/a.ko"])
        with self.assertRaisesRegex(lib.DistError, r"is not a relative .ko path"):
            lib.install_layout("r", {"../a.ko": "1"}, ["../a.ko"])

    def test_installed_order(self):
        self.assertEqual(lib.installed_order("lib/a.ko\ndrivers/b.ko\n"), "kernel/lib/a.ko\nkernel/drivers/b.ko\n")

    def test_depmod(self):
        self.assertEqual(lib.depmod_command("depmod", "/r", "S.map", "6.1"),
                         ["depmod", "-ae", "-F", "S.map", "-b", "/r", "6.1"])
        lib.check_depmod_output("")
        with self.assertRaisesRegex(lib.DistError, r"^depmod: depmod: WARNING: /r/a.ko needs unknown symbol foo$"):
            lib.check_depmod_output("depmod: WARNING: /r/a.ko needs unknown symbol foo\n")

    def test_manifest_round_trip(self):
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(os.path.join(d, "m/k"))
            for rel, data in [("b", b"B"), ("m/k/a.ko", b"A"), (".config", b"C")]:
                with open(os.path.join(d, rel), "wb") as f:
                    f.write(data)
            files = lib.walk_files(d)
            self.assertEqual(files, [".config", "b", "m/k/a.ko"])
            text = lib.manifest_text((p, lib.sha256_file(os.path.join(d, p))) for p in reversed(files))
            self.assertEqual([p for p, _ in lib.parse_manifest(text, "M")], files)
            self.assertIn("df7e70e5021544f4834bbee64a9e3789febc4be81470df629cad6ddb03320a5c  b\n", text)
            os.symlink("b", os.path.join(d, "l"))
            with self.assertRaisesRegex(lib.DistError, r"a symlink in the dist tree"):
                lib.walk_files(d)
        with self.assertRaisesRegex(lib.DistError, r"^M:1: want `<sha256>  <path>`"):
            lib.parse_manifest("nope\n", "M")
        with self.assertRaisesRegex(lib.DistError, r"^M:1: '../x' leaves the dist directory"):
            lib.parse_manifest("0" * 64 + "  ../x\n", "M")

    def test_dist_dir(self):
        self.assertEqual(lib.dist_dir("out/", {"BUILD_WORKSPACE_DIRECTORY": "/ws"}, "/run"), "/ws/out")
        self.assertEqual(lib.dist_dir("/abs", {"BUILD_WORKSPACE_DIRECTORY": "/ws"}, "/run"), "/abs")
        self.assertEqual(lib.dist_dir("out", {}, "/run"), "/run/out")
        with self.assertRaisesRegex(lib.DistError, r"^--dist_dir is empty"):
            lib.dist_dir("", {}, "/")


if __name__ == "__main__":
    absltest.main()
