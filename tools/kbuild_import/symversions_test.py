"""Tests for tools/kbuild_import/symversions.py: CONFIG_MODVERSIONS' gen_symversions steps
(testdata/symversions_dry_run.txt: real `make -n` lines of Linux 6.1 x86_64, see its header)."""

import dataclasses

from absl.testing import absltest

from tools.kbuild_import.analysis import analyze
from tools.kbuild_import.common import KbuildImportError
from tools.kbuild_import.dryrun import parse_compile, parse_dry_run
from tools.kbuild_import.modules import parse_modfinal
from tools.kbuild_import.placeholders import normalize_flags
from tools.kbuild_import.deps import Deps
from tools.kbuild_import.symversions import (
    EXPORT_C, EXPORT_O, export_o_entry, parse_export_o,
    GENKSYMS_TAG, SYMVERSIONS_ASM_PROBE, SYMVERSIONS_ASM_PROBE_OUT, is_symversions_cmd, parse_symvers_lines,
    parse_symversions, symversions_asm_probe, symversions_asm_section, symversions_entry,
)
from tools.kbuild_import.test_util import BIN, LDS, ROOTS, SRC, TOOLS, dry_run_steps, read_testdata

_CC = f"{BIN}/clang"


def _steps():
    return parse_dry_run(read_testdata("symversions_dry_run.txt"))


def _pair(target):
    steps = [s for s in _steps() if s.target == target]
    compile_step = next(s for s in steps if s.tag in ("CC", "AS"))
    gen = next(s for s in steps if s.tag == GENKSYMS_TAG)
    return parse_compile(compile_step, _CC), gen


class ParseTest(absltest.TestCase):
    def test_dry_run_tags_the_gen_symversions_lines(self):
        got = [(s.tag, s.target) for s in _steps()]
        self.assertEqual(got, [("AS", "arch/x86/lib/memcpy_64.o"), (GENKSYMS_TAG, "arch/x86/lib/memcpy_64.o"),
                               ("CC", "lib/string.o"), (GENKSYMS_TAG, "lib/string.o")])
        for s in _steps():
            self.assertEqual(is_symversions_cmd(s.cmd), s.tag == GENKSYMS_TAG, s.target)

    def test_c_object(self):
        c, gen = _pair("lib/string.o")
        sv = parse_symversions(gen, c, TOOLS)
        self.assertEqual((sv.obj, sv.kind), ("lib/string.o", "c"))
        self.assertEqual(sv.c_flags, c.flags)
        self.assertEqual(symversions_entry(sv, lambda f: normalize_flags(f, ROOTS)), {"kind": "c"})

    def test_asm_object_keeps_the_c_flags_of_the_second_cpp(self):
        c, gen = _pair("arch/x86/lib/memcpy_64.o")
        sv = parse_symversions(gen, c, TOOLS)
        self.assertEqual(sv.kind, "asm")
        self.assertNotEqual(sv.c_flags, c.flags)  # c_flags, not the compile's a_flags
        self.assertIn("-DKBUILD_MODNAME=\"memcpy_64\"", sv.c_flags)
        self.assertNotIn("-D__ASSEMBLY__", sv.c_flags)
        self.assertFalse(any(f.startswith("-Wp,-MMD") for f in sv.c_flags))
        e = symversions_entry(sv, lambda f: normalize_flags(f, ROOTS))
        self.assertEqual(e["kind"], "asm")
        self.assertFalse(any(SRC in f for f in e["c_flags"]), e["c_flags"])

    def test_analysis_collects_them(self):
        base = dry_run_steps()  # arm64's snippets (test_util): they have a vmlinux.a
        a = analyze(base + _steps(), TOOLS, LDS)
        self.assertEqual(sorted(a.symversions), ["arch/x86/lib/memcpy_64.o", "lib/string.o"])
        self.assertEqual(analyze(base, TOOLS, LDS).symversions, {})
        orphan = [s for s in _steps() if s.tag == GENKSYMS_TAG]
        with self.assertRaisesRegex(KbuildImportError, "^GENKSYMS arch/x86/lib/memcpy_64.o: follows no compile"):
            analyze(base + orphan, TOOLS, LDS)


