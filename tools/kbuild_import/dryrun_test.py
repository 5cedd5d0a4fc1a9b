"""Tests for tools/kbuild_import: `make -n` parsing: steps, compiles, archives, shell words (testdata: see test_util.py)"""

import dataclasses

from absl.testing import absltest

from tools.kbuild_import.analysis import Derived, analyze, parse_objcopy, parse_stubcopy
from tools.kbuild_import.common import KbuildImportError
from tools.kbuild_import.dryrun import (
    Step, cmd_mismatches, flatten, head_first, lto_kind, parse_archive, parse_cmd_file, parse_compile,
    parse_dry_run, parse_vmlinux_a, shell_split,
)
from tools.kbuild_import.test_util import BIN, LDS, SRC, TOOLS, dry_run_steps, find_step


# Lines of Linux 6.1 x86_64 defconfig's `make -n` (docs/defconfig-steps.md 7.1; traps cut
# to two signals, paths shortened).
_ASN1 = ("set -e;  echo '  ASN.1   crypto/asymmetric_keys/x509.asn1.[ch]';    "
         "trap 'rm -f crypto/asymmetric_keys/x509.asn1.c; trap - HUP; kill -s HUP $$' HUP;  "
         "trap 'rm -f crypto/asymmetric_keys/x509.asn1.c; trap - INT; kill -s INT $$' INT; "
         f"./scripts/asn1_compiler {SRC}/crypto/asymmetric_keys/x509.asn1 crypto/asymmetric_keys/x509.asn1.c "
         "crypto/asymmetric_keys/x509.asn1.h; printf '%s\\n' 'cmd_crypto/asymmetric_keys/x509.asn1.c := ...' "
         "> crypto/asymmetric_keys/.x509.asn1.c.cmd\n")
_FLASK = ("set -e;  echo '  GEN     security/selinux/flask.h security/selinux/av_permissions.h';    "
          "trap 'rm -f security/selinux/flask.h; trap - HUP; kill -s HUP $$' HUP; "
          "security/selinux/genheaders security/selinux/flask.h security/selinux/av_permissions.h; "
          "printf '%s\\n' 'cmd_security/selinux/flask.h := ...' > security/selinux/.flask.h.cmd\n")
_KECHO = ('echo "  GEN     net/wireless/shipped-certs.c"\n'
          "(echo '#include \"reg.h\"'; \\\n"
          "  echo 'const u8 shipped_regdb_certs[] = {'; \\\n"
          f"  echo | cat - {SRC}/net/wireless/certs/debian.hex {SRC}/net/wireless/certs/wens.hex ; \\\n"
          "  echo '};'; \\\n"
          " ) > net/wireless/shipped-certs.c\n"
          "set -e;  echo '  CC      net/wireless/shipped-certs.o';    "
          "trap 'rm -f net/wireless/shipped-certs.o; trap - HUP; kill -s HUP $$' HUP; clang -c -o "
          "net/wireless/shipped-certs.o net/wireless/shipped-certs.c\n")


