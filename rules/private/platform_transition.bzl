"""Platform transitions, and kernel_platform_files (builds its srcs for another platform).

A kernel is built once however it is reached. Bazel 4-7 name a transitioned output
directory after the options a transition *changed* (`affected by starlark transition`), so
`--platforms=//platforms:arm64` on the command line and a test that transitions from the
host platform to arm64 would put the same kernel in two directories and build it twice.
Kernel rules therefore carry an incoming transition to their own platform (`own_platform`),
and every route into them first moves the platform away (`to_transit`): the kernel always
lands in the configuration "platforms (and --//:lto) changed, now <arch> (thin_dist)".
"""

# Labels as seen from any repository (the generated kernel repositories too).
_TRANSIT = str(Label("//platforms:transit"))
_LTO = str(Label("//:lto"))

def _impl(settings, attr):
    return {
        "//command_line_option:platforms": str(attr.platform),
        _LTO: getattr(attr, "lto", "") or settings[_LTO],
    }

# To `platform` (and `lto`, if the rule has that attribute and sets it).
to_platform = transition(
    implementation = _impl,
    inputs = [_LTO],
    outputs = ["//command_line_option:platforms", _LTO],
)

# --//:lto too: Bazel 4 names the output directory after command-line build settings as
# well, and a kernel target has its mode fixed (only the front door's select reads the
# flag, before this transition). Both hops change it, so it is always "affected".
def _transit_impl(settings, attr):  # buildifier: disable=unused-variable
    return {"//command_line_option:platforms": _TRANSIT, _LTO: "none"}

to_transit = transition(
    implementation = _transit_impl,
    inputs = [],
    outputs = ["//command_line_option:platforms", _LTO],
)

def _own_platform_impl(settings, attr):  # buildifier: disable=unused-variable
    return {"//command_line_option:platforms": str(attr.platform), _LTO: "thin_dist"}

# As an incoming transition of the kernel rules: their own `platform` attribute.
own_platform = transition(
    implementation = _own_platform_impl,
    inputs = [],
    outputs = ["//command_line_option:platforms", _LTO],
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
    doc = "Forwards the files (and, for one src, the output groups) of srcs built for `platform` (and an LTO mode).",
    attrs = {
        "srcs": attr.label_list(cfg = to_platform, doc = "Targets to build for `platform`."),
        "platform": attr.label(mandatory = True, doc = "The target platform, e.g. //platforms:arm64."),
        "lto": attr.string(values = ["", "thin_dist", "thin", "full", "none"], doc = "--//:lto for srcs (e.g. out-of-tree modules of that mode); default: unchanged."),
        "_allowlist_function_transition": attr.label(default = "@bazel_tools//tools/allowlists/function_transition_allowlist"),
    },
)
