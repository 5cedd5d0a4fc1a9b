"""A port of Linux 6.1's scripts/mod/modpost (modpost.c), same outputs byte for byte.

Kbuild (scripts/Makefile.modpost) runs, in the object tree,

    sed 's/ko$/o/' modules.order | scripts/mod/modpost [-m] [-a] [-E] [-N] [-w] \\
        [-e -i Module.symvers ...] [-d modules.nsdeps] -o Module.symvers -T - [vmlinux.o]

and modpost then

- reads exports from each object: a `__ksymtab_<sym>` symbol in a
  `___ksymtab+<sym>` / `___ksymtab_gpl+<sym>` section, with its namespace in
  the string at `__kstrtabns_<sym>`; CRCs (CONFIG_MODVERSIONS, -m) from the
  `#SYMVER <sym> <crc>` lines of the objects' `.<obj>.cmd` files, the objects
  listed in `.vmlinux.objs` or in `<module>.mod`;
- reads earlier dumps (-i Module.symvers);
- checks each module: unresolved symbols, GPL-only symbols used by a
  non-GPL module, namespaces not imported, missing MODULE_LICENSE, exports
  defined twice, name length; and section mismatches (sectioncheck.py);
- writes `<module>.mod.c` (module.h header, __this_module, SYMBOL_CRC,
  ____versions, depends, MODULE_ALIAS from device tables (devtable.py),
  srcversion (sumversion.py)), `.vmlinux.export.c`, the -o dump and the -d
  namespace deps file.

Diagnostics go to stderr as upstream prints them, in the same order;
`Modpost.run` returns the exit status. Where upstream would crash or quietly
skip an input that is not a 64-bit little-endian ELF relocatable object, this
port stops with one `FATAL: modpost: FILE: ...` line instead (Kbuild never
hands modpost such a file; with Clang LTO 6.1 turns module bitcode into ELF
before modpost runs).
"""

import dataclasses
import errno
import getopt
import os
import struct

from tools.common import lib as common
from tools.modpost import devtable, diag, elf, sectioncheck, sumversion
from tools.modpost.diag import Exit, Log, buf_printf  # noqa: F401 (re-exported)

ENCODING = diag.ENCODING
MAX_UNRESOLVED_REPORTS = 10
MODULE_NAME_LEN = 64 - 8  # 64 - sizeof(Elf_Addr)

_GPL_COMPATIBLE = {
    "GPL",
    "GPL v2",
    "GPL and additional rights",
    "Dual BSD/GPL",
    "Dual MIT/GPL",
    "Dual MPL/GPL",
}


@dataclasses.dataclass
class Options:
    external_module: bool = False
    dump_read: list = dataclasses.field(default_factory=list)  # -i
    modversions: bool = False  # -m
    ignore_missing_files: bool = False  # -n
    dump_write: str = None  # -o
    all_versions: bool = False  # -a
    files_source: str = None  # -T
    extra_warn: bool = False  # -W
    warn_unresolved: bool = False  # -w
    sec_mismatch_warn_only: bool = True  # -E clears it
    allow_missing_ns_imports: bool = False  # -N
    missing_namespace_deps: str = None  # -d
    objects: list = dataclasses.field(default_factory=list)


def parse_args(argv):
    """modpost's getopt("ei:mnT:o:aWwENd:"), GNU argument permutation included.

    Raises UsageError with glibc getopt's message (upstream then exits with 1).
    """
    prog = "modpost"
    try:
        opts, args = getopt.gnu_getopt(list(argv), "ei:mnT:o:aWwENd:")
    except getopt.GetoptError as e:
        opt = e.opt.lstrip("-")
        if "requires argument" in e.msg:
            raise UsageError(f"{prog}: option requires an argument -- '{opt}'\n") from None
        bad = "-" if e.msg.startswith("option --") else opt[:1]  # "--x" is option '-' to getopt()
        raise UsageError(f"{prog}: invalid option -- '{bad}'\n") from None
    o = Options()
    for flag, value in opts:
        if flag == "-e":
            o.external_module = True
        elif flag == "-i":
            o.dump_read.append(value)
        elif flag == "-m":
            o.modversions = True
        elif flag == "-n":
            o.ignore_missing_files = True
        elif flag == "-o":
            o.dump_write = value
        elif flag == "-a":
            o.all_versions = True
        elif flag == "-T":
            o.files_source = value
        elif flag == "-W":
            o.extra_warn = True
        elif flag == "-w":
            o.warn_unresolved = True
        elif flag == "-E":
            o.sec_mismatch_warn_only = False
        elif flag == "-N":
            o.allow_missing_ns_imports = True
        elif flag == "-d":
            o.missing_namespace_deps = value
    o.objects = args
    return o


