"""Tests for tools/kbuild_import/boot.py: the x86_64 boot image's steps
(testdata/boot_dry_run.txt: real `make -n` lines of Linux 6.1 x86_64 tiny, see its header)."""

import dataclasses

from absl.testing import absltest

from tools.kbuild_import import boot
from tools.kbuild_import.common import KbuildImportError
from tools.kbuild_import.deps import Deps
from tools.kbuild_import.dryrun import Archive, parse_dry_run
from tools.kbuild_import.test_util import ROOTS, TOOLS, read_testdata

_CC = TOOLS["clang"]


def _steps():
    return parse_dry_run(read_testdata("boot_dry_run.txt"))


_LIB_A = "drivers/firmware/efi/libstub/lib.a"
_MEMBERS = ("drivers/firmware/efi/libstub/x86-stub.stub.o", "drivers/firmware/efi/libstub/alignedmem.stub.o")
_ARCHIVES = {_LIB_A: (f"rm -f {_LIB_A}; {TOOLS['ar']} cDPrsT {_LIB_A} {' '.join(_MEMBERS)}",
                      Archive(_LIB_A, "cDPrsT", _MEMBERS))}


def _plan(steps=None, archives=None):
    kept, compiles = boot.split_steps(steps or _steps(), _CC)
    made = {boot.norm_rel(s.target) for s in kept}
    # What a dependency scan finds: one srctree header each; misc.o and header.o the generated ones.
    deps = {}
    for out in compiles:
        gen = {"arch/x86/boot/compressed/misc.o": ("arch/x86/boot/voffset.h",),
               "arch/x86/boot/header.o": ("arch/x86/boot/voffset.h", "arch/x86/boot/zoffset.h")}.get(out, ())
        deps[out] = Deps(("include/linux/kconfig.h",), ("include/generated/autoconf.h",), gen, ())
    assert all(g in made for d in deps.values() for g in d.build_inputs)
    hosts = ["arch/x86/boot/tools/build", "arch/x86/boot/compressed/mkpiggy"]
    return boot.boot_plan(kept, compiles, deps=deps, incbins={}, host=hosts, tools=TOOLS, roots=ROOTS,
                          is_src_file=lambda rel: rel.startswith(("scripts/", "arch/x86/boot/")), archives=archives or {})


