"""Section mismatch checks of Linux 6.1's modpost.c (check_sec_ref and friends).

Every relocation of every SHT_RELA/SHT_REL section whose target section is not
white-listed is matched against the `sectioncheck` table (from-section
patterns, forbidden or required to-section patterns); a match that the
`secref_whitelist` patterns do not excuse is reported as upstream reports it:

    WARNING: modpost: lib/foo.o: section mismatch in reference: f (section: .text) -> g (section: .init.text)

Patterns are shell globs matched with fnmatch(3) semantics (flags 0: `*` also
matches `/` and a leading `.`), i.e. `fnmatch.fnmatchcase`.
"""

import fnmatch
import re

from tools.modpost import elf


def _globs(*patterns):
    """One compiled regex for a list of globs (modpost.c match())."""
    return re.compile("|".join("(?:%s)" % fnmatch.translate(p) for p in patterns), re.S)


def _match(rx, s):
    return rx.match(s) is not None


SECTION_WHITE_LIST = _globs(
    ".comment*", ".debug*", ".zdebug*", ".GCC.command.line", ".mdebug*", ".pdr", ".stab*",
    ".note*", ".got*", ".toc*", ".xt.prop", ".xt.lit", ".arcextmap*", ".gnu.linkonce.arcext*",
    ".cmem*", ".fmt_slot*", ".gnu.lto*", ".discard.*",
)

ALL_INIT_DATA_SECTIONS = (".init.setup", ".init.rodata", ".meminit.rodata", ".init.data", ".meminit.data")
ALL_EXIT_DATA_SECTIONS = (".exit.data", ".memexit.data")
ALL_INIT_TEXT_SECTIONS = (".init.text", ".meminit.text")
ALL_EXIT_TEXT_SECTIONS = (".exit.text",)
ALL_PCI_INIT_SECTIONS = (
    ".pci_fixup_early", ".pci_fixup_header", ".pci_fixup_final", ".pci_fixup_enable",
    ".pci_fixup_resume", ".pci_fixup_resume_early", ".pci_fixup_suspend",
)
INIT_SECTIONS = (".init.*",)
MEM_INIT_SECTIONS = (".meminit.*",)
EXIT_SECTIONS = (".exit.*",)
ALL_XXXINIT_SECTIONS = MEM_INIT_SECTIONS
ALL_INIT_SECTIONS = INIT_SECTIONS + ALL_XXXINIT_SECTIONS
ALL_EXIT_SECTIONS = EXIT_SECTIONS
DATA_SECTIONS = (".data", ".data.rel")
TEXT_SECTIONS = (
    ".text", ".text.*", ".sched.text", ".kprobes.text", ".cpuidle.text", ".noinstr.text",
    ".ltext", ".ltext.*",
)
OTHER_TEXT_SECTIONS = (
    ".ref.text", ".head.text", ".spinlock.text", ".fixup", ".entry.text", ".exception.text",
    ".coldtext", ".softirqentry.text", ".irqentry.text",
)
ALL_TEXT_SECTIONS = ALL_INIT_TEXT_SECTIONS + ALL_EXIT_TEXT_SECTIONS + TEXT_SECTIONS + OTHER_TEXT_SECTIONS

_INIT_DATA = _globs(*ALL_INIT_DATA_SECTIONS)
_INIT = _globs(*ALL_INIT_SECTIONS)
_TEXT = _globs(*ALL_TEXT_SECTIONS)
_DATA = _globs(*DATA_SECTIONS)
_HEAD = _globs(".head.text*")
_LINKER_SYMBOLS = _globs("__init_begin", "_sinittext", "_einittext")
_OPTIM_SYMBOLS = _globs("*.constprop.*")
_INIT_EXIT = _globs(*(ALL_INIT_SECTIONS + ALL_EXIT_SECTIONS))
_XXXINIT = _globs(*ALL_XXXINIT_SECTIONS)
_EXIT = _globs(*EXIT_SECTIONS)
_DATA_TO_INIT_EXIT_SYMS = _globs("*_template", "*_timer", "*_sht", "*_ops", "*_probe", "*_probe_one", "*_console")
_DRIVER = _globs("*driver")

