"""stage.py end to end with stand-in depmods: the layout, and its failures leave nothing."""

import os
import subprocess
import sys

from absl.testing import absltest

from tools.dist import lib

_STAGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stage.py")


def _write(path, data, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(data)
    os.chmod(path, mode)
    return path


class StageTest(absltest.TestCase):
    def setUp(self):
        super().setUp()
        self.d = self.create_tempdir().full_path
        self.out = os.path.join(self.d, "out")
        os.makedirs(self.out)  # Bazel creates a tree artifact's directory
        self.args = [
            "--out=" + self.out,
            "--release_file=" + _write(os.path.join(self.d, "kernel.release"), "6.1.7\n"),
            "--system_map=" + _write(os.path.join(self.d, "System.map"), "0 T _text\n"),
            "--file=vmlinux=" + _write(os.path.join(self.d, "vmlinux"), "ELF"),
            "--file=.config=" + _write(os.path.join(self.d, "config"), "CONFIG_MODULES=y\n"),
            "--order=" + _write(os.path.join(self.d, "modules.order"), "lib/a.ko\ndrivers/b.ko\n"),
            "--builtin=" + _write(os.path.join(self.d, "modules.builtin"), ""),
            "--ko=lib/a.ko=" + _write(os.path.join(self.d, "a.ko"), "A"),
            "--ko=drivers/b.ko=" + _write(os.path.join(self.d, "b.ko"), "B"),
        ]

    def _depmod(self, body):
        return "--depmod=" + _write(os.path.join(self.d, "depmod"), "#!/bin/sh\n" + body, 0o755)

    def _run(self, *extra):
        return subprocess.run([sys.executable, "-S", "-s", "-B", "-P", _STAGE, *self.args, *extra],
                              capture_output=True, text=True, check=False, env=dict(os.environ))

    def test_layout(self):
        # A depmod that writes every file into ROOT/lib/modules/RELEASE (args: -ae -F MAP -b ROOT REL: $5 ROOT, $6 REL).
        files = " ".join(lib.DEPMOD_FILES)
        proc = self._run(self._depmod(f'for f in {files}; do echo "$6" > "$5/lib/modules/$6/$f"; done\n'))
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stderr, "")
        got = lib.walk_files(self.out)
        mod = "modules_install/lib/modules/6.1.7/"
        for want in [".config", "System.map", "vmlinux", "a.ko", "b.ko", "modules.order", "modules.builtin",
                     mod + "kernel/lib/a.ko", mod + "kernel/drivers/b.ko", mod + "modules.order",
                     mod + "modules.builtin", mod + "modules.dep.bin", "MANIFEST"]:
            self.assertIn(want, got)
        with open(os.path.join(self.out, mod, "modules.order")) as f:
            self.assertEqual(f.read(), "kernel/lib/a.ko\nkernel/drivers/b.ko\n")
        with open(os.path.join(self.out, "MANIFEST")) as f:
            listed = [p for p, _ in lib.parse_manifest(f.read(), "MANIFEST")]
        self.assertEqual(listed, [p for p in got if p != "MANIFEST"])

    def test_unknown_symbol_fails_and_leaves_nothing(self):
        proc = self._run(self._depmod('echo "depmod: WARNING: $5/lib/modules/$6/kernel/lib/a.ko needs unknown symbol foo" >&2\n'))
        self.assertEqual(proc.returncode, 1)
        self.assertRegex(proc.stderr, r"^dist: depmod: depmod: WARNING: .*a\.ko needs unknown symbol foo\n$")
        self.assertEqual(os.listdir(self.out), [])

    def test_depmod_that_writes_nothing(self):
        proc = self._run(self._depmod("exit 0\n"))
        self.assertEqual(proc.returncode, 1)
        self.assertRegex(proc.stderr, r"^dist: depmod wrote no modules_install/lib/modules/6\.1\.7/modules\.dep\n$")
        self.assertEqual(os.listdir(self.out), [])

    def test_failing_depmod(self):
        proc = self._run(self._depmod("echo 'depmod: FATAL: could not search modules' >&2; exit 1\n"))
        self.assertEqual(proc.returncode, 1)
        self.assertRegex(proc.stderr, r"^dist: depmod exited 1: depmod: FATAL: could not search modules\n$")
        self.assertEqual(os.listdir(self.out), [])

    def test_module_missing_from_order(self):
        proc = self._run(self._depmod("exit 0\n"), "--ko=lib/c.ko=" + os.path.join(self.d, "a.ko"))
        self.assertEqual(proc.returncode, 1)
        self.assertRegex(proc.stderr, r"^dist: lib/c.ko: not in modules.order\n$")
        self.assertEqual(os.listdir(self.out), [])


if __name__ == "__main__":
    absltest.main()
