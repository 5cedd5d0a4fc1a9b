"""Tests for tools/kbuild_import/realmode.py (testdata/realmode_x86_64.txt: Linux 6.1 x86_64 tiny's commands)."""

from absl.testing import absltest

from tools.kbuild_import import realmode
from tools.kbuild_import.common import KbuildImportError
from tools.kbuild_import.deps import Deps
from tools.kbuild_import.dryrun import Step, norm_rel
from tools.kbuild_import.test_util import ROOTS, TOOLS, read_testdata

_D = "arch/x86/realmode/rm"
_OBJS = [f"{_D}/{n}.o" for n in ("header", "trampoline_64", "stack", "reboot")]
_RMPIGGY = {"out": "arch/x86/realmode/rmpiggy.o", "src": "arch/x86/realmode/rmpiggy.S", "src_root": "srctree",
            "build_inputs": [f"{_D}/realmode.bin", f"{_D}/realmode.relocs"],
            "incbin": [f"{_D}/realmode.bin", f"{_D}/realmode.relocs"]}


def _steps():
    # Around the realmode steps: the host program relocs (prepare's), realmode's init.o and
    # rmpiggy.o (plan objects of arch/x86/realmode/built-in.a), a vDSO step.
    out = [Step(0, "build", "HOSTCC", "arch/x86/tools/relocs", "arch/x86/tools", "cc -o relocs relocs_64.c"),
           Step(1, "build", "CC", "arch/x86/realmode/init.o", "arch/x86/realmode", "clang -c -o x.o x.c")]
    for line in read_testdata("realmode_x86_64.txt").splitlines():
        if line.startswith("#"):
            continue
        tag, target, cmd = line.split("\t")
        out.append(Step(len(out), "build", tag, target, _D, cmd))
    out.append(Step(len(out), "build", "AS", "arch/x86/realmode/rmpiggy.o", "arch/x86/realmode", "clang -c -o y.o y.S"))
    out.append(Step(len(out), "build", "VDSO2C", "arch/x86/entry/vdso/vdso-image-64.c", "arch/x86/entry/vdso", "vdso2c"))
    return out


def _select(steps=None, arch="x86_64", generators=None):
    steps = steps or _steps()
    gens = [s for s in steps if s.tag in realmode.STEP_TAGS] if generators is None else generators
    return realmode.select(steps, {"arch/x86/realmode/init.o", "arch/x86/realmode/rmpiggy.o"}, gens,
                           TOOLS["clang"], arch)


def _deps(compiles):
    out = {}
    for o in compiles:
        build = (f"{_D}/pasyms.h",) if o.endswith(".lds") else ()
        out[o] = Deps(("include/linux/kconfig.h",), ("include/generated/autoconf.h",), build, ())
    return out


