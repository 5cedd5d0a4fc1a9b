"""Tests for share.py: which compiles two imports of one tree may share."""

import struct

from absl.testing import absltest

from tools.kbuild_import import footprint, intern, share


def _entry(out, src, gen=(), root="srctree", **extra):
    return {"out": out, "src": src, "src_root": root, "hdrs": ["h.h"], "gen_inputs": list(gen),
            "build_inputs": [], "flags": ["-c", "-I$(objtree)/include"], "lang": "c", **extra}


def _files(asm_offsets=b"#define X 1\n", objtool=b"\x7fELF1", values=b"#define CONFIG_A 1\n#define CONFIG_B 1\n"):
    return {
        ("srctree", "a.c"): b"CONFIG_A\n",
        ("srctree", "b.c"): b"CONFIG_B\n",
        ("srctree", "h.h"): b"",
        ("objtree", footprint.AUTOCONF): values,
        ("objtree", "include/generated/asm-offsets.h"): asm_offsets,
        ("objtree", share.OBJTOOL): objtool,
    }


def _plan():
    return {"objects": [
        _entry("a.o", "a.c", [footprint.AUTOCONF]),
        _entry("b.o", "b.c", [footprint.AUTOCONF, "include/generated/asm-offsets.h"]),
        _entry("t.o", "a.c", post=["objtool"]),
        _entry("made.o", "made.S", root="objtree"),
        _entry("bin.o", "a.c", incbin=["x.bin"]),
        _entry("mod.o", "a.c", module="m"),
        _entry("sv.o", "a.c", symversions={"kind": "c"}),
        _entry("vdso.o", "a.c"),
        _entry("gone.o", "a.c", ["include/generated/made.h"]),  # an action makes it
    ], "link": {"lds": _entry("vmlinux.lds", "vmlinux.lds.S")}, "vdso": {"readers": {"vdso.o": ["x"]}}}


def _keys(files):
    plan = _plan()
    read = lambda root, path: files.get((root, path))  # noqa: E731
    sets = []
    bplan = footprint.add_footprints(intern.bazel_plan(plan), plan, read, sets)
    share.add_share_keys(bplan, plan, sets, read)
    return {e["out"]: e.get("share") for e in intern.entries(bplan)}


def _elf(code, debug):
    """A 64-bit little-endian ELF file: .text (SHF_ALLOC) and .debug_x (not loaded)."""
    names = b"\0.text\0.debug_x\0.shstrtab\0"
    body = code + debug + names
    shoff = 64 + len(body)
    header = b"\x7fELF\x02\x01\x01" + bytes(9) + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0x1000, 0, shoff, 0, 64, 0, 0, 64, 4, 3)
    sections = [bytes(64)]
    offset = 64
    for name, kind, flags, data in [(1, 1, 0x6, code), (7, 1, 0, debug), (16, 3, 0, names)]:
        sections.append(struct.pack("<IIQQQQIIQQ", name, kind, flags, 0x1000 if flags else 0, offset, len(data), 0, 0, 1, 0))
        offset += len(data)
    return header + body + b"".join(sections)


class ShareKeysTest(absltest.TestCase):
    def test_which_entries_get_keys(self):
        keys = _keys(_files())
        self.assertEqual(sorted(k for k, v in keys.items() if v), ["a.o", "b.o", "t.o"])
        self.assertTrue(all(len(v) == 32 for v in keys.values() if v))

    def test_deterministic(self):
        self.assertEqual(_keys(_files()), _keys(_files()))

    def test_a_symbol_changes_only_its_readers(self):
        base, variant = _keys(_files()), _keys(_files(values=b"#define CONFIG_A 1\n#define CONFIG_B 2\n"))
        self.assertEqual(base["a.o"], variant["a.o"])
        self.assertNotEqual(base["b.o"], variant["b.o"])
        # A symbol turned off (absent from autoconf.h) is a change too.
        off = _keys(_files(values=b"#define CONFIG_B 1\n"))
        self.assertNotEqual(base["a.o"], off["a.o"])
        self.assertEqual(base["b.o"], off["b.o"])

    def test_generated_header_content(self):
        base, variant = _keys(_files()), _keys(_files(asm_offsets=b"#define X 2\n"))
        self.assertEqual(base["a.o"], variant["a.o"])
        self.assertNotEqual(base["b.o"], variant["b.o"])

    def test_objtool(self):
        base, variant = _keys(_files()), _keys(_files(objtool=b"\x7fELF2"))
        self.assertEqual(base["a.o"], variant["a.o"])
        self.assertNotEqual(base["t.o"], variant["t.o"])

    def test_no_autoconf_no_keys(self):
        files = _files()
        del files[("objtree", footprint.AUTOCONF)]
        self.assertEqual([v for v in _keys(files).values() if v], [])

    def test_loaded_digest(self):
        text, debug = _elf(b"code", b"paths"), _elf(b"code", b"other")
        self.assertEqual(share.loaded_digest(text), share.loaded_digest(debug))  # debug info only
        self.assertNotEqual(text, debug)
        self.assertNotEqual(share.loaded_digest(text), share.loaded_digest(_elf(b"cod3", b"paths")))
        self.assertEqual(share.loaded_digest(b"#!/bin/sh\n"), share.hashlib.sha256(b"#!/bin/sh\n").hexdigest())

    def test_config_values(self):
        self.assertEqual(share.config_values(b'#define CONFIG_A 1\n#define CONFIG_S "x y"\n/* CONFIG_C */\n'),
                         {"A": "1", "S": '"x y"'})


if __name__ == "__main__":
    absltest.main()
