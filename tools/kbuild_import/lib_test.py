"""Tests for tools/kbuild_import on real `make -n` output of Linux 6.1 arm64.

testdata/ holds lines Kbuild printed for `make -n vmlinux_o` of tinyconfig + serial
console + KALLSYMS + LTO_CLANG_THIN (and + RANDOMIZE_BASE for arch/arm64/kernel/pi),
source tree /work/scratch-kbuild/src, clang 19 at /usr/lib/llvm-19/bin:

  dry_run_snippets.txt     verbatim lines (compiles, archives, generators, link stage)
  mini_dry_run.txt         the same with archive member lists cut down (see its header)
  vars.txt                 the helper makefile's variable dump
  initramfs_data.d         `clang -M` of usr/initramfs_data.o
  initramfs_data.S         a synthetic .S shaped like usr/initramfs_data.S (an .incbin behind a comment)
  calibrate_intree_cmd.txt Kbuild's in-tree (no O=) command for init/calibrate.o
  modules_dry_run.txt      module lines of `make -n KBUILD_MODULES=1 vmlinux_o modules_prepare`
                           (arm64 and x86_64 ThinLTO; see its header)
  modfinal_dry_run.txt     pass 2: Makefile.modpost + Makefile.modfinal (arm64 ThinLTO)
  extmod_pass{1,2}.txt     the two passes over the out-of-tree probe module (x86_64 ThinLTO)
"""

import dataclasses
import hashlib
import json
import os
import random
import shlex

from absl.testing import absltest

try:
    from tools.kbuild_import import lib
except ImportError:
    import lib  # run as a script: this file's directory is first on sys.path

_HERE = os.path.dirname(os.path.abspath(__file__))
_SRC = "/work/scratch-kbuild/src"
_OBJ = "/work/scratch-kbuild/obj"
_BIN = "/usr/lib/llvm-19/bin"
TOOLS = {
    "clang": f"{_BIN}/clang", "ld": f"{_BIN}/ld.lld", "ar": f"{_BIN}/llvm-ar", "nm": f"{_BIN}/llvm-nm",
    "objcopy": f"{_BIN}/llvm-objcopy", "objdump": f"{_BIN}/llvm-objdump", "readelf": f"{_BIN}/llvm-readelf",
    "strip": f"{_BIN}/llvm-strip", "hostcc": f"{_BIN}/clang",
}
ROOTS = lib.Roots(_SRC, _OBJ, (("/usr/lib/llvm-19/lib/clang/19", lib.RESOURCE_DIR),))
LDS = "arch/arm64/kernel/vmlinux.lds"


def _read(name):
    with open(os.path.join(_HERE, "testdata", name)) as f:
        return f.read()


def _steps(name="dry_run_snippets.txt"):
    return lib.parse_dry_run(_read(name))


def _step(steps, target, tag=None):
    found = [s for s in steps if s.target == target and (tag is None or s.tag == tag)]
    assert len(found) == 1, (target, found)
    return found[0]


class ParseDryRunTest(absltest.TestCase):
    def test_labels_targets_and_phases(self):
        steps = _steps()
        got = {(s.tag, s.target, s.phase) for s in steps}
        for want in [
            ("CC", "init/calibrate.o", "build"),
            ("AS", "arch/arm64/kernel/entry.o", "build"),
            ("AR", "vmlinux.a", "build"),
            ("LDS", LDS, "build"),
            ("FILECHK", "init/utsversion-tmp.h", "build"),
            ("GEN", ".tmp_initcalls.lds", "vmlinux_o"),
            ("LD", "vmlinux.o", "vmlinux_o"),
            ("FILECHK", "include/generated/utsversion.h", "link"),
            ("CC", "init/version-timestamp.o", "link"),
        ]:
            self.assertIn(want, got)
        self.assertEqual([s.index for s in steps], list(range(len(steps))))

    def test_rule_follow_up_lines_are_not_steps(self):
        # `set -e; ... check-local-export init/calibrate.o` has no label.
        self.assertEqual(len([s for s in _steps() if "calibrate" in s.target]), 1)

    def test_command_without_traps_and_bookkeeping(self):
        cmd = _step(_steps(), "init/calibrate.o").cmd
        self.assertTrue(cmd.startswith(f"{_BIN}/clang -Wp,-MMD,init/.calibrate.o.d "))
        self.assertTrue(cmd.endswith(f"-c -o init/calibrate.o {_SRC}/init/calibrate.c"))
        for junk in ("trap", "fixdep", "printf"):
            self.assertNotIn(junk, cmd)

    def test_obj_dir_of_a_step(self):
        steps = _steps()
        # Printed after the lib/ sub-make's children: still lib's rule.
        self.assertEqual(_step(steps, "lib/crc32table.h").obj, "lib")
        # Not under any sub-make's directory: the latest (init/Makefile's rule).
        self.assertEqual(_step(steps, "include/generated/utsversion.h").obj, "init")

    def test_continuation_lines_and_unlabelled_lines(self):
        text = ("/usr/bin/make -f /s/scripts/Makefile.build obj=foo \\\nneed-builtin=1 \\\n\n"
                ":\nset -e;    true\n"
                "set -e;  echo '  GEN     foo/x.h';    trap 'rm -f foo/x.h; trap - HUP; kill -s HUP $$' HUP;"
                "  gen > foo/x.h; printf '%s\\n' 'cmd_foo/x.h := gen > foo/x.h' > foo/.x.h.cmd\n")
        self.assertEqual(lib.parse_dry_run(text), [lib.Step(0, "build", "GEN", "foo/x.h", "foo", "gen > foo/x.h")])


