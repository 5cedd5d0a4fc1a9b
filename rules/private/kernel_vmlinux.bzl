"""kernel_vmlinux: links a configured kernel's objects into vmlinux.o, vmlinux, System.map, Image.

Link modes (the `mode` attribute; //:lto selects it):
  none       ld.lld -r of the native objects
  full       ld.lld -r of the bitcode: one full-LTO module, in-process
  thin       ld.lld -r of the bitcode: lld runs the ThinLTO backends in-process
  thin_dist  KernelThinLink, one KernelLtoBackend action per bitcode object, then ld.lld -r
"""

load("//rules/private:kernel_bzimage.bzl", "bzimage_actions")
load("//rules/private:objtool.bzl", "objtool_flags")
load("//rules/private:platform_transition.bzl", "own_platform")
load("//rules/private:providers.bzl", "KernelLtoInfo", "KernelObjectsInfo")
load("//rules/private/actions:kbuild_tools.bzl", "BOOT_TOOLS_ATTR")
load("//rules/private/actions:lto.bzl", "lto_actions")
load("//rules/private/actions:modules.bzl", "modules_actions")

_TOOLCHAIN = str(Label("//toolchains:toolchain_type"))

def _initcall_order(ctx, tc, inputs):
    out = ctx.actions.declare_file(ctx.label.name + "/.tmp_initcalls.lds")
    args = ctx.actions.args()
    args.use_param_file("--flagfile=%s", use_always = True)
    args.set_param_file_format("multiline")
    args.add("--nm", tc.llvm_nm)
    args.add("--out", out)

    # It runs alone on the critical path, between the last compile and the thin-link (x86_64
    # defconfig: 2,685 llvm-nm processes, 18.8 s one at a time). The output is in input order
    # whatever the number.
    args.add("--jobs", "4")
    args.add_all(inputs, format_each = "--object=%s")
    tool = ctx.attr._initcall_order[DefaultInfo].files_to_run
    incbins = lto_actions.link_incbins(ctx.attr.objects[KernelObjectsInfo], ctx.attr.objects[KernelObjectsInfo].vmlinux_members + ctx.attr.objects[KernelObjectsInfo].lib_members)
    executable, arguments, extra = tool, [args], []
    if incbins:
        # llvm-nm parses a bitcode object's inline assembly, .incbin included, from its cwd.
        executable, arguments, extra = lto_actions.lto_link_command(
            ctx,
            struct(tool = ctx.attr._lto_link[DefaultInfo].files_to_run, incbins = incbins),
            tool.executable,
            args,
            cache = False,
        )
    ctx.actions.run(
        executable = executable,
        arguments = arguments,
        tools = [tool] if incbins else [],
        inputs = depset(inputs + extra, transitive = [tc.all_files]),
        outputs = [out],
        # A persistent worker keeps each object's initcalls by digest (initcall_order.py):
        # after an edit, llvm-nm runs on the changed objects only. Not through the .incbin
        # wrapper, which is another program.
        execution_requirements = {} if incbins else {"supports-workers": "1"},
        mnemonic = "KernelInitcallOrder",
        progress_message = "Ordering initcalls of {} objects for {}".format(len(inputs), ctx.label),
    )
    return out

def _lazy(files):
    return ["--start-lib"] + files + ["--end-lib"] if files else []

