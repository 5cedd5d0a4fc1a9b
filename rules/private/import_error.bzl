"""kernel_import_error: what a Kbuild import repository holds when the config was refused."""

def _kernel_import_error_impl(ctx):
    # A fetch that fails is printed three times by Bazel 4.2 (the fetch, the repository, the
    # dependent target), each with a Starlark traceback; the same line from analysis once.
    fail(ctx.attr.message)

kernel_import_error = rule(
    implementation = _kernel_import_error_impl,
    doc = "Fails analysis with `message`: the import of this repository refused its config.",
    attrs = {
        "message": attr.string(mandatory = True, doc = "The import's one-line error."),
    },
)
