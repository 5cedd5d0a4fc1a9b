"""Tests of tools/common/lib.py: one-line errors from a main, atomic outputs."""

import os
import subprocess
import sys
import textwrap

from absl.testing import absltest

from tools.common import lib


def _files(d):
    return sorted(os.listdir(d))


class MessagesTest(absltest.TestCase):

    def test_shown_path_is_never_absolute(self):
        self.assertEqual(lib.shown_path("/x/execroot/_main/tools/thinlto/lib.py"), "tools/thinlto/lib.py")
        self.assertEqual(lib.shown_path("/usr/lib/python3.11/json/decoder.py"), "decoder.py")
        self.assertEqual(lib.shown_path("tools"), "tools")

    def test_os_error(self):
        e = OSError(2, "No such file or directory", "a.o")
        self.assertEqual(lib.error_line("t", e), ("t: a.o: No such file or directory", lib.EXIT_ERROR))
        e = OSError(18, "Invalid cross-device link", "a", None, "b")
        self.assertEqual(lib.error_line("t", e)[0], "t: a -> b: Invalid cross-device link")
        self.assertEqual(lib.error_line("t", OSError("odd\nthing"))[0], "t: odd | thing")

    def test_bug_names_type_message_and_place(self):
        try:
            {}["key"]
        except KeyError as e:
            line, status = lib.error_line("t", e)
        self.assertEqual(status, lib.EXIT_BUG)
        self.assertRegex(line, r"^t: error: KeyError: 'key' at tools/common/lib_test.py:\d+ in "
                               r"test_bug_names_type_message_and_place \(this is a bug, please report it "
                               r"with the command line\)$")

    def test_usage_line(self):
        self.assertEqual(lib.usage_line("t", "no\n--out"), "t: usage error: no | --out (see --help)")


class RunTest(absltest.TestCase):
    """Runs small absl mains in a child interpreter, as a tool runs."""

    def _run(self, body, *args):
        script = self.create_tempfile("main.py", textwrap.dedent('''\
            """A long docstring.

            absl prints all of this before a usage error; run() must not.
            """
            import sys
            from absl import app, flags
            from tools.common import lib as common
            _OUT = flags.DEFINE_string("out", None, "Output.", required=True)
            ''') + textwrap.dedent(body) + '\nif __name__ == "__main__":\n    common.run(main, "tool")\n')
        proc = subprocess.run([sys.executable, script.full_path, *args], capture_output=True, text=True,
                              env=os.environ, check=False)
        return proc.returncode, proc.stdout, proc.stderr

    def test_success(self):
        self.assertEqual(self._run("def main(argv):\n    print('ok')\n", "--out=x"), (0, "ok\n", ""))

    def test_missing_flag(self):
        rc, _, err = self._run("def main(argv):\n    pass\n")
        self.assertEqual(rc, 1)
        self.assertEqual(err, "tool: usage error: flag --out=None: Flag --out must have a value other "
                              "than None. (see --help)\n")

    def test_usage_error_is_one_line(self):
        rc, _, err = self._run("def main(argv):\n    raise app.UsageError('give --out')\n", "--out=x")
        self.assertEqual((rc, err), (1, "tool: usage error: give --out (see --help)\n"))

    def test_designed_error_passes(self):
        rc, _, err = self._run("def main(argv):\n    sys.exit('tool: x.o: bad')\n", "--out=x")
        self.assertEqual((rc, err), (1, "tool: x.o: bad\n"))

    def test_os_error(self):
        rc, _, err = self._run("def main(argv):\n    open('missing.txt')\n", "--out=x")
        self.assertEqual((rc, err), (1, "tool: missing.txt: No such file or directory\n"))

    def test_bug(self):
        rc, _, err = self._run("def main(argv):\n    b'\\xff'.decode()\n", "--out=x")
        self.assertEqual(rc, lib.EXIT_BUG)
        self.assertEqual(err.count("\n"), 1)
        self.assertNotIn("Traceback", err)
        self.assertRegex(err, r"^tool: error: UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff .* "
                              r"at main.py:\d+ in main \(this is a bug, please report it with the command line\)")

    def test_flagfile_not_utf8(self):
        flagfile = self.create_tempfile("bad.flags", content=b"--out=\xff\n", mode="wb").full_path
        rc, _, err = self._run("def main(argv):\n    pass\n", f"--flagfile={flagfile}")
        self.assertEqual((rc, err), (1, f"tool: usage error: {flagfile}: not UTF-8 text (byte 6: invalid start byte); "
                                        "write flags one per line in UTF-8 (see --help)\n"))

    def test_help_still_works(self):
        _, out, _ = self._run("def main(argv):\n    pass\n", "--help")  # absl's help exits 1
        self.assertIn("A long docstring.", out)
        self.assertIn("--out: Output.", out)


class ArgumentParserTest(absltest.TestCase):

    def test_one_line(self):
        p = lib.ArgumentParser(prog="relock")
        p.add_argument("--x", type=int)
        with self.assertRaises(SystemExit) as cm, absltest.mock.patch.object(sys, "stderr") as err:
            p.parse_args(["--x=y"])
        self.assertEqual(cm.exception.code, 1)
        err.write.assert_called_once_with("relock: usage error: argument --x: invalid int value: 'y' (see --help)\n")


class AtomicTest(absltest.TestCase):

    def test_success_renames(self):
        d = self.create_tempdir().full_path
        out = os.path.join(d, "out.bin")
        lib.write_atomically(out, b"data")
        self.assertEqual(_files(d), ["out.bin"])
        with open(out, "rb") as f:
            self.assertEqual(f.read(), b"data")
        umask = os.umask(0)
        os.umask(umask)
        self.assertEqual(os.stat(out).st_mode & 0o777, 0o666 & ~umask)

    def test_failure_leaves_nothing(self):
        d = self.create_tempdir().full_path
        out = os.path.join(d, "out.txt")
        with self.assertRaises(ValueError):
            with lib.atomic_output(out, "w") as f:
                f.write("half")
                raise ValueError("stop")
        self.assertEqual(_files(d), [])

    def test_failure_keeps_an_older_file(self):
        d = self.create_tempdir().full_path
        out = os.path.join(d, "out.txt")
        lib.write_atomically(out, b"old")
        with self.assertRaises(ValueError):
            with lib.atomic_path(out) as tmp:
                with open(tmp, "wb") as f:
                    f.write(b"new")
                raise ValueError("check failed")
        self.assertEqual(_files(d), ["out.txt"])
        with open(out, "rb") as f:
            self.assertEqual(f.read(), b"old")

    def test_atomic_path(self):
        d = self.create_tempdir().full_path
        out = os.path.join(d, "o")
        with lib.atomic_path(out) as tmp:
            self.assertEqual(os.path.dirname(tmp), d)
            with open(tmp, "wb") as f:
                f.write(b"x")
        self.assertEqual(_files(d), ["o"])

    def test_missing_directory_names_the_output(self):
        out = os.path.join(self.create_tempdir().full_path, "no", "out")
        with self.assertRaises(OSError) as cm:
            lib.write_atomically(out, b"x")
        self.assertEqual(cm.exception.filename, out)
        self.assertEqual(lib.os_error_message(cm.exception), f"{out}: cannot write: No such file or directory")


if __name__ == "__main__":
    absltest.main()
