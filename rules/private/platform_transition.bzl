"""kernel_platform_files: builds its srcs for another target platform."""

def _impl(settings, attr):
    return {"//command_line_option:platforms": str(attr.platform)}

to_platform = transition(
    implementation = _impl,
    inputs = [],
    outputs = ["//command_line_option:platforms"],
)

def _kernel_platform_files_impl(ctx):
    files = depset(transitive = [s[DefaultInfo].files for s in ctx.attr.srcs])
    runfiles = ctx.runfiles(transitive_files = files)
    for s in ctx.attr.srcs:
        runfiles = runfiles.merge(s[DefaultInfo].default_runfiles)
    providers = [DefaultInfo(files = files, runfiles = runfiles)]
    if len(ctx.attr.srcs) == 1 and OutputGroupInfo in ctx.attr.srcs[0]:
        providers.append(ctx.attr.srcs[0][OutputGroupInfo])
    return providers

kernel_platform_files = rule(
    implementation = _kernel_platform_files_impl,
    doc = "Forwards the files (and, for one src, the output groups) of srcs built for `platform`.",
    attrs = {
        "srcs": attr.label_list(cfg = to_platform, doc = "Targets to build for `platform`."),
        "platform": attr.label(mandatory = True, doc = "The target platform, e.g. //platforms:arm64."),
        "_allowlist_function_transition": attr.label(default = "@bazel_tools//tools/allowlists/function_transition_allowlist"),
    },
)
