"""Tests for tools/config_slice: slices keep autoconf.h's lines, and the check can fail."""

import json
import os
import subprocess
import sys
import tempfile

from absl import flags
from absl.testing import absltest

from tools.config_slice import lib

_CLANG = flags.DEFINE_string("clang", None, "The hermetic clang.")
_SLICE_TOOL = flags.DEFINE_string("slice_tool", None, "config_slice.py.")
_CHECK_TOOL = flags.DEFINE_string("check_tool", None, "check.py.")

_AUTOCONF = """/*
 * Automatically generated file; DO NOT EDIT.
 * Linux/arm64 6.1.0 Kernel Configuration
 */
#define CONFIG_CC_VERSION_TEXT "clang version 19"
#define CONFIG_PRINTK 1
#define CONFIG_FOO_MODULE 1
#define CONFIG_LOG_BUF_SHIFT 17
#define CONFIG_PRINTK_TIME 1
"""

# include/linux/kconfig.h's IS_ENABLED, which pastes _MODULE onto the name.
_KCONFIG = """#include <generated/autoconf.h>
#define __ARG_PLACEHOLDER_1 0,
#define __take_second_arg(__ignored, val, ...) val
#define __is_defined(x) ___is_defined(x)
#define ___is_defined(val) ____is_defined(__ARG_PLACEHOLDER_##val)
#define ____is_defined(arg1_or_junk) __take_second_arg(arg1_or_junk 1, 0)
#define __or(x, y) ___or(x, y)
#define ___or(x, y) ____or(__ARG_PLACEHOLDER_##x, y)
#define ____or(arg1_or_junk, y) __take_second_arg(arg1_or_junk 1, y)
#define IS_BUILTIN(option) __is_defined(option)
#define IS_MODULE(option) __is_defined(option ## _MODULE)
#define IS_ENABLED(option) __or(IS_BUILTIN(option), IS_MODULE(option))
"""

_SOURCE = """int shift = CONFIG_LOG_BUF_SHIFT;
int foo = IS_ENABLED(CONFIG_FOO);
#ifdef CONFIG_PRINTK_TIME
int time = 1;
#endif
"""


class SliceTest(absltest.TestCase):
    def test_keeps_order_and_module_lines(self):
        lines = lib.defines(_AUTOCONF)
        self.assertEqual(lib.slice_text(lines, ["PRINTK_TIME", "FOO", "LOG_BUF_SHIFT", "NOT_SET"]),
                         "#define CONFIG_FOO_MODULE 1\n#define CONFIG_LOG_BUF_SHIFT 17\n#define CONFIG_PRINTK_TIME 1\n")
        self.assertEqual(lib.slice_text(lines, []), "")
        self.assertEqual(lib.slice_text(lines, ["PRINTK"]), "#define CONFIG_PRINTK 1\n")  # not PRINTK_TIME

    def test_preamble(self):
        self.assertEqual(lib.preamble(_AUTOCONF), _AUTOCONF[:_AUTOCONF.index("#define")])
        self.assertTrue(lib.preamble(_AUTOCONF).startswith("/*\n * Automatically"))

    def test_config_words(self):
        self.assertEqual(lib.config_words(b"#ifdef CONFIG_A\nIS_ENABLED(CONFIG_B_MODULE) __CONFIG_C x_CONFIG_"),
                         {"A", "B", "B_MODULE", "C"})

    def test_autoconf_without_defines_is_refused(self):
        for bad in ["", "/* Automatically generated file; DO NOT EDIT. */\n", "#define FOO 1\n"]:
            with self.assertRaisesRegex(lib.SliceError, "no `#define CONFIG_` line"):
                lib.defines(bad, "autoconf.h")

    def test_expand_and_bad_node(self):
        table = {"paths": ["A", "B", "C"], "nodes": [[-1, [0]], [0, [1, 2]]]}
        self.assertEqual(sorted(lib.expand(table, 1)), ["A", "B", "C"])
        self.assertEqual(lib.expand(table, -1), [])
        with self.assertRaisesRegex(lib.SliceError, "node 5 does not exist"):
            lib.expand(table, 5)

    def test_slice_flag(self):
        self.assertEqual(lib.parse_slice_flag("-1:a/b.h"), (-1, "a/b.h"))
        for bad in ["x:a", "3", "3:", "-2:a"]:
            with self.assertRaisesRegex(lib.SliceError, "expected NODE:PATH"):
                lib.parse_slice_flag(bad)

    def test_pad(self):
        self.assertEqual(lib.pad("ab\n", 6), "ab\n\n\n\n")
        with self.assertRaisesRegex(lib.SliceError, "longer than autoconf.h"):
            lib.pad("abc", 2)

    def test_fixdep_symbols(self):
        out = "cmd_x.o := cc\n\ndeps_x.o := \\\n  a.h \\\n    $(wildcard include/config/FOO) \\\n" \
              "    $(wildcard include/config/BAR_BAZ) \\\n"
        self.assertEqual(lib.fixdep_symbols(out), {"FOO", "BAR_BAZ"})
        self.assertIn("2 config symbol(s) its footprint lacks (CONFIG_A, CONFIG_B)", lib.missing_message("x.o", {"B", "A"}))

    def test_first_difference(self):
        self.assertIsNone(lib.first_difference("a\nb\n", "a\nb\n"))
        self.assertEqual(lib.first_difference("a\nb\n", "a\nc\n"), (2, "b", "c"))
        self.assertEqual(lib.first_difference("a\nb\n", "a\n"), (2, "b", "<end>"))


