"""Action helpers shared by in-tree modules (kernel_modules) and out-of-tree ones (kernel_module).

A module M with parts P1..Pn goes through the steps of Kbuild 6.1 (docs/modules-design.md):

    parts   KernelCompile (kernel_objects, or kernel_module for out-of-tree parts)
    M.o     KernelModuleObject: `ld.lld -r` over the parts (LTO modes: lld runs LTO in
            process, as Kbuild's `ld -r`); thin_dist: KernelThinLink over the parts, one
            KernelLtoBackend per part, then `ld.lld -r` over the natives. x86_64: objtool
            in the same action when Kbuild runs it there.
    modpost KernelModpost: tools/modpost over vmlinux.o and every M.o (one action)
    M.mod.o KernelCompile of the M.mod.c modpost wrote (bitcode under LTO, as Kbuild)
    M.ko    KernelModuleLink: `ld.lld -r ... -T scripts/module.lds -o M.ko M.o M.mod.o`

Every command comes from the plan as an argv with placeholders; `plan_args` puts the
action's own files where the plan names Kbuild paths.
"""

load("//rules/private:objtool.bzl", "objtool_flags", "run_then_objtool")
load("//rules/private/actions:config_slice.bzl", "config_slice_actions")
load("//rules/private/actions:debug_info.bzl", "debug_info_flags")
load("//rules/private/actions:lto.bzl", "lto_actions")
load("//rules/private/actions:shell.bzl", "run_shell")

def substitute(word, roots):
    """Replaces the plan's placeholders ($(srctree), ...) in one word."""
    for placeholder, value in roots.items():
        word = word.replace(placeholder, value)
    return word

def plan_args(ctx, argv, files, out, roots, where):
    """Args for a plan argv ($(LD) ... -o OUT ...) with the action's own files in place.

    Args:
      ctx: rule context.
      argv: list[string]: the plan's command.
      files: dict[string, File]: Kbuild path -> File, for the inputs.
      out: (string, File): the output's Kbuild path (the word after -o) and File.
      roots: placeholder -> exec path.
      where: for errors.

    Returns:
      (Args, list[File]): the arguments after the tool, and the input files they name.
    """
    if not argv or argv[0] != "$(LD)":
        fail("{}: expected an $(LD) command in the plan, got {}; re-import".format(where, argv[:3]))
    args = ctx.actions.args()
    args.add_all(lto_actions.LD_SAFE_FLAGS)
    used = []
    after_o = False
    for word in argv[1:]:
        if after_o:
            if word != out[0]:
                fail("{}: the plan's link writes {}, expected {}; re-import".format(where, word, out[0]))
            args.add(out[1])
            after_o = False
            continue
        after_o = word == "-o"
        f = files.get(word)
        if f:
            args.add(f)
            if f not in used:
                used.append(f)
        elif word.endswith(".o") or word.endswith(".ko") or word.endswith(".lds"):
            fail("{}: the plan's link reads {}, which this rule does not build; re-import".format(where, word))
        else:
            args.add(substitute(word, roots))
    return args, used

def link_flags(argv, drop, roots):
    """The flags of a plan $(LD) argv without `-o X` and without the inputs in `drop`."""
    out = []
    skip = False
    for word in argv[1:]:
        if skip:
            skip = False
        elif word == "-o":
            skip = True
        elif word not in drop:
            out.append(substitute(word, roots))
    return out

def ld_argv(template, values, parts = []):
    """A link argv from a plan extmod template: placeholders filled from `values`
    ($(M), $(NAME), ...), the word $(PARTS) replaced by `parts` (one argument each)."""
    out = []
    for word in template:
        if word == "$(PARTS)":
            out += parts
        else:
            out.append(substitute(word, values))
    return out

