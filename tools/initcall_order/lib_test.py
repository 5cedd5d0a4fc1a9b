"""Tests for tools/initcall_order on hand-made llvm-nm output."""

import os
import stat
import subprocess
import sys
import textwrap

from absl.testing import absltest

try:
    from tools.initcall_order import lib
except ImportError:
    # Run as a script: this file's directory is first on sys.path.
    import lib

_HERE = os.path.dirname(os.path.abspath(__file__))


def _nm(*symbols, kind="t", addr="----------------"):
    """llvm-nm lines for `symbols` (bitcode objects have no addresses)."""
    return "".join(f"{addr} {kind} {s}\n" for s in symbols)


class ParseTest(absltest.TestCase):
    def test_orders_by_counter_not_by_name(self):
        # nm sorts by name, so counter 10 comes before counter 9.
        text = _nm(
            "__initcall__kmod_foo__10_30_b_init6",
            "__initcall__kmod_foo__9_20_a_init6",
            "foo_helper",
        )
        self.assertEqual(
            lib.parse_nm_output("foo.o", text),
            [
                lib.Initcall("6", "kmod_foo__9_20_a_init"),
                lib.Initcall("6", "kmod_foo__10_30_b_init"),
            ],
        )

    def test_levels(self):
        cases = {
            "f_early": ("f_", "early"),
            "f_rootfs": ("f_", "rootfs"),
            "f_con": ("f_", "con"),
            "f0": ("f", "0"),
            "f0s": ("f", "0s"),
            "f7s": ("f", "7s"),
            # The level is the shortest suffix that fits (Perl's greedy (.*)).
            "fn26": ("fn2", "6"),
            "fn2s6": ("fn2s", "6"),
            "init_early_s": None,
        }
        for symbol, want in cases.items():
            with self.subTest(symbol=symbol):
                text = _nm(f"__initcall__kmod_m__1_2_{symbol}")
                if want is None:
                    with self.assertRaises(lib.InitcallError):
                        lib.parse_nm_output("m.o", text)
                    continue
                fn, level = want
                self.assertEqual(
                    lib.parse_nm_output("m.o", text),
                    [lib.Initcall(level, f"kmod_m__1_2_{fn}")],
                )

    def test_module_is_greedy(self):
        # /__initcall__(\S*)__(\d+)_(\d+)_(.*)$/: \S* takes the last __<n>_<n>_.
        text = _nm("__initcall__kmod_a__1_2_b__3_4_fn6")
        self.assertEqual(
            lib.parse_nm_output("a.o", text), [lib.Initcall("6", "kmod_a__1_2_b__3_4_fn")]
        )

    def test_empty_module(self):
        text = _nm("__initcall____5_6_fn1")
        self.assertEqual(lib.parse_nm_output("a.o", text), [lib.Initcall("1", "__5_6_fn")])

    def test_ignores_other_symbols(self):
        text = (
            _nm("__initcall_debug", "initcall_levels", "__initcall_fn6", kind="d")
            # Perl matches only lower-case (local) symbol types.
            + _nm("__initcall__kmod_m__1_2_fn6", kind="T")
            + "0000000000000010 d __initcall__kmod_m__3_4_native6\n"
        )
        self.assertEqual(
            lib.parse_nm_output("m.o", text), [lib.Initcall("6", "kmod_m__3_4_native")]
        )

    def test_archive_members_are_separate_units(self):
        text = (
            "\na.o:\n"
            + _nm("__initcall__kmod_a__7_1_a_init6")
            + "\nb.o:\n"
            + _nm("__initcall__kmod_b__3_1_b_init6", "__initcall__kmod_b__7_9_b_late6")
        )
        self.assertEqual(
            lib.parse_nm_output("x.a", text),
            [
                lib.Initcall("6", "kmod_a__7_1_a_init"),
                lib.Initcall("6", "kmod_b__3_1_b_init"),
                lib.Initcall("6", "kmod_b__7_9_b_late"),
            ],
        )

    def test_no_trailing_newline_and_empty(self):
        text = _nm("__initcall__kmod_m__1_2_fn6").rstrip("\n")
        self.assertEqual(lib.parse_nm_output("m.o", text), [lib.Initcall("6", "kmod_m__1_2_fn")])
        self.assertEqual(lib.parse_nm_output("m.o", ""), [])

    def test_identical_duplicate_is_kept_once(self):
        text = _nm("__initcall__kmod_m__1_2_fn6", "__initcall__kmod_m__1_2_fn6")
        self.assertEqual(lib.parse_nm_output("m.o", text), [lib.Initcall("6", "kmod_m__1_2_fn")])


