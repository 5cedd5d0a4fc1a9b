"""Tests of tools/initramfs/lib.py: list parsing, the newc layout, module order, /init."""

import subprocess

from absl.testing import absltest

from tools.initramfs import lib


def _entries(text):
    return lib.parse_list(text, "x.list")


def _members(archive):
    """(name, ino, mode, nlink, filesize, rmajor, rminor, data) of each newc member."""
    out, pos = [], 0
    while True:
        h = archive[pos:pos + 110]
        assert h[:6] in (b"070701", b"070702"), h
        f = [int(h[6 + 8 * i:14 + 8 * i], 16) for i in range(13)]
        namesize, size = f[11], f[6]
        name = archive[pos + 110:pos + 110 + namesize - 1].decode()
        pos = (pos + 110 + namesize + 3) & ~3
        data = archive[pos:pos + size]
        pos = (pos + size + 3) & ~3
        if name == "TRAILER!!!":
            return out, pos
        out.append((name, f[0], f[1], f[4], size, f[9], f[10], data))


class ParseListTest(absltest.TestCase):

    def test_every_type(self):
        got = _entries(
            "# comment\n\n"
            "dir /dev 0755 0 0\n"
            "nod /dev/console 0600 0 0 c 5 1\n"
            "slink /bin/sh busybox 0777 0 0\n"
            "file /bin/busybox bb 0755 0 0 /bin/a /bin/b\n"
            "pipe /p 0644 1 2\n"
            "sock\t/s   0600 0 0\n")
        self.assertEqual([(e.kind, e.name, e.mode) for e in got], [
            ("dir", "/dev", 0o755), ("nod", "/dev/console", 0o600), ("slink", "/bin/sh", 0o777),
            ("file", "/bin/busybox", 0o755), ("pipe", "/p", 0o644), ("sock", "/s", 0o600)])
        self.assertEqual(got[3].links, ("/bin/a", "/bin/b"))
        self.assertEqual((got[1].dev_type, got[1].major, got[1].minor), ("c", 5, 1))
        self.assertEqual((got[4].uid, got[4].gid), (1, 2))
        self.assertEqual(got[2].where, "x.list:5")

    def test_errors_name_the_line(self):
        cases = [
            ("dir /a 0755 0\n", r"^x\.list:1: dir wants 4 fields \(NAME MODE UID GID\), got 3$"),
            ("\nfoo /a 0755 0 0\n", r"^x\.list:2: unknown type 'foo'"),
            ("dir /a 0789 0 0\n", r"^x\.list:1: mode '0789' is not octal"),
            ("dir /a 0755 root 0\n", r"^x\.list:1: uid 'root' is not a number$"),
            ("nod /n 0600 0 0 x 1 1\n", r"^x\.list:1: device type 'x' is not b or c$"),
            ("nod /n 0600 0 0 c -1 1\n", r"^x\.list:1: major '-1' is not a device number$"),
            ("slink /a 0777 0 0\n", r"^x\.list:1: slink wants 5 fields"),
            ("file /a ${HOME}/x 0644 0 0\n", r"^x\.list:1: .*expansion is not supported"),
        ]
        for text, pattern in cases:
            with self.subTest(text=text):
                with self.assertRaisesRegex(lib.InitramfsError, pattern):
                    _entries(text)


class WriteCpioTest(absltest.TestCase):

    def test_layout_like_gen_init_cpio(self):
        files = {"bb": b"BUSYBOX", "x": b"12345"}
        archive = lib.write_cpio(_entries(
            "dir /dev 0755 0 0\n"
            "nod /dev/console 0600 0 0 c 5 1\n"
            "slink /bin/sh busybox 0777 0 0\n"
            "file /bin/busybox bb 0755 0 0 /bin/a\n"
            "file x x 0644 0 0\n"), files.__getitem__)
        members, end = _members(archive)
        self.assertEqual(members, [
            ("dev", 721, 0o040755, 2, 0, 0, 0, b""),
            ("dev/console", 722, 0o020600, 1, 0, 5, 1, b""),
            ("bin/sh", 723, 0o120777, 1, 8, 0, 0, b"busybox\0"),
            ("bin/busybox", 724, 0o100755, 2, 0, 0, 0, b""),  # data goes with the last link
            ("bin/a", 724, 0o100755, 2, 7, 0, 0, b"BUSYBOX"),
            ("x", 725, 0o100644, 1, 5, 0, 0, b"12345"),
        ])
        self.assertEqual(len(archive) % 512, 0)
        self.assertEqual(archive[end:], b"\0" * (len(archive) - end))
        # mtime (field 6) is 0 everywhere, dev is 3:1 as in gen_init_cpio.
        self.assertEqual(archive[6 + 5 * 8:6 + 6 * 8], b"00000000")
        self.assertEqual(archive[6 + 7 * 8:6 + 9 * 8], b"0000000300000001")

    def test_checksum(self):
        archive = lib.write_cpio(_entries("file f f 0644 0 0\n"), {"f": b"\x01\x02\xff"}.__getitem__, checksum=True)
        self.assertEqual(archive[:6], b"070702")
        self.assertEqual(int(archive[6 + 12 * 8:6 + 13 * 8], 16), 0x102)

    def test_unreadable_file_names_the_line(self):
        def read(loc):
            raise lib.InitramfsError(f"{loc}: cannot read: No such file or directory")
        with self.assertRaisesRegex(lib.InitramfsError, r"^x\.list:2: nope: cannot read"):
            lib.write_cpio(_entries("dir /a 0755 0 0\nfile /b nope 0644 0 0\n"), read)

    def test_deterministic(self):
        text = "dir /a 0755 0 0\nfile /a/f f 0600 0 0\nslink /l a/f 0777 0 0\n"
        one = lib.write_cpio(_entries(text), {"f": b"data"}.__getitem__)
        self.assertEqual(one, lib.write_cpio(_entries(text), {"f": b"data"}.__getitem__))


