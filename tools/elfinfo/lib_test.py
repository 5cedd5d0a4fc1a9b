"""Tests of tools/elfinfo/lib.py on the pinned interpreter and on a hand-built relocatable object."""

import io
import os
import struct
import sys

from absl.testing import absltest

from tools.elfinfo import lib

EM_AARCH64 = 183
SHF_COMPRESSED = 0x800


def _relocatable(machine=EM_AARCH64):
    """A minimal ET_REL object: .text, .symtab (+ .strtab), .shstrtab.

    Symbols: a FILE and a SECTION symbol (never reported), local_fn (local), global_fn
    (global, defined), weak_fn (weak, defined), undef_fn (undefined).
    """
    shstr = b"\0.text\0.symtab\0.strtab\0.shstrtab\0"
    names = {n: shstr.index(n.encode() + b"\0") for n in [".text", ".symtab", ".strtab", ".shstrtab"]}
    strtab = b"\0a.c\0local_fn\0global_fn\0weak_fn\0undef_fn\0"

    def s(n):
        return strtab.index(n.encode() + b"\0")

    def sym(name, bind, typ, shndx):
        return struct.pack("<IBBHQQ", name, (bind << 4) | typ, 0, shndx, 0, 0)

    # bind: 0 local, 1 global, 2 weak; type: 0 notype, 2 func, 3 section, 4 file.
    syms = b"".join([
        sym(0, 0, 0, 0),
        sym(s("a.c"), 0, 4, 0xfff1),
        sym(0, 0, 3, 1),
        sym(s("local_fn"), 0, 2, 1),
        sym(s("global_fn"), 1, 2, 1),
        sym(s("weak_fn"), 2, 2, 1),
        sym(s("undef_fn"), 1, 0, 0),
    ])
    text = b"\xc0\x03\x5f\xd6"  # ret
    off = 64
    layout = []
    for blob in (text, syms, strtab, shstr):
        layout.append((off, len(blob)))
        off += len(blob)
    shoff = (off + 7) & ~7
    ehdr = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    ehdr += struct.pack("<HHIQQQIHHHHHH", 1, machine, 1, 0, 0, shoff, 0, 64, 0, 0, 64, 5, 4)

    def shdr(name, typ, flags, i, link=0, info=0, align=1, entsize=0):
        return struct.pack("<IIQQQQIIQQ", name, typ, flags, 0, layout[i][0], layout[i][1], link, info, align, entsize)

    shdrs = bytes(64) + b"".join([
        shdr(names[".text"], 1, 0x6, 0, align=4),
        shdr(names[".symtab"], 2, 0, 1, link=3, info=4, align=8, entsize=24),
        shdr(names[".strtab"], 3, 0, 2),
        shdr(names[".shstrtab"], 3, 0, 3),
    ])
    data = ehdr + text + syms + strtab + shstr
    return data + bytes(shoff - len(data)) + shdrs


def _python():
    with open(sys.executable, "rb") as f:
        return f.read()


class KindTest(absltest.TestCase):

    def test_kinds(self):
        self.assertEqual(lib.kind(b""), "empty")
        self.assertEqual(lib.kind(b"\x7fELF\x02\x01\x01"), "elf")
        self.assertEqual(lib.kind(b"\x7fELF"), "elf")
        self.assertEqual(lib.kind(b"BC\xc0\xde\x35\x14\x00\x00"), "bitcode")
        self.assertEqual(lib.kind(b"\xde\xc0\x17\x0b\x00\x00\x00\x00"), "bitcode")
        self.assertEqual(lib.kind(b"!<arch>\n"), "other")
        self.assertEqual(lib.kind(b"\x7fEL"), "other")
        self.assertEqual(lib.kind(b"BC\xc0"), "other")
        self.assertEqual(lib.kind(b"\0"), "other")

    def test_real_files(self):
        self.assertEqual(lib.kind(_python()[:16]), "elf")
        self.assertEqual(lib.kind(_relocatable()), "elf")