class CompileTest(absltest.TestCase):
    def test_c_object(self):
        c = lib.parse_compile(_step(_steps(), "init/calibrate.o"), TOOLS["clang"])
        self.assertEqual((c.out, c.src, c.lang, c.post), ("init/calibrate.o", f"{_SRC}/init/calibrate.c", "c", ()))
        self.assertFalse([f for f in c.flags if f.startswith("-Wp,") or f in ("-c", "-o", c.out, c.src)])
        # Shell quoting is gone: these are argv words.
        self.assertIn('-DKBUILD_MODFILE="init/calibrate"', c.flags)
        self.assertIn('-DARM64_ASM_ARCH="armv8.5-a"', c.flags)
        self.assertEqual(lib.lto_kind(c.lang, c.flags), "bitcode")

    def test_asm_object(self):
        c = lib.parse_compile(_step(_steps(), "arch/arm64/kernel/entry.o"), TOOLS["clang"])
        self.assertEqual(c.lang, "asm")
        self.assertIn("-D__ASSEMBLY__", c.flags)
        self.assertEqual(lib.lto_kind(c.lang, c.flags), "native")

    def test_lto_opt_out_object(self):
        # arch/arm64/kernel/pi/Makefile: KBUILD_CFLAGS := $(filter-out $(CC_FLAGS_LTO), ...)
        c = lib.parse_compile(_step(_steps(), "arch/arm64/kernel/pi/kaslr_early.o"), TOOLS["clang"])
        self.assertEqual(c.lang, "c")
        self.assertIn("-fno-lto", c.flags)
        self.assertFalse([f for f in c.flags if f.startswith("-flto")])
        self.assertEqual(lib.lto_kind(c.lang, c.flags), "native")

    def test_lto_kind_last_flag_wins(self):
        self.assertEqual(lib.lto_kind("c", ["-fno-lto", "-flto=thin"]), "bitcode")
        self.assertEqual(lib.lto_kind("c", ["-flto", "-fno-lto"]), "native")
        self.assertEqual(lib.lto_kind("c", ["-fno-lto", "-flto"]), "bitcode")
        self.assertEqual(lib.lto_kind("c", []), "native")
        self.assertEqual(lib.lto_kind("asm", ["-flto=thin"]), "native")

    def test_linker_script_preprocessing(self):
        c = lib.parse_compile(_step(_steps(), LDS), TOOLS["clang"], mode="-E")
        self.assertEqual(c.src, f"{_SRC}/arch/arm64/kernel/vmlinux.lds.S")
        self.assertNotIn("-E", c.flags)
        self.assertIn("-DLINKER_SCRIPT", c.flags)

    def test_not_the_compiler(self):
        s = lib.Step(0, "build", "CC", "a.o", ".", "/usr/bin/gcc -c -o a.o a.c")
        with self.assertRaisesRegex(lib.KbuildImportError, "not the compiler"):
            lib.parse_compile(s, TOOLS["clang"])

    def test_post_commands_are_kept(self):
        s = lib.Step(0, "build", "CC", "a.o", ".", f"{TOOLS['clang']} -O2 -c -o a.o a.c; ./tools/objtool/objtool --x a.o")
        self.assertEqual(lib.parse_compile(s, TOOLS["clang"]).post, ("./tools/objtool/objtool --x a.o",))

    def test_objcopy_derived_object(self):
        d = lib.parse_objcopy(_step(_steps(), "arch/arm64/kernel/pi/kaslr_early.pi.o"), TOOLS["objcopy"])
        self.assertEqual(d.src, "arch/arm64/kernel/pi/kaslr_early.o")
        self.assertEqual(d.flags, ("--prefix-symbols=__pi_", "--remove-section=.note.gnu.property",
                                   "--prefix-alloc-sections=.init"))

    def test_unknown_object_producer_is_an_error(self):
        text = ("set -e;  echo '  LD      foo/bar.o';    trap 'rm -f foo/bar.o; trap - HUP; kill -s HUP $$' HUP;"
                f"  {TOOLS['ld']} -r -o foo/bar.o foo/a.o foo/b.o\n")
        with self.assertRaisesRegex(lib.KbuildImportError, "LD foo/bar.o"):
            lib.analyze(lib.parse_dry_run(text), TOOLS, LDS)


