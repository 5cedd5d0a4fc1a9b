"""Tests for tools/boot_test: parsing on real console logs, runs against a fake QEMU."""

import os
import subprocess
import sys
import textwrap
import time

from absl.testing import absltest

try:
    from tools.boot_test import lib
except ImportError:
    # Run as a script: this file's directory is first on sys.path.
    import lib

_HERE = os.path.dirname(os.path.abspath(__file__))
_TESTDATA = os.path.join(_HERE, "testdata")


def _read_path(path):
    with open(path) as f:
        return f.read()


def _read(name):
    return _read_path(os.path.join(_TESTDATA, name))


def _fake_qemu(tmp, log_text, *, then="exec sleep 60", status=0, stderr=""):
    """A /bin/sh 'QEMU' that records its arguments, prints `log_text` and does `then`."""
    log = tmp.create_file("console.txt", log_text).full_path
    args = os.path.join(tmp.full_path, "args.txt")
    script = tmp.create_file(
        "qemu",
        textwrap.dedent(
            f"""\
            #!/bin/sh
            for a in "$@"; do printf '%s\\n' "$a"; done > {args}
            cat {log}
            printf '%s' '{stderr}' >&2
            {then}
            exit {status}
            """
        ),
    ).full_path
    os.chmod(script, 0o755)
    return script, args


class ParseTest(absltest.TestCase):
    def test_calling_and_returned(self):
        lines = [
            "calling  trace_init_flags_sys_enter+0x0/0x14 @ 1\r\n",
            "initcall trace_init_flags_sys_enter+0x0/0x14 returned 0 after 0 usecs\r\n",
            "[    0.051234] calling  init_mmap_min_addr+0x0/0x28 @ 1",
            "[    0.051300] initcall init_mmap_min_addr+0x0/0x28 returned -19 after 12 usecs",
            "calling  foo_init+0x0/0x1000 [foo] @ 123",
            "initcall foo_init+0x0/0x1000 [foo] returned 0 after 3 usecs",
            "calling  0xffff800008a1c2d4 @ 1",  # %pS without KALLSYMS.
            "calling  no_return+0x4/0x8 @ 1",
        ]
        calls = lib.parse_initcalls(lines)
        self.assertEqual(
            [(c.fn, c.module, c.pid, c.ret, c.usecs) for c in calls],
            [
                ("trace_init_flags_sys_enter", None, 1, 0, 0),
                ("init_mmap_min_addr", None, 1, -19, 12),
                ("foo_init", "foo", 123, 0, 3),
                ("0xffff800008a1c2d4", None, 1, None, None),
                ("no_return", None, 1, None, None),
            ],
        )
        self.assertEqual(
            lib.initcall_names(lines),
            [
                "trace_init_flags_sys_enter",
                "init_mmap_min_addr",
                "foo_init [foo]",
                "0xffff800008a1c2d4",
                "no_return",
            ],
        )

    def test_lto_stubs(self):
        lines = [
            "calling  __initstub__kmod_context__416_422_asids_initearly+0x0/0x88 @ 1",
            "initcall __initstub__kmod_context__416_422_asids_initearly+0x0/0x88 returned 0 after 0 usecs",
            "calling  __initstub__kmod_min_addr__282_53_init_mmap_min_addr0+0x0/0x1c @ 1",
            "calling  __initstub__kmod_tree__1_2_x_init1s+0x0/0x4 @ 1",
            "calling  __initstub__kmod_a__b__1_2_fs_init5+0x0/0x4 @ 1",
            "calling  __initstub__kmod_vt__3_4_con_initcon+0x0/0x4 @ 1",
            "calling  __initstub__kmod_initramfs__5_6_populate_rootfsrootfs+0x0/0x4 @ 1",
            "calling  __initstub__kmod_m__7_8_m_init6+0x0/0x4 [m] @ 9",
            "calling  __initstub__bad+0x0/0x4 @ 1",  # Not a stub name: kept whole.
        ]
        calls = lib.parse_initcalls(lines)
        self.assertEqual(calls[0].fn, "__initstub__kmod_context__416_422_asids_initearly")
        self.assertEqual(calls[0].ret, 0)
        self.assertEqual(
            [c.name for c in calls],
            [
                "asids_init",
                "init_mmap_min_addr",
                "x_init",
                "fs_init",
                "con_init",
                "populate_rootfs",
                "m_init [m]",
                "__initstub__bad",
            ],
        )

    def test_other_lines_are_ignored(self):
        lines = [
            "Booting Linux on physical CPU 0x0000000000 [0x411fd070]",
            "Kernel command line: console=ttyAMA0 initcall_debug ignore_loglevel panic=-1",
            "initcall orphan+0x0/0x4 returned 0 after 0 usecs",  # No calling line: ignored.
            "recalling  x+0x0/0x4 @ 1 extra",
            "calling x+0x0/0x4 @ 1",  # One space: not the kernel's format.
        ]
        self.assertEqual(lib.parse_initcalls(lines), [])

    def test_same_function_twice(self):
        lines = [
            "calling  a+0x0/0x4 @ 1",
            "initcall a+0x0/0x4 returned 1 after 0 usecs",
            "calling  a+0x0/0x4 @ 1",
            "initcall a+0x0/0x4 returned 2 after 0 usecs",
        ]
        self.assertEqual([c.ret for c in lib.parse_initcalls(lines)], [1, 2])