def emit_module_object(ctx, tc, mode, path, parts, link, post, roots, objtool, out_prefix, shared = {}, incbin = {}, bitcode = None):
    """M.o from its parts: a KernelModuleObject action (thin_dist: thin-link + backends first).

    Args:
      ctx: rule context (needs attr _thinlto).
      tc: KernelToolchainInfo.
      mode: link mode.
      path: Kbuild path of M.o ("lib/test_module.o").
      parts: list[(string, File)]: Kbuild path and compiled object of each part.
      link: the plan's argv making M.o, or None (single native part: M.o is the part).
      post: list[string]: the plan's commands after the link (objtool on x86_64).
      roots: placeholder -> exec path.
      objtool: File or None.
      out_prefix: directory (relative to the package) of this rule's outputs.
      shared: dict[string, ...]: parts also linked into another module (compiled once);
        thin_dist gives their index and backend output a per-module path (M.o.parts/).
      incbin: KernelObjectsInfo.incbin (.incbin files of bitcode parts). With ctx.attr._lto_link,
        thin (and full with .incbin) links run through tools/thinlto_cache:link.
      bitcode: KernelObjectsInfo.bitcode (Kbuild path -> is LLVM bitcode), or None (every
        part is). thin_dist gives only bitcode parts a backend; native parts (an LTO opt-out,
        assembly: arm64 defconfig's sha512-core.o in sha512-arm64.ko) are linked as they are.

    Returns:
      struct(obj = File, lto = KernelLtoInfo fields or None).
    """
    out = ctx.actions.declare_file("{}/{}".format(out_prefix, path))
    where = "{} ({})".format(ctx.label, path)
    if len(post) > 1:
        fail("{}: Kbuild runs {} commands after linking it; only one objtool step is supported".format(where, len(post)))
    flags = objtool_flags(post[0], path, where) if post else None
    if link == None:
        if len(parts) != 1 or flags != None:
            fail("{}: a module without a link step must be one native object; re-import".format(where))
        ctx.actions.symlink(output = out, target_file = parts[0][1])
        return struct(obj = out, lto = None)
    files = {p: f for p, f in parts}
    lto = None
    if mode == "thin_dist":
        thinlto = ctx.attr._thinlto[DefaultInfo].files_to_run
        objs = [f for _, f in parts]
        bc_parts = [(p, f) for p, f in parts if bitcode == None or bitcode.get(p, True)]
        if not bc_parts:
            fail("{}: thin_dist module without a bitcode part; re-import".format(where))

        # The thin-link sees the same flags as Kbuild's `ld -r` (its -r included), and every
        # part: the native ones resolve symbols as in Kbuild's link.
        own = {p: "{}/natives/{}.parts/{}".format(out_prefix, path, p) for p, _ in bc_parts if p in shared}
        trees = lto_actions.emit_thin_link(
            ctx,
            tc,
            thinlto,
            objs,
            [f for _, f in bc_parts],
            link_flags(link, files, roots),
            trees = [ctx.actions.declare_file(own[p] + ".thinlto.tar") if p in own else None for p, _ in bc_parts],
            bundles = True,
        )
        objs = [f for _, f in bc_parts]
        natives = []
        for (p, obj), tree in zip(bc_parts, trees):
            native = ctx.actions.declare_file(own.get(p, "{}/natives/{}".format(out_prefix, p)))
            lto_actions.emit_backend(ctx, tc, thinlto, obj, tree, native, incbin.get(p, []))
            natives.append(native)
            files[p] = native
        lto = struct(bitcode = objs, indexes = trees, natives = natives)
    args, used = plan_args(ctx, link, files, (path, out), roots, where)
    wrap = lto_actions.lto_link(ctx, mode, [pair for p, _ in parts for pair in incbin.get(p, [])]) if hasattr(ctx.attr, "_lto_link") else None
    executable, arguments, extra = lto_actions.lto_link_command(ctx, wrap, tc.ld_lld, args)
    run_then_objtool(
        ctx,
        executable,
        arguments,
        depset(used + extra, transitive = [tc.all_files]),
        out,
        objtool,
        flags,
        mnemonic = "KernelModuleObject",
        progress_message = "Linking module object {}{}".format(path, " (objtool)" if flags != None else ""),
    )
    return struct(obj = out, lto = lto)

