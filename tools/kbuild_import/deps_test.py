"""Tests for tools/kbuild_import: depfiles, their classification and `.incbin`s (testdata: see test_util.py)"""

from absl.testing import absltest

from tools.kbuild_import.common import KbuildImportError
from tools.kbuild_import.deps import Deps, classify_deps, find_incbins, missing_sources, parse_make_deps, scan_deps_result
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
