import os
import tempfile

from absl.testing import absltest

from tools.boot_step import lib


class LibTest(absltest.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(dir=absltest.TEST_TMPDIR.value)
        self.cwd = os.getcwd()
        os.chdir(self.dir)
        os.makedirs("src/scripts")
        with open("src/scripts/x.sh", "w") as f:
            f.write("tr a-z A-Z\n")
        with open("in.txt", "w") as f:
            f.write("hello\n")
        os.makedirs("out")

    def tearDown(self):
        os.chdir(self.cwd)
        super().tearDown()

    def run_step(self, cmd, inputs=None, out_rel="arch/x/out.txt", nonempty=False):
        lib.run_step(cmd=cmd, srctree="src", tools={"CAT": "/bin/cat"}, inputs=inputs or {"arch/x/in.txt": "in.txt"},
                     out_rel=out_rel, out="out/out.txt", workdir="out/out.txt.tree", path="/usr/bin:/bin",
                     nonempty=nonempty)
        with open("out/out.txt") as f:
            return f.read()

    def test_tools_paths(self):
        os.makedirs("tools/bin")
        with open("tools/bin/sh", "w"):
            pass
        top = os.path.join(self.dir, "tools")
        self.assertEqual(lib.tools_paths("tools"), (f"{top}/bin/sh", f"{top}/bin", f"{top}/lib"))
        with self.assertRaisesRegex(lib.StepError, r"^--tools_dir=src: no bin/sh in it"):
            lib.tools_paths("src")

    def test_shell_path_and_libraries(self):
        # The command runs with exactly the given shell, PATH and LD_LIBRARY_PATH.
        lib.run_step(cmd='echo "$PATH $LD_LIBRARY_PATH" > arch/x/out.txt', srctree="src", tools={}, inputs={},
                     out_rel="arch/x/out.txt", out="out/out.txt", workdir="out/t", path="/p", shell="/bin/sh",
                     lib_path="/l")
        with open("out/out.txt") as f:
            self.assertEqual(f.read(), "/p /l\n")

    def test_replays_in_objtree_with_srctree_relative(self):
        got = self.run_step("$(CAT) arch/x/in.txt | sh $(srctree)/scripts/x.sh > arch/x/out.txt")
        self.assertEqual(got, "HELLO\n")
        self.assertFalse(os.path.exists("out/out.txt.tree"))

    def test_cc_gets_a_fixed_debug_directory(self):
        lib.run_step(cmd="echo $(CC) > arch/x/out.txt", srctree="src", tools={"CC": "bin/clang"}, inputs={},
                     out_rel="arch/x/out.txt", out="out/out.txt", workdir="out/t", path="/usr/bin:/bin")
        with open("out/out.txt") as f:
            self.assertEqual(f.read(), os.path.abspath("bin/clang") + " -fdebug-compilation-dir=.\n")

    def test_ld_writes_without_mmap(self):
        # On a full disk an mmapped output dies of SIGBUS (tests/faults:full_disk_test).
        lib.run_step(cmd="echo $(LD) > arch/x/out.txt", srctree="src", tools={"LD": "bin/ld.lld"}, inputs={},
                     out_rel="arch/x/out.txt", out="out/out.txt", workdir="out/t", path="/usr/bin:/bin")
        with open("out/out.txt") as f:
            self.assertEqual(f.read(), os.path.abspath("bin/ld.lld") + " --no-mmap-output-file\n")

    def test_kbuild_compressor_variables(self):
        self.assertEqual(self.run_step("echo $XZ $KGZIP > arch/x/out.txt"), "xz gzip\n")

    def test_env(self):
        lib.run_step(cmd="echo $SRCARCH > arch/x/out.txt", srctree="src", tools={}, inputs={},
                     out_rel="arch/x/out.txt", out="out/out.txt", workdir="out/t", path="/usr/bin:/bin",
                     env={"SRCARCH": "x86"})
        with open("out/out.txt") as f:
            self.assertEqual(f.read(), "x86\n")

    def test_size_append(self):
        self.assertEqual(lib.size_append(0x01020304), r"printf \\004\\003\\002\\001")
        lib.run_step(cmd="{ cat arch/x/in.txt; $(SIZE_APPEND); } > arch/x/out.txt", srctree="src", tools={},
                     inputs={"arch/x/in.txt": "in.txt"}, out_rel="arch/x/out.txt", out="out/out.txt",
                     workdir="out/t", path="/usr/bin:/bin", size_of=["arch/x/in.txt"])
        with open("out/out.txt", "rb") as f:
            self.assertEqual(f.read(), b"hello\n\x06\x00\x00\x00")

    def test_srctree_is_relative(self):
        self.assertEqual(self.run_step("echo $(srctree) > arch/x/out.txt"), "../../src\n")

    def test_mkdir(self):
        cmd = "echo x > arch/x/sub/../out.txt"
        with self.assertRaisesRegex(lib.StepError, "the step failed"):
            self.run_step(cmd)
        lib.run_step(cmd=cmd, srctree="src", tools={}, inputs={}, out_rel="arch/x/out.txt", out="out/out.txt",
                     workdir="out/t", path="/usr/bin:/bin", dirs=["arch/x/sub"])
        with open("out/out.txt") as f:
            self.assertEqual(f.read(), "x\n")

    def test_undeclared_input_is_absent(self):
        with self.assertRaisesRegex(lib.StepError, r"arch/x/out.txt: the step failed \(exit 1\)"):
            self.run_step("cat arch/x/other.txt > arch/x/out.txt")

    def test_no_output(self):
        with self.assertRaisesRegex(lib.StepError, "did not write it"):
            self.run_step("true")

    def test_empty_output(self):
        # CERT with an empty key writes an empty file; given a key file, that is an error.
        self.assertEqual(self.run_step(": > arch/x/out.txt"), "")
        with self.assertRaisesRegex(lib.StepError, r"^arch/x/out.txt: the step exited 0 but wrote 0 bytes"):
            self.run_step(": > arch/x/out.txt", nonempty=True)
        self.assertEqual(self.run_step("cat arch/x/in.txt > arch/x/out.txt", nonempty=True), "hello\n")

    def test_also_outputs(self):
        # asn1_compiler writes x.asn1.c and x.asn1.h: both are the action's outputs.
        lib.run_step(cmd="cat arch/x/in.txt > arch/x/out.txt; echo h > arch/y/out.h", srctree="src", tools={},
                     inputs={"arch/x/in.txt": "in.txt"}, out_rel="arch/x/out.txt", out="out/out.txt",
                     workdir="out/t", path="/usr/bin:/bin", also={"arch/y/out.h": "out/out.h"})
        with open("out/out.h") as f:
            self.assertEqual(f.read(), "h\n")
        self.assertFalse(os.path.exists("out/t"))
        with self.assertRaisesRegex(lib.StepError, r"^arch/x/out.txt: the step exited 0 but did not write arch/y/no.h$"):
            lib.run_step(cmd="cat arch/x/in.txt > arch/x/out.txt", srctree="src", tools={},
                         inputs={"arch/x/in.txt": "in.txt"}, out_rel="arch/x/out.txt", out="out/out2.txt",
                         workdir="out/t", path="/usr/bin:/bin", also={"arch/y/no.h": "out/no.h"})
        self.assertFalse(os.path.exists("out/out2.txt"))
        with self.assertRaisesRegex(lib.StepError, "not a path inside the object tree"):
            lib.run_step(cmd="true", srctree="src", tools={}, inputs={}, out_rel="arch/x/out.txt", out="out/o",
                         workdir="out/t", path="/usr/bin:/bin", also={"../h": "out/h"})

    def test_pinned_perl_environment(self):
        # With the tools' perl modules beside its libraries, perl reads them alone (KernelPinnedInc).
        os.makedirs("tools/lib/perl5")
        lib.run_step(cmd='echo "$PERL5LIB $PERL5OPT" > arch/x/out.txt', srctree="src", tools={}, inputs={},
                     out_rel="arch/x/out.txt", out="out/out.txt", workdir="out/t", path="/usr/bin:/bin",
                     lib_path=os.path.abspath("tools/lib"))
        with open("out/out.txt") as f:
            self.assertEqual(f.read(), os.path.abspath("tools/lib/perl5") + " -MKernelPinnedInc\n")
        lib.run_step(cmd='echo "${PERL5LIB-unset}" > arch/x/out.txt', srctree="src", tools={}, inputs={},
                     out_rel="arch/x/out.txt", out="out/out.txt", workdir="out/t", path="/usr/bin:/bin")
        with open("out/out.txt") as f:
            self.assertEqual(f.read(), "unset\n")

    def test_roots_are_relative_like_srctree(self):
        # arm64 vdso32's `-isystem $(CC_RESOURCE_DIR)/include`: a path from the step's directory.
        os.makedirs("res/include")
        lib.run_step(cmd="echo $(CC_RESOURCE_DIR)/include > arch/x/out.txt; test -d $(CC_RESOURCE_DIR)/include",
                     srctree="src", tools={}, inputs={}, out_rel="arch/x/out.txt", out="out/out.txt",
                     workdir="out/t", path="/usr/bin:/bin", roots={"CC_RESOURCE_DIR": "res"})
        with open("out/out.txt") as f:
            self.assertEqual(f.read(), "../../res/include\n")
        with self.assertRaisesRegex(lib.StepError, r"^--root=CC: also a tool or srctree"):
            lib.run_step(cmd="true", srctree="src", tools={"CC": "bin/clang"}, inputs={}, out_rel="arch/x/out.txt",
                         out="out/out.txt", workdir="out/t", path="/usr/bin:/bin", roots={"CC": "res"})

    def test_unknown_placeholder(self):
        with self.assertRaisesRegex(lib.StepError, r"\$\(NM\), which no --tool"):
            self.run_step("$(NM) vmlinux > arch/x/out.txt")

    def test_bad_paths(self):
        with self.assertRaisesRegex(lib.StepError, "not a path inside the object tree"):
            self.run_step("true", inputs={"../x": "in.txt"})
        with self.assertRaisesRegex(lib.StepError, "not a path inside the object tree"):
            self.run_step("true", out_rel="/tmp/x")

    def test_parse_pairs(self):
        self.assertEqual(lib.parse_pairs(["CC=a=b"], "tool"), {"CC": "a=b"})
        with self.assertRaisesRegex(lib.StepError, "expected KEY=VALUE"):
            lib.parse_pairs(["CC"], "tool")
        with self.assertRaisesRegex(lib.StepError, "given twice"):
            lib.parse_pairs(["A=1", "A=2"], "input")


if __name__ == "__main__":
    absltest.main()
