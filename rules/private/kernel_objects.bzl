"""kernel_objects: one KernelCompile action per object of an imported Kbuild plan.

Each action declares exactly the source and the headers the import found for that object
(plus the generated headers and build-step files it reads), never the include tree.

With the import's directive record (include_record), each compile also reads its directory
of the KernelIncludeScan action (actions/include_scan.bzl): empty unless an edit of a file it
reads changed `#include`/`#if` lines and it now reads headers outside its recorded set.

Every compile also reads the stamp of one KernelPlanCheck action, which fails when the
source tree's Makefiles, Kconfig files, ... no longer match what the import recorded: a
stale plan never compiles, so it never links (vmlinux, Image, System.map, modules).

A config variant's objects (share_from: kernel_config variants) take each object whose
share key (tools/kbuild_import/share.py) equals the one the base compiled from the base;
their own compile is declared only for the output groups share_check(_sample), which
compare the bytes.
"""

load("//rules/private:flags.bzl", "KernelConfigSlicesInfo")
load("//rules/private:kernel_bzimage.bzl", "bzimage_actions")
load("//rules/private:objtool.bzl", "objtool_flags")
load("//rules/private:platform_transition.bzl", "own_platform")
load("//rules/private:providers.bzl", "KernelObjectsInfo")
load("//rules/private/actions:certs.bzl", "cert_actions")
load("//rules/private/actions:compile.bzl", "run_compile")
load("//rules/private/actions:config_slice.bzl", "config_slice_actions")
load("//rules/private/actions:debug_info.bzl", "debug_info_flags")
load("//rules/private/actions:generate.bzl", "generate_actions")
load("//rules/private/actions:include_scan.bzl", "include_scan_actions")
load("//rules/private/actions:kbuild_tools.bzl", "BOOT_TOOLS_ATTR")
load("//rules/private/actions:lto.bzl", "lto_actions")
load("//rules/private/actions:objcopy.bzl", "objcopy_actions")
load("//rules/private/actions:partial_link.bzl", "partial_link_actions")
load("//rules/private/actions:plan_check.bzl", "plan_check_actions")
load("//rules/private/actions:shell.bzl", "run_shell")
load("//rules/private/actions:symversions.bzl", "symversions_actions")
load("//rules/private/actions:vdso.bzl", "vdso_actions")

_TOOLCHAIN = str(Label("//toolchains:toolchain_type"))

def _repo_files(files, root):
    """Maps paths below `root` to Files."""
    root += "/"
    out = {}
    for f in files:
        if f.path.startswith(root):
            out[f.path[len(root):]] = f
    return out

def _substitute(flag, roots):
    for placeholder, value in roots.items():
        flag = flag.replace(placeholder, value)
    return flag

def _is_generated_header(path):
    """Headers of the object tree an out-of-tree module may include (never its objects,
    host programs or Kbuild's bookkeeping: those differ per output base)."""
    return path.endswith(".h") and (path.startswith("include/") or (path.startswith("arch/") and "/include/" in path))

def _lookup(files, path, what, obj):
    f = files.get(path)
    if not f:
        fail("{}: {} {} is not in the tree; the plan is stale, re-import (bazel sync --only=<repo>)".format(obj, what, path))
    return f

def _node_depsets(table, files, what, label, skip = None):
    """One depset per node of an interned list table (tools/kbuild_import/intern.py): a
    node's files and its ancestors', shared by every object whose list ends there (without
    the path `skip`)."""
    table_files = [_lookup(files, p, what, label) if p != skip else None for p in table["paths"]]
    nodes = []
    for parent, indices in table["nodes"]:
        direct = [table_files[i] for i in indices if table_files[i]]
        nodes.append(depset(direct, transitive = [nodes[parent]] if parent >= 0 else []))
    return nodes

def _entry_flags(flag_sets, o, roots):
    """An entry's flags: its interned flag set (substituted) with its own -DKBUILD_* put back."""
    flags = list(flag_sets[o["flags"]])
    for i, f in o["own_flags"]:
        flags.insert(i, _substitute(f, roots))
    return flags

