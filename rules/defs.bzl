"""rules_kernel_lto public API. Load everything from here; rules/private/ may change."""

load("//rules/private:boot.bzl", _kernel_boot = "kernel_boot")
load("//rules/private:compile_commands.bzl", _kernel_compile_commands = "kernel_compile_commands")
load("//rules/private:dependencies.bzl", _register_kernel_toolchains = "register_kernel_toolchains", _rules_kernel_lto_dependencies = "rules_kernel_lto_dependencies")
load("//rules/private:dist.bzl", _kernel_dist = "kernel_dist")
load("//rules/private:flags.bzl", _kernel_front_alias = "kernel_front_alias", _kernel_front_door = "kernel_front_door")
load("//rules/private:initramfs.bzl", _kernel_initramfs = "kernel_initramfs")
load("//rules/private:kconfig.bzl", _kernel_kconfig = "kernel_kconfig", _kernel_kconfig_targets = "kernel_kconfig_targets")
load("//rules/private:kernel_config.bzl", _kernel_config = "kernel_config")
load("//rules/private:kernel_module.bzl", _kernel_module = "kernel_module")
load("//rules/private:kernel_modules.bzl", _kernel_modules = "kernel_modules")
load("//rules/private:kernel_objects.bzl", _kernel_objects = "kernel_objects")
load("//rules/private:kernel_vmlinux.bzl", _kernel_vmlinux = "kernel_vmlinux")
load("//rules/private:platform_transition.bzl", _kernel_platform_files = "kernel_platform_files")
load("//rules/private:providers.bzl", _KernelLtoInfo = "KernelLtoInfo", _KernelModuleInfo = "KernelModuleInfo", _KernelModulesInfo = "KernelModulesInfo", _KernelObjectsInfo = "KernelObjectsInfo")
load("//rules/private:py_tool.bzl", _py_tool = "py_tool", _py_tool_test = "py_tool_test")
load("//rules/private:qemu.bzl", _kernel_boot_test = "kernel_boot_test", _kernel_initcalls = "kernel_initcalls")
load("//rules/private:thinlto_binary.bzl", _kernel_thinlto_binary = "kernel_thinlto_binary")
load("//toolchains:toolchain.bzl", _KernelToolchainInfo = "KernelToolchainInfo")

# WORKSPACE macros.
rules_kernel_lto_dependencies = _rules_kernel_lto_dependencies
register_kernel_toolchains = _register_kernel_toolchains
kernel_config = _kernel_config

# Macros for BUILD files.
kernel_front_door = _kernel_front_door
kernel_front_alias = _kernel_front_alias
kernel_kconfig_targets = _kernel_kconfig_targets

# Rules.
kernel_thinlto_binary = _kernel_thinlto_binary
kernel_compile_commands = _kernel_compile_commands
kernel_kconfig = _kernel_kconfig
kernel_objects = _kernel_objects
kernel_vmlinux = _kernel_vmlinux
kernel_modules = _kernel_modules
kernel_module = _kernel_module
kernel_boot_test = _kernel_boot_test
kernel_boot = _kernel_boot
kernel_dist = _kernel_dist
kernel_initcalls = _kernel_initcalls
kernel_initramfs = _kernel_initramfs
kernel_platform_files = _kernel_platform_files
py_tool = _py_tool
py_tool_test = _py_tool_test

# Providers.
KernelToolchainInfo = _KernelToolchainInfo
KernelLtoInfo = _KernelLtoInfo
KernelObjectsInfo = _KernelObjectsInfo
KernelModulesInfo = _KernelModulesInfo
KernelModuleInfo = _KernelModuleInfo