class BootTest(absltest.TestCase):
    def test_host_programs_are_built_by_the_import(self):
        self.assertEqual(boot.host_programs(_steps()), [
            ("arch/x86/boot", ["arch/x86/boot/tools/build"]),
            ("arch/x86/boot/compressed", ["arch/x86/boot/compressed/mkpiggy"]),
        ])

    def test_steps_in_order(self):
        plan = _plan()
        tags = [(e["tag"], e["out"]) for e in plan["steps"]]
        self.assertLen(tags, 47)
        self.assertEqual(plan["image"], "arch/x86/boot/bzImage")
        self.assertEqual(tags[-1], ("BUILD", "arch/x86/boot/bzImage"))
        self.assertEqual(sum(1 for t, _ in tags if t in ("CC", "AS")), 36)  # 24 setup + 12 compressed objects
        self.assertIn(("VOFFSET", "arch/x86/boot/voffset.h"), tags)  # compressed/../voffset.h, normalized

    def test_commands_are_path_free(self):
        for e in _plan()["steps"]:
            self.assertNotIn("/work/scratch-kbuild", e["cmd"], e["out"])
            self.assertNotIn("/usr/lib/llvm-19", e["cmd"], e["out"])

    def test_what_needs_vmlinux(self):
        after = {e["out"] for e in _plan()["steps"] if e["after_vmlinux"]}
        self.assertEqual(after, {
            "arch/x86/boot/voffset.h", "arch/x86/boot/compressed/misc.o", "arch/x86/boot/compressed/vmlinux.bin",
            "arch/x86/boot/compressed/vmlinux.bin.xz", "arch/x86/boot/compressed/piggy.S",
            "arch/x86/boot/compressed/piggy.o", "arch/x86/boot/compressed/vmlinux", "arch/x86/boot/zoffset.h",
            "arch/x86/boot/header.o", "arch/x86/boot/setup.elf", "arch/x86/boot/setup.bin",
            "arch/x86/boot/vmlinux.bin", "arch/x86/boot/bzImage",
        })

    def test_inputs_named_by_the_commands(self):
        by_out = {e["out"]: e for e in _plan()["steps"]}
        self.assertEqual(by_out["arch/x86/boot/voffset.h"]["inputs"], ["vmlinux"])
        xz = by_out["arch/x86/boot/compressed/vmlinux.bin.xz"]
        self.assertEqual(xz["inputs"], ["arch/x86/boot/compressed/vmlinux.bin"])
        self.assertEqual(xz["srcs"], ["scripts/xz_wrap.sh"])
        # size_append was expanded by make -n before vmlinux.bin existed (size 0): a placeholder now
        self.assertEqual(xz["cmd"], "{ cat arch/x86/boot/compressed/vmlinux.bin | sh $(srctree)/scripts/xz_wrap.sh; "
                                    "$(SIZE_APPEND); } > arch/x86/boot/compressed/vmlinux.bin.xz")
        self.assertEqual(xz["size_append"], ["arch/x86/boot/compressed/vmlinux.bin"])
        self.assertEqual(by_out["arch/x86/boot/compressed/piggy.S"]["host"], ["arch/x86/boot/compressed/mkpiggy"])
        # piggy.o reads piggy.S and what mkpiggy's .incbin names
        self.assertEqual(by_out["arch/x86/boot/compressed/piggy.o"]["inputs"],
                         ["arch/x86/boot/compressed/piggy.S", "arch/x86/boot/compressed/vmlinux.bin.xz"])
        self.assertEqual(by_out["arch/x86/boot/setup.elf"]["srcs"], ["arch/x86/boot/setup.ld"])
        self.assertLen(by_out["arch/x86/boot/setup.elf"]["inputs"], 24)
        build = by_out["arch/x86/boot/bzImage"]
        self.assertEqual(build["inputs"], ["arch/x86/boot/setup.bin", "arch/x86/boot/vmlinux.bin",
                                           "arch/x86/boot/zoffset.h"])
        self.assertEqual(build["host"], ["arch/x86/boot/tools/build"])
        misc = by_out["arch/x86/boot/compressed/misc.o"]
        self.assertEqual(misc["inputs"], ["arch/x86/boot/voffset.h"])
        self.assertEqual(misc["objtree"], ["include/generated/autoconf.h"])
        self.assertEqual(misc["srcs"], ["arch/x86/boot/compressed/misc.c", "include/linux/kconfig.h"])

    def test_dirs(self):
        self.assertEqual(_plan()["dirs"], ["arch/x86/boot", "arch/x86/boot/compressed"])

    def test_scan_stand_ins(self):
        kept, compiles = boot.split_steps(_steps(), _CC)
        self.assertEqual(boot.scan_stand_ins(kept, compiles), [
            "arch/x86/boot/compressed/piggy.S", "arch/x86/boot/voffset.h", "arch/x86/boot/zoffset.h"])

    def test_unknown_step_is_one_line_naming_it(self):
        steps = _steps()
        i = next(i for i, s in enumerate(steps) if s.tag == "XZKERN")
        steps[i] = dataclasses.replace(steps[i], tag="NEWZIP")
        with self.assertRaisesRegex(KbuildImportError,
                                    r"^NEWZIP arch/x86/boot/compressed/vmlinux.bin.xz: boot image steps of this kind are not supported"):
            boot.split_steps(steps, _CC)

    def test_genksyms_steps_are_skipped(self):
        # CONFIG_MODVERSIONS: Kbuild's gen_symversions follows each boot object's compile
        # (it writes only to the object's .cmd file): the plan is the same without them.
        steps = _steps()
        i = next(i for i, s in enumerate(steps) if s.target == "arch/x86/boot/a20.o")
        gen = dataclasses.replace(steps[i], tag="GENKSYMS", cmd="if nm arch/x86/boot/a20.o | grep -q __ksymtab; then :; fi")
        self.assertEqual(boot.split_steps(steps[:i + 1] + [gen] + steps[i + 1:], _CC), boot.split_steps(steps, _CC))
        with self.assertRaisesRegex(KbuildImportError, r"^GENKSYMS arch/x86/boot/x\.o: genksyms of an object the boot dry run does not compile$"):
            boot.split_steps(steps[:i + 1] + [dataclasses.replace(gen, target="arch/x86/boot/x.o")] + steps[i + 1:], _CC)

    def test_no_bzimage(self):
        with self.assertRaisesRegex(KbuildImportError, "does not build it"):
            boot.split_steps(_steps()[:-1], _CC)

    def test_stand_ins(self):
        self.assertEqual(boot.stand_ins(), {"vmlinux": ""})
        self.assertEqual(boot.stand_ins([_LIB_A]), {"vmlinux": "", _LIB_A: ""})

    def test_efi_stub_archive(self):
        # CONFIG_EFI_STUB: compressed/vmlinux links ./drivers/firmware/efi/libstub/lib.a after its objects.
        steps = _steps()
        i = next(i for i, s in enumerate(steps) if s.target == "arch/x86/boot/compressed/vmlinux")
        steps[i] = dataclasses.replace(steps[i], cmd=steps[i].cmd.replace(
            " -o arch/x86/boot/compressed/vmlinux", " ./" + _LIB_A + " -o arch/x86/boot/compressed/vmlinux"))
        plan = _plan(steps, archives=_ARCHIVES)
        ar = plan["steps"][0]
        self.assertEqual(ar, {
            "tag": "AR", "out": _LIB_A, "after_vmlinux": False, "srcs": [], "objtree": [], "inputs": [], "host": [],
            "cmd": f"rm -f {_LIB_A}; $(AR) cDPrsT {_LIB_A} {' '.join(_MEMBERS)}",
            "objects": list(_MEMBERS), "thin": True})
        by_out = {e["out"]: e for e in plan["steps"]}
        ld = by_out["arch/x86/boot/compressed/vmlinux"]
        self.assertIn(_LIB_A, ld["inputs"])
        self.assertEqual(ld["objects"], sorted(_MEMBERS))  # a thin archive: the linker opens its members
        self.assertNotIn("objects", by_out["arch/x86/boot/bzImage"])
        self.assertIn("drivers/firmware/efi/libstub", plan["dirs"])
        # An unlinked archive no boot step names is not built.
        self.assertNotIn("AR", [e["tag"] for e in _plan(archives=_ARCHIVES)["steps"]])

    def test_unsupported(self):
        self.assertEqual(boot.unsupported("X y: not supported"),
                         {"image": "arch/x86/boot/bzImage", "unsupported": "X y: not supported"})

    def test_goal(self):
        self.assertEqual(boot.boot_goal("x86_64"), ("arch/x86/boot", ["arch/x86/boot/bzImage"]))
        self.assertIsNone(boot.boot_goal("arm64"))

    def test_step_inputs_anchor_directories_walked_up_from(self):
        # arm64 vdso32's VDSOSYM names its script through vdso32/../vdso/.
        src = ROOTS.srctree
        s = dataclasses.replace(_steps()[0], tag="VDSOSYM", target="include/generated/x.h",
                                cmd=f"nm a.so | {src}/arch/arm64/kernel/vdso32/../vdso/gen.sh | sort > include/generated/x.h")
        is_src = lambda rel: rel.endswith(".sh")  # noqa: E731
        self.assertEqual(boot.step_inputs(s, ["a.so"], [], ROOTS, is_src)["srcs"], ["arch/arm64/kernel/vdso/gen.sh"])
        got = boot.step_inputs(s, ["a.so"], [], ROOTS, is_src, lambda rel: f"{rel}/Makefile")
        self.assertEqual((got["srcs"], got["inputs"]), (["arch/arm64/kernel/vdso/gen.sh", "arch/arm64/kernel/vdso32/Makefile"],
                                                        ["a.so"]))
        with self.assertRaisesRegex(KbuildImportError, r"^VDSOSYM include/generated/x.h: the command walks up from "
                                                       r"arch/arm64/kernel/vdso32/, a directory without files"):
            boot.step_inputs(s, ["a.so"], [], ROOTS, is_src, lambda rel: None)


if __name__ == "__main__":
    absltest.main()
