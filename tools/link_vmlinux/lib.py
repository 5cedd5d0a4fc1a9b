"""The pure parts of tools/link_vmlinux: Linux 6.1's scripts/link-vmlinux.sh
after vmlinux.o exists, for a Clang LTO kernel without modules or BTF.

What 6.1 runs there (scripts/Makefile.vmlinux calls
`scripts/link-vmlinux.sh "$(LD)" "$(KBUILD_LDFLAGS)" "$(LDFLAGS_vmlinux)"`),
with CONFIG_LTO_CLANG (vmlinux.o is linked instead of vmlinux.a + libs) and
CONFIG_KALLSYMS:

    kallsyms_step N:   (N = 1, 2, and 3 if the sizes of the .o of steps 1 and 2
                        differ, or KALLSYMS_EXTRA_PASS is set)
        $LD $KBUILD_LDFLAGS $LDFLAGS_vmlinux --script=$LDS --strip-debug
            -o .tmp_vmlinux.kallsymsN --whole-archive vmlinux.o
            init/version-timestamp.o --no-whole-archive --start-group
            --end-group [.tmp_vmlinux.kallsyms(N-1).o]
        mksysmap .tmp_vmlinux.kallsymsN .tmp_vmlinux.kallsymsN.syms
        scripts/kallsyms $KALLSYMS_ARGS .tmp_vmlinux.kallsymsN.syms
            > .tmp_vmlinux.kallsymsN.S
        $CC $NOSTDINC_FLAGS $LINUXINCLUDE $KBUILD_CPPFLAGS $KBUILD_AFLAGS
            $KBUILD_AFLAGS_KERNEL -c -o .tmp_vmlinux.kallsymsN.o
            .tmp_vmlinux.kallsymsN.S
    the same link without --strip-debug, to vmlinux, with the last .o
    mksysmap vmlinux System.map
    scripts/sorttable vmlinux            (CONFIG_BUILDTIME_TABLE_SORT)
    cmp -s System.map .tmp_vmlinux.kallsymsN.syms  ("Inconsistent kallsyms data")

and arch/arm64/boot/Makefile makes Image with
`$(OBJCOPY) -O binary -R .note -R .note.gnu.build-id -R .comment -S vmlinux Image`.

This module builds those command lines, ports scripts/mksysmap's filter, and
checks the outputs; running the commands is link_vmlinux.py's job.
"""

import os
import re
import struct
from typing import Optional, Sequence

# scripts/mksysmap (6.1):
#   $NM -n $1 | grep -v -e ' [aNUw] ' -e ' \$' -e ' \.L' -e ' __crc_' \
#       -e ' __kstrtab_' -e ' __kstrtabns_' -e ' L0$' > $2
# Each -e is a basic regular expression matched anywhere in a line; these are
# the same expressions in Python syntax, on bytes.
MKSYSMAP_EXCLUDE = (
    rb" [aNUw] ",  # local absolute, undefined, debugging, local weak
    rb" \$",  # $x, $d: ARM mapping symbols
    rb" \.L",  # local labels
    rb" __crc_",  # modversions
    rb" __kstrtab_",  # EXPORT_SYMBOL name
    rb" __kstrtabns_",  # EXPORT_SYMBOL namespace
    rb" L0$",  # LoongArch
)
_MKSYSMAP_RE = re.compile(b"|".join(b"(?:" + e + b")" for e in MKSYSMAP_EXCLUDE))

# arch/arm64/boot/Makefile: OBJCOPYFLAGS_Image.
IMAGE_OBJCOPY_FLAGS = ("-O", "binary", "-R", ".note", "-R", ".note.gnu.build-id", "-R", ".comment", "-S")

# Names of the temporaries, as link-vmlinux.sh names them (in the work dir).
KALLSYMS_VMLINUX = ".tmp_vmlinux.kallsyms{}"

# The arm64 Image header: "ARM\x64" at offset 0x38 (Documentation/arm64/booting.rst).
ARM64_IMAGE_MAGIC = b"ARM\x64"
ARM64_IMAGE_MAGIC_OFFSET = 0x38

