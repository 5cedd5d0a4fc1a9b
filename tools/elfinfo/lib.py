"""Reads what tests and actions need to know about an object file (pyelftools)."""

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

BITCODE_MAGICS = (b"BC\xc0\xde", b"\xde\xc0\x17\x0b")  # raw bitcode, bitcode wrapper


class ElfInfoError(Exception):
    """One line: which file and what is wrong with it."""


def kind(data):
    """'elf', 'bitcode', 'empty' or 'other', from the first bytes of a file."""
    if not data:
        return "empty"
    if data[:4] == b"\x7fELF":
        return "elf"
    if data[:4] in BITCODE_MAGICS:
        return "bitcode"
    return "other"


def describe(path, stream):
    """Returns a dict: machine, type, class, defined and undefined global symbols.

    Args:
      path: the file's name, for messages.
      stream: a binary file object positioned at its start.
    """
    head = stream.read(4)
    stream.seek(0)
    k = kind(head)
    if k != "elf":
        raise ElfInfoError(f"{path}: not an ELF file ({k})")
    try:
        elf = ELFFile(stream)
        defined, undefined = set(), set()
        for section in elf.iter_sections():
            if not isinstance(section, SymbolTableSection) or section.name != ".symtab":
                continue
            for sym in section.iter_symbols():
                if not sym.name or sym["st_info"]["type"] in ("STT_SECTION", "STT_FILE"):
                    continue
                if sym["st_shndx"] == "SHN_UNDEF":
                    undefined.add(sym.name)
                elif sym["st_info"]["bind"] in ("STB_GLOBAL", "STB_WEAK"):
                    defined.add(sym.name)
        return {
            "class": elf.elfclass,
            "machine": elf["e_machine"],
            "type": elf["e_type"],
            "defined": sorted(defined),
            "undefined": sorted(undefined),
            "sections": sorted(s.name for s in elf.iter_sections() if s.name),
        }
    except (ELFError, ValueError, KeyError, IndexError, EOFError, OverflowError, UnicodeDecodeError) as e:
        raise ElfInfoError(f"{path}: malformed ELF: {e}") from None


# LLVM bitcode's symbol table (llvm/Object/IRSymtab.h), written by every LLVM since 5 into
# a top-level SYMTAB_BLOCK next to the STRTAB_BLOCK that holds its names. Reading it needs
# only the bitstream's block framing, not the IR: what linkers read to resolve symbols.
_BLOCK_SYMTAB, _BLOCK_STRTAB = 25, 23
_RECORD_BLOB = 1
# irsymtab::storage::Header: Version, Producer(Str), Modules, Comdats, Symbols(Range), ...
_IRSYMTAB_SYMBOLS_WORD = 7
_IRSYMTAB_SYMBOL_WORDS = 6  # Name(Str), IRName(Str), ComdatIndex, Flags
_FB_UNDEFINED, _FB_WEAK, _FB_COMMON, _FB_GLOBAL = 1 << 3, 1 << 4, 1 << 5, 1 << 10
# llvm.used, llvm.compiler.used, llvm.global_ctors, ...: in the table, never in an object.
_FB_FORMAT_SPECIFIC = 1 << 11


class _Bits:
    """Little-endian bit reader over 32-bit words, as LLVM's BitstreamReader."""

    def __init__(self, data, path):
        self.data, self.pos, self.path = data, 0, path

    def read(self, width):
        if width == 0:
            return 0
        end = self.pos + width
        if end > len(self.data) * 8:
            raise ElfInfoError(f"{self.path}: truncated bitcode")
        first, last = self.pos // 8, (end + 7) // 8
        v = int.from_bytes(self.data[first:last], "little") >> (self.pos % 8)
        self.pos = end
        return v & ((1 << width) - 1)

    def vbr(self, width):
        v, shift, hi = 0, 0, 1 << (width - 1)
        while True:
            piece = self.read(width)
            v |= (piece & (hi - 1)) << shift
            if not piece & hi:
                return v
            shift += width - 1
            if shift > 64:
                raise ElfInfoError(f"{self.path}: malformed bitcode (a VBR number is too long)")

    def align32(self):
        self.pos = (self.pos + 31) & ~31


def _read_abbrev(bits):
    ops = []
    for _ in range(bits.vbr(5)):
        if bits.read(1):
            ops.append(("literal", bits.vbr(8)))
            continue
        enc = bits.read(3)
        if enc in (1, 2):
            ops.append(("fixed" if enc == 1 else "vbr", bits.vbr(5)))
        elif enc in (3, 4, 5):
            ops.append(({3: "array", 4: "char6", 5: "blob"}[enc], 0))
        else:
            raise ElfInfoError(f"{bits.path}: malformed bitcode (abbreviation encoding {enc})")
    return ops


def _read_scalar(bits, op):
    kind, width = op
    if kind == "literal":
        return width
    if kind == "fixed":
        return bits.read(width)
    if kind == "vbr":
        return bits.vbr(width)
    if kind == "char6":
        return bits.read(6)
    raise ElfInfoError(f"{bits.path}: malformed bitcode (abbreviation operand {kind})")


