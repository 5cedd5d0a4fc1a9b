"""`bazel run ...:compile_commands` as a user would, then clang accepts every entry.

    compile_commands_test.py --launcher=<the kernel's compile_commands target>

Runs the launcher with BUILD_WORKSPACE_DIRECTORY set to a fresh directory (as `bazel run`
does), reads the compile_commands.json it wrote and checks each entry: its file and
directory are real paths outside Bazel's sandbox, execution root and runfiles (valid for
clangd in the user's tree), and the hermetic clang accepts it with -fsyntax-only (its
exact flags, in its directory). The check can fail: the first entry without its -I flags
must be rejected.
"""

import concurrent.futures
import json
import os
import subprocess
import sys

from absl import flags
from absl.testing import absltest

from tools.compile_commands import lib

_LAUNCHER = flags.DEFINE_string("launcher", None, "The compile_commands target's executable.")
_JOBS = flags.DEFINE_integer("jobs", 2, "Parallel clang runs.")
_SAMPLE = flags.DEFINE_integer("sample", 1, "Check every Nth entry (sorted by output) with clang; 1: all.", lower_bound=1)


def _syntax(entry, drop_includes=False):
    args = lib.syntax_only(entry)
    if drop_includes:
        args = [a for a in args if not a.startswith("-I") and not a.startswith("-include")]
    proc = subprocess.run(args, cwd=entry["directory"], capture_output=True, text=True, errors="replace", check=False)
    return proc.returncode, proc.stderr


class CompileCommandsTest(absltest.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ws = os.path.join(os.environ["TEST_TMPDIR"], "ws")
        os.makedirs(cls.ws, exist_ok=True)
        env = dict(os.environ, BUILD_WORKSPACE_DIRECTORY=cls.ws)
        launcher = os.path.abspath(_LAUNCHER.value)
        proc = subprocess.run([launcher], env=env, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise AssertionError(f"{launcher} failed: {proc.stderr.strip()}")
        with open(os.path.join(cls.ws, "compile_commands.json")) as f:
            cls.entries = json.load(f)
        print(proc.stderr.strip(), file=sys.stderr)

    def test_paths_are_real_and_outside_bazel(self):
        self.assertGreater(len(self.entries), 100)
        for e in self.entries:
            for path in (e["file"], e["directory"], e["arguments"][0]):
                self.assertEqual(os.path.realpath(path), path, f"{e['output']}: {path} is not a real path")
                for part in ("/sandbox/", "/execroot/", ".runfiles/", os.environ["TEST_TMPDIR"]):
                    self.assertNotIn(part, path, f"{e['output']}: {path} is inside Bazel ({part})")
            self.assertTrue(os.path.isfile(e["file"]), f"{e['output']}: no {e['file']}")

    def test_clang_accepts_every_entry(self):
        with concurrent.futures.ThreadPoolExecutor(max_workers=_JOBS.value) as pool:
            checked = self.entries[::_SAMPLE.value]
            results = list(pool.map(_syntax, checked))
        bad = [(e["output"], err.strip().splitlines()[:2]) for e, (rc, err) in zip(checked, results) if rc != 0]
        self.assertEqual(bad, [], f"{len(bad)} of {len(checked)} entries rejected by clang -fsyntax-only")

    def test_the_check_can_fail(self):
        c = [e for e in self.entries if e["file"].endswith(".c")][0]
        rc, _ = _syntax(c, drop_includes=True)
        self.assertNotEqual(rc, 0, f"{c['output']} compiled without its -I flags: the check proves nothing")


if __name__ == "__main__":
    absltest.main()