EM_AARCH64 = 183
ET_EXEC = 2
ET_DYN = 3
# Link flags that make vmlinux ET_DYN: arm64's CONFIG_RELOCATABLE (defconfig) links it
# `-shared -Bsymbolic -z notext` (arch/arm64/Makefile); x86's CONFIG_RELOCATABLE does not.
SHARED_FLAGS = frozenset({"-shared", "--shared", "-Bshareable", "-pie", "--pie"})

# Absolute paths shorter than this are not searched for in outputs ("/" or
# "/tmp" would match by chance).
MIN_LEAK_PATH_LEN = 8


class LinkError(Exception):
    """A step failed or an output is wrong; the message is one line."""


def tool_argv0(path: str) -> str:
    """`path` as a program to run: a bare name is made ./name, never looked up on PATH."""
    return path if os.sep in path else os.path.join(os.curdir, path)


def kallsyms_names(workdir: str, step: int) -> dict:
    """The temporaries of kallsyms step `step`: vmlinux, syms, S and o paths."""
    base = os.path.join(workdir, KALLSYMS_VMLINUX.format(step))
    return {"vmlinux": base, "syms": base + ".syms", "S": base + ".S", "o": base + ".o"}


def link_command(
    ld: str,
    ldflags: Sequence[str],
    ldflags_vmlinux: Sequence[str],
    lds: str,
    objects: Sequence[str],
    output: str,
    kallsyms_object: Optional[str] = None,
    strip_debug: bool = False,
) -> list:
    """vmlinux_link() of link-vmlinux.sh, for CONFIG_LTO_CLANG (no libs) and not UML.

    Args:
      ld: ld.lld.
      ldflags: KBUILD_LDFLAGS, one flag per element.
      ldflags_vmlinux: LDFLAGS_vmlinux, one flag per element.
      lds: the preprocessed linker script (KBUILD_LDS).
      objects: vmlinux.o then init/version-timestamp.o (linked --whole-archive).
      output: the file to write.
      kallsyms_object: the previous kallsyms step's object, if any.
      strip_debug: true for the .tmp_vmlinux.kallsyms* links.
    """
    cmd = [tool_argv0(ld), *ldflags, *ldflags_vmlinux, f"--script={lds}"]
    if strip_debug:
        cmd.append("--strip-debug")
    cmd += ["-o", output, "--whole-archive", *objects, "--no-whole-archive"]
    # An empty group: $(KBUILD_VMLINUX_LIBS) is not linked under LTO.
    cmd += ["--start-group", "--end-group"]
    if kallsyms_object:
        cmd.append(kallsyms_object)
    return cmd


def nm_command(nm: str, path: str) -> list:
    """The `$NM -n $1` of scripts/mksysmap."""
    return [tool_argv0(nm), "-n", path]


def kallsyms_command(kallsyms: str, args: Sequence[str], syms: str) -> list:
    """`scripts/kallsyms $kallsymopt in.map` (stdout is the .S)."""
    return [tool_argv0(kallsyms), *args, syms]


def assemble_command(clang: str, asflags: Sequence[str], source: str, output: str) -> list:
    """`$CC <kernel asm flags> -c -o X.o X.S` of kallsyms_step()."""
    return [tool_argv0(clang), *asflags, "-c", "-o", output, source]


def sorttable_command(sorttable: str, vmlinux: str) -> list:
    return [tool_argv0(sorttable), vmlinux]


def image_command(objcopy: str, vmlinux: str, image: str) -> list:
    """arch/arm64/boot/Makefile's cmd_objcopy for Image."""
    return [tool_argv0(objcopy), *IMAGE_OBJCOPY_FLAGS, vmlinux, image]


