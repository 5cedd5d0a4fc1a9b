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
