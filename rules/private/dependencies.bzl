"""WORKSPACE macros: rules_kernel_lto_dependencies() and register_kernel_toolchains()."""

load("//rules/private:kernel_config.bzl", "kernel_config")
load("//rules/private:kernel_source.bzl", "kernel_source_repository")
load("//toolchains/private:boot_tools_repository.bzl", "kernel_boot_tools_repository")
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

# (name, arch, fragments after tinyconfig, LTO imports; "thin" serves thin and thin_dist).
_OUR_KERNELS = [
    # Our own two kernels, behind //:vmlinux and its siblings, in every LTO choice.
    ("linux_arm64", "arm64", ["arm64"], ["none", "thin", "full"]),
    ("linux_x86_64", "x86_64", ["x86_64"], ["none", "thin", "full"]),
    # kCFI (tests/cfi, issue 11): CFI_CLANG, LKDTM, debugfs in every LTO choice, and the same
    # config without CFI (configs/no_cfi.config), `none` only: the initcall reference.
    ("linux_arm64_cfi", "arm64", ["arm64", "arm64_cfi"], ["none", "thin", "full"]),
    ("linux_arm64_cfi_off", "arm64", ["arm64", "arm64_cfi", "no_cfi"], ["none"]),
    ("linux_x86_64_cfi", "x86_64", ["x86_64", "x86_64_cfi"], ["none", "thin", "full"]),
    ("linux_x86_64_cfi_off", "x86_64", ["x86_64", "x86_64_cfi", "no_cfi"], ["none"]),
    # MODVERSIONS (tests/modversions, issue 11 part 3).
    ("linux_x86_64_modv", "x86_64", ["x86_64", "modversions"], ["none", "thin"]),
    # srcversion (tests/srcversion, issue 9 / defconfig-steps 7.4): in-tree modules with
    # MODULE_VERSION (xz_dec.ko of four parts, xz_dec_test.ko).
    ("linux_x86_64_srcv", "x86_64", ["x86_64", "srcversion"], ["none"]),
    # The EFI stub (tests/efi, issue 9): vmlinux links libstub's lib.a (Kbuild's STUBCPY and
    # OBJCOPY objects).
    ("linux_arm64_efi", "arm64", ["arm64", "arm64_efi"], ["none", "thin"]),
    # KVM (tests/kvm, issue 9): vmlinux links the nVHE hypervisor kvm_nvhe.o, a partial link
    # of its own objects (the plan's partial_links: ld -r -T hyp.lds, gen-hyprel, objcopy).
    ("linux_arm64_kvm", "arm64", ["arm64", "arm64_kvm"], ["none", "thin"]),
    # x86_64's EFI stub: libstub's lib.a is linked only into the bzImage's compressed
    # vmlinux (rules/private/kernel_bzimage.bzl).
    ("linux_x86_64_efi", "x86_64", ["x86_64", "x86_64_efi"], ["none"]),
    # Debug information (tests/repro, manual): every compile passes -g, so DW_AT_comp_dir
    # must not name the sandbox (rules/private/actions/debug_info.bzl).
    ("linux_arm64_debug", "arm64", ["arm64", "debug_info"], ["none", "thin"]),
    # arm64 defconfig's LTO corner cases on a tiny kernel (tests/ikconfig, manual): IKCONFIG
    # (kernel/configs.o is bitcode that .incbin's kernel/config_data.gz: the ThinLTO cache's
    # case, tests/thinlto_cache, and thin_dist's backend staging) and a module with a native
    # (perl-made assembly) part. thin (and thin_dist, which uses the thin import).
    ("linux_arm64_ikconfig", "arm64", ["arm64", "ikconfig"], ["thin"]),
    # arm64's compat vDSO (tests/vdso, issue 9): CONFIG_COMPAT with COMPAT_VDSO, whose
    # vdso32/ steps (32-bit compiles, LD32, MUNGE, VDSOSYM) the plan's vdso section holds.
    ("linux_arm64_compat", "arm64", ["arm64", "arm64_compat"], ["none"]),
]

# Config variants of our kernels (kernel_config variants; tests/variants, issue 16 part 3):
# @linux_arm64_printk_time, ... share their base's objects but printk.o's.
_OUR_VARIANTS = {
    "linux_arm64": {"printk_time": ["printk_time"]},
    "linux_x86_64": {"printk_time": ["printk_time"]},
}

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
    _maybe(kernel_boot_tools_repository, "kernel_boot_tools")
    for arch in ["arm64", "x86_64"]:
        _maybe(kernel_busybox_repository, "kernel_busybox_" + arch, arch = arch)

    # Our kernels: tinyconfig + configs/<fragment>.config, one kernel_config each (the
    # imports @NAME_<none|thin|full> and the hub @NAME).
    for name, arch, fragments, lto in _OUR_KERNELS:
        if not native.existing_rule(name):
            kernel_config(
                name = name,
                arch = arch,
                defconfig_target = "tinyconfig",
                fragments = ["@rules_kernel_lto//configs:{}.config".format(f) for f in fragments],
                lto = lto,
                variants = {
                    v: ["@rules_kernel_lto//configs:{}.config".format(f) for f in overlay]
                    for v, overlay in _OUR_VARIANTS.get(name, {}).items()
                },
            )

    # Certificates (tests/certs, issue 9): the system keyring's CERT steps as actions
    # (rules/private/actions/certs.bzl). Its tree is @linux plus a test certificate, which
    # CONFIG_SYSTEM_TRUSTED_KEYS names (configs/certs.config): one CERT step reads a PEM file
    # of the source tree, the other (CONFIG_MODULE_SIG_KEY unset) writes an empty file.
    _maybe(
        kernel_source_repository,
        "linux_certs_src",
        base = "@linux//:Makefile",
        add = {"@rules_kernel_lto//tests/certs:testdata/test_cert.pem": "certs/rkl_test_cert.pem"},
    )
    if not native.existing_rule("linux_x86_64_certs"):
        kernel_config(
            name = "linux_x86_64_certs",
            arch = "x86_64",
            source = "@linux_certs_src//:Makefile",
            defconfig_target = "tinyconfig",
            fragments = ["@rules_kernel_lto//configs:{}.config".format(f) for f in ["x86_64", "certs"]],
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