class ArchiveTest(absltest.TestCase):
    def test_printf_xargs(self):
        a = lib.parse_archive(_step(_steps(), "init/built-in.a"), TOOLS["ar"])
        self.assertEqual(a.flags, "cDPrST")
        self.assertEqual(a.members, ("init/main.o", "init/version.o", "init/do_mounts.o", "init/do_mounts_initrd.o",
                                     "init/initramfs.o", "init/calibrate.o", "init/init_task.o"))

    def test_empty(self):
        a = lib.parse_archive(_step(_steps(), "arch/arm64/kernel/probes/built-in.a"), TOOLS["ar"])
        self.assertEqual((a.out, a.members), ("arch/arm64/kernel/probes/built-in.a", ()))

    def test_lib_a_with_symbol_table(self):
        a = lib.parse_archive(_step(_steps(), "arch/arm64/lib/lib.a"), TOOLS["ar"])
        self.assertEqual(a.flags, "cDPrsT")
        self.assertEqual(a.members[:2], ("arch/arm64/lib/clear_page.o", "arch/arm64/lib/clear_user.o"))
        self.assertLen(a.members, 19)

    def test_top_built_in_paths_are_normalized(self):
        a = lib.parse_archive(_step(_steps(), "built-in.a"), TOOLS["ar"])  # printf "./%s " ...
        self.assertEqual(a.members[:2], ("init/built-in.a", "usr/built-in.a"))

    def test_vmlinux_a(self):
        a, heads = lib.parse_vmlinux_a(_step(_steps(), "vmlinux.a"), TOOLS["ar"])
        self.assertEqual((a.flags, a.members, heads), ("cDPrST", ("built-in.a",), f"{_SRC}/scripts/head-object-list.txt"))

    def test_vmlinux_a_unknown_form(self):
        s = lib.Step(0, "build", "AR", "vmlinux.a", ".", f"rm -f vmlinux.a; {TOOLS['ar']} cDPrST vmlinux.a ./built-in.a")
        with self.assertRaisesRegex(lib.KbuildImportError, "unrecognized"):
            lib.parse_vmlinux_a(s, TOOLS["ar"])

    def test_flatten_thin_archives_in_order(self):
        a = lib.analyze(_steps("mini_dry_run.txt"), TOOLS, LDS)
        self.assertEqual(lib.flatten(a.archives, "vmlinux.a"), [
            "init/calibrate.o", "usr/initramfs_data.o", "arch/arm64/kernel/entry.o",
            "arch/arm64/kernel/pi/kaslr_early.pi.o"])

    def test_head_objects_move_first_in_archive_order(self):
        members = ["init/main.o", "arch/x86/kernel/head_64.o", "kernel/fork.o", "arch/x86/kernel/head64.o"]
        heads_file = "# Head objects\n#\narch/x86/kernel/head64.o\narch/x86/kernel/head_64.o\n"
        self.assertEqual(lib.head_first(members, heads_file), (
            ["arch/x86/kernel/head_64.o", "arch/x86/kernel/head64.o", "init/main.o", "kernel/fork.o"],
            ["arch/x86/kernel/head_64.o", "arch/x86/kernel/head64.o"]))
        # arm64 has no entry; grep -F is a substring match, so arch/arm/... must not hit arch/arm64/...
        self.assertEqual(lib.head_first(["arch/arm64/kernel/head.o"], "arch/arm/kernel/head.o\n")[1], [])
        # An empty pattern line matches everything (grep -F -f).
        self.assertEqual(lib.head_first(["a.o", "b.o"], "x\n\ny\n")[1], ["a.o", "b.o"])


class FlagsTest(absltest.TestCase):
    def test_kbuild_flags_become_relative(self):
        c = lib.parse_compile(_step(_steps(), "init/calibrate.o"), TOOLS["clang"])
        flags = lib.normalize_flags(c.flags, ROOTS, "init/calibrate.o")
        self.assertEqual(flags[:4], ["-nostdinc", "-I$(srctree)/arch/arm64/include",
                                     "-I$(objtree)/arch/arm64/include/generated", "-I$(srctree)/include"])
        self.assertIn("-fmacro-prefix-map=$(srctree)/=", flags)
        i = flags.index("-include")
        self.assertEqual(flags[i + 1], "$(srctree)/include/linux/compiler-version.h")
        i = flags.index("$(srctree)/init")
        self.assertEqual(flags[i - 1:i + 3], ["-I", "$(srctree)/init", "-I", "$(objtree)/init"])
        self.assertFalse([f for f in flags if _SRC in f or f.startswith("/")])

    def test_absolute_paths_outside_the_trees_are_rejected(self):
        for bad in (["-I/usr/include"], ["-include", "/tmp/x.h"], ["-isystem/opt/inc"], ["-Wa,-I/usr/x"],
                    ["-DPATH=/etc/foo"], ["-fmacro-prefix-map=/home/me/=x"]):
            with self.subTest(bad=bad), self.assertRaises(lib.KbuildImportError):
                lib.normalize_flags(bad, ROOTS, "x.o")

    def test_relative_paths_are_objtree_relative(self):
        self.assertEqual(lib.normalize_flags(["-I", "./init", "-include", "include/generated/utsversion.h",
                                              "-I.", "-Iarch/arm64/include/generated/"], ROOTS),
                         ["-I", "$(objtree)/init", "-include", "$(objtree)/include/generated/utsversion.h",
                          "-I$(objtree)", "-I$(objtree)/arch/arm64/include/generated/"])
        with self.assertRaises(lib.KbuildImportError):
            lib.normalize_flags(["-I", "../outside"], ROOTS)

    def test_compiler_resource_dir(self):
        self.assertEqual(lib.normalize_flags(["-isystem", "/usr/lib/llvm-19/lib/clang/19/include"], ROOTS),
                         ["-isystem", "$(CC_RESOURCE_DIR)/include"])

    def test_root_prefix_is_not_a_string_prefix(self):
        with self.assertRaises(lib.KbuildImportError):
            lib.placeholder_path(_SRC + "-old/include", ROOTS)
        self.assertEqual(lib.placeholder_path(_SRC + "/", ROOTS), "$(srctree)/")
        self.assertEqual(lib.placeholder_path(_OBJ, ROOTS), "$(objtree)")

    def test_normalize_cmd(self):
        cmd = _step(_steps(), "usr/initramfs_data.cpio").cmd
        self.assertEqual(lib.normalize_cmd(cmd, TOOLS, ROOTS),
                         "sh $(srctree)/usr/gen_initramfs.sh -o usr/initramfs_data.cpio -l "
                         "usr/.initramfs_data.cpio.d   $(srctree)/usr/default_cpio_list")
        ld = _step(_steps(), "vmlinux.o").cmd
        self.assertTrue(lib.normalize_cmd(ld, TOOLS, ROOTS).startswith("$(LD) -EL  -maarch64elf "))

    def test_matches_kbuild_in_tree_command(self):
        # The O= flags, in in-tree form, are exactly what in-tree Kbuild ran.
        c = lib.parse_compile(_step(_steps(), "init/calibrate.o"), TOOLS["clang"])
        ours = lib.in_tree_form(lib.normalize_flags(c.flags, ROOTS), "init/calibrate.o")
        theirs, src = lib.split_compile_argv(shlex.split(_read("calibrate_intree_cmd.txt")), "-c")
        self.assertEqual(src, "init/calibrate.c")
        self.assertEqual(ours, lib.in_tree_form(theirs))
        # Without dropping the O= pair they differ.
        self.assertNotEqual(lib.in_tree_form(lib.normalize_flags(c.flags, ROOTS)), ours)


