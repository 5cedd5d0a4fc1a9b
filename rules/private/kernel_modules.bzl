"""kernel_modules: a configured kernel's loadable modules (.ko), Module.symvers, modules.order,
modules.builtin and modules.builtin.modinfo.

The parts are compiled by kernel_objects (they are plan objects with a `module`); this rule
makes each M.o (per link mode), runs modpost once over vmlinux.o and every M.o, compiles
each M.mod.c and links each .ko with scripts/module.lds. See actions/modules.bzl.
Outputs live under `<name>/` with Kbuild's paths (modules_thin_dist/lib/test_module.ko).
"""

load("//rules/private:flags.bzl", "KernelConfigSlicesInfo")
load("//rules/private:platform_transition.bzl", "own_platform")
load("//rules/private:providers.bzl", "KernelLtoInfo", "KernelModulesInfo", "KernelObjectsInfo")
load("//rules/private/actions:lto.bzl", "lto_actions")
load("//rules/private/actions:modules.bzl", "modules_actions")

_TOOLCHAIN = str(Label("//toolchains:toolchain_type"))

def _srcversion(ctx, tc, info, plan):
    """srcversion for the MODULE_VERSION modules the import found (actions/modules.bzl)."""
    mods = []
    for ko in ctx.attr.srcversion_modules:
        m = plan["list"].get(ko)
        if not m:
            fail("{}: srcversion module {} is not in the plan's modules; re-import".format(ctx.label, ko))
        mods.append((m["name"], m["objects"]))
    return modules_actions.srcversion(ctx, tc, info.roots, mods, info.part_compiles, ctx.label.name)

def _kernel_modules_impl(ctx):
    tc = ctx.toolchains[_TOOLCHAIN].kernel
    info = ctx.attr.objects[KernelObjectsInfo]
    mode = ctx.attr.mode
    lto_actions.check_mode(ctx.label, info, mode)
    plan = info.modules
    if not plan:
        fail("{}: this kernel config has no loadable modules (CONFIG_MODULES is not set); add CONFIG_MODULES=y and =m drivers to its config fragment".format(ctx.label))
    vmlinux_o = ctx.attr.vmlinux[OutputGroupInfo].vmlinux_o.to_list()[0]
    prefix = ctx.label.name
    module_objects = {}
    lto = []
    seen = {}
    shared = {}  # parts linked into several modules (compiled once, plan other_modules)
    for ko in plan["order"]:
        for p in plan["list"][ko]["objects"]:
            if p in seen:
                shared[p] = True
            seen[p] = True
    for ko in plan["order"]:
        m = plan["list"][ko]
        parts = [(p, info.objects[p]) for p in m["objects"]]
        made = modules_actions.emit_module_object(
            ctx,
            tc,
            mode,
            m["name"] + ".o",
            parts,
            m["link"],
            m["post"],
            info.roots,
            info.objtool,
            prefix,
            shared,
            incbin = getattr(info, "incbin", {}),
            bitcode = info.bitcode,
        )
        module_objects[m["name"] + ".o"] = made.obj
        if made.lto:
            lto.append(made.lto)
    crcs = None
    if "-m" in plan["modpost"]:
        # CONFIG_MODVERSIONS: modpost reads each object's `#SYMVER` lines from its .cmd file,
        # the objects from .vmlinux.objs (vmlinux) and M.mod (modules).
        mods = [(plan["list"][ko]["name"], plan["list"][ko]["objects"]) for ko in plan["order"]]
        vmlinux_objs = info.vmlinux_members + info.lib_members
        objs = vmlinux_objs + [p for p in seen]  # a shared part's .cmd once
        crcs = struct(
            mods = mods,
            symversions = [(p, info.symversions[p]) for p in objs if p in info.symversions],
            vmlinux_objs = vmlinux_objs,
        )
    mp = modules_actions.emit_modpost(
        ctx,
        ctx.attr._modpost[DefaultInfo].files_to_run,
        plan["modpost"],
        plan["order"],
        module_objects,
        vmlinux_o,
        [],
        prefix,
        [plan["list"][ko]["mod_o"]["src"] for ko in plan["order"]],
        srcversion = _srcversion(ctx, tc, info, plan) if ctx.attr.srcversion_modules else None,
        crcs = crcs,
    )
    kos = {}
    for ko in plan["order"]:
        m = plan["list"][ko]
        mod_o = modules_actions.emit_mod_o(
            ctx,
            tc,
            m["mod_o"]["out"],
            mp.mod_c[m["mod_o"]["src"]],
            m["mod_o"]["flags"],
            info.roots,
            info.mod_c_inputs,
            prefix,
            autoconf = info.autoconf,
        )
        kos[ko] = modules_actions.emit_ko(ctx, tc, ko, m["ko"], {
            m["name"] + ".o": module_objects[m["name"] + ".o"],
            m["mod_o"]["out"]: mod_o,
            "scripts/module.lds": info.module_lds,
        }, info.roots, prefix)
    ordered = [kos[k] for k in plan["order"]]
    builtin = modules_actions.emit_builtin(ctx, tc, plan["builtin"], mp.vmlinux_o, prefix)
    hdrs = depset(ctx.files.headers, transitive = [info.objtree_headers])
    providers = [
        DefaultInfo(files = depset(ordered + [mp.symvers, mp.order] + builtin)),
        OutputGroupInfo(
            ko = depset(ordered),
            symvers = depset([mp.symvers]),
            mod_c = depset(mp.mod_c.values()),
            modules_builtin = depset(builtin),
        ),
        KernelModulesInfo(
            arch = info.arch,
            mode = mode,
            kos = kos,
            order = plan["order"],
            symvers = mp.symvers,
            vmlinux_o = vmlinux_o,
            module_lds = info.module_lds,
            extmod = plan.get("extmod"),
            roots = info.roots,
            hdrs = hdrs,
            # Out-of-tree modules' *.mod.c compiles (kernel_module) read the whole autoconf.h.
            mod_c_inputs = depset([info.autoconf], transitive = [info.mod_c_inputs]) if info.autoconf else info.mod_c_inputs,
            objtool = info.objtool,
            genksyms = info.host_programs.get("scripts/genksyms/genksyms"),
        ),
    ]
    if lto:
        providers.append(KernelLtoInfo(
            bitcode = [f for s in lto for f in s.bitcode],
            indexes = [f for s in lto for f in s.indexes],
            natives = [f for s in lto for f in s.natives],
        ))
    return providers