class EndToEndTest(absltest.TestCase):
    """The tools on a miniature tree: a sound slice passes the check, a short one fails it."""

    def setUp(self):
        super().setUp()
        if not _CLANG.value:
            self.skipTest("needs --clang, --slice_tool, --check_tool (bazel test)")
        self.dir = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        for path, text in [("obj/include/generated/autoconf.h", _AUTOCONF), ("src/include/linux/kconfig.h", _KCONFIG),
                           ("src/x.c", _SOURCE)]:
            os.makedirs(os.path.dirname(self._path(path)), exist_ok=True)
            with open(self._path(path), "w") as f:
                f.write(text)

    def _path(self, rel):
        return os.path.join(self.dir, rel)

    def _run(self, tool, args):
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
        return subprocess.run([sys.executable, tool] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env)

    def _slice(self, symbols):
        table = {"paths": symbols, "nodes": [[-1, list(range(len(symbols)))]]}
        with open(self._path("table.json"), "w") as f:
            json.dump(table, f)
        out = self._path(f"slice{len(symbols)}/generated/autoconf.h")
        os.makedirs(os.path.dirname(out), exist_ok=True)  # as Bazel makes an output's directory
        p = self._run(_SLICE_TOOL.value, [f"--autoconf={self._path('obj/include/generated/autoconf.h')}",
                                          f"--table={self._path('table.json')}", f"--slice=0:{out}"])
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        return os.path.dirname(os.path.dirname(out))

    def _check(self, slice_dir, fixdep_args=()):
        flags_ = ["-nostdinc", "-I" + self._path("src/include"), "-I" + self._path("obj/include"),
                  "-include", self._path("src/include/linux/kconfig.h")]
        return self._run(_CHECK_TOOL.value, [f"--clang={_CLANG.value}", f"--slice_include={slice_dir}", "--name=x.o",
                                             f"--out={self._path('stamp')}", *fixdep_args, "--"] + flags_ +
                         [self._path("src/x.c")])

    def _fake_fixdep(self, symbols):
        """A stand-in for Kbuild's fixdep: prints its include/config/ lines for `symbols`."""
        path = self._path("fixdep")
        with open(path, "w") as f:
            f.write("#!/bin/sh\n" + "".join(f"echo '    $(wildcard include/config/{s}) \\'\n" for s in symbols))
        os.chmod(path, 0o755)
        return path

    def test_scan_slice_is_sound(self):
        """--scan_out: the slice of the symbols the files mention passes the check."""
        out = self._path("scan/generated/autoconf.h")
        os.makedirs(os.path.dirname(out), exist_ok=True)
        p = self._run(_SLICE_TOOL.value, [f"--autoconf={self._path('obj/include/generated/autoconf.h')}",
                                          f"--scan_out={out}", f"--scan={self._path('src/x.c')}",
                                          f"--scan={self._path('src/include/linux/kconfig.h')}"])
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        with open(out) as f:
            self.assertEqual(f.read(), lib.preamble(_AUTOCONF) + "#define CONFIG_FOO_MODULE 1\n#define CONFIG_LOG_BUF_SHIFT 17\n"
                             "#define CONFIG_PRINTK_TIME 1\n")
        p = self._check(os.path.dirname(os.path.dirname(out)))
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        p = self._run(_SLICE_TOOL.value, [f"--autoconf={self._path('obj/include/generated/autoconf.h')}",
                                          f"--scan={self._path('src/x.c')}"])
        self.assertIn("--scan needs --scan_out", p.stderr)

    def test_fixdep_symbol_missing_from_footprint_fails(self):
        slice_dir = self._slice(["FOO", "LOG_BUF_SHIFT", "PRINTK_TIME"])
        with open(self._path("symbols"), "w") as f:
            f.write("FOO\nLOG_BUF_SHIFT\nPRINTK_TIME\n")
        ok = self._check(slice_dir, [f"--fixdep={self._fake_fixdep(['FOO', 'PRINTK_TIME'])}",
                                     f"--symbols={self._path('symbols')}"])
        self.assertEqual((ok.returncode, ok.stderr), (0, ""))
        bad = self._check(slice_dir, [f"--fixdep={self._fake_fixdep(['FOO', 'ZAP'])}",
                                      f"--symbols={self._path('symbols')}"])
        self.assertEqual(bad.returncode, 1, bad.stderr)
        self.assertIn("x.o: Kbuild's fixdep makes it depend on 1 config symbol(s) its footprint lacks (CONFIG_ZAP)",
                      bad.stderr)

    def test_sound_slice_passes(self):
        p = self._check(self._slice(["FOO", "LOG_BUF_SHIFT", "PRINTK_TIME"]))
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        self.assertTrue(os.path.exists(self._path("stamp")))

    def test_short_slice_fails_naming_the_line(self):
        for missing, line in [("PRINTK_TIME", "int time = 1;"), ("FOO", "int foo = 1;")]:
            with self.subTest(missing=missing):
                symbols = [s for s in ["FOO", "LOG_BUF_SHIFT", "PRINTK_TIME"] if s != missing]
                p = self._check(self._slice(symbols))
                self.assertEqual(p.returncode, 1, p.stderr)
                self.assertIn("config_slice_check: x.o: preprocessed with its config slice", p.stderr)
                self.assertIn(line, p.stderr)
                self.assertEqual(len(p.stderr.strip().splitlines()), 1)


if __name__ == "__main__":
    absltest.main()