class RealLogTest(absltest.TestCase):
    """Console logs of real boots (see tests/golden/regen.sh), non-LTO tinyconfig kernels."""

    def _check(self, log_name, count, first, last):
        text = _read(log_name)
        calls = lib.parse_initcalls(text.splitlines())
        names = [c.name for c in calls]
        self.assertLen(names, count)
        self.assertEqual(names[0], first)
        self.assertEqual(names[-1], last)
        self.assertEqual([c.pid for c in calls], [1] * count)
        self.assertNotIn(None, [c.ret for c in calls])
        # Every calling line is parsed: nothing missed by the regexes.
        self.assertEqual(text.count("calling  "), count)
        # (initcall_debug also prints `probe of <dev> returned ...` for drivers.)
        self.assertLen([l for l in text.splitlines() if l.startswith("initcall ")], count)
        w = lib.Watcher([lib.DEFAULT_EXPECT])
        for line in text.splitlines(keepends=True):
            w.feed(line)
        self.assertTrue(w.satisfied)

    def test_arm64(self):
        self._check("arm64_serial.log", 97, "asids_init", "of_platform_sync_state_init")

    def test_x86_64(self):
        # vmlinux booted through its PVH entry.
        self._check("x86_64_serial.log", 92, "init_hw_perf_events", "deferred_probe_initcall")


class SequenceTest(absltest.TestCase):
    def test_round_trip(self):
        names = ["a", "b [mod]", "c"]
        self.assertEqual(lib.format_sequence(names), "a\nb [mod]\nc\n")
        self.assertEqual(lib.parse_sequence(lib.format_sequence(names)), names)

    def test_comments_and_blanks(self):
        self.assertEqual(lib.parse_sequence("# golden\n\na\n  b  # note\n"), ["a", "b"])


class DiffTest(absltest.TestCase):
    def test_equal(self):
        self.assertIsNone(lib.diff_initcalls(["a", "b"], ["a", "b"]))

    def test_swap(self):
        diff = lib.diff_initcalls(["a", "b", "c", "d"], ["a", "c", "b", "d"], "want", "got")
        self.assertEqual(
            diff,
            "--- want\n+++ got\n@@ -1,4 +1,4 @@\n a\n+c\n b\n-c\n d\n",
        )

    def test_truncated_to_first_differences(self):
        want = [f"f{i}" for i in range(100)]
        got = [f"g{i}" for i in range(100)]
        diff = lib.diff_initcalls(want, got, max_lines=10).splitlines()
        self.assertLen(diff, 11)
        self.assertEqual(diff[:4], ["--- expected", "+++ observed", "@@ -1,100 +1,100 @@", "-f0"])
        self.assertEqual(diff[-1], "... (193 more diff lines)")

    def test_missing_tail(self):
        diff = lib.diff_initcalls(["a", "b", "c"], ["a", "b"])
        self.assertIn("\n-c\n", diff)


