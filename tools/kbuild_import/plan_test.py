"""Tests for tools/kbuild_import: plan assembly and the object tree listing (testdata: see test_util.py)"""

import hashlib
import json
import random

from absl.testing import absltest

from tools.kbuild_import.analysis import Derived, analyze
from tools.kbuild_import.common import KbuildImportError
from tools.kbuild_import.dryrun import Step
from tools.kbuild_import.deps import classify_deps
from tools.kbuild_import.makefile import parse_vars
from tools.kbuild_import.placeholders import placeholder_path
from tools.kbuild_import.plan import SCHEMA, build_plan, derived_entry, dump_plan, file_kind, listed_file
from tools.kbuild_import.test_util import BIN, CONFIG, LDS, ROOTS, SRC, TOOLS, dry_run_steps, read_testdata


def _mini_plan(shuffle=None, make_vars=None, extra_steps=()):
    steps = dry_run_steps("mini_dry_run.txt") + list(extra_steps)
    a = analyze(steps, TOOLS, LDS)
    prepare = {"include/generated/autoconf.h": {"sha256": "00", "kind": "header"},
               "scripts/kallsyms": {"sha256": "11", "kind": "host_program"},
               "arch/arm64/kernel/vdso/vdso.so": {"sha256": "22", "kind": "data"}}
    build = {t: {"sha256": "33", "kind": "data"} for t in
             ("init/utsversion-tmp.h", "include/generated/utsversion.h", "usr/initramfs_data.cpio",
              "usr/initramfs_inc_data", "lib/crc32table.h")}
    deps, incbins = {}, {}
    for c in list(a.compiles.values()) + [a.lds]:
        raw = [c.src, f"{SRC}/include/linux/kconfig.h", "include/generated/autoconf.h"]
        if c.out == "init/version-timestamp.o":
            raw.append("include/generated/utsversion.h")
        inc = ["usr/initramfs_inc_data"] if c.out == "usr/initramfs_data.o" else []
        incbins[c.out] = inc
        deps[c.out] = classify_deps(c.out, raw + inc, ROOTS, prepare, build,
                                        skip=[placeholder_path(c.src, ROOTS)])
    if shuffle:
        items = list(deps.items())
        shuffle.shuffle(items)
        deps = dict(items)
        items = list(a.compiles.items())
        shuffle.shuffle(items)
        a.compiles = dict(items)
    return build_plan(
        arch="arm64", config_text=CONFIG, make_vars=make_vars or parse_vars(read_testdata("vars.txt")), analysis=a,
        head_list_text="arch/x86/kernel/head_64.o\n", deps=deps, incbins=incbins, generated_prepare=prepare,
        generated_build=build, roots=ROOTS, tools=TOOLS)