class ShellTest(absltest.TestCase):
    def test_shell_split(self):
        self.assertEqual(lib.shell_split("""a -DX='"y"' b;  c | d > e && f '#x'"""),
                         [["a", '-DX="y"', "b"], ["c"], ["d", ">", "e"], ["f", "#x"]])

    def test_unbalanced_quote(self):
        with self.assertRaises(lib.KbuildImportError):
            lib.shell_split("a 'b")


class DepsTest(absltest.TestCase):
    def test_parse_make_deps(self):
        deps = lib.parse_make_deps(_read("initramfs_data.d"))
        self.assertEqual(deps, {"usr/initramfs_data.o": [
            f"{_SRC}/usr/initramfs_data.S", f"{_SRC}/include/linux/compiler-version.h",
            f"{_SRC}/include/linux/kconfig.h", "include/generated/autoconf.h"]})
        self.assertEqual(lib.parse_make_deps("a.o: x\\ y.h \\\n  z.h\nb.o:\n"), {"a.o": ["x y.h", "z.h"], "b.o": []})

    def test_classify(self):
        deps = lib.parse_make_deps(_read("initramfs_data.d"))["usr/initramfs_data.o"]
        d = lib.classify_deps("usr/initramfs_data.o", deps + ["usr/initramfs_inc_data"], ROOTS,
                              prepare_files={"include/generated/autoconf.h"},
                              build_files={"usr/initramfs_inc_data"},
                              skip=["$(srctree)/usr/initramfs_data.S"])
        self.assertEqual(d, lib.Deps(("include/linux/compiler-version.h", "include/linux/kconfig.h"),
                                     ("include/generated/autoconf.h",), ("usr/initramfs_inc_data",), ()))

    def test_unknown_objtree_file(self):
        with self.assertRaisesRegex(lib.KbuildImportError, "neither prepare nor a build step"):
            lib.classify_deps("x.o", ["include/generated/nope.h"], ROOTS, set(), set())

    def test_incbin(self):
        # The comment above the directive also says ".incbin was introduced".
        self.assertEqual(lib.find_incbins("usr/initramfs_data.o", _read("initramfs_data.S")),
                         ["usr/initramfs_inc_data"])
        configs_c = 'asm (\n"\t.incbin \\"kernel/config_data.gz\\"\t\\n"\n);\n'  # kernel/configs.c
        self.assertEqual(lib.find_incbins("kernel/configs.o", configs_c), ["kernel/config_data.gz"])
        with self.assertRaisesRegex(lib.KbuildImportError, "quoted"):
            lib.find_incbins("arch/riscv/kernel/vdso/vdso.o", ".incbin __VDSO_PATH\n")


class ConfigTest(absltest.TestCase):
    CONFIG = ("CONFIG_CC_VERSION_TEXT=\"Debian clang version 19.1.7 (3~deb12u1)\"\nCONFIG_CLANG_VERSION=190107\n"
              "CONFIG_LLD_VERSION=190107\nCONFIG_KALLSYMS=y\nCONFIG_KALLSYMS_BASE_RELATIVE=y\nCONFIG_LTO_CLANG=y\n"
              "# CONFIG_LTO_NONE is not set\nCONFIG_LTO_CLANG_THIN=y\nCONFIG_LOG_BUF_SHIFT=17\n")

    def test_parse_and_lto(self):
        c = lib.parse_config(self.CONFIG)
        self.assertEqual((c["CONFIG_LTO_NONE"], c["CONFIG_LOG_BUF_SHIFT"]), ("n", "17"))
        self.assertEqual(lib.lto_mode(c), "thin")
        self.assertEqual(lib.lto_mode({"CONFIG_LTO_CLANG_FULL": "y"}), "full")
        self.assertEqual(lib.lto_mode({}), "none")
        self.assertEqual(lib.toolchain_info(c)["cc_version_text"], "Debian clang version 19.1.7 (3~deb12u1)")
        self.assertEqual(lib.kallsyms_args(c), ["--base-relative", "--lto-clang"])
        self.assertIsNone(lib.kallsyms_args({}))