class MatchLtoStubsTest(absltest.TestCase):
    def test_stub_against_hook(self):
        # Kbuild's ThinLTO x86_64 defconfig vs our none build (PCI fixups).
        lto = ["pci_arch_init", "__UNIQUE_ID_quirk_piix4_acpi407", "__UNIQUE_ID_pci_fixup_video363"]
        none = ["pci_arch_init", "quirk_piix4_acpi", "pci_fixup_video"]
        want = ["pci_arch_init", "quirk_piix4_acpi", "pci_fixup_video"]
        self.assertEqual(lib.match_lto_stubs(lto, none), (want, want))
        self.assertEqual(lib.match_lto_stubs(none, lto), (want, want))
        self.assertIsNone(lib.diff_initcalls(*lib.match_lto_stubs(lto, none)))

    def test_hook_ending_in_digits(self):
        # The longest name the other side has wins: the counter is 07, not 407.
        self.assertEqual(
            lib.match_lto_stubs(["__UNIQUE_ID_quirk_piix407"], ["quirk_piix4", "quirk_piix"]),
            (["quirk_piix4"], ["quirk_piix4", "quirk_piix"]),
        )

    def test_unmatched_stub_stays_and_differs(self):
        lto, none = ["a", "__UNIQUE_ID_quirk_x12"], ["a", "quirk_y"]
        self.assertEqual(lib.match_lto_stubs(lto, none), (lto, none))
        self.assertIsNotNone(lib.diff_initcalls(*lib.match_lto_stubs(lto, none)))

    def test_lto_against_lto_unchanged(self):
        a = ["__UNIQUE_ID_quirk_x12", "b"]
        self.assertEqual(lib.match_lto_stubs(a, list(a)), (a, a))

    def test_order_still_matters(self):
        lto = ["__UNIQUE_ID_f1", "__UNIQUE_ID_g2"]
        self.assertIsNotNone(lib.diff_initcalls(*lib.match_lto_stubs(lto, ["g", "f"])))


class QemuCommandTest(absltest.TestCase):
    def test_arm64(self):
        self.assertEqual(
            lib.qemu_command("/q", "arm64", "Image"),
            "/q -machine virt -cpu cortex-a57 -m 256 -nographic -no-reboot -kernel Image "
            "-append".split()
            + ["console=ttyAMA0 initcall_debug ignore_loglevel panic=-1"],
        )

    def test_x86_64(self):
        self.assertEqual(
            lib.qemu_command(
                "/q", "x86_64", "vmlinux", initrd="r.cpio", append_extra=" quiet ", extra_args=["-L", "d"]
            ),
            "/q -m 256 -nographic -no-reboot -L d -kernel vmlinux -initrd r.cpio -append".split()
            + ["console=ttyS0 initcall_debug ignore_loglevel panic=-1 quiet"],
        )

    def test_unknown_arch(self):
        with self.assertRaisesRegex(lib.BootError, "unknown arch 'riscv'"):
            lib.qemu_command("/q", "riscv", "Image")


class WatcherTest(absltest.TestCase):
    def test_all_expectations(self):
        w = lib.Watcher(["^b$", "c"])
        w.feed("a\r\n")
        w.feed("c\r\n")
        self.assertFalse(w.satisfied)
        self.assertEqual(w.missing(), ["^b$"])
        w.feed("b\r\n")
        self.assertTrue(w.satisfied)
        self.assertEqual(w.lines, ["a", "c", "b"])

    def test_panic(self):
        w = lib.Watcher(["never"])
        w.feed("Kernel panic - not syncing: VFS: Unable to mount root fs")
        w.feed("---[ end Kernel panic - not syncing: VFS: Unable to mount root fs ]---")
        self.assertEqual(w.panic, "Kernel panic - not syncing: VFS: Unable to mount root fs")
        self.assertTrue(w.panic_ended)

    def test_expectation_may_match_the_panic(self):
        w = lib.Watcher(["No working init found"])
        w.feed("Kernel panic - not syncing: No working init found.  Try passing init= option")
        self.assertTrue(w.satisfied)


