"""Tests for tools/plan_check/lib.py (the import's record and the stale-plan check)."""

import os
import subprocess
import sys
import tempfile

from absl.testing import absltest

from tools.plan_check import lib

_HERE = os.path.dirname(os.path.abspath(__file__))
_INCLUDE = ["**/Makefile*", "**/Kbuild*", "**/Kconfig*", "arch/*/configs/**", "scripts/**"]
_EXCLUDE = ["scripts/dtc/include-prefixes/**"]


class GlobTest(absltest.TestCase):
    def test_double_star_matches_any_depth_including_none(self):
        self.assertTrue(lib.glob_match("Makefile", "**/Makefile*"))
        self.assertTrue(lib.glob_match("kernel/Makefile", "**/Makefile*"))
        self.assertTrue(lib.glob_match("arch/x86/Makefile_32.cpu", "**/Makefile*"))
        self.assertTrue(lib.glob_match("scripts/Makefile.build", "**/Makefile*"))
        self.assertFalse(lib.glob_match("kernel/fork.c", "**/Makefile*"))
        self.assertFalse(lib.glob_match("kernel/xMakefile", "**/Makefile*"))

    def test_star_stays_in_its_segment(self):
        self.assertTrue(lib.glob_match("arch/x86/configs/tiny.config", "arch/*/configs/**"))
        self.assertFalse(lib.glob_match("arch/x86/um/configs/tiny.config", "arch/*/configs/**"))
        self.assertFalse(lib.glob_match("localversion/x", "localversion*"))
        self.assertTrue(lib.glob_match("localversion-rt", "localversion*"))

    def test_exclude(self):
        self.assertTrue(lib.matches("scripts/dtc/dtc.c", _INCLUDE, _EXCLUDE))
        self.assertFalse(lib.matches("scripts/dtc/include-prefixes/arm64/Makefile", _INCLUDE, _EXCLUDE))


def _write(root, rel, text="x"):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


class TreeFilesTest(absltest.TestCase):
    def test_lists_what_bazels_glob_lists(self):
        with tempfile.TemporaryDirectory() as d:
            real = os.path.join(d, "real")
            for rel in ["Makefile", "Kconfig", "kernel/Makefile", "kernel/fork.c", "kernel/Kconfig.hz",
                        "arch/x86/configs/tiny.config", "arch/x86/boot/Makefile", "arch/arm/boot/dts/Makefile",
                        "scripts/kallsyms.c", "sub/BUILD.bazel", "sub/Makefile"]:
                _write(real, rel)
            os.makedirs(os.path.join(real, "scripts/dtc/include-prefixes"))
            os.symlink("../../../arch/arm/boot/dts", os.path.join(real, "scripts/dtc/include-prefixes/arm"))
            os.symlink("kallsyms.c", os.path.join(real, "scripts/link.c"))
            os.symlink("missing", os.path.join(real, "scripts/dangling"))
            os.makedirs(os.path.join(real, "arch/x86/include"))  # a directory that matches nothing
            # As @linux with LINUX_SRC: top-level entries are symlinks into the user's tree.
            repo = os.path.join(d, "repo")
            os.makedirs(repo)
            for name in os.listdir(real):
                os.symlink(os.path.join(real, name), os.path.join(repo, name))
            _write(repo, "BUILD.bazel")  # the repository's own BUILD: the root package
            self.assertEqual(
                lib.tree_files(repo, _INCLUDE, _EXCLUDE),
                ["Kconfig", "Makefile", "arch/arm/boot/dts/Makefile", "arch/x86/boot/Makefile",
                 "arch/x86/configs/tiny.config", "kernel/Kconfig.hz", "kernel/Makefile",
                 "scripts/kallsyms.c", "scripts/link.c"],  # not sub/ (a package), not the dangling link
            )

    def test_symlink_cycle_is_one_line(self):
        with tempfile.TemporaryDirectory() as d:
            _write(d, "scripts/Makefile")
            os.symlink("..", os.path.join(d, "scripts/up"))
            with self.assertRaisesRegex(lib.PlanCheckError, r"^scripts/up: a symlink cycle$"):
                lib.tree_files(d, _INCLUDE)


