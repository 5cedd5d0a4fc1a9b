"""Tests for tools/stubcopy: the relocation check on hand-made objdump text, and the tool
end to end with the hermetic clang and LLVM binutils on objects compiled here."""

import os
import subprocess
import sys
import tempfile

from absl import flags
from absl.testing import absltest

from tools.stubcopy import lib

_CLANG = flags.DEFINE_string("clang", None, "The hermetic clang.")
_STRIP = flags.DEFINE_string("strip", None, "llvm-strip.")
_OBJDUMP = flags.DEFINE_string("objdump", None, "llvm-objdump.")
_OBJCOPY = flags.DEFINE_string("objcopy", None, "llvm-objcopy.")
_TOOL = flags.DEFINE_string("tool", None, "stubcopy.py (run with this interpreter).")

_HERE = os.path.dirname(os.path.abspath(__file__))
_NAME = "drivers/firmware/efi/libstub/bad.stub.o"

_OBJDUMP_X86 = """
bad.o:\tfile format elf64-x86-64

RELOCATION RECORDS FOR [.text]:
OFFSET           TYPE                     VALUE
0000000000000003 R_X86_64_PC32            x-0x4

RELOCATION RECORDS FOR [.data]:
OFFSET           TYPE                     VALUE
0000000000000000 R_X86_64_64              x
"""


class CheckTest(absltest.TestCase):
    def test_message_is_kbuilds(self):
        self.assertEqual(lib.kbuild_message(_NAME),
                         "drivers/firmware/efi/libstub/bad.stub.o: absolute symbol references not allowed in the EFI stub")

    def test_grep_semantics_substring(self):
        # grep R_AARCH64_ABS matches R_AARCH64_ABS64 and R_AARCH64_ABS32 lines.
        text = "0 R_AARCH64_ABS64 x\n8 R_AARCH64_ABS32 y\n10 R_AARCH64_CALL26 z\n"
        self.assertEqual(lib.matching_lines(text, "R_AARCH64_ABS"), ["0 R_AARCH64_ABS64 x", "8 R_AARCH64_ABS32 y"])

    def test_pc_relative_passes(self):
        lib.check_relocations(_NAME, _OBJDUMP_X86.replace("R_X86_64_64 ", "R_X86_64_PC32"), "R_X86_64_64")

    def test_absolute_fails_with_kbuilds_message(self):
        with self.assertRaises(lib.StubError) as e:
            lib.check_relocations(_NAME, _OBJDUMP_X86, "R_X86_64_64")
        self.assertStartsWith(str(e.exception), lib.kbuild_message(_NAME) + " (1 R_X86_64_64* relocation(s); first: ")
        self.assertNotIn("\n", str(e.exception))

    def test_pattern_must_be_literal(self):
        for bad in ("", "R_.*", "R_X86_64_64 x"):
            with self.assertRaises(lib.StubError):
                lib.matching_lines(_OBJDUMP_X86, bad)


_GOOD_C = "int stub_add(int a) { return a + 1; }\n"  # with -g: debug sections hold absolute relocations
_BAD_C = "int x;\nint *stub_ptr = &x;\n"  # an absolute pointer in .data


class CheckObjectTest(absltest.TestCase):
    def _file(self, data):
        path = self.create_tempfile(content=data, mode="wb").full_path
        return path

    def test_relocatable_passes(self):
        lib.check_object(self._file(b"\x7fELF\x02\x01\x01" + bytes(9) + b"\x01\x00"), "x.o")

    def test_not_elf_empty_and_executable_fail(self):
        for data, msg in ((b"random bytes here!!", "not an ELF object"), (b"", "not an ELF object"),
                          (b"\x7fELF\x02\x01\x01" + bytes(9) + b"\x02\x00", "an ELF file but not a relocatable")):
            with self.assertRaisesRegex(lib.StubError, "^x.o: " + msg):
                lib.check_object(self._file(data), "x.o")

    def test_missing_fails_naming_it(self):
        with self.assertRaisesRegex(lib.StubError, "No such file"):
            lib.check_object("/nonexistent/x.o", "x.o")


