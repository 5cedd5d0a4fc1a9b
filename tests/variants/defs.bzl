"""kernel_objects_group: one output group of a kernel's objects target, built where the kernel is.

A test that names @linux_<arch>_<lto>//:objects directly would build it in another
configuration than the boot tests' kernels (rules/private/platform_transition.bzl), and a
config variant's share check would compile its base's objects a second time.
"""

load("//rules/private:platform_transition.bzl", "to_transit")

def _impl(ctx):
    objects = ctx.attr.objects[0]
    return [DefaultInfo(files = getattr(objects[OutputGroupInfo], ctx.attr.group))]

kernel_objects_group = rule(
    implementation = _impl,
    doc = "The files of one output group of a kernel_objects target, reached as the kernel rules reach it.",
    attrs = {
        "objects": attr.label(mandatory = True, cfg = to_transit, doc = "A kernel_objects target (@NAME_<lto>//:objects)."),
        "group": attr.string(mandatory = True, doc = "The output group (share_check, share_check_sample, ...)."),
        "_allowlist_function_transition": attr.label(default = "@bazel_tools//tools/allowlists/function_transition_allowlist"),
    },
)
