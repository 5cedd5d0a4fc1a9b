"""x86's real-mode blob as planned steps (docs/defconfig-steps.md section 4.2), not import-time make output.

Linux 6.1 arch/x86/realmode/Makefile: `$(obj)/rmpiggy.o: $(obj)/rm/realmode.bin` with the
recipe `$(MAKE) $(build)=$(obj)/rm $@`, so the vmlinux_o dry run prints the sub-make's
steps (arch/x86/realmode/rm/Makefile):

    AS/CC   header.o, trampoline_64.o, stack.o, reboot.o (+ 9 wakeup objects with
            CONFIG_ACPI_SLEEP)     native: KBUILD_CFLAGS := $(REALMODE_CFLAGS) ... (-m16 -g, no LTO)
    PASYMS  pasyms.h       $(NM) OBJS | sed -n -r -e 's/.../pa_\\2 = \\2;/p' | sort | uniq > pasyms.h
    LDS     realmode.lds   ($(CC) -E -P -C -I./arch/x86/realmode/rm ...: #includes pasyms.h)
    LD      realmode.elf   $(LD) ... -m elf_i386 --emit-relocs -T realmode.lds OBJS
    RELOCS  realmode.relocs  arch/x86/tools/relocs --realmode realmode.elf > realmode.relocs
    OBJCOPY realmode.bin   $(OBJCOPY) -O binary realmode.elf realmode.bin

arch/x86/realmode/rmpiggy.S (a plan object, linked into vmlinux) `.incbin`s realmode.bin and
realmode.relocs. The section has the vDSO's shape (vdso.vdso_plan: each step Kbuild's own
command with exactly the files it reads; the host program is arch/x86/tools/relocs, which
`make prepare` builds); the rules replay it with tools/boot_step
(rules/private/actions/vdso.bzl). The import still runs the steps once (the scan of
realmode.lds reads pasyms.h, rmpiggy.o's the .incbin files), records their sha256
(`kbuild`; the -g objects' DWARF names this machine's trees: `kbuild_paths`), then removes
the outputs from the object tree and from `generated`.
"""

import re
from typing import Iterable, Sequence

from tools.kbuild_import import vdso as vdso_lib
from tools.kbuild_import.dryrun import Compile, Step

REALMODE_ARCHES = frozenset({"x86_64"})
REALMODE_DIR = "arch/x86/realmode/rm"
_DIR_RE = re.compile(r"^arch/x86/realmode/rm/")
# arch/x86/realmode/rm/Makefile's steps that are not compiles.
STEP_TAGS = frozenset({"PASYMS", "LD", "RELOCS", "OBJCOPY"})
WHAT = "realmode"


def select(steps: Sequence[Step], archived: Iterable[str], generators: Sequence[Step] | None, cc: str,
           arch: str) -> tuple[list[Step], dict[str, Compile]]:
    """The realmode blob's steps of the vmlinux_o dry run, in order, and its compiles (out ->
    Compile, realmode.lds included). generators: the build steps the import runs (each
    non-compile step must be one). ([], {}) for other arches."""
    if arch not in REALMODE_ARCHES:
        return [], {}
    return vdso_lib.select_steps(steps, archived, generators, cc, dir_re=_DIR_RE, step_tags=STEP_TAGS,
                                 link_tags=("LD",), what=WHAT, module="realmode.py")


def realmode_plan(steps: Sequence[Step], compiles, **kw) -> dict:
    """The plan's `realmode` section: vdso.vdso_plan's shape and checks (keywords as there)."""
    return vdso_lib.vdso_plan(steps, compiles, what=WHAT, **kw)