class RefusalTest(absltest.TestCase):
    """Each way the printed step can differ from Kbuild 6.1's is one line, not a wrong plan."""

    def _fails(self, target, old, new, msg):
        c, gen = _pair(target)
        self.assertIn(old, gen.cmd)
        gen = dataclasses.replace(gen, cmd=gen.cmd.replace(old, new, 1))
        with self.assertRaisesRegex(KbuildImportError, msg):
            parse_symversions(gen, c, TOOLS)

    def test_symtypes_and_preserve(self):
        self._fails("lib/string.o", "genksyms   -r", "genksyms -T lib/string.symtypes -r", "only `-r /dev/null`")
        self._fails("lib/string.o", "genksyms   -r", "genksyms -p -r", "KBUILD_PRESERVE")
        self._fails("lib/string.o", "-r /dev/null", "-r lib/string.symref", "symref")

    def test_other_nm_object_or_cmd_file(self):
        self._fails("lib/string.o", f"{BIN}/llvm-nm", "/usr/bin/nm", "not the nm tool")
        self._fails("lib/string.o", "llvm-nm lib/string.o", "llvm-nm lib/other.o", "checks lib/other.o")
        self._fails("lib/string.o", ">> lib/.string.o.cmd", ">> lib/.other.o.cmd", "expected lib/.string.o.cmd")

    def test_flags_or_source_differ(self):
        self._fails("lib/string.o", "-D__GENKSYMS__ ", "", "expected `.*-D__GENKSYMS__")
        self._fails("lib/string.o", "-nostdinc", "-nostdinc -DEXTRA", "not the compile's")
        self._fails("lib/string.o", f"{SRC}/lib/string.c |", f"{SRC}/lib/other.c |", "not the source")
        self._fails("arch/x86/lib/memcpy_64.o", "EXPORT_SYMBOL(\\1);", "X(\\1);", "unrecognized asm|sed script")
        self._fails("arch/x86/lib/memcpy_64.o", "-xc -", "-xc /dev/null", "stdin")

    def test_not_a_gen_symversions_line(self):
        self._fails("lib/string.o", "grep -q __ksymtab", "grep -q __other", "unrecognized gen_symversions")


class AsmProbeTest(absltest.TestCase):
    """The headers of cmd_gensymtypes_S's dummy C file: one stand-in scanned at import."""

    def test_probe_has_the_first_asm_objects_c_flags(self):
        a = analyze(dry_run_steps() + _steps(), TOOLS, LDS)
        c = symversions_asm_probe(a, TOOLS)
        self.assertEqual((c.out, c.src, c.lang), (SYMVERSIONS_ASM_PROBE_OUT, SYMVERSIONS_ASM_PROBE, "c"))
        compile_, gen = _pair("arch/x86/lib/memcpy_64.o")
        self.assertEqual(c.flags, parse_symversions(gen, compile_, TOOLS).c_flags)
        only_c = [s for s in _steps() if s.target == "lib/string.o"]
        self.assertIsNone(symversions_asm_probe(analyze(dry_run_steps() + only_c, TOOLS, LDS), TOOLS))

    def test_section(self):
        d = Deps(("include/linux/kernel.h", "arch/x86/include/asm/asm-prototypes.h"),
                 ("include/generated/autoconf.h",), (), ())
        asm = [{"out": "a.o", "symversions": {"kind": "asm", "c_flags": []}}, {"out": "b.o"}]
        self.assertEqual(symversions_asm_section(asm, {SYMVERSIONS_ASM_PROBE_OUT: d}),
                         {"hdrs": list(d.hdrs), "gen_inputs": list(d.gen_inputs), "toolchain_hdrs": []})
        self.assertIsNone(symversions_asm_section([{"out": "c.o", "symversions": {"kind": "c"}}], {}))
        with self.assertRaisesRegex(KbuildImportError, "was not scanned"):
            symversions_asm_section(asm, {})
        with self.assertRaisesRegex(KbuildImportError, "made by a build step"):
            symversions_asm_section(asm, {SYMVERSIONS_ASM_PROBE_OUT: Deps((), (), ("lib/x.h",), ())})