def _block_blob(bits, abbrev_width, end):
    """The first blob record of the block whose contents start at BITS.pos (or None)."""
    abbrevs = []
    while bits.pos < end:
        aid = bits.read(abbrev_width)
        if aid == 0:  # END_BLOCK
            return None
        if aid == 1:  # ENTER_SUBBLOCK: skip it
            bits.vbr(8)
            bits.vbr(4)
            bits.align32()
            bits.pos += 32 * bits.read(32)
        elif aid == 2:  # DEFINE_ABBREV
            abbrevs.append(_read_abbrev(bits))
        elif aid == 3:  # UNABBREV_RECORD
            bits.vbr(6)
            for _ in range(bits.vbr(6)):
                bits.vbr(6)
        else:
            if aid - 4 >= len(abbrevs):
                raise ElfInfoError(f"{bits.path}: malformed bitcode (undefined abbreviation {aid})")
            ops = abbrevs[aid - 4]
            code = _read_scalar(bits, ops[0])
            for i, op in enumerate(ops[1:], 1):
                if op[0] == "blob":
                    n = bits.vbr(6)
                    bits.align32()
                    start = bits.pos // 8
                    bits.pos += 8 * n
                    bits.align32()
                    if bits.pos > len(bits.data) * 8:
                        raise ElfInfoError(f"{bits.path}: truncated bitcode")
                    if code == _RECORD_BLOB:
                        return bits.data[start:start + n]
                elif op[0] == "array":
                    elt = ops[i + 1]
                    for _ in range(bits.vbr(6)):
                        _read_scalar(bits, elt)
                    break
                else:
                    _read_scalar(bits, op)
    return None


def _top_level_blobs(path, data):
    """{block id: blob} of the top-level SYMTAB and STRTAB blocks of bitcode DATA."""
    if data[:4] == BITCODE_MAGICS[1]:  # the wrapper: magic, version, offset, size, cputype
        if len(data) < 20:
            raise ElfInfoError(f"{path}: truncated bitcode wrapper")
        off, size = int.from_bytes(data[8:12], "little"), int.from_bytes(data[12:16], "little")
        data = data[off:off + size]
    if data[:4] != BITCODE_MAGICS[0]:
        raise ElfInfoError(f"{path}: not LLVM bitcode")
    bits, blobs = _Bits(data, path), {}
    bits.pos = 32
    while len(data) * 8 - bits.pos >= 32:
        aid = bits.read(2)
        if aid != 1:  # only blocks at the top level; the rest is padding
            break
        block = bits.vbr(8)
        width = bits.vbr(4)
        bits.align32()
        words = bits.read(32)
        start, end = bits.pos, bits.pos + 32 * words
        if end > len(data) * 8:
            raise ElfInfoError(f"{path}: truncated bitcode")
        if block in (_BLOCK_SYMTAB, _BLOCK_STRTAB):
            blob = _block_blob(bits, width, end)
            if blob is not None:
                blobs[block] = blob
        bits.pos = end
        del start
    return blobs


def bitcode_symbols(path, data):
    """Returns {defined, undefined}: sorted global symbol names of LLVM bitcode DATA.

    `defined` holds the strong (not weak, not common) global definitions: each must
    prevail in a link, so the module's native object must define it. LLVM's own
    format-specific globals (llvm.compiler.used, ...) are not symbols of the object and
    are in neither list. Read from the
    bitcode's symbol table (what lld reads); raises ElfInfoError if there is none.
    """
    blobs = _top_level_blobs(path, data)
    symtab, strtab = blobs.get(_BLOCK_SYMTAB), blobs.get(_BLOCK_STRTAB)
    if symtab is None or strtab is None:
        raise ElfInfoError(f"{path}: bitcode without a symbol table (written by an LLVM before 5?)")

    def word(i):
        if 4 * i + 4 > len(symtab):
            raise ElfInfoError(f"{path}: malformed bitcode symbol table")
        return int.from_bytes(symtab[4 * i:4 * i + 4], "little")

    def string(offset, size):
        if offset + size > len(strtab):
            raise ElfInfoError(f"{path}: malformed bitcode symbol table (name outside the string table)")
        return strtab[offset:offset + size].decode("utf-8", "surrogateescape")

    first, count = word(_IRSYMTAB_SYMBOLS_WORD), word(_IRSYMTAB_SYMBOLS_WORD + 1)
    if first % 4 or first + count * 4 * _IRSYMTAB_SYMBOL_WORDS > len(symtab):
        raise ElfInfoError(f"{path}: malformed bitcode symbol table")
    defined, undefined = set(), set()
    for n in range(count):
        base = first // 4 + n * _IRSYMTAB_SYMBOL_WORDS
        name, flags = string(word(base), word(base + 1)), word(base + 5)
        if flags & _FB_UNDEFINED:
            undefined.add(name)
        elif flags & _FB_FORMAT_SPECIFIC or name.startswith("llvm."):
            continue
        elif flags & _FB_GLOBAL and not flags & (_FB_WEAK | _FB_COMMON):
            defined.add(name)
    return {"defined": sorted(defined), "undefined": sorted(undefined)}
