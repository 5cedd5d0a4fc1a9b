"""Tests of tools/boot/lib.py."""

import os
import tempfile

from absl.testing import absltest

from tools.boot import lib


class QemuCommandTest(absltest.TestCase):
    def test_arm64(self):
        cmd = lib.qemu_command("q", "arm64", "Image", "i.cpio", ["loglevel=8", " "])
        self.assertEqual(cmd[:3], ["q", "-machine", "virt"])
        self.assertIn("-nographic", cmd)
        self.assertEqual(cmd[-6:], ["-kernel", "Image", "-initrd", "i.cpio", "-append",
                                    "console=ttyAMA0 panic=-1 loglevel=8"])

    def test_x86_64_drive_memory_args(self):
        cmd = lib.qemu_command("q", "x86_64", "bzImage", None, ["root=/dev/vda"], ["/r.img", "/d.qcow2"],
                               ["-smp", "2"], "1G")
        self.assertNotIn("-initrd", cmd)
        self.assertEqual(cmd[cmd.index("-m") + 1], "1G")
        self.assertEqual(cmd[cmd.index("-drive") + 1], "file=/r.img,format=raw,if=virtio")
        self.assertIn("file=/d.qcow2,format=qcow2,if=virtio", cmd)
        self.assertLess(cmd.index("-smp"), cmd.index("-kernel"))
        self.assertEqual(cmd[-1], "console=ttyS0 panic=-1 root=/dev/vda")

    def test_errors(self):
        with self.assertRaisesRegex(lib.BootError, r"^unknown arch 'riscv'"):
            lib.qemu_command("q", "riscv", "k")
        with self.assertRaisesRegex(lib.BootError, r"^--drive=/a,b: QEMU cannot take a ','"):
            lib.drive_args("/a,b")


class UserPathTest(absltest.TestCase):
    def test_relative_to_build_working_directory(self):
        with tempfile.TemporaryDirectory() as d:
            open(os.path.join(d, "my.cpio"), "w").close()
            self.assertEqual(lib.user_path("initrd", "my.cpio", {"BUILD_WORKING_DIRECTORY": d}, "/nowhere"),
                             os.path.join(d, "my.cpio"))
            self.assertEqual(lib.user_path("initrd", "my.cpio", {}, d), os.path.join(d, "my.cpio"))
            with self.assertRaisesRegex(lib.BootError, r"^--initrd=gone.cpio: no such file .*relative to the directory"):
                lib.user_path("initrd", "gone.cpio", {"BUILD_WORKING_DIRECTORY": d}, "/")
            with self.assertRaisesRegex(lib.BootError, r"^--drive: empty path"):
                lib.user_path("drive", "", {}, d)


if __name__ == "__main__":
    absltest.main()