_BOOT = (
    "Booting Linux\n"
    "calling  a_init+0x0/0x4 @ 1\n"
    "initcall a_init+0x0/0x4 returned 0 after 0 usecs\n"
    "calling  b_init+0x0/0x4 @ 1\n"
    "initcall b_init+0x0/0x4 returned 0 after 0 usecs\n"
    "Run /bin/sh as init process\n"
)
_PANIC = (
    "Booting Linux\n"
    "calling  a_init+0x0/0x4 @ 1\n"
    "Kernel panic - not syncing: Oops\n"
    "Call trace:\n"
    "---[ end Kernel panic - not syncing: Oops ]---\n"
)


class RunQemuTest(absltest.TestCase):
    def test_stops_when_satisfied(self):
        qemu, _ = _fake_qemu(self.create_tempdir(), _BOOT)  # Then sleeps for a minute.
        w = lib.Watcher([lib.DEFAULT_EXPECT])
        start = time.monotonic()
        r = lib.run_qemu([qemu], w, timeout_secs=30)
        self.assertLess(time.monotonic() - start, 10)
        self.assertEqual((r.reason, r.exit_code), ("satisfied", None))
        lib.check_boot(r, w, 30)
        self.assertEqual(lib.initcall_names(w.lines), ["a_init", "b_init"])

    def test_panic_then_exit(self):
        qemu, _ = _fake_qemu(self.create_tempdir(), _PANIC, then="true")
        w = lib.Watcher([lib.DEFAULT_EXPECT])
        r = lib.run_qemu([qemu], w, timeout_secs=30)
        self.assertEqual(r.reason, "panic")
        self.assertEqual(w.tail(2)[-1], "---[ end Kernel panic - not syncing: Oops ]---")
        with self.assertRaisesRegex(
            lib.BootError,
            r"^kernel panicked before 'Run /bin/sh as init process' was seen: "
            r"Kernel panic - not syncing: Oops$",
        ) as cm:
            lib.check_boot(r, w, 30)
        self.assertEqual(cm.exception.tail, _PANIC.splitlines())

    def test_panic_without_exit(self):
        qemu, _ = _fake_qemu(self.create_tempdir(), _PANIC)  # Then sleeps for a minute.
        w = lib.Watcher([lib.DEFAULT_EXPECT])
        start = time.monotonic()
        r = lib.run_qemu([qemu], w, timeout_secs=30, panic_grace_secs=1)
        self.assertLess(time.monotonic() - start, 10)
        self.assertEqual(r.reason, "panic")

    def test_timeout(self):
        qemu, _ = _fake_qemu(self.create_tempdir(), "".join(f"line {i}\n" for i in range(30)))
        w = lib.Watcher([lib.DEFAULT_EXPECT])
        r = lib.run_qemu([qemu], w, timeout_secs=1)
        self.assertEqual((r.reason, r.exit_code), ("timeout", None))
        with self.assertRaisesRegex(
            lib.BootError, r"^timed out after 1 s; not seen: 'Run /bin/sh as init process'$"
        ) as cm:
            lib.check_boot(r, w, 1)
        self.assertEqual(cm.exception.tail, [f"line {i}" for i in range(10, 30)])

    def test_qemu_exits(self):
        qemu, _ = _fake_qemu(
            self.create_tempdir(), "", then="true", status=1, stderr="qemu: could not load kernel"
        )
        w = lib.Watcher([lib.DEFAULT_EXPECT])
        r = lib.run_qemu([qemu], w, timeout_secs=30)
        self.assertEqual((r.reason, r.exit_code), ("exited", 1))
        with self.assertRaisesRegex(
            lib.BootError,
            r"^qemu exited with status 1 before 'Run /bin/sh as init process' was seen: "
            r"qemu: could not load kernel$",
        ):
            lib.check_boot(r, w, 30)

    def test_cannot_run(self):
        with self.assertRaisesRegex(lib.BootError, r"^cannot run /nonexistent/qemu: "):
            lib.run_qemu(["/nonexistent/qemu"], lib.Watcher([]), timeout_secs=1)