def _made_flags(o, entry_flags, vdso, vdso_readers, generated, generate_readers, objtree):
    """The -I flags of the action outputs an entry includes (the vDSO's headers, vdso.bzl;
    generated headers and tables, generate.bzl): they are no longer in the import's tree."""
    flags = ["-I" + d for d in vdso_actions.include_dirs(vdso, vdso_readers.get(o["out"], []))]
    if o["out"] in generate_readers:
        flags += generate_actions.include_flags(generated, generate_readers[o["out"]], entry_flags + flags, objtree)
    return flags

def _config_slices(ctx, interned, obj, entries):
    """(autoconf.h, {config_key: File}): the import's autoconf.h and the slices of it each
    compile reads instead (actions/config_slice.bzl)."""
    autoconf = _lookup(obj, config_slice_actions.AUTOCONF, "generated file", ctx.label)
    return autoconf, config_slice_actions.declare(
        ctx,
        tool = ctx.attr._config_slice[DefaultInfo].files_to_run,
        table = interned["config"],
        entries = entries,
        autoconf = autoconf,
        pad = ctx.attr._config_slices[KernelConfigSlicesInfo].mode == "exact",
    )

def _config_check(ctx, tc, o, source, slice, autoconf, flags, inputs, checking):
    """The KernelConfigCheck stamp of one object (output group config_check); checking:
    struct(table = interned["config"], fixdep = File or None, symbol_files = dict)."""
    out = ctx.actions.declare_file("{}/config_check/{}.ok".format(ctx.label.name, o["out"]))
    fixdep = checking.fixdep
    config_slice_actions.emit_check(
        ctx,
        tool = ctx.attr._config_check[DefaultInfo].files_to_run,
        clang = tc.clang,
        entry = o,
        source = source,
        slice = slice,
        autoconf = autoconf,
        flags = flags,
        inputs = inputs,
        out = out,
        fixdep = fixdep,
        symbols = config_slice_actions.symbols_file(ctx, checking.table, o, checking.symbol_files) if fixdep else None,
    )
    return out

def _share_source(ctx, plan, sliced):
    """share_from's KernelObjectsInfo, or None when nothing can be taken from it."""
    if not ctx.attr.share_from:
        return None
    info = ctx.attr.share_from[KernelObjectsInfo]
    if info.arch != plan["arch"] or info.lto != plan["lto"]:
        fail("{}: share_from {} is a {} kernel with LTO {}, this one is {} with {}; share only between variants of one kernel_config".format(
            ctx.label,
            ctx.attr.share_from.label,
            info.arch,
            info.lto,
            plan["arch"],
            plan["lto"],
        ))

    # Padded slices (--//:config_slices=exact) hold the whole autoconf.h's size: no key covers it.
    if not sliced or ctx.attr._config_slices[KernelConfigSlicesInfo].mode == "exact":
        return None
    return info

def _share_check(ctx, checks, own, name):
    """One KernelShareCheck stamp: each (base's object, own compile, path) is byte-identical.
    The stamp says how many, and lists `own`: the objects with a share key compiled here."""
    if not checks:
        return None
    out = ctx.actions.declare_file("{}/{}.ok".format(ctx.label.name, name))
    args = ctx.actions.args()
    args.add_joined(sorted(own), join_with = " ", omit_if_empty = False)
    for base, mine, path in checks:
        args.add_all([base, mine, path])
    run_shell(
        ctx,
        command = """out=$1 own=$2
shift 2
n=0
while [ $# -gt 0 ]; do
  if ! cmp -s "$1" "$2"; then
    echo "$3: the object the base config compiled differs from this variant's own compile ($1, $2): its share key (tools/kbuild_import/share.py) misses an input; this is a bug, please report it" >&2
    exit 1
  fi
  n=$((n + 1))
  shift 3
done
printf '%s objects identical\ncompiled here: %s\n' "$n" "$own" > "$out"
""",
        arguments = [out.path, args],
        inputs = [f for c in checks for f in c[:2]],
        outputs = [out],
        mnemonic = "KernelShareCheck",
        progress_message = "Comparing the {} objects {} shares with its base config".format(len(checks), ctx.label),
    )
    return out

