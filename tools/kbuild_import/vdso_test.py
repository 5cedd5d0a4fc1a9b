"""Tests for tools/kbuild_import/vdso.py (testdata/vdso_x86_64.txt: Linux 6.1 x86_64 tiny's commands;
vdso32_arm64.txt: arm64 tiny + CONFIG_COMPAT's compat vDSO)."""

from absl.testing import absltest

from tools.kbuild_import import vdso
from tools.kbuild_import.common import KbuildImportError
from tools.kbuild_import.deps import Deps
from tools.kbuild_import.dryrun import Step
from tools.kbuild_import.test_util import ROOTS, TOOLS, read_testdata

_D = "arch/x86/entry/vdso"


def _steps():
    out = [Step(0, "build", "HOSTCC", f"{_D}/vdso2c", _D, "cc -o vdso2c vdso2c.c"),
           Step(1, "build", "AR", f"{_D}/built-in.a", _D, "llvm-ar ...")]
    for line in read_testdata("vdso_x86_64.txt").splitlines():
        if line.startswith("#"):
            continue
        tag, target, cmd = line.split("\t")
        out.append(Step(len(out), "build", tag, target, _D, cmd))
    # An archived object of the same directory: a plan object, not a vDSO step.
    out.append(Step(len(out), "build", "CC", f"{_D}/vdso-image-64.o", _D, out[2].cmd.replace("vdso-note", "vdso-image-64")))
    return out


def _select(steps=None, arch="x86_64"):
    steps = steps or _steps()
    gens = [s for s in steps if s.tag in vdso.STEP_TAGS]
    return vdso.select(steps, {f"{_D}/vdso-image-64.o"}, gens, TOOLS["clang"], arch)


