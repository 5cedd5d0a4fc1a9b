"""kernel_thinlto_binary: a freestanding program built with distributed ThinLTO.

The smallest end-to-end use of the kernel pipeline (compile to bitcode, thin-link,
one backend action per object, final link) on the registered toolchain; the toolchain
smoke tests build it for every target platform.
"""

load("//rules/private:providers.bzl", "KernelLtoInfo")
load("//rules/private/actions:lto.bzl", "lto_actions")

# A string, resolved here: Bazel 4.2.3 resolves `toolchains = [...]` strings against the
# main workspace and refuses Label objects there.
_TOOLCHAIN = str(Label("//toolchains:toolchain_type"))

def _kernel_thinlto_binary_impl(ctx):
    tc = ctx.toolchains[_TOOLCHAIN].kernel
    hdrs = depset(ctx.files.hdrs)
    bitcode = []
    for src in ctx.files.srcs:
        obj = ctx.actions.declare_file("{}.lto/{}.o".format(ctx.label.name, src.basename[:-len(".c")]))
        lto_actions.emit_compile(ctx, tc, src, obj, ctx.attr.copts, hdrs, "thin")
        bitcode.append(obj)
    thinlto = ctx.attr._thinlto[DefaultInfo].files_to_run
    ldflags = ["-static", "-nostdlib", "--build-id=none", "-e", ctx.attr.entry]
    trees = lto_actions.emit_thin_link(ctx, tc, thinlto, bitcode, bitcode, tc.ld_emulation + ldflags)
    natives = []
    for obj, tree in zip(bitcode, trees):
        native = ctx.actions.declare_file(obj.basename[:-len(".o")] + ".native.o", sibling = obj)
        lto_actions.emit_backend(ctx, tc, thinlto, obj, tree, native)
        natives.append(native)
    out = ctx.actions.declare_file(ctx.label.name)
    lto_actions.emit_link(ctx, tc, natives, out, ldflags)
    return [
        DefaultInfo(
            files = depset([out]),
            runfiles = ctx.runfiles(files = bitcode + trees + natives),
        ),
        KernelLtoInfo(bitcode = bitcode, indexes = trees, natives = natives),
        OutputGroupInfo(
            bitcode = depset(bitcode),
            indexes = depset(trees),
            natives = depset(natives),
        ),
    ]

kernel_thinlto_binary = rule(
    implementation = _kernel_thinlto_binary_impl,
    doc = "A freestanding static program linked from C sources with distributed ThinLTO.",
    attrs = {
        "srcs": attr.label_list(allow_files = [".c"], mandatory = True, doc = "C sources, in link order."),
        "hdrs": attr.label_list(allow_files = [".h"], doc = "Headers the sources include."),
        "copts": attr.string_list(doc = "Extra compiler flags."),
        "entry": attr.string(default = "_start", doc = "Entry symbol."),
        "_thinlto": attr.label(default = "//tools/thinlto", executable = True, cfg = "exec"),
    },
    toolchains = [_TOOLCHAIN],
)
