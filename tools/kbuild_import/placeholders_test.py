"""Tests for tools/kbuild_import: paths and flags -> placeholders (testdata: see test_util.py)"""

import shlex

from absl.testing import absltest

from tools.kbuild_import.common import KbuildImportError
from tools.kbuild_import.dryrun import parse_compile
from tools.kbuild_import.in_tree import in_tree_form, split_compile_argv
from tools.kbuild_import.placeholders import normalize_cmd, normalize_flags, placeholder_path
from tools.kbuild_import.test_util import OBJ, ROOTS, SRC, TOOLS, dry_run_steps, find_step, read_testdata


class FlagsTest(absltest.TestCase):
    def test_kbuild_flags_become_relative(self):
        c = parse_compile(find_step(dry_run_steps(), "init/calibrate.o"), TOOLS["clang"])
        flags = normalize_flags(c.flags, ROOTS, "init/calibrate.o")
        self.assertEqual(flags[:4], ["-nostdinc", "-I$(srctree)/arch/arm64/include",
                                     "-I$(objtree)/arch/arm64/include/generated", "-I$(srctree)/include"])
        self.assertIn("-fmacro-prefix-map=$(srctree)/=", flags)
        i = flags.index("-include")
        self.assertEqual(flags[i + 1], "$(srctree)/include/linux/compiler-version.h")
        i = flags.index("$(srctree)/init")
        self.assertEqual(flags[i - 1:i + 3], ["-I", "$(srctree)/init", "-I", "$(objtree)/init"])
        self.assertFalse([f for f in flags if SRC in f or f.startswith("/")])

    def test_absolute_paths_outside_the_trees_are_rejected(self):
        for bad in (["-I/usr/include"], ["-include", "/tmp/x.h"], ["-isystem/opt/inc"], ["-Wa,-I/usr/x"],
                    ["-DPATH=/etc/foo"], ["-fmacro-prefix-map=/home/me/=x"]):
            with self.subTest(bad=bad), self.assertRaises(KbuildImportError):
                normalize_flags(bad, ROOTS, "x.o")

    def test_relative_paths_are_objtree_relative(self):
        self.assertEqual(normalize_flags(["-I", "./init", "-include", "include/generated/utsversion.h",
                                              "-I.", "-Iarch/arm64/include/generated/"], ROOTS),
                         ["-I", "$(objtree)/init", "-include", "$(objtree)/include/generated/utsversion.h",
                          "-I$(objtree)", "-I$(objtree)/arch/arm64/include/generated/"])
        with self.assertRaises(KbuildImportError):
            normalize_flags(["-I", "../outside"], ROOTS)

    def test_compiler_resource_dir(self):
        self.assertEqual(normalize_flags(["-isystem", "/usr/lib/llvm-19/lib/clang/19/include"], ROOTS),
                         ["-isystem", "$(CC_RESOURCE_DIR)/include"])

    def test_root_prefix_is_not_a_string_prefix(self):
        with self.assertRaises(KbuildImportError):
            placeholder_path(SRC + "-old/include", ROOTS)
        self.assertEqual(placeholder_path(SRC + "/", ROOTS), "$(srctree)/")
        self.assertEqual(placeholder_path(OBJ, ROOTS), "$(objtree)")

    def test_normalize_cmd(self):
        cmd = find_step(dry_run_steps(), "usr/initramfs_data.cpio").cmd
        self.assertEqual(normalize_cmd(cmd, TOOLS, ROOTS),
                         "sh $(srctree)/usr/gen_initramfs.sh -o usr/initramfs_data.cpio -l "
                         "usr/.initramfs_data.cpio.d   $(srctree)/usr/default_cpio_list")
        ld = find_step(dry_run_steps(), "vmlinux.o").cmd
        self.assertTrue(normalize_cmd(ld, TOOLS, ROOTS).startswith("$(LD) -EL  -maarch64elf "))

    def test_matches_kbuild_in_tree_command(self):
        # The O= flags, in in-tree form, are exactly what in-tree Kbuild ran.
        c = parse_compile(find_step(dry_run_steps(), "init/calibrate.o"), TOOLS["clang"])
        ours = in_tree_form(normalize_flags(c.flags, ROOTS), "init/calibrate.o")
        theirs, src = split_compile_argv(shlex.split(read_testdata("calibrate_intree_cmd.txt")), "-c")
        self.assertEqual(src, "init/calibrate.c")
        self.assertEqual(ours, in_tree_form(theirs))
        # Without dropping the O= pair they differ.
        self.assertNotEqual(in_tree_form(normalize_flags(c.flags, ROOTS)), ours)


if __name__ == "__main__":
    absltest.main()
