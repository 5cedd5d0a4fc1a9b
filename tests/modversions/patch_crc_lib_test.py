"""Tests for tests/modversions/patch_crc_lib.py on hand-made ELF files."""

import struct

from absl.testing import absltest

from tests.modversions import patch_crc_lib as lib


def _elf(sections):
    """A minimal ELF64 LE relocatable: a null section, `sections` [(name, bytes)], .shstrtab."""
    names = b"\0" + b"".join(n + b"\0" for n, _ in sections) + b".shstrtab\0"
    body, offs, at = b"", [], 64
    for _, data in sections:
        offs.append(at + len(body))
        body += data
    str_off = at + len(body)
    body += names
    shoff = at + len(body)
    shdrs = struct.pack("<IIQQQQIIQQ", *([0] * 10))
    name_at = 1
    for (n, data), off in zip(sections, offs):
        shdrs += struct.pack("<IIQQQQIIQQ", name_at, 1, 0, 0, off, len(data), 0, 0, 8, 0)
        name_at += len(n) + 1
    shdrs += struct.pack("<IIQQQQIIQQ", name_at, 3, 0, 0, str_off, len(names), 0, 0, 1, 0)
    shnum = len(sections) + 2
    header = (b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) +
              struct.pack("<HHIQQQIHHHHHH", 1, 62, 1, 0, 0, shoff, 0, 64, 0, 0, 64, shnum, shnum - 1))
    return header + body + shdrs


def _versions(*entries):
    return b"".join(struct.pack("<Q", crc) + name.encode().ljust(56, b"\0") for name, crc in entries)


class PatchCrcTest(absltest.TestCase):

    def test_patch(self):
        data = _elf([(b".text", b"\x90" * 8), (b"__versions", _versions(("module_layout", 0x1234abcd),
                                                                          ("_printk", 0x5c3c7387)))])
        self.assertEqual([(n, c) for n, c, _ in lib.versions(data, "m.ko")],
                         [("module_layout", 0x1234abcd), ("_printk", 0x5c3c7387)])
        patched, old, new = lib.patch_crc(data, "m.ko", "_printk", 0x1)
        self.assertEqual((old, new), (0x5c3c7387, 0x5c3c7386))
        self.assertEqual(len(patched), len(data))
        self.assertEqual([(n, c) for n, c, _ in lib.versions(patched, "m.ko")],
                         [("module_layout", 0x1234abcd), ("_printk", 0x5c3c7386)])
        self.assertEqual(sum(a != b for a, b in zip(data, patched)), 1)

    def test_errors(self):
        good = _elf([(b"__versions", _versions(("module_layout", 1)))])
        for data, sym, xor, msg in [
            (b"not elf", "x", 1, r"^m\.ko: not an ELF file$"),
            (good[:4] + b"\x01" + good[5:], "x", 1, r"^m\.ko: not a 64-bit little-endian ELF file"),
            (_elf([(b".text", b"")]), "x", 1, r"^m\.ko: no __versions section; was the module built with CONFIG_MODVERSIONS=y\?$"),
            (_elf([(b"__versions", b"\0" * 65)]), "x", 1, r"^m\.ko: __versions is 65 bytes, not a multiple of 64$"),
            (good, "_printk", 1, r"^m\.ko: __versions has no symbol _printk \(1 entries: module_layout\)$"),
            (good, "module_layout", 0, r"^--xor=0x0: want a nonzero 32-bit value"),
        ]:
            with self.assertRaisesRegex(lib.PatchError, msg):
                lib.patch_crc(data, "m.ko", sym, xor)


if __name__ == "__main__":
    absltest.main()
