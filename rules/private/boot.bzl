"""kernel_boot: `bazel run` boots a kernel in the pinned QEMU, on the terminal.

    bazel run //:boot --platforms=//platforms:arm64 [-- --append='...' --initrd=PATH --drive=PATH]
    bazel run @my_kernel//:boot --platforms=@rules_kernel_lto//platforms:x86_64

The kernel's boot image (arm64 Image, x86_64 bzImage) boots with an initramfs of busybox
and every module of the kernel (kernel_initramfs with shell = True: it insmods them, then
starts a login shell on the serial console). tools/boot (boot.py) has the flags. The
launcher finds QEMU, the kernel and the initramfs through its runfiles (bazel-runfiles in
tools/boot), so it also runs from another target's runfiles (tests/daily).
"""

load("//rules/private:initramfs.bzl", "KernelInitramfsInfo", "kernel_initramfs")
load("//rules/private:launcher.bzl", "runfiles_path", "write_launcher")

def _kernel_boot_impl(ctx):
    arch = ctx.attr.arch
    groups = ctx.attr.kernel[OutputGroupInfo] if OutputGroupInfo in ctx.attr.kernel else None
    images = groups.image.to_list() if groups and hasattr(groups, "image") else []
    if len(images) != 1:
        fail("{}: {} has no single boot image (output group `image`); give a kernel_vmlinux or front door (//:vmlinux, @NAME//:vmlinux)".format(ctx.label, ctx.attr.kernel.label))
    image = images[0]
    info = ctx.attr.initramfs[KernelInitramfsInfo]
    if info.arch != arch:
        fail("{}: initramfs {} is for {}, the kernel for {}".format(ctx.label, ctx.attr.initramfs.label, info.arch, arch))
    qemu = {"arm64": ctx.file._qemu_arm64, "x86_64": ctx.file._qemu_x86_64}[arch]
    tool = ctx.attr._boot[DefaultInfo]
    launcher = ctx.actions.declare_file(ctx.label.name + ".sh")
    write_launcher(
        ctx,
        launcher,
        rule = "kernel_boot",
        tool = ctx.executable._boot,
        usage = "bazel run {} [-- --append='ARGS' --initrd=PATH --drive=PATH --qemu_arg=ARG --print_command]".format(ctx.label),
        args = [
            "--qemu=" + runfiles_path(ctx, qemu),
            "--arch=" + arch,
            "--kernel=" + runfiles_path(ctx, image),
            "--initramfs=" + runfiles_path(ctx, info.archive),
        ],
    )
    runfiles = ctx.runfiles(
        files = [launcher, qemu, image, info.archive],
        transitive_files = ctx.attr._qemu_files[DefaultInfo].files,
    ).merge(tool.default_runfiles)
    return [DefaultInfo(executable = launcher, files = depset([launcher]), runfiles = runfiles)]

kernel_boot_rule = rule(
    implementation = _kernel_boot_impl,
    doc = "An executable that boots `kernel` with `initramfs` in the pinned QEMU on the terminal (`bazel run`).",
    executable = True,
    attrs = {
        "kernel": attr.label(mandatory = True, doc = "A kernel front door (//:vmlinux, @NAME//:vmlinux): its `image` output group boots."),
        "arch": attr.string(mandatory = True, values = ["arm64", "x86_64"], doc = "Guest architecture."),
        "initramfs": attr.label(mandatory = True, providers = [KernelInitramfsInfo], doc = "The default initramfs (a kernel_initramfs with shell = True)."),
        "_boot": attr.label(default = "//tools/boot", executable = True, cfg = "exec"),
        "_qemu_arm64": attr.label(default = "@kernel_qemu//:bin/qemu-system-aarch64", allow_single_file = True, cfg = "exec"),
        "_qemu_x86_64": attr.label(default = "@kernel_qemu//:bin/qemu-system-x86_64", allow_single_file = True, cfg = "exec"),
        "_qemu_files": attr.label(default = "@kernel_qemu//:files", cfg = "exec"),
    },
)

def kernel_boot(name, arch, kernel, modules, **kwargs):
    """NAME (`bazel run`: boot on the terminal) and NAME_initramfs (busybox + every module).

    Args:
      name: the executable's name ("boot").
      arch: "arm64" or "x86_64" (or a select()).
      kernel: the kernel front door (":vmlinux").
      modules: its modules front door (":modules").
      **kwargs: tags, visibility.
    """
    kernel_initramfs(
        name = name + "_initramfs",
        arch = arch,
        modules = [modules],
        shell = True,
        **kwargs
    )
    kernel_boot_rule(
        name = name,
        arch = arch,
        kernel = kernel,
        initramfs = ":" + name + "_initramfs",
        **kwargs
    )