class UsageError(Exception):
    """Bad command line; the message is getopt's."""


@dataclasses.dataclass(eq=False)
class Symbol:
    name: str
    module: "Module" = None
    namespace: str = None
    crc: int = 0
    crc_valid: bool = False
    weak: bool = False
    is_gpl_only: bool = False


@dataclasses.dataclass(eq=False)
class Module:
    name: str
    exported_symbols: list = dataclasses.field(default_factory=list)
    unresolved_symbols: list = dataclasses.field(default_factory=list)
    is_gpl_compatible: bool = True
    from_dump: bool = False
    is_vmlinux: bool = False
    seen: bool = False
    has_init: bool = False
    has_cleanup: bool = False
    dev_table_buf: list = dataclasses.field(default_factory=list)
    srcversion: str = ""
    missing_namespaces: list = dataclasses.field(default_factory=list)
    imported_namespaces: list = dataclasses.field(default_factory=list)


def c_strtoul(s, pos, base):
    """strtoul(s + pos, &end, base) on a str: (value mod 2**32 as unsigned long wraps, end)."""
    n = len(s)
    i = pos
    while i < n and s[i] in " \t\n\v\f\r":
        i += 1
    neg = False
    if i < n and s[i] in "+-":
        neg = s[i] == "-"
        i += 1
    if base in (0, 16) and s[i : i + 2] in ("0x", "0X") and i + 2 < n and s[i + 2] in _HEX:
        i += 2
        base = 16
    elif base == 0:
        base = 8 if i < n and s[i] == "0" else 10
    digits = _DIGITS[base]
    start = i
    while i < n and s[i] in digits:
        i += 1
    if i == start:
        return 0, pos
    value = int(s[start:i], base)
    if value > 0xFFFFFFFFFFFFFFFF:
        value = 0xFFFFFFFFFFFFFFFF
    elif neg:
        value = (-value) & 0xFFFFFFFFFFFFFFFF
    return value, i


_HEX = "0123456789abcdefABCDEF"
_DIGITS = {8: "01234567", 10: "0123456789", 16: _HEX}


def modinfo_values(modinfo, tag):
    """Every value of `tag=` in .modinfo, as get_modinfo()/get_next_modinfo() walk it."""
    if not modinfo:
        return []
    out = []
    size = len(modinfo)
    pos = 0
    prefix = tag.encode(ENCODING) + b"="
    while pos is not None:
        if modinfo.startswith(prefix, pos):
            vstart = pos + len(prefix)
            end = modinfo.find(b"\0", vstart)
            out.append(modinfo[vstart : end if end >= 0 else len(modinfo)].decode(ENCODING))
            # get_next_modinfo(prev = value): size -= value - modinfo; next_string(value)
            size = len(modinfo) - vstart
            pos, size = _next_string(modinfo, vstart, size)
        else:
            pos, size = _next_string(modinfo, pos, size)
    return out


def _next_string(data, pos, size):
    """next_string(): skip this string and the NULs after it; None past the end."""
    n = len(data)
    while pos < n and data[pos] != 0:
        pos += 1
        size -= 1
        if size + 1 <= 1:
            return None, size
    while pos >= n or data[pos] == 0:
        pos += 1
        size -= 1
        if size + 1 <= 1 or pos >= n:
            return None, size
    return pos, size


def read_text_file(log, path):
    try:
        with open(path, "rb") as f:
            return f.read().decode(ENCODING)
    except OSError as e:
        log.perror(path, e.errno or errno.EIO)


