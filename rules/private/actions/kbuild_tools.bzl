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
