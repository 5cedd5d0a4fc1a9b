"""Tests for tools/kbuild_import: loadable modules: pass 2, the plan's modules section, out-of-tree templates (testdata: see test_util.py)"""

import dataclasses
import json

from absl.testing import absltest

from tools.kbuild_import.analysis import MODULE_LDS, analyze, modules_order, parse_mod
from tools.kbuild_import.common import KbuildImportError
from tools.kbuild_import.deps import Deps
from tools.kbuild_import.dryrun import Compile, Step, lto_kind
from tools.kbuild_import.modules import (
    EXTMOD_DIR, MOD_C_PROBE_OUT, check_modules, extmod_plan, kbuild_modnames, module_plan, parse_modfinal,
    parse_modpost, split_single_module, unsupported_module_config,
)
from tools.kbuild_import.placeholders import Roots, normalize_flags
from tools.kbuild_import.test_util import LDS, TOOLS, dry_run_steps, find_step, read_testdata


_MSRC = "/root/.cache/bazel/_bazel_root/835165e65df656dc9abbd58e53cf243e/external/linux"
MTOOLS = dict(TOOLS, clang="clang-19", ld="ld.lld-19")
MROOTS = Roots(_MSRC, "/tmp/moddesign/k2fresh")
_OBJTOOL = "./tools/objtool/objtool --hacks=jump_label --hacks=noinstr --static-call --uaccess --link --module"


def _mod_analysis():
    steps = dry_run_steps("modules_dry_run.txt")
    # analyze() insists on a vmlinux.a step: borrow mini_dry_run.txt's (llvm-ar is the same).
    return analyze(steps + [find_step(dry_run_steps("mini_dry_run.txt"), "vmlinux.a")], MTOOLS, LDS)


def _lib_only(a):
    """The analysis restricted to lib/ (what modfinal_dry_run.txt covers)."""
    keep = {o for o in a.module_objs if o.startswith("lib/")}
    orders = dict(a.orders)
    orders["modules.order"] = [("cat", "lib/modules.order")]
    return dataclasses.replace(a, module_objs=keep, orders=orders)


def _mod_deps(a):
    d = Deps(("include/linux/module.h",), ("include/generated/autoconf.h",), (), ())
    return {MODULE_LDS: d, MOD_C_PROBE_OUT: d, **{o: d for o in a.compiles}}


