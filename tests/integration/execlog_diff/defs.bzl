"""A path-dependent repository and tiny shell actions for tests/integration/execlog_diff."""

def _path_dependent_repository_impl(rctx):
    # Deliberately not hermetic: the repository's absolute path is under the output base.
    rctx.file("where.txt", str(rctx.path(".")) + "\n")
    rctx.file("BUILD.bazel", 'exports_files(["where.txt"])\n')

path_dependent_repository = repository_rule(
    implementation = _path_dependent_repository_impl,
    doc = "A repository whose where.txt holds its own absolute path.",
)

def _shell_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + ".txt")
    ctx.actions.run_shell(
        inputs = ctx.files.srcs,
        outputs = [out],
        command = ctx.attr.command,
        arguments = [out.path] + [f.path for f in ctx.files.srcs],
        mnemonic = ctx.attr.mnemonic,
        progress_message = "Running %s for %s" % (ctx.attr.mnemonic, ctx.label),
    )
    return [DefaultInfo(files = depset([out]))]

shell = rule(
    implementation = _shell_impl,
    doc = "One run_shell action: `command` with $1 = the output NAME.txt, then `srcs`.",
    attrs = {
        "srcs": attr.label_list(allow_files = True, doc = "Inputs, passed as $2...."),
        "command": attr.string(mandatory = True, doc = "Shell command."),
        "mnemonic": attr.string(mandatory = True, doc = "The action's mnemonic."),
    },
)
