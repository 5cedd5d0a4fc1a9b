"""Generated sources and tables: the plan's `generate` steps (tools/kbuild_import/generate.py) as actions.

Each step is Kbuild's own command (`lib/gen_crc32table > lib/crc32table.h`, `awk -f
$(srctree)/arch/x86/tools/gen-insn-attr-x86.awk ... > arch/x86/lib/inat-tables.c`, `cat
$(srctree)/drivers/tty/vt/defkeymap.c_shipped > drivers/tty/vt/defkeymap.c`, ...), replayed by
tools/boot_step (KernelGenerate) in a directory holding exactly its declared inputs, as
Kbuild's in-tree build has them: the source-tree files it names at their tree paths (the plan's
command has no `$(srctree)/`), the import-built host program, import-made files it names and
earlier steps' outputs at their object-tree paths. The commands run with the pinned
@kernel_boot_tools (dash; mawk as `awk`; busybox cat, sed, sort, grep), never the host's.
boot_step fails naming the output if a step exits non-zero or does not write it.

The outputs take the place of the import's object-tree files (the import removed those): a
generated source (consolemap_deftbl.c, defkeymap.c) is looked up in the returned dict; an
object that includes one (lib/crc32.c's "crc32table.h", inat.c's "inat-tables.c") searches
the outputs' root after each of its -I$(objtree)/DIR (include_flags), an assembler source
`.incbin`s through -Wa,-I (incbin_dirs). A step whose command writes more than its target
(`also`: genheaders' av_permissions.h, asn1_compiler's .asn1.h) declares them all.
"""

load("//rules/private/actions:kbuild_tools.bzl", "boot_step_args", "boot_tools", "step_inputs")

def _emit(ctx, *, tc, tool, plan, src, obj, stamp, srctree):
    """One KernelGenerate action per step of the plan's generate section.

    Args:
      ctx: rule context (kernel_objects).
      tc: the kernel toolchain.
      tool: FilesToRunProvider of //tools/boot_step.
      plan: the plan (its optional `generate` section).
      src: dict srctree-relative path -> File.
      obj: dict objtree-relative path -> File (the import's object tree: host programs).
      stamp: File: KernelPlanCheck's stamp (every step reads it).
      srctree: the source tree's directory.

    Returns:
      dict objtree path -> File of every step's output.
    """
    section = plan.get("generate")
    if not section:
        return {}
    tools = boot_tools(ctx)
    made = {}
    for e in section["steps"]:
        where = "{}: generate step {} {}".format(ctx.label, e["tag"], e["out"])

        # In-tree: the command names source files by their tree path.
        inputs, srcs = step_inputs(where, e, obj = obj, src = src, made = made, what = "generate", srcs_in_tree = True)
        srcs = [stamp] + srcs
        out = ctx.actions.declare_file("{}/{}".format(ctx.label.name, e["out"]))
        also = {p: ctx.actions.declare_file("{}/{}".format(ctx.label.name, p)) for p in e.get("also", [])}
        args = boot_step_args(
            ctx,
            tc,
            tools,
            cmd = e["cmd"],
            srctree = srctree,
            inputs = inputs,
            out_rel = e["out"],
            out = out,
            dirs = section.get("dirs", []),
            env = e.get("env", {}),
            also = also,
        )
        ctx.actions.run(
            executable = tool,
            arguments = [args],
            inputs = depset(srcs + inputs.values(), transitive = [tc.all_files, tools.files]),
            outputs = [out] + also.values(),
            mnemonic = "KernelGenerate",
            progress_message = "{} {} (generate, {})".format(e["tag"], e["out"], ctx.label),
        )
        made[e["out"]] = out
        made.update(also)
    for p in section["outputs"]:
        if p not in made:
            fail("{}: the plan's generate outputs name {}, which no generate step makes; re-import".format(ctx.label, p))
    return made

def _root(made, p):
    return made[p].path[:-len("/" + p)]

def _include_flags(made, reads, flags, objtree):
    """-I flags for the generated files an object includes: after its -I<objtree>/DIR (both
    `-IDIR` and `-I DIR` forms), the same DIR below the outputs' root, for each DIR a read
    file is below (Kbuild's `-I $(objtree)/lib` finds lib/crc32table.h).

    Args:
      made: _emit's dict.
      reads: the object's generated files (the plan's generate.readers entry).
      flags: the object's flags, substituted.
      objtree: the import's object tree's exec path.

    Returns:
      list of flags to append.
    """
    out = []
    dirs = []
    prev = None
    for f in flags:
        d = None
        if prev == "-I":
            d = f
        elif f.startswith("-I") and len(f) > 2:
            d = f[2:]
        prev = f
        if d == None or not (d == objtree or d.startswith(objtree + "/")):
            continue
        rel = d[len(objtree) + 1:] if d != objtree else ""
        if rel not in dirs:
            dirs.append(rel)
    for p in reads:
        if p.endswith((".S", ".o")) or p not in made:
            continue
        for rel in dirs:
            if rel == "" or p.startswith(rel + "/"):
                flag = "-I" + _root(made, p) + ("/" + rel if rel else "")
                if flag not in out:
                    out.append(flag)
    return out

def _incbin_dirs(made, incbins):
    """The outputs' roots for an object's `.incbin` of a generated file (-Wa,-I)."""
    dirs = []
    for p in incbins:
        if p in made:
            root = _root(made, p)
            if root not in dirs:
                dirs.append(root)
    return dirs

generate_actions = struct(
    emit = _emit,
    include_flags = _include_flags,
    incbin_dirs = _incbin_dirs,
)