# Writes, for srcversion (sumversion.c), what Kbuild leaves in the object tree: M.mod (the
# parts) and each part's .P.o.cmd with `source_` and the `deps_` list in the compiler's
# -MMD order, from the part's depfile. Args: "--mod" M PARTS... "--" | "--cmd" P DEPFILE;
# "--strip" PREFIX (before --cmd) removes PREFIX from the front of every depfile path
# (in-tree parts: the exec root's srctree/objtree, leaving Kbuild's relative paths).
# For modpost -m (CONFIG_MODVERSIONS): "--symvers" P FILE appends P's genksyms lines
# (KernelSymversions) to .P.o.cmd after a newline (modpost looks for "\n#SYMVER "), for
# vmlinux objects and module parts; "--vmlinux_objs" OBJS... "--" writes .vmlinux.objs
# (Makefile.modpost: `$(AR) t` of vmlinux.a and the KBUILD_VMLINUX_LIBS archives).
_SRCVERSION_STUBS = r"""
while [ $# -gt 0 ]; do
  case "$1" in
    --mod) mod="$2"; shift 2; : > "$mod.mod"
      while [ "$1" != -- ]; do echo "$1" >> "$mod.mod"; shift; done; shift ;;
    --strip) strip="${strip-}$2 "; shift 2 ;;
    --cmd) part="$2"; deps="$root/$3"; shift 3
      words=$(sed -e 's/\\$//' "$deps" | tr ' ' '\n' | grep -v -e ':$' -e '^$')
      for prefix in ${strip-}; do words=$(echo "$words" | while IFS= read -r w; do echo "${w#"$prefix"}"; done); done
      # `include/trace/events/../../../net/bridge/br_private.h` (a header found through
      # `..`): sumversion opens it as written, so the directories before `..` must exist.
      echo "$words" | grep '/\.\./' | sed 's#/\.\./.*##' | while IFS= read -r d; do mkdir -p "$d"; done
      mkdir -p "$(dirname "$part")"
      {
        echo "source_$part := $(echo "$words" | head -1)"
        echo
        echo "deps_$part := \\"
        echo "$words" | tail -n +2 | sed -e 's/^/  /' -e 's/$/ \\/'
        echo
      } > "$(dirname "$part")/.$(basename "$part").cmd" ;;
    --symvers) part="$2"; mkdir -p "$(dirname "$part")"
      { echo; cat "$root/$3"; } >> "$(dirname "$part")/.$(basename "$part").cmd"; shift 3 ;;
    --vmlinux_objs) shift; : > .vmlinux.objs
      while [ "$1" != -- ]; do echo "$1" >> .vmlinux.objs; shift; done; shift ;;
    *) break ;;
  esac
done
"""

def _in_own_dir(path, d):
    """sumversion.c parse_source_files(): a dependency is hashed when the object's directory
    `d` ("drivers/net/") first occurs in its path right before the file name."""
    at = path.find(d)
    return at >= 0 and at + len(d) - 1 == path.rfind("/")

def _kbuild_path(f, roots):
    """A File's path as Kbuild names it (relative to srctree or objtree), or None."""
    for root in [roots["$(srctree)"], roots["$(objtree)"]]:
        if f.path.startswith(root + "/"):
            return f.path[len(root) + 1:]
    return None

