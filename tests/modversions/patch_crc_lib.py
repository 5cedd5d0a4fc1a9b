"""Changes one symbol's CRC in a kernel module's `__versions` section (test-only).

With CONFIG_MODVERSIONS, modpost -m writes `____versions[]` into each M.mod.c: one
`struct modversion_info { unsigned long crc; char name[64 - sizeof(unsigned long)]; }` per
symbol the module uses (Linux 6.1 include/linux/module.h), in the `__versions` section of
the .ko. The kernel compares each CRC with its own (kernel/module/version.c) and refuses
the module with "<module>: disagrees about version of symbol <name>" when one differs.
patch_crc flips bits of one CRC in a copy of the module, as if it had been built against
a kernel with another prototype for that symbol.
"""

import struct
from typing import List, Tuple

ENTRY = 64  # sizeof(struct modversion_info) (MODULE_NAME_LEN) on a 64-bit kernel
CRC = 8  # sizeof(unsigned long)


class PatchError(Exception):
    """Bad input; the message is one line naming the file and what is wrong."""


def _section(data: bytes, path: str, name: bytes) -> Tuple[int, int]:
    """(file offset, size) of section `name` of a 64-bit little-endian ELF file."""
    if data[:4] != b"\x7fELF":
        raise PatchError(f"{path}: not an ELF file")
    if data[4] != 2 or data[5] != 1:
        raise PatchError(f"{path}: not a 64-bit little-endian ELF file (only 64-bit kernels are handled)")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    if shoff == 0 or shnum == 0 or shstrndx >= shnum or shoff + shnum * shentsize > len(data):
        raise PatchError(f"{path}: no section header table")

    def header(i):
        name, _, _, _, off, size = struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize)
        return name, off, size

    _, stroff, strsize = header(shstrndx)
    for i in range(shnum):
        n, off, size = header(i)
        end = data.find(b"\0", stroff + n, stroff + strsize)
        if data[stroff + n:end] == name:
            return off, size
    raise PatchError(f"{path}: no {name.decode()} section; was the module built with CONFIG_MODVERSIONS=y?")


def versions(data: bytes, path: str) -> List[Tuple[str, int, int]]:
    """[(symbol, crc, file offset of the crc)] of the module's `__versions` section."""
    off, size = _section(data, path, b"__versions")
    if size % ENTRY:
        raise PatchError(f"{path}: __versions is {size} bytes, not a multiple of {ENTRY}")
    out = []
    for at in range(off, off + size, ENTRY):
        crc, = struct.unpack_from("<Q", data, at)
        name = data[at + CRC:at + ENTRY].split(b"\0", 1)[0].decode("ascii", errors="replace")
        out.append((name, crc, at))
    return out


def patch_crc(data: bytes, path: str, symbol: str, xor: int) -> Tuple[bytes, int, int]:
    """`data` with `symbol`'s CRC xor-ed with `xor`; also the old and the new CRC."""
    if not 0 < xor < 1 << 32:
        raise PatchError(f"--xor={xor:#x}: want a nonzero 32-bit value (genksyms CRCs are 32 bits)")
    entries = versions(data, path)
    hits = [e for e in entries if e[0] == symbol]
    if not hits:
        names = ", ".join(e[0] for e in entries[:8]) + (", ..." if len(entries) > 8 else "")
        raise PatchError(f"{path}: __versions has no symbol {symbol} ({len(entries)} entries: {names or 'none'})")
    _, crc, at = hits[0]
    new = crc ^ xor
    return data[:at] + struct.pack("<Q", new) + data[at + CRC:], crc, new
