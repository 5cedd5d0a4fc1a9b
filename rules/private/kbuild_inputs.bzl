"""KBUILD_INPUTS: the source-tree files a Kbuild import reads beyond each object's own
source and headers. One list, used in three places:

  kernel_source.bzl   @linux//:kbuild_inputs, a glob of them (loaded from this file)
  kbuild_import.bzl   the import records the sha256 of every file the glob matches
  kernel_objects.bzl  KernelPlanCheck hashes the glob again and compares (a stale plan
                      fails before any compile: tools/plan_check)

A superset by design: every Makefile, Kbuild and Kconfig file (a new `obj-y` anywhere),
the in-tree config fragments and defconfigs (`tinyconfig` reads kernel/configs/ and
arch/*/configs/), localversion files (the release string), Kbuild's scripts and host
programs, and the inputs of what the import generates or builds (syscall tables,
cpucaps/sysreg, objtool, usr/, *_shipped files, console maps). Besides these, the import records the source-tree files
its own compiles read (asm-offsets.c, bounds.c, vDSO sources and their headers: from the
object tree's .cmd files) by name. Patterns are Bazel globs: `**` any directories, `*`
within one name.
"""

KBUILD_INPUTS = struct(
    include = [
        "**/Makefile*",
        "**/Kbuild*",
        "**/Kconfig*",
        "arch/*/configs/**",
        "kernel/configs/**",
        "localversion*",
        "scripts/**",
        "usr/**",
        "arch/*/tools/**",
        "arch/*/entry/syscalls/**",
        "tools/arch/**",
        "tools/build/**",
        "tools/include/**",
        "tools/lib/subcmd/**",
        "tools/objtool/**",
        "tools/scripts/**",
        "**/*_shipped",
        "**/*.uni",
    ],
    # The dtc include prefixes are symlinks to every architecture's dts directory;
    # tools/testing holds selftests Kbuild never reads.
    exclude = [
        "scripts/dtc/include-prefixes/**",
        "tools/testing/**",
    ],
)
