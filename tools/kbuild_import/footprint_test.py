"""Tests for footprint.py: fixdep's CONFIG_ words, per entry, interned and path-free."""

from absl.testing import absltest

from tools.kbuild_import import footprint, intern


class WordsTest(absltest.TestCase):
    def test_fixdep_words_and_module(self):
        text = b"#ifdef CONFIG_A\nIS_ENABLED(CONFIG_B_MODULE) x__CONFIG_C CONFIG_ CONFIG__MODULE\n"
        # A superset of fixdep's: it skips __CONFIG_C and keeps only B of B_MODULE.
        self.assertEqual(footprint.config_words(text), {"A", "B", "B_MODULE", "C", "_MODULE"})

    def test_no_words(self):
        self.assertEqual(footprint.config_words(b"int x;\n"), set())


def _entry(out, src, hdrs, gen, build=(), root="srctree"):
    return {"out": out, "src": src, "src_root": root, "hdrs": list(hdrs), "gen_inputs": list(gen),
            "build_inputs": list(build), "flags": ["-E"] if out.endswith(".lds") else ["-c"]}


_FILES = {
    ("srctree", "a.c"): b"CONFIG_A\n",
    ("srctree", "b.c"): b"CONFIG_B\n",
    ("srctree", "h.h"): b"#ifdef CONFIG_H\n",
    ("objtree", "include/generated/autoconf.h"): b"#define CONFIG_EVERYTHING 1\n",
    ("objtree", "include/generated/g.h"): b"CONFIG_G\n",
    ("srctree", "arch/x/vmlinux.lds.S"): b"",
}


class AddFootprintsTest(absltest.TestCase):
    def _plan(self):
        return {"objects": [
            _entry("a.o", "a.c", ["h.h"], ["include/generated/autoconf.h", "include/generated/g.h"]),
            _entry("b.o", "b.c", ["h.h"], ["include/generated/autoconf.h"]),
            _entry("made.o", "made.S", [], [], root="objtree"),  # a build step writes it
            _entry("b2.o", "b.c", ["h.h"], []),
        ], "link": {"lds": _entry("arch/x/vmlinux.lds", "arch/x/vmlinux.lds.S", [], [])}}

    def test_sets_keys_and_unknown(self):
        plan = self._plan()
        bplan = footprint.add_footprints(intern.bazel_plan(plan), plan, lambda root, path: _FILES.get((root, path)))
        table = bplan["interned"]["config"]
        sets = {e["out"]: intern.expand(table, e["config"]) if "config" in e else None
                for e in intern.entries(bplan)}
        self.assertEqual(sets, {"a.o": ["A", "G", "H"], "b.o": ["B", "H"], "made.o": None, "b2.o": ["B", "H"],
                                "arch/x/vmlinux.lds": []})
        by_out = {e["out"]: e for e in intern.entries(bplan)}
        self.assertEqual(by_out["b.o"]["config_key"], by_out["b2.o"]["config_key"])
        self.assertEqual(by_out["b.o"]["config_key"], footprint.set_key(["H", "B"]))
        self.assertNotEqual(by_out["a.o"]["config_key"], by_out["b.o"]["config_key"])
        self.assertNotIn("config_key", by_out["made.o"])
        self.assertNotIn("EVERYTHING", table["paths"])  # autoconf.h itself is not scanned

    def test_incbin_is_not_read(self):
        # vdso-wrap.o: its .incbin'ed vdso.so (an action's output, absent at import) is listed
        # among gen_inputs; it is assembled in, never preprocessed.
        e = _entry("w.o", "a.c", ["h.h"], ["arch/x/vdso.so"])
        e["incbin"] = ["arch/x/vdso.so"]
        self.assertEqual(footprint.Scanner(lambda root, path: _FILES.get((root, path))).footprint(e), ["A", "H"])

    def test_deterministic(self):
        a, b = self._plan(), self._plan()
        read = lambda root, path: _FILES.get((root, path))  # noqa: E731
        self.assertEqual(footprint.add_footprints(intern.bazel_plan(a), a, read),
                         footprint.add_footprints(intern.bazel_plan(b), b, read))


if __name__ == "__main__":
    absltest.main()