class ModulesParseTest(absltest.TestCase):
    def test_steps(self):
        got = {(s.tag, s.target) for s in dry_run_steps("modules_dry_run.txt")}
        for want in [("CC [M]", "lib/test_module.o"), ("MOD", "lib/test_module.mod"),
                     ("MODORDER", "lib/modules.order"), ("MODORDER", "modules.order"),
                     ("LD [M]", "drivers/virtio/virtio_pci.o"), ("LDS", "scripts/module.lds")]:
            self.assertIn(want, got)
        # The compile's follow-up lines (check-local-export) are no steps.
        self.assertEqual(len([s for s in dry_run_steps("modules_dry_run.txt") if s.target == "lib/test_module.o"]), 1)

    def test_mod_and_order(self):
        a = _mod_analysis()
        self.assertEqual(a.mods["lib/test_module.mod"], ["lib/test_module.o"])
        # Deduplicated, in .mod order (virtio_pci_common.o is listed twice).
        self.assertEqual(a.mods["drivers/virtio/virtio_pci.mod"],
                         ["drivers/virtio/virtio_pci_modern.o", "drivers/virtio/virtio_pci_common.o",
                          "drivers/virtio/virtio_pci_legacy.o"])
        self.assertEqual(modules_order(a.orders),
                         ["lib/math/test_div64.ko", "lib/test_module.ko", "drivers/virtio/virtio_pci.ko",
                          "drivers/input/evdev.ko"])
        self.assertIn("lib/test_module.o", a.module_objs)
        self.assertNotIn("init/calibrate.o", a.module_objs)
        self.assertEqual(a.module_lds.out, "scripts/module.lds")
        self.assertEqual(a.module_lds.src, _MSRC + "/scripts/module.lds.S")

    def test_order_names_a_missing_file(self):
        orders = {"modules.order": [("cat", "lib/modules.order")]}
        with self.assertRaisesRegex(KbuildImportError, "lib/modules.order: the dry run does not write it"):
            modules_order(orders)

    def test_unrecognized_mod_command(self):
        s = Step(0, "build", "MOD", "a/m.mod", "a", "echo a/m.o > a/m.mod")
        with self.assertRaisesRegex(KbuildImportError, "a/m.mod: unrecognized .mod command"):
            parse_mod(s)

    def test_lto_single_module_link_is_split_off(self):
        c = _mod_analysis().compiles["lib/test_module.o"]
        link, post, obj_post = split_single_module(c, MTOOLS, MROOTS)
        self.assertEqual(link, ["$(LD)", "-EL", "-maarch64elf", "-z", "norelro", "-mllvm", "-import-instr-limit=5",
                                "-z", "noexecstack", "-r", "-o", "lib/test_module.o", "lib/test_module.o"])
        self.assertEqual((post, obj_post), ([], []))
        self.assertEqual(lto_kind(c.lang, normalize_flags(c.flags, MROOTS)), "bitcode")
        self.assertIn('-DKBUILD_MODNAME="test_module"', c.flags)
        self.assertIn("-DMODULE", c.flags)

    def test_x86_lto_single_module_objtool_moves_to_module_post(self):
        c = _mod_analysis().compiles["drivers/input/evdev.o"]
        link, post, obj_post = split_single_module(c, MTOOLS, MROOTS)
        self.assertEqual(link[-4:], ["-r", "-o", "drivers/input/evdev.o", "drivers/input/evdev.o"])
        self.assertEqual(post, [_OBJTOOL + " drivers/input/evdev.o"])
        self.assertEqual(obj_post, [])

    def test_none_single_module_keeps_object_post(self):
        c = Compile("a/m.o", "a/m.c", "c", ("-DMODULE",), ("./tools/objtool/objtool --module a/m.o",))
        self.assertEqual(split_single_module(c, MTOOLS, MROOTS),
                         (None, [], ["./tools/objtool/objtool --module a/m.o"]))

    def test_modfinal(self):
        mf = parse_modfinal(read_testdata("modfinal_dry_run.txt"), "clang-19")
        self.assertEqual(mf.modpost, ["-o", "Module.symvers", "-T", "-", "vmlinux.o"])
        self.assertEqual(sorted(mf.mod_o), ["lib/math/test_div64.ko", "lib/test_module.ko"])
        self.assertEqual(mf.mod_o["lib/test_module.ko"].src, "lib/test_module.mod.c")
        self.assertTrue(mf.ko["lib/test_module.ko"].endswith(
            "-T scripts/module.lds -o lib/test_module.ko lib/test_module.o lib/test_module.mod.o;  true"))

    def test_modpost_refusals(self):
        for flag, msg in [("-a", "SRCVERSION_ALL"), ("-w", "KBUILD_MODPOST_WARN"),
                          ("-X", "option -X not understood")]:
            s = Step(0, "build", "MODPOST", "Module.symvers", ".",
                         f"sed 's/ko$/o/' modules.order | scripts/mod/modpost {flag} -o Module.symvers -T - vmlinux.o")
            with self.assertRaisesRegex(KbuildImportError, msg):
                parse_modpost(s)

    def _plan(self, a=None, mf=None, config=None):
        a = a or _lib_only(_mod_analysis())
        mf = mf or parse_modfinal(read_testdata("modfinal_dry_run.txt"), "clang-19")
        return module_plan(a, mf, config=config or {"CONFIG_MODULES": "y"}, deps=_mod_deps(a), roots=MROOTS,
                               tools=MTOOLS, builtin=["b1", "b2"])

    def test_module_plan(self):
        section, part_of, object_post = self._plan()
        self.assertEqual(section["order"], ["lib/math/test_div64.ko", "lib/test_module.ko"])
        m = section["list"]["lib/test_module.ko"]
        self.assertEqual((m["name"], m["modname"], m["objects"], m["single"], m["post"]),
                         ("lib/test_module", "test_module", ["lib/test_module.o"], True, []))
        self.assertEqual(m["ko"], ["$(LD)", "-r", "-EL", "-maarch64elf", "-z", "norelro", "-mllvm",
                                   "-import-instr-limit=5", "-z", "noexecstack", "--build-id=sha1", "-T",
                                   "scripts/module.lds", "-o", "lib/test_module.ko", "lib/test_module.o",
                                   "lib/test_module.mod.o"])
        self.assertEqual(m["mod_o"]["out"], "lib/test_module.mod.o")
        self.assertIn("-DKBUILD_BASENAME=\"test_module.mod\"", m["mod_o"]["flags"])
        self.assertNotIn("-c", m["mod_o"]["flags"])
        self.assertEqual(part_of, {"lib/test_module.o": ["lib/test_module.ko"],
                                   "lib/math/test_div64.o": ["lib/math/test_div64.ko"]})
        self.assertEqual(object_post["lib/test_module.o"], [])
        self.assertEqual(section["lds"]["src"], "scripts/module.lds.S")
        self.assertEqual(section["modpost"][-1], "vmlinux.o")
        self.assertIsNone(section["extmod"])

    def test_only_c_parts_need_kbuild_modname(self):
        # Makefile.lib puts modname_flags in c_flags only: arm64 defconfig's 8 `AS [M]` parts
        # (arch/arm64/crypto/sha512-ce-core.o of sha512-ce.ko) have no -DKBUILD_MODNAME.
        a = _lib_only(_mod_analysis())
        c = a.compiles["lib/test_module.o"]
        without = tuple(f for f in c.flags if not f.startswith("-DKBUILD_MODNAME="))
        self.assertNotEqual(without, c.flags)
        a.compiles["lib/test_module.o"] = dataclasses.replace(c, lang="asm", flags=without)
        section, part_of, _ = self._plan(a=a)
        self.assertEqual(part_of["lib/test_module.o"], ["lib/test_module.ko"])
        a.compiles["lib/test_module.o"] = dataclasses.replace(c, flags=without)
        with self.assertRaisesRegex(KbuildImportError,
                                    "^lib/test_module.o: compiled without -DKBUILD_MODNAME='\"test_module\"' of "
                                    "lib/test_module.ko$"):
            self._plan(a=a)

    def test_modpost_m(self):
        # CONFIG_MODVERSIONS: modpost -m reads the CRCs KernelSymversions staged.
        s = Step(0, "build", "MODPOST", "Module.symvers", ".",
                 "sed 's/ko$/o/' modules.order | scripts/mod/modpost -m -E -o Module.symvers -T - vmlinux.o")
        self.assertEqual(parse_modpost(s), ["-m", "-E", "-o", "Module.symvers", "-T", "-", "vmlinux.o"])

    def test_module_plan_refuses_unsupported_config(self):
        # One line each for what the rules do not model; MODVERSIONS is modelled (issue 11 part 3).
        for sym, msg in [("CONFIG_MODULE_SIG", "module signing"),
                         ("CONFIG_DEBUG_INFO_BTF_MODULES", "BTF for modules"),
                         ("CONFIG_MODULE_SRCVERSION_ALL", "srcversion for every module"),
                         ("CONFIG_MODULE_COMPRESS_XZ", "compressed modules")]:
            with self.assertRaisesRegex(KbuildImportError, f"^{sym}=y: {msg}.* unset it in the config fragment$"):
                self._plan(config={"CONFIG_MODULES": "y", "CONFIG_MODVERSIONS": "y", sym: "y"})
        self.assertEqual(unsupported_module_config({"CONFIG_MODULES": "y", "CONFIG_MODVERSIONS": "y"}), [])

    def test_module_plan_refuses_arch_postlink(self):
        mf = parse_modfinal(read_testdata("modfinal_dry_run.txt"), "clang-19")
        mf.ko["lib/test_module.ko"] = mf.ko["lib/test_module.ko"].replace(";  true", "; arch/x/postlink m.ko")
        with self.assertRaisesRegex(KbuildImportError, "lib/test_module.ko: .*ARCH_POSTLINK"):
            self._plan(mf=mf)

    def test_module_plan_missing_mod_c(self):
        mf = parse_modfinal(read_testdata("modfinal_dry_run.txt"), "clang-19")
        del mf.mod_o["lib/test_module.ko"]
        with self.assertRaisesRegex(KbuildImportError, "lib/test_module.ko: Makefile.modfinal compiles no"):
            self._plan(mf=mf)

    def test_stray_module_object(self):
        a = _lib_only(_mod_analysis())
        a = dataclasses.replace(a, module_objs=a.module_objs | {"drivers/input/evdev.o"})
        with self.assertRaisesRegex(KbuildImportError, "drivers/input/evdev.o: compiled as a module object"):
            self._plan(a=a)

    def test_multi_object_link(self):
        a = _mod_analysis()
        # evdev.ko has no recorded .mod: leave it out.
        a.orders["drivers/virtio/modules.order"] = [("echo", "drivers/virtio/virtio_pci.ko")]
        a.module_objs.discard("drivers/input/evdev.o")
        mf = parse_modfinal(read_testdata("modfinal_dry_run.txt"), "clang-19")
        # Borrow test_module's .mod.o/.ko lines for virtio_pci (pass 2 of kxlto is not recorded).
        for ko in ("drivers/virtio/virtio_pci.ko",):
            n = ko[:-3]
            mf.mod_o[ko] = dataclasses.replace(mf.mod_o["lib/test_module.ko"], src=n + ".mod.c", out=n + ".mod.o")
            mf.ko[ko] = mf.ko["lib/test_module.ko"].replace("lib/test_module", n)
        section, part_of, _ = module_plan(a, mf, config={"CONFIG_MODULES": "y"}, deps=_mod_deps(a),
                                              roots=MROOTS, tools=MTOOLS, builtin=[])
        m = section["list"]["drivers/virtio/virtio_pci.ko"]
        self.assertFalse(m["single"])
        self.assertEqual(m["link"], ["$(LD)", "-m", "elf_x86_64", "-mllvm", "-import-instr-limit=5", "-z",
                                     "noexecstack", "-r", "-o", "drivers/virtio/virtio_pci.o", *m["objects"]])
        self.assertEqual(m["post"], [_OBJTOOL + " drivers/virtio/virtio_pci.o"])
        self.assertEqual(part_of["drivers/virtio/virtio_pci_legacy.o"], ["drivers/virtio/virtio_pci.ko"])