class ParseDryRunTest(absltest.TestCase):
    def test_labels_targets_and_phases(self):
        steps = dry_run_steps()
        got = {(s.tag, s.target, s.phase) for s in steps}
        for want in [
            ("CC", "init/calibrate.o", "build"),
            ("AS", "arch/arm64/kernel/entry.o", "build"),
            ("AR", "vmlinux.a", "build"),
            ("LDS", LDS, "build"),
            ("FILECHK", "init/utsversion-tmp.h", "build"),
            ("GEN", ".tmp_initcalls.lds", "vmlinux_o"),
            ("LD", "vmlinux.o", "vmlinux_o"),
            ("FILECHK", "include/generated/utsversion.h", "link"),
            ("CC", "init/version-timestamp.o", "link"),
        ]:
            self.assertIn(want, got)
        self.assertEqual([s.index for s in steps], list(range(len(steps))))

    def test_rule_follow_up_lines_are_not_steps(self):
        # `set -e; ... check-local-export init/calibrate.o` has no label.
        self.assertEqual(len([s for s in dry_run_steps() if "calibrate" in s.target]), 1)

    def test_command_without_traps_and_bookkeeping(self):
        cmd = find_step(dry_run_steps(), "init/calibrate.o").cmd
        self.assertTrue(cmd.startswith(f"{BIN}/clang -Wp,-MMD,init/.calibrate.o.d "))
        self.assertTrue(cmd.endswith(f"-c -o init/calibrate.o {SRC}/init/calibrate.c"))
        for junk in ("trap", "fixdep", "printf"):
            self.assertNotIn(junk, cmd)

    def test_tag_with_a_dot_and_a_label_naming_several_files(self):
        steps = parse_dry_run(_ASN1 + _FLASK)
        self.assertEqual([(s.tag, s.target) for s in steps], [
            ("ASN.1", "crypto/asymmetric_keys/x509.asn1.c"), ("GEN", "security/selinux/flask.h")])
        self.assertTrue(steps[0].cmd.startswith("./scripts/asn1_compiler "))
        self.assertTrue(steps[1].cmd.endswith(" security/selinux/av_permissions.h"))

    def test_echo_line_then_a_plain_recipe(self):
        steps = parse_dry_run(_KECHO)
        self.assertEqual([(s.tag, s.target) for s in steps], [
            ("GEN", "net/wireless/shipped-certs.c"), ("CC", "net/wireless/shipped-certs.o")])
        self.assertTrue(steps[0].cmd.startswith("(echo '#include \"reg.h\"';"))
        self.assertTrue(steps[0].cmd.endswith(") > net/wireless/shipped-certs.c"))

    def test_echo_line_then_a_line_that_does_not_write_it(self):
        with self.assertRaisesRegex(KbuildImportError,
                                    r"^GEN net/wireless/shipped-certs.c: the line after its echo does not write it"):
            parse_dry_run(_KECHO.replace(") > net/wireless/shipped-certs.c", ") > /dev/null"))

    def test_obj_dir_of_a_step(self):
        steps = dry_run_steps()
        # Printed after the lib/ sub-make's children: still lib's rule.
        self.assertEqual(find_step(steps, "lib/crc32table.h").obj, "lib")
        # Not under any sub-make's directory: the latest (init/Makefile's rule).
        self.assertEqual(find_step(steps, "include/generated/utsversion.h").obj, "init")

    def test_continuation_lines_and_unlabelled_lines(self):
        text = ("/usr/bin/make -f /s/scripts/Makefile.build obj=foo \\\nneed-builtin=1 \\\n\n"
                ":\nset -e;    true\n"
                "set -e;  echo '  GEN     foo/x.h';    trap 'rm -f foo/x.h; trap - HUP; kill -s HUP $$' HUP;"
                "  gen > foo/x.h; printf '%s\\n' 'cmd_foo/x.h := gen > foo/x.h' > foo/.x.h.cmd\n")
        self.assertEqual(parse_dry_run(text), [Step(0, "build", "GEN", "foo/x.h", "foo", "gen > foo/x.h")])