class MakeHelperTest(absltest.TestCase):
    def test_vars(self):
        v = lib.parse_vars(_read("vars.txt"))
        self.assertEqual(v["KBUILD_LDFLAGS"].split(),
                         ["-EL", "-maarch64elf", "-z", "norelro", "-mllvm", "-import-instr-limit=5", "-z", "noexecstack"])
        self.assertEqual(v["KBUILD_VMLINUX_LIBS"], "arch/arm64/lib/lib.a lib/lib.a")
        with self.assertRaisesRegex(lib.KbuildImportError, "KBUILD_LDS"):
            lib.parse_vars(_read("vars.txt").replace("KBUILD_LDS=", "XKBUILD_LDS="))

    def test_helper_makefile(self):
        text = lib.helper_makefile([("lib", ["lib/crc32table.h"]), ("usr", ["usr/a", "usr/b"])])
        self.assertIn("\n\t$(Q)$(MAKE) $(build)=lib lib/crc32table.h\n", text)
        self.assertIn("\n\t$(Q)$(MAKE) $(build)=usr usr/a usr/b\n", text)
        self.assertIn("\n\t$(Q)$(MAKE) $(build)=init init/version-timestamp.o\n", text)
        self.assertIn("$(info KBUILD_IMPORT_VAR KBUILD_LDFLAGS=$(KBUILD_LDFLAGS))", text)
        # Recipe lines are tab-indented; rules start at column 0.
        for line in text.splitlines():
            self.assertTrue(line == "" or line.startswith(("\t", "#", "kbuild-import-", ".PHONY")), line)

    def test_gen_targets(self):
        a = lib.analyze(_steps("mini_dry_run.txt"), TOOLS, LDS)
        self.assertEqual(lib.gen_targets(a, existing={"usr/initramfs_data.cpio"}), [
            ("init", ["init/utsversion-tmp.h", "include/generated/utsversion.h"]),
            ("usr", ["usr/initramfs_inc_data"]),
            ("lib", ["lib/crc32table.h"])])


def _mini_plan(shuffle=None):
    steps = _steps("mini_dry_run.txt")
    a = lib.analyze(steps, TOOLS, LDS)
    prepare = {"include/generated/autoconf.h": {"sha256": "00", "kind": "header"},
               "scripts/kallsyms": {"sha256": "11", "kind": "host_program"},
               "arch/arm64/kernel/vdso/vdso.so": {"sha256": "22", "kind": "data"}}
    build = {t: {"sha256": "33", "kind": "data"} for t in
             ("init/utsversion-tmp.h", "include/generated/utsversion.h", "usr/initramfs_data.cpio",
              "usr/initramfs_inc_data", "lib/crc32table.h")}
    deps, incbins = {}, {}
    for c in list(a.compiles.values()) + [a.lds]:
        raw = [c.src, f"{_SRC}/include/linux/kconfig.h", "include/generated/autoconf.h"]
        if c.out == "init/version-timestamp.o":
            raw.append("include/generated/utsversion.h")
        inc = ["usr/initramfs_inc_data"] if c.out == "usr/initramfs_data.o" else []
        incbins[c.out] = inc
        deps[c.out] = lib.classify_deps(c.out, raw + inc, ROOTS, prepare, build,
                                        skip=[lib.placeholder_path(c.src, ROOTS)])
    if shuffle:
        items = list(deps.items())
        shuffle.shuffle(items)
        deps = dict(items)
        items = list(a.compiles.items())
        shuffle.shuffle(items)
        a.compiles = dict(items)
    return lib.build_plan(
        arch="arm64", config_text=ConfigTest.CONFIG, make_vars=lib.parse_vars(_read("vars.txt")), analysis=a,
        head_list_text="arch/x86/kernel/head_64.o\n", deps=deps, incbins=incbins, generated_prepare=prepare,
        generated_build=build, roots=ROOTS, tools=TOOLS)


