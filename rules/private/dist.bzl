"""kernel_dist: `bazel run` copies a kernel's outputs, a modules_install tree and a manifest.

    bazel run //:dist --platforms=//platforms:arm64 -- --dist_dir=out/dist
    bazel run @my_kernel//:dist --platforms=@rules_kernel_lto//platforms:x86_64 -- --dist_dir=out

The KernelDist action (tools/dist/stage.py) lays out the dist directory once, as a tree
artifact (cached like every action): vmlinux, the boot image, System.map, .config, the
boot initramfs, the modules with modules.order, Module.symvers, modules.builtin*, and
modules_install/lib/modules/<release>/ with the files the pinned kmod's depmod writes;
MANIFEST lists every file's sha256. The executable (tools/dist/dist.py) copies it to
--dist_dir (relative: to the user's workspace).
"""

load("//rules/private:initramfs.bzl", "KernelInitramfsInfo")
load("//rules/private:launcher.bzl", "runfiles_path", "write_launcher")
load("//rules/private:providers.bzl", "KernelModulesInfo")

def _one(ctx, files, what):
    if len(files) != 1:
        fail("{}: want one {}, found {}".format(ctx.label, what, len(files)))
    return files[0]

def _objtree_file(ctx, suffix):
    found = [f for f in ctx.files.objtree if f.path.endswith("/obj/" + suffix)]
    return _one(ctx, found, "obj/{} in {}".format(suffix, ctx.attr.objtree.label))

def _kernel_dist_impl(ctx):
    groups = ctx.attr.kernel[OutputGroupInfo]
    vmlinux = _one(ctx, groups.vmlinux.to_list(), "vmlinux")
    system_map = _one(ctx, groups.system_map.to_list(), "System.map")
    image = _one(ctx, groups.image.to_list(), "boot image") if hasattr(groups, "image") else None
    config = _objtree_file(ctx, ".config")
    release = _objtree_file(ctx, "include/config/kernel.release")
    initramfs = ctx.attr.initramfs[KernelInitramfsInfo].archive
    mods = ctx.attr.modules[KernelModulesInfo]
    by_name = {f.basename: f for f in ctx.attr.modules[DefaultInfo].files.to_list() if f.extension != "ko"}
    kos = [mods.kos[k] for k in mods.order]
    depmod = ctx.executable._depmod

    out = ctx.actions.declare_directory(ctx.label.name + "_tree")
    args = ctx.actions.args()
    args.set_param_file_format("multiline")
    args.use_param_file("--flagfile=%s", use_always = True)
    args.add(out.path, format = "--out=%s")
    args.add(release, format = "--release_file=%s")
    args.add(system_map, format = "--system_map=%s")
    args.add(vmlinux, format = "--file=vmlinux=%s")
    if image:
        args.add(image, format = "--file=" + image.basename + "=%s")
    args.add(config, format = "--file=.config=%s")
    args.add(initramfs, format = "--file=initramfs.cpio=%s")
    args.add(mods.symvers, format = "--file=Module.symvers=%s")
    inputs = [vmlinux, system_map, config, release, initramfs, mods.symvers] + kos + ([image] if image else [])
    for name, flag in [("modules.order", "--order=%s"), ("modules.builtin", "--builtin=%s"), ("modules.builtin.modinfo", "--builtin_modinfo=%s")]:
        f = by_name.get(name)
        if not f:
            fail("{}: {} has no {}".format(ctx.label, ctx.attr.modules.label, name))
        args.add(f, format = flag)
        inputs.append(f)
    for path in mods.order:
        args.add(mods.kos[path], format = "--ko=" + path + "=%s")
    args.add(depmod, format = "--depmod=%s")
    ctx.actions.run(
        executable = ctx.executable._stage,
        arguments = [args],
        inputs = depset(inputs, transitive = [ctx.attr._kmod_files[DefaultInfo].files]),
        tools = [depmod],
        outputs = [out],
        mnemonic = "KernelDist",
        progress_message = "Laying out the dist directory of {} (depmod)".format(ctx.attr.kernel.label),
    )

    launcher = ctx.actions.declare_file(ctx.label.name + ".sh")
    write_launcher(
        ctx,
        launcher,
        rule = "kernel_dist",
        tool = ctx.executable._dist,
        usage = "bazel run {} -- --dist_dir=DIR    (relative: to your workspace)".format(ctx.label),
        args = ["--tree=" + runfiles_path(ctx, out)],
    )
    runfiles = ctx.runfiles(files = [launcher, out]).merge(ctx.attr._dist[DefaultInfo].default_runfiles)
    return [
        DefaultInfo(executable = launcher, files = depset([launcher]), runfiles = runfiles),
        OutputGroupInfo(dist_tree = depset([out])),
    ]

kernel_dist = rule(
    implementation = _kernel_dist_impl,
    doc = "An executable that copies a kernel's outputs, its modules_install tree (real depmod) and a sha256 MANIFEST to --dist_dir.",
    executable = True,
    attrs = {
        "kernel": attr.label(mandatory = True, doc = "The kernel front door (//:vmlinux, @NAME//:vmlinux): vmlinux, System.map, image."),
        "modules": attr.label(mandatory = True, providers = [KernelModulesInfo], doc = "Its modules front door (//:modules)."),
        "objtree": attr.label(mandatory = True, allow_files = True, doc = "The import's objtree filegroup (obj/.config, obj/include/config/kernel.release)."),
        "initramfs": attr.label(mandatory = True, providers = [KernelInitramfsInfo], doc = "The initramfs to ship (kernel_boot's NAME_initramfs)."),
        "_stage": attr.label(default = "//tools/dist:stage", executable = True, cfg = "exec"),
        "_dist": attr.label(default = "//tools/dist", executable = True, cfg = "exec"),
        "_depmod": attr.label(default = "@kernel_kmod//:bin/depmod", executable = True, allow_single_file = True, cfg = "exec"),
        "_kmod_files": attr.label(default = "@kernel_kmod//:files", cfg = "exec"),
    },
)