(
    TEXT_TO_ANY_INIT,
    DATA_TO_ANY_INIT,
    TEXT_TO_ANY_EXIT,
    DATA_TO_ANY_EXIT,
    XXXINIT_TO_SOME_INIT,
    ANY_INIT_TO_ANY_EXIT,
    ANY_EXIT_TO_ANY_INIT,
    EXPORT_TO_INIT_EXIT,
    EXTABLE_TO_NON_TEXT,
) = range(9)


class Check:
    def __init__(self, fromsec, bad_tosec, good_tosec, mismatch, extable=False):
        self.fromsec = _globs(*fromsec)
        self.bad_tosec = _globs(*bad_tosec) if bad_tosec else None
        self.good_tosec = _globs(*good_tosec) if good_tosec else None
        self.mismatch = mismatch
        self.extable = extable


SECTIONCHECK = (
    Check(TEXT_SECTIONS, ALL_INIT_SECTIONS, (), TEXT_TO_ANY_INIT),
    Check(DATA_SECTIONS, ALL_XXXINIT_SECTIONS, (), DATA_TO_ANY_INIT),
    Check(DATA_SECTIONS, INIT_SECTIONS, (), DATA_TO_ANY_INIT),
    Check(TEXT_SECTIONS, ALL_EXIT_SECTIONS, (), TEXT_TO_ANY_EXIT),
    Check(DATA_SECTIONS, ALL_EXIT_SECTIONS, (), DATA_TO_ANY_EXIT),
    Check(ALL_XXXINIT_SECTIONS, INIT_SECTIONS, (), XXXINIT_TO_SOME_INIT),
    Check(ALL_INIT_SECTIONS, ALL_EXIT_SECTIONS, (), ANY_INIT_TO_ANY_EXIT),
    Check(ALL_EXIT_SECTIONS, ALL_INIT_SECTIONS, (), ANY_EXIT_TO_ANY_INIT),
    Check(ALL_PCI_INIT_SECTIONS, INIT_SECTIONS, (), ANY_INIT_TO_ANY_EXIT),
    Check(("___ksymtab*",), INIT_SECTIONS + EXIT_SECTIONS, (), EXPORT_TO_INIT_EXIT),
    Check(("__ex_table",), (".altinstr_replacement",), ALL_TEXT_SECTIONS, EXTABLE_TO_NON_TEXT, extable=True),
)


def section_mismatch(fromsec, tosec):
    """The first sectioncheck entry that forbids fromsec -> tosec, or None."""
    if not tosec:
        return None
    for check in SECTIONCHECK:
        if _match(check.fromsec, fromsec):
            if check.bad_tosec and _match(check.bad_tosec, tosec):
                return check
            if check.good_tosec and not _match(check.good_tosec, tosec):
                return check
    return None


def secref_whitelist(fromsec, fromsym, tosec, tosym, extra_warn):
    """True when the reference must be reported (modpost.c secref_whitelist())."""
    if _match(_INIT_DATA, tosec) and _match(_DATA, fromsec) and fromsym.startswith("__param"):
        return False
    if tosec == ".init.text" and _match(_DATA, fromsec) and fromsym.startswith("__param_ops_"):
        return False
    if _match(_DATA, fromsec) and _match(_INIT_EXIT, tosec) and _match(_DATA_TO_INIT_EXIT_SYMS, fromsym):
        return False
    if _match(_DATA, fromsec) and _match(_XXXINIT, tosec) and _match(_DRIVER, fromsym):
        return False
    if not extra_warn and _match(_DATA, fromsec) and _match(_EXIT, tosec) and _match(_DRIVER, fromsym):
        return False
    if _match(_HEAD, fromsec) and _match(_INIT, tosec):
        return False
    if _match(_LINKER_SYMBOLS, tosym):
        return False
    if _match(_TEXT, fromsec) and _match(_INIT, tosec) and _match(_OPTIM_SYMBOLS, fromsym):
        return False
    if fromsym.startswith(".L"):
        return False
    return True


