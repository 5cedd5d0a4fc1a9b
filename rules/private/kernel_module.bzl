"""kernel_module: an out-of-tree module (.ko) built against a configured kernel.

    kernel_module(
        name = "pair",                      # pair.ko, KBUILD_MODNAME "pair"
        srcs = ["pair_a.c", "pair_b.c", "pair.h"],
        deps = [":hello"],                  # kernel_module targets whose exports it uses
    )

Like `make M=dir` (Kbuild 6.1), with the kernel's own flags: the plan's `extmod` section
holds the commands Kbuild runs for a probe module, with $(M), $(MODNAME) and $(BASENAME)
left open. A module whose only .c file is NAME.c is a single-object module; otherwise each
.c is a part and the parts are linked into NAME.o (`NAME-y := a.o b.o`). The LTO mode and
the architecture are the kernel's (`kernel`, default //:modules, follows --platforms and
--//:lto); thin_dist gives the module its own thin-link and backend actions.

modpost runs with `-e -i <kernel Module.symvers>` plus `-i` per dep, as Kbuild does with
KBUILD_EXTRA_SYMBOLS. With CONFIG_MODVERSIONS (the plan's extmod has `symversions`), each
part gets Kbuild's genksyms step (KernelSymversions) and modpost runs with -m: the module's
`____versions` hold the CRCs of the kernel's and deps' Module.symvers, its own exports get
CRCs in its Module.symvers. Modules are named by package path ("tests/modules/pair"), not by an
absolute directory, so outputs do not depend on where the workspace is. Nothing is
written into the kernel's outputs.
"""

load("//rules/private:flags.bzl", "KernelConfigSlicesInfo")
load("//rules/private:objtool.bzl", "objtool_flags", "run_then_objtool")
load("//rules/private:providers.bzl", "KernelModuleInfo", "KernelModulesInfo")
load("//rules/private/actions:debug_info.bzl", "debug_info_flags")
load("//rules/private/actions:lto.bzl", "lto_actions")
load("//rules/private/actions:modules.bzl", "modules_actions")
load("//rules/private/actions:symversions.bzl", "symversions_actions")

_TOOLCHAIN = str(Label("//toolchains:toolchain_type"))

def _name_fix(name):
    return name.replace("-", "_").replace(",", "_")  # Kbuild's name-fix-token