def srcversion(ctx, tc, roots, mods, part_compiles, prefix):
    """What modpost needs for srcversion (MODULE_VERSION modules; sumversion.c), as Kbuild
    6.1 leaves it in the object tree: M.mod, and per part `.P.o.cmd` from the compile's
    `-Wp,-MMD` depfile (the compiler's order: the hash is of the files in that order).

    Each part of such a module is compiled again with Kbuild's `-Wp,-MMD,<depfile>` in front
    of its flags, the object discarded (KernelSrcversionDeps; the KernelCompile actions stay
    as they are). The depfile's paths are made Kbuild's (relative to srctree/objtree: never
    the exec root's) before modpost sees them, and exactly the files sumversion reads (each
    part's source and its dependencies in the part's own directory) are staged at those
    paths in modpost's directory.

    Args:
      ctx: rule context.
      tc: the kernel toolchain.
      roots: dict[string, string]: plan placeholder -> exec path ($(srctree), $(objtree)).
      mods: list[(M, list[part path])]: the modules whose sources use MODULE_VERSION.
      part_compiles: dict[string, struct]: KernelObjectsInfo.part_compiles.
      prefix: modpost's directory (emit_modpost's out_prefix).

    Returns:
      emit_modpost's srcversion struct.
    """
    parts = []
    for _, objects in mods:
        for p in objects:
            if p not in parts:
                parts.append(p)
    staged = {}
    depfiles = []
    for p in parts:
        c = part_compiles.get(p)
        if not c:
            fail("{}: module part {} has no compile in the plan; re-import".format(ctx.label, p))
        depfile = ctx.actions.declare_file("{}/srcversion/{}.d".format(prefix, p))
        args = ctx.actions.args()
        args.add("-Wp,-MMD," + depfile.path)
        args.add_all(c.flags)
        args.add_all(["-c", "-o", "/dev/null", c.source])
        ctx.actions.run(
            executable = tc.clang,
            arguments = [args],
            inputs = depset(transitive = [c.inputs, tc.all_files]),
            outputs = [depfile],
            mnemonic = "KernelSrcversionDeps",
            progress_message = "Dependencies of {} (srcversion)".format(p),
        )
        depfiles.append((p, depfile))
        d = p[:p.rfind("/") + 1]
        for f in c.inputs.to_list():
            path = _kbuild_path(f, roots)
            if path and (f == c.source or _in_own_dir(path, d)) and path not in staged:
                link = ctx.actions.declare_file("{}/{}".format(prefix, path))
                ctx.actions.symlink(output = link, target_file = f)
                staged[path] = link
    return struct(
        inputs = staged.values() + [f for _, f in depfiles],
        mods = mods,
        parts = depfiles,
        strip = [roots["$(srctree)"] + "/", roots["$(objtree)"] + "/"],
    )