def _kernel_objects_impl(ctx):
    tc = ctx.toolchains[_TOOLCHAIN].kernel
    plan = json.decode(ctx.attr.plan)
    if plan.get("schema") not in (1, 2):
        fail("{}: unknown plan schema {}; re-import with this version of rules_kernel_lto".format(ctx.label, plan.get("schema")))
    interned = plan.get("interned")
    if not interned:
        fail("{}: the plan's lists are not interned (plan.bzl from an older import); re-import with this version of rules_kernel_lto".format(ctx.label))
    if plan["arch"] != tc.arch:
        fail("{}: the plan is for {}, but the target platform's toolchain is {}; build it with --platforms=//platforms:{}".format(
            ctx.label,
            plan["arch"],
            tc.arch,
            plan["arch"],
        ))
    src_files = ctx.files.srctree
    if not src_files:
        fail("{}: srctree has no files; re-import".format(ctx.label))
    srctree = src_files[0].owner.workspace_root
    src = _repo_files(src_files, srctree)
    obj = _repo_files(ctx.files.objtree, ctx.attr.objtree.label.workspace_root + "/obj")
    stamp = ctx.actions.declare_file(ctx.label.name + "/plan_check.stamp")
    tree = ctx.files.kbuild_inputs
    plan_check_actions.emit(
        ctx,
        tool = ctx.attr._plan_check[DefaultInfo].files_to_run,
        record = ctx.file.plan_sources,
        root = tree[0].owner.workspace_root if tree else srctree,
        tree = tree,
        built_from = ctx.files.built_from,
        config_inputs = ctx.files.config_inputs,
        clang = tc.clang,
        out = stamp,
    )
    roots = {
        "$(srctree)": srctree,
        "$(objtree)": ctx.attr.objtree.label.workspace_root + "/obj",
        "$(CC_RESOURCE_DIR)": tc.builtin_include[:-len("/include")],
    }

    # Generated sources and tables (generate.bzl): their outputs stand where the import's
    # object-tree files were (before the other sections', which may read them).
    generated = generate_actions.emit(ctx, tc = tc, tool = ctx.attr._boot_step[DefaultInfo].files_to_run, plan = plan, src = src, obj = obj, stamp = stamp, srctree = srctree)
    obj.update(generated)
    generate_readers = plan.get("generate", {}).get("readers", {})

    # The vDSO's and x86's realmode blob's steps (vdso.bzl): their outputs stand where the
    # import's object-tree files were.
    vdso = vdso_actions.emit(ctx, tc = tc, tool = ctx.attr._boot_step[DefaultInfo].files_to_run, plan = plan, src = src, obj = obj, stamp = stamp, srctree = srctree)
    realmode = vdso_actions.emit(ctx, tc = tc, tool = ctx.attr._boot_step[DefaultInfo].files_to_run, plan = plan, src = src, obj = obj, stamp = stamp, srctree = srctree, section_name = "realmode")
    images = dict(vdso)
    images.update(realmode)
    obj.update(images)

    # The CERT steps (certs.bzl): system_certificates.o `.incbin`s their outputs.
    certs = cert_actions.emit(ctx, tc = tc, tool = ctx.attr._boot_step[DefaultInfo].files_to_run, plan = plan, src = src, obj = obj, stamp = stamp, srctree = srctree)
    obj.update(certs)
    images.update(certs)  # where the outputs an object .incbin's are (-Wa,-I)
    vdso_readers = plan.get("vdso", {}).get("readers", {})
    objtool = obj.get("tools/objtool/objtool")
    if not objtool and [o for o in plan["objects"] if o.get("post")]:
        fail("{}: the plan runs objtool but the import built none (tools/objtool/objtool); re-import".format(ctx.label))

    # Per-object lists are interned: a depset per header-list node, a flag list per set.
    hdr_nodes = _node_depsets(interned["hdrs"], src, "header", ctx.label)

    # With config footprints, autoconf.h is not among them: each compile reads its slice.
    sliced = "config" in interned
    gen_nodes = _node_depsets(interned["gen_inputs"], obj, "generated file", ctx.label, skip = config_slice_actions.AUTOCONF if sliced else None)
    flag_sets = [[_substitute(f, roots) for f in fs] for fs in interned["flags"]]
    flag_sets = [fs + debug_info_flags(fs) for fs in flag_sets]  # -g: a path-free DW_AT_comp_dir

    # CONFIG_MODVERSIONS: genksyms after the compile of each object the plan marks.
    genksyms = obj.get("scripts/genksyms/genksyms")
    sv_asm = plan.get("symversions_asm")
    sv_asm_inputs = depset(
        [_lookup(src, h, "header", "<asm/asm-prototypes.h>") for h in sv_asm["hdrs"]] +
        [_lookup(obj, h, "generated file", "<asm/asm-prototypes.h>") for h in sv_asm["gen_inputs"]],
    ) if sv_asm else None
    symversions = {}

    objects = {}
    bitcode = {}
    part_compiles = {}
    incbin = {}
    asm_inputs = []
    asm_transitive = []
    modules = plan.get("modules")
    lds = None
    module_lds = None
    lds_plans = [plan["link"]["lds"]] + ([modules["lds"]] if modules else [])

    # Composite objects (KVM nVHE kvm_nvhe.o): their linker scripts compile with the others,
    # their steps' outputs are declared first (a step writes hyp-reloc.o's source).
    partial_made = partial_link_actions.declare(ctx, plan)
    partial_srcs = partial_link_actions.generated_sources(plan)
    partial_lds = {}
    for final in sorted(plan.get("partial_links", {})):
        for e in plan["partial_links"][final]["lds"]:
            lds_plans.append(e)
            partial_lds[e["out"]] = None
    autoconf, slices = _config_slices(ctx, interned, obj, plan["objects"] + lds_plans) if sliced else (None, {})
    share = _share_source(ctx, plan, sliced)
    from_base = {
        o["out"]: True
        for o in plan["objects"]
        if share and o.get("share") and share.share_keys.get(o["out"]) == o["share"]
    }
    extra_dirs = {}
    include_report = None
    scan_deps = [f for f in tc.all_files.to_list() if f.basename == "clang-scan-deps"] if ctx.file.include_record else []
    if scan_deps:
        entries = [e for e in plan["objects"] + lds_plans if not (e["src_root"] == "objtree" and e["src"] in partial_srcs)]
        extra_dirs = include_scan_actions.declare(ctx, entries)

        # What a rescan needs of the action outputs an object reads: the compile's -I flags
        # for them, and (consolemap_deftbl.c, ...) its source when an action makes it.
        scan_flags, scan_sources = {}, {}
        for e in entries:
            if e["out"] in vdso_readers or e["out"] in generate_readers:
                scan_flags[e["out"]] = _made_flags(e, _entry_flags(flag_sets, e, roots), vdso, vdso_readers, generated, generate_readers, roots["$(objtree)"])
            if e["src_root"] == "objtree" and (e["src"] in generated or e["src"] in images):
                scan_sources[e["out"]] = obj[e["src"]]
        include_report = include_scan_actions.emit(
            ctx,
            tool = ctx.attr._include_scan[DefaultInfo].files_to_run,
            record = ctx.file.include_record,
            plan_text = ctx.attr.plan,
            srctree = srctree,
            objtree = roots["$(objtree)"],
            resource_dir = roots["$(CC_RESOURCE_DIR)"],
            clang = tc.clang,
            scan_deps = scan_deps[0],
            tree = ctx.files.include_tree,
            srcarch = plan["srcarch"],
            # The plan check's stamp first: a stale plan scans nothing, and under remote
            # execution the two large input uploads do not run at once.
            inputs = [depset([stamp]), depset(src_files), depset(ctx.files.objtree), depset(generated.values() + images.values()), tc.all_files],
            dirs = extra_dirs,
            extra_flags = scan_flags,
            sources = scan_sources,
            shared = sorted(from_base),
            reimport = "./bazel sync --only={},{}".format(share.repo, ctx.file.plan_sources.owner.workspace_name) if share else "",
        )
    config_checks = []
    checking = struct(table = interned.get("config"), fixdep = obj.get("scripts/basic/fixdep"), symbol_files = {})
    share_keys = {}
    share_checks = []
    for o in plan["objects"] + lds_plans:
        is_lds = o["out"].endswith(".lds")

        # The base config's compile of it read the same bytes (tools/kbuild_import/share.py):
        # its object is this one's. This rule's own compile of it is declared too, as a check
        # (output group share_check), never built otherwise.
        taken = o["out"] in from_base
        if o.get("share") and not taken:
            share_keys[o["out"]] = o["share"]
        out = ctx.actions.declare_file("{}/{}{}".format(ctx.label.name, "share_check/" if taken else "", o["out"]))
        if o["src_root"] == "objtree" and o["src"] in partial_srcs:
            source = partial_made[o["src"]]
        else:
            source = _lookup(src if o["src_root"] == "srctree" else obj, o["src"], "source", o["out"])
        inputs = [source, stamp]
        inputs += [_lookup(obj, h, "generated file", o["out"]) for h in o["build_inputs"] + o.get("incbin", [])]
        shared = [nodes[o[key]] for nodes, key in [(hdr_nodes, "hdrs"), (gen_nodes, "gen_inputs")] if o[key] >= 0]
        slice = slices.get(o.get("config_key"))
        extra_dir = extra_dirs.get(o["out"])
        if sliced and not slice:
            # No footprint at import: it reads a file a build step makes (vdso-offsets.h, a
            # generated table or source). Its slice is fixdep's scan of what it reads, at build time.
            slice = config_slice_actions.scan(
                ctx,
                name = o["out"],
                autoconf = autoconf,
                files = depset([source] + inputs[2:], transitive = shared + ([depset([extra_dir])] if extra_dir else [])),
            )
        if sliced:  # its slice of autoconf.h
            shared.append(depset([slice]))
        slice_flags = [config_slice_actions.include_flag(slice)] if slice else []
        if slice and extra_dir:  # the whole autoconf.h, when an edit mentions a symbol outside the slice
            slice_flags = include_scan_actions.config_flags(extra_dir.path) + slice_flags
            args = ctx.actions.args()
            args.add_all(slice_flags)
        else:
            args = config_slice_actions.include_args(ctx, slice) if slice else ctx.actions.args()

        # The vDSO headers it reads are action outputs (vdso.bzl), not in the import's tree.
        entry_flags = _entry_flags(flag_sets, o, roots)
        entry_flags += _made_flags(o, entry_flags, vdso, vdso_readers, generated, generate_readers, roots["$(objtree)"])
        if extra_dir:  # its extra headers after an edit (actions/include_scan.bzl)
            entry_flags = include_scan_actions.flags(entry_flags, extra_dir.path)
            shared.append(depset([extra_dir]))
        args.add_all(entry_flags)
        if o.get("incbin"):
            # Kbuild assembles in the object tree, where .incbin paths are relative.
            args.add("-Wa,-I" + roots["$(objtree)"])
            args.add_all(vdso_actions.incbin_dirs(images, o["incbin"]), format_each = "-Wa,-I%s")
            args.add_all(generate_actions.incbin_dirs(generated, o["incbin"]), format_each = "-Wa,-I%s")
        if o.get("lto") == "bitcode":
            plugin_flags, plugin_inputs = lto_actions.srcloc_plugin(ctx, tc)
            args.add_all(plugin_flags)
            inputs += plugin_inputs
        if is_lds:
            args.add_all(["-E", "-o", out, source])
        else:
            args.add_all(["-c", "-o", out, source])
        if o.get("module"):  # srcversion (kernel_modules) compiles module parts again for their depfile
            part_compiles[o["out"]] = struct(source = source, inputs = depset(inputs, transitive = shared), flags = slice_flags + entry_flags)
        post = o.get("post", [])
        if len(post) > 1:
            fail("{}: {} has {} post-compile steps; only one objtool step is supported".format(ctx.label, o["out"], len(post)))
        executable, arguments = tc.clang, [args]
        if o.get("lto") == "bitcode" and o.get("incbin"):
            # clang parses the object's inline assembly for its symbol table and looks the
            # .incbin file up from its working directory (Kbuild compiles in the object tree).
            executable, arguments, _ = lto_actions.lto_link_command(
                ctx,
                struct(tool = ctx.attr._lto_link[DefaultInfo].files_to_run, incbins = [(p, _lookup(obj, p, "generated file", o["out"])) for p in o["incbin"]]),
                tc.clang,
                args,
                cache = False,
            )
        run_compile(
            ctx,
            executable = executable,
            arguments = arguments,
            inputs = depset(inputs, transitive = shared + [tc.all_files]),
            out = out,
            objtool = objtool,
            objtool_flags = objtool_flags(post[0], o["out"], ctx.label) if post else None,
            srctree = srctree,
            objtree = roots["$(objtree)"],
            repo = ctx.file.plan_sources.owner.workspace_name,
            name = o["out"],
            source = source,
            mnemonic = "KernelShareCheck" if taken else "KernelCompile",
            progress_message = "Compiling {} ({}{}{})".format(o["out"], "linker script" if is_lds else o["lto"], ", objtool" if post else "", ", to compare with the base config's" if taken else ""),
        )
        if taken:
            share_checks.append((share.objects[o["out"]], out, o["out"]))
            objects[o["out"]] = share.objects[o["out"]]
            bitcode[o["out"]] = share.bitcode[o["out"]]
            if o.get("lang") == "asm":  # the kallsyms .S reads the headers assembly objects read
                asm_inputs += inputs[2:]
                asm_transitive += shared
            continue
        sv = o.get("symversions")
        if sv:
            if not genksyms:
                fail("{}: the plan runs genksyms on {} but the import built none (scripts/genksyms/genksyms); re-import".format(ctx.label, o["out"]))
            if sv["kind"] == "asm" and not sv_asm_inputs:
                fail("{}: {} exports from assembly (CONFIG_ASM_MODVERSIONS) but the plan has no symversions_asm headers; re-import".format(ctx.label, o["out"]))
            symversions[o["out"]] = ctx.actions.declare_file("{}/{}.symversions".format(ctx.label.name, o["out"]))
            symversions_actions.emit(
                ctx,
                tc = tc,
                genksyms = genksyms,
                path = o["out"],
                obj = out,
                source = source,
                entry = sv,
                flags = slice_flags + entry_flags,
                roots = roots,
                inputs = depset(inputs, transitive = shared + ([sv_asm_inputs] if sv["kind"] == "asm" else [])),
                out = symversions[o["out"]],
            )
        if slice and o.get("config_key"):
            config_checks.append(_config_check(ctx, tc, o, source, slice, autoconf, entry_flags, depset(inputs, transitive = shared + [tc.all_files]), checking))
        if o.get("lang") == "asm":
            asm_inputs += inputs[2:]
            asm_transitive += shared
        if o["out"] == plan["link"]["lds"]["out"]:
            lds = out
        elif o["out"] in partial_lds:
            partial_lds[o["out"]] = out
        elif is_lds:
            module_lds = out
        else:
            objects[o["out"]] = out
            bitcode[o["out"]] = o["lto"] == "bitcode"
            if bitcode[o["out"]] and o.get("incbin"):
                # In-process LTO links generate this object's code: lld reads these then.
                incbin[o["out"]] = [(p, _lookup(obj, p, "generated file", o["out"])) for p in o["incbin"]]

    share_check = _share_check(ctx, share_checks, share_keys, "share_check")
    share_check_sample = _share_check(ctx, [c for c in share_checks if hash(c[2]) % 4 == 0], share_keys, "share_check_sample")

    # Objects Kbuild derives from compiled ones (EFI stub, arm64 pi/): native, as their sources.
    for name, d in sorted(plan.get("derived", {}).items()):
        if d["src"] not in objects:
            fail("{}: {} is made from {}, which the plan does not compile; re-import".format(ctx.label, name, d["src"]))
        if bitcode[d["src"]]:
            fail("{}: {} is made from {}, which is LLVM bitcode; Kbuild's objcopy needs a native object (filter out CC_FLAGS_LTO in its Makefile)".format(ctx.label, name, d["src"]))
        out = ctx.actions.declare_file("{}/{}".format(ctx.label.name, name))
        objcopy_actions.emit(
            ctx,
            tc = tc,
            stubcopy = ctx.attr._stubcopy[DefaultInfo].files_to_run,
            name = name,
            entry = d,
            src = objects[d["src"]],
            out = out,
            roots = roots,
        )
        objects[name] = out
        bitcode[name] = False

    # The composites' steps (ld -r, gen-hyprel, objcopy); each composite is a native member.
    for name, f in partial_link_actions.emit(
        ctx,
        tc = tc,
        tool = ctx.attr._boot_step[DefaultInfo].files_to_run,
        plan = plan,
        made = partial_made,
        objects = objects,
        scripts = partial_lds,
        obj = obj,
        stamp = stamp,
        srctree = srctree,
    ).items():
        objects[name] = f
        bitcode[name] = False
    libs = []
    for a in plan["link"]["libs"]:
        libs += plan["archives"][a]["members"]
    members = [m for m in plan["link"]["order"] if m not in libs]
    vt = [objects[p] for p in plan["link"]["link_objects"]]

    # kallsyms' generated .S is assembled with the kernel's asm flags: those of the
    # first assembly object of vmlinux.a.
    asm = [o for o in plan["objects"] if o["lang"] == "asm" and o["out"] in members]
    if autoconf:  # the kallsyms .S has no footprint: it reads the whole autoconf.h
        asm_inputs.append(autoconf)
    asflags = _entry_flags(flag_sets, asm[0], roots) if asm else []
    mod_c_inputs = []
    if modules:
        mod_c = modules["mod_c"]
        mod_c_inputs = [_lookup(src, h, "header", "*.mod.c") for h in mod_c["hdrs"]]
        mod_c_inputs += [_lookup(obj, h, "generated file", "*.mod.c") for h in mod_c["gen_inputs"] if not (sliced and h == config_slice_actions.AUTOCONF)]
    hosts = {p: _lookup(obj, p, "host program", "link") for p in plan["link"]["host_programs"] if p != "scripts/mod/modpost"}
    export_o = plan["link"].get("export_o")
    export_o_inputs = []
    if export_o:  # CONFIG_MODVERSIONS: .vmlinux.export.o's headers
        export_o_inputs = [_lookup(src, h, "header", export_o["out"]) for h in export_o["hdrs"]]
        export_o_inputs += [_lookup(obj, h, "generated file", export_o["out"]) for h in export_o["gen_inputs"]]

    # x86_64 bzImage: the boot steps that do not need vmlinux (kernel_bzimage.bzl).
    boot = bzimage_actions.emit_before(ctx, tc, ctx.attr._boot_step[DefaultInfo].files_to_run, plan.get("boot"), src, obj, objects, stamp, srctree)
    return [
        DefaultInfo(files = depset(objects.values())),
        # `bazel build @linux_<arch>_<lto>//:objects --output_groups=plan_check`: the check alone.
        # --output_groups=symversions: the `#SYMVER` lines of every object (MODVERSIONS).
        # --output_groups=config_check: every object preprocesses the same with its config slice;
        # config_check_sample: a fixed quarter of them (by a hash of the object's name: CI).
        # --output_groups=include_scan: what KernelIncludeScan rescanned and copied.
        OutputGroupInfo(
            plan_check = depset([stamp]),
            include_scan = depset([include_report] if include_report else []),
            symversions = depset(symversions.values()),
            config_check = depset(config_checks),
            config_check_sample = depset([c for c in config_checks if hash(c.basename) % 4 == 0]),
            # --output_groups=vdso: every vDSO step's output (tests/vdso compares them with Kbuild's).
            vdso = depset(vdso.values()),
            # --output_groups=vdso_readers: the objects that read them (arm64: vdso-wrap.o and
            # vdso32-wrap.o `.incbin`, alternative.o, signal.o, signal32.o, vdso.o the offsets
            # headers; x86_64: vdso-image-64.o), without building the whole kernel.
            vdso_readers = depset([objects[o] for o in sorted(vdso_readers) if o in objects]),
            # --output_groups=realmode: every realmode step's output (tests/realmode, likewise).
            realmode = depset(realmode.values()),
            # --output_groups=certs: every CERT step's output and the objects that read them
            # (system_certificates.o; tests/certs compares them with Kbuild's).
            certs = depset(certs.values() + [objects[o] for o in sorted(plan.get("certs", {}).get("readers", {}))]),
            # --output_groups=generate: every generate step's output (tests/generate compares them with Kbuild's).
            generate = depset(generated.values()),
            # --output_groups=share_check: a config variant compiles the objects it takes from
            # its base (share_from) itself and compares the bytes (tests/variants).
            share_check = depset([share_check] if share_check else []),
            # share_check_sample: a fixed quarter of them (by a hash of the object's path: CI).
            share_check_sample = depset([share_check_sample] if share_check_sample else []),
        ),
        KernelObjectsInfo(
            arch = plan["arch"],
            lto = plan["lto"],
            objects = objects,
            bitcode = bitcode,
            incbin = incbin,
            vmlinux_members = members,
            lib_members = libs,
            link_objects = vt,
            lds = lds,
            link = plan["link"],
            host_programs = hosts,
            objtool = objtool,
            asflags = asflags,
            asm_inputs = depset(asm_inputs, transitive = asm_transitive),
            modules = modules,
            part_compiles = part_compiles,
            module_lds = module_lds,
            mod_c_inputs = depset(mod_c_inputs),
            autoconf = autoconf,
            roots = roots,
            objtree_headers = depset([f for p, f in obj.items() if _is_generated_header(p)]),
            symversions = symversions,
            export_o_inputs = depset(export_o_inputs),
            boot = boot,
            share_keys = share_keys,
            repo = ctx.file.plan_sources.owner.workspace_name,
        ),
    ]