class CheckModulesTest(absltest.TestCase):
    def _section(self):
        return ModulesParseTest()._plan()[0]

    def test_consistent(self):
        s = self._section()
        objs = {p: {"module": ko, "archive": None, "lto": "bitcode", "post": []}
                for ko, m in s["list"].items() for p in m["objects"]}
        self.assertEqual(check_modules(s, objs, ["init/main.o"]), [])

    def test_duplicate_basename(self):
        s = self._section()
        s["order"].append("drivers/x/test_module.ko")
        s["list"]["drivers/x/test_module.ko"] = dict(s["list"]["lib/test_module.ko"])
        got = check_modules(s, {})
        self.assertTrue(any("same basename" in p for p in got), got)

    def test_order_entry_without_module(self):
        s = self._section()
        s["order"].append("lib/gone.ko")
        self.assertEqual(check_modules(s, {}), ["modules.order: lib/gone.ko has no entry in modules.list"])

    def test_part_not_object_or_archived(self):
        s = self._section()
        objs = {"lib/test_module.o": {"module": "lib/test_module.ko", "archive": "vmlinux.a", "lto": "bitcode",
                                      "post": []}}
        got = check_modules(s, objs, ["lib/test_module.o"])
        self.assertIn("lib/math/test_div64.ko: part lib/math/test_div64.o is not a plan object", got)
        self.assertTrue(any(p.startswith("lib/test_module.o: part of lib/test_module.ko but") for p in got), got)

    def test_bitcode_without_link(self):
        s = self._section()
        s["list"]["lib/test_module.ko"]["link"] = None
        objs = {p: {"module": ko, "archive": None, "lto": "bitcode", "post": []}
                for ko, m in s["list"].items() for p in m["objects"]}
        self.assertEqual(check_modules(s, objs),
                         ["lib/test_module.ko: bitcode part lib/test_module.o but no link to make native lib/test_module.o"])