def mksysmap(nm_output: bytes) -> bytes:
    """scripts/mksysmap's filter over `nm -n` output, byte for byte.

    Like grep, a last line without a newline gets one, and every line is
    matched without its newline (so ' L0$' anchors at the end of the name).

    Raises:
      LinkError: the output holds a NUL byte (grep would call it binary and
        print "binary file matches" instead of the lines).
    """
    if b"\0" in nm_output:
        raise LinkError("nm output holds a NUL byte")
    lines = nm_output.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return b"".join(line + b"\n" for line in lines if not _MKSYSMAP_RE.search(line))


def need_third_pass(size1: int, size2: int, extra_pass: bool = False) -> bool:
    """link-vmlinux.sh step 3: `[ $size1 -ne $size2 ] || [ -n "$KALLSYMS_EXTRA_PASS" ]`.

    size1 and size2 are the file sizes (scripts/file-size.sh) of the
    objects of kallsyms steps 1 and 2.
    """
    return size1 != size2 or extra_pass


def check_system_map(name: str, data: bytes) -> None:
    """System.map must be non-empty, `ADDR TYPE NAME` lines, addresses in order.

    Raises:
      LinkError: naming the file and the first bad line.
    """
    if not data:
        raise LinkError(f"{name}: empty")
    if not data.endswith(b"\n"):
        raise LinkError(f"{name}: no newline at the end")
    prev = -1
    for n, line in enumerate(data[:-1].split(b"\n"), 1):
        parts = line.split(b" ")
        if len(parts) != 3 or len(parts[1]) != 1 or not parts[2]:
            raise LinkError(f"{name}:{n}: not 'ADDRESS TYPE NAME': {line[:80]!r}")
        try:
            addr = int(parts[0], 16)
        except ValueError:
            raise LinkError(f"{name}:{n}: bad address {parts[0][:40]!r}") from None
        if addr < prev:
            raise LinkError(f"{name}:{n}: address {parts[0].decode()} out of order")
        prev = addr
    return None


def check_kallsyms_consistent(system_map: bytes, syms: bytes, syms_name: str) -> None:
    """Step "a" of link-vmlinux.sh: `cmp -s System.map ${kallsyms_vmlinux}.syms`."""
    if system_map != syms:
        raise LinkError(
            f"inconsistent kallsyms data: System.map differs from {syms_name} "
            "(Kbuild's workaround: KALLSYMS_EXTRA_PASS=1, here --kallsyms_extra_pass)"
        )


# scripts/kallsyms' output_label(): every table it writes is a `NAME:` label line.
_KALLSYMS_LABEL_RE = re.compile(rb"^kallsyms_num_syms:", re.M)
# A defined kallsyms_num_syms in System.map (kernel/kallsyms_internal.h declares it
# __weak: without the kallsyms object the link succeeds and the kernel has no symbols).
_KALLSYMS_MAP_RE = re.compile(rb"^[0-9a-fA-F]+ [A-Za-z] kallsyms_num_syms$", re.M)

# scripts/sorttable (6.1): the exception table is 12-byte entries whose first word is
# the instruction's offset relative to the entry (x86_64, arm64: sort_relative_table_
# with_data), sorted by address; then it writes 0 to main_extable_sort_needed (else the
# kernel sorts at boot, or, with tables it never sorts at boot, runs unsorted).
EXTABLE_SECTION = "__ex_table"
EXTABLE_ENTRY_SIZE = 12
SORT_NEEDED_SYMBOL = "main_extable_sort_needed"
KALLSYMS_NUM_SYMBOL = "kallsyms_num_syms"  # `.long N`: the number of symbols in the tables


def check_kallsyms_source(name: str, data: bytes) -> None:
    """The .S scripts/kallsyms wrote must hold its tables (kallsyms_num_syms:).

    Raises:
      LinkError: it is empty or has no kallsyms tables.
    """
    if not data.strip():
        raise LinkError(f"{name}: kallsyms wrote nothing; is --kallsyms this kernel's scripts/kallsyms?")
    if not _KALLSYMS_LABEL_RE.search(data):
        raise LinkError(f"{name}: no kallsyms_num_syms table in kallsyms' output; "
                        "is --kallsyms this kernel's scripts/kallsyms?")


