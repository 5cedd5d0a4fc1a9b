"""The ld.lld flags every link action of the rules passes first, as a file for tests."""

load("//rules/private/actions:lto.bzl", "lto_actions")

def _ld_safe_flags_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + ".txt")
    ctx.actions.write(out, "\n".join(lto_actions.LD_SAFE_FLAGS) + "\n")
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles([out]))]

ld_safe_flags = rule(
    implementation = _ld_safe_flags_impl,
    doc = "Writes lto_actions.LD_SAFE_FLAGS, one per line.",
)