# shared_parts_dry_run.txt (see its header): arm64 defconfig's objects of two modules.
_SOB = "/root/.cache/bazel/_bazel_root/80bea24e58ce2aaf472c00e8a8ad0809/external"
STOOLS = dict(TOOLS, clang="clang", ld="ld.lld")
SROOTS = Roots(f"{_SOB}/linux", "/tmp/twomod/obj")
_AES = ["arch/arm64/crypto/aes-neon-blk.ko", "arch/arm64/crypto/aes-ce-blk.ko"]
_WCD = ["sound/soc/codecs/snd-soc-wcd9335.ko", "sound/soc/codecs/snd-soc-wcd934x.ko"]


def _moved(f):
    """A flag of modules_dry_run.txt's tree as if from shared_parts_dry_run.txt's."""
    return f.replace(MROOTS.srctree, SROOTS.srctree).replace(MROOTS.objtree, SROOTS.objtree)


class SharedPartsTest(absltest.TestCase):
    """Objects in two modules' .mod files, or one source compiled by a pattern rule into
    two modules (docs/defconfig-steps.md 7.8)."""

    def _analysis(self, kos=_AES + _WCD):
        steps = dry_run_steps("shared_parts_dry_run.txt")
        a = analyze(steps + [find_step(dry_run_steps("mini_dry_run.txt"), "vmlinux.a")], STOOLS, LDS)
        a.orders["modules.order"] = [("echo", ko) for ko in kos]
        lds = _mod_analysis().module_lds  # modules_prepare's, as the import's dry run has it
        a.module_lds = dataclasses.replace(lds, src=_moved(lds.src), flags=tuple(_moved(f) for f in lds.flags))
        return a

    def _plan(self, a, kos=_AES + _WCD):
        mf = parse_modfinal(read_testdata("modfinal_dry_run.txt"), "clang-19")
        for ko in kos:  # pass 2 is not recorded for these: borrow test_module's lines
            n = ko[:-3]
            c = mf.mod_o["lib/test_module.ko"]
            flags = tuple(_moved(f) for f in c.flags)
            mf.mod_o[ko] = dataclasses.replace(c, src=n + ".mod.c", out=n + ".mod.o", flags=flags)
            mf.ko[ko] = mf.ko["lib/test_module.ko"].replace("lib/test_module", n).replace("ld.lld-19 ", "ld.lld ")
        del mf.ko["lib/test_module.ko"], mf.ko["lib/math/test_div64.ko"]
        return module_plan(a, mf, config={"CONFIG_MODULES": "y"}, deps=_mod_deps(a), roots=SROOTS,
                           tools=STOOLS, builtin=[])

    def test_kbuild_modnames(self):
        # What Kbuild compiled them with (the dry run's -DKBUILD_MODNAME), first.
        a = self._analysis()
        for part, multi, want in [
                ("arch/arm64/crypto/aes-glue-neon.o", ["arch/arm64/crypto/aes-neon-blk.ko"], "aes_glue_neon"),
                ("arch/arm64/crypto/aes-glue-ce.o", ["arch/arm64/crypto/aes-ce-blk.ko"], "aes_glue_ce"),
                ("sound/soc/codecs/wcd-clsh-v2.o", list(reversed(_WCD)), "snd_soc_wcd9335:snd_soc_wcd934x"),
                ("sound/soc/codecs/wcd9335.o", _WCD[:1], "snd_soc_wcd9335")]:
            self.assertIn(f'-DKBUILD_MODNAME="{want}"', a.compiles[part].flags)
            self.assertIn(want, kbuild_modnames(part, multi))
        self.assertEqual(kbuild_modnames("sound/soc/codecs/wcd-clsh-v2.o", list(reversed(_WCD))),
                         ["snd_soc_wcd9335:snd_soc_wcd934x", "wcd_clsh_v2"])
        self.assertEqual(kbuild_modnames("lib/test_module.o", []), ["test_module"])

    def test_plan(self):
        a = self._analysis()
        section, part_of, object_post = self._plan(a)
        self.assertEqual(section["list"][_WCD[0]]["objects"],
                         ["sound/soc/codecs/wcd-clsh-v2.o", "sound/soc/codecs/wcd9335.o"])
        self.assertEqual(section["list"][_WCD[1]]["objects"],
                         ["sound/soc/codecs/wcd-clsh-v2.o", "sound/soc/codecs/wcd934x.o"])
        self.assertEqual(part_of["sound/soc/codecs/wcd-clsh-v2.o"], _WCD)
        self.assertEqual(part_of["arch/arm64/crypto/aes-glue-neon.o"], _AES[:1])
        self.assertEqual(section["list"][_AES[0]]["objects"],
                         ["arch/arm64/crypto/aes-glue-neon.o", "arch/arm64/crypto/aes-neon.o"])
        self.assertEqual(section["list"][_AES[0]]["modname"], "aes_neon_blk")
        self.assertEqual(section["list"][_WCD[0]]["link"][-3:],
                         ["sound/soc/codecs/snd-soc-wcd9335.o", "sound/soc/codecs/wcd-clsh-v2.o",
                          "sound/soc/codecs/wcd9335.o"])
        # One plan object (one compile) serves both: check_modules over the plan's objects.
        objs = {}
        for p, kos in part_of.items():
            objs[p] = {"module": kos[0], "archive": None, "lto": "bitcode", "post": []}
            if len(kos) > 1:
                objs[p]["other_modules"] = kos[1:]
        self.assertEqual(check_modules(section, objs), [])
        del objs["sound/soc/codecs/wcd-clsh-v2.o"]["other_modules"]
        self.assertEqual(check_modules(section, objs),
                         ["sound/soc/codecs/wcd-clsh-v2.o: part of sound/soc/codecs/snd-soc-wcd934x.ko but "
                          "module='sound/soc/codecs/snd-soc-wcd9335.ko', archive=None"])
        objs["sound/soc/codecs/wcd-clsh-v2.o"]["other_modules"] = ["drivers/x.ko"]
        self.assertIn("sound/soc/codecs/wcd-clsh-v2.o: module drivers/x.ko does not list it as a part",
                      check_modules(section, objs))

    def test_one_module_enabled(self):
        # With only snd-soc-wcd9335 configured, modname-multi is that module alone: the
        # dry run's "a:b" name does not match it.
        a = self._analysis(_WCD[:1])
        a = dataclasses.replace(a, module_objs={"sound/soc/codecs/wcd-clsh-v2.o", "sound/soc/codecs/wcd9335.o"})
        with self.assertRaisesRegex(KbuildImportError,
                                    "^sound/soc/codecs/wcd-clsh-v2.o: compiled without "
                                    "-DKBUILD_MODNAME='\"snd_soc_wcd9335\"' of sound/soc/codecs/snd-soc-wcd9335.ko "
                                    "\\(or wcd_clsh_v2\\)$"):
            self._plan(a, _WCD[:1])

    def test_single_object_module_that_is_also_a_part(self):
        a = self._analysis()
        a.mods["sound/soc/codecs/wcd9335.mod"] = ["sound/soc/codecs/wcd9335.o"]
        a.orders["modules.order"].append(("echo", "sound/soc/codecs/wcd9335.ko"))
        with self.assertRaisesRegex(KbuildImportError, "^sound/soc/codecs/wcd9335.o: both a single-object module "
                                    "and a part of sound/soc/codecs/snd-soc-wcd9335.ko$"):
            self._plan(a, _AES + _WCD + ["sound/soc/codecs/wcd9335.ko"])