def check_kallsyms_linked(name: str, system_map: bytes) -> None:
    """With kallsyms, the final System.map must list a defined kallsyms_num_syms.

    Raises:
      LinkError: it does not (the kallsyms object was not linked in).
    """
    if not _KALLSYMS_MAP_RE.search(system_map):
        raise LinkError(f"{name}: no kallsyms_num_syms: the kallsyms tables were not linked into vmlinux")


def relative_table_unsorted(addr: int, data: bytes, entry_size: int, little_endian: bool = True) -> Optional[int]:
    """The index of the first entry out of order in a relative table at ADDR, or None.

    Each entry starts with a signed 32-bit offset from the entry to what it is sorted by.
    """
    fmt = "<i" if little_endian else ">i"
    prev = None
    for i in range(0, len(data) - len(data) % entry_size, entry_size):
        key = addr + i + struct.unpack_from(fmt, data, i)[0]
        if prev is not None and key < prev:
            return i // entry_size
        prev = key
    return None


def vmlinux_state(name: str, data: bytes) -> dict:
    """What the kallsyms and sorttable steps left in vmlinux DATA, from one ELF parse.

    Returns {sort_needed, extable_unsorted, kallsyms_num_syms}: main_extable_sort_needed's
    value (None: no such symbol), the first __ex_table entry out of order (None: sorted or
    no table), kallsyms_num_syms's value (None: no such symbol).
    """
    import io  # noqa: PLC0415
    from elftools.common.exceptions import ELFError  # noqa: PLC0415
    from elftools.elf.elffile import ELFFile  # noqa: PLC0415

    try:
        elf = ELFFile(io.BytesIO(data))
        little = elf.little_endian
        state = {"sort_needed": None, "extable_unsorted": None, "kallsyms_num_syms": None}
        table = elf.get_section_by_name(EXTABLE_SECTION)
        if table is not None and table["sh_type"] != "SHT_NOBITS":
            state["extable_unsorted"] = relative_table_unsorted(
                table["sh_addr"], table.data(), EXTABLE_ENTRY_SIZE, little)
        symtab = elf.get_section_by_name(".symtab")
        for key, symbol in (("sort_needed", SORT_NEEDED_SYMBOL), ("kallsyms_num_syms", KALLSYMS_NUM_SYMBOL)):
            syms = symtab.get_symbol_by_name(symbol) if symtab is not None else None
            if not syms or not isinstance(syms[0]["st_shndx"], int):
                continue
            sec = elf.get_section(syms[0]["st_shndx"])
            if sec["sh_type"] == "SHT_NOBITS":
                state[key] = 0
                continue
            off = syms[0]["st_value"] - sec["sh_addr"]
            word = sec.data()[off:off + 4]
            if off < 0 or len(word) != 4:
                raise LinkError(f"{name}: {symbol} lies outside its section")
            state[key] = int.from_bytes(word, "little" if little else "big")
        return state
    except (ELFError, ValueError, KeyError, IndexError, EOFError, OverflowError, struct.error) as e:
        raise LinkError(f"{name}: malformed ELF: {e}") from None


def check_kallsyms_count(name: str, state: dict) -> None:
    """With kallsyms, vmlinux's kallsyms_num_syms (vmlinux_state) must be defined and non-zero.

    Raises:
      LinkError: no symbol table was linked in, or it is empty.
    """
    if state["kallsyms_num_syms"] is None:
        raise LinkError(f"{name}: no {KALLSYMS_NUM_SYMBOL} symbol: the kallsyms tables were not linked in")
    if state["kallsyms_num_syms"] == 0:
        raise LinkError(f"{name}: the kallsyms tables hold no symbols; check --kallsyms_arg and the "
                        "kallsyms .syms input")


