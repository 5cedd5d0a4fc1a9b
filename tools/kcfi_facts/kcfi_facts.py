"""Writes the kCFI facts of a kernel (tools/kcfi_facts/lib.py) as sorted lines.

    kcfi_facts --arch=arm64 --vmlinux=vmlinux --out=facts.txt [--expect_cfi]

--expect_cfi: fail unless the kernel has kCFI type hashes and trap sites (a CFI_CLANG
kernel whose build lost -fsanitize=kcfi has neither).
"""

import sys

from absl import app, flags
from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from tools.common import lib as common
from tools.kcfi_facts import lib

_ARCH = flags.DEFINE_enum("arch", None, lib.ARCHES, "Kernel architecture.", required=True)
_VMLINUX = flags.DEFINE_string("vmlinux", None, "The linked kernel (ELF with .symtab).", required=True)
_OUT = flags.DEFINE_string("out", None, "Where to write the facts.", required=True)
_EXPECT_CFI = flags.DEFINE_bool("expect_cfi", False, "Fail unless there are type hashes and trap sites.")

_MACHINE = {"arm64": "EM_AARCH64", "x86_64": "EM_X86_64"}


def _load(path, arch):
    with open(path, "rb") as f:
        elf = ELFFile(f)
        if elf["e_machine"] != _MACHINE[arch]:
            raise lib.KcfiError(f"{path}: {elf['e_machine']}, not {_MACHINE[arch]} (--arch={arch})")
        secs = [(s["sh_addr"], s.data()) for s in elf.iter_sections()
                if s["sh_flags"] & 2 and s["sh_type"] == "SHT_PROGBITS" and s["sh_size"]]
        symtab = elf.get_section_by_name(".symtab")
        if not isinstance(symtab, SymbolTableSection):
            raise lib.KcfiError(f"{path}: no .symtab (a stripped kernel?); give the unstripped vmlinux")
        syms = list(symtab.iter_symbols())
        funcs = [lib.Func(s.name, s["st_value"], s["st_size"]) for s in syms
                 if s["st_info"]["type"] == "STT_FUNC" and not s.name.startswith("__cfi_")]
        data_marks = [s["st_value"] for s in syms if s.name == "$d" or s.name.startswith("$d.")]
        traps = next((s for s in map(elf.get_section_by_name, lib.X86_TRAPS_SECTIONS) if s is not None), None)
        traps = (traps["sh_addr"], traps.data()) if traps is not None else None
    return secs, funcs, data_marks, traps


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    try:
        secs, funcs, data_marks, traps_sec = _load(_VMLINUX.value, _ARCH.value)
    except (OSError, ELFError) as e:
        sys.exit(f"kcfi_facts: {_VMLINUX.value}: cannot read as ELF: {e}")
    except lib.KcfiError as e:
        sys.exit(f"kcfi_facts: {e}")

    def read(addr, n):
        for base, data in secs:
            if base <= addr and addr + n <= base + len(data):
                return data[addr - base:addr - base + n]
        return None

    try:
        prefixes = lib.prefix_hashes(_ARCH.value, funcs, read, data_marks)
        if _ARCH.value == "arm64":
            traps = lib.arm64_traps(funcs, read)
        else:
            traps = lib.x86_traps(funcs, *traps_sec, read) if traps_sec else {}
    except lib.KcfiError as e:
        sys.exit(f"kcfi_facts: {_VMLINUX.value}: {e}")
    lines = lib.facts(prefixes, traps)
    if _EXPECT_CFI.value and not (prefixes and traps):
        sys.exit(f"kcfi_facts: {_VMLINUX.value}: no kCFI ({lib.summary(lines)}); "
                 "was it built with CONFIG_CFI_CLANG and -fsanitize=kcfi in every backend?")
    with common.atomic_output(_OUT.value, "w") as out:
        out.writelines(l + "\n" for l in lines)


if __name__ == "__main__":
    common.run(main, "kcfi_facts")
