"""The KernelCompile wrapper's script as a file, for wrapper_test.sh."""

load("//rules/private/actions:compile.bzl", "compile_script")

def _compile_wrapper_script_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(out, compile_script())
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

compile_wrapper_script = rule(
    implementation = _compile_wrapper_script_impl,
    doc = "Writes the text KernelCompile runs under `sh -c` (rules/private/actions/compile.bzl).",
)
