"""Tests for tools/include_scan/lib.py (directive hashing, rescan selection, extra headers)."""

from absl.testing import absltest

from tools.include_scan import lib


class DirectiveHashTest(absltest.TestCase):
    def test_body_edits_keep_the_hash(self):
        a = b"#include <linux/a.h>\nint f(void) { return 1; }\n"
        b = b"#include <linux/a.h>\nint f(void) { return 2; }\n/* # not a directive */\n"
        self.assertEqual(lib.directive_hash(a), lib.directive_hash(b))

    def test_directive_edits_change_the_hash(self):
        base = b"#include <linux/a.h>\n#ifdef CONFIG_X\n#endif\nint x;\n"
        for edited in [
            b"#include <linux/a.h>\n#include <linux/b.h>\n#ifdef CONFIG_X\n#endif\nint x;\n",  # added
            b"#ifdef CONFIG_X\n#endif\nint x;\n",  # removed
            b"#include <linux/a.h>\n#ifdef CONFIG_Y\n#endif\nint x;\n",  # a condition
            b"#include <linux/a.h>\n#define HDR <linux/c.h>\n#ifdef CONFIG_X\n#endif\nint x;\n",  # a define
            b"  #  include <linux/a.h>\n#include <linux/a.h>\n#ifdef CONFIG_X\n#endif\nint x;\n",  # indented
        ]:
            self.assertNotEqual(lib.directive_hash(base), lib.directive_hash(edited), edited)

    def test_continuation_lines_are_part_of_the_directive(self):
        a = b"#define A(x) \\\n  foo(x)\nint y;\n"
        b = b"#define A(x) \\\n  bar(x)\nint y;\n"
        self.assertNotEqual(lib.directive_hash(a), lib.directive_hash(b))

    def test_config_words_in_code_count(self):
        a = b"#include <a.h>\nint f(void) { return IS_ENABLED(CONFIG_A); }\n"
        b = b"#include <a.h>\nint f(void) { return IS_ENABLED(CONFIG_B); }\n"
        c = b"#include <a.h>\nint f(void) { return IS_ENABLED(CONFIG_A) + 1; }\n"
        self.assertNotEqual(lib.directive_hash(a), lib.directive_hash(b))
        self.assertEqual(lib.directive_hash(a), lib.directive_hash(c))

    def test_config_words(self):
        self.assertEqual(lib.config_words(b"CONFIG_A CONFIG_B_MODULE xCONFIG_C"), {"A", "B", "B_MODULE", "C"})

    def test_outside_footprint(self):
        tree = {"a.h": b"#ifdef CONFIG_A\n#endif\n", "b.h": b"IS_ENABLED(CONFIG_B) CONFIG_A"}
        self.assertEqual(lib.outside_footprint(["a.h", "b.h", "gone.h"], {"A"}, tree.get), ["B"])
        self.assertEqual(lib.outside_footprint(["a.h"], {"A"}, tree.get), [])

    def test_whitespace_inside_a_directive_does_not_count(self):
        self.assertEqual(lib.directive_hash(b"#include <a.h>\n"), lib.directive_hash(b"#include   <a.h>  \n"))


class RecordTest(absltest.TestCase):
    def test_changed_files(self):
        tree = {"a.c": b"#include <b.h>\nint a;\n", "b.h": b"#define B 1\n", "gone.h": b"#if 1\n#endif\n"}
        rec = lib.directive_record(["a.c", "b.h", "gone.h", "missing.h"], tree.get)
        self.assertEqual(sorted(rec["files"]), ["a.c", "b.h", "gone.h"])
        self.assertEqual(lib.changed_files(rec, tree.get), set())
        tree["a.c"] = b"#include <b.h>\nint a = 2;\n"  # body only
        self.assertEqual(lib.changed_files(rec, tree.get), set())
        tree["b.h"] = b"#define B 1\n#include <c.h>\n"
        del tree["gone.h"]
        self.assertEqual(lib.changed_files(rec, tree.get), {"b.h", "gone.h"})

    def test_schema_is_checked(self):
        with self.assertRaisesRegex(ValueError, "re-import"):
            lib.changed_files({"schema": 0, "files": {}}, lambda p: None)