class MainTest(absltest.TestCase):
    def _run(self, *args, env=None):
        return subprocess.run(
            [sys.executable, os.path.join(_HERE, "boot_test.py"), *args],
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )

    def test_pass_and_files(self):
        tmp = self.create_tempdir()
        qemu, args = _fake_qemu(tmp, _BOOT)
        kernel = tmp.create_file("Image", "").full_path
        golden = tmp.create_file("golden.txt", "# comment\na_init\nb_init\n").full_path
        out = os.path.join(tmp.full_path, "seq.txt")
        env = dict(os.environ, TEST_UNDECLARED_OUTPUTS_DIR=tmp.full_path)
        r = self._run(
            f"--qemu={qemu}",
            "--arch=arm64",
            f"--kernel={kernel}",
            f"--expected_initcalls={golden}",
            f"--write_initcalls={out}",
            "--append_extra=rdinit=/x",
            env=env,
        )
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
        self.assertEqual(_read_path(out), "a_init\nb_init\n")
        self.assertEqual(_read_path(os.path.join(tmp.full_path, "serial.log")), _BOOT)
        self.assertEqual(
            _read_path(args).splitlines(),
            lib.qemu_command(qemu, "arm64", kernel, append_extra="rdinit=/x")[1:],
        )

    def test_mismatch(self):
        tmp = self.create_tempdir()
        qemu, _ = _fake_qemu(tmp, _BOOT)
        kernel = tmp.create_file("Image", "").full_path
        golden = tmp.create_file("golden.txt", "b_init\na_init\n").full_path
        log = os.path.join(tmp.full_path, "log.txt")
        r = self._run(
            f"--qemu={qemu}",
            "--arch=x86_64",
            f"--kernel={kernel}",
            f"--expected_initcalls={golden}",
            f"--serial_log={log}",
        )
        self.assertEqual(r.returncode, 1)
        self.assertEqual(
            r.stderr,
            f"boot_test: initcall sequence differs from {golden} (expected 2, observed 2)\n"
            f"--- {golden}\n+++ observed\n@@ -1,2 +1,2 @@\n+a_init\n b_init\n-a_init\n",
        )
        self.assertEqual(_read_path(log), _BOOT)

    def test_each_expected_file(self):
        # Every --expected_initcalls file must equal the boot; the first that differs fails it.
        tmp = self.create_tempdir()
        qemu, _ = _fake_qemu(tmp, _BOOT)
        kernel = tmp.create_file("Image", "").full_path
        good = tmp.create_file("good.txt", "a_init\nb_init\n").full_path
        bad = tmp.create_file("bad.txt", "a_init\n").full_path
        r = self._run(f"--qemu={qemu}", "--arch=arm64", f"--kernel={kernel}",
                      f"--expected_initcalls={good}", f"--expected_initcalls={bad}")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(
            r.stderr.splitlines()[0],
            f"boot_test: initcall sequence differs from {bad} (expected 1, observed 2)",
        )

    def test_expect_flags_replace_the_default(self):
        tmp = self.create_tempdir()
        qemu, _ = _fake_qemu(tmp, _BOOT)
        kernel = tmp.create_file("Image", "").full_path
        r = self._run(
            f"--qemu={qemu}", "--arch=arm64", f"--kernel={kernel}", "--expect=^Booting", "--expect=b_init"
        )
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        r = self._run(
            f"--qemu={qemu}", "--arch=arm64", f"--kernel={kernel}", "--expect=nope", "--timeout_secs=1"
        )
        self.assertEqual(r.returncode, 1)
        self.assertEqual(
            r.stderr.splitlines()[:3],
            [
                "boot_test: timed out after 1 s; not seen: 'nope'",
                "--- last 6 console lines ---",
                "Booting Linux",
            ],
        )

    def test_real_log(self):
        tmp = self.create_tempdir()
        log = _read("arm64_serial.log")
        qemu, _ = _fake_qemu(tmp, log)
        kernel = tmp.create_file("Image", "").full_path
        names = lib.initcall_names(log.splitlines())
        names[3], names[4] = names[4], names[3]
        golden = tmp.create_file("golden.txt", lib.format_sequence(names)).full_path
        r = self._run(f"--qemu={qemu}", "--arch=arm64", f"--kernel={kernel}", f"--expected_initcalls={golden}")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(
            r.stderr.splitlines(),
            [
                f"boot_test: initcall sequence differs from {golden} (expected 97, observed 97)",
                f"--- {golden}",
                "+++ observed",
                "@@ -2,6 +2,6 @@",
                " spawn_ksoftirqd",
                " migration_init",
                "+srcu_bootup_announce",
                " rcu_spawn_gp_kthread",
                "-srcu_bootup_announce",
                " check_cpu_stall_init",
                " rcu_sysrq_init",
            ],
        )

    def test_real_panic(self):
        # A kernel without an init panics (and QEMU exits: panic=-1, -no-reboot).
        tmp = self.create_tempdir()
        qemu, _ = _fake_qemu(tmp, _read("arm64_panic.log"), then="true")
        kernel = tmp.create_file("Image", "").full_path
        r = self._run(f"--qemu={qemu}", "--arch=arm64", f"--kernel={kernel}", "--expect=never matches")
        self.assertEqual(r.returncode, 1)
        err = r.stderr.splitlines()
        self.assertEqual(
            err[:2],
            [
                "boot_test: kernel panicked before 'never matches' was seen: Kernel panic - not "
                "syncing: No working init found.  Try passing init= option to kernel. See Linux "
                "Documentation/admin-guide/init.rst for guidance.",
                "--- last 20 console lines ---",
            ],
        )
        self.assertLen(err, 22)
        # The default expectation is met just before that panic.
        r = self._run(f"--qemu={qemu}", "--arch=arm64", f"--kernel={kernel}")
        self.assertEqual((r.returncode, r.stderr), (0, ""))

    def test_missing_qemu_is_one_line(self):
        tmp = self.create_tempdir()
        kernel = tmp.create_file("Image", "").full_path
        r = self._run("--qemu=qemu-system-aarch64", "--arch=arm64", f"--kernel={kernel}")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "boot_test: --qemu=qemu-system-aarch64: not an executable file\n")

    def test_missing_kernel(self):
        tmp = self.create_tempdir()
        qemu, _ = _fake_qemu(tmp, _BOOT)
        r = self._run(f"--qemu={qemu}", "--arch=arm64", "--kernel=/nonexistent/Image")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "boot_test: --kernel=/nonexistent/Image: no such file\n")

    def test_usage(self):
        r = self._run("--qemu=/bin/true", "--arch=mips", "--kernel=x")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--arch", r.stderr)
        r = self._run("--qemu=/bin/true", "--arch=arm64", "--kernel=x", "extra")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("unexpected arguments", r.stderr)


