"""The --//:lto build setting."""

LTO_MODES = ["thin_dist", "thin", "full", "none"]

def _kernel_lto_flag_impl(ctx):
    if ctx.build_setting_value not in LTO_MODES:
        fail("--{}={}: not an LTO mode; use one of {}".format(ctx.label, ctx.build_setting_value, ", ".join(LTO_MODES)))
    return []

kernel_lto_flag = rule(
    implementation = _kernel_lto_flag_impl,
    doc = "The kernel's LTO link mode: thin_dist (default), thin, full or none.",
    build_setting = config.string(flag = True),
)

def kernel_front_door(name, kernels):
    """//:vmlinux and siblings, selected by target platform and --//:lto.

    Args:
      name: name of the main alias (the kernel_vmlinux target: vmlinux, System.map, Image).
      kernels: dict "arch/mode" -> label of a kernel_vmlinux target.
    """
    cpus = {"arm64": "@platforms//cpu:aarch64", "x86_64": "@platforms//cpu:x86_64"}
    choices = {}
    for key, label in kernels.items():
        arch, mode = key.split("/")
        setting = "_{}_{}".format(arch, mode)
        native.config_setting(
            name = setting,
            constraint_values = [cpus[arch]],
            flag_values = {":lto": mode},
        )
        choices[":" + setting] = label
    # Manual: `bazel test //...` must not import and build every kernel; name them.
    native.alias(
        name = name,
        actual = select(choices, no_match_error = "//:{} needs --platforms=//platforms:arm64 or //platforms:x86_64".format(name)),
        tags = ["manual"],
    )
    for group in ["image", "system_map", "vmlinux_o"]:
        native.filegroup(name = group, srcs = [":" + name], output_group = group, tags = ["manual"])