class PlanTest(absltest.TestCase):
    def test_plan(self):
        p = _mini_plan()
        self.assertEqual((p["schema"], p["arch"], p["kernel_version"], p["lto"]), (lib.SCHEMA, "arm64", "6.1.192", "thin"))
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
            "src": "arch/arm64/kernel/pi/kaslr_early.o", "tool": "$(OBJCOPY)",
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
        text = lib.dump_plan(_mini_plan())
        self.assertNotIn(_SRC, text)
        self.assertNotIn(_BIN, text)
        self.assertEqual(lib.dump_plan(_mini_plan(shuffle=random.Random(7))), text)
        self.assertEqual(json.loads(text)["config_sha256"], hashlib.sha256(ConfigTest.CONFIG.encode()).hexdigest())
        self.assertTrue(text.endswith("}\n"))
        keys = list(json.loads(text))
        self.assertEqual(keys, sorted(keys))

    def test_archived_object_never_compiled(self):
        steps = [s for s in _steps("mini_dry_run.txt") if s.target != "lib/ctype.o"]
        a = lib.analyze(steps, TOOLS, LDS)
        with self.assertRaisesRegex(lib.KbuildImportError, "lib/ctype.o: archived but never compiled"):
            lib.build_plan(arch="arm64", config_text="", make_vars=lib.parse_vars(_read("vars.txt")), analysis=a,
                           head_list_text="", deps={}, incbins={}, generated_prepare={}, generated_build={},
                           roots=ROOTS, tools=TOOLS)


class ListingTest(absltest.TestCase):
    def test_listed_file(self):
        for rel, want in [("include/generated/autoconf.h", True), ("include/config/auto.conf", True),
                          ("include/config/PRINTK", False), ("init/.main.o.cmd", False), ("init/main.o", False),
                          (".config", True), (".kbuild_import.mk", False), ("source", False),
                          ("scripts/kallsyms", True), ("arch/arm64/kernel/vdso/vdso.so", True)]:
            self.assertEqual(lib.listed_file(rel), want, rel)
        self.assertEqual(lib.file_kind("scripts/kallsyms", True), "host_program")
        self.assertEqual(lib.file_kind("arch/arm64/kernel/vdso/vdso.so", True), "data")
        self.assertEqual(lib.file_kind("arch/arm64/include/generated/asm/cpucaps.h", False), "header")
        self.assertEqual(lib.file_kind("usr/initramfs_inc_data", False), "data")


# The module snippets were recorded with clang-19/ld.lld-19 from PATH and the source in
# Bazel's external/linux.
_MSRC = "/root/.cache/bazel/_bazel_root/835165e65df656dc9abbd58e53cf243e/external/linux"
MTOOLS = dict(TOOLS, clang="clang-19", ld="ld.lld-19")
MROOTS = lib.Roots(_MSRC, "/tmp/moddesign/k2fresh")
_OBJTOOL = "./tools/objtool/objtool --hacks=jump_label --hacks=noinstr --static-call --uaccess --link --module"


def _mod_analysis():
    steps = _steps("modules_dry_run.txt")
    # analyze() insists on a vmlinux.a step: borrow mini_dry_run.txt's (llvm-ar is the same).
    return lib.analyze(steps + [_step(_steps("mini_dry_run.txt"), "vmlinux.a")], MTOOLS, LDS)


def _lib_only(a):
    """The analysis restricted to lib/ (what modfinal_dry_run.txt covers)."""
    keep = {o for o in a.module_objs if o.startswith("lib/")}
    orders = dict(a.orders)
    orders["modules.order"] = [("cat", "lib/modules.order")]
    return dataclasses.replace(a, module_objs=keep, orders=orders)


def _mod_deps(a):
    d = lib.Deps(("include/linux/module.h",), ("include/generated/autoconf.h",), (), ())
    return {lib.MODULE_LDS: d, lib.MOD_C_PROBE_OUT: d, **{o: d for o in a.compiles}}


