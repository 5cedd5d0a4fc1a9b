"""The toolchain's programs by the make variable Kbuild names them with in a plan's commands."""

def kbuild_tools(tc):
    """{"CC": File, "LD": File, ...}: what $(CC), $(LD), ... in a plan step run.

    Args:
      tc: KernelToolchainInfo.

    Returns:
      dict string -> File.
    """
    return {
        "CC": tc.clang,
        "LD": tc.ld_lld,
        "AR": tc.llvm_ar,
        "NM": tc.llvm_nm,
        "OBJCOPY": tc.llvm_objcopy,
        "OBJDUMP": tc.llvm_objdump,
        "READELF": tc.llvm_readelf,
        "STRIP": tc.llvm_strip,
    }

def boot_tools(ctx):
    """The pinned shell and tools tools/boot_step runs commands with (@kernel_boot_tools).

    Args:
      ctx: a rule context with the `_boot_tools` attribute (BOOT_TOOLS_ATTR).

    Returns:
      struct(dir = "--tools_dir" value, files = depset of its files: action inputs).
    """
    files = ctx.attr._boot_tools[DefaultInfo].files
    sh = [f for f in files.to_list() if f.path.endswith("/bin/sh")]
    if len(sh) != 1:
        fail("{}: {} has no single bin/sh".format(ctx.label, ctx.attr._boot_tools.label))
    return struct(dir = sh[0].path[:-len("/bin/sh")], files = files)

# The attribute boot_tools() reads; every rule that emits boot_step actions has it.
BOOT_TOOLS_ATTR = {"_boot_tools": attr.label(default = "@kernel_boot_tools//:files", cfg = "exec")}

def boot_step_args(ctx, tc, tools, *, cmd, srctree, inputs, out_rel, out, dirs = [], env = {}, size_of = [], nonempty = False, also = {}, roots = {}):
    """The arguments of one tools/boot_step action (a Kbuild command replayed with exact inputs).

    Args:
      ctx: rule context.
      tc: KernelToolchainInfo ($(CC), $(LD), ... of the command).
      tools: boot_tools(ctx).
      cmd: the plan's command ($(CC), $(srctree), ...).
      srctree: the source tree's exec path.
      inputs: dict objtree path -> File: what the command reads, at its objtree path.
      out_rel: the output's objtree path; out: the output File.
      dirs: objtree directories to create first.
      env: variables Kbuild exports to the command.
      size_of: inputs whose total size $(SIZE_APPEND) appends.
      nonempty: bool: an empty output fails the action (a CERT step given a key file).
      also: dict objtree path -> File: the other files the command writes (asn1_compiler's .h).
      roots: dict NAME -> exec path of a directory the command names as $(NAME) (arm64
        vdso32's $(CC_RESOURCE_DIR)); boot_step substitutes a relative path, as for srctree.

    Returns:
      Args (in a param file).
    """
    args = ctx.actions.args()
    args.use_param_file("--flagfile=%s", use_always = True)
    args.set_param_file_format("multiline")
    args.add("--cmd=" + cmd)
    args.add("--srctree=" + srctree)
    args.add("--tools_dir=" + tools.dir)
    for var, f in kbuild_tools(tc).items():
        args.add("--tool={}={}".format(var, f.path))
    for p in sorted(inputs):
        args.add("--input={}={}".format(p, inputs[p].path))
    for d in dirs:
        args.add("--mkdir=" + d)
    for k, v in sorted(env.items()):
        args.add("--env={}={}".format(k, v))
    for p in size_of:
        args.add("--size_of=" + p)
    if nonempty:
        args.add("--nonempty")
    args.add("--out_rel=" + out_rel)
    args.add("--out", out)
    for p in sorted(also):
        args.add("--also={}={}".format(p, also[p].path))
    for k, v in sorted(roots.items()):
        args.add("--root={}={}".format(k, v))
    return args

def step_inputs(where, e, *, obj, src, made, what, srcs_in_tree = False):
    """The files one planned step (vdso, realmode, certs, generate sections) reads.

    Args:
      where: string naming the step in errors.
      e: the step (its `objtree`, `host`, optional `inputs` and `srcs` lists).
      obj: dict objtree path -> File (the import's object tree).
      src: dict srctree path -> File.
      made: dict objtree path -> File, what earlier steps of the section wrote.
      what: the section's name in errors ("vDSO", "generate").
      srcs_in_tree: the command names source files by their tree path (generate): they go
        into the step's directory with the object-tree files.

    Returns:
      (dict path -> File placed in the step's directory, list[File] of other source files).
    """
    inputs = {}
    for p in e["objtree"] + e["host"]:
        f = obj.get(p)
        if not f:
            fail("{} reads {}, which the import did not make; re-import".format(where, p))
        inputs[p] = f
    for p in e.get("inputs", []):
        f = made.get(p)
        if not f:
            fail("{} reads {}, which no earlier {} step makes; re-import".format(where, p, what))
        inputs[p] = f
    srcs = []
    for p in e["srcs"]:
        f = src.get(p)
        if not f:
            fail("{} reads {}, which is not in the source files; the plan is stale, re-import".format(where, p))
        if not srcs_in_tree:
            srcs.append(f)
            continue
        if p in inputs:
            fail("{}: source file {} has the path of an object-tree input; re-import".format(where, p))
        inputs[p] = f
    return inputs, srcs
