"""The toolchain's programs by the make variable Kbuild names them with in a plan's commands."""

def kbuild_tools(tc):
    """{"CC": File, "LD": File, ...}: what $(CC), $(LD), ... in a plan step run.

    Args:
      tc: KernelToolchainInfo.

    Returns:
      dict string -> File.
    """
    return {
        "CC": tc.clang,
        "LD": tc.ld_lld,
        "AR": tc.llvm_ar,
        "NM": tc.llvm_nm,
        "OBJCOPY": tc.llvm_objcopy,
        "OBJDUMP": tc.llvm_objdump,
        "READELF": tc.llvm_readelf,
        "STRIP": tc.llvm_strip,
    }

def boot_tools(ctx):
    """The pinned shell and tools tools/boot_step runs commands with (@kernel_boot_tools).

    Args:
      ctx: a rule context with the `_boot_tools` attribute (BOOT_TOOLS_ATTR).

    Returns:
      struct(dir = "--tools_dir" value, files = depset of its files: action inputs).
    """
    files = ctx.attr._boot_tools[DefaultInfo].files
    sh = [f for f in files.to_list() if f.path.endswith("/bin/sh")]
    if len(sh) != 1:
        fail("{}: {} has no single bin/sh".format(ctx.label, ctx.attr._boot_tools.label))
    return struct(dir = sh[0].path[:-len("/bin/sh")], files = files)

# The attribute boot_tools() reads; every rule that emits boot_step actions has it.
BOOT_TOOLS_ATTR = {"_boot_tools": attr.label(default = "@kernel_boot_tools//:files", cfg = "exec")}