class CompileTest(absltest.TestCase):
    def test_c_object(self):
        c = parse_compile(find_step(dry_run_steps(), "init/calibrate.o"), TOOLS["clang"])
        self.assertEqual((c.out, c.src, c.lang, c.post), ("init/calibrate.o", f"{SRC}/init/calibrate.c", "c", ()))
        self.assertFalse([f for f in c.flags if f.startswith("-Wp,") or f in ("-c", "-o", c.out, c.src)])
        # Shell quoting is gone: these are argv words.
        self.assertIn('-DKBUILD_MODFILE="init/calibrate"', c.flags)
        self.assertIn('-DARM64_ASM_ARCH="armv8.5-a"', c.flags)
        self.assertEqual(lto_kind(c.lang, c.flags), "bitcode")

    def test_asm_object(self):
        c = parse_compile(find_step(dry_run_steps(), "arch/arm64/kernel/entry.o"), TOOLS["clang"])
        self.assertEqual(c.lang, "asm")
        self.assertIn("-D__ASSEMBLY__", c.flags)
        self.assertEqual(lto_kind(c.lang, c.flags), "native")

    def test_lto_opt_out_object(self):
        # arch/arm64/kernel/pi/Makefile: KBUILD_CFLAGS := $(filter-out $(CC_FLAGS_LTO), ...)
        c = parse_compile(find_step(dry_run_steps(), "arch/arm64/kernel/pi/kaslr_early.o"), TOOLS["clang"])
        self.assertEqual(c.lang, "c")
        self.assertIn("-fno-lto", c.flags)
        self.assertFalse([f for f in c.flags if f.startswith("-flto")])
        self.assertEqual(lto_kind(c.lang, c.flags), "native")

    def test_lto_kind_last_flag_wins(self):
        self.assertEqual(lto_kind("c", ["-fno-lto", "-flto=thin"]), "bitcode")
        self.assertEqual(lto_kind("c", ["-flto", "-fno-lto"]), "native")
        self.assertEqual(lto_kind("c", ["-fno-lto", "-flto"]), "bitcode")
        self.assertEqual(lto_kind("c", []), "native")
        self.assertEqual(lto_kind("asm", ["-flto=thin"]), "native")

    def test_linker_script_preprocessing(self):
        c = parse_compile(find_step(dry_run_steps(), LDS), TOOLS["clang"], mode="-E")
        self.assertEqual(c.src, f"{SRC}/arch/arm64/kernel/vmlinux.lds.S")
        self.assertNotIn("-E", c.flags)
        self.assertIn("-DLINKER_SCRIPT", c.flags)

    def test_not_the_compiler(self):
        s = Step(0, "build", "CC", "a.o", ".", "/usr/bin/gcc -c -o a.o a.c")
        with self.assertRaisesRegex(KbuildImportError, "not the compiler"):
            parse_compile(s, TOOLS["clang"])

    def test_post_commands_are_kept(self):
        s = Step(0, "build", "CC", "a.o", ".", f"{TOOLS['clang']} -O2 -c -o a.o a.c; ./tools/objtool/objtool --x a.o")
        self.assertEqual(parse_compile(s, TOOLS["clang"]).post, ("./tools/objtool/objtool --x a.o",))

    def test_objcopy_derived_object(self):
        d = parse_objcopy(find_step(dry_run_steps(), "arch/arm64/kernel/pi/kaslr_early.pi.o"), TOOLS["objcopy"])
        self.assertEqual(d.src, "arch/arm64/kernel/pi/kaslr_early.o")
        self.assertEqual(d.flags, ("--prefix-symbols=__pi_", "--remove-section=.note.gnu.property",
                                   "--prefix-alloc-sections=.init"))

    def test_unknown_object_producer_is_an_error(self):
        text = ("set -e;  echo '  MKOBJ   foo/bar.o';    trap 'rm -f foo/bar.o; trap - HUP; kill -s HUP $$' HUP;"
                "  scripts/mkobj foo/a.o foo/bar.o\n")
        with self.assertRaisesRegex(KbuildImportError, "^MKOBJ foo/bar.o: objects made by MKOBJ are not supported$"):
            analyze(parse_dry_run(text), TOOLS, LDS)

    def test_partial_link_of_unknown_objects_is_an_error(self):
        # `LD X.o` is a partial link now (partial.py): its inputs must be compiled or made.
        text = ("set -e;  echo '  LD      foo/bar.o';    trap 'rm -f foo/bar.o; trap - HUP; kill -s HUP $$' HUP;"
                f"  {TOOLS['ld']} -r -o foo/bar.o foo/a.o foo/b.o\n")
        with self.assertRaisesRegex(KbuildImportError, "^LD foo/bar.o: links foo/a.o, which the dry run neither"):
            analyze(parse_dry_run(text) + dry_run_steps("mini_dry_run.txt"), TOOLS, LDS)


