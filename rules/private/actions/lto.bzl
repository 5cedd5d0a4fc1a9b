"""Action helpers shared by every rule that compiles and links with ThinLTO."""

load("//rules/private:objtool.bzl", "run_then_objtool")

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

def emit_thin_link(ctx, tc, thinlto, inputs, bitcode, ldflags, order = None, trees = None):
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
      trees: list[File|None] or None: declared tree artifacts to use, per bitcode object
        (None: `<object>.inputs` beside it, the default).

    Returns:
      list[File]: one tree artifact per bitcode object, in the same order.
    """
    trees = [
        t if t != None else ctx.actions.declare_directory(o.basename + ".inputs", sibling = o)
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

def emit_backend(ctx, tc, thinlto, obj, tree, out):
    """One KernelLtoBackend action: the object's tree -> a checked native object."""
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
    ctx.actions.run(
        executable = thinlto,
        arguments = [args],
        inputs = depset([tree], transitive = [tc.all_files]),
        outputs = [out],
        mnemonic = "KernelLtoBackend",
        progress_message = "ThinLTO backend {}".format(obj.short_path),
    )

# ld.lld flags every link action here passes first. ld.lld mmaps its output file: on a full
# disk the page faults of that mapping kill it with SIGBUS and LLVM's crash banner ("PLEASE
# submit a bug report", a stack trace) instead of an error. Writing through a buffer makes
# it "LLVM ERROR: IO failure on output stream: No space left on device", exit 1; the bytes
# written are the same (tests/faults:full_disk_test).
LD_SAFE_FLAGS = ["--no-mmap-output-file"]

def emit_link(ctx, tc, objects, out, ldflags, order = None, objtool = None, objtool_flags = None, mnemonic = "KernelLink"):
    """One KernelLink action: ld.lld EMULATION LDFLAGS -o OUT ORDER (default ORDER: objects).

    With objtool_flags (x86_64 LTO: Kbuild's `; objtool ... --link vmlinux.o`), the same
    action then runs `objtool FLAGS OUT` on the linked file.
    """
    args = ctx.actions.args()
    args.use_param_file("@%s", use_always = True)
    args.add_all(LD_SAFE_FLAGS)
    args.add_all(tc.ld_emulation)
    args.add_all(ldflags)
    args.add("-o", out)
    args.add_all(order if order != None else objects)
    run_then_objtool(
        ctx,
        tc.ld_lld,
        [args],
        depset(objects, transitive = [tc.all_files]),
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
)