class RealmodeTest(absltest.TestCase):
    def test_select_keeps_the_blob_in_order(self):
        kept, compiles = _select()
        self.assertEqual([(s.tag, norm_rel(s.target)) for s in kept],
                         [("AS", o) for o in _OBJS] + [("PASYMS", f"{_D}/pasyms.h"), ("LDS", f"{_D}/realmode.lds"),
                                                       ("LD", f"{_D}/realmode.elf"), ("RELOCS", f"{_D}/realmode.relocs"),
                                                       ("OBJCOPY", f"{_D}/realmode.bin")])
        self.assertEqual(sorted(compiles), sorted(_OBJS + [f"{_D}/realmode.lds"]))
        self.assertIn("-m16", compiles[f"{_D}/header.o"].flags)

    def test_other_arches_are_not_modelled(self):
        self.assertEqual(_select(arch="arm64"), ([], {}))

    def test_unknown_step_is_one_line_error(self):
        steps = _steps() + [Step(99, "build", "GEN", f"{_D}/x.h", _D, "gen > x.h")]
        with self.assertRaisesRegex(KbuildImportError, r"^GEN arch/x86/realmode/rm/x.h: realmode steps of this kind "
                                    r"are not supported \(tools/kbuild_import/realmode.py models AS, CC, LD, LDS, "):
            _select(steps)

    def test_a_step_the_import_does_not_run_is_refused(self):
        with self.assertRaisesRegex(KbuildImportError, r"^PASYMS arch/x86/realmode/rm/pasyms.h: a realmode step the import"):
            _select(generators=[])

    def test_compiles_without_a_link_are_refused(self):
        steps = [s for s in _steps() if s.tag != "LD"]
        with self.assertRaisesRegex(KbuildImportError, "realmode steps without a LD link"):
            _select(steps)

    def _plan(self, **kw):
        kept, compiles = _select()
        made = [norm_rel(s.target) for s in kept]
        args = dict(deps=_deps(compiles), incbins={}, host=["arch/x86/tools/relocs", "scripts/basic/fixdep"],
                    tools=TOOLS, roots=ROOTS, is_src_file=lambda rel: False, objects=[_RMPIGGY],
                    kbuild={p: "0" * 64 for p in made}, kbuild_paths=[f"{_D}/header.o", "not/a/step.o"])
        args.update(kw)
        return realmode.realmode_plan(kept, compiles, **args)

    def test_plan_names_each_steps_inputs(self):
        p = self._plan()
        by_out = {e["out"]: e for e in p["steps"]}
        pasyms = by_out[f"{_D}/pasyms.h"]
        self.assertTrue(pasyms["cmd"].startswith(f"$(NM) {_D}/header.o "), pasyms["cmd"])
        self.assertIn("| sort | uniq > arch/x86/realmode/rm/pasyms.h", pasyms["cmd"])
        self.assertEqual(pasyms["inputs"], _OBJS)
        lds = by_out[f"{_D}/realmode.lds"]
        self.assertEqual((lds["inputs"], lds["srcs"][0]), ([f"{_D}/pasyms.h"], f"{_D}/realmode.lds.S"))
        self.assertIn("include/generated/autoconf.h", lds["objtree"])
        link = by_out[f"{_D}/realmode.elf"]
        self.assertTrue(link["cmd"].startswith("$(LD) -m elf_x86_64"), link["cmd"])
        self.assertEqual(link["inputs"], [f"{_D}/realmode.lds"] + _OBJS)
        relocs = by_out[f"{_D}/realmode.relocs"]
        self.assertEqual((relocs["host"], relocs["inputs"]), (["arch/x86/tools/relocs"], [f"{_D}/realmode.elf"]))
        binary = by_out[f"{_D}/realmode.bin"]
        self.assertEqual((binary["cmd"], binary["inputs"]),
                         (f"$(OBJCOPY)  -O binary {_D}/realmode.elf {_D}/realmode.bin", [f"{_D}/realmode.elf"]))
        header = by_out[f"{_D}/header.o"]
        self.assertTrue(header["cmd"].startswith("$(CC) "), header["cmd"])
        self.assertIn("$(srctree)/arch/x86/realmode/rm/header.S", header["cmd"])
        self.assertNotIn("/work/scratch-kbuild", "".join(e["cmd"] for e in p["steps"]))

    def test_plan_readers_and_hashes(self):
        p = self._plan()
        self.assertEqual(p["outputs"], [f"{_D}/realmode.bin", f"{_D}/realmode.relocs"])
        self.assertEqual(p["readers"], {"arch/x86/realmode/rmpiggy.o": [f"{_D}/realmode.bin", f"{_D}/realmode.relocs"]})
        self.assertEqual(len(p["kbuild"]), 9)
        self.assertEqual(p["kbuild_paths"], [f"{_D}/header.o"])  # only the section's files
        self.assertIn(_D, p["dirs"])
        self.assertTrue(all("after_vmlinux" not in e for e in p["steps"]))

    def test_plan_refuses_outputs_nobody_reads(self):
        with self.assertRaisesRegex(KbuildImportError, "no plan object reads what the realmode steps make"):
            self._plan(objects=[])

    def test_plan_refuses_an_output_the_import_did_not_write(self):
        with self.assertRaisesRegex(KbuildImportError, f"^{_D}/pasyms.h: a realmode step's output the import's make"):
            self._plan(kbuild={})


if __name__ == "__main__":
    absltest.main()