def _mod(name, *depends):
    return lib.Module(name=name, path=f"out/{name}.ko", depends=tuple(depends))


class ModulesTest(absltest.TestCase):

    def test_parse_modinfo(self):
        info = lib.parse_modinfo(b"license=GPL\0depends=a,b\0name=test_lkm\0\0vermagic=6.1.0 SMP\0")
        self.assertEqual(info["depends"], ["a,b"])
        self.assertEqual(info["name"], ["test_lkm"])

    def test_order_is_topological_with_ties_by_name(self):
        mods = [_mod("zeta"), _mod("test_static_keys", "test_static_key_base"), _mod("alpha", "zeta"),
                _mod("test_static_key_base"), _mod("mid")]
        self.assertEqual([m.name for m in lib.order_modules(mods)],
                         ["mid", "test_static_key_base", "test_static_keys", "zeta", "alpha"])
        self.assertEqual(lib.order_modules(mods), lib.order_modules(list(reversed(mods))))

    def test_missing_dependency_names_both(self):
        with self.assertRaisesRegex(
                lib.InitramfsError,
                r"^out/test_static_keys\.ko: module test_static_keys depends on module "
                r"test_static_key_base, which is not in the initramfs; add test_static_key_base\.ko"):
            lib.order_modules([_mod("test_static_keys", "test_static_key_base")])

    def test_cycle_and_duplicate(self):
        with self.assertRaisesRegex(lib.InitramfsError, r"modules a, b depend on each other in a cycle"):
            lib.order_modules([_mod("a", "b"), _mod("b", "a"), _mod("c")])
        with self.assertRaisesRegex(lib.InitramfsError, r"module a is also out/a\.ko"):
            lib.order_modules([_mod("a"), _mod("a")])

    def test_expected_modules(self):
        mods = [_mod("b"), _mod("a", "b")]
        self.assertEqual(lib.expected_modules(mods, []), ["b", "a"])
        self.assertEqual(lib.expected_modules(mods, ["a"]), ["a"])
        with self.assertRaisesRegex(lib.InitramfsError, r"^expect_loaded: module c is not packed \(packed: a, b\)"):
            lib.expected_modules(mods, ["c"])

    def test_init_script(self):
        script = lib.init_script([_mod("base"), _mod("user", "base")])
        self.assertTrue(script.startswith("#!/bin/sh\n"))
        self.assertLess(script.index("insmod /lib/modules/base.ko"), script.index("insmod /lib/modules/user.ko"))
        self.assertIn("echo 'kernel_lto: insmod user ok'", script)
        self.assertIn('echo "kernel_lto: insmod user FAILED $?"', script)
        self.assertTrue(script.endswith("echo 'kernel_lto: init done'\npoweroff -f\n"))

    def test_init_script_runs(self):
        # The script itself, with insmod/mount/poweroff stubbed: markers in order, status kept.
        script = lib.init_script([_mod("good"), _mod("bad")])
        stubs = ("insmod() { [ \"$1\" = /lib/modules/good.ko ]; }; mount() { :; }; poweroff() { echo OFF; }\n")
        body = script.replace("export PATH=/bin\n", stubs)
        proc = subprocess.run(["/bin/sh", "-c", body], capture_output=True, text=True, check=True)
        self.assertEqual(proc.stdout, "kernel_lto: insmod good ok\nkernel_lto: insmod bad FAILED 1\n"
                                      "kernel_lto: init done\nOFF\n")

    def test_init_script_optional(self):
        # A module the boot need not load (expect_loaded names the others) fails without a
        # FAILED marker; the others keep theirs.
        self.assertEqual(lib.init_script([_mod("good")], optional=[]), lib.init_script([_mod("good")]))
        script = lib.init_script([_mod("good"), _mod("nodev"), _mod("bad")], optional=["nodev"])
        stubs = ("insmod() { [ \"$1\" = /lib/modules/good.ko ]; }; mount() { :; }; poweroff() { echo OFF; }\n")
        body = script.replace("export PATH=/bin\n", stubs)
        proc = subprocess.run(["/bin/sh", "-c", body], capture_output=True, text=True, check=True)
        self.assertEqual(proc.stdout, "kernel_lto: insmod good ok\nkernel_lto: insmod nodev not loaded 1\n"
                                      "kernel_lto: insmod bad FAILED 1\nkernel_lto: init done\nOFF\n")

    def test_init_script_commands(self):
        # Commands run after the modules, before the final marker; a child killed by a signal
        # (an oops in the kernel) does not stop the script.
        script = lib.init_script([_mod("good")], ["echo one", "sh -c 'kill -SEGV $$'; echo \"status $?\""])
        self.assertEqual(lib.init_script([_mod("good")], []), lib.init_script([_mod("good")]))
        stubs = "insmod() { :; }; mount() { :; }; poweroff() { echo OFF; }\n"
        body = script.replace("export PATH=/bin\n", stubs)
        proc = subprocess.run(["/bin/sh", "-c", body], capture_output=True, text=True, check=True)
        self.assertEqual(proc.stdout, "kernel_lto: insmod good ok\none\nstatus 139\n"
                                      "kernel_lto: init done\nOFF\n")

    def test_init_script_refused(self):
        # A refused module is tried after the others, before the commands: refused (insmod
        # failed) is the good outcome; a load prints a FAILED marker, which fails a boot test.
        script = lib.init_script([_mod("good")], ["echo one"], refused=[_mod("bad"), _mod("loads")])
        self.assertEqual(lib.init_script([_mod("good")], ["echo one"], refused=[]),
                         lib.init_script([_mod("good")], ["echo one"]))
        stubs = ("insmod() { [ \"$1\" != /lib/modules/refused/bad.ko ]; }; mount() { :; }; "
                 "poweroff() { echo OFF; }\n")
        body = script.replace("export PATH=/bin\n", stubs)
        proc = subprocess.run(["/bin/sh", "-c", body], capture_output=True, text=True, check=True)
        self.assertEqual(proc.stdout, "kernel_lto: insmod good ok\nkernel_lto: insmod bad refused 1\n"
                                      "kernel_lto: insmod loads FAILED: loaded /lib/modules/refused/loads.ko, "
                                      "which the kernel must refuse\none\nkernel_lto: init done\nOFF\n")

    def test_initramfs_list_refused(self):
        self.assertEqual(lib.initramfs_list("bb", "i", "t", [_mod("a")], refused=[]),
                         lib.initramfs_list("bb", "i", "t", [_mod("a")]))
        names = [e.name for e in _entries(lib.initramfs_list("bb", "i", "t", [_mod("a")], refused=[_mod("a")]))]
        self.assertEqual([n for n in names if n.startswith("/lib/modules/")],
                         ["/lib/modules/a.ko", "/lib/modules/refused", "/lib/modules/refused/a.ko"])

    def test_init_script_bad_commands(self):
        for bad in ["", "  ", "echo a\necho b", "echo \r", "a\0b"]:
            with self.assertRaisesRegex(lib.InitramfsError, r"^command 2: .*: want one non-empty shell line"):
                lib.init_script([], ["echo ok", bad])

    def test_shell_mode(self):
        # --shell: no poweroff; a login shell on the console's own tty (a node in /dev).
        script = lib.init_script([_mod("good")], shell=True)
        self.assertNotIn("\npoweroff -f\n", script)
        self.assertTrue(script.endswith(f"echo '{lib.SHELL_HINT}'\n"))
        self.assertEqual(lib.shell_inittab("arm64"), lib.INITTAB + "ttyAMA0::respawn:-/bin/sh\n")
        self.assertEqual(lib.shell_inittab("x86_64"), lib.INITTAB + "ttyS0::respawn:-/bin/sh\n")
        plain = lib.initramfs_list("bb", "<g>/init.sh", "<g>/inittab", [_mod("a")])
        for arch, (tty, major, minor) in lib.CONSOLE_TTY.items():
            entries = {e.name: e for e in _entries(lib.initramfs_list(
                "bb", "<g>/init.sh", "<g>/inittab", [_mod("a")], shell_arch=arch, profile="<g>/profile"))}
            self.assertEqual((entries[f"/dev/{tty}"].major, entries[f"/dev/{tty}"].minor), (major, minor))
            self.assertIn("/etc/profile", entries)
            self.assertIn("/bin/vi", entries)
            self.assertNotIn(f"/dev/{tty}", plain)
        self.assertNotIn("/etc/profile", plain)

    def test_initramfs_list_parses(self):
        text = lib.initramfs_list("bb", "<g>/init.sh", "<g>/inittab", [_mod("b"), _mod("a", "b")])
        entries = _entries(text)
        names = [e.name for e in entries]
        self.assertIn("/init", names)
        self.assertEqual([n for n in names if n.startswith("/lib/modules/")], ["/lib/modules/b.ko", "/lib/modules/a.ko"])
        self.assertEqual({e.name for e in entries if e.kind == "slink" and e.name.startswith("/bin/")},
                         {"/bin/" + a for a in lib.APPLETS})


if __name__ == "__main__":
    absltest.main()