kernel_objects = rule(
    implementation = _kernel_objects_impl,
    doc = "Compiles every object of an imported Kbuild plan (bitcode or native as the plan says).",
    attrs = {
        "plan": attr.string(mandatory = True, doc = "The plan JSON with interned lists (plan.bzl's PLAN_JSON: tools/kbuild_import/intern.py)."),
        "srctree": attr.label(mandatory = True, allow_files = True, doc = "The kernel source files the plan reads (all in one repository)."),
        "objtree": attr.label(mandatory = True, allow_files = True, doc = "The import's object tree (generated headers, host programs)."),
        "plan_sources": attr.label(mandatory = True, allow_single_file = True, doc = "What the import recorded it read (plan_sources.json, tools/plan_check)."),
        "kbuild_inputs": attr.label(mandatory = True, allow_files = True, doc = "The source tree's files of KBUILD_INPUTS (@linux//:kbuild_inputs)."),
        "built_from": attr.label_list(allow_files = True, doc = "Other source-tree files the import's own builds read (from its record)."),
        "config_inputs": attr.label_list(allow_files = True, doc = "The import's .config and fragments, in its order."),
        "include_record": attr.label(allow_single_file = True, doc = "The import's directive record (include_record.json); without it header sets are fixed at import."),
        "include_tree": attr.label(allow_files = True, doc = "The source tree's files (@linux//:tree): KernelIncludeScan declares its headers."),
        "share_from": attr.label(providers = [KernelObjectsInfo], doc = "The objects of the base config this one is a variant of (kernel_config variants): an object whose share key (tools/kbuild_import/share.py) equals the one the base compiled is taken from it, not compiled again."),
        "_plan_check": attr.label(default = "//tools/plan_check", executable = True, cfg = "exec"),
        "_include_scan": attr.label(default = "//tools/include_scan", executable = True, cfg = "exec"),
        "_lto_link": attr.label(default = "//tools/thinlto_cache:link", executable = True, cfg = "exec"),
        "_config_slices": attr.label(default = "//:config_slices", providers = [KernelConfigSlicesInfo]),
        "_config_slice": attr.label(default = "//tools/config_slice", executable = True, cfg = "exec"),
        "_config_check": attr.label(default = "//tools/config_slice:check", executable = True, cfg = "exec"),
        "_stubcopy": attr.label(default = "//tools/stubcopy", executable = True, cfg = "exec"),
        "_boot_step": attr.label(default = "//tools/boot_step", executable = True, cfg = "exec"),
        "_boot_tools": BOOT_TOOLS_ATTR["_boot_tools"],
        "platform": attr.label(mandatory = True, doc = "The platform this kernel is built for (an incoming transition: see platform_transition.bzl)."),
        "_allowlist_function_transition": attr.label(default = "@bazel_tools//tools/allowlists/function_transition_allowlist"),
    },
    cfg = own_platform,
    toolchains = [_TOOLCHAIN],
)
