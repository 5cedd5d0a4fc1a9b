"""The toolchain's srcloc plugin: a comment added to a header changes no bitcode.

Compiles a fixture whose inline asm comes after an included header, with the real clang,
before and after a comment is appended to that header, with and without the plugin
(toolchains/plugin/strip_srcloc.cc), in ThinLTO and full LTO. Without the plugin the
bitcode must differ (the fixture does exercise `!srcloc`), with it be identical; the
native code made from either must be the same bytes; errors that LTO backends report
(a bad asm statement, a call to an __attribute__((error)) function) must still fail.
"""

import os
import re
import shutil
import subprocess
import tempfile

from absl import flags
from absl.testing import absltest

_CLANG = flags.DEFINE_string("clang", None, "clang.", required=True)
_LLVM_DIS = flags.DEFINE_string("llvm_dis", None, "llvm-dis.", required=True)
_PLUGIN = flags.DEFINE_string("plugin", None, "The srcloc plugin (.so).", required=True)

_HEADER = "/* first.h */\nstatic inline int first(int x) { return x * 3; }\n"
_ASM_HEADER = ("static inline void barrier_here(void) { __asm__ __volatile__(\"\" ::: \"memory\"); }\n")
# check_size's call survives the bitcode compile (only the backend's inlining decides it),
# as the kernel's __bad_copy_to() does: it keeps a `!srcloc`, which must not move either.
_SOURCE = """#include "first.h"
#include "asm.h"
extern void too_small(void) __attribute__((error("too small")));
void check_size(const void *p, unsigned long n) {
    if (__builtin_object_size(p, 0) < n)
        too_small();
}
int f(int x) {
    barrier_here();
    __asm__ __volatile__("nop");
    return first(x) + 1;
}
"""
_ASM_GOTO = """int g(int x) {
    __asm__ goto("" :::: out);
    return x;
out:
    return -x;
}
"""
_CALL_ERROR = """extern void nope(void) __attribute__((error("nope was called")));
void h(volatile int *p) { if (*p) nope(); }
"""
_TARGETS = ["x86_64-linux-gnu", "aarch64-linux-gnu"]


class SrclocPluginTest(absltest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self._write("first.h", _HEADER)
        self._write("asm.h", _ASM_HEADER)
        self._write("f.c", _SOURCE)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def _write(self, name, text, mode="w"):
        with open(os.path.join(self.tmp, name), mode) as f:
            f.write(text)

    def _read(self, name):
        with open(os.path.join(self.tmp, name), "rb") as f:
            return f.read()

    def _clang(self, args, check=True):
        proc = subprocess.run([os.path.abspath(_CLANG.value), "-no-canonical-prefixes", *args],
                              cwd=self.tmp, capture_output=True, text=True, check=False)
        if check:
            self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc

    def _bitcode(self, out, target, lto, plugin, source="f.c"):
        args = [f"--target={target}", "-O2", f"-flto={lto}", "-c", source, "-o", out]
        if plugin:
            args.insert(0, "-fpass-plugin=" + os.path.abspath(_PLUGIN.value))
        self._clang(args)
        return self._read(out)

    def _dis(self, name):
        proc = subprocess.run([os.path.abspath(_LLVM_DIS.value), name, "-o", "-"], cwd=self.tmp,
                              capture_output=True, text=True, check=False)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        return proc.stdout

    def test_comment_changes_bitcode_only_without_plugin(self):
        for target in _TARGETS:
            for lto in ["thin", "full"]:
                with self.subTest(target=target, lto=lto):
                    self._write("first.h", _HEADER)
                    plain = self._bitcode("plain1.bc", target, lto, plugin=False)
                    stripped = self._bitcode("stripped1.bc", target, lto, plugin=True)
                    self._write("first.h", "/* a comment added to the header */\n", mode="a")
                    self.assertNotEqual(self._bitcode("plain2.bc", target, lto, plugin=False), plain)
                    self.assertEqual(self._bitcode("stripped2.bc", target, lto, plugin=True), stripped)

    def test_asm_loses_its_srcloc_calls_get_one(self):
        self._write("f.c", _SOURCE + _ASM_GOTO + _CALL_ERROR)
        self._bitcode("plain.bc", _TARGETS[0], "thin", plugin=False)
        self._bitcode("stripped.bc", _TARGETS[0], "thin", plugin=True)
        # callbr's `to label ...` (and its metadata) is on a line of its own.
        plain, stripped = [re.sub(r"\n\s+to label", " to label", self._dis(n)) for n in ["plain.bc", "stripped.bc"]]
        asm = [l for l in plain.splitlines() if " asm " in l]
        self.assertLen(asm, 3)  # two asm, one asm goto (callbr)
        self.assertTrue(all("!srcloc" in l for l in asm), asm)
        for line in stripped.splitlines():
            if " asm " in line:
                self.assertNotIn("!srcloc", line)
        for text in [plain, stripped]:
            self.assertLen([l for l in text.splitlines() if "call void @nope()" in l and "!srcloc" in l], 1)
        # its dontcall error needs one (test_backend_errors_still_fail); any one does
        self.assertRegex(stripped, r"call void @nope\(\).*, !srcloc (!\d+)(?s:.*)\1 = !\{i64 1\}")
        self.assertNotRegex(plain, r"!\d+ = !\{i64 1\}")

    def test_native_code_is_the_same(self):
        for target in _TARGETS:
            with self.subTest(target=target):
                self._bitcode("plain.bc", target, "thin", plugin=False)
                self._bitcode("stripped.bc", target, "thin", plugin=True)
                self._clang([f"--target={target}", "-O2", "-c", "plain.bc", "-o", "plain.o"])
                self._clang([f"--target={target}", "-O2", "-c", "stripped.bc", "-o", "stripped.o"])
                self.assertEqual(self._read("plain.o"), self._read("stripped.o"))

    def test_backend_errors_still_fail(self):
        cases = {
            "badasm.c": ("int g(void) { __asm__ __volatile__(\"not_an_instruction %%rax\"); return 0; }\n",
                         "not_an_instruction"),
            "callerr.c": (_CALL_ERROR, "nope was called"),
        }
        for name, (text, message) in cases.items():
            with self.subTest(source=name):
                self._write(name, text)
                self._bitcode(name + ".bc", _TARGETS[0], "thin", plugin=True, source=name)
                proc = self._clang(["--target=" + _TARGETS[0], "-O2", "-c", name + ".bc", "-o", name + ".o"],
                                   check=False)
                self.assertNotEqual(proc.returncode, 0)
                self.assertIn(message, proc.stderr)


if __name__ == "__main__":
    absltest.main()
