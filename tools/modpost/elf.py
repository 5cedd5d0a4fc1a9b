"""The parts of an ELF relocatable object that Linux 6.1's modpost reads.

pyelftools reads and checks the ELF header (class, section count and section
name table index, extended numbering included); the section header table and
the symbol and relocation arrays are then decoded in bulk with
`struct.iter_unpack` in the layout pyelftools uses (its per-entry decoding is
~50x slower, and a vmlinux.o has thousands of sections and ~10^5 relocations). Only 64-bit little-endian objects are accepted (arm64, x86_64,
riscv64): those are the kernels this repository builds.

String handling follows modpost.c: names are read up to the first NUL of the
string table, and symbol names go through `remove_dot()` ("foo.1234" -> "foo"),
which upstream applies to its string table in place before any later use.
Text is decoded as latin-1 so every byte round-trips.
"""

import dataclasses
import io
import struct

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from tools.modpost.diag import ENCODING

# ELF constants (elf.h).
ET_REL = 1
SHT_NULL = 0
SHT_PROGBITS = 1
SHT_SYMTAB = 2
SHT_RELA = 4
SHT_NOBITS = 8
SHT_REL = 9
SHT_SYMTAB_SHNDX = 18
SHF_ALLOC = 0x2
SHF_EXECINSTR = 0x4
SHN_UNDEF = 0
SHN_LORESERVE = 0xFF00
SHN_HIRESERVE = 0xFFFF
SHN_COMMON = 0xFFF2
SHN_XINDEX = 0xFFFF
STB_LOCAL = 0
STB_GLOBAL = 1
STB_WEAK = 2
STT_OBJECT = 1
STT_FUNC = 2
STT_SECTION = 3

EM_X86_64 = 62
EM_AARCH64 = 183
EM_RISCV = 243
MACHINES = {EM_X86_64: "x86_64", EM_AARCH64: "aarch64", EM_RISCV: "riscv"}

_EHDR_SIZE = 64
_SYM = struct.Struct("<IBBHQQ")  # st_name st_info st_other st_shndx st_value st_size
_RELA = struct.Struct("<QQq")  # r_offset r_info r_addend
_REL = struct.Struct("<QQ")
_SHDR = struct.Struct("<IIQQQQIIQQ")
_SHDR_FIELDS = (
    "sh_name", "sh_type", "sh_flags", "sh_addr", "sh_offset",
    "sh_size", "sh_link", "sh_info", "sh_addralign", "sh_entsize",
)


class ElfError(Exception):
    """A fatal problem with an input object. `str()` is modpost's message text."""


@dataclasses.dataclass
class Section:
    index: int
    name: str
    type: int
    flags: int
    offset: int
    size: int
    link: int
    info: int


@dataclasses.dataclass
class Symbol:
    index: int
    name: str  # after remove_dot()
    name_off: int  # st_name
    info: int
    shndx: int  # raw st_shndx
    secindex: int  # get_secindex()
    value: int
    size: int

    @property
    def bind(self):
        return self.info >> 4

    @property
    def type(self):
        return self.info & 0xF


def remove_dot(s):
    """modpost.c remove_dot(): drop a ".<digits>" suffix (and what follows it)."""
    n = s.find(".")
    if n <= 0:
        return s
    rest = s[n + 1 :]
    m = len(rest) - len(rest.lstrip("0123456789"))
    if m and (m == len(rest) or rest[m] == "."):
        return s[:n]
    return s


def _cstr(data, offset):
    end = data.find(b"\0", offset)
    if end < 0:
        end = len(data)
    return data[offset:end].decode(ENCODING)