_XE = "/work/bench3/ob/external"
XTOOLS = dict(TOOLS, clang=f"{_XE}/kernel_llvm/bin/clang", ld=f"{_XE}/kernel_llvm/bin/ld.lld")
XROOTS = Roots(f"{_XE}/linux", "/tmp/imp-x86_64-thin/obj")
_PROBE = "/tmp/imp-x86_64-thin/obj/" + EXTMOD_DIR


class ExtmodTest(absltest.TestCase):
    def _plan(self, pass1=None, pass2=None):
        return extmod_plan(pass1 or read_testdata("extmod_pass1.txt"), pass2 or read_testdata("extmod_pass2.txt"), _PROBE,
                               tools=XTOOLS, roots=XROOTS)

    def test_templates(self):
        x = self._plan()
        self.assertEqual(x["c_flags"][-4:], ["-DMODULE", '-DKBUILD_BASENAME="$(BASENAME)"',
                                             '-DKBUILD_MODNAME="$(MODNAME)"', "-D__KBUILD_MODNAME=kmod_$(MODNAME)"])
        self.assertIn("-flto=thin", x["c_flags"])
        self.assertFalse([f for f in x["c_flags"] if "kbuild" in f.lower() and "$(" not in f and "KBUILD_" not in f])
        self.assertEqual(x["link_single"], ["$(LD)", "-m", "elf_x86_64", "-mllvm", "-import-instr-limit=5", "-z",
                                            "noexecstack", "-r", "-o", "$(M)/$(NAME).o", "$(M)/$(NAME).o"])
        self.assertEqual(x["link_multi"][-4:], ["-r", "-o", "$(M)/$(NAME).o", "$(PARTS)"])
        self.assertEqual(x["post"], [_OBJTOOL + " $(M)/$(NAME).o"])
        self.assertEqual(x["part_post"], [])
        self.assertEqual(x["mod_o_flags"][-3:], ['-DKBUILD_BASENAME="$(MODNAME).mod"', '-DKBUILD_MODNAME="$(MODNAME)"',
                                                  "-D__KBUILD_MODNAME=kmod_$(MODNAME)"])
        self.assertEqual(x["ko"][-4:], ["-o", "$(M)/$(NAME).ko", "$(M)/$(NAME).o", "$(M)/$(NAME).mod.o"])
        self.assertIn("scripts/module.lds", x["ko"])
        self.assertEqual(x["modpost"], ["-E", "-o", "$(M)/Module.symvers", "-e", "-i", "Module.symvers", "-T", "-"])
        self.assertNotIn(_PROBE, json.dumps(x))

    def test_probe_flags_must_agree(self):
        p1 = read_testdata("extmod_pass1.txt").replace("-DKBUILD_MODNAME='\"kbuild_import_hello\"'",
                                               "-DKBUILD_MODNAME='\"kbuild_import_hello\"' -DEXTRA")
        with self.assertRaisesRegex(KbuildImportError, "the parts' flags differ"):
            self._plan(pass1=p1)

    def test_extra_symbols_refused(self):
        p2 = read_testdata("extmod_pass2.txt").replace("-i Module.symvers", "-i Module.symvers -i other/Module.symvers")
        with self.assertRaisesRegex(KbuildImportError, "KBUILD_EXTRA_SYMBOLS"):
            self._plan(pass2=p2)


if __name__ == "__main__":
    absltest.main()


if __name__ == "__main__":
    absltest.main()