def emit_modpost(ctx, modpost, args_template, order, objects, vmlinux_o, symvers_in, out_prefix, mod_c_paths, srcversion = None, crcs = None):
    """KernelModpost: tools/modpost in `out_prefix` (Kbuild's object tree for the modules).

    Args:
      ctx: rule context.
      modpost: FilesToRunProvider of //tools/modpost.
      args_template: list[string]: the plan's modpost argv after the tool ("-T -" reads the
        object list from stdin, as Kbuild pipes it).
      order: list[string]: modules.order (.ko paths, relative to out_prefix).
      objects: dict[string, File]: M.o by Kbuild path; each must live at out_prefix/path.
      vmlinux_o: File or None: staged as out_prefix/vmlinux.o.
      symvers_in: list[(string, File)]: -i inputs (path as the argv names it, File).
      out_prefix: directory of the outputs, relative to the package.
      mod_c_paths: list[string]: the M.mod.c paths modpost writes.
      srcversion: None, or struct(inputs = list[File] (sources staged under out_prefix,
        depfiles), mods = list[(M, list[part path])], parts = list[(part path, depfile)],
        strip = list[string] (prefixes removed from the depfiles' paths; optional)):
        writes M.mod and .P.o.cmd stubs first, so that modules with MODULE_VERSION get
        their srcversion as Kbuild computes it.
      crcs: None, or (modpost -m) struct(mods = list[(M, list[part path])], symversions =
        list[(object path, File)] (KernelSymversions outputs of vmlinux objects and module
        parts), vmlinux_objs = list[string] (None for out-of-tree runs)): writes M.mod,
        .vmlinux.objs and the `#SYMVER` lines into each object's .P.o.cmd first.

    Returns:
      struct(symvers = File, mod_c = dict[string, File], order = File).
    """
    order_file = ctx.actions.declare_file(out_prefix + "/modules.order")
    ctx.actions.write(order_file, "".join([k + "\n" for k in order]))
    inputs = [order_file] + objects.values()
    for path, f in objects.items():
        want = "{}/{}".format(order_file.dirname, path)
        if f.path != want:
            fail("{}: {} must be at {} for modpost, not {}".format(ctx.label, path, want, f.path))
    staged_vmlinux = None
    if vmlinux_o:
        staged_vmlinux = ctx.actions.declare_file(out_prefix + "/vmlinux.o")
        ctx.actions.symlink(output = staged_vmlinux, target_file = vmlinux_o)
        inputs.append(staged_vmlinux)
    argv = list(args_template)
    if "-o" not in argv:
        fail("{}: the plan's modpost command writes no Module.symvers (-o); re-import".format(ctx.label))
    symvers = ctx.actions.declare_file("{}/{}".format(out_prefix, argv[argv.index("-o") + 1]))
    for path, f in symvers_in:
        staged = ctx.actions.declare_file("{}/{}".format(out_prefix, path))
        ctx.actions.symlink(output = staged, target_file = f)
        inputs.append(staged)
    mod_c = {p: ctx.actions.declare_file("{}/{}".format(out_prefix, p)) for p in mod_c_paths}
    stubs = []
    if srcversion:
        inputs += srcversion.inputs
        for prefix in getattr(srcversion, "strip", []):
            stubs += ["--strip", prefix]
        for m, parts in srcversion.mods:
            stubs += ["--mod", m] + parts + ["--"]
        for p, depfile in srcversion.parts:
            stubs += ["--cmd", p, depfile.path]
    if crcs:
        if "-m" not in argv:
            fail("{}: symbol CRCs given, but the plan's modpost command has no -m; re-import".format(ctx.label))
        for m, parts in crcs.mods:
            stubs += ["--mod", m] + parts + ["--"]
        for p, f in crcs.symversions:
            stubs += ["--symvers", p, f.path]
            inputs.append(f)
        if crcs.vmlinux_objs != None:
            stubs += ["--vmlinux_objs"] + crcs.vmlinux_objs + ["--"]
    elif "-m" in argv:
        fail("{}: the plan's modpost runs with -m (CONFIG_MODVERSIONS) but no symbol CRCs were given".format(ctx.label))
    run_shell(
        ctx,
        command = """set -e
root="$PWD"; tool="$PWD/$1"; dir="$2"; shift 2
cd "$dir"
""" + _SRCVERSION_STUBS + """
sed 's/ko$/o/' modules.order | "$tool" "$@"
""",
        arguments = [modpost.executable.path, order_file.dirname] + stubs + argv,
        inputs = inputs,
        tools = [modpost],
        outputs = [symvers] + mod_c.values(),
        mnemonic = "KernelModpost",
        progress_message = "modpost: {} modules of {}".format(len(order), ctx.label),
    )
    return struct(symvers = symvers, mod_c = mod_c, order = order_file, vmlinux_o = staged_vmlinux)

def emit_vmlinux_export_c(ctx, modpost, vmlinux_o, crcs, out_prefix):
    """KernelModpost for vmlinux alone (modpost -m): .vmlinux.export.c, the SYMBOL_CRC line of
    every vmlinux export, before the final vmlinux link (CONFIG_MODVERSIONS). Its bytes
    depend only on vmlinux's exports and CRCs, so they are those of Kbuild's one modpost
    run over vmlinux and the modules (tests/modules/modversions_diff.sh).

    Args:
      ctx: rule context.
      modpost: FilesToRunProvider of //tools/modpost.
      vmlinux_o: File, staged as out_prefix/vmlinux.o.
      crcs: struct(symversions = list[(object path, File)], vmlinux_objs = list[string]),
        as emit_modpost's (its mods unused).
      out_prefix: directory of the output, relative to the package.

    Returns:
      File: out_prefix/.vmlinux.export.c.
    """
    staged = ctx.actions.declare_file(out_prefix + "/vmlinux.o")
    ctx.actions.symlink(output = staged, target_file = vmlinux_o)
    out = ctx.actions.declare_file(out_prefix + "/.vmlinux.export.c")
    stubs = ["--vmlinux_objs"] + crcs.vmlinux_objs + ["--"]
    inputs = [staged]
    for p, f in crcs.symversions:
        stubs += ["--symvers", p, f.path]
        inputs.append(f)
    run_shell(
        ctx,
        command = """set -e
root="$PWD"; tool="$PWD/$1"; dir="$2"; shift 2
cd "$dir"
""" + _SRCVERSION_STUBS + """
"$tool" -m -T - vmlinux.o < /dev/null
""",
        arguments = [modpost.executable.path, staged.dirname] + stubs,
        inputs = inputs,
        tools = [modpost],
        outputs = [out],
        mnemonic = "KernelModpost",
        progress_message = "modpost -m: .vmlinux.export.c of {}".format(ctx.label),
    )
    return out

