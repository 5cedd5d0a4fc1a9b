"""The --//:lto build setting and the front door (//:vmlinux and siblings)."""

load("//rules/private:platform_transition.bzl", "to_transit")
load("//rules/private:providers.bzl", "KernelModulesInfo")

LTO_MODES = ["thin_dist", "thin", "full", "none"]

# The --//:lto setting, named so that it means this repository's flag from any repository's
# BUILD file ("@//:lto" in our own workspace, "@rules_kernel_lto//:lto" in a user's: a bare
# "//:lto" would name a target of the calling repository).
_LTO_FLAG = "@{}//:lto".format(Label("//:lto").workspace_name)
_IS_TRANSIT = "@{}//platforms:is_transit".format(Label("//:lto").workspace_name)

def _kernel_lto_flag_impl(ctx):
    if ctx.build_setting_value not in LTO_MODES:
        fail("--{}={}: not an LTO mode; use one of {}".format(ctx.label, ctx.build_setting_value, ", ".join(LTO_MODES)))
    return []

kernel_lto_flag = rule(
    implementation = _kernel_lto_flag_impl,
    doc = "The kernel's LTO link mode: thin_dist (default), thin, full or none.",
    build_setting = config.string(flag = True),
)

KernelConfigSlicesInfo = provider(
    doc = "The --//:config_slices setting (rules/private/actions/config_slice.bzl).",
    fields = {"mode": "string: min or exact."},
)

CONFIG_SLICE_MODES = ["min", "exact"]

def _kernel_config_slices_flag_impl(ctx):
    if ctx.build_setting_value not in CONFIG_SLICE_MODES:
        fail("--{}={}: use one of {}".format(ctx.label, ctx.build_setting_value, ", ".join(CONFIG_SLICE_MODES)))
    return [KernelConfigSlicesInfo(mode = ctx.build_setting_value)]

kernel_config_slices_flag = rule(
    implementation = _kernel_config_slices_flag_impl,
    doc = """What each compile reads of autoconf.h: `min` (default) its config footprint's
lines, so a config change recompiles only the objects that mention a changed symbol
(Kbuild's fixdep); `exact` the same lines padded to autoconf.h's size, so ThinLTO bitcode
(inline asm source locations, hence module hashes and `.llvm.<hash>` names) is identical
to a clean Kbuild build's, at the price of recompiling everything when autoconf.h's size
changes. `exact` also leaves out the toolchain's srcloc plugin (actions/lto.bzl), which
drops those locations from bitcode. Native code is the same in both.""",
    build_setting = config.string(flag = True),
)

def _kernel_front_impl(ctx):
    kernel = ctx.attr.kernel
    kernel = kernel[0] if type(kernel) == "list" else kernel
    providers = [DefaultInfo(files = kernel[DefaultInfo].files)]
    if OutputGroupInfo in kernel:
        providers.append(kernel[OutputGroupInfo])
    if KernelModulesInfo in kernel:
        providers.append(kernel[KernelModulesInfo])
    return providers

_kernel_front = rule(
    implementation = _kernel_front_impl,
    doc = "Forwards a kernel_vmlinux or kernel_modules target's files, output groups and KernelModulesInfo, reached via to_transit.",
    attrs = {
        # to_transit + the kernel's own incoming transition: the kernel is built in the same
        # directory as when a boot test reaches it (see platform_transition.bzl).
        "kernel": attr.label(mandatory = True, cfg = to_transit),
        "_allowlist_function_transition": attr.label(default = "@bazel_tools//tools/allowlists/function_transition_allowlist"),
    },
)

def front_door_error(target, keys):
    """The no-match error of a front door: which --platforms and --lto values it serves.

    Args:
      target: how to name the front door in the message.
      keys: its "arch/mode" keys.

    Returns:
      One line.
    """
    arches = sorted({k.split("/")[0]: True for k in keys})
    modes = [m for m in LTO_MODES if [k for k in keys if k.endswith("/" + m)]]
    return "{} is built for --platforms={} with --@rules_kernel_lto//:lto={} (the LTO modes imported for it); got another platform or mode".format(
        target,
        " or ".join(["@rules_kernel_lto//platforms:" + a for a in arches]),
        "|".join(modes),
    )

def _kernel_front_misuse_impl(ctx):
    fail(ctx.attr.message)