class DescribeTest(absltest.TestCase):

    def test_interpreter(self):
        with open(sys.executable, "rb") as f:
            info = lib.describe(sys.executable, f)
        self.assertEqual(info["machine"], "EM_X86_64")
        self.assertEqual(info["class"], 64)
        self.assertIn(info["type"], ("ET_EXEC", "ET_DYN"))
        self.assertIn(".text", info["sections"])
        self.assertIn(".dynamic", info["sections"])
        self.assertEqual(info["sections"], sorted(info["sections"]))
        self.assertNotIn("", info["sections"])

    def test_relocatable_symbols(self):
        info = lib.describe("a.o", io.BytesIO(_relocatable()))
        self.assertEqual(info, {
            "class": 64,
            "machine": "EM_AARCH64",
            "type": "ET_REL",
            "defined": ["global_fn", "weak_fn"],
            "undefined": ["undef_fn"],
            "sections": [".shstrtab", ".strtab", ".symtab", ".text"],
        })

    def test_other_machine(self):
        self.assertEqual(lib.describe("a.o", io.BytesIO(_relocatable(machine=62)))["machine"], "EM_X86_64")

    def test_not_elf(self):
        for data, k in [(b"", "empty"), (b"BC\xc0\xde\x35\x14", "bitcode"), (b"#!/bin/sh\n", "other")]:
            with self.subTest(kind=k):
                with self.assertRaises(lib.ElfInfoError) as cm:
                    lib.describe("out/x.o", io.BytesIO(data))
                self.assertEqual(str(cm.exception), f"out/x.o: not an ELF file ({k})")

    def test_truncated(self):
        data = _python()
        for n in (4, 16, 63, 64, 1000, 4096):
            with self.subTest(n=n):
                with self.assertRaises(lib.ElfInfoError) as cm:
                    lib.describe("python3.11", io.BytesIO(data[:n]))
                msg = str(cm.exception)
                self.assertTrue(msg.startswith("python3.11: malformed ELF: "), msg)
                self.assertNotIn("\n", msg)

    def test_truncated_relocatable(self):
        data = _relocatable()
        with self.assertRaisesRegex(lib.ElfInfoError, r"^a\.o: malformed ELF: [^\n]*$"):
            lib.describe("a.o", io.BytesIO(data[:len(data) - 100]))

    def test_bad_elf_class(self):
        data = bytearray(_relocatable())
        data[4] = 7
        with self.assertRaisesRegex(lib.ElfInfoError, r"^a\.o: malformed ELF: [^\n]*$"):
            lib.describe("a.o", io.BytesIO(bytes(data)))

    def test_section_offset_out_of_range(self):
        # A corrupt section header (compressed flag, offset past 2**63): still one ElfInfoError line,
        # not a traceback from pyelftools' seek().
        data = bytearray(_relocatable())
        shoff, = struct.unpack_from("<Q", data, 0x28)
        text = shoff + 64
        flags, = struct.unpack_from("<Q", data, text + 8)
        struct.pack_into("<Q", data, text + 8, flags | SHF_COMPRESSED)
        struct.pack_into("<Q", data, text + 24, 1 << 63)
        with self.assertRaisesRegex(lib.ElfInfoError, r"^a\.o: malformed ELF: [^\n]*$"):
            lib.describe("a.o", io.BytesIO(bytes(data)))


def _symbols_bc():
    """testdata/symbols.bc: clang 19 ThinLTO bitcode of testdata/symbols.c."""
    with open(os.path.join(os.path.dirname(__file__), "testdata", "symbols.bc"), "rb") as f:
        return f.read()


class BitcodeSymbolsTest(absltest.TestCase):

    def test_symbols(self):
        self.assertEqual(lib.bitcode_symbols("symbols.bc", _symbols_bc()), {
            "defined": ["common_", "data", "global_fn"],  # not weak_fn, not local_fn
            "undefined": ["undef_fn"],
        })

    def test_llvm_globals_are_not_definitions(self):
        # testdata/used_only.c: only a __used static (llvm.compiler.used), as the kernel's
        # lib/zlib_inflate/inflate_syms.o: its native object rightly defines nothing.
        with open(os.path.join(os.path.dirname(__file__), "testdata", "used_only.bc"), "rb") as f:
            self.assertEqual(lib.bitcode_symbols("used_only.bc", f.read()), {"defined": [], "undefined": []})

    def test_wrapper(self):
        bc = _symbols_bc()
        wrapped = b"\xde\xc0\x17\x0b" + struct.pack("<IIII", 0, 20, len(bc), 0) + bc
        self.assertEqual(lib.bitcode_symbols("w.bc", wrapped)["defined"], ["common_", "data", "global_fn"])

    def test_not_bitcode(self):
        for data in (b"", b"\x7fELF\x02\x01", b"BC\xc0"):
            with self.assertRaisesRegex(lib.ElfInfoError, r"^x\.o: not LLVM bitcode$"):
                lib.bitcode_symbols("x.o", data)

    def test_truncated_or_corrupt_is_one_error(self):
        bc = _symbols_bc()
        cuts = list(range(4, len(bc), 7))
        for n in cuts:
            with self.subTest(n=n):
                with self.assertRaisesRegex(lib.ElfInfoError, r"^x\.bc: [^\n]*$"):
                    lib.bitcode_symbols("x.bc", bc[:n])
        for pos in range(4, len(bc), 13):
            data = bytearray(bc)
            data[pos] ^= 0xff
            with self.subTest(flip=pos):
                try:
                    lib.bitcode_symbols("x.bc", bytes(data))
                except lib.ElfInfoError as e:
                    self.assertNotIn("\n", str(e))


if __name__ == "__main__":
    absltest.main()