class MalformedTest(absltest.TestCase):
    def test_invalid_level(self):
        text = "\nmain.o:\n" + _nm("__initcall__kmod_main__1_2_do_stuff")
        with self.assertRaises(lib.InitcallError) as cm:
            lib.parse_nm_output("vmlinux.a", text)
        msg = str(cm.exception)
        self.assertNotIn("\n", msg)
        self.assertStartsWith(msg, "vmlinux.a(main.o): nm output line 3: invalid initcall name")
        self.assertIn("'__initcall__kmod_main__1_2_do_stuff'", msg)

    def test_counter_reused(self):
        text = _nm("__initcall__kmod_m__1_2_fn6", "__initcall__kmod_m__1_9_other6")
        with self.assertRaisesRegex(
            lib.InitcallError, r"^m\.o: nm output line 2: initcall counter 1 used twice"
        ):
            lib.parse_nm_output("m.o", text)

    def test_no_initcalls(self):
        with self.assertRaisesRegex(lib.InitcallError, "^no initcalls"):
            lib.generate_lds([("a.o", _nm("foo")), ("b.o", "")])


class GenerateTest(absltest.TestCase):
    def test_golden(self):
        outputs = [
            (
                "init/main.o",
                _nm(
                    "__initcall__kmod_main__20_1500_init_b6",
                    "__initcall__kmod_main__3_100_init_a_early",
                ),
            ),
            ("kernel/empty.o", _nm("unrelated", kind="T")),
            # Same function name as in main.o, other object: both are kept.
            (
                "kernel/x.o",
                _nm("__initcall__kmod_x__5_10_init_b6", "__initcall__kmod_x__6_11_x_rootfs"),
            ),
            (
                "lib.a",
                "\nlib/c.o:\n"
                + _nm(
                    "__initcall__kmod_c__2_3_c_con",
                    "__initcall__kmod_c__4_5_c7s",
                    "__initcall__kmod_c__8_9_c0",
                )
                + "\nlib/d.o:\n"
                + _nm("__initcall__kmod_d__1_1_d6s"),
            ),
        ]
        want = textwrap.dedent("""\
            SECTIONS {
            \t.initcall0.init : {
            \t\t*(.initcall0.init..kmod_c__8_9_c) ;
            \t}
            \t.initcall6.init : {
            \t\t*(.initcall6.init..kmod_main__20_1500_init_b) ;
            \t\t*(.initcall6.init..kmod_x__5_10_init_b) ;
            \t}
            \t.initcall6s.init : {
            \t\t*(.initcall6s.init..kmod_d__1_1_d) ;
            \t}
            \t.initcall7s.init : {
            \t\t*(.initcall7s.init..kmod_c__4_5_c) ;
            \t}
            \t.con_initcall.init : {
            \t\t*(.con_initcall.init..kmod_c__2_3_c_) ;
            \t}
            \t.initcallearly.init : {
            \t\t*(.initcallearly.init..kmod_main__3_100_init_a_) ;
            \t}
            \t.initcallrootfs.init : {
            \t\t*(.initcallrootfs.init..kmod_x__6_11_x_) ;
            \t}
            }
            """)
        self.assertEqual(lib.generate_lds(outputs), want)

    def test_archive_equals_members(self):
        a = _nm("__initcall__kmod_a__9_1_a6", "__initcall__kmod_a__10_2_a26")
        b = _nm("__initcall__kmod_b__1_1_b6")
        archive = lib.generate_lds([("x.a", f"\na.o:\n{a}\nb.o:\n{b}")])
        members = lib.generate_lds([("a.o", a), ("b.o", b)])
        self.assertEqual(archive, members)
        self.assertEqual(
            archive.splitlines()[2:5],
            [
                "\t\t*(.initcall6.init..kmod_a__9_1_a) ;",
                "\t\t*(.initcall6.init..kmod_a__10_2_a2) ;",
                "\t\t*(.initcall6.init..kmod_b__1_1_b) ;",
            ],
        )

    def test_section_names(self):
        self.assertEqual(lib.section_name("con"), ".con_initcall.init")
        self.assertEqual(lib.section_name("3s"), ".initcall3s.init")


