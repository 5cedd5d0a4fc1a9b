"""Kbuild import: what every phase shares (errors, placeholders, tools, make variables)."""


SRCTREE = "$(srctree)"
OBJTREE = "$(objtree)"
RESOURCE_DIR = "$(CC_RESOURCE_DIR)"

# (kbuild_import flag, make variable) of each tool; `$(VAR)` is its placeholder in
# normalized commands. When two share a path (CC and HOSTCC) the first wins.
TOOL_VARS = (
    ("clang", "CC"),
    ("ld", "LD"),
    ("ar", "AR"),
    ("nm", "NM"),
    ("objcopy", "OBJCOPY"),
    ("objdump", "OBJDUMP"),
    ("readelf", "READELF"),
    ("strip", "STRIP"),
    ("hostcc", "HOSTCC"),
    ("clangxx", "HOSTCXX"),
    # tools/ (objtool on x86_64) links and archives host code with these.
    ("hostld", "HOSTLD"),
    ("hostar", "HOSTAR"),
)

# Make variables the import reads (printed by the helper makefile, see helper_makefile).
MAKE_VARS = (
    "KBUILD_LDFLAGS",
    "LDFLAGS_vmlinux",
    "KBUILD_VMLINUX_OBJS",
    "KBUILD_VMLINUX_LIBS",
    "KBUILD_LDS",
    "KERNELVERSION",
    "KERNELRELEASE",
    "SRCARCH",
    "CC_FLAGS_LTO",
)

VAR_MARK = "KBUILD_IMPORT_VAR"
PHASE_MARK = "KBUILD_IMPORT_PHASE"
HELPER_VARS = "kbuild-import-vars"
HELPER_LINK = "kbuild-import-link"
HELPER_GEN = "kbuild-import-gen"
HELPER_MODULES = "kbuild-import-modules"
HELPER_MODFINAL = "kbuild-import-modfinal"
HELPER_EXPORT = "kbuild-import-export"  # Makefile.vmlinux's .vmlinux.export.o (MODVERSIONS)
KO_MARK = "KBUILD_IMPORT_KO"
# Goals of the dry run, in order: objects and archives, the vmlinux.o stage, then what
# scripts/link-vmlinux.sh builds (it runs `make -f Makefile.build obj=init
# init/version-timestamp.o` itself).
DRY_RUN_GOALS = ("vmlinux_o", HELPER_LINK)
# With CONFIG_MODULES (and KBUILD_MODULES=1): every module object, .mod and modules.order
# too, then modules_prepare (scripts/module.lds) behind a phase mark.
DRY_RUN_GOALS_MODULES = ("vmlinux_o", HELPER_MODULES, "modules_prepare", HELPER_LINK)
LINK_OBJECTS = ("init/version-timestamp.o",)


class KbuildImportError(Exception):
    """Bad input or a Kbuild output this importer does not understand; one line."""


class KbuildConfigError(KbuildImportError):
    """The config the user asked for cannot be imported: a fragment line Kconfig would not
    read, an assignment the final .config does not have, an option the import refuses.
    Determined by the config inputs alone (the main exits with EXIT_CONFIG for these)."""


# kbuild_import's exit status for a KbuildConfigError: the repository rule then generates a
# repository whose targets report the line once, instead of failing the fetch (which Bazel
# 4.2 prints three times).
EXIT_CONFIG = 3
