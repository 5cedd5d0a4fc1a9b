"""patched_crc_module: a copy of one module of a kernel_modules target with one `__versions`
CRC changed (tests/modversions/patch_crc.py), for the boot test that the kernel refuses it."""

def _patched_crc_module_impl(ctx):
    found = [f for f in ctx.attr.modules[DefaultInfo].files.to_list() if f.basename == ctx.attr.ko]
    if len(found) != 1:
        fail("{}: {} has {} files named {}; name one .ko of it in `ko`".format(ctx.label, ctx.attr.modules.label, len(found), ctx.attr.ko))
    out = ctx.actions.declare_file(ctx.label.name + "/" + ctx.attr.ko)
    args = ctx.actions.args()
    args.add(found[0], format = "--ko=%s")
    args.add("--symbol=" + ctx.attr.symbol)
    args.add("--xor=" + ctx.attr.xor)
    args.add(out, format = "--out=%s")
    ctx.actions.run(
        executable = ctx.executable._patch_crc,
        arguments = [args],
        inputs = found,
        outputs = [out],
        mnemonic = "KernelPatchCrc",
        progress_message = "Changing the CRC of {} in %{{output}}".format(ctx.attr.symbol),
    )
    return [DefaultInfo(files = depset([out]))]

patched_crc_module = rule(
    implementation = _patched_crc_module_impl,
    doc = "A copy of module `ko` of `modules` whose `__versions` CRC of `symbol` is xor-ed with `xor`.",
    attrs = {
        "modules": attr.label(mandatory = True, doc = "A kernel_modules target (a MODVERSIONS kernel's)."),
        "ko": attr.string(mandatory = True, doc = "The basename of the module to copy (e.g. test_module.ko)."),
        "symbol": attr.string(mandatory = True, doc = "The symbol whose CRC changes (e.g. module_layout)."),
        "xor": attr.string(default = "0x1", doc = "What the CRC is xor-ed with (nonzero, 32 bits)."),
        "_patch_crc": attr.label(default = "//tests/modversions:patch_crc", executable = True, cfg = "exec"),
    },
)