class StubcopyTest(absltest.TestCase):
    """cmd_stubcopy of drivers/firmware/efi/libstub (testdata/stubcopy_dry_run.txt)."""

    def setUp(self):
        super().setUp()
        self.steps = dry_run_steps("stubcopy_dry_run.txt")

    def test_x86_64(self):
        s = find_step(self.steps, "drivers/firmware/efi/libstub/alignedmem.stub.o")
        self.assertEqual(s.tag, "STUBCPY")
        d = parse_stubcopy(s, TOOLS)
        self.assertEqual(d, Derived("drivers/firmware/efi/libstub/alignedmem.stub.o",
                                    "drivers/firmware/efi/libstub/alignedmem.o",
                                    ("--remove-section=.note.gnu.property",), kind="stubcopy",
                                    strip_flags=("--strip-debug",), reject_reloc="R_X86_64_64"))

    def test_arm64(self):
        d = parse_stubcopy(find_step(self.steps, "drivers/firmware/efi/libstub/arm64-stub.stub.o"), TOOLS)
        self.assertEqual((d.src, d.flags, d.strip_flags, d.reject_reloc),
                         ("drivers/firmware/efi/libstub/arm64-stub.o",
                          ("--remove-section=.note.gnu.property", "--prefix-alloc-sections=.init",
                           "--prefix-symbols=__efistub_"), ("--strip-debug",), "R_AARCH64_ABS"))

    def test_analyze_makes_it_derived_from_its_compile(self):
        a = analyze(self.steps + dry_run_steps("mini_dry_run.txt"), TOOLS, LDS)
        self.assertEqual(a.derived["drivers/firmware/efi/libstub/arm64-stub.stub.o"].kind, "stubcopy")
        self.assertIn("drivers/firmware/efi/libstub/arm64-stub.o", a.compiles)

    def _bad(self, old, new, message):
        s = find_step(self.steps, "drivers/firmware/efi/libstub/alignedmem.stub.o")
        self.assertIn(old, s.cmd)
        bad = dataclasses.replace(s, cmd=s.cmd.replace(old, new))
        with self.assertRaisesRegex(KbuildImportError, "^STUBCPY drivers/firmware/efi/libstub/alignedmem.stub.o: "
                                                       "objects made by STUBCPY are not supported: " + message):
            parse_stubcopy(bad, TOOLS)
        # analyze says the same (one line, naming the step)
        with self.assertRaisesRegex(KbuildImportError, "objects made by STUBCPY are not supported: " + message):
            analyze([bad] + dry_run_steps("mini_dry_run.txt"), TOOLS, LDS)

    def test_other_shapes_are_errors(self):
        self._bad("/bin/false; fi;", "true; fi;", "not Kbuild 6.1's cmd_stubcopy")
        self._bad("| grep R_X86_64_64;", "| grep -v R_X86_64_64;", "not Kbuild 6.1's cmd_stubcopy")
        self._bad("alignedmem.o drivers/firmware/efi/libstub/alignedmem.stub.o",
                  "alignedmem.o drivers/firmware/efi/libstub/alignedmem.stub.o; rm -f x", "not Kbuild 6.1's cmd_stubcopy")
        self._bad(f"{BIN}/llvm-strip", "/usr/bin/strip", "its strip/objdump/objcopy are not the import's")
        self._bad("-r drivers/firmware/efi/libstub/alignedmem.stub.o", "-r other.stub.o", "it does not name one output")
        self._bad("--remove-section=.note.gnu.property drivers/firmware/efi/libstub/alignedmem.o",
                  "--remove-section=.note.gnu.property drivers/firmware/efi/libstub/other.o", "strip and objcopy read different")