def check_sorttable(name: str, state: dict) -> None:
    """After scripts/sorttable: main_extable_sort_needed is 0 and __ex_table is sorted.

    Args:
      name: vmlinux, for messages.
      state: vmlinux_state() of it.

    Raises:
      LinkError: sorttable did not run on this file, or left the table unsorted.
    """
    if state["sort_needed"] is None:
        raise LinkError(f"{name}: no {SORT_NEEDED_SYMBOL} symbol after sorttable; "
                        "without CONFIG_BUILDTIME_TABLE_SORT drop --sorttable")
    if state["sort_needed"] != 0:
        raise LinkError(f"{name}: sorttable left {SORT_NEEDED_SYMBOL} = {state['sort_needed']} "
                        "(it did not sort the tables); is --sorttable this kernel's scripts/sorttable?")
    if state["extable_unsorted"] is not None:
        raise LinkError(f"{name}: {EXTABLE_SECTION} entry {state['extable_unsorted']} is out of order after "
                        "sorttable; is --sorttable this kernel's scripts/sorttable?")


def elf_header(name: str, data: bytes) -> tuple:
    """(ELF class, data encoding, e_type, e_machine) of an ELF file's header.

    Raises:
      LinkError: empty, or not ELF.
    """
    if not data:
        raise LinkError(f"{name}: empty")
    if len(data) < 20 or data[:4] != b"\x7fELF":
        raise LinkError(f"{name}: not an ELF file")
    ei_class, ei_data = data[4], data[5]
    if ei_data not in (1, 2):
        raise LinkError(f"{name}: bad ELF data encoding {ei_data}")
    e_type, e_machine = struct.unpack_from("<HH" if ei_data == 1 else ">HH", data, 16)
    return ei_class, ei_data, e_type, e_machine


def vmlinux_type(ldflags: Sequence[str]) -> int:
    """The ELF type the link of vmlinux with LDFLAGS makes: ET_DYN with -shared/-pie."""
    return ET_DYN if SHARED_FLAGS.intersection(ldflags) else ET_EXEC


def check_vmlinux(name: str, data: bytes, machine: Optional[int], e_type_wanted: int = ET_EXEC) -> None:
    """vmlinux must be a non-empty ELF executable (or, linked -shared, a shared object:
    vmlinux_type), for `machine` if given.

    Raises:
      LinkError: it is not.
    """
    _, _, e_type, e_machine = elf_header(name, data)
    if e_type != e_type_wanted:
        want = "ET_EXEC" if e_type_wanted == ET_EXEC else "ET_DYN (linked -shared)"
        raise LinkError(f"{name}: ELF type {e_type}, want {want} ({e_type_wanted})")
    if machine is not None and e_machine != machine:
        raise LinkError(f"{name}: e_machine {e_machine}, but vmlinux.o has {machine}")


def check_image(name: str, data: bytes, machine: int) -> None:
    """The raw image must be non-empty; for arm64 it must carry the Image magic."""
    if not data:
        raise LinkError(f"{name}: empty")
    if machine == EM_AARCH64:
        end = ARM64_IMAGE_MAGIC_OFFSET + len(ARM64_IMAGE_MAGIC)
        if data[ARM64_IMAGE_MAGIC_OFFSET:end] != ARM64_IMAGE_MAGIC:
            raise LinkError(f"{name}: no arm64 Image magic at offset {ARM64_IMAGE_MAGIC_OFFSET:#x}")


def leak_paths(paths: Sequence[str]) -> list:
    """The absolute directory paths worth searching outputs for, longest first."""
    out = set()
    for p in paths:
        p = os.path.normpath(p)
        if os.path.isabs(p) and len(p) >= MIN_LEAK_PATH_LEN:
            out.add(p)
    return sorted(out, key=lambda p: (-len(p), p))


def check_no_paths(name: str, data: bytes, paths: Sequence[str]) -> None:
    """An output must not hold any of `paths` (the work dir, the cwd).

    Raises:
      LinkError: naming the first path found.
    """
    for p in paths:
        if os.fsencode(p) in data:
            raise LinkError(f"{name}: holds the absolute path {p}")


def one_line(text: str, limit: int = 2000) -> str:
    """A tool's stderr as one line: its non-empty lines joined with ' | '."""
    s = " | ".join(line.strip() for line in text.splitlines() if line.strip())
    return s if len(s) <= limit else s[: limit - 3] + "..."