class Modpost:
    """One modpost run. `run()` returns the exit status; diagnostics go to `log`."""

    def __init__(self, options, log, stdin=None):
        self.o = options
        self.log = log
        self.stdin = stdin
        self.modules = []
        self._modules_by_name = {}
        self.symbols = {}  # name -> [Symbol], newest last (upstream's hash chain, newest first)
        self.nr_unresolved = 0
        self.sec_mismatch_count = 0
        self.machine = None

    # --- modules and symbols ------------------------------------------------

    def find_module(self, name):
        return self._modules_by_name.get(name)

    def new_module(self, name):
        mod = Module(name=name, is_vmlinux=(name == "vmlinux"))
        self.modules.append(mod)
        self._modules_by_name.setdefault(name, mod)
        return mod

    def sym_find_with_module(self, name, mod):
        if name.startswith("."):
            name = name[1:]
        for s in reversed(self.symbols.get(name, ())):
            if mod is None or s.module is mod:
                return s
        return None

    def find_symbol(self, name):
        return self.sym_find_with_module(name, None)

    def sym_update_namespace(self, symname, namespace):
        s = self.find_symbol(symname)
        if s is None:
            self.log.error(f"Could not update namespace({namespace}) for symbol {symname}\n")
            return
        s.namespace = namespace or None

    def sym_add_exported(self, name, mod, gpl_only):
        s = self.find_symbol(name)
        if s and (not self.o.external_module or s.module.is_vmlinux or s.module is mod):
            self.log.error(
                f"{mod.name}: '{name}' exported twice. Previous export was in "
                f"{s.module.name}{'' if s.module.is_vmlinux else '.ko'}\n"
            )
        s = Symbol(name=name, module=mod, is_gpl_only=gpl_only)
        mod.exported_symbols.append(s)
        self.symbols.setdefault(name, []).append(s)
        return s

    # --- reading ------------------------------------------------------------

    def read_dump(self, fname):
        buf = read_text_file(self.log, fname)
        lines = buf.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        for line in lines:
            parts = line.split("\t", 4)
            if len(parts) < 5:
                self.log.fatal("parse error in symbol dump file\n")
            crc_s, symname, modname, export, namespace = parts
            crc, end = c_strtoul(crc_s, 0, 16)
            if not symname or not modname or end != len(crc_s):
                self.log.fatal("parse error in symbol dump file\n")
            if export == "EXPORT_SYMBOL_GPL":
                gpl_only = True
            elif export == "EXPORT_SYMBOL":
                gpl_only = False
            else:
                self.log.error(f"{symname}: unknown license {export}. skip")
                continue
            mod = self.find_module(modname)
            if mod is None:
                mod = self.new_module(modname)
                mod.from_dump = True
            s = self.sym_add_exported(symname, mod, gpl_only)
            s.crc, s.crc_valid = crc & 0xFFFFFFFF, True
            self.sym_update_namespace(symname, namespace)

    def _parse_elf(self, path):
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            if self.o.ignore_missing_files:
                self.log.raw(f"{path}: {os.strerror(e.errno or errno.EIO)} (ignored)\n")
                return None
            self.log.perror(path, e.errno or errno.EIO)
        try:
            obj = elf.read_object(path, data)
        except elf.ElfError as e:
            self.log.fatal(str(e))
        if self.machine is None:
            self.machine = (obj.machine, path)
        elif obj.machine != self.machine[0]:
            self.log.fatal(
                f"{path}: ELF machine {elf.MACHINES[obj.machine]} differs from "
                f"{elf.MACHINES[self.machine[0]]} of {self.machine[1]}\n"
            )
        return obj

    def read_symbols(self, modname):
        try:
            self._read_symbols(modname)
        except (IndexError, KeyError, ValueError, struct.error) as e:
            # Inconsistent contents behind a valid-looking header (section or
            # symbol indices out of range, a table cut short): upstream reads
            # out of bounds; stop with one line instead.
            self.log.fatal(f"{modname}: malformed ELF object ({type(e).__name__}: {e})\n")

    def _read_symbols(self, modname):
        if not modname.endswith(".o"):
            self.log.error(f"{modname}: filename must be suffixed with .o\n")
            return
        info = self._parse_elf(modname)
        if info is None:
            return
        mod = self.new_module(modname[: -len(".o")])
        if not mod.is_vmlinux:
            licenses = modinfo_values(info.modinfo, "license")
            if not licenses:
                self.log.error(f"missing MODULE_LICENSE() in {modname}\n")
            for lic in licenses:
                if lic not in _GPL_COMPATIBLE:
                    mod.is_gpl_compatible = False
                    break
            for ns in modinfo_values(info.modinfo, "import_ns"):
                if ns not in mod.imported_namespaces:
                    mod.imported_namespaces.append(ns)

        for sym in info.symbols:
            self._handle_symbol(mod, info, sym)
            devtable.handle_moddevtable(self.log, mod, info, sym)

        for sym in info.symbols:
            if sym.name.startswith("__kstrtabns_"):
                self.sym_update_namespace(sym.name[len("__kstrtabns_") :], info.sym_cstr(sym))

        self.sec_mismatch_count += sectioncheck.check_sec_ref(self.log, modname, info, self.o.extra_warn)

        if not mod.is_vmlinux:
            if modinfo_values(info.modinfo, "version") or self.o.all_versions:
                mod.srcversion = sumversion.get_src_version(self.log, mod.name)

        if self.o.modversions:
            mod.unresolved_symbols.append(Symbol(name="module_layout"))
            self.mod_set_crcs(mod)

    def _handle_symbol(self, mod, info, sym):
        name = sym.name
        if sym.shndx == elf.SHN_COMMON:
            if not name.startswith("__gnu_lto_"):
                self.log.warn(f'"{name}" [{mod.name}] is COMMON symbol\n')
        elif sym.shndx == elf.SHN_UNDEF:
            if sym.bind not in (elf.STB_GLOBAL, elf.STB_WEAK):
                return
            if name in ("__this_module", "_GLOBAL_OFFSET_TABLE_"):
                return
            mod.unresolved_symbols.append(Symbol(name=name, weak=sym.bind == elf.STB_WEAK))
        else:
            if name.startswith("__ksymtab_"):
                secname = info.sec_name(sym.secindex)
                if secname.startswith("___ksymtab_gpl+"):
                    self.sym_add_exported(name[len("__ksymtab_") :], mod, True)
                elif secname.startswith("___ksymtab+"):
                    self.sym_add_exported(name[len("__ksymtab_") :], mod, False)
            if name == "init_module":
                mod.has_init = True
            if name == "cleanup_module":
                mod.has_cleanup = True

    def _extract_crcs_for_object(self, obj, mod):
        slash = obj.rfind("/")
        cmd_file = f"{obj[:slash + 1]}.{obj[slash + 1:]}.cmd"
        buf = read_text_file(self.log, cmd_file)
        pos = 0
        n = len(buf)
        while True:
            pos = buf.find("\n#SYMVER ", pos)
            if pos < 0:
                break
            name_start = pos + len("\n#SYMVER ")
            sp = buf.find(" ", name_start)
            if sp < 0:
                break
            name = buf[name_start:sp]
            p = sp + 1
            if p >= n or buf[p] not in "0123456789":
                pos = p
                continue
            crc, p = c_strtoul(buf, p, 0)
            pos = p
            if p >= n or buf[p] != "\n":
                continue
            sym = self.sym_find_with_module(name, mod)
            if sym:
                sym.crc, sym.crc_valid = crc & 0xFFFFFFFF, True

    def mod_set_crcs(self, mod):
        objlist = ".vmlinux.objs" if mod.is_vmlinux else f"{mod.name}.mod"
        buf = read_text_file(self.log, objlist)
        for obj in buf.split("\n"):
            if not obj:
                break
            self._extract_crcs_for_object(obj, mod)

    def read_symbols_from_files(self, filename):
        if filename == "-":
            data = self.stdin.read() if self.stdin is not None else b""
        else:
            try:
                with open(filename, "rb") as f:
                    data = f.read()
            except OSError as e:
                self.log.fatal(f"Can't open filenames file {filename}: {os.strerror(e.errno or errno.EIO)}")
        text = data.decode(ENCODING)
        lines = [line + "\n" for line in text.split("\n")]
        lines[-1] = lines[-1][:-1]
        for line in lines:
            if not line:
                break
            # fgets(fname, PATH_MAX, in): lines longer than PATH_MAX-1 come in pieces.
            for i in range(0, len(line), 4095):
                piece = line[i : i + 4095]
                if piece.endswith("\n"):
                    piece = piece[:-1]
                self.read_symbols(piece)

    # --- checks and output --------------------------------------------------

    def check_exports(self, mod):
        basename = mod.name.rsplit("/", 1)[-1]
        for s in mod.unresolved_symbols:
            exp = self.find_symbol(s.name)
            if exp is None:
                if not s.weak:
                    self.nr_unresolved += 1
                    if self.nr_unresolved - 1 < MAX_UNRESOLVED_REPORTS:
                        self.log.log(not self.o.warn_unresolved, f'"{s.name}" [{mod.name}.ko] undefined!\n')
                continue
            if exp.module is mod:
                self.log.error(f'"{s.name}" [{mod.name}.ko] was exported without definition\n')
                continue
            s.module, s.crc_valid, s.crc = exp.module, exp.crc_valid, exp.crc
            if exp.namespace and exp.namespace not in mod.imported_namespaces:
                self.log.log(
                    not self.o.allow_missing_ns_imports,
                    f"module {basename} uses symbol {exp.name} from namespace {exp.namespace}, "
                    "but does not import it.\n",
                )
                if exp.namespace not in mod.missing_namespaces:
                    mod.missing_namespaces.append(exp.namespace)
            if not mod.is_gpl_compatible and exp.is_gpl_only:
                self.log.error(f"GPL-incompatible module {basename}.ko uses GPL-only symbol '{exp.name}'\n")

    def check_modname_len(self, mod):
        if len(mod.name.rsplit("/", 1)[-1]) >= MODULE_NAME_LEN:
            self.log.error(f"module name is too long [{mod.name}.ko]\n")

    def add_header(self, b, mod):
        p = lambda t: buf_printf(self.log, b, t)  # noqa: E731
        for line in (
            "#include <linux/module.h>\n",
            "#define INCLUDE_VERMAGIC\n",
            "#include <linux/build-salt.h>\n",
            "#include <linux/elfnote-lto.h>\n",
            "#include <linux/export-internal.h>\n",
            "#include <linux/vermagic.h>\n",
            "#include <linux/compiler.h>\n",
            "\n",
            "BUILD_SALT;\n",
            "BUILD_LTO_INFO;\n",
            "\n",
            "MODULE_INFO(vermagic, VERMAGIC_STRING);\n",
            "MODULE_INFO(name, KBUILD_MODNAME);\n",
            "\n",
            "__visible struct module __this_module\n",
            '__section(".gnu.linkonce.this_module") = {\n',
            "\t.name = KBUILD_MODNAME,\n",
        ):
            p(line)
        if mod.has_init:
            p("\t.init = init_module,\n")
        if mod.has_cleanup:
            p("#ifdef CONFIG_MODULE_UNLOAD\n\t.exit = cleanup_module,\n#endif\n")
        p("\t.arch = MODULE_ARCH_INIT,\n")
        p("};\n")
        if not self.o.external_module:
            p('\nMODULE_INFO(intree, "Y");\n')
        p('\n#ifdef CONFIG_RETPOLINE\nMODULE_INFO(retpoline, "Y");\n#endif\n')
        if mod.name.startswith("drivers/staging"):
            p('\nMODULE_INFO(staging, "Y");\n')
        if mod.name.startswith("tools/testing"):
            p('\nMODULE_INFO(test, "Y");\n')

    def add_exported_symbols(self, b, mod):
        if not self.o.modversions:
            return
        buf_printf(self.log, b, "\n")
        for sym in mod.exported_symbols:
            if not sym.crc_valid:
                self.log.warn(
                    f'EXPORT symbol "{sym.name}" [{mod.name}{"" if mod.is_vmlinux else ".ko"}] '
                    "version generation failed, symbol will not be versioned.\n"
                    f'Is "{sym.name}" prototyped in <asm/asm-prototypes.h>?\n'
                )
            gpl = "_gpl" if sym.is_gpl_only else ""
            buf_printf(self.log, b, f'SYMBOL_CRC({sym.name}, 0x{sym.crc:08x}, "{gpl}");\n')

    def add_versions(self, b, mod):
        if not self.o.modversions:
            return
        buf_printf(self.log, b, "\n")
        buf_printf(self.log, b, "static const struct modversion_info ____versions[]\n")
        buf_printf(self.log, b, '__used __section("__versions") = {\n')
        for s in mod.unresolved_symbols:
            if s.module is None:
                continue
            if not s.crc_valid:
                self.log.warn(f'"{s.name}" [{mod.name}.ko] has no CRC!\n')
                continue
            if len(s.name) >= MODULE_NAME_LEN:
                self.log.error(f'too long symbol "{s.name}" [{mod.name}.ko]\n')
                break
            crc = f"{s.crc:#x}" if s.crc else "0"  # printf("%#8x")
            buf_printf(self.log, b, f'\t{{ {crc:>8}, "{s.name}" }},\n')
        buf_printf(self.log, b, "};\n")

    def add_depends(self, b, mod):
        for s in mod.unresolved_symbols:
            if s.module is not None:
                s.module.seen = s.module.is_vmlinux
        buf_printf(self.log, b, "\n")
        buf_printf(self.log, b, 'MODULE_INFO(depends, "')
        first = True
        for s in mod.unresolved_symbols:
            if s.module is None or s.module.seen:
                continue
            s.module.seen = True
            buf_printf(self.log, b, ("" if first else ",") + s.module.name.rsplit("/", 1)[-1])
            first = False
        buf_printf(self.log, b, '");\n')

    def add_srcversion(self, b, mod):
        if mod.srcversion:
            buf_printf(self.log, b, "\n")
            buf_printf(self.log, b, f'MODULE_INFO(srcversion, "{mod.srcversion}");\n')

    def write_buf(self, b, fname):
        if self.log.error_occurred:
            return
        try:
            # Whole or not at all: a failed write leaves no empty or partial file.
            common.write_atomically(fname, "".join(b).encode(ENCODING))
        except OSError as e:
            self.log.perror(fname, e.errno or errno.EIO)

    def write_if_changed(self, b, fname):
        data = "".join(b).encode(ENCODING)
        try:
            with open(fname, "rb") as f:
                if f.read() == data:
                    return
        except OSError:
            pass
        self.write_buf([data.decode(ENCODING)], fname)

    def write_vmlinux_export_c_file(self, mod):
        b = []
        buf_printf(self.log, b, "#include <linux/export-internal.h>\n")
        self.add_exported_symbols(b, mod)
        self.write_if_changed(b, ".vmlinux.export.c")

    def write_mod_c_file(self, mod):
        b = []
        self.check_modname_len(mod)
        self.check_exports(mod)
        self.add_header(b, mod)
        self.add_exported_symbols(b, mod)
        self.add_versions(b, mod)
        self.add_depends(b, mod)
        buf_printf(self.log, b, "\n")
        b.extend(mod.dev_table_buf)
        self.add_srcversion(b, mod)
        fname = f"{mod.name}.mod.c"
        if len(fname) >= 4096:
            self.log.error(f"{fname[:4095]}: too long path was truncated\n")
            return
        self.write_if_changed(b, fname)

    def write_dump(self, fname):
        b = []
        for mod in self.modules:
            if mod.from_dump:
                continue
            for sym in mod.exported_symbols:
                gpl = "_GPL" if sym.is_gpl_only else ""
                buf_printf(
                    self.log,
                    b,
                    f"0x{sym.crc:08x}\t{sym.name}\t{mod.name}\tEXPORT_SYMBOL{gpl}\t{sym.namespace or ''}\n",
                )
        self.write_buf(b, fname)

    def write_namespace_deps_files(self, fname):
        b = []
        for mod in self.modules:
            if mod.from_dump or not mod.missing_namespaces:
                continue
            buf_printf(self.log, b, f"{mod.name}.ko:")
            for ns in mod.missing_namespaces:
                buf_printf(self.log, b, f" {ns}")
            buf_printf(self.log, b, "\n")
        self.write_if_changed(b, fname)

    def run(self):
        """main() after getopt. Returns the exit status."""
        try:
            for f in self.o.dump_read:
                self.read_dump(f)
            for f in self.o.objects:
                self.read_symbols(f)
            if self.o.files_source:
                self.read_symbols_from_files(self.o.files_source)
            for mod in self.modules:
                if mod.from_dump:
                    continue
                if mod.is_vmlinux:
                    self.write_vmlinux_export_c_file(mod)
                else:
                    self.write_mod_c_file(mod)
            if self.o.missing_namespace_deps:
                self.write_namespace_deps_files(self.o.missing_namespace_deps)
            if self.o.dump_write:
                self.write_dump(self.o.dump_write)
            if self.sec_mismatch_count and not self.o.sec_mismatch_warn_only:
                self.log.error(
                    "Section mismatches detected.\nSet CONFIG_SECTION_MISMATCH_WARN_ONLY=y to allow them.\n"
                )
            if self.nr_unresolved > MAX_UNRESOLVED_REPORTS:
                self.log.warn(
                    f"suppressed {self.nr_unresolved - MAX_UNRESOLVED_REPORTS} unresolved symbol "
                    "warnings because there were too many)\n"
                )
        except Exit as e:
            return e.status
        return 1 if self.log.error_occurred else 0


def main(argv, stdin, stderr):
    """The whole tool: argv (without the program name), binary stdin/stderr. Returns the status."""
    log = Log(stderr)
    try:
        options = parse_args(argv)
    except UsageError as e:
        log.raw(str(e))
        return 1
    return Modpost(options, log, stdin).run()