def _kernel_vmlinux_impl(ctx):
    tc = ctx.toolchains[_TOOLCHAIN].kernel
    info = ctx.attr.objects[KernelObjectsInfo]
    mode = ctx.attr.mode
    lto_actions.check_mode(ctx.label, info, mode)
    members = [info.objects[m] for m in info.vmlinux_members]
    libs = [info.objects[m] for m in info.lib_members]
    ldflags = info.link["ldflags"]
    vmlinux_o = ctx.actions.declare_file(ctx.label.name + "/vmlinux.o")
    lto_outputs = []
    extra, script = [], []
    if mode != "none":
        initcalls = _initcall_order(ctx, tc, members + libs)
        extra, script = [initcalls], ["-T", initcalls.path]
    if mode == "thin_dist":
        # The natives replace the bitcode objects; then the same `ld -r` as the other modes.
        thinlto = ctx.attr._thinlto[DefaultInfo].files_to_run
        paths = info.vmlinux_members + info.lib_members
        bitcode = [f for m, f in zip(paths, members + libs) if info.bitcode[m]]
        path_of = {f: m for m, f in zip(paths, members + libs)}

        # The thin-link does not wait for the initcall ordering: that script only orders
        # input sections in the final `ld -r`, and the index is the same without it (every
        # tree byte-identical, tiny and defconfig: docs/STATUS.md). So KernelInitcallOrder
        # (x86_64 defconfig: 17 s) runs beside the thin-link and the backends instead of
        # before them.
        trees = lto_actions.emit_thin_link(
            ctx,
            tc,
            thinlto,
            members + libs,
            bitcode,
            ldflags + ["-r"],
            order = members + _lazy(libs),
            # An object a config variant shares with its base (kernel_objects share_from)
            # is in the base's package: its bundle is declared here.
            trees = [
                None if f.owner.workspace_name == ctx.label.workspace_name and f.owner.package == ctx.label.package else ctx.actions.declare_file("{}/shared/{}.thinlto.tar".format(ctx.label.name, path_of[f]))
                for f in bitcode
            ],
            bundles = True,
        )
        natives = {}
        for obj, tree in zip(bitcode, trees):
            native = ctx.actions.declare_file("{}/natives/{}".format(ctx.label.name, path_of[obj]))
            lto_actions.emit_backend(ctx, tc, thinlto, obj, tree, native, lto_actions.link_incbins(info, [path_of[obj]]))
            natives[obj] = native
        members = [natives.get(f, f) for f in members]
        libs = [natives.get(f, f) for f in libs]
        lto_outputs = [KernelLtoInfo(bitcode = bitcode, indexes = trees, natives = natives.values())]

    # none: natives; thin/full: lld runs LTO in-process; thin_dist: the backends' natives.
    post = _vmlinux_o_post(ctx, info)
    lto_actions.emit_link(
        ctx,
        tc,
        members + libs + extra,
        vmlinux_o,
        _without_emulation(ldflags, tc) + ["-r"] + script,
        order = members + _lazy(libs),
        objtool = info.objtool,
        objtool_flags = objtool_flags(post, "vmlinux.o", ctx.label) if post else None,
        lto = lto_actions.lto_link(ctx, mode, lto_actions.link_incbins(info, info.vmlinux_members + info.lib_members)),
    )
    outs = _link_vmlinux(ctx, tc, info, vmlinux_o, _export_o(ctx, tc, info, vmlinux_o))
    if getattr(info, "boot", None):  # x86_64: bzImage from this vmlinux (kernel_bzimage.bzl)
        outs["image"], boot_files = bzimage_actions.emit_after(ctx, tc, ctx.attr._boot_step[DefaultInfo].files_to_run, info.boot, outs["vmlinux"])
    else:
        boot_files = depset()
    return [
        DefaultInfo(files = depset(outs.values())),
        # `boot`: every boot-image step's output (x86_64: setup, compressed vmlinux, zoffset.h, ...).
        OutputGroupInfo(vmlinux_o = depset([vmlinux_o]), boot = boot_files, **{k: depset([v]) for k, v in outs.items()}),
    ] + lto_outputs

def _vmlinux_o_post(ctx, info):
    """The command Kbuild runs after `ld -r -o vmlinux.o` (x86_64 LTO: objtool), or None."""
    steps = [s for s in info.link.get("steps", []) if s["target"] == "vmlinux.o"]
    if len(steps) != 1:
        fail("{}: the plan has {} vmlinux.o link steps, expected 1; re-import".format(ctx.label, len(steps)))
    post = [c.strip() for c in steps[0]["cmd"].split(";")[1:] if c.strip()]
    if len(post) > 1:
        fail("{}: Kbuild runs {} commands after linking vmlinux.o; only one objtool step is supported".format(ctx.label, len(post)))
    if post and not info.objtool:
        fail("{}: the plan runs objtool on vmlinux.o but the import built none; re-import".format(ctx.label))
    return post[0] if post else None

def _export_o(ctx, tc, info, vmlinux_o):
    """CONFIG_MODVERSIONS: .vmlinux.export.o (the CRCs of vmlinux's exports), which
    link-vmlinux.sh links after vmlinux.o; None without it (plan link.export_o)."""
    ex = info.link.get("export_o")
    if not ex:
        return None
    members = info.vmlinux_members + info.lib_members
    export_c = modules_actions.emit_vmlinux_export_c(
        ctx,
        ctx.attr._modpost[DefaultInfo].files_to_run,
        vmlinux_o,
        struct(
            symversions = [(p, info.symversions[p]) for p in members if p in info.symversions],
            vmlinux_objs = members,
        ),
        ctx.label.name + "/export",
    )
    return modules_actions.emit_mod_o(ctx, tc, ex["out"], export_c, ex["flags"], info.roots, info.export_o_inputs, ctx.label.name + "/export")