class EndToEndTest(absltest.TestCase):
    def setUp(self):
        super().setUp()
        if not _CLANG.value:
            self.skipTest("needs --clang, --strip, --objdump, --objcopy, --tool (bazel test)")
        self.dir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))

    def _compile(self, name, text, target):
        c, o = os.path.join(self.dir, name + ".c"), os.path.join(self.dir, name + ".o")
        with open(c, "w") as f:
            f.write(text)
        subprocess.run([_CLANG.value, f"--target={target}", "-ffreestanding", "-nostdinc", "-fPIC", "-g", "-O2",
                        "-c", "-o", o, c], check=True)
        return o

    def _relocs(self, obj):
        return subprocess.run([_OBJDUMP.value, "-r", obj], check=True, stdout=subprocess.PIPE, text=True).stdout

    def _stubcopy(self, src, reloc, objcopy_flags):
        out = os.path.join(self.dir, os.path.basename(src)[:-2] + ".stub.o")
        argv = [sys.executable, _TOOL.value, f"--strip={_STRIP.value}", f"--objdump={_OBJDUMP.value}",
                f"--objcopy={_OBJCOPY.value}", f"--src={src}", f"--out={out}", f"--name={_NAME}",
                "--strip_flag=--strip-debug", f"--reject_reloc={reloc}"]
        argv += [f"--objcopy_flag={f}" for f in objcopy_flags]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
        return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env), out

    def _direct_objcopy(self, src, objcopy_flags):
        out = os.path.join(self.dir, "direct.o")
        subprocess.run([_OBJCOPY.value, *objcopy_flags, src, out], check=True)
        with open(out, "rb") as f:
            return f.read()

    def _check_good(self, target, reloc, objcopy_flags):
        src = self._compile("good", _GOOD_C, target)
        self.assertIn(reloc, self._relocs(src))  # the debug sections: the check must strip them first
        p, out = self._stubcopy(src, reloc, objcopy_flags)
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        with open(out, "rb") as f:
            self.assertEqual(f.read(), self._direct_objcopy(src, objcopy_flags))  # objcopy of the unstripped .o
        return out

    def test_x86_64_good(self):
        self._check_good("x86_64-linux-gnu", "R_X86_64_64", ["--remove-section=.note.gnu.property"])

    def test_arm64_good_prefixes_symbols_and_sections(self):
        out = self._check_good("aarch64-linux-gnu", "R_AARCH64_ABS",
                               ["--remove-section=.note.gnu.property", "--prefix-alloc-sections=.init",
                                "--prefix-symbols=__efistub_"])
        syms = subprocess.run([_OBJDUMP.value, "-t", out], check=True, stdout=subprocess.PIPE, text=True).stdout
        self.assertIn("__efistub_stub_add", syms)
        self.assertIn(".init.text", syms)

    def test_absolute_relocation_fails_with_kbuilds_message(self):
        for target, reloc in (("x86_64-linux-gnu", "R_X86_64_64"), ("aarch64-linux-gnu", "R_AARCH64_ABS")):
            with self.subTest(target=target):
                src = self._compile("bad", _BAD_C, target)
                p, out = self._stubcopy(src, reloc, ["--remove-section=.note.gnu.property"])
                self.assertEqual(p.returncode, 1)
                lines = p.stderr.splitlines()
                self.assertLen(lines, 1)
                self.assertStartsWith(lines[0], f"stubcopy: {lib.kbuild_message(_NAME)} (1 {reloc}* relocation(s); first: ")
                self.assertFalse(os.path.exists(out))  # no output for Bazel to mistake for a result
                self.assertEqual(sorted(os.listdir(self.dir)), ["bad.c", "bad.o"])  # nor a temporary

    def test_missing_source_names_the_object(self):
        p, out = self._stubcopy(os.path.join(self.dir, "missing.o"), "R_X86_64_64", [])
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stderr, rf"^stubcopy: {_NAME}: \S*missing\.o: No such file or directory\n$")
        self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    absltest.main()
