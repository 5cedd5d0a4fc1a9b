"""kCFI facts of a linked kernel, comparable across builds whose layouts differ.

With CONFIG_CFI_CLANG (clang -fsanitize=kcfi) every address-taken function carries its
type hash in the 4 bytes before its entry, and every indirect call checks it and traps on
a mismatch:

    arm64   `.word <hash>` before the function, marked as data by a `$d` mapping symbol
            (the word before a function without one may be code: under LTO, READ_ONCE's
            `ldapr` alternative lands after the previous function, outside its symbol); a
            failed check is `brk #0x8xxx` (KCFI_BRK_IMM_BASE 0x8000, arch/arm64/kernel/traps.c).
    x86_64  `__cfi_<fn>: nop...; movl $<hash>, %eax` before the function (`b8 <hash>`); a
            failed check is a `ud2` listed in the objects' `.kcfi_traps` sections (s32
            self-relative entries, kernel/cfi.c `trap_address`), which vmlinux.lds.h's
            KCFI_TRAPS collects into the output section `__kcfi_traps`.

`facts` turns these into sorted text lines that do not depend on addresses:

    prefix <fn> 0x<hash>    the function's kCFI type hash
    traps <fn> <n>          the number of kCFI trap sites in the function

Two builds of the same config with the same code generation (ThinLTO in lld vs our
distributed backends) must give the same lines; a backend that lost -fsanitize=kcfi's
lowering loses prefix and traps lines.
"""

import bisect
import dataclasses
import struct
from typing import Callable, Dict, Iterable, List, Optional, Sequence

ARCHES = ("arm64", "x86_64")

# x86_64: the kCFI trap table's section, in a linked kernel (include/asm-generic/vmlinux.lds.h
# KCFI_TRAPS: `__kcfi_traps : { KEEP(*(.kcfi_traps)) }`) and in an object or `ld -r` output.
X86_TRAPS_SECTIONS = ("__kcfi_traps", ".kcfi_traps")


class KcfiError(Exception):
    """str() is one line naming what is wrong."""


@dataclasses.dataclass(frozen=True)
class Func:
    name: str
    addr: int
    size: int

    @property
    def end(self) -> int:
        return self.addr + self.size


class _Cover:
    """Which addresses lie inside a function symbol's [addr, addr + size)."""

    def __init__(self, funcs: Sequence[Func]):
        self.funcs = sorted(funcs, key=lambda f: (f.addr, f.end))
        self.starts = [f.addr for f in self.funcs]
        self.max_end = []
        m = -1
        for f in self.funcs:
            m = max(m, f.end)
            self.max_end.append(m)

    def covered(self, addr: int) -> bool:
        i = bisect.bisect_right(self.starts, addr) - 1
        return i >= 0 and self.max_end[i] > addr

    def owner(self, addr: int) -> Optional[Func]:
        """The last-starting function that contains addr."""
        i = bisect.bisect_right(self.starts, addr) - 1
        while i >= 0:
            f = self.funcs[i]
            if f.addr <= addr < f.end:
                return f
            if self.max_end[i] <= addr:
                return None
            i -= 1
        return None


Reader = Callable[[int, int], Optional[bytes]]  # (addr, n) -> the n bytes there, or None.


def prefix_hashes(arch: str, funcs: Sequence[Func], read: Reader, data_marks: Iterable[int] = ()) -> List[tuple]:
    """(name, hash) of each function with a kCFI type hash before it.

    data_marks: arm64, the addresses of `$d` mapping symbols (data in code)."""
    cover = _Cover(funcs)
    data_marks = frozenset(data_marks)
    out = []
    for f in funcs:
        if f.size == 0 or cover.covered(f.addr - 4):
            continue
        if arch == "arm64":
            b = read(f.addr - 4, 4)
            if b is None or f.addr - 4 not in data_marks:
                continue
            out.append((f.name, struct.unpack("<I", b)[0]))
        else:
            b = read(f.addr - 5, 5)
            if b is None or b[0] != 0xB8 or cover.covered(f.addr - 5):
                continue
            out.append((f.name, struct.unpack("<I", b[1:])[0]))
    return out


def is_kcfi_brk(word: int) -> bool:
    """An arm64 `brk #imm` with a kCFI immediate (0x8000-0x8fff)."""
    return (word & 0xFFE0001F) == 0xD4200000 and ((word >> 5) & 0xF000) == 0x8000


def arm64_traps(funcs: Sequence[Func], read: Reader) -> Dict[str, int]:
    """Function name -> number of kCFI `brk` instructions in it (aliases counted once)."""
    counts: Dict[str, int] = {}
    seen = set()
    for f in funcs:
        if f.size < 4 or (f.addr, f.size) in seen:
            continue
        seen.add((f.addr, f.size))
        b = read(f.addr, f.size - f.size % 4)
        if b is None:
            continue
        n = sum(1 for (w,) in struct.iter_unpack("<I", b) if is_kcfi_brk(w))
        if n:
            counts[f.name] = counts.get(f.name, 0) + n
    return counts


def x86_traps(funcs: Sequence[Func], section_addr: int, data: bytes, read: Reader) -> Dict[str, int]:
    """Function name -> number of `.kcfi_traps` entries (a `ud2` each) in it."""
    if len(data) % 4:
        raise KcfiError(f".kcfi_traps: size {len(data)} is not a multiple of 4")
    cover = _Cover(funcs)
    counts: Dict[str, int] = {}
    for i, (rel,) in enumerate(struct.iter_unpack("<i", data)):
        addr = section_addr + 4 * i + rel
        if read(addr, 2) != b"\x0f\x0b":
            raise KcfiError(f".kcfi_traps entry {i}: {addr:#x} is not a ud2")
        f = cover.owner(addr)
        name = f.name if f else "<no function>"
        counts[name] = counts.get(name, 0) + 1
    return counts


def facts(prefixes: Iterable[tuple], traps: Dict[str, int]) -> List[str]:
    """The sorted fact lines."""
    lines = [f"prefix {n} {h:#010x}" for n, h in prefixes]
    lines += [f"traps {n} {c}" for n, c in traps.items()]
    return sorted(lines)


def summary(lines: Sequence[str]) -> str:
    p = sum(1 for l in lines if l.startswith("prefix "))
    t = sum(int(l.rsplit(" ", 1)[1]) for l in lines if l.startswith("traps "))
    return f"{p} functions with a kCFI type hash, {t} kCFI trap sites"