def emit_builtin(ctx, tc, commands, vmlinux_o, out_prefix):
    """KernelModulesBuiltin: modules.builtin.modinfo and modules.builtin from vmlinux.o.

    Runs the plan's two commands (Makefile.vmlinux_o: objcopy -j .modinfo, then the
    tr/sed pipeline) in out_prefix, where vmlinux_o (staged there) is `vmlinux.o`.
    """
    outs = [ctx.actions.declare_file(out_prefix + "/" + n) for n in ["modules.builtin.modinfo", "modules.builtin"]]
    if len(commands) != 2 or "modules.builtin.modinfo" not in commands[0] or "> modules.builtin" not in commands[1]:
        fail("{}: the plan's modules.builtin commands are not the two of Linux 6.1; re-import".format(ctx.label))
    if vmlinux_o.dirname != outs[0].dirname:
        fail("{}: vmlinux.o must be staged beside modules.builtin".format(ctx.label))
    run_shell(
        ctx,
        command = 'set -e\nobjcopy="$PWD/$1"; cd "$2"\n' + commands[0].replace("$(OBJCOPY)", '"$objcopy"') + "\n" + commands[1] + "\n",
        arguments = [tc.llvm_objcopy.path, vmlinux_o.dirname],
        inputs = depset([vmlinux_o], transitive = [tc.all_files]),
        outputs = outs,
        mnemonic = "KernelModulesBuiltin",
        progress_message = "modules.builtin of {}".format(ctx.label),
    )
    return outs

def emit_mod_o(ctx, tc, path, src, flags, roots, hdrs, out_prefix, autoconf = None):
    """KernelCompile of M.mod.c (flags: the plan's, placeholders in).

    With `autoconf` (the whole file; hdrs then lacks it), the compile reads a slice of it: the
    symbols M.mod.c and its headers mention (config_slice_actions.scan), as fixdep keys it.
    """
    out = ctx.actions.declare_file("{}/{}".format(out_prefix, path))
    if autoconf:
        slice = config_slice_actions.scan(ctx, name = "{}/{}".format(out_prefix, path), autoconf = autoconf, files = depset([src], transitive = [hdrs]))
        args = config_slice_actions.include_args(ctx, slice)
        hdrs = depset([slice], transitive = [hdrs])
    else:
        args = ctx.actions.args()
    flags = [substitute(f, roots) for f in flags]
    args.add_all(flags + debug_info_flags(flags))
    args.add_all(["-c", "-o", out, src])
    ctx.actions.run(
        executable = tc.clang,
        arguments = [args],
        inputs = depset([src], transitive = [hdrs, tc.all_files]),
        outputs = [out],
        mnemonic = "KernelCompile",
        progress_message = "Compiling {}".format(path),
    )
    return out

def emit_ko(ctx, tc, path, argv, files, roots, out_prefix):
    """KernelModuleLink: the plan's .ko argv with `files` (M.o, M.mod.o, scripts/module.lds)."""
    out = ctx.actions.declare_file("{}/{}".format(out_prefix, path))
    args, used = plan_args(ctx, argv, files, (path, out), roots, "{} ({})".format(ctx.label, path))
    ctx.actions.run(
        executable = tc.ld_lld,
        arguments = [args],
        inputs = depset(used, transitive = [tc.all_files]),
        outputs = [out],
        mnemonic = "KernelModuleLink",
        progress_message = "Linking {}".format(path),
    )
    return out

modules_actions = struct(
    emit_builtin = emit_builtin,
    emit_ko = emit_ko,
    emit_vmlinux_export_c = emit_vmlinux_export_c,
    emit_mod_o = emit_mod_o,
    emit_modpost = emit_modpost,
    emit_module_object = emit_module_object,
    ld_argv = ld_argv,
    link_flags = link_flags,
    plan_args = plan_args,
    srcversion = srcversion,
    substitute = substitute,
)