_kernel_front_misuse = rule(
    implementation = _kernel_front_misuse_impl,
    doc = "Fails analysis with `message`: a front door reached through a kernel rule's transition.",
    attrs = {"message": attr.string(mandatory = True)},
)

def misuse_error(target, hub):
    """The error of a front door given to a rule that builds a kernel for its own platform.

    Such a rule (kernel_boot_test, kernel_initcalls: `kernel` moves the platform away first,
    platform_transition.bzl) reaches the front door where --platforms and --//:lto are gone.

    Args:
      target: how to name the front door.
      hub: the hub repository ("@my_kernel") whose kernels.bzl selects before the
        transition, or "" for our own //:vmlinux.

    Returns:
      One line.
    """
    if hub:
        fix = "load(\"{}//:kernels.bzl\", \"vmlinux\") and give kernel = vmlinux() (selected by --platforms and --@rules_kernel_lto//:lto before the transition), or one mode's kernel such as {}_thin//:thin_dist".format(hub, hub)
    else:
        fix = "give one mode's kernel, e.g. @linux_arm64_thin//:thin_dist, or a select() on --//:lto in your BUILD file"
    return "{} cannot be the kernel of a rule that builds it for its own platform (kernel_boot_test, kernel_initcalls): {}".format(target, fix)

def _transit_branch(name, target, hub):
    """The front door's select branch for the transit platform (a target that fails with misuse_error)."""
    misuse = "_{}_misuse".format(name)
    _kernel_front_misuse(name = misuse, message = misuse_error(target, hub), tags = ["manual"])
    return {_IS_TRANSIT: ":" + misuse}

def kernel_front_door(name, kernels, groups = ["image", "system_map", "vmlinux_o"], what = None):
    """//:vmlinux (or //:modules) and siblings, selected by target platform and --//:lto.

    Args:
      name: name of the main target (forwards the kernel_vmlinux or kernel_modules target).
      kernels: dict "arch/mode" -> label of a kernel_vmlinux (kernel_modules) target.
      groups: output groups that get a filegroup of their own (//:image, ...).
      what: the repository errors name the front door by ("@my_kernel"; default: main).
    """
    cpus = {"arm64": "@platforms//cpu:aarch64", "x86_64": "@platforms//cpu:x86_64"}
    choices = {}
    for key, label in kernels.items():
        arch, mode = key.split("/")
        setting = "_{}_{}_{}".format(name, arch, mode)
        native.config_setting(
            name = setting,
            constraint_values = [cpus[arch]],
            flag_values = {_LTO_FLAG: mode},
            # A hub's kernels.bzl selects on them from the user's BUILD files.
            visibility = ["//visibility:public"],
        )
        choices[":" + setting] = label
    target = "{}//:{}".format(what or "", name)
    choices.update(_transit_branch(name, target, what or ""))

    # Manual: `bazel test //...` must not import and build every kernel; name them.
    _kernel_front(
        name = name,
        kernel = select(choices, no_match_error = front_door_error(target, kernels.keys())),
        tags = ["manual"],
        visibility = ["//visibility:public"],
    )
    for group in groups:
        native.filegroup(name = group, srcs = [":" + name], output_group = group, tags = ["manual"], visibility = ["//visibility:public"])

def kernel_front_alias(name, targets, what = None):
    """An alias picked by target platform (and --//:lto): //:compile_commands, //:menuconfig.

    Args:
      name: the alias.
      targets: dict "arch/mode" (or "arch" alone: any mode) -> label.
      what: the repository errors name the alias by ("@my_kernel"; default: main).
    """
    cpus = {"arm64": "@platforms//cpu:aarch64", "x86_64": "@platforms//cpu:x86_64"}
    choices = {}
    for key, label in targets.items():
        arch, _, mode = key.partition("/")
        setting = "_{}_{}_{}".format(name, arch, mode or "any")
        native.config_setting(
            name = setting,
            constraint_values = [cpus[arch]],
            flag_values = {_LTO_FLAG: mode} if mode else {},
        )
        choices[":" + setting] = label
    if [k for k in targets if "/" in k]:
        error = front_door_error("{}//:{}".format(what or "", name), targets.keys())
    else:
        error = "{}//:{} is for --platforms={}; got another platform".format(
            what or "",
            name,
            " or ".join(["@rules_kernel_lto//platforms:" + a for a in sorted(targets)]),
        )
    native.alias(
        name = name,
        actual = select(choices, no_match_error = error),
        tags = ["manual"],
        visibility = ["//visibility:public"],
    )
