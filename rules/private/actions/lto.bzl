"""Action helpers shared by every rule that compiles and links with ThinLTO."""

load("//rules/private:flags.bzl", "KernelConfigSlicesInfo")
load("//rules/private:objtool.bzl", "run_then_objtool")

def srcloc_plugin(ctx, tc):
    """(flags, inputs) that load the toolchain's srcloc plugin into a bitcode compile.

    The plugin (toolchains/plugin/strip_srcloc.cc) takes out the `!srcloc` byte offsets
    (dropped on inline asm, 1 on calls), which only clang's front end can read and which a
    comment added to any header shifts: with it, such an edit leaves every bitcode object
    as it was, so the thin-link and the backends are not re-run. Native compiles do not
    load it (their diagnostics keep their file and line). ([], []) when the toolchain has no plugin, or under
    `--//:config_slices=exact`, whose bitcode is a clean Kbuild build's byte for byte.

    Args:
      ctx: rule context with a `_config_slices` attribute (//:config_slices).
      tc: KernelToolchainInfo.
    """
    if not tc.srcloc_plugin or ctx.attr._config_slices[KernelConfigSlicesInfo].mode == "exact":
        return [], []
    return ["-fpass-plugin=" + tc.srcloc_plugin.path], [tc.srcloc_plugin]

def emit_compile(ctx, tc, src, out, copts, hdrs, lto):
    """One KernelCompile action: SRC -> OUT (bitcode for lto "thin"/"full", else native).

    Args:
      ctx: rule context.
      tc: KernelToolchainInfo.
      src: File, the C source.
      out: File, the object to write.
      copts: list[string], extra compiler flags.
      hdrs: depset[File], exactly the headers SRC includes.
      lto: string, "thin", "full" or "none".
    """
    args = ctx.actions.args()
    args.add("--target=" + tc.target_triple)
    args.add_all(["-no-canonical-prefixes", "-nostdinc", "-isystem", tc.builtin_include])
    args.add_all(["-O2", "-fno-PIE", "-ffunction-sections", "-fdata-sections"])
    if lto != "none":
        args.add("-flto=" + lto)
    args.add_all(copts)
    args.add_all(["-c", src, "-o", out])
    ctx.actions.run(
        executable = tc.clang,
        arguments = [args],
        inputs = depset([src], transitive = [hdrs, tc.all_files]),
        outputs = [out],
        mnemonic = "KernelCompile",
        progress_message = "Compiling {} ({})".format(src.short_path, "bitcode" if lto != "none" else "native"),
    )

def emit_thin_link(ctx, tc, thinlto, inputs, bitcode, ldflags, order = None, trees = None, bundles = False):
    """One KernelThinLink action; returns a tree (index, imports, imported objects) per bitcode object.

    Args:
      ctx: rule context.
      tc: KernelToolchainInfo.
      thinlto: FilesToRunProvider of //tools/thinlto.
      inputs: list[File], every linker input in link order.
      bitcode: list[File], the bitcode objects among them (each gets a backend).
      ldflags: list[string], ld.lld flags (emulation, -mllvm ..., -T ...).
      order: list[File|string], the linker inputs as passed (may hold --start-lib,
        --end-lib); default: inputs.
      trees: list[File|None] or None: declared tree artifacts (or bundles) to use, per
        bitcode object (None: `<object>.inputs` beside it, or `<object>.thinlto.tar`).
      bundles: write each object's tree as a bundle, one file (tools/thinlto/lib.py
        write_entries), instead of a tree artifact. The kernel's links do: x86_64
        defconfig's 2,654 trees were 23,288 files, and Bazel deletes, hashes and stats
        each one (a leaf edit's thin-link took 20-36 s, its tool 9.5 s).

    Returns:
      list[File]: one tree artifact per bitcode object, in the same order.
    """
    trees = [
        t if t != None else (
            ctx.actions.declare_file(o.basename + ".thinlto.tar", sibling = o) if bundles else ctx.actions.declare_directory(o.basename + ".inputs", sibling = o)
        )
        for o, t in zip(bitcode, trees if trees != None else [None] * len(bitcode))
    ]
    args = ctx.actions.args()
    args.use_param_file("--flagfile=%s", use_always = True)
    args.set_param_file_format("multiline")
    args.add("--mode=thin_link")
    args.add("--ld", tc.ld_lld)
    args.add_all(ldflags, format_each = "--ld_arg=%s")
    args.add_all(order if order != None else inputs, format_each = "--input=%s")
    args.add_all(bitcode, format_each = "--bitcode=%s")
    args.add_all(trees, format_each = "--tree=%s", expand_directories = False)
    ctx.actions.run(
        executable = thinlto,
        arguments = [args],
        inputs = depset(inputs, transitive = [tc.all_files]),
        outputs = trees,
        # A persistent worker locally (no interpreter start, no sandbox of its ~2,700 inputs);
        # the same command remotely.
        execution_requirements = {"supports-workers": "1"},
        mnemonic = "KernelThinLink",
        progress_message = "Thin-linking {} ({} bitcode objects)".format(ctx.label, len(bitcode)),
    )
    return trees

def backend_flags(tc):
    """The minimal backend codegen flags that reproduce lld's in-process ThinLTO output."""
    return [
        "--target=" + tc.target_triple,
        "-no-canonical-prefixes",
        "-O2",
        "-fno-PIE",
        "-ffunction-sections",
        "-fdata-sections",
    ]

