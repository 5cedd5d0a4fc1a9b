"""WORKSPACE macros: rules_kernel_lto_dependencies() and register_kernel_toolchains()."""

load("//rules/private:kernel_config.bzl", "kernel_config")
load("//rules/private:kernel_source.bzl", "kernel_source_repository")
load("//toolchains/private:busybox_repository.bzl", "kernel_busybox_repository")
load("//toolchains/private:kmod_repository.bzl", "kernel_kmod_repository")
load("//toolchains/private:qemu_repository.bzl", "kernel_qemu_repository")
load(
    "//toolchains/private:repositories.bzl",
    "debian_skylib_repository",
    "kernel_llvm_repository",
    "kernel_py_wheels_repository",
    "kernel_python_repository",
    "kernel_sysroot_repository",
    "offline_shim_repository",
)

def _maybe(rule, name, **kwargs):
    if not native.existing_rule(name):
        rule(name = name, **kwargs)

def rules_kernel_lto_dependencies(
        llvm_source = "debian",
        llvm_urls = [],
        llvm_sha256 = "",
        llvm_strip_prefix = "",
        llvm_path = ""):
    """Declares the repositories rules_kernel_lto needs. Call once from WORKSPACE.

    Args:
      llvm_source: "debian" (pinned Debian packages, the default), "archive" (an LLVM
        release archive: llvm_urls + llvm_sha256 [+ llvm_strip_prefix]) or "local"
        (an installed LLVM 19 prefix: llvm_path, version-checked).
      llvm_urls: archive URLs (llvm_source = "archive").
      llvm_sha256: archive sha256 (llvm_source = "archive").
      llvm_strip_prefix: top directory of the archive (llvm_source = "archive").
      llvm_path: LLVM prefix such as /usr/lib/llvm-19 (llvm_source = "local").
    """
    _maybe(offline_shim_repository, "rules_cc", kind = "rules_cc")
    _maybe(offline_shim_repository, "rules_java", kind = "rules_java")
    _maybe(offline_shim_repository, "remote_coverage_tools", kind = "remote_coverage_tools")
    _maybe(debian_skylib_repository, "bazel_skylib")
    _maybe(kernel_python_repository, "kernel_python")
    _maybe(kernel_py_wheels_repository, "kernel_py_wheels")
    _maybe(kernel_sysroot_repository, "kernel_sysroot")
    _maybe(kernel_source_repository, "linux")
    _maybe(kernel_qemu_repository, "kernel_qemu")
    _maybe(kernel_kmod_repository, "kernel_kmod")
    for arch in ["arm64", "x86_64"]:
        _maybe(kernel_busybox_repository, "kernel_busybox_" + arch, arch = arch)

    # Our own two kernels (tinyconfig + configs/<arch>.config, every LTO choice): the
    # imports @linux_<arch>_<none|thin|full> behind //:vmlinux, and the hubs @linux_<arch>.
    for arch in ["arm64", "x86_64"]:
        if not native.existing_rule("linux_" + arch):
            kernel_config(
                name = "linux_" + arch,
                arch = arch,
                defconfig_target = "tinyconfig",
                fragments = ["@rules_kernel_lto//configs:{}.config".format(arch)],
                lto = ["none", "thin", "full"],
            )

    # kCFI variants of them (tests/cfi, issue 11): + configs/<arch>_cfi.config (CFI_CLANG,
    # LKDTM, debugfs) in every LTO choice, and the same config without CFI
    # (+ configs/no_cfi.config), `none` only: the initcall reference of the CFI boots.
    for arch in ["arm64", "x86_64"]:
        for suffix, extra, lto in [
            ("_cfi", [], ["none", "thin", "full"]),
            ("_cfi_off", ["no_cfi"], ["none"]),
        ]:
            if not native.existing_rule("linux_" + arch + suffix):
                kernel_config(
                    name = "linux_" + arch + suffix,
                    arch = arch,
                    defconfig_target = "tinyconfig",
                    fragments = ["@rules_kernel_lto//configs:{}.config".format(f) for f in [arch, arch + "_cfi"] + extra],
                    lto = lto,
                )

    # The MODVERSIONS variant (tests/modversions, issue 11 part 3): tiny x86_64 +
    # configs/modversions.config; `none` and `thin` (serves thin and thin_dist).
    if not native.existing_rule("linux_x86_64_modv"):
        kernel_config(
            name = "linux_x86_64_modv",
            arch = "x86_64",
            defconfig_target = "tinyconfig",
            fragments = ["@rules_kernel_lto//configs:{}.config".format(f) for f in ["x86_64", "modversions"]],
            lto = ["none", "thin"],
        )

    # The EFI stub variant (tests/efi, issue 9): tiny arm64 + configs/arm64_efi.config; its
    # vmlinux links libstub's lib.a (28 kinds of Kbuild STUBCPY/OBJCOPY objects in defconfig).
    if not native.existing_rule("linux_arm64_efi"):
        kernel_config(
            name = "linux_arm64_efi",
            arch = "arm64",
            defconfig_target = "tinyconfig",
            fragments = ["@rules_kernel_lto//configs:{}.config".format(f) for f in ["arm64", "arm64_efi"]],
            lto = ["none", "thin"],
        )

    # The KVM variant (tests/kvm, issue 9): tiny arm64 + configs/arm64_kvm.config; vmlinux
    # links KVM's nVHE hypervisor, kvm_nvhe.o, a partial link of its own objects (the plan's
    # partial_links: ld -r -T hyp.lds, gen-hyprel, objcopy --prefix-symbols).
    if not native.existing_rule("linux_arm64_kvm"):
        kernel_config(
            name = "linux_arm64_kvm",
            arch = "arm64",
            defconfig_target = "tinyconfig",
            fragments = ["@rules_kernel_lto//configs:{}.config".format(f) for f in ["arm64", "arm64_kvm"]],
            lto = ["none", "thin"],
        )

    # Debug information (tests/repro, manual): tiny arm64 + configs/debug_info.config; every
    # compile passes -g, so DW_AT_comp_dir must not name the sandbox. `none` and `thin`.
    if not native.existing_rule("linux_arm64_debug"):
        kernel_config(
            name = "linux_arm64_debug",
            arch = "arm64",
            defconfig_target = "tinyconfig",
            fragments = ["@rules_kernel_lto//configs:{}.config".format(f) for f in ["arm64", "debug_info"]],
            lto = ["none", "thin"],
        )

    # x86_64's: tiny x86_64 + configs/x86_64_efi.config; libstub's lib.a is linked only into
    # the bzImage's compressed vmlinux (rules/private/kernel_bzimage.bzl). `none` only.
    if not native.existing_rule("linux_x86_64_efi"):
        kernel_config(
            name = "linux_x86_64_efi",
            arch = "x86_64",
            defconfig_target = "tinyconfig",
            fragments = ["@rules_kernel_lto//configs:{}.config".format(f) for f in ["x86_64", "x86_64_efi"]],
            lto = ["none"],
        )
    _maybe(
        kernel_llvm_repository,
        "kernel_llvm",
        source = llvm_source,
        urls = llvm_urls,
        sha256 = llvm_sha256,
        strip_prefix = llvm_strip_prefix,
        path = llvm_path,
    )

def register_kernel_toolchains():
    """Registers one kernel toolchain per supported target cpu (arm64, x86_64)."""
    native.register_toolchains("@rules_kernel_lto//toolchains:all")
