"""Kbuild 6.1's cmd_stubcopy (drivers/firmware/efi/libstub/Makefile), as one action.

Kbuild makes each EFI stub object X.stub.o from X.o with

    $(STRIP) --strip-debug -o X.stub.o X.o;
    if $(OBJDUMP) -r X.stub.o | grep $(STUBCOPY_RELOC-y); then
        echo "X.stub.o: absolute symbol references not allowed in the EFI stub" >&2; /bin/false;
    fi;
    $(OBJCOPY) $(STUBCOPY_FLAGS-y) X.o X.stub.o

The check reads the debug-stripped copy (debug sections may hold absolute relocations
legally); the shipped object is objcopy of the unstripped X.o. `stubcopy` runs the same
three commands with the same tools and arguments and fails with Kbuild's message.
"""

import os
import subprocess

from tools.common import lib as common


class StubError(Exception):
    """A one-line error of stubcopy (the message names the object)."""


def kbuild_message(name):
    """Kbuild's own error line for object NAME (its objtree path, as $@ in the Makefile)."""
    return f"{name}: absolute symbol references not allowed in the EFI stub"


def matching_lines(objdump_text, pattern):
    """The lines of `objdump -r` output that `grep PATTERN` prints.

    Kbuild's patterns (R_X86_64_64, R_AARCH64_ABS, R_386_32, ...) are letters, digits and
    underscores, which a basic regular expression matches literally: a substring test.
    """
    if not pattern or not all(c.isalnum() or c == "_" for c in pattern):
        raise StubError(f"relocation pattern {pattern!r}: expected letters, digits and _ (as Kbuild's STUBCOPY_RELOC-y)")
    return [line for line in objdump_text.splitlines() if pattern in line]


def check_relocations(name, objdump_text, pattern):
    """Raises StubError with Kbuild's message if the stripped object has a PATTERN relocation."""
    lines = matching_lines(objdump_text, pattern)
    if lines:
        first = " ".join(lines[0].split())
        raise StubError(f"{kbuild_message(name)} ({len(lines)} {pattern}* relocation(s); first: {first})")


def _run(name, argv):
    """Runs ARGV; its stdout, or StubError naming NAME with ARGV's stderr in one line."""
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if p.returncode != 0:
        tool = os.path.basename(argv[0])
        msg = common.one_line(p.stderr.decode(errors="replace")) or "no message"
        raise StubError(f"{name}: {tool} exited {p.returncode}: {msg}")
    return p.stdout.decode(errors="replace")


def check_object(path, what):
    """Raises StubError unless PATH is an ELF relocatable object (what the stub is made of)."""
    try:
        with open(path, "rb") as f:
            head = f.read(18)
    except OSError as e:
        raise StubError(f"{what}: {common.one_line(common.os_error_message(e))}") from None
    if len(head) < 18 or head[:4] != b"\x7fELF":
        raise StubError(f"{what}: not an ELF object ({len(head)} bytes read)")
    order = "little" if head[5] == 1 else "big"
    if int.from_bytes(head[16:18], order) != 1:  # e_type ET_REL
        raise StubError(f"{what}: an ELF file but not a relocatable object (.o)")


def stubcopy(*, strip, objdump, objcopy, src, out, name, strip_flags, reject_reloc, objcopy_flags):
    """Kbuild's cmd_stubcopy: strip, check the stripped copy, objcopy SRC to OUT.

    Args:
      strip, objdump, objcopy: paths of llvm-strip, llvm-objdump, llvm-objcopy.
      src: the compiled object (X.o); out: where X.stub.o goes (written whole or not at all).
      name: X.stub.o as Kbuild names it (objtree-relative), for the message.
      strip_flags: Kbuild's strip flags (--strip-debug).
      reject_reloc: STUBCOPY_RELOC-y (R_X86_64_64, R_AARCH64_ABS).
      objcopy_flags: STUBCOPY_FLAGS-y, in order.
    """
    check_object(src, name)
    with common.atomic_path(out) as stripped:
        _run(name, [strip, *strip_flags, "-o", stripped, src])
        check_object(stripped, f"{name}: {os.path.basename(strip)}'s output")
        check_relocations(name, _run(name, [objdump, "-r", stripped]), reject_reloc)
        _run(name, [objcopy, *objcopy_flags, src, stripped])
        check_object(stripped, f"{name}: {os.path.basename(objcopy)}'s output")