def emit_backend(ctx, tc, thinlto, obj, tree, out, incbins = []):
    """One KernelLtoBackend action: the object's tree -> a checked native object.

    incbins: list[(string, File)]: (.incbin name, file) of the object's inline assembly
    (KernelObjectsInfo.incbin: kernel/configs.o's kernel/config_data.gz); the backend
    generates its code where each name resolves, as Kbuild's link in the object tree.
    """
    args = ctx.actions.args()
    args.use_param_file("--flagfile=%s", use_always = True)
    args.set_param_file_format("multiline")
    args.add("--mode=backend")
    args.add("--clang", tc.clang)
    args.add_all(backend_flags(tc), format_each = "--clang_arg=%s")
    args.add_all([tree], format_each = "--tree=%s", expand_directories = False)
    args.add("--object", obj)
    args.add("--out", out)
    args.add("--machine", tc.elf_machine)
    for name, f in incbins:
        args.add_all([f], format_each = "--incbin=" + name.replace("%", "%%") + "=%s")
    ctx.actions.run(
        executable = thinlto,
        arguments = [args],
        inputs = depset([tree] + [f for _, f in incbins], transitive = [tc.all_files]),
        outputs = [out],
        # A persistent worker where Bazel runs it locally (tools/common/worker.py: saves the
        # interpreter's start-up, ~80 ms of a core per backend); the same command otherwise.
        execution_requirements = {"supports-workers": "1"},
        mnemonic = "KernelLtoBackend",
        progress_message = "ThinLTO backend {}".format(obj.short_path),
    )

# ld.lld flags every link action here passes first. ld.lld mmaps its output file: on a full
# disk the page faults of that mapping kill it with SIGBUS and LLVM's crash banner ("PLEASE
# submit a bug report", a stack trace) instead of an error. Writing through a buffer makes
# it "LLVM ERROR: IO failure on output stream: No space left on device", exit 1; the bytes
# written are the same (tests/faults:full_disk_test).
LD_SAFE_FLAGS = ["--no-mmap-output-file"]

def lto_link(ctx, mode, incbins):
    """How an in-process LTO link runs: struct(tool, incbins) for emit_link/emit_module_object, or None.

    `thin` links always go through tools/thinlto_cache:link (the ThinLTO cache, when the
    machine has one enabled: README "ThinLTO cache"); `full` links only when a bitcode
    object `.incbin`s a file (lld reads it when it generates code, relative to its working
    directory, as Kbuild links in the object tree). The command line is the same with and
    without a cache.

    Args:
      ctx: rule context with attr _lto_link.
      mode: the link mode.
      incbins: list[(string, File)]: (.incbin name, file) of the link's bitcode objects.
    """
    if mode == "thin" or (mode == "full" and incbins):
        return struct(tool = ctx.attr._lto_link[DefaultInfo].files_to_run, incbins = incbins)
    return None

def link_incbins(info, paths):
    """The (.incbin name, File) pairs of the objects at Kbuild PATHS (KernelObjectsInfo.incbin)."""
    table = getattr(info, "incbin", {})
    out = []
    for p in paths:
        for pair in table.get(p, []):
            if pair not in out:
                out.append(pair)
    return out

def lto_link_command(ctx, link, ld, ld_args, cache = True):
    """(executable, arguments, extra inputs) of a link through the wrapper LINK (lto_link()), or
    ld itself when LINK is None. cache = False: never the ThinLTO cache (a compile)."""
    if link == None:
        return ld, [ld_args], []
    pre = ctx.actions.args()
    pre.add("--tool", ld)
    if not cache:
        pre.add("--nothinlto_cache")
    for name, f in link.incbins:
        pre.add_all([f], format_each = "--incbin=" + name.replace("%", "%%") + "=%s")
    pre.add("--")
    return link.tool, [pre, ld_args], [f for _, f in link.incbins] + [ld]

def emit_link(ctx, tc, objects, out, ldflags, order = None, objtool = None, objtool_flags = None, mnemonic = "KernelLink", lto = None):
    """One KernelLink action: ld.lld EMULATION LDFLAGS -o OUT ORDER (default ORDER: objects).

    With objtool_flags (x86_64 LTO: Kbuild's `; objtool ... --link vmlinux.o`), the same
    action then runs `objtool FLAGS OUT` on the linked file. With `lto` (lto_link()), ld.lld
    runs through tools/thinlto_cache:link.
    """
    args = ctx.actions.args()
    args.use_param_file("@%s", use_always = True)
    args.add_all(LD_SAFE_FLAGS)
    args.add_all(tc.ld_emulation)
    args.add_all(ldflags)
    args.add("-o", out)
    args.add_all(order if order != None else objects)
    executable, arguments, extra = lto_link_command(ctx, lto, tc.ld_lld, args)
    run_then_objtool(
        ctx,
        executable,
        arguments,
        depset(objects + extra, transitive = [tc.all_files]),
        out,
        objtool,
        objtool_flags,
        mnemonic = mnemonic,
        progress_message = "Linking {}{}".format(out.short_path, " (objtool)" if objtool_flags != None else ""),
    )

# The LTO setting of the kernel config (KernelObjectsInfo.lto) each link mode needs.
_CONFIG_LTO = {"none": "none", "full": "full", "thin": "thin", "thin_dist": "thin"}

def check_mode(label, info, mode):
    """Fails unless objects `info` (KernelObjectsInfo) were configured for link `mode`."""
    if info.lto != _CONFIG_LTO[mode]:
        fail("{}: mode {} needs objects configured with LTO {}, these are {}".format(label, mode, _CONFIG_LTO[mode], info.lto))

lto_actions = struct(
    LD_SAFE_FLAGS = LD_SAFE_FLAGS,
    check_mode = check_mode,
    backend_flags = backend_flags,
    emit_backend = emit_backend,
    emit_compile = emit_compile,
    emit_link = emit_link,
    emit_thin_link = emit_thin_link,
    link_incbins = link_incbins,
    lto_link = lto_link,
    lto_link_command = lto_link_command,
    srcloc_plugin = srcloc_plugin,
)