class PlanTest(absltest.TestCase):
    def test_plan(self):
        p = _mini_plan()
        self.assertEqual((p["schema"], p["arch"], p["kernel_version"], p["lto"]), (SCHEMA, "arm64", "6.1.192", "thin"))
        objs = {o["out"]: o for o in p["objects"]}
        self.assertEqual([o["out"] for o in p["objects"]], sorted(objs))
        self.assertEqual({k: (o["lang"], o["lto"], o["archive"]) for k, o in objs.items()}, {
            "arch/arm64/kernel/entry.o": ("asm", "native", "vmlinux.a"),
            "arch/arm64/kernel/pi/kaslr_early.o": ("c", "native", "vmlinux.a"),
            "arch/arm64/lib/memcpy.o": ("asm", "native", "arch/arm64/lib/lib.a"),
            "init/calibrate.o": ("c", "bitcode", "vmlinux.a"),
            "init/version-timestamp.o": ("c", "bitcode", None),
            "lib/ctype.o": ("c", "bitcode", "lib/lib.a"),
            "usr/initramfs_data.o": ("asm", "native", "vmlinux.a"),
        })
        o = objs["usr/initramfs_data.o"]
        self.assertEqual((o["src"], o["src_root"], o["hdrs"], o["gen_inputs"], o["build_inputs"], o["incbin"]),
                         ("usr/initramfs_data.S", "srctree", ["include/linux/kconfig.h"],
                          ["include/generated/autoconf.h"], ["usr/initramfs_inc_data"], ["usr/initramfs_inc_data"]))
        self.assertEqual(objs["init/version-timestamp.o"]["build_inputs"], ["include/generated/utsversion.h"])
        self.assertEqual(p["derived"], {"arch/arm64/kernel/pi/kaslr_early.pi.o": {
            "kind": "objcopy", "src": "arch/arm64/kernel/pi/kaslr_early.o", "tool": "$(OBJCOPY)",
            "flags": ["--prefix-symbols=__pi_", "--remove-section=.note.gnu.property",
                      "--prefix-alloc-sections=.init"]}})
        self.assertEqual(p["archives"]["vmlinux.a"]["members"], [
            "init/calibrate.o", "usr/initramfs_data.o", "arch/arm64/kernel/entry.o",
            "arch/arm64/kernel/pi/kaslr_early.pi.o"])
        self.assertEqual(p["archives"]["lib/lib.a"], {"members": ["lib/ctype.o"], "flags": "cDPrsT", "thin": True})
        link = p["link"]
        self.assertEqual(link["libs"], ["arch/arm64/lib/lib.a", "lib/lib.a"])
        self.assertEqual(link["order"][-2:], ["arch/arm64/lib/memcpy.o", "lib/ctype.o"])
        self.assertEqual(link["ldflags"][-4:], ["-mllvm", "-import-instr-limit=5", "-z", "noexecstack"])
        self.assertEqual(link["vmlinux_o"][:2] + link["vmlinux_o"][-9:], [
            "$(LD)", "-EL", "-T", "$(objtree)/.tmp_initcalls.lds", "--whole-archive", "vmlinux.a",
            "--no-whole-archive", "--start-group", "arch/arm64/lib/lib.a", "lib/lib.a", "--end-group"])
        self.assertEqual(link["lds"]["src"], "arch/arm64/kernel/vmlinux.lds.S")
        self.assertEqual(link["link_objects"], ["init/version-timestamp.o"])
        self.assertEqual(link["host_programs"], ["scripts/kallsyms"])
        self.assertEqual([s["target"] for s in p["build_steps"]], [
            "init/utsversion-tmp.h", "usr/initramfs_data.cpio", "usr/initramfs_inc_data", "lib/crc32table.h",
            "include/generated/utsversion.h"])

    def test_no_absolute_paths_and_deterministic(self):
        text = dump_plan(_mini_plan())
        self.assertNotIn(SRC, text)
        self.assertNotIn(BIN, text)
        self.assertEqual(dump_plan(_mini_plan(shuffle=random.Random(7))), text)
        self.assertEqual(json.loads(text)["config_sha256"], hashlib.sha256(CONFIG.encode()).hexdigest())
        self.assertTrue(text.endswith("}\n"))
        keys = list(json.loads(text))
        self.assertEqual(keys, sorted(keys))

    def test_vmlinux_libs_are_normalized(self):
        # arm64 defconfig: KBUILD_VMLINUX_LIBS names $(objtree)/drivers/firmware/efi/libstub/lib.a
        # as ./drivers/...; the archive steps name it drivers/... .
        vars_text = read_testdata("vars.txt").replace("KBUILD_VMLINUX_LIBS=arch/arm64/lib/lib.a lib/lib.a",
                                                       "KBUILD_VMLINUX_LIBS=./arch/arm64/lib/lib.a lib/lib.a")
        self.assertIn("=./arch/arm64/lib/lib.a", vars_text)
        plan = _mini_plan(make_vars=parse_vars(vars_text))
        self.assertEqual(plan["link"]["libs"], ["arch/arm64/lib/lib.a", "lib/lib.a"])
        self.assertEqual(plan, _mini_plan())

    def test_stubcopy_entry(self):
        d = Derived("drivers/firmware/efi/libstub/alignedmem.stub.o", "drivers/firmware/efi/libstub/alignedmem.o",
                    ("--remove-section=.note.gnu.property",), kind="stubcopy", strip_flags=("--strip-debug",),
                    reject_reloc="R_X86_64_64")
        self.assertEqual(derived_entry(d, ROOTS), {
            "kind": "stubcopy", "src": "drivers/firmware/efi/libstub/alignedmem.o", "tool": "$(OBJCOPY)",
            "flags": ["--remove-section=.note.gnu.property"],
            "check": {"strip": ["--strip-debug"], "reject_reloc": "R_X86_64_64"}})

    def test_unlinked_archive(self):
        # x86_64: libstub's lib.a is built by vmlinux_o but linked only into the bzImage.
        stub = [s for s in dry_run_steps("stubcopy_dry_run.txt") if "alignedmem" in s.target]
        ar = Step(0, "build", "AR", "drivers/firmware/efi/libstub/lib.a", "drivers/firmware/efi/libstub",
                  "rm -f drivers/firmware/efi/libstub/lib.a; "
                  f"{BIN}/llvm-ar cDPrsT drivers/firmware/efi/libstub/lib.a drivers/firmware/efi/libstub/alignedmem.stub.o")
        p = _mini_plan(extra_steps=stub + [ar])
        self.assertEqual(p["unlinked_archives"], ["drivers/firmware/efi/libstub/lib.a"])
        self.assertEqual(p["archives"]["drivers/firmware/efi/libstub/lib.a"],
                         {"members": ["drivers/firmware/efi/libstub/alignedmem.stub.o"], "flags": "cDPrsT", "thin": True})
        objs = {o["out"]: o for o in p["objects"]}
        self.assertEqual(objs["drivers/firmware/efi/libstub/alignedmem.o"]["archive"], "drivers/firmware/efi/libstub/lib.a")
        self.assertEqual(objs["drivers/firmware/efi/libstub/alignedmem.o"]["lto"], "native")
        self.assertEqual(p["derived"]["drivers/firmware/efi/libstub/alignedmem.stub.o"]["kind"], "stubcopy")
        self.assertNotIn("drivers/firmware/efi/libstub/alignedmem.stub.o", p["link"]["order"])
        self.assertEqual(_mini_plan()["unlinked_archives"], [])

    def test_archived_object_never_compiled(self):
        steps = [s for s in dry_run_steps("mini_dry_run.txt") if s.target != "lib/ctype.o"]
        a = analyze(steps, TOOLS, LDS)
        with self.assertRaisesRegex(KbuildImportError, "lib/ctype.o: archived but never compiled"):
            build_plan(arch="arm64", config_text="", make_vars=parse_vars(read_testdata("vars.txt")), analysis=a,
                           head_list_text="", deps={}, incbins={}, generated_prepare={}, generated_build={},
                           roots=ROOTS, tools=TOOLS)


