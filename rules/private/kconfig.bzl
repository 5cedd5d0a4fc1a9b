"""kernel_kconfig: `bazel run` menuconfig / olddefconfig / savedefconfig on a kernel_config.

The hub of every kernel_config has the three (`@NAME//:menuconfig`), and so has our main
repository (`//:menuconfig`, by --platforms). Nothing is imported: tools/kconfig_edit
configures the kernel as the import does in a temporary object tree, runs the action and
writes the result back to the user's file (its lib.py says what goes where).
"""

load("//rules/private:launcher.bzl", "in_runfiles", "write_launcher")

def _kernel_kconfig_impl(ctx):
    launcher = ctx.actions.declare_file(ctx.label.name)
    tool = ctx.attr._tool[DefaultInfo].files_to_run.executable

    args = [
        "--action=" + ctx.attr.action,
        "--name=" + ctx.attr.kernel,
        "--arch=" + ctx.attr.arch,
        "--lto=" + ctx.attr.lto,
        "--srctree_file=" + in_runfiles(ctx, ctx.file.srctree),
        "--clang=" + in_runfiles(ctx, ctx.file._clang),
        "--sysroot_file=" + in_runfiles(ctx, ctx.file._sysroot),
    ]
    if ctx.file.defconfig:
        args.append("--defconfig=" + in_runfiles(ctx, ctx.file.defconfig))
    else:
        args.append("--defconfig_target=" + ctx.attr.defconfig_target)
    args += ["--fragment=" + in_runfiles(ctx, f) for f in ctx.files.fragments]
    write_launcher(ctx, launcher, rule = "kernel_kconfig", tool = tool, args = args)
    runfiles = ctx.runfiles(files = [ctx.file.srctree, ctx.file._clang, ctx.file._sysroot, tool] + ctx.files.fragments + ctx.files.defconfig)
    runfiles = runfiles.merge(ctx.attr._tool[DefaultInfo].default_runfiles)
    return [DefaultInfo(executable = launcher, runfiles = runfiles, files = depset([launcher]))]

kernel_kconfig = rule(
    implementation = _kernel_kconfig_impl,
    doc = "`bazel run` menuconfig, olddefconfig or savedefconfig on a kernel_config, written back to its last fragment or defconfig file.",
    executable = True,
    attrs = {
        "action": attr.string(mandatory = True, values = ["menuconfig", "olddefconfig", "savedefconfig"], doc = "The Kconfig target."),
        "kernel": attr.string(mandatory = True, doc = "The kernel_config's name (in messages)."),
        "arch": attr.string(mandatory = True, values = ["arm64", "x86_64"], doc = "Kernel ARCH."),
        "srctree": attr.label(default = "@linux//:Makefile", allow_single_file = True, doc = "The kernel tree's top Makefile."),
        "defconfig_target": attr.string(doc = "The *config target the config starts from."),
        "defconfig": attr.label(allow_single_file = True, doc = "Instead: the defconfig file it starts from (written back when there is no fragment)."),
        "fragments": attr.label_list(allow_files = True, doc = "Fragments in order; the last one is written back."),
        "lto": attr.string(default = "none", values = ["none", "thin", "full"], doc = "The LTO choice applied last (never written back)."),
        "_clang": attr.label(default = "@kernel_llvm//:bin/clang", allow_single_file = True, cfg = "exec"),
        "_sysroot": attr.label(default = "@kernel_sysroot//:WORKSPACE", allow_single_file = True, cfg = "exec"),
        "_tool": attr.label(default = "//tools/kconfig_edit", executable = True, cfg = "exec"),
    },
)

def kernel_kconfig_targets(kernel, arch, source, defconfig_target, defconfig, fragments, lto, **kwargs):
    """:menuconfig, :olddefconfig and :savedefconfig of one kernel_config.

    Args:
      kernel: the kernel_config's name.
      arch: its arch.
      source: its source label.
      defconfig_target: its *config target or None.
      defconfig: its defconfig file label or None.
      fragments: its fragment labels.
      lto: its first LTO choice.
      **kwargs: name prefix ("prefix") and other common attributes.
    """
    prefix = kwargs.pop("prefix", "")
    kwargs.setdefault("visibility", ["//visibility:public"])
    for action in ["menuconfig", "olddefconfig", "savedefconfig"]:
        kernel_kconfig(
            name = prefix + action,
            action = action,
            kernel = kernel,
            arch = arch,
            srctree = source,
            defconfig_target = defconfig_target or "",
            defconfig = defconfig,
            fragments = fragments,
            lto = lto,
            **kwargs
        )
