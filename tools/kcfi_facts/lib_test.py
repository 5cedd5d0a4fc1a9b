"""Tests of tools/kcfi_facts/lib.py on hand-made code bytes."""

import struct

from absl.testing import absltest

from tools.kcfi_facts import lib

_RET = struct.pack("<I", 0xD65F03C0)


def _brk(imm):
    return struct.pack("<I", 0xD4200000 | (imm << 5))


def _reader(base, data):
    def read(addr, n):
        if base <= addr and addr + n <= base + len(data):
            return data[addr - base:addr - base + n]
        return None
    return read


class Arm64Test(absltest.TestCase):
    # 0x1000: a (ret) | 0x1004 ($d): .word 0x12345678 | 0x1008: b (brk #0x8228; ret)
    # 0x1010: code outside b's symbol (an alternative's ldapr) | 0x1014: c (ret);
    # 0x1018: d, adjacent to c.
    DATA = (_RET + struct.pack("<I", 0x12345678) + _brk(0x8228) + _RET + struct.pack("<I", 0xB8BFC108)
            + _RET + _brk(0x1) + _RET)
    FUNCS = [lib.Func("a", 0x1000, 4), lib.Func("b", 0x1008, 8), lib.Func("c", 0x1014, 4),
             lib.Func("d", 0x1018, 8)]

    def test_prefix(self):
        read = _reader(0x1000, self.DATA)
        self.assertEqual(lib.prefix_hashes("arm64", self.FUNCS, read, [0x1004]), [("b", 0x12345678)])
        # Without a $d mark, the word before a function is code: no hash (c, and b too).
        self.assertEqual(lib.prefix_hashes("arm64", self.FUNCS, read), [])
        # A $d mark inside a function (a literal) is not a prefix of the next one.
        self.assertEqual(lib.prefix_hashes("arm64", self.FUNCS, read, [0x1004, 0x101c]), [("b", 0x12345678)])

    def test_traps(self):
        read = _reader(0x1000, self.DATA)
        self.assertEqual(lib.arm64_traps(self.FUNCS, read), {"b": 1})  # d's brk #1 is no kCFI trap

    def test_is_kcfi_brk(self):
        self.assertTrue(lib.is_kcfi_brk(0xD4200000 | (0x8000 << 5)))
        self.assertTrue(lib.is_kcfi_brk(0xD4200000 | (0x8FFF << 5)))
        self.assertFalse(lib.is_kcfi_brk(0xD4200000 | (0x800 << 5)))   # BUG_BRK_IMM
        self.assertFalse(lib.is_kcfi_brk(0xD4200000 | (0x9000 << 5)))
        self.assertFalse(lib.is_kcfi_brk(0xD4200001 | (0x8000 << 5)))  # hvc-like encoding

    def test_aliases_counted_once(self):
        read = _reader(0x1000, self.DATA)
        funcs = self.FUNCS + [lib.Func("b_alias", 0x1008, 8)]
        self.assertEqual(lib.arm64_traps(funcs, read), {"b": 1})


class X86Test(absltest.TestCase):
    # 0x2000: __cfi_f: 11 nops, movl $0xcafef00d, %eax | 0x2010: f: ud2; ret
    # 0x2013: int3 padding | 0x2020: g (no prefix): ret
    DATA = (b"\x90" * 11 + b"\xb8" + struct.pack("<I", 0xCAFEF00D) + b"\x0f\x0b\xc3"
            + b"\xcc" * 13 + b"\xc3")
    FUNCS = [lib.Func("f", 0x2010, 3), lib.Func("g", 0x2020, 1)]

    def test_prefix(self):
        read = _reader(0x2000, self.DATA)
        self.assertEqual(lib.prefix_hashes("x86_64", self.FUNCS, read), [("f", 0xCAFEF00D)])

    def test_traps(self):
        read = _reader(0x2000, self.DATA)
        # One entry at 0x3000 pointing at 0x2010 (self-relative: 0x2010 - 0x3000).
        data = struct.pack("<i", 0x2010 - 0x3000)
        self.assertEqual(lib.x86_traps(self.FUNCS, 0x3000, data, read), {"f": 1})

    def test_trap_not_ud2(self):
        read = _reader(0x2000, self.DATA)
        data = struct.pack("<ii", 0x2010 - 0x3000, 0x2020 - 0x3004)
        with self.assertRaisesRegex(lib.KcfiError, r"^\.kcfi_traps entry 1: 0x2020 is not a ud2$"):
            lib.x86_traps(self.FUNCS, 0x3000, data, read)

    def test_traps_bad_size(self):
        with self.assertRaisesRegex(lib.KcfiError, r"size 5 is not a multiple of 4"):
            lib.x86_traps(self.FUNCS, 0x3000, b"\0" * 5, _reader(0, b""))


class FactsTest(absltest.TestCase):
    def test_sorted_and_summary(self):
        lines = lib.facts([("z", 1), ("a", 0xABCDEF01)], {"m": 2, "b": 1})
        self.assertEqual(lines, ["prefix a 0xabcdef01", "prefix z 0x00000001", "traps b 1", "traps m 2"])
        self.assertEqual(lib.summary(lines), "2 functions with a kCFI type hash, 3 kCFI trap sites")


if __name__ == "__main__":
    absltest.main()