def _record(**kw):
    args = dict(tree={"Makefile": "a", "kernel/Makefile": "b"}, built_from={"kernel/bounds.c": "k"},
                include=_INCLUDE, exclude=_EXCLUDE, fragments=["f1"], tools={"clang": "c", "clang_version": "clang 19"},
                repo="linux_x86_64_none", source="LINUX_SRC")
    args.update(kw)
    return lib.load("plan_sources.json", lib.dump(lib.record(**args)))


class SourcePathsTest(absltest.TestCase):
    def test_cmd_file(self):
        src = "/ob/external/linux"
        text = (
            "cmd_kernel/bounds.s := clang -Wp,-MMD,kernel/.bounds.s.d -nostdinc -I/ob/external/linux/arch/x86/include "
            "-include /ob/external/linux/include/linux/kconfig.h -c -o kernel/bounds.s /ob/external/linux/kernel/bounds.c\n"
            "source_kernel/bounds.s := /ob/external/linux/kernel/bounds.c\n"
            "deps_kernel/bounds.s := \\\n  /ob/external/linux/include/linux/compiler_types.h \\\n"
            "    $(wildcard include/config/DEBUG_INFO_BTF) \\\n  /ob/external/linux/scripts/../include/linux/page-flags.h \\\n"
            "  /ob/external/linux2/other.h \\\n  /ob/external/kernel_sysroot/usr/include/stdio.h \\\n"
            "kernel/bounds.s: $(deps_kernel/bounds.s)\n")
        self.assertEqual(lib.source_paths(text, src), {
            "arch/x86/include", "include/linux/kconfig.h", "kernel/bounds.c",
            "include/linux/compiler_types.h", "include/linux/page-flags.h"})


class CompareTest(absltest.TestCase):
    def _compare(self, rec, **kw):
        args = dict(tree={"Makefile": "a", "kernel/Makefile": "b"}, built_from={"kernel/bounds.c": "k"},
                    include=_INCLUDE, exclude=_EXCLUDE, fragments=[("configs/x86_64.config", "f1")], tools={"clang": "c"})
        args.update(kw)
        return lib.compare(rec, **args)

    def test_current(self):
        self.assertIsNone(self._compare(_record()))

    def test_first_difference_in_path_order(self):
        rec = _record()
        self.assertEqual(self._compare(rec, tree={"Makefile": "a", "kernel/Makefile": "B"}),
                         lib.Stale("changed", "kernel/Makefile"))
        self.assertEqual(self._compare(rec, tree={"Makefile": "a", "kernel/Makefile": "b", "init/Kconfig": "n"}),
                         lib.Stale("added", "init/Kconfig"))
        self.assertEqual(self._compare(rec, tree={"kernel/Makefile": "B"}), lib.Stale("removed", "Makefile"))

    def test_what_the_imports_builds_read(self):
        rec = _record()
        self.assertEqual(self._compare(rec, built_from={"kernel/bounds.c": "K"}), lib.Stale("changed", "kernel/bounds.c"))
        self.assertEqual(self._compare(rec, built_from={}), lib.Stale("removed", "kernel/bounds.c"))

    def test_fragments_and_tools(self):
        rec = _record()
        self.assertEqual(self._compare(rec, fragments=[("configs/x86_64.config", "F")]),
                         lib.Stale("changed", "configs/x86_64.config"))
        self.assertEqual(self._compare(rec, fragments=[("configs/x86_64.config", "f1"), ("more.config", "m")]),
                         lib.Stale("added", "more.config"))
        self.assertEqual(self._compare(rec, fragments=[]), lib.Stale("removed", "config fragment 1"))
        self.assertEqual(self._compare(rec, tools={"clang": "other"}), lib.Stale("changed", "the toolchain's clang"))

    def test_other_globs(self):
        stale = self._compare(_record(), include=_INCLUDE + ["usr/**"])
        self.assertEqual(stale.where, "the import's file patterns")

    def test_error_line_names_file_and_command(self):
        rec = _record()
        line = lib.error_line(lib.Stale("changed", "kernel/Makefile"), rec)
        self.assertEqual(
            line,
            "plan_check: kernel/Makefile: changed since @linux_x86_64_none was imported; the plan is stale, "
            "re-import: ./bazel sync --only=linux_x86_64_none --repo_env=LINUX_SRC=<your tree>")
        self.assertNotIn("\n", line)
        tree = _record(source="tree", repo="linux_arm64_thin")
        self.assertTrue(lib.error_line(lib.Stale("added", "init/Kconfig"), tree).endswith(
            "re-import: ./bazel sync --only=linux_arm64_thin"))

    def test_record_is_sorted_and_path_free(self):
        text = lib.dump(lib.record(tree={"b": "2", "a": "1"}, built_from={}, include=["**"], exclude=[], fragments=[],
                                   tools={}, repo="r", source="tree"))
        self.assertLess(text.index('"a"'), text.index('"b"'))
        self.assertNotIn("/tmp", text)

    def test_bad_records(self):
        for text, msg in [("{", "not JSON"), ('{"schema": 9}', "not a schema 1"),
                          ('{"schema": 1, "globs": {}}', "no 'tree'")]:
            with self.assertRaisesRegex(lib.PlanCheckError, "^plan_sources.json: " + msg, msg=text):
                lib.load("plan_sources.json", text)