def _kernel_module_impl(ctx):
    tc = ctx.toolchains[_TOOLCHAIN].kernel
    k = ctx.attr.kernel[KernelModulesInfo]
    if k.arch != tc.arch:
        fail("{}: the kernel is {} but the target platform is {}; build with --platforms=//platforms:{}".format(ctx.label, k.arch, tc.arch, k.arch))
    ext = k.extmod
    if not ext:
        fail("{}: the kernel's plan has no out-of-tree module templates (extmod); re-import with this version of rules_kernel_lto".format(ctx.label))
    name = ctx.label.name
    modname = _name_fix(name)
    pkg = ctx.label.package
    mdir = pkg if pkg else "."
    src_dir = "/".join([p for p in [ctx.label.workspace_root, pkg] if p]) or "."
    path = "{}/{}".format(mdir, name) if pkg else name
    cs = [f for f in ctx.files.srcs if f.extension == "c"]
    if not cs:
        fail("{}: srcs has no .c file".format(ctx.label))
    hdrs = [f for f in ctx.files.srcs if f.extension != "c"]
    single = len(cs) == 1 and cs[0].basename == name + ".c"
    roots = dict(k.roots)
    includes = ["-I" + "/".join([p for p in [src_dir, i] if p and p != "."]) for i in ctx.attr.includes]
    mode = k.mode
    parts = []
    depfiles = []
    symversions = []
    for c in cs:
        base = c.basename[:-len(".c")]
        part_path = "{}/{}.o".format(mdir, base)
        common = {"$(NAME)": name, "$(MODNAME)": modname, "$(PART)": base, "$(BASENAME)": _name_fix(base)}
        out = ctx.actions.declare_file("{}/parts/{}".format(name, part_path))
        depfile = ctx.actions.declare_file("{}/parts/{}/.{}.o.d".format(name, mdir, base))
        c_flags = [modules_actions.substitute(modules_actions.substitute(f, dict(common, **{"$(M)": src_dir})), roots) for f in ext["c_flags"]]
        cflags = c_flags + includes + ctx.attr.copts  # what Kbuild's cpp for genksyms sees too
        args = ctx.actions.args()
        args.add("-Wp,-MMD," + depfile.path)  # as Kbuild: the -MMD order feeds srcversion
        args.add_all(cflags)
        args.add_all(debug_info_flags(c_flags + ctx.attr.copts))
        plugin_flags, plugin_inputs = lto_actions.srcloc_plugin(ctx, tc) if mode != "none" else ([], [])
        args.add_all(plugin_flags)
        args.add_all(["-c", "-o", out, c])
        post = [modules_actions.substitute(p, dict(common, **{"$(M)": mdir})) for p in ext.get("part_post", [])]
        flags = objtool_flags(post[0], part_path, ctx.label) if post else None
        run_then_objtool(
            ctx,
            tc.clang,
            [args],
            depset([c] + hdrs + plugin_inputs, transitive = [k.hdrs, tc.all_files]),
            out,
            k.objtool,
            flags,
            extra_outputs = [depfile],
            mnemonic = "KernelCompile",
            progress_message = "Compiling {} ({}{})".format(c.short_path, "native" if mode == "none" else "bitcode", ", objtool" if flags != None else ""),
        )
        parts.append((part_path, out))
        depfiles.append((part_path, depfile))
        if ext.get("symversions"):
            # CONFIG_MODVERSIONS: genksyms over the part's preprocessed source, as Kbuild's
            # gen_symversions after `CC [M]` (the CRCs of this module's own exports).
            if not k.genksyms:
                fail("{}: the kernel's plan runs genksyms on module parts but its import built none (scripts/genksyms/genksyms); re-import".format(ctx.label))
            sv = ctx.actions.declare_file("{}/symversions/{}.symversions".format(name, part_path))
            symversions_actions.emit(
                ctx,
                tc = tc,
                genksyms = k.genksyms,
                path = part_path,
                obj = out,
                source = c,
                entry = {"kind": "c"},
                flags = cflags,
                roots = roots,
                inputs = depset(hdrs, transitive = [k.hdrs]),
                out = sv,
            )
            symversions.append((part_path, sv))
    mo_path = path + ".o"
    values = {"$(M)": mdir, "$(NAME)": name, "$(MODNAME)": modname}
    if single:
        link = ext.get("link_single")
        link = modules_actions.ld_argv(link, values) if link else None
    else:
        link = modules_actions.ld_argv(ext["link_multi"], values, [p for p, _ in parts])
    post = [modules_actions.substitute(p, values) for p in ext.get("post", [])]
    made = modules_actions.emit_module_object(ctx, tc, mode, mo_path, parts, link, post, roots, k.objtool, name)

    deps = [d[KernelModuleInfo] for d in ctx.attr.deps]
    symvers_in = [("Module.symvers", k.symvers)]
    for i, d in enumerate(deps):
        symvers_in.append(("deps/{}/Module.symvers".format(i), d.symvers))
    argv = []
    for word in ext["modpost"]:
        argv.append(modules_actions.substitute(word, values))
    if "-o" not in argv:
        fail("{}: the plan's out-of-tree modpost command has no -o; re-import".format(ctx.label))
    at = argv.index("-o")
    extra = []
    for p, _ in symvers_in[1:]:
        extra += ["-i", p]  # KBUILD_EXTRA_SYMBOLS: before -o, as Makefile.modpost orders them
    argv = argv[:at] + extra + argv[at:]

    # srcversion (MODULE_VERSION): modpost hashes each part's source and the headers in
    # its own directory, found through M.mod and .P.o.cmd; the sources are staged where
    # the depfiles name them, relative to modpost's directory.
    staged = []
    for f in ctx.files.srcs:
        link = ctx.actions.declare_file("{}/{}".format(name, f.path))
        ctx.actions.symlink(output = link, target_file = f)
        staged.append(link)
    srcversion = struct(
        inputs = staged + [d for _, d in depfiles],
        mods = [(path, [p for p, _ in parts])],
        parts = depfiles,
    )
    mp = modules_actions.emit_modpost(
        ctx,
        ctx.attr._modpost[DefaultInfo].files_to_run,
        argv,
        [path + ".ko"],
        {mo_path: made.obj},
        None,
        symvers_in,
        name,
        [path + ".mod.c"],
        srcversion = srcversion,
        # modpost -m: `#SYMVER` lines of the parts; vmlinux's CRCs come from Module.symvers.
        crcs = struct(mods = srcversion.mods, symversions = symversions, vmlinux_objs = None) if ext.get("symversions") else None,
    )
    mod_o = modules_actions.emit_mod_o(
        ctx,
        tc,
        path + ".mod.o",
        mp.mod_c[path + ".mod.c"],
        [modules_actions.substitute(f, values) for f in ext["mod_o_flags"]],
        roots,
        k.mod_c_inputs,
        name,
    )
    ko_path = path + ".ko"
    ko = modules_actions.emit_ko(ctx, tc, ko_path, modules_actions.ld_argv(ext["ko"], values), {
        mo_path: made.obj,
        path + ".mod.o": mod_o,
        "scripts/module.lds": k.module_lds,
    }, roots, name)
    kos = depset([ko], transitive = [d.kos for d in deps], order = "postorder")
    return [
        DefaultInfo(files = depset([ko, mp.symvers])),
        OutputGroupInfo(ko = depset([ko]), kos = kos, mod_c = depset(mp.mod_c.values())),
        KernelModuleInfo(
            name = path,
            ko = ko,
            symvers = mp.symvers,
            symvers_deps = depset([mp.symvers], transitive = [d.symvers_deps for d in deps]),
            kos = kos,
        ),
    ]

kernel_module = rule(
    implementation = _kernel_module_impl,
    doc = "Builds an out-of-tree kernel module (.ko) against a configured kernel, in the kernel's LTO mode.",
    attrs = {
        "srcs": attr.label_list(allow_files = [".c", ".h"], mandatory = True, doc = "C sources (each .c is a part) and private headers."),
        "kernel": attr.label(default = "//:modules", providers = [KernelModulesInfo], doc = "The kernel's modules (kernel_modules, or the //:modules front door)."),
        "deps": attr.label_list(providers = [KernelModuleInfo], doc = "kernel_module targets whose exported symbols this module uses."),
        "copts": attr.string_list(doc = "Extra compiler flags (Kbuild's ccflags-y)."),
        "includes": attr.string_list(doc = "Include directories, relative to the package (-I)."),
        "_thinlto": attr.label(default = "//tools/thinlto", executable = True, cfg = "exec"),
        "_config_slices": attr.label(default = "//:config_slices", providers = [KernelConfigSlicesInfo]),
        "_modpost": attr.label(default = "//tools/modpost", executable = True, cfg = "exec"),
    },
    toolchains = [_TOOLCHAIN],
)