def is_arm_mapping_symbol(name):
    return len(name) >= 2 and name[0] == "$" and name[1] in "adtx" and (len(name) == 2 or name[2] == ".")


def is_valid_name(sym):
    return bool(sym.name) and not is_arm_mapping_symbol(sym.name)


def _s32(x):
    x &= 0xFFFFFFFF
    return x - (1 << 32) if x & 0x80000000 else x


def find_elf_symbol(info, addend, relsym):
    """find_elf_symbol(): the named symbol at (or within 20 bytes of) addend in relsym's section."""
    if relsym.name_off != 0:
        return relsym
    addr = _s32(addend)  # Elf64_Sword
    addr_u = addr & 0xFFFFFFFFFFFFFFFF
    near = None
    distance = 20
    for sym in info.symbols:
        if sym.secindex != relsym.secindex or sym.type == elf.STT_SECTION or not is_valid_name(sym):
            continue
        if sym.value == addr_u:
            return sym
        d = _s32(sym.value - addr)
        if d < 0:
            d = _s32(addr - sym.value)
        if d < distance:
            distance = d
            near = sym
    return near if distance < 20 else None


def find_elf_symbol2(info, addr, sec):
    """find_elf_symbol2(): the last named symbol at or before addr in sections named `sec`."""
    near = None
    distance = 0xFFFFFFFFFFFFFFFF
    for sym in info.symbols:
        if sym.shndx != elf.SHN_XINDEX and elf.SHN_LORESERVE <= sym.shndx <= elf.SHN_HIRESERVE:
            continue
        if info.sec_name(sym.secindex) != sec or not is_valid_name(sym):
            continue
        if sym.value <= addr and addr - sym.value <= distance:
            distance = addr - sym.value
            near = sym
    return near


def _sym_name(sym):
    return sym.name if sym is not None else "(unknown)"


def _pretty(sym):
    if sym is None:
        return "(unknown reference)", ""
    if sym.type == elf.STT_FUNC:
        return "function", "()"
    return "variable", ""