class RescanSelectionTest(absltest.TestCase):
    def test_by_interned_node(self):
        bplan = {
            "interned": {"hdrs": {"paths": ["x.h", "y.h", "z.h"], "nodes": [[-1, [0]], [0, [1]], [-1, [2]]]}},
            "objects": [{"out": o, "src": o[:-1] + "c", "src_root": "srctree", "hdrs": n}
                        for o, n in [("a.o", 0), ("b.o", 1), ("c.o", 2), ("d.o", -1)]],
            "link": {"lds": {"out": "v.lds", "src": "v.lds.S", "src_root": "srctree", "hdrs": 1}},
        }
        outs = ["a.o", "b.o", "c.o", "d.o", "v.lds"]
        self.assertEqual(lib.entries_to_rescan(bplan, outs, {"x.h"}), ["a.o", "b.o", "v.lds"])
        self.assertEqual(lib.entries_to_rescan(bplan, outs, {"y.h"}), ["b.o", "v.lds"])
        self.assertEqual(lib.entries_to_rescan(bplan, outs, {"z.h", "d.c"}), ["c.o", "d.o"])
        self.assertEqual(lib.entries_to_rescan(bplan, ["a.o"], {"y.h", "x.h"}), ["a.o"])
        self.assertEqual(lib.entries_to_rescan(bplan, outs, set()), [])


class ExtraFilesTest(absltest.TestCase):
    def test_stale_shared(self):
        self.assertEqual(lib.stale_shared(["a.o", "b.o", "c.o"], ["c.o", "a.o", "z.o"]), ["a.o", "c.o"])
        self.assertEqual(lib.stale_shared(["a.o"], []), [])

    def test_include_dirs(self):
        flags = ["-nostdinc", "-Iext/l/arch/x86/include", "-I", "ext/l/init", "-include", "ext/l/k.h", "-I./ext/o/include"]
        self.assertEqual(lib.include_dirs(flags), ["ext/l/arch/x86/include", "ext/l/init", "ext/o/include"])

    def test_copy_new_files_below_an_include_dir(self):
        deps = ["ext/l/init/main.c", "ext/l/include/linux/a.h", "ext/l/include/linux/new.h",
                "ext/l/drivers/x/local.h", "ext/o/include/generated/new.h", "tc/lib/clang/include/stddef.h"]
        known = {"ext/l/init/main.c", "ext/l/include/linux/a.h"}
        copy, unreachable = lib.extra_files(deps, known, ["ext/l", "ext/o"], ["ext/l/include", "ext/o/include"])
        self.assertEqual(copy, ["ext/l/include/linux/new.h", "ext/o/include/generated/new.h"])
        self.assertEqual(unreachable, ["ext/l/drivers/x/local.h"])

    def test_normalize(self):
        self.assertEqual(lib.normalize("/x/exec/ext/l/include/../include/a.h", "/x/exec"), "ext/l/include/a.h")
        self.assertEqual(lib.normalize("ext/l/./include/a.h", "/x/exec"), "ext/l/include/a.h")


class PlanTest(absltest.TestCase):
    def test_entry_files_and_flags(self):
        bplan = {
            "interned": {
                "hdrs": {"paths": ["include/a.h", "include/b.h"], "nodes": [[-1, [0]], [0, [1]]]},
                "gen_inputs": {"paths": ["include/generated/g.h"], "nodes": [[-1, [0]]]},
                "flags": [["-I$(srctree)/include", "-fmacro-prefix-map=$(srctree)/="]],
            },
            "objects": [{"out": "init/main.o", "src": "init/main.c", "src_root": "srctree", "hdrs": 1, "gen_inputs": 0,
                         "build_inputs": [], "flags": 0, "own_flags": [[1, "-DKBUILD_BASENAME=\"main\""]]}],
            "link": {"lds": {"out": "vmlinux.lds", "src": "x.lds.S", "src_root": "srctree", "hdrs": -1, "gen_inputs": -1,
                             "build_inputs": [], "flags": 0, "own_flags": []}},
        }
        self.assertEqual([e["out"] for e in lib.entries(bplan)], ["init/main.o", "vmlinux.lds"])
        src, known = lib.entry_files(bplan, bplan["objects"][0], "ext/l", "ext/o")
        self.assertEqual(src, "ext/l/init/main.c")
        self.assertEqual(known, {"ext/l/init/main.c", "ext/l/include/a.h", "ext/l/include/b.h", "ext/o/include/generated/g.h"})
        # A source an action made (generate.bzl's consolemap_deftbl.c): the scan reads that file.
        src, known = lib.entry_files(bplan, bplan["objects"][0], "ext/l", "ext/o", "bazel-out/k/objects/init/main.c")
        self.assertEqual(src, "bazel-out/k/objects/init/main.c")
        self.assertIn(src, known)
        self.assertEqual(lib.entry_flags(bplan, bplan["objects"][0], {"$(srctree)": "ext/l"}),
                         ["-Iext/l/include", "-DKBUILD_BASENAME=\"main\"", "-fmacro-prefix-map=ext/l/="])

    def test_prefix_maps(self):
        self.assertEqual(lib.prefix_map_flags(["-O2", "-fmacro-prefix-map=ext/l/="], "out/d"),
                         ["-ffile-prefix-map=out/d/=", "-fmacro-prefix-map=out/d/ext/l/="])


if __name__ == "__main__":
    absltest.main()