def _fake_nm(tmp, outputs, exit_code=0):
    """A stand-in llvm-nm printing outputs[basename of its last argument]."""
    impl = tmp.create_file(
        "fake_nm.py",
        textwrap.dedent(f"""\
            import os, sys
            assert sys.argv[1] == "--defined-only", sys.argv
            OUTPUTS = {outputs!r}
            sys.stdout.write(OUTPUTS.get(os.path.basename(sys.argv[-1]), ""))
            sys.stderr.write("x.o: no symbols\\n")
            sys.exit({exit_code})
            """),
    )
    # A short #! line: sys.executable may be a long path in a Bazel sandbox.
    script = tmp.create_file(
        "fake-nm", f'#!/bin/sh\nexec "{sys.executable}" "{impl.full_path}" "$@"\n'
    )
    os.chmod(script.full_path, os.stat(script.full_path).st_mode | stat.S_IXUSR)
    return script.full_path


class RunNmTest(absltest.TestCase):
    def test_runs_given_nm(self):
        tmp = self.create_tempdir()
        obj = tmp.create_file("a.o", "")
        nm = _fake_nm(tmp, {"a.o": _nm("__initcall__kmod_a__1_1_a6")})
        self.assertEqual(
            lib.nm_outputs(nm, [obj.full_path], jobs=2),
            [(obj.full_path, _nm("__initcall__kmod_a__1_1_a6"))],
        )

    def test_nm_failure(self):
        tmp = self.create_tempdir()
        obj = tmp.create_file("a.o", "")
        nm = _fake_nm(tmp, {}, exit_code=1)
        with self.assertRaisesRegex(
            lib.InitcallError, r"a\.o: .*fake-nm exited with 1: x\.o: no symbols$"
        ):
            lib.run_nm(nm, obj.full_path)

    def test_missing_file(self):
        with self.assertRaisesRegex(lib.InitcallError, r"nowhere\.o: no such file$"):
            lib.run_nm("/bin/true", os.path.join(self.create_tempdir().full_path, "nowhere.o"))

    def test_bare_nm_name_is_not_looked_up_on_path(self):
        tmp = self.create_tempdir()
        obj = tmp.create_file("a.o", "")
        with self.assertRaisesRegex(lib.InitcallError, r"cannot run nm true"):
            lib.run_nm("true", obj.full_path)


class WorkerMemoTest(absltest.TestCase):
    """initcall_order.initcalls: what a persistent worker keeps between requests."""

    def setUp(self):
        super().setUp()
        try:
            from tools.initcall_order import initcall_order  # noqa: PLC0415 - defines absl flags
        except ImportError:
            import initcall_order  # noqa: PLC0415
        self.initcalls = initcall_order.initcalls
        self.tmp = self.create_tempdir()
        self.log = os.path.join(self.tmp.full_path, "calls.log")
        # An llvm-nm that prints the object's own content and logs which file it read.
        impl = self.tmp.create_file("cat_nm.py", textwrap.dedent(f"""\
            import sys
            with open({self.log!r}, "a") as f:
                f.write(sys.argv[-1] + "\\n")
            sys.stdout.write(open(sys.argv[-1]).read())
            """))
        self.nm = self.tmp.create_file("nm", f'#!/bin/sh\nexec "{sys.executable}" "{impl.full_path}" "$@"\n').full_path
        os.chmod(self.nm, 0o755)
        self.objs = {n: self.tmp.create_file(n, _nm(f"__initcall__kmod_{n[0]}__1_1_{n[0]}6")).full_path
                     for n in ("a.o", "b.o", "c.a")}

    def _nm_runs(self):
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            runs = f.read().split()
        os.unlink(self.log)
        return sorted(os.path.basename(r) for r in runs)

    def _secnames(self, objects, inputs, known):
        return [c.secname for c in self.initcalls(self.nm, objects, 2, inputs, known)]

    def test_only_changed_objects_run_again(self):
        objects = [self.objs["a.o"], self.objs["b.o"], self.objs["c.a"], self.objs["a.o"]]
        inputs = {self.nm: b"nm1", self.objs["a.o"]: b"a1", self.objs["b.o"]: b"b1", self.objs["c.a"]: b"c1"}
        known = {}
        want = ["kmod_a__1_1_a", "kmod_b__1_1_b", "kmod_c__1_1_c", "kmod_a__1_1_a"]
        self.assertEqual(self._secnames(objects, inputs, known), want)
        self.assertEqual(self._nm_runs(), ["a.o", "b.o", "c.a"])
        self.assertLen(known, 2)  # the archive is never kept
        self.assertEqual(self._secnames(objects, inputs, known), want)
        self.assertEqual(self._nm_runs(), ["c.a"])
        with open(self.objs["b.o"], "w") as f:
            f.write(_nm("__initcall__kmod_b__2_9_b7"))
        self.assertEqual(self._secnames(objects, dict(inputs, **{self.objs["b.o"]: b"b2"}), known),
                         ["kmod_a__1_1_a", "kmod_b__2_9_b", "kmod_c__1_1_c", "kmod_a__1_1_a"])
        self.assertEqual(self._nm_runs(), ["b.o", "c.a"])
        # Another llvm-nm: everything again.
        self._secnames(objects, dict(inputs, **{self.nm: b"nm2", self.objs["b.o"]: b"b2"}), known)
        self.assertEqual(self._nm_runs(), ["a.o", "b.o", "c.a"])

    def test_one_shot_keeps_nothing(self):
        known = {}
        self._secnames([self.objs["a.o"]], {}, known)
        self._secnames([self.objs["a.o"]], {}, known)
        self.assertEqual(self._nm_runs(), ["a.o", "a.o"])
        self.assertEqual(known, {})

    def test_dropped_objects_are_forgotten(self):
        inputs = {self.nm: b"n", self.objs["a.o"]: b"a", self.objs["b.o"]: b"b"}
        known = {}
        self._secnames([self.objs["a.o"], self.objs["b.o"]], inputs, known)
        self._secnames([self.objs["a.o"]], inputs, known)
        self.assertEqual(sorted(k[1] for k in known), [self.objs["a.o"]])