class _Checker:
    def __init__(self, log, modname, info, extra_warn):
        self.log = log
        self.modname = modname
        self.info = info
        self.extra_warn = extra_warn
        self.count = 0

    def report(self, check, fromsec, fromsym, tosec, tosym):
        self.count += 1
        if check.mismatch == EXPORT_TO_INIT_EXIT:
            self.log.warn(f"{self.modname}: EXPORT_SYMBOL used for init/exit symbol: {tosym} (section: {tosec})\n")
        else:
            self.log.warn(
                f"{self.modname}: section mismatch in reference: {fromsym} (section: {fromsec}) "
                f"-> {tosym} (section: {tosec})\n"
            )

    def default_handler(self, check, r_offset, r_addend, sym, fromsec):
        info = self.info
        fromsym = _sym_name(find_elf_symbol2(info, r_offset, fromsec))
        tosec = info.sec_name(sym.secindex)
        tosym = _sym_name(find_elf_symbol(info, r_addend, sym))
        if secref_whitelist(fromsec, fromsym, tosec, tosym, self.extra_warn):
            self.report(check, fromsec, fromsym, tosec, tosym)

    def _is_executable(self, secindex):
        if secindex >= self.info.num_sections:
            self.log.fatal("section_index is outside elf->num_sections!\n")
        return bool(self.info.sections[secindex].flags & elf.SHF_EXECINSTR)

    def extable_handler(self, check, r_offset, r_addend, sym, fromsec):
        info = self.info
        tosec = info.sec_name(sym.secindex)
        self.count += 1
        fromsym = find_elf_symbol2(info, r_offset, fromsec)
        tosym = find_elf_symbol(info, r_addend, sym)
        fp, fpp = _pretty(fromsym)
        tp, tpp = _pretty(tosym)
        off = r_offset & 0xFFFFFFFFFFFFFFFF
        self.log.warn(
            f"{self.modname}({fromsec}+0x{off:x}): Section mismatch in reference from the "
            f"{fp} {_sym_name(fromsym)}{fpp} to the {tp} {tosec}:{_sym_name(tosym)}{tpp}\n"
        )
        bad = _match(check.bad_tosec, tosec)
        if not bad and self._is_executable(sym.secindex):
            self.log.raw(
                f"The relocation at {fromsec}+0x{off:x} references\n"
                f'section "{tosec}" which is not in the list of\n'
                "authorized sections.  If you're adding a new section\n"
                f'and/or if this reference is valid, add "{tosec}" to the\n'
                "list of authorized sections to jump to on fault.\n"
                f'This can be achieved by adding "{tosec}" to \n'
                "OTHER_TEXT_SECTIONS in scripts/mod/modpost.c.\n"
            )
        if bad:
            self.log.fatal(
                f"The relocation at {fromsec}+0x{off:x} references\n"
                f'section "{tosec}" which is black-listed.\n'
                "Something is seriously wrong and should be fixed.\n"
                "You might get more information about where this is\n"
                f"coming from by using scripts/check_extable.sh {self.modname}\n"
            )
        elif not self._is_executable(sym.secindex):
            self.log.error(f"{fromsec}+0x{off:x} references non-executable section '{tosec}'\n")

    def check_section(self, sec):
        if sec.type == elf.SHT_PROGBITS and not sec.flags & elf.SHF_ALLOC and not _match(SECTION_WHITE_LIST, sec.name):
            self.log.warn(
                f"{self.modname} ({sec.name}): unexpected non-allocatable section.\n"
                'Did you forget to use "ax"/"aw" in a .S file?\n'
                "Note that for example <linux/init.h> contains\n"
                "section definitions for use in .S files.\n\n"
            )

    def section_relocs(self, sec):
        info = self.info
        fromsec = info.sec_name(sec.info)
        if _match(SECTION_WHITE_LIST, fromsec):
            return
        symbols = info.symbols
        nsyms = len(symbols)
        checks = {}  # target section index -> Check or None
        riscv_extable = info.machine == elf.EM_RISCV and fromsec == "__ex_table"
        for r_offset, r_sym, r_type, r_addend in info.relocations(sec):
            if riscv_extable and r_type == 39:  # R_RISCV_SUB32
                continue
            if r_sym >= nsyms:
                self.log.fatal(f"{self.modname}: relocation in {fromsec} refers to symbol {r_sym} of {nsyms}\n")
            sym = symbols[r_sym]
            if sym.shndx != elf.SHN_XINDEX and elf.SHN_LORESERVE <= sym.shndx <= elf.SHN_HIRESERVE:
                continue
            secindex = sym.secindex
            check = checks.get(secindex, False)
            if check is False:
                check = checks[secindex] = section_mismatch(fromsec, info.sec_name(secindex))
            if check is None:
                continue
            if check.extable:
                self.extable_handler(check, r_offset, r_addend, sym, fromsec)
            else:
                self.default_handler(check, r_offset, r_addend, sym, fromsec)


def check_sec_ref(log, modname, info, extra_warn=False):
    """check_sec_ref(): warns about each mismatch; returns how many were counted."""
    c = _Checker(log, modname, info, extra_warn)
    for sec in info.sections:
        c.check_section(sec)
        if sec.type in (elf.SHT_RELA, elf.SHT_REL):
            c.section_relocs(sec)
    return c.count
