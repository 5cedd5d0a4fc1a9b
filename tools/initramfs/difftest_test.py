"""Differential test: tools/initramfs against the kernel's own usr/gen_init_cpio.

Builds usr/gen_init_cpio.c of @linux with the hermetic clang against the pinned sysroot,
then packs several lists with both (`gen_init_cpio -t 0 [-c]` and `initramfs --list`) and
requires byte-identical archives. gen_init_cpio takes a file's mtime from the file, so
the input files get mtime 0 first (tools/initramfs always writes 0). Also checks that bad
input gives one error line with the line number and exit status 1, no traceback.
"""

import os
import subprocess

from absl import flags
from absl.testing import absltest

_CLANG = flags.DEFINE_string("clang", None, "The hermetic clang.", required=True)
_SYSROOT = flags.DEFINE_string("sysroot_file", None, "A file at the root of the host sysroot.", required=True)
_SOURCE = flags.DEFINE_string("gen_init_cpio_c", None, "The kernel's usr/gen_init_cpio.c.", required=True)
_TOOL = flags.DEFINE_string("initramfs", None, "tools/initramfs.", required=True)
_BUSYBOX = flags.DEFINE_multi_string("busybox", [], "busybox-static binaries to pack as a tree.")

_APPLETS = ["sh", "ash", "cat", "echo", "insmod", "rmmod", "lsmod", "mount", "umount", "poweroff",
            "reboot", "mkdir", "ls", "dmesg", "sleep", "uname", "init", "modprobe"]


