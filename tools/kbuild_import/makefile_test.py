"""Tests for tools/kbuild_import: the helper makefile and its variable dump (testdata: see test_util.py)"""

from absl.testing import absltest

from tools.kbuild_import.analysis import analyze
from tools.kbuild_import.common import KbuildImportError
from tools.kbuild_import.makefile import helper_makefile, parse_vars
from tools.kbuild_import.plan import gen_targets
from tools.kbuild_import.test_util import LDS, TOOLS, dry_run_steps, read_testdata


class MakeHelperTest(absltest.TestCase):
    def test_vars(self):
        v = parse_vars(read_testdata("vars.txt"))
        self.assertEqual(v["KBUILD_LDFLAGS"].split(),
                         ["-EL", "-maarch64elf", "-z", "norelro", "-mllvm", "-import-instr-limit=5", "-z", "noexecstack"])
        self.assertEqual(v["KBUILD_VMLINUX_LIBS"], "arch/arm64/lib/lib.a lib/lib.a")
        with self.assertRaisesRegex(KbuildImportError, "KBUILD_LDS"):
            parse_vars(read_testdata("vars.txt").replace("KBUILD_LDS=", "XKBUILD_LDS="))

    def test_helper_makefile(self):
        text = helper_makefile([("lib", ["lib/crc32table.h"]), ("usr", ["usr/a", "usr/b"])])
        self.assertIn("\n\t$(Q)$(MAKE) $(build)=lib lib/crc32table.h\n", text)
        self.assertIn("\n\t$(Q)$(MAKE) $(build)=usr usr/a usr/b\n", text)
        self.assertIn("\n\t$(Q)$(MAKE) $(build)=init init/version-timestamp.o\n", text)
        self.assertIn("$(info KBUILD_IMPORT_VAR KBUILD_LDFLAGS=$(KBUILD_LDFLAGS))", text)
        # Recipe lines are tab-indented; rules start at column 0.
        for line in text.splitlines():
            self.assertTrue(line == "" or line.startswith(("\t", "#", "kbuild-import-", ".PHONY")), line)

    def test_gen_after_prepare(self):
        # The real generate run depends on prepare (arm64 stack_protector_prepare's
        # KBUILD_CFLAGS), the boot dry run does not.
        self.assertIn("\nkbuild-import-gen: prepare\n", helper_makefile([("lib", ["x"])], gen_after_prepare=True))
        self.assertIn("\nkbuild-import-gen:\n", helper_makefile([("lib", ["x"])]))

    def test_gen_targets(self):
        a = analyze(dry_run_steps("mini_dry_run.txt"), TOOLS, LDS)
        self.assertEqual(gen_targets(a, existing={"usr/initramfs_data.cpio"}), [
            ("init", ["init/utsversion-tmp.h", "include/generated/utsversion.h"]),
            ("usr", ["usr/initramfs_inc_data"]),
            ("lib", ["lib/crc32table.h"])])


if __name__ == "__main__":
    absltest.main()