kernel_modules = rule(
    implementation = _kernel_modules_impl,
    doc = "Builds a configured kernel's loadable modules (.ko), Module.symvers and modules.order in one link mode.",
    attrs = {
        "objects": attr.label(mandatory = True, providers = [KernelObjectsInfo], doc = "The compiled kernel (its module parts)."),
        "vmlinux": attr.label(mandatory = True, doc = "The kernel_vmlinux of the same mode (modpost reads its vmlinux.o)."),
        "mode": attr.string(mandatory = True, values = ["none", "full", "thin", "thin_dist"], doc = "Link mode."),
        "srcversion_modules": attr.string_list(doc = "In-tree modules whose sources use MODULE_VERSION (the import finds them): modpost computes their srcversion, from depfiles of their parts (KernelSrcversionDeps)."),
        "headers": attr.label(allow_files = True, doc = "Kernel headers out-of-tree modules may include (include/, arch/<srcarch>/include/)."),
        "platform": attr.label(mandatory = True, doc = "The platform this kernel is built for (an incoming transition: see platform_transition.bzl)."),
        "_thinlto": attr.label(default = "//tools/thinlto", executable = True, cfg = "exec"),
        "_lto_link": attr.label(default = "//tools/thinlto_cache:link", executable = True, cfg = "exec"),
        "_modpost": attr.label(default = "//tools/modpost", executable = True, cfg = "exec"),
        # Each *.mod.c compile reads a slice of autoconf.h (config_slice_actions.scan).
        "_config_slice": attr.label(default = "//tools/config_slice", executable = True, cfg = "exec"),
        "_config_slices": attr.label(default = "//:config_slices", providers = [KernelConfigSlicesInfo]),
        "_allowlist_function_transition": attr.label(default = "@bazel_tools//tools/allowlists/function_transition_allowlist"),
    },
    cfg = own_platform,
    toolchains = [_TOOLCHAIN],
)
