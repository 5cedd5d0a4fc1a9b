"""A distributed ThinLTO backend of a bitcode object whose inline assembly `.incbin`s a file.

kernel/configs.o (CONFIG_IKCONFIG) carries `.incbin "kernel/config_data.gz"` in its
bitcode: the backend generates that assembly, so clang must find the name from where it
runs, as Kbuild's link does in the object tree (the arm64 defconfig thin_dist blocker).
Runs the real //tools/thinlto thin-link and backend steps with the real clang and ld.lld.
"""

import os
import shutil
import subprocess
import tempfile

from absl import flags
from absl.testing import absltest

_THINLTO = flags.DEFINE_string("thinlto", None, "//tools/thinlto launcher.", required=True)
_CLANG = flags.DEFINE_string("clang", None, "clang.", required=True)
_LD = flags.DEFINE_string("ld", None, "ld.lld.", required=True)

_TARGET = "--target=aarch64-linux-gnu"
_A = r"""
asm(".pushsection .rodata.blob,\"a\"\n.globl blob\nblob:\n.incbin \"kernel/data.gz\"\n.popsection\n");
extern const char blob[];
int get(int i) { return blob[i] * 3; }
"""
_B = "int get(int); int f(int x) { return get(x) + 2; }\n"
_OBJ = {"a": "kernel/a.o", "b": "b.o"}


def _read(path):
    with open(path, "rb") as f:
        return f.read()


class BackendIncbinTest(absltest.TestCase):

    def setUp(self):
        super().setUp()
        self.work = tempfile.mkdtemp(dir=absltest.get_default_test_tmpdir())
        self.tools = {k: os.path.abspath(v.value) for k, v in [("clang", _CLANG), ("ld", _LD), ("thinlto", _THINLTO)]}
        os.makedirs(os.path.join(self.work, "kernel"))
        os.makedirs(os.path.join(self.work, "gen"))
        self.data = {}
        for name, text in [("one", b"IKCFG_ST" + b"one config " * 40), ("two", b"IKCFG_ST" + b"two config " * 40)]:
            self.data[name] = os.path.join("gen", name + ".gz")
            with open(os.path.join(self.work, self.data[name]), "wb") as f:
                f.write(text)
        shutil.copy(os.path.join(self.work, self.data["one"]), os.path.join(self.work, "kernel/data.gz"))
        for name, text in [("a", _A), ("b", _B)]:
            with open(os.path.join(self.work, name + ".c"), "w") as f:
                f.write(text)
            # a.o as kernel/a.o: the object's directory is also the first one of the name.
            self._run([self.tools["clang"], _TARGET, "-O2", "-flto=thin", "-ffunction-sections",
                       "-c", name + ".c", "-o", _OBJ[name]])
        os.unlink(os.path.join(self.work, "kernel/data.gz"))  # the backend must get it from --incbin
        self._run([self.tools["thinlto"], "--mode=thin_link", f"--ld={self.tools['ld']}",
                   "--ld_arg=-maarch64linux", "--ld_arg=-r", f"--input={_OBJ['a']}", "--input=b.o",
                   f"--bitcode={_OBJ['a']}", "--bitcode=b.o", "--tree=a.o.inputs", "--tree=b.o.inputs"])

    def tearDown(self):
        shutil.rmtree(self.work)
        super().tearDown()

    def _run(self, argv):
        proc = subprocess.run(argv, cwd=self.work, capture_output=True, text=True, check=False)
        self.assertEqual(proc.returncode, 0, f"{argv}: {proc.stderr}")

    def _backend(self, incbins, out="a.native.o"):
        argv = [self.tools["thinlto"], "--mode=backend", f"--clang={self.tools['clang']}",
                f"--clang_arg={_TARGET}", "--clang_arg=-O2", "--tree=a.o.inputs", f"--object={_OBJ['a']}",
                f"--out={out}", "--machine=EM_AARCH64"] + [f"--incbin={n}={p}" for n, p in incbins]
        return subprocess.run(argv, cwd=self.work, capture_output=True, text=True, check=False)

    def test_incbin_file_is_embedded(self):
        proc = self._backend([("kernel/data.gz", self.data["one"])])
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(_read(os.path.join(self.work, self.data["one"])), _read(os.path.join(self.work, "a.native.o")))

    def test_same_bytes_from_another_mirror(self):
        # Each run mirrors the tree in a new temporary directory: the object must not say where.
        for out in ("a1.native.o", "a2.native.o"):
            proc = self._backend([("kernel/data.gz", self.data["one"])], out=out)
            self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertEqual(_read(os.path.join(self.work, "a1.native.o")), _read(os.path.join(self.work, "a2.native.o")))

    def test_another_file_gives_another_object(self):
        for name in ("one", "two"):
            proc = self._backend([("kernel/data.gz", self.data[name])], out=f"{name}.native.o")
            self.assertEqual(proc.returncode, 0, proc.stderr)
        two = _read(os.path.join(self.work, "two.native.o"))
        self.assertIn(_read(os.path.join(self.work, self.data["two"])), two)
        self.assertNotIn(_read(os.path.join(self.work, self.data["one"])), two)

    def test_missing_incbin_fails_with_one_line(self):
        proc = self._backend([])
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("kernel/data.gz", proc.stderr)
        self.assertLen(proc.stderr.strip().splitlines(), 1, proc.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.work, "a.native.o")))

    def test_absent_file_and_bad_name_are_usage_errors(self):
        for incbin, message in [(("kernel/data.gz", "gen/none.gz"), "no such file"),
                                (("../data.gz", self.data["one"]), "NAME relative")]:
            proc = self._backend([incbin])
            self.assertNotEqual(proc.returncode, 0)
            self.assertIn(message, proc.stderr)
            self.assertLen(proc.stderr.strip().splitlines(), 1, proc.stderr)


if __name__ == "__main__":
    absltest.main()
