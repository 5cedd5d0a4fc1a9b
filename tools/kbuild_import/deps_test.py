"""Tests for tools/kbuild_import: depfiles, their classification and `.incbin`s (testdata: see test_util.py)"""

from absl.testing import absltest

from tools.kbuild_import.common import KbuildImportError
from tools.kbuild_import.deps import (
    Deps, classify_deps, find_incbins, missing_sources, parse_make_deps, scan_deps_result, traversed_dirs,
)
from tools.kbuild_import.dryrun import Compile
from tools.kbuild_import.test_util import ROOTS, SRC, read_testdata


class DepsTest(absltest.TestCase):
    def test_parse_make_deps(self):
        deps = parse_make_deps(read_testdata("initramfs_data.d"))
        self.assertEqual(deps, {"usr/initramfs_data.o": [
            f"{SRC}/usr/initramfs_data.S", f"{SRC}/include/linux/compiler-version.h",
            f"{SRC}/include/linux/kconfig.h", "include/generated/autoconf.h"]})
        self.assertEqual(parse_make_deps("a.o: x\\ y.h \\\n  z.h\nb.o:\n"), {"a.o": ["x y.h", "z.h"], "b.o": []})

    def test_classify(self):
        deps = parse_make_deps(read_testdata("initramfs_data.d"))["usr/initramfs_data.o"]
        d = classify_deps("usr/initramfs_data.o", deps + ["usr/initramfs_inc_data"], ROOTS,
                              prepare_files={"include/generated/autoconf.h"},
                              build_files={"usr/initramfs_inc_data"},
                              skip=["$(srctree)/usr/initramfs_data.S"])
        self.assertEqual(d, Deps(("include/linux/compiler-version.h", "include/linux/kconfig.h"),
                                     ("include/generated/autoconf.h",), ("usr/initramfs_inc_data",), ()))

    def test_traversed_dirs(self):
        self.assertEqual(traversed_dirs("/s/d/msm/disp/dpu1/../../../drm_crtc_internal.h"), ["/s/d/msm/disp/dpu1"])
        self.assertEqual(traversed_dirs("/s/a/b/../c/../x.h"), ["/s/a/b", "/s/a/b/../c"])
        self.assertEqual(traversed_dirs("/s/a/x.h"), [])

    def test_walked_up_directory_gets_an_anchor(self):
        # msm_drv.o (arm64 defconfig): "../../../drm_crtc_internal.h" found through -I .../disp/dpu1,
        # a directory the object reads nothing from: without a file in it the sandbox lacks it.
        hdr = f"{SRC}/drivers/gpu/drm/msm/disp/dpu1/../../../drm_crtc_internal.h"
        asked = []

        def anchor(rel):
            asked.append(rel)
            return rel + "/dpu_kms.h"
        d = classify_deps("m.o", [f"{SRC}/drivers/gpu/drm/msm/msm_drv.c", hdr], ROOTS, set(), set(),
                          skip=["$(srctree)/drivers/gpu/drm/msm/msm_drv.c"], anchor=anchor)
        self.assertEqual(d.hdrs, ("drivers/gpu/drm/drm_crtc_internal.h", "drivers/gpu/drm/msm/disp/dpu1/dpu_kms.h"))
        self.assertEqual(asked, ["drivers/gpu/drm/msm/disp/dpu1"])
        # A directory that holds one of the object's files already exists: no anchor.
        d = classify_deps("m.o", [f"{SRC}/drivers/gpu/drm/msm/disp/dpu1/dpu_hw.h", hdr], ROOTS, set(), set(),
                          anchor=anchor)
        self.assertEqual(d.hdrs, ("drivers/gpu/drm/drm_crtc_internal.h", "drivers/gpu/drm/msm/disp/dpu1/dpu_hw.h"))
        self.assertEqual(len(asked), 1)
        # The source's own directory counts (skip), and no anchor function: paths as before.
        d = classify_deps("m.o", [f"{SRC}/drivers/gpu/drm/msm/disp/dpu1/x.c", hdr], ROOTS, set(), set(),
                          skip=["$(srctree)/drivers/gpu/drm/msm/disp/dpu1/x.c"], anchor=anchor)
        self.assertEqual(d.hdrs, ("drivers/gpu/drm/drm_crtc_internal.h",))
        self.assertEqual(classify_deps("m.o", [hdr], ROOTS, set(), set()).hdrs, ("drivers/gpu/drm/drm_crtc_internal.h",))
        with self.assertRaisesRegex(KbuildImportError, "m.o: an #include walks up from drivers/gpu/drm/msm/disp/dpu1/"):
            classify_deps("m.o", [hdr], ROOTS, set(), set(), anchor=lambda rel: None)

    def test_unknown_objtree_file(self):
        with self.assertRaisesRegex(KbuildImportError, "neither prepare nor a build step"):
            classify_deps("x.o", ["include/generated/nope.h"], ROOTS, set(), set())

    def test_missing_sources(self):
        cs = [Compile("a.o", "/s/a.c", "c", (), ()), Compile("net/wireless/shipped-certs.o",
              "net/wireless/shipped-certs.c", "c", (), ()), Compile("b.o", "b.c", "c", (), ())]
        self.assertEqual(missing_sources(cs, lambda p: True), [])
        self.assertEqual(missing_sources(cs, lambda p: p == "/s/a.c"), [
            "net/wireless/shipped-certs.o: its source net/wireless/shipped-certs.c does not exist after the "
            "import's make: no step of the dry run made it (2 such sources)"])

    def test_incbin(self):
        # The comment above the directive also says ".incbin was introduced".
        self.assertEqual(find_incbins("usr/initramfs_data.o", read_testdata("initramfs_data.S")),
                         ["usr/initramfs_inc_data"])
        configs_c = 'asm (\n"\t.incbin \\"kernel/config_data.gz\\"\t\\n"\n);\n'  # kernel/configs.c
        self.assertEqual(find_incbins("kernel/configs.o", configs_c), ["kernel/config_data.gz"])
        with self.assertRaisesRegex(KbuildImportError, "quoted"):
            find_incbins("arch/riscv/kernel/vdso/vdso.o", ".incbin __VDSO_PATH\n")
        self.assertEqual(find_incbins("init/main.o", "/* no directive */ int x;\n"), [])

    def test_scan_deps_result(self):
        a, b = Compile("a.o", "/s/a.c", "c", (), ()), Compile("b.o", "/s/b.S", "asm", (), ())
        by_input = {"/s/a.c": a, "/s/b.S": b}
        result = {"translation-units": [
            {"commands": [{"input-file": "/s/b.S", "file-deps": ["/s/b.S", "/s/z.h", "/s/a.h", "/s/z.h"]}]},
            # A unit with two commands (an .S: preprocess, assemble) lists its deps twice.
            {"commands": [{"input-file": "/s/a.c", "file-deps": ["/s/a.c", "/s/y.h"]},
                          {"input-file": "/s/a.c", "file-deps": ["/s/a.c", "/s/x.h", "/s/y.h"]}]},
        ]}
        self.assertEqual(scan_deps_result(result, by_input.get), {
            "b.o": ["/s/b.S", "/s/z.h", "/s/a.h"],  # the scanner's order, each once
            "a.o": ["/s/a.c", "/s/y.h", "/s/x.h"],
        })
        with self.assertRaisesRegex(KbuildImportError, "unknown input /s/c.c"):
            scan_deps_result({"translation-units": [{"commands": [{"input-file": "/s/c.c"}]}]}, by_input.get)


if __name__ == "__main__":
    absltest.main()