class MainTest(absltest.TestCase):
    """plan_check.py end to end, as KernelPlanCheck runs it (relative paths, a flagfile)."""

    def _run(self, d, extra=()):
        flags = ["--record=rec.json", "--root=linux", "--out=stamp", "--fragment=frag.config",
                 "--tool=clang=clang", *[f"--include={p}" for p in _INCLUDE], *[f"--exclude={p}" for p in _EXCLUDE]]
        flags += [f"--file=linux/{p}" for p in lib.tree_files(os.path.join(d, "linux"), _INCLUDE, _EXCLUDE)]
        flags += ["--built_from=linux/kernel/bounds.c", *extra]
        with open(os.path.join(d, "flags"), "w") as f:
            f.write("".join(x + "\n" for x in flags))
        return subprocess.run([sys.executable, os.path.join(_HERE, "plan_check.py"), "--flagfile=flags"],
                              cwd=d, capture_output=True, text=True, check=False)

    def test_current_then_stale(self):
        with tempfile.TemporaryDirectory() as d:
            src = os.path.join(d, "linux")
            for rel in ["Makefile", "kernel/Makefile", "kernel/bounds.c", "kernel/fork.c"]:
                _write(src, rel, rel)
            _write(d, "frag.config", "CONFIG_X=y\n")
            _write(d, "clang", "#!/bin/sh\n")
            files = lib.tree_files(src, _INCLUDE, _EXCLUDE)
            rec = lib.record(tree=lib.hash_files(src, files), built_from=lib.hash_files(src, ["kernel/bounds.c"]),
                             include=_INCLUDE, exclude=_EXCLUDE, fragments=[lib.sha256_file(os.path.join(d, "frag.config"))],
                             tools={"clang": lib.sha256_file(os.path.join(d, "clang")), "clang_version": "19"},
                             repo="linux_x86_64_none", source="LINUX_SRC")
            _write(d, "rec.json", lib.dump(rec))
            proc = self._run(d)
            self.assertEqual((proc.returncode, proc.stderr), (0, ""))
            with open(os.path.join(d, "stamp")) as f:
                self.assertEqual(f.read(), lib.STAMP)
            os.unlink(os.path.join(d, "stamp"))

            _write(src, "kernel/fork.c", "edited")  # not recorded: still current
            self.assertEqual(self._run(d).returncode, 0)
            os.unlink(os.path.join(d, "stamp"))  # as Bazel does before running an action

            _write(src, "kernel/Makefile", "obj-y += fork.o new.o\n")
            proc = self._run(d)
            self.assertEqual(proc.returncode, 1)
            self.assertEqual(proc.stderr.strip().splitlines(), [
                "plan_check: kernel/Makefile: changed since @linux_x86_64_none was imported; the plan is stale, "
                "re-import: ./bazel sync --only=linux_x86_64_none --repo_env=LINUX_SRC=<your tree>"])
            self.assertFalse(os.path.exists(os.path.join(d, "stamp")))


if __name__ == "__main__":
    absltest.main()
