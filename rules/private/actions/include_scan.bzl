"""KernelIncludeScan: header sets that follow source edits (issue 16 part 0, docs/header-sets.md).

Each KernelCompile declares exactly the headers the import recorded for its object. One
unsandboxed action per kernel_objects (tools/include_scan) hashes the directive lines of
every recorded source and header again, rescans (the toolchain's clang-scan-deps, whole
tree visible) only the objects that read a file whose directives changed, and writes per
object a directory of the files it now reads outside its recorded set, copied at their exec
paths (<dir>/external/linux/include/linux/zutil.h). The compile searches `-I<dir>/<d>` right
after each `-I<d>` (the same order: a header found in an earlier directory still wins) and
maps <dir>/ away in __FILE__ and debug info. When an edited or new file mentions a CONFIG_
symbol outside the object's autoconf.h slice, the scan writes the whole autoconf.h to
<dir>/config/generated/, searched before the slice. An object that reads no edited file keeps an
empty directory, so its key is what it was. An object that reads action outputs (vDSO
headers, generated tables and sources) is rescanned with them and the compile's -I flags for
them: they are not in the import's object tree.
"""

def _filter_tree(files, srcarch):
    """The tree's headers a kernel compile of SRCARCH may read (not other arches, tools/,
    Documentation/, samples/)."""
    out = []
    own = "arch/{}/".format(srcarch)
    for f in files:
        p = f.short_path
        if not p.endswith(".h"):
            continue
        p = p[p.find("/", 3) + 1:] if p.startswith("../") else p  # ../linux/include/... -> include/...
        if p.startswith("arch/") and not p.startswith(own):
            continue
        if p.startswith(("tools/", "Documentation/", "samples/")):
            continue
        out.append(f)
    return out

def _declare(ctx, entries):
    """{out: File (a directory)}: an extra-headers directory per entry."""
    return {e["out"]: ctx.actions.declare_directory("{}/extra_hdrs/{}".format(ctx.label.name, e["out"])) for e in entries}

def _emit(ctx, *, tool, record, plan_text, srctree, objtree, resource_dir, clang, scan_deps, tree, srcarch, inputs, dirs, extra_flags = {}, sources = {}, shared = [], reimport = ""):
    """Declares the KernelIncludeScan action; returns its report File.

    Args:
      ctx: rule context.
      tool: FilesToRunProvider of //tools/include_scan.
      record: File, the import's include_record.json.
      plan_text: string, the interned plan (plan_bazel.json).
      srctree: string, the source tree's exec path; objtree: the object tree's.
      resource_dir: string, clang's resource dir ($(CC_RESOURCE_DIR)).
      clang: File; scan_deps: File (the toolchain's clang-scan-deps).
      tree: list[File], the source tree (@linux//:tree): its headers for SRCARCH are inputs.
      srcarch: string, arch/<srcarch>.
      inputs: list[depset[File]], what else the scans read (sources, object tree, toolchain).
      dirs: dict[string, File], from _declare.
      extra_flags: dict[string, list[string]]: per entry, the flags its compile adds for the
        action outputs it includes (-I of the vDSO's and generate's outputs); those outputs
        must be among `inputs`.
      sources: dict[string, File]: entries whose source an action makes (consolemap_deftbl.c).
      shared: list[string]: entries a config variant takes from its base (kernel_objects
        share_from): an edit that would rescan one fails the action, naming `reimport` (the
        base compiles it with the base's config; the share keys must be computed again).
      reimport: string, the command that re-imports the base and the variant.
    """
    plan = ctx.actions.declare_file(ctx.label.name + "/extra_hdrs.plan.json")
    ctx.actions.write(plan, plan_text)
    report = ctx.actions.declare_file(ctx.label.name + "/extra_hdrs.json")
    args = ctx.actions.args()
    args.use_param_file("--flagfile=%s", use_always = True)
    args.set_param_file_format("multiline")
    args.add("--record", record)
    args.add("--plan", plan)
    args.add("--srctree", srctree)
    args.add("--objtree", objtree)
    args.add("--resource_dir", resource_dir)
    args.add("--clang", clang)
    args.add("--clang_scan_deps", scan_deps)
    for out in sorted(dirs):
        args.add("--object={}={}".format(out, dirs[out].path))
    for out in sorted(extra_flags):
        for f in extra_flags[out]:
            args.add("--extra_flag={}={}".format(out, f))
    for out in sorted(sources):
        args.add("--source={}={}".format(out, sources[out].path))
    args.add_all(shared, format_each = "--shared=%s")
    if shared:
        args.add("--reimport", reimport)
    args.add("--report", report)
    ctx.actions.run(
        executable = tool,
        arguments = [args],
        inputs = depset([record, plan, clang, scan_deps] + _filter_tree(tree, srcarch), transitive = inputs),
        outputs = [report] + [dirs[out] for out in sorted(dirs)],
        mnemonic = "KernelIncludeScan",
        # Unsandboxed locally: staging the ~18,000 headers (declared above: a new #include may
        # name any of them) as symlinks would cost seconds on every edit. Remote execution
        # (--config=remote) stages exactly those declared inputs. Cached as any action (its
        # key is its declared inputs, as for the local action cache): a shared cache must hit
        # on every action (tests/repro --cache=nginx).
        execution_requirements = {"no-sandbox": "1"},
        progress_message = "Checking the #include lines of {} objects ({})".format(len(dirs), ctx.label),
    )
    return report

def _flags(flags, extra_dir):
    """FLAGS with `-I<extra_dir>/<d>` after each -I<d>, then the prefix maps that keep
    __FILE__ and debug info's names (tools/include_scan/lib.py prefix_map_flags)."""
    out = []
    maps = ["-ffile-prefix-map={}/=".format(extra_dir)]
    take = False
    for f in flags:
        out.append(f)
        if take:
            out.append("-I{}/{}".format(extra_dir, f))
            take = False
        elif f == "-I":
            take = True
        elif f.startswith("-I"):
            out.append("-I{}/{}".format(extra_dir, f[2:]))
        for kind in ("-fmacro-prefix-map=", "-ffile-prefix-map=", "-fdebug-prefix-map="):
            if f.startswith(kind):
                maps.append(kind + extra_dir + "/" + f[len(kind):])
    return out + maps

def _config_flags(extra_dir):
    """The -I in front of a config slice's: the scan puts the whole autoconf.h there when an
    edited or new file mentions a CONFIG_ symbol outside the object's slice."""
    return ["-I{}/config".format(extra_dir)]

include_scan_actions = struct(
    config_flags = _config_flags,
    declare = _declare,
    emit = _emit,
    flags = _flags,
)