class ExportOTest(absltest.TestCase):
    """.vmlinux.export.o: Makefile.vmlinux's compile, from the import's dry run."""

    def test_parse(self):
        c = parse_export_o(read_testdata("export_o_dry_run.txt"), _CC)
        self.assertEqual((c.out, c.src, c.lang, c.post), (EXPORT_O, EXPORT_C, "c", ()))
        self.assertIn("-DKBUILD_BASENAME=\".vmlinux.export\"", c.flags)
        self.assertFalse(any(f.startswith("-Wp,-MMD") for f in c.flags))
        e = export_o_entry(c, Deps(("include/linux/export-internal.h",), ("include/generated/autoconf.h",), (), ()),
                           lambda f: normalize_flags(f, ROOTS))
        self.assertEqual((e["out"], e["src"], e["hdrs"]), (EXPORT_O, EXPORT_C, ["include/linux/export-internal.h"]))
        self.assertFalse(any(SRC in f for f in e["flags"]), e["flags"])
        self.assertEqual(e["flags"].index('-DKBUILD_MODFILE="/.vmlinux.export"'),
                         list(c.flags).index('-DKBUILD_MODFILE="/.vmlinux.export"'))  # kept, in place
        with self.assertRaisesRegex(KbuildImportError, "made by a build step"):
            export_o_entry(c, Deps((), (), ("lib/x.h",), ()), lambda f: f)

    def test_refused(self):
        text = read_testdata("export_o_dry_run.txt")
        with self.assertRaisesRegex(KbuildImportError, "expected one `CC .vmlinux.export.o`"):
            parse_export_o("", _CC)
        with self.assertRaisesRegex(KbuildImportError, "expected one `CC .vmlinux.export.o`"):
            parse_export_o(text + text, _CC)
        with self.assertRaisesRegex(KbuildImportError, "expected only .vmlinux.export.c"):
            parse_export_o(text.replace(" .vmlinux.export.c;", " other.c;", 1), _CC)


class VmlinuxObjsTest(absltest.TestCase):
    """Pass 2 with MODVERSIONS has Makefile.modpost's `GEN .vmlinux.objs` step."""

    _GEN = ("set -e;  echo '  GEN     .vmlinux.objs';    trap 'rm -f .vmlinux.objs; trap - HUP; kill -s HUP $$' HUP; "
            "for f in vmlinux.a drivers/firmware/efi/libstub/lib.a; do case ${f} in *libgcc.a) ;; "
            f"*) {BIN}/llvm-ar t ${{f}} ;; esac done > .vmlinux.objs; "
            "printf '%s\\n' 'cmd_.vmlinux.objs := ...' > ./..vmlinux.objs.cmd\n")

    def test_accepted(self):
        text = read_testdata("modfinal_dry_run.txt")
        self.assertEqual(parse_modfinal(self._GEN + text, "clang-19").modpost,
                         parse_modfinal(text, "clang-19").modpost)

    def test_other_command_refused(self):
        with self.assertRaisesRegex(KbuildImportError, "GEN .vmlinux.objs: unrecognized command"):
            parse_modfinal(self._GEN.replace(" t ${f}", " x ${f}") + read_testdata("modfinal_dry_run.txt"), "clang-19")


class SymversLinesTest(absltest.TestCase):
    def test_genksyms_output(self):
        self.assertEqual(parse_symvers_lines("#SYMVER memcpy 0x0b1bed18\n#SYMVER strlen 0x98765432\n", "x"),
                         [("memcpy", 0x0B1BED18), ("strlen", 0x98765432)])
        self.assertEqual(parse_symvers_lines("", "x"), [])

    def test_bad_lines(self):
        for bad in ["#SYMVER memcpy 0xb1bed18", "#SYMVER memcpy 0x0B1BED18", "memcpy 0x0b1bed18",
                    "#SYMVER  memcpy 0x0b1bed18", "#SYMVER 1x 0x0b1bed18", "#SYMVER a 0x0b1bed18 extra"]:
            with self.assertRaisesRegex(KbuildImportError, "^lib/.string.o.cmd:1: not a `#SYMVER"):
                parse_symvers_lines(bad + "\n", "lib/.string.o.cmd")


if __name__ == "__main__":
    absltest.main()