def _link_vmlinux(ctx, tc, info, vmlinux_o, export_o = None):
    """KernelVmlinux: link-vmlinux.sh after vmlinux.o (kallsyms passes, System.map, sorttable, Image)."""
    outs = {
        "vmlinux": ctx.actions.declare_file(ctx.label.name + "/vmlinux"),
        "system_map": ctx.actions.declare_file(ctx.label.name + "/System.map"),
    }
    if tc.arch == "arm64":
        outs["image"] = ctx.actions.declare_file(ctx.label.name + "/Image")
    link = info.link
    args = ctx.actions.args()
    args.use_param_file("--flagfile=%s", use_always = True)
    args.set_param_file_format("multiline")
    args.add("--ld", tc.ld_lld)
    args.add("--nm", tc.llvm_nm)
    args.add("--clang", tc.clang)
    args.add("--objcopy", tc.llvm_objcopy)
    host = []
    if "scripts/kallsyms" in info.host_programs:
        host.append(info.host_programs["scripts/kallsyms"])
        args.add("--kallsyms", info.host_programs["scripts/kallsyms"])
        args.add_all(link["kallsyms"], format_each = "--kallsyms_arg=%s")
    if link.get("sorttable") and "scripts/sorttable" in info.host_programs:
        host.append(info.host_programs["scripts/sorttable"])
        args.add("--sorttable", info.host_programs["scripts/sorttable"])
    args.add_all(lto_actions.LD_SAFE_FLAGS + link["ldflags"], format_each = "--ldflag=%s")
    args.add_all(link["ldflags_vmlinux"], format_each = "--ldflag_vmlinux=%s")
    args.add_all(info.asflags, format_each = "--asflag=%s")
    args.add("--lds", info.lds)

    # link-vmlinux.sh: vmlinux.o, then .vmlinux.export.o (MODVERSIONS), then version-timestamp.o.
    extra = [export_o] if export_o else []
    args.add_all([vmlinux_o] + extra + info.link_objects, format_each = "--object=%s")
    args.add("--out_vmlinux", outs["vmlinux"])
    args.add("--out_system_map", outs["system_map"])
    if "image" in outs:
        args.add("--out_image", outs["image"])
    ctx.actions.run(
        executable = ctx.attr._link_vmlinux[DefaultInfo].files_to_run,
        arguments = [args],
        inputs = depset([vmlinux_o, info.lds] + extra + info.link_objects + host, transitive = [info.asm_inputs, tc.all_files]),
        outputs = outs.values(),
        mnemonic = "KernelVmlinux",
        progress_message = "Linking vmlinux of {} (kallsyms, System.map{})".format(ctx.label, ", Image" if "image" in outs else ""),
    )
    return outs

def _without_emulation(ldflags, tc):
    # emit_link adds the toolchain's emulation flags; the plan's ldflags start with them.
    n = len(tc.ld_emulation)
    return ldflags[n:] if ldflags[:n] == tc.ld_emulation else ldflags

kernel_vmlinux = rule(
    implementation = _kernel_vmlinux_impl,
    doc = "Links a kernel_objects target into vmlinux.o (and on to vmlinux) in one LTO mode.",
    attrs = {
        "objects": attr.label(mandatory = True, providers = [KernelObjectsInfo], doc = "The compiled kernel."),
        "mode": attr.string(mandatory = True, values = ["none", "full", "thin", "thin_dist"], doc = "Link mode."),
        "_thinlto": attr.label(default = "//tools/thinlto", executable = True, cfg = "exec"),
        "_lto_link": attr.label(default = "//tools/thinlto_cache:link", executable = True, cfg = "exec"),
        "_initcall_order": attr.label(default = "//tools/initcall_order", executable = True, cfg = "exec"),
        "_link_vmlinux": attr.label(default = "//tools/link_vmlinux", executable = True, cfg = "exec"),
        "_modpost": attr.label(default = "//tools/modpost", executable = True, cfg = "exec"),
        "_boot_step": attr.label(default = "//tools/boot_step", executable = True, cfg = "exec"),
        "_boot_tools": BOOT_TOOLS_ATTR["_boot_tools"],
        "platform": attr.label(mandatory = True, doc = "The platform this kernel is built for (an incoming transition: see platform_transition.bzl)."),
        "_allowlist_function_transition": attr.label(default = "@bazel_tools//tools/allowlists/function_transition_allowlist"),
    },
    cfg = own_platform,
    toolchains = [_TOOLCHAIN],
)