class InitramfsTest(absltest.TestCase):
    """Boots with a kernel_initramfs: recorded console text, the watcher, boot_test.py."""

    def _watch(self, name, expects=()):
        w = lib.Watcher(list(expects), done=lib.DONE_MARKER, failures=lib.FAILURE_PATTERNS)
        for line in _read(name).splitlines(keepends=True):
            w.feed(line)
            if w.satisfied:
                break
        return w

    def test_module_initcalls_are_split_from_the_builtin_sequence(self):
        lines = _read("arm64_initramfs_modules.log").splitlines()
        self.assertEqual(lib.builtin_initcall_names(lines), ["init_mmap_min_addr", "serial_init"])
        self.assertEqual(lib.module_initcall_names(lines), [
            "test_static_key_base_init [test_static_key_base]",
            "test_static_key_init [test_static_keys]",
            "test_module_init [test_module]",
        ])

    def test_done_with_every_expectation(self):
        expects = ["test_module: Hello, world"] + lib.expect_module_markers(["test_static_keys", "test_module"])
        w = self._watch("arm64_initramfs_modules.log", expects)
        self.assertTrue(w.satisfied)
        lib.check_boot(lib.RunResult("satisfied", None, 1.0, ""), w, 60)

    def test_missing_expectations_are_named_in_one_line(self):
        expects = ["test_uuid: all \\d+ tests passed"] + lib.expect_module_markers(["test_uuid", "test_module"])
        w = self._watch("arm64_initramfs_modules.log", expects)
        with self.assertRaises(lib.BootError) as cm:
            lib.check_boot(lib.RunResult("satisfied", None, 1.0, ""), w, 60)
        self.assertEqual(str(cm.exception), "init reached its end without: 'test_uuid: all \\\\d+ tests passed', "
                                            "'kernel_lto: insmod test_uuid ok$'")

    def test_failed_insmod_and_unknown_symbol(self):
        w = self._watch("x86_64_initramfs_unknown_symbol.log", lib.expect_module_markers(["test_static_keys"]))
        self.assertEqual(w.failures, [
            "test_static_keys: Unknown symbol base_old_true_key (err -2)",
            "test_static_keys: Unknown symbol base_inv_new_true_key (err -2)",
            "kernel_lto: insmod test_static_keys FAILED 1",
        ])
        with self.assertRaisesRegex(lib.BootError, r"^init reached its end, but: test_static_keys: Unknown symbol "
                                                   r"base_old_true_key \(err -2\) \(and 2 more\)$"):
            lib.check_boot(lib.RunResult("satisfied", None, 1.0, ""), w, 60)

    def test_unknown_symbol_after_a_version_disagreement_is_the_refusal(self):
        w = lib.Watcher([r"kernel_lto: insmod modv_user_stale refused \d+"], done=lib.DONE_MARKER,
                        failures=lib.FAILURE_PATTERNS)
        for line in [
            "[    1.2] modv_user_stale: disagrees about version of symbol modv_value",
            "[    1.2] modv_user_stale: Unknown symbol modv_value (err -22)",
            "kernel_lto: insmod modv_user_stale refused 1",
            # Not excused: another module, another symbol, another error.
            "[    1.3] other: Unknown symbol modv_value (err -22)",
            "[    1.3] modv_user_stale: Unknown symbol printk (err -22)",
            "[    1.3] modv_user_stale: Unknown symbol modv_value (err -2)",
            "kernel_lto: init done",
        ]:
            w.feed(line + "\n")
        self.assertEqual(w.failures, [
            "other: Unknown symbol modv_value (err -22)",
            "modv_user_stale: Unknown symbol printk (err -22)",
            "modv_user_stale: Unknown symbol modv_value (err -2)",
        ])
        self.assertEqual(w.missing(), [])

    def test_timeout_names_the_done_marker(self):
        w = lib.Watcher(["Hello"], done=lib.DONE_MARKER, failures=lib.FAILURE_PATTERNS)
        w.feed("Run /init as init process\n")
        with self.assertRaisesRegex(lib.BootError, r"^timed out after 5 s; not seen: 'kernel_lto: init done', 'Hello'$"):
            lib.check_boot(lib.RunResult("timeout", None, 5.0, ""), w, 5)

    def _main(self, log, *extra):
        tmp = self.create_tempdir()
        qemu, args = _fake_qemu(tmp, _read(log))
        kernel = tmp.create_file("Image", "").full_path
        initrd = tmp.create_file("initramfs.cpio", "").full_path
        mods = tmp.create_file("expect.txt", "test_module\ntest_static_keys\n").full_path
        out = os.path.join(tmp.full_path, "mods.txt")
        r = subprocess.run(
            [sys.executable, os.path.join(_HERE, "boot_test.py"), f"--qemu={qemu}", "--arch=arm64",
             f"--kernel={kernel}", f"--initrd={initrd}", f"--expect_modules={mods}",
             f"--write_module_initcalls={out}", f"--serial_log={tmp.full_path}/serial.log", *extra],
            capture_output=True, text=True, check=False)
        return r, _read_path(args).splitlines(), initrd, out

    def test_main_passes_and_writes_module_initcalls(self):
        r, argv, initrd, out = self._main("arm64_initramfs_modules.log", "--expect=Hello, world")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertIn(initrd, argv)
        self.assertEqual(argv[argv.index("-initrd") + 1], initrd)
        self.assertEqual(_read_path(out), "test_static_key_base_init [test_static_key_base]\n"
                                          "test_static_key_init [test_static_keys]\ntest_module_init [test_module]\n")

    def test_main_fails_on_unknown_symbol(self):
        r, _, _, _ = self._main("x86_64_initramfs_unknown_symbol.log")
        self.assertEqual(r.returncode, 1)
        self.assertTrue(r.stderr.startswith("boot_test: init reached its end, but: test_static_keys: Unknown symbol"),
                        r.stderr)
        self.assertNotIn("Traceback", r.stderr)


if __name__ == "__main__":
    absltest.main()
