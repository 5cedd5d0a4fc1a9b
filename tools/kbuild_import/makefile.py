"""The helper makefile the import reads after the kernel's Makefile, and its variable dump."""

import posixpath
from typing import Sequence

from tools.kbuild_import.common import (
    HELPER_EXPORT, HELPER_GEN, HELPER_LINK, HELPER_MODFINAL, HELPER_MODULES, HELPER_VARS, KO_MARK,
    KbuildImportError, LINK_OBJECTS, MAKE_VARS, PHASE_MARK, VAR_MARK,
)


def helper_makefile(gen_targets: Sequence[tuple[str, Sequence[str]]] = (), ko_helper: str | None = None,
                    gen_after_prepare: bool = False) -> str:
    """The helper makefile's text.

    Targets: kbuild-import-vars prints MAKE_VARS (one `KBUILD_IMPORT_VAR NAME=value`
    line each); kbuild-import-link prints a phase mark and builds LINK_OBJECTS the way
    link-vmlinux.sh does; kbuild-import-gen runs `$(MAKE) $(build)=OBJ TARGET...` for
    each (obj, targets) of gen_targets; kbuild-import-modules prints the `modules`
    phase mark; kbuild-import-modfinal runs what `make modules` runs after
    modules_check (Makefile.modpost, then Makefile.modfinal with ko_helper, the
    makefile ko_helper_makefile() writes, read after it); kbuild-import-export builds
    .vmlinux.export.o as Makefile.vmlinux does (from a stand-in .vmlinux.export.c).
    gen_after_prepare: kbuild-import-gen depends on `prepare`, whose recipes may add to
    KBUILD_CFLAGS for every later sub-make as the dry run's vmlinux_o saw them (arm64
    stack_protector_prepare's $(eval KBUILD_CFLAGS += -mstack-protector-guard=sysreg ...);
    without it arm64 defconfig's hyp-constants.s was made with other flags than the dry run's).
    """
    lines = ["# Written by tools/kbuild_import; read after the kernel's Makefile.", ""]
    lines.append(f"{HELPER_VARS}:")
    for name in MAKE_VARS:
        lines.append(f"\t$(info {VAR_MARK} {name}=$({name}))")
    lines.append("\t@:")
    lines.append(f"{HELPER_LINK}:")
    lines.append(f"\t$(info {PHASE_MARK} link)")
    for obj in LINK_OBJECTS:
        lines.append(f"\t$(Q)$(MAKE) $(build)={posixpath.dirname(obj)} {obj}")
    lines.append(f"{HELPER_GEN}:" + (" prepare" if gen_after_prepare else ""))
    for obj, targets in gen_targets:
        lines.append(f"\t$(Q)$(MAKE) $(build)={obj} {' '.join(targets)}")
    lines.append("\t@:")
    lines.append(f"{HELPER_EXPORT}:")
    lines.append("\t$(Q)$(MAKE) -f $(srctree)/scripts/Makefile.vmlinux .vmlinux.export.o")
    lines.append(f"{HELPER_MODULES}:")
    lines.append(f"\t$(info {PHASE_MARK} modules)")
    lines.append("\t@:")
    if ko_helper:
        # The top Makefile's `modules` recipe (Linux 6.1), minus modules_check.
        lines.append(f"{HELPER_MODFINAL}:")
        lines.append(f"\t$(info {PHASE_MARK} modfinal)")
        lines.append("\t$(Q)$(MAKE) KBUILD_MODULES=1 -f $(srctree)/scripts/Makefile.modpost")
        lines.append(f"\t$(Q)$(MAKE) -f $(srctree)/scripts/Makefile.modfinal -f {ko_helper}")
    lines.append(f".PHONY: {HELPER_VARS} {HELPER_LINK} {HELPER_GEN} {HELPER_MODULES} {HELPER_MODFINAL} {HELPER_EXPORT}")
    return "\n".join(lines) + "\n"


def ko_helper_makefile() -> str:
    """Read after scripts/Makefile.modfinal: its `.ko` rule is a `+` recipe (it runs
    even under `make -n`), so it is replaced by one printing the command
    (`KBUILD_IMPORT_KO M.ko := CMD`). make warns "overriding recipe"; harmless."""
    return ("# Written by tools/kbuild_import; read after scripts/Makefile.modfinal.\n"
            "$(modules): %.ko: %.o %.mod.o $(ARCH_MODULE_LDS) FORCE\n"
            f"\t$(info {KO_MARK} $@ := $(cmd_ld_ko_o))\n"
            "\t@:\n")


def parse_vars(text: str) -> dict[str, str]:
    """`KBUILD_IMPORT_VAR NAME=value` lines of make's output -> {NAME: value}."""
    out = {}
    for line in text.splitlines():
        if line.startswith(VAR_MARK + " "):
            name, _, value = line[len(VAR_MARK) + 1:].partition("=")
            out[name] = value.strip()
    missing = [v for v in MAKE_VARS if v not in out]
    if missing:
        raise KbuildImportError(f"make printed no value for {', '.join(missing)}")
    return out