class VdsoTest(absltest.TestCase):
    def test_select_keeps_the_chain_in_order(self):
        kept, compiles = _select()
        self.assertEqual([(s.tag, s.target) for s in kept], [
            ("CC", f"{_D}/vdso-note.o"), ("LDS", f"{_D}/vdso.lds"), ("VDSO", f"{_D}/vdso64.so.dbg"),
            ("OBJCOPY", f"{_D}/vdso64.so"), ("VDSO2C", f"{_D}/vdso-image-64.c")])
        self.assertEqual(sorted(compiles), [f"{_D}/vdso-note.o", f"{_D}/vdso.lds"])

    def test_other_arches_are_not_modelled(self):
        self.assertEqual(_select(arch="riscv"), ([], {}))

    def test_arm64_prepare_files(self):
        prepared = ["arch/arm64/kernel/vdso/vdso.so", "arch/arm64/kernel/vdso/.vdso.so.cmd",
                    "arch/arm64/kernel/vdso/vdso.lds", "include/generated/vdso-offsets.h",
                    "include/generated/autoconf.h", "arch/arm64/kernel/asm-offsets.s"]
        self.assertEqual(vdso.prepare_files("arm64", prepared), [
            "arch/arm64/kernel/vdso/vdso.lds", "arch/arm64/kernel/vdso/vdso.so", "include/generated/vdso-offsets.h"])
        self.assertEqual(vdso.prepare_files("x86_64", prepared), [])

    def test_arm64_steps_of_its_own_dry_run(self):
        d = "arch/arm64/kernel/vdso"
        steps = [Step(0, "build", "LD", f"{d}/vdso.so.dbg", d, f"{TOOLS['ld']} -shared -T {d}/vdso.lds {d}/note.o -o {d}/vdso.so.dbg"),
                 Step(1, "build", "VDSOSYM", "include/generated/vdso-offsets.h", d,
                      f"{TOOLS['nm']} {d}/vdso.so.dbg | x.sh | LC_ALL=C sort > include/generated/vdso-offsets.h"),
                 Step(2, "build", "OBJCOPY", f"{d}/vdso.so", d, f"{TOOLS['objcopy']} -S {d}/vdso.so.dbg {d}/vdso.so"),
                 Step(3, "build", "CC", "arch/arm64/kernel/vdso.o", "arch/arm64/kernel", "cc")]
        kept, compiles = vdso.select(steps, (), None, TOOLS["clang"], "arm64")
        self.assertEqual([s.tag for s in kept], ["LD", "VDSOSYM", "OBJCOPY"])
        self.assertEqual(compiles, {})

    def test_arm64_compat_prepare_goals_and_files(self):
        prepared = ["arch/arm64/kernel/vdso/vdso.so", "arch/arm64/kernel/vdso/.vdso.so.cmd",
                    "include/generated/vdso-offsets.h", "include/generated/autoconf.h",
                    "arch/arm64/kernel/vdso32/vdso.so", "arch/arm64/kernel/vdso32/.vdso.so.cmd",
                    "arch/arm64/kernel/vdso32/vdso.so.raw", "include/generated/vdso32-offsets.h",
                    "arch/arm/vdso/vdsomunge"]
        self.assertEqual(vdso.prepare_goals("arm64", prepared), [
            ("arch/arm64/kernel/vdso", ["include/generated/vdso-offsets.h", "arch/arm64/kernel/vdso/vdso.so"]),
            ("arch/arm64/kernel/vdso32", ["include/generated/vdso32-offsets.h", "arch/arm64/kernel/vdso32/vdso.so"])])
        # Both directories move aside (not .cmd files, not the host program vdsomunge: the
        # dry run must not rebuild it, the MUNGE step reads the import's).
        self.assertEqual(vdso.prepare_files("arm64", prepared), [
            "arch/arm64/kernel/vdso/vdso.so", "arch/arm64/kernel/vdso32/vdso.so", "arch/arm64/kernel/vdso32/vdso.so.raw",
            "include/generated/vdso-offsets.h", "include/generated/vdso32-offsets.h"])
        # Without a compat vDSO: vdso/ alone, as before.
        self.assertEqual(vdso.prepare_goals("arm64", prepared[:4]), [vdso.PREPARE_GOALS["arm64"]])
        self.assertEqual(vdso.prepare_goals("x86_64", prepared), [])

    def _compat_steps(self):
        d = "arch/arm64/kernel/vdso32"
        out = [Step(0, "build", "HOSTCC", "arch/arm/vdso/vdsomunge", d, "cc -o vdsomunge vdsomunge.c")]
        for line in read_testdata("vdso32_arm64.txt").splitlines():
            if not line.startswith("#"):
                tag, target, cmd = line.split("\t")
                out.append(Step(len(out), "build", tag, target, d, cmd))
        return out

    def test_arm64_compat_steps(self):
        kept, compiles = vdso.select(self._compat_steps(), (), None, TOOLS["clang"], "arm64")
        d = "arch/arm64/kernel/vdso32"
        self.assertEqual([(s.tag, s.target) for s in kept], [
            ("LDS", f"{d}/vdso.lds"), ("CC32", f"{d}/note.o"), ("CC32", f"{d}/vgettimeofday.o"),
            ("LD32", f"{d}/vdso.so.raw"), ("MUNGE", f"{d}/vdso.so.dbg"),
            ("VDSOSYM", "include/generated/vdso32-offsets.h"), ("OBJCOPY", f"{d}/vdso.so")])
        self.assertEqual(sorted(compiles), [f"{d}/note.o", f"{d}/vdso.lds", f"{d}/vgettimeofday.o"])
        self.assertEqual(compiles[f"{d}/note.o"].flags[0], "--target=arm-linux-gnueabi")
        # x86_64 does not model the compat kinds.
        with self.assertRaisesRegex(KbuildImportError, r"^CC32 arch/arm64/kernel/vdso32/note.o: vDSO steps of this kind"):
            vdso.select_steps(self._compat_steps(), (), None, TOOLS["clang"], dir_re=vdso._VDSO_DIR_RE["arm64"],
                              step_tags=vdso.STEP_TAGS, link_tags=("LD",), what="vDSO", module="vdso.py")

    def test_arm64_compat_plan(self):
        d = "arch/arm64/kernel/vdso32"
        kept, compiles = vdso.select(self._compat_steps(), (), None, TOOLS["clang"], "arm64")
        deps = {o: Deps(("include/linux/kconfig.h",), ("include/generated/autoconf.h",), (),
                        ("$(CC_RESOURCE_DIR)/include/stdint.h",)) for o in compiles}
        objects = [{"out": "arch/arm64/kernel/vdso32-wrap.o", "src": "arch/arm64/kernel/vdso32-wrap.S",
                    "src_root": "srctree", "build_inputs": [], "incbin": [f"{d}/vdso.so"]},
                   {"out": "arch/arm64/kernel/signal32.o", "src": "arch/arm64/kernel/signal32.c", "src_root": "srctree",
                    "gen_inputs": ["include/generated/vdso32-offsets.h"], "build_inputs": [], "incbin": []}]
        made = [vdso.norm_rel(s.target) for s in kept]
        walked = []

        def anchor(rel):
            walked.append(rel)
            return f"{rel}/Makefile"
        p = vdso.vdso_plan(kept, compiles, deps=deps, incbins={}, host=["arch/arm/vdso/vdsomunge"], tools=TOOLS,
                           roots=ROOTS, is_src_file=lambda rel: rel.endswith(".sh"), objects=objects,
                           kbuild={m: "0" * 64 for m in made if not m.endswith(".o")}, anchor=anchor)
        by_out = {e["out"]: e for e in p["steps"]}
        cc = by_out[f"{d}/vgettimeofday.o"]
        self.assertTrue(cc["cmd"].startswith("$(CC) --target=arm-linux-gnueabi -Wp,-MD,"), cc["cmd"][:60])
        self.assertIn(" -isystem $(CC_RESOURCE_DIR)/include ", cc["cmd"])
        self.assertIn(" -include $(srctree)/lib/vdso/gettimeofday.c ", cc["cmd"])
        self.assertEqual((cc["srcs"], cc["objtree"]), ([f"{d}/vgettimeofday.c", "include/linux/kconfig.h"],
                                                       ["include/generated/autoconf.h"]))
        link = by_out[f"{d}/vdso.so.raw"]
        self.assertEqual(link["inputs"], [f"{d}/vdso.lds", f"{d}/note.o", f"{d}/vgettimeofday.o"])
        self.assertIn('grep -E -h "R_ARM_JUMP_SLOT|R_ARM_GLOB_DAT|R_ARM_ABS32"', link["cmd"])
        munge = by_out[f"{d}/vdso.so.dbg"]
        self.assertEqual((munge["cmd"], munge["host"], munge["inputs"]), (
            f"{d}/../../../arm/vdso/vdsomunge {d}/vdso.so.raw {d}/vdso.so.dbg", ["arch/arm/vdso/vdsomunge"],
            [f"{d}/vdso.so.raw"]))
        # The offsets script is named through vdso32/../vdso/: vdso32/ must exist where it runs.
        sym = by_out["include/generated/vdso32-offsets.h"]
        self.assertEqual(sym["srcs"], ["arch/arm64/kernel/vdso/gen_vdso_offsets.sh", f"{d}/Makefile"])
        self.assertEqual(walked, [d])
        self.assertEqual(p["outputs"], [f"{d}/vdso.so", "include/generated/vdso32-offsets.h"])
        self.assertEqual(p["readers"], {"arch/arm64/kernel/signal32.o": ["include/generated/vdso32-offsets.h"],
                                        "arch/arm64/kernel/vdso32-wrap.o": [f"{d}/vdso.so"]})
        self.assertEqual(len(p["kbuild"]), 5)
        self.assertEqual(p["kbuild_paths"], [])
        # Under -g the objects name this machine's trees: the link's build-id hashes them, and
        # the munged and stripped copies keep it; the offsets header does not.
        g = vdso.vdso_plan(kept, compiles, deps=deps, incbins={}, host=["arch/arm/vdso/vdsomunge"], tools=TOOLS,
                           roots=ROOTS, is_src_file=lambda rel: rel.endswith(".sh"), objects=objects,
                           kbuild={m: "0" * 64 for m in made if not m.endswith(".o")}, anchor=anchor,
                           kbuild_paths=[f"{d}/note.o", f"{d}/vgettimeofday.o"])
        self.assertEqual(g["kbuild_paths"], [f"{d}/vdso.so", f"{d}/vdso.so.dbg", f"{d}/vdso.so.raw"])

    def test_unknown_step_is_one_line_error(self):
        steps = _steps() + [Step(99, "build", "MUNGE", f"{_D}/x.so", _D, "munge a b")]
        with self.assertRaisesRegex(KbuildImportError, r"^MUNGE arch/x86/entry/vdso/x.so: vDSO steps of this kind"):
            _select(steps)

    def test_a_step_the_import_does_not_run_is_refused(self):
        steps = _steps()
        with self.assertRaisesRegex(KbuildImportError, "does not run as a generator"):
            vdso.select(steps, {f"{_D}/vdso-image-64.o"}, [], TOOLS["clang"], "x86_64")

    def _plan(self, kbuild=None):
        kept, compiles = _select()
        deps = {o: Deps(("include/linux/kconfig.h",), ("include/generated/autoconf.h",), (), ()) for o in compiles}
        objects = [{"out": f"{_D}/vdso-image-64.o", "src": f"{_D}/vdso-image-64.c", "src_root": "objtree",
                    "build_inputs": [], "incbin": []}]
        made = [vdso.norm_rel(s.target) for s in kept]
        return vdso.vdso_plan(kept, compiles, deps=deps, incbins={}, host=[f"{_D}/vdso2c", f"{_D}/vdso64.so"],
                              tools=TOOLS, roots=ROOTS, is_src_file=lambda rel: rel.endswith("checkundef.sh"),
                              objects=objects, kbuild=kbuild if kbuild is not None else {p: "0" * 64 for p in made})

    def test_plan_link_keeps_both_checks_and_names_its_inputs(self):
        p = self._plan()
        link = [e for e in p["steps"] if e["tag"] == "VDSO"][0]
        self.assertTrue(link["cmd"].startswith("$(LD) -o arch/x86/entry/vdso/vdso64.so.dbg -shared"))
        self.assertIn("sh $(srctree)/arch/x86/entry/vdso/checkundef.sh '$(NM)'", link["cmd"])
        self.assertIn("$(OBJDUMP) -R arch/x86/entry/vdso/vdso64.so.dbg | grep -E", link["cmd"])
        self.assertEqual(link["inputs"], [f"{_D}/vdso.lds", f"{_D}/vdso-note.o"])
        self.assertEqual(link["srcs"], [f"{_D}/checkundef.sh"])
        gen = p["steps"][-1]
        self.assertEqual((gen["host"], gen["inputs"]), ([f"{_D}/vdso2c"], [f"{_D}/vdso64.so.dbg", f"{_D}/vdso64.so"]))
        self.assertEqual(p["outputs"], [f"{_D}/vdso-image-64.c"])
        self.assertEqual(p["readers"], {f"{_D}/vdso-image-64.o": [f"{_D}/vdso-image-64.c"]})
        self.assertEqual(len(p["kbuild"]), 5)
        self.assertEqual(p["kbuild_paths"], [])
        cc = p["steps"][0]
        self.assertEqual((cc["srcs"][0], cc["objtree"]), (f"{_D}/vdso-note.S", ["include/generated/autoconf.h"]))
        self.assertNotIn("after_vmlinux", cc)

    def test_plan_refuses_outputs_nobody_reads(self):
        kept, compiles = _select()
        deps = {o: Deps((), (), (), ()) for o in compiles}
        with self.assertRaisesRegex(KbuildImportError, "no plan object reads"):
            vdso.vdso_plan(kept, compiles, deps=deps, incbins={}, host=[], tools=TOOLS, roots=ROOTS,
                           is_src_file=lambda rel: False, objects=[], kbuild={})


if __name__ == "__main__":
    absltest.main()