class DiffTest(absltest.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = os.path.join(absltest.get_default_test_tmpdir(), "difftest")
        os.makedirs(cls.tmp, exist_ok=True)
        cls.gen = os.path.join(cls.tmp, "gen_init_cpio")
        sysroot = os.path.dirname(os.path.abspath(_SYSROOT.value))
        subprocess.run([
            os.path.abspath(_CLANG.value), "-no-canonical-prefixes", "--target=x86_64-linux-gnu",
            f"--sysroot={sysroot}", "-fuse-ld=lld", "-static", "-O2", "-w",
            "-o", cls.gen, os.path.abspath(_SOURCE.value),
        ], check=True)
        cls.files = os.path.join(cls.tmp, "files")
        os.makedirs(cls.files, exist_ok=True)
        contents = {
            "empty": b"",
            "one": b"x",
            "three": b"abc",
            "four": b"abcd",
            "odd": bytes(range(256)) * 7 + b"tail",
            "script": b"#!/bin/sh\necho hello\n",
        }
        for name, data in contents.items():
            with open(os.path.join(cls.files, name), "wb") as f:
                f.write(data)
        for i, path in enumerate(_BUSYBOX.value):
            with open(path, "rb") as src, open(os.path.join(cls.files, f"busybox{i}"), "wb") as dst:
                dst.write(src.read())
        for name in os.listdir(cls.files):
            os.utime(os.path.join(cls.files, name), (0, 0))

    def _both(self, name, text, csum=False):
        lst = os.path.join(self.tmp, name + ".list")
        with open(lst, "w") as f:
            f.write(text)
        want = subprocess.run([self.gen, "-t", "0"] + (["-c"] if csum else []) + [lst],
                              cwd=self.tmp, capture_output=True, check=True).stdout
        out = os.path.join(self.tmp, name + ".cpio")
        proc = subprocess.run([os.path.abspath(_TOOL.value), f"--list={lst}", f"--out={out}"] +
                              (["--checksum"] if csum else []), cwd=self.tmp, capture_output=True, text=True)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stdout + proc.stderr, "")
        with open(out, "rb") as f:
            got = f.read()
        self.assertGreater(len(want), 512)
        if got != want:
            first = next(i for i in range(min(len(got), len(want))) if got[i] != want[i]) \
                if got[:len(want)] != want[:len(got)] else min(len(got), len(want))
            self.fail(f"{name}: archives differ at byte {first} (ours {len(got)} bytes, "
                      f"gen_init_cpio {len(want)})")

    def test_dirs(self):
        self._both("dirs", "dir /dev 0755 0 0\ndir /root 0700 0 0\ndir tmp 1777 0 0\n"
                           "dir /a 0755 1000 1000\ndir /a/b 0555 0 0\ndir /a/b/a-longer-name_ 0711 5 6\n")

    def test_files_with_modes_and_hard_links(self):
        self._both("files", "# files\n\ndir /f 0755 0 0\n"
                            "file /f/empty files/empty 0644 0 0\n"
                            "file /f/one files/one 0600 0 0\n"
                            "file /f/three files/three 4755 0 0\n"
                            "file /f/four files/four 2711 7 8\n"
                            "file /f/odd files/odd 0444 0 0 /f/odd2 f/odd3\n"
                            "file /init files/script 0755 0 0\n")

    def test_symlinks_and_special_files(self):
        self._both("special", "dir /dev 0755 0 0\n"
                              "nod /dev/console 0600 0 0 c 5 1\n"
                              "nod /dev/null 0666 0 0 c 1 3\n"
                              "nod /dev/sda 0660 0 6 b 8 0\n"
                              "nod /dev/big 0600 0 0 c 4095 1048575\n"
                              "slink /dev/stdout /proc/self/fd/1 0777 0 0\n"
                              "slink /l x 0777 0 0\n"
                              "slink /ll abcd 0777 0 0\n"
                              "pipe /fifo 0644 0 0\n"
                              "sock /socket 0600 0 0\n")

    def test_checksums(self):
        self._both("csum", "dir /d 0755 0 0\nfile /d/odd files/odd 0644 0 0\n"
                           "file /d/empty files/empty 0644 0 0\nslink /d/l odd 0777 0 0\n", csum=True)

    def test_busybox_tree(self):
        self.assertNotEmpty(_BUSYBOX.value)
        for i, _ in enumerate(_BUSYBOX.value):
            lines = ["dir /dev 0755 0 0", "nod /dev/console 0600 0 0 c 5 1", "dir /bin 0755 0 0",
                     f"file /bin/busybox files/busybox{i} 0755 0 0"]
            lines += [f"slink /bin/{a} busybox 0777 0 0" for a in _APPLETS]
            lines += ["slink /init bin/busybox 0777 0 0", "dir /etc 0755 0 0",
                      "file /etc/init.sh files/script 0755 0 0", "dir /proc 0755 0 0",
                      "dir /lib 0755 0 0", "dir /lib/modules 0755 0 0"]
            self._both(f"busybox{i}", "\n".join(lines) + "\n")

    def test_bad_input_is_one_line(self):
        cases = [
            ("dir /a 0755 0 0\ndir /b 0755 0\n", r"bad0\.list:2: dir wants 4 fields"),
            ("dir /a 0755 0 0\n\n# c\nfile /x files/missing 0644 0 0\n", r"bad1\.list:4: files/missing: cannot read"),
            ("wat /a 0755 0 0\n", r"bad2\.list:1: unknown type 'wat'"),
            ("nod /n 0600 0 0 q 1 1\n", r"bad3\.list:1: device type 'q'"),
        ]
        for i, (text, pattern) in enumerate(cases):
            with self.subTest(i=i):
                lst = os.path.join(self.tmp, f"bad{i}.list")
                with open(lst, "w") as f:
                    f.write(text)
                proc = subprocess.run([os.path.abspath(_TOOL.value), f"--list={lst}", "--out=bad.cpio"],
                                      cwd=self.tmp, capture_output=True, text=True)
                self.assertEqual(proc.returncode, 1, proc.stderr)
                self.assertEqual(len(proc.stderr.splitlines()), 1, proc.stderr)
                self.assertRegex(proc.stderr, r"^initramfs: .*" + pattern)
                self.assertNotIn("Traceback", proc.stderr)


if __name__ == "__main__":
    absltest.main()