class ListingTest(absltest.TestCase):
    def test_listed_file(self):
        for rel, want in [("include/generated/autoconf.h", True), ("include/config/auto.conf", True),
                          ("include/config/PRINTK", False), ("init/.main.o.cmd", False), ("init/main.o", False),
                          ("arch/arm64/kernel/vdso/vdso.so.dbg", False), ("arch/x86/entry/vdso/vdso64.so.dbg", False),
                          ("arch/arm64/kernel/vdso32/vdso.so.raw", False), ("arch/arm64/kernel/vdso32/vdso.so", True),
                          (".config", True), (".kbuild_import.mk", False), ("source", False),
                          ("scripts/kallsyms", True), ("arch/arm64/kernel/vdso/vdso.so", True)]:
            self.assertEqual(listed_file(rel), want, rel)
        self.assertEqual(file_kind("scripts/kallsyms", True), "host_program")
        self.assertEqual(file_kind("arch/arm64/kernel/vdso/vdso.so", True), "data")
        self.assertEqual(file_kind("arch/arm64/include/generated/asm/cpucaps.h", False), "header")
        self.assertEqual(file_kind("usr/initramfs_inc_data", False), "data")


# The module snippets were recorded with clang-19/ld.lld-19 from PATH and the source in
# Bazel's external/linux.


if __name__ == "__main__":
    absltest.main()
