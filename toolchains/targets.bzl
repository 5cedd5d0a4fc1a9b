"""The table of supported kernel target cpus, and the toolchains generated from it."""

load("//toolchains/private:plugin.bzl", "kernel_llvm_plugin")
load(":toolchain.bzl", "kernel_clang_toolchain")

KERNEL_TARGETS = {
    "arm64": struct(
        cpu = "@platforms//cpu:aarch64",
        triple = "aarch64-linux-gnu",
        elf_machine = "EM_AARCH64",
        ld_emulation = ["-EL", "-maarch64elf"],
    ),
    "x86_64": struct(
        cpu = "@platforms//cpu:x86_64",
        triple = "x86_64-linux-gnu",
        elf_machine = "EM_X86_64",
        ld_emulation = ["-m", "elf_x86_64"],
    ),
}

def kernel_toolchains(llvm = "@kernel_llvm", sysroot = "@kernel_sysroot"):
    """One kernel_clang_toolchain + toolchain() per KERNEL_TARGETS entry.

    The exec platform is always linux/x86_64: the hermetic LLVM is built for it.
    """

    # One pass plugin for every target (it runs in clang, on the exec platform).
    kernel_llvm_plugin(
        name = "srcloc_plugin",
        src = Label("//toolchains/plugin:strip_srcloc.cc"),
        clang = llvm + "//:bin/clang",
        llvm = llvm + "//:all_files",
        sdk = llvm + "//:plugin_sdk",
        sysroot = sysroot + "//:all_files",
    )
    for arch, t in KERNEL_TARGETS.items():
        kernel_clang_toolchain(
            name = "clang_" + arch,
            all_files = llvm + "//:all_files",
            arch = arch,
            builtin_headers = llvm + "//:builtin_headers",
            clang = llvm + "//:bin/clang",
            elf_machine = t.elf_machine,
            host_sysroot = sysroot + "//:all_files",
            ld_emulation = t.ld_emulation,
            ld_lld = llvm + "//:bin/ld.lld",
            llvm_ar = llvm + "//:bin/llvm-ar",
            llvm_nm = llvm + "//:bin/llvm-nm",
            llvm_objcopy = llvm + "//:bin/llvm-objcopy",
            llvm_objdump = llvm + "//:bin/llvm-objdump",
            llvm_readelf = llvm + "//:bin/llvm-readelf",
            llvm_strip = llvm + "//:bin/llvm-strip",
            srcloc_plugin = ":srcloc_plugin",
            target_triple = t.triple,
        )
        native.toolchain(
            name = arch,
            exec_compatible_with = [
                "@platforms//os:linux",
                "@platforms//cpu:x86_64",
            ],
            target_compatible_with = [
                "@platforms//os:linux",
                t.cpu,
            ],
            toolchain = ":clang_" + arch,
            toolchain_type = ":toolchain_type",
        )