class ModulesParseTest(absltest.TestCase):
    def test_steps(self):
        got = {(s.tag, s.target) for s in _steps("modules_dry_run.txt")}
        for want in [("CC [M]", "lib/test_module.o"), ("MOD", "lib/test_module.mod"),
                     ("MODORDER", "lib/modules.order"), ("MODORDER", "modules.order"),
                     ("LD [M]", "drivers/virtio/virtio_pci.o"), ("LDS", "scripts/module.lds")]:
            self.assertIn(want, got)
        # The compile's follow-up lines (check-local-export) are no steps.
        self.assertEqual(len([s for s in _steps("modules_dry_run.txt") if s.target == "lib/test_module.o"]), 1)

    def test_mod_and_order(self):
        a = _mod_analysis()
        self.assertEqual(a.mods["lib/test_module.mod"], ["lib/test_module.o"])
        # Deduplicated, in .mod order (virtio_pci_common.o is listed twice).
        self.assertEqual(a.mods["drivers/virtio/virtio_pci.mod"],
                         ["drivers/virtio/virtio_pci_modern.o", "drivers/virtio/virtio_pci_common.o",
                          "drivers/virtio/virtio_pci_legacy.o"])
        self.assertEqual(lib.modules_order(a.orders),
                         ["lib/math/test_div64.ko", "lib/test_module.ko", "drivers/virtio/virtio_pci.ko",
                          "drivers/input/evdev.ko"])
        self.assertIn("lib/test_module.o", a.module_objs)
        self.assertNotIn("init/calibrate.o", a.module_objs)
        self.assertEqual(a.module_lds.out, "scripts/module.lds")
        self.assertEqual(a.module_lds.src, _MSRC + "/scripts/module.lds.S")

    def test_order_names_a_missing_file(self):
        orders = {"modules.order": [("cat", "lib/modules.order")]}
        with self.assertRaisesRegex(lib.KbuildImportError, "lib/modules.order: the dry run does not write it"):
            lib.modules_order(orders)

    def test_unrecognized_mod_command(self):
        s = lib.Step(0, "build", "MOD", "a/m.mod", "a", "echo a/m.o > a/m.mod")
        with self.assertRaisesRegex(lib.KbuildImportError, "a/m.mod: unrecognized .mod command"):
            lib.parse_mod(s)

    def test_lto_single_module_link_is_split_off(self):
        c = _mod_analysis().compiles["lib/test_module.o"]
        link, post, obj_post = lib.split_single_module(c, MTOOLS, MROOTS)
        self.assertEqual(link, ["$(LD)", "-EL", "-maarch64elf", "-z", "norelro", "-mllvm", "-import-instr-limit=5",
                                "-z", "noexecstack", "-r", "-o", "lib/test_module.o", "lib/test_module.o"])
        self.assertEqual((post, obj_post), ([], []))
        self.assertEqual(lib.lto_kind(c.lang, lib.normalize_flags(c.flags, MROOTS)), "bitcode")
        self.assertIn('-DKBUILD_MODNAME="test_module"', c.flags)
        self.assertIn("-DMODULE", c.flags)

    def test_x86_lto_single_module_objtool_moves_to_module_post(self):
        c = _mod_analysis().compiles["drivers/input/evdev.o"]
        link, post, obj_post = lib.split_single_module(c, MTOOLS, MROOTS)
        self.assertEqual(link[-4:], ["-r", "-o", "drivers/input/evdev.o", "drivers/input/evdev.o"])
        self.assertEqual(post, [_OBJTOOL + " drivers/input/evdev.o"])
        self.assertEqual(obj_post, [])

    def test_none_single_module_keeps_object_post(self):
        c = lib.Compile("a/m.o", "a/m.c", "c", ("-DMODULE",), ("./tools/objtool/objtool --module a/m.o",))
        self.assertEqual(lib.split_single_module(c, MTOOLS, MROOTS),
                         (None, [], ["./tools/objtool/objtool --module a/m.o"]))

    def test_modfinal(self):
        mf = lib.parse_modfinal(_read("modfinal_dry_run.txt"), "clang-19")
        self.assertEqual(mf.modpost, ["-o", "Module.symvers", "-T", "-", "vmlinux.o"])
        self.assertEqual(sorted(mf.mod_o), ["lib/math/test_div64.ko", "lib/test_module.ko"])
        self.assertEqual(mf.mod_o["lib/test_module.ko"].src, "lib/test_module.mod.c")
        self.assertTrue(mf.ko["lib/test_module.ko"].endswith(
            "-T scripts/module.lds -o lib/test_module.ko lib/test_module.o lib/test_module.mod.o;  true"))

    def test_modpost_refusals(self):
        for flag, msg in [("-m", "CONFIG_MODVERSIONS"), ("-a", "SRCVERSION_ALL"), ("-w", "KBUILD_MODPOST_WARN"),
                          ("-X", "option -X not understood")]:
            s = lib.Step(0, "build", "MODPOST", "Module.symvers", ".",
                         f"sed 's/ko$/o/' modules.order | scripts/mod/modpost {flag} -o Module.symvers -T - vmlinux.o")
            with self.assertRaisesRegex(lib.KbuildImportError, msg):
                lib.parse_modpost(s)

    def _plan(self, a=None, mf=None, config=None):
        a = a or _lib_only(_mod_analysis())
        mf = mf or lib.parse_modfinal(_read("modfinal_dry_run.txt"), "clang-19")
        return lib.module_plan(a, mf, config=config or {"CONFIG_MODULES": "y"}, deps=_mod_deps(a), roots=MROOTS,
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
        self.assertEqual(part_of, {"lib/test_module.o": "lib/test_module.ko",
                                   "lib/math/test_div64.o": "lib/math/test_div64.ko"})
        self.assertEqual(object_post["lib/test_module.o"], [])
        self.assertEqual(section["lds"]["src"], "scripts/module.lds.S")
        self.assertEqual(section["modpost"][-1], "vmlinux.o")
        self.assertIsNone(section["extmod"])

    def test_module_plan_refuses_unsupported_config(self):
        with self.assertRaisesRegex(lib.KbuildImportError, "CONFIG_MODVERSIONS=y: symbol versions"):
            self._plan(config={"CONFIG_MODULES": "y", "CONFIG_MODVERSIONS": "y"})

    def test_module_plan_refuses_arch_postlink(self):
        mf = lib.parse_modfinal(_read("modfinal_dry_run.txt"), "clang-19")
        mf.ko["lib/test_module.ko"] = mf.ko["lib/test_module.ko"].replace(";  true", "; arch/x/postlink m.ko")
        with self.assertRaisesRegex(lib.KbuildImportError, "lib/test_module.ko: .*ARCH_POSTLINK"):
            self._plan(mf=mf)

    def test_module_plan_missing_mod_c(self):
        mf = lib.parse_modfinal(_read("modfinal_dry_run.txt"), "clang-19")
        del mf.mod_o["lib/test_module.ko"]
        with self.assertRaisesRegex(lib.KbuildImportError, "lib/test_module.ko: Makefile.modfinal compiles no"):
            self._plan(mf=mf)

    def test_stray_module_object(self):
        a = _lib_only(_mod_analysis())
        a = dataclasses.replace(a, module_objs=a.module_objs | {"drivers/input/evdev.o"})
        with self.assertRaisesRegex(lib.KbuildImportError, "drivers/input/evdev.o: compiled as a module object"):
            self._plan(a=a)

    def test_multi_object_link(self):
        a = _mod_analysis()
        # evdev.ko has no recorded .mod: leave it out.
        a.orders["drivers/virtio/modules.order"] = [("echo", "drivers/virtio/virtio_pci.ko")]
        a.module_objs.discard("drivers/input/evdev.o")
        mf = lib.parse_modfinal(_read("modfinal_dry_run.txt"), "clang-19")
        # Borrow test_module's .mod.o/.ko lines for virtio_pci (pass 2 of kxlto is not recorded).
        for ko in ("drivers/virtio/virtio_pci.ko",):
            n = ko[:-3]
            mf.mod_o[ko] = dataclasses.replace(mf.mod_o["lib/test_module.ko"], src=n + ".mod.c", out=n + ".mod.o")
            mf.ko[ko] = mf.ko["lib/test_module.ko"].replace("lib/test_module", n)
        section, part_of, _ = lib.module_plan(a, mf, config={"CONFIG_MODULES": "y"}, deps=_mod_deps(a),
                                              roots=MROOTS, tools=MTOOLS, builtin=[])
        m = section["list"]["drivers/virtio/virtio_pci.ko"]
        self.assertFalse(m["single"])
        self.assertEqual(m["link"], ["$(LD)", "-m", "elf_x86_64", "-mllvm", "-import-instr-limit=5", "-z",
                                     "noexecstack", "-r", "-o", "drivers/virtio/virtio_pci.o", *m["objects"]])
        self.assertEqual(m["post"], [_OBJTOOL + " drivers/virtio/virtio_pci.o"])
        self.assertEqual(part_of["drivers/virtio/virtio_pci_legacy.o"], "drivers/virtio/virtio_pci.ko")


class CheckModulesTest(absltest.TestCase):
    def _section(self):
        return ModulesParseTest()._plan()[0]

    def test_consistent(self):
        s = self._section()
        objs = {p: {"module": ko, "archive": None, "lto": "bitcode", "post": []}
                for ko, m in s["list"].items() for p in m["objects"]}
        self.assertEqual(lib.check_modules(s, objs, ["init/main.o"]), [])

    def test_duplicate_basename(self):
        s = self._section()
        s["order"].append("drivers/x/test_module.ko")
        s["list"]["drivers/x/test_module.ko"] = dict(s["list"]["lib/test_module.ko"])
        got = lib.check_modules(s, {})
        self.assertTrue(any("same basename" in p for p in got), got)

    def test_order_entry_without_module(self):
        s = self._section()
        s["order"].append("lib/gone.ko")
        self.assertEqual(lib.check_modules(s, {}), ["modules.order: lib/gone.ko has no entry in modules.list"])

    def test_part_not_object_or_archived(self):
        s = self._section()
        objs = {"lib/test_module.o": {"module": "lib/test_module.ko", "archive": "vmlinux.a", "lto": "bitcode",
                                      "post": []}}
        got = lib.check_modules(s, objs, ["lib/test_module.o"])
        self.assertIn("lib/math/test_div64.ko: part lib/math/test_div64.o is not a plan object", got)
        self.assertTrue(any(p.startswith("lib/test_module.o: part of lib/test_module.ko but") for p in got), got)

    def test_bitcode_without_link(self):
        s = self._section()
        s["list"]["lib/test_module.ko"]["link"] = None
        objs = {p: {"module": ko, "archive": None, "lto": "bitcode", "post": []}
                for ko, m in s["list"].items() for p in m["objects"]}
        self.assertEqual(lib.check_modules(s, objs),
                         ["lib/test_module.ko: bitcode part lib/test_module.o but no link to make native lib/test_module.o"])


_XE = "/work/bench3/ob/external"
XTOOLS = dict(TOOLS, clang=f"{_XE}/kernel_llvm/bin/clang", ld=f"{_XE}/kernel_llvm/bin/ld.lld")
XROOTS = lib.Roots(f"{_XE}/linux", "/tmp/imp-x86_64-thin/obj")
_PROBE = "/tmp/imp-x86_64-thin/obj/" + lib.EXTMOD_DIR


class ExtmodTest(absltest.TestCase):
    def _plan(self, pass1=None, pass2=None):
        return lib.extmod_plan(pass1 or _read("extmod_pass1.txt"), pass2 or _read("extmod_pass2.txt"), _PROBE,
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
        p1 = _read("extmod_pass1.txt").replace("-DKBUILD_MODNAME='\"kbuild_import_hello\"'",
                                               "-DKBUILD_MODNAME='\"kbuild_import_hello\"' -DEXTRA")
        with self.assertRaisesRegex(lib.KbuildImportError, "the parts' flags differ"):
            self._plan(pass1=p1)

    def test_extra_symbols_refused(self):
        p2 = _read("extmod_pass2.txt").replace("-i Module.symvers", "-i Module.symvers -i other/Module.symvers")
        with self.assertRaisesRegex(lib.KbuildImportError, "KBUILD_EXTRA_SYMBOLS"):
            self._plan(pass2=p2)


if __name__ == "__main__":
    absltest.main()