class ArchiveTest(absltest.TestCase):
    def test_printf_xargs(self):
        a = parse_archive(find_step(dry_run_steps(), "init/built-in.a"), TOOLS["ar"])
        self.assertEqual(a.flags, "cDPrST")
        self.assertEqual(a.members, ("init/main.o", "init/version.o", "init/do_mounts.o", "init/do_mounts_initrd.o",
                                     "init/initramfs.o", "init/calibrate.o", "init/init_task.o"))

    def test_empty(self):
        a = parse_archive(find_step(dry_run_steps(), "arch/arm64/kernel/probes/built-in.a"), TOOLS["ar"])
        self.assertEqual((a.out, a.members), ("arch/arm64/kernel/probes/built-in.a", ()))

    def test_lib_a_with_symbol_table(self):
        a = parse_archive(find_step(dry_run_steps(), "arch/arm64/lib/lib.a"), TOOLS["ar"])
        self.assertEqual(a.flags, "cDPrsT")
        self.assertEqual(a.members[:2], ("arch/arm64/lib/clear_page.o", "arch/arm64/lib/clear_user.o"))
        self.assertLen(a.members, 19)

    def test_top_built_in_paths_are_normalized(self):
        a = parse_archive(find_step(dry_run_steps(), "built-in.a"), TOOLS["ar"])  # printf "./%s " ...
        self.assertEqual(a.members[:2], ("init/built-in.a", "usr/built-in.a"))

    def test_vmlinux_a(self):
        a, heads = parse_vmlinux_a(find_step(dry_run_steps(), "vmlinux.a"), TOOLS["ar"])
        self.assertEqual((a.flags, a.members, heads), ("cDPrST", ("built-in.a",), f"{SRC}/scripts/head-object-list.txt"))

    def test_vmlinux_a_unknown_form(self):
        s = Step(0, "build", "AR", "vmlinux.a", ".", f"rm -f vmlinux.a; {TOOLS['ar']} cDPrST vmlinux.a ./built-in.a")
        with self.assertRaisesRegex(KbuildImportError, "unrecognized"):
            parse_vmlinux_a(s, TOOLS["ar"])

    def test_flatten_thin_archives_in_order(self):
        a = analyze(dry_run_steps("mini_dry_run.txt"), TOOLS, LDS)
        self.assertEqual(flatten(a.archives, "vmlinux.a"), [
            "init/calibrate.o", "usr/initramfs_data.o", "arch/arm64/kernel/entry.o",
            "arch/arm64/kernel/pi/kaslr_early.pi.o"])

    def test_head_objects_move_first_in_archive_order(self):
        members = ["init/main.o", "arch/x86/kernel/head_64.o", "kernel/fork.o", "arch/x86/kernel/head64.o"]
        heads_file = "# Head objects\n#\narch/x86/kernel/head64.o\narch/x86/kernel/head_64.o\n"
        self.assertEqual(head_first(members, heads_file), (
            ["arch/x86/kernel/head_64.o", "arch/x86/kernel/head64.o", "init/main.o", "kernel/fork.o"],
            ["arch/x86/kernel/head_64.o", "arch/x86/kernel/head64.o"]))
        # arm64 has no entry; grep -F is a substring match, so arch/arm/... must not hit arch/arm64/...
        self.assertEqual(head_first(["arch/arm64/kernel/head.o"], "arch/arm/kernel/head.o\n")[1], [])
        # An empty pattern line matches everything (grep -F -f).
        self.assertEqual(head_first(["a.o", "b.o"], "x\n\ny\n")[1], ["a.o", "b.o"])
class ShellTest(absltest.TestCase):
    def test_shell_split(self):
        self.assertEqual(shell_split("""a -DX='"y"' b;  c | d > e && f '#x'"""),
                         [["a", '-DX="y"', "b"], ["c"], ["d", ">", "e"], ["f", "#x"]])

    def test_unbalanced_quote(self):
        with self.assertRaises(KbuildImportError):
            shell_split("a 'b")


class CmdFileTest(absltest.TestCase):
    """The guard that the import's real make ran the dry run's commands (7.2)."""

    def test_parse_cmd_file(self):
        self.assertEqual(parse_cmd_file("cmd_a/b.o := clang -DX='$(pound)$$$$(pound)' -c a/b.c\n\nsource_a/b.o := a/b.c\n"),
                         ("a/b.o", "clang -DX='#$$(pound)' -c a/b.c"))
        self.assertIsNone(parse_cmd_file("a := b\n"))

    def test_cmd_mismatches(self):
        steps = [Step(0, "build", "CC", "a/b.o", "a", "clang  -O2 -c -o a/b.o a/b.c"),
                 Step(1, "build", "GEN", "a/x.h", "a", "gen > a/x.h")]
        self.assertEqual(cmd_mismatches(steps, {"a/b.o": "clang -O2 -c -o a/b.o a/b.c ", "c/d.o": "other"}), [])
        self.assertEqual(cmd_mismatches(steps, {"a/b.o": "clang -O2 -I inc -c -o a/b.o a/b.c"}), [
            "a/b.o: the import's make ran another command than the dry run's (word 2: '-I', dry run '-c')"])
        self.assertEqual(cmd_mismatches(steps, {"a/x.h": "gen"}), [
            "a/x.h: the import's make ran another command than the dry run's (word 1: 'end', dry run '>')"])

    def test_real_vdso_compile_without_a_parent_flag(self):
        # A real compile line of the snippets, as a sub-make run on its own would write it
        # without an -I its parent directory's subdir-ccflags-y adds.
        step = find_step(dry_run_steps(), "init/calibrate.o")
        made = step.cmd.replace(" -I./include ", " ", 1)
        self.assertNotEqual(made, step.cmd)
        self.assertRegex(cmd_mismatches([step], {"init/calibrate.o": made})[0],
                         r"^init/calibrate.o: the import's make ran another command .*dry run '-I./include'")


if __name__ == "__main__":
    absltest.main()