class ElfObject:
    """A parsed ET_REL object: sections, symbols, .modinfo."""

    def __init__(self, path, data):
        self.path = path
        self.data = data
        self._parse()

    def _fatal(self, msg):
        raise ElfError(msg)

    def _parse(self):
        path, data = self.path, self.data
        if len(data) < _EHDR_SIZE:
            self._fatal(f"{path}: not an ELF object: only {len(data)} bytes\n")
        if data[:4] != b"\x7fELF":
            self._fatal(f"{path}: not an ELF object\n")
        if data[4] != 2 or data[5] != 1:
            self._fatal(f"{path}: not a 64-bit little-endian ELF object\n")
        e_type, e_machine = struct.unpack_from("<HH", data, 16)
        e_shoff = struct.unpack_from("<Q", data, 40)[0]
        self.machine = e_machine
        if e_type != ET_REL:
            # modpost.c: fatal("%s: not relocatable object.", filename) (sic, no newline)
            self._fatal(f"{path}: not relocatable object.")
        if e_machine not in MACHINES:
            self._fatal(f"{path}: unsupported ELF machine {e_machine}\n")
        if e_shoff > len(data):
            self._fatal(
                f"section header offset={e_shoff} in file '{path}' is bigger than filesize={len(data)}\n"
            )
        try:
            elf = ELFFile(io.BytesIO(data))
            nsec = elf.num_sections()
            shstrndx = elf.get_shstrndx()
        except (ELFError, struct.error, ValueError, KeyError, IndexError) as e:
            self._fatal(f"{path}: malformed ELF: {e}\n")
        if e_shoff + nsec * _SHDR.size > len(data):
            self._fatal(f"{path} is truncated: section headers end past the end of the file\n")
        # The section header table in one go (pyelftools' per-header parse costs ~70 us
        # each, and a vmlinux.o has thousands); same fields as elf.get_section(i).header.
        headers = [
            dict(zip(_SHDR_FIELDS, h))
            for h in _SHDR.iter_unpack(data[e_shoff : e_shoff + nsec * _SHDR.size])
        ]
        self.num_sections = nsec
        if not (0 <= shstrndx < nsec):
            self._fatal(f"{path}: section name table index {shstrndx} out of range\n")
        for i in range(1, nsec):
            h = headers[i]
            if h["sh_type"] != SHT_NOBITS and h["sh_offset"] > len(data):
                self._fatal(
                    f"{path} is truncated. sechdrs[i].sh_offset={h['sh_offset']} > sizeof(*hrd)={_EHDR_SIZE}\n"
                )
        shstr_off = headers[shstrndx]["sh_offset"]
        self.sections = []
        symtab_idx = None
        shndx_idx = None
        self.modinfo = None
        for i, h in enumerate(headers):
            sh_type = h["sh_type"]
            sec = Section(
                index=i,
                name=_cstr(data, shstr_off + h["sh_name"]) if i or h["sh_name"] else "",
                type=sh_type,
                flags=h["sh_flags"],
                offset=h["sh_offset"],
                size=h["sh_size"],
                link=h["sh_link"],
                info=h["sh_info"],
            )
            self.sections.append(sec)
            if i == 0:
                continue
            if sec.name == ".modinfo":
                if sec.type == SHT_NOBITS:
                    self._fatal(f"{path} has NOBITS .modinfo\n")
                self.modinfo = data[sec.offset : sec.offset + sec.size]
            if sec.type == SHT_SYMTAB:
                symtab_idx = i
            if sec.type == SHT_SYMTAB_SHNDX:
                shndx_idx = i
        if symtab_idx is None:
            self._fatal(f"{path} has no symtab?\n")
        symtab = self.sections[symtab_idx]
        if symtab.offset + symtab.size > len(data):
            self._fatal(f"{path} is truncated: the symbol table ends past the end of the file\n")
        if not (0 <= symtab.link < nsec):
            self._fatal(f"{path}: symbol table has a bad string table index {symtab.link}\n")
        strsec = self.sections[symtab.link]
        self.strtab = data[strsec.offset : strsec.offset + strsec.size]
        shndx_table = None
        if shndx_idx is not None:
            s = self.sections[shndx_idx]
            if s.link != symtab_idx:
                self._fatal(f"{path}: SYMTAB_SHNDX has bad sh_link: {s.link}!={symtab_idx}\n")
            raw = data[s.offset : s.offset + s.size]
            shndx_table = [v for (v,) in struct.iter_unpack("<I", raw[: len(raw) // 4 * 4])]
        raw = data[symtab.offset : symtab.offset + symtab.size]
        raw = raw[: len(raw) // _SYM.size * _SYM.size]
        self.symbols = []
        names = {}
        for idx, (st_name, st_info, _other, st_shndx, st_value, st_size) in enumerate(_SYM.iter_unpack(raw)):
            name = names.get(st_name)
            if name is None:
                name = names[st_name] = remove_dot(_cstr(self.strtab, st_name))
            if st_shndx == SHN_XINDEX:
                secindex = shndx_table[idx] if shndx_table and idx < len(shndx_table) else 0
            elif SHN_LORESERVE <= st_shndx <= SHN_HIRESERVE:
                secindex = st_shndx - SHN_HIRESERVE - 1 + (1 << 32)
            else:
                secindex = st_shndx
            self.symbols.append(Symbol(idx, name, st_name, st_info, st_shndx, secindex, st_value, st_size))

    def sec_name(self, secindex):
        """"" when out of range, as modpost.c sec_name()."""
        if secindex >= self.num_sections:
            return ""
        return self.sections[secindex].name

    def section_bytes(self, sec):
        return self.data[sec.offset : sec.offset + sec.size]

    def _sym_offset(self, sym):
        sec = self.sections[sym.secindex] if sym.secindex < self.num_sections else self.sections[0]
        return sec.offset + sym.value

    def sym_data(self, sym, size):
        """`size` bytes at the symbol's value in its section (modpost.c sym_get_data)."""
        start = self._sym_offset(sym)
        return self.data[start : start + size]

    def sym_cstr(self, sym):
        """The NUL-terminated string at the symbol's value in its section."""
        return _cstr(self.data, self._sym_offset(sym))

    def relocations(self, sec):
        """(r_offset, r_sym, r_type, r_addend) for a SHT_RELA or SHT_REL section."""
        raw = self.data[sec.offset : sec.offset + sec.size]
        if sec.type == SHT_RELA:
            raw = raw[: len(raw) // _RELA.size * _RELA.size]
            return [(o, i >> 32, i & 0xFFFFFFFF, a) for o, i, a in _RELA.iter_unpack(raw)]
        raw = raw[: len(raw) // _REL.size * _REL.size]
        return [(o, i >> 32, i & 0xFFFFFFFF, 0) for o, i in _REL.iter_unpack(raw)]


def read_object(path, data):
    """Parses `data` (the bytes of `path`). Raises ElfError."""
    return ElfObject(path, data)