class MainTest(absltest.TestCase):
    def _run(self, *args):
        return subprocess.run(
            [sys.executable, os.path.join(_HERE, "initcall_order.py"), *args],
            capture_output=True,
            text=True,
            check=False,
        )

    def test_objects_positional_and_flagfile(self):
        tmp = self.create_tempdir()
        objs = [tmp.create_file(n, "").full_path for n in ("a.o", "b.o")]
        nm = _fake_nm(
            tmp,
            {"a.o": _nm("__initcall__kmod_a__1_1_a6"), "b.o": _nm("__initcall__kmod_b__1_1_b6")},
        )
        want = lib.generate_lds(
            [("a.o", _nm("__initcall__kmod_a__1_1_a6")), ("b.o", _nm("__initcall__kmod_b__1_1_b6"))]
        )
        out1 = os.path.join(tmp.full_path, "1.lds")
        r = self._run(f"--nm={nm}", f"--out={out1}", *objs)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
        self.assertEqual(open(out1).read(), want)

        out2 = os.path.join(tmp.full_path, "2.lds")
        flagfile = tmp.create_file(
            "args",
            "".join(
                f"{line}\n"
                for line in [f"--nm={nm}", f"--out={out2}"] + [f"--object={o}" for o in objs]
            ),
        )
        r = self._run(f"--flagfile={flagfile.full_path}")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))
        self.assertEqual(open(out2).read(), want)

    def test_error_is_one_line(self):
        tmp = self.create_tempdir()
        obj = tmp.create_file("a.o", "").full_path
        nm = _fake_nm(tmp, {"a.o": _nm("__initcall__kmod_a__1_1_a")})
        r = self._run(f"--nm={nm}", f"--out={tmp.full_path}/x.lds", obj)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(
            r.stderr,
            f"initcall_order: {obj}: nm output line 1: "
            "invalid initcall name '__initcall__kmod_a__1_1_a': "
            "no level suffix (early, rootfs, con or 0-7, then an optional s)\n",
        )
        self.assertFalse(os.path.exists(f"{tmp.full_path}/x.lds"))

    def test_usage(self):
        tmp = self.create_tempdir()
        r = self._run("--nm=/bin/true", f"--out={tmp.full_path}/x.lds")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("no objects given", r.stderr)
        r = self._run("--nm=/bin/true", f"--out={tmp.full_path}/x.lds", "--object=a.o", "b.o")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("not both", r.stderr)


if __name__ == "__main__":
    absltest.main()
