"""A ThinLTO backend that clang botches while exiting 0 must fail its action.

Runs the real //tools/thinlto backend step with the real clang on the smoke program's
staged tree for main.o, after breaking it the ways the research note lists.
"""

import os
import shutil
import subprocess
import tempfile

from absl import flags
from absl.testing import absltest

_THINLTO = flags.DEFINE_string("thinlto", None, "//tools/thinlto launcher.", required=True)
_CLANG = flags.DEFINE_string("clang", None, "clang.", required=True)
_PROGRAM = flags.DEFINE_string("program", None, "The x86_64 smoke program.", required=True)

_FLAGS = ["--target=x86_64-linux-gnu", "-no-canonical-prefixes", "-O2", "-fno-PIE"]


class BackendFailureTest(absltest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.tree = os.path.join(self.tmp, "main.o.inputs")
        shutil.copytree(_PROGRAM.value + ".lto/main.o.inputs", self.tree)
        with open(os.path.join(self.tree, "imports")) as f:
            self.imports = f.read().split()
        files = os.path.join(self.tree, "files")
        self.module = [os.path.relpath(os.path.join(d, n), files) for d, _, ns in os.walk(files)
                       for n in ns if n == "main.o"][0]
        self.out = os.path.join(self.tmp, "main.native.o")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def _backend(self, extra=(), module=None):
        args = [_THINLTO.value, "--mode=backend", f"--clang={os.path.abspath(_CLANG.value)}",
                f"--tree={self.tree}", f"--object={module or self.module}", f"--out={self.out}",
                "--machine=EM_X86_64"] + [f"--clang_arg={a}" for a in list(_FLAGS) + list(extra)]
        return subprocess.run(args, capture_output=True, text=True, check=False)

    def test_intact_tree_succeeds(self):
        proc = self._backend()
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(proc.stderr, "")

    def test_missing_import_fails_with_one_line(self):
        self.assertNotEmpty(self.imports)
        os.remove(os.path.join(self.tree, "files", self.imports[0]))
        proc = self._backend()
        self.assertNotEqual(proc.returncode, 0)
        self.assertRegex(proc.stderr, r"^thinlto: .*(Error running ThinLTO backend|error:).*\n?$")
        self.assertLen(proc.stderr.strip().splitlines(), 1)

    def test_flto_left_in_fails(self):
        proc = self._backend(extra=["-flto=thin"])
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("bitcode", proc.stderr)

    def test_other_path_string_fails(self):
        proc = self._backend(module="./" + self.module)
        self.assertNotEqual(proc.returncode, 0, "a module path unlike the thin-link's must not pass")


if __name__ == "__main__":
    absltest.main()
