"""KernelConfigSlice: each compile reads only the autoconf.h lines of its config footprint.

The import records per object the CONFIG_ symbols its source and headers mention, as
Kbuild's fixdep does (tools/kbuild_import/footprint.py, plan_bazel.json interned["config"],
entry "config" and "config_key"). One action writes, from the full
include/generated/autoconf.h, a slice per distinct set: `<name>/config/<key>/generated/autoconf.h`
with only those symbols' `#define` lines (tools/config_slice). A compile gets `-I<name>/config/<key>`
in front of its flags and the slice instead of autoconf.h among its inputs, so
include/linux/kconfig.h's `#include <generated/autoconf.h>` reads the slice. A config change
re-runs the slice action; Bazel then re-runs only the compiles whose slice bytes changed.

KernelConfigCheck (output group config_check) preprocesses an object with the full
autoconf.h and with its slice and fails unless both outputs are identical, and unless every
symbol Kbuild's own fixdep finds for it (on that preprocessing's depfile) is in its footprint.
"""

load("//rules/private:flags.bzl", "KernelConfigSlicesInfo")

AUTOCONF = "include/generated/autoconf.h"

def _slice_include_dir(f):
    return "-I" + f.dirname[:-len("/generated")]

def _declare(ctx, *, tool, table, entries, autoconf, pad = False):
    """Declares the KernelConfigSlice action.

    Args:
      ctx: rule context.
      tool: FilesToRunProvider of //tools/config_slice.
      table: dict, plan_bazel.json's interned["config"] (None: an import without footprints).
      entries: list[dict], the plan entries (those with "config" get a slice).
      autoconf: File, the import's include/generated/autoconf.h.
      pad: bool, pad each slice to autoconf.h's size (--//:config_slices=exact).

    Returns:
      dict[string, File]: config_key -> slice (empty when the plan has no footprints).
    """
    if table == None:
        return {}
    nodes = {}
    for e in entries:
        if "config" in e:
            nodes[e["config_key"]] = e["config"]
    if not nodes:
        return {}
    table_file = ctx.actions.declare_file(ctx.label.name + "/config/table.json")
    ctx.actions.write(table_file, json.encode(table))
    slices = {}
    args = ctx.actions.args()
    args.use_param_file("--flagfile=%s", use_always = True)
    args.set_param_file_format("multiline")
    args.add("--autoconf", autoconf)
    args.add("--table", table_file)
    if pad:
        args.add("--pad")
    for key in sorted(nodes):
        f = ctx.actions.declare_file("{}/config/{}/generated/autoconf.h".format(ctx.label.name, key))
        slices[key] = f
        args.add("--slice={}:{}".format(nodes[key], f.path))
    ctx.actions.run(
        executable = tool,
        arguments = [args],
        inputs = [autoconf, table_file],
        outputs = slices.values(),
        mnemonic = "KernelConfigSlice",
        progress_message = "Slicing autoconf.h into {} config footprints ({})".format(len(slices), ctx.label),
    )
    return slices

def _scan(ctx, *, name, autoconf, files):
    """A KernelConfigSlice action for a compile the import records no footprint for: autoconf.h
    cut to the symbols FILES mention (fixdep's scan at build time: tools/config_slice
    --scan_out), after its leading comment. FILES must be all the compile reads besides
    autoconf.h (a sandboxed step's declared inputs). The vDSO's and realmode's compile steps
    (vdso.bzl) use it; so could objects whose headers a build step makes (vdso-offsets.h
    readers, generated tables) and the *.mod.c compiles.

    Args:
      ctx: rule context with the `_config_slice` and `_config_slices` attributes.
      name: unique under <target>/config/scan/ (e.g. the output's objtree path).
      autoconf: File, the full autoconf.h.
      files: list[File] or depset[File] to scan.

    Returns:
      File: the slice, `<target>/config/scan/<name>/generated/autoconf.h` (place it at
      include/generated/autoconf.h, or put its directory's parent first as -I).
    """
    files = files if type(files) == "depset" else depset(files)
    out = ctx.actions.declare_file("{}/config/scan/{}/generated/autoconf.h".format(ctx.label.name, name))
    args = ctx.actions.args()
    args.use_param_file("--flagfile=%s", use_always = True)
    args.set_param_file_format("multiline")
    args.add("--autoconf", autoconf)
    args.add("--scan_out", out)
    args.add_all(files, format_each = "--scan=%s")
    if ctx.attr._config_slices[KernelConfigSlicesInfo].mode == "exact":
        args.add("--pad")
    ctx.actions.run(
        executable = ctx.attr._config_slice[DefaultInfo].files_to_run,
        arguments = [args],
        inputs = depset([autoconf], transitive = [files]),
        outputs = [out],
        mnemonic = "KernelConfigSlice",
        progress_message = "Slicing autoconf.h for {} ({})".format(name, ctx.label),
    )
    return out

def _include_args(ctx, slice):
    """Args with the -I that makes <generated/autoconf.h> the slice (put before the flags)."""
    args = ctx.actions.args()
    args.add_all([slice], map_each = _slice_include_dir)
    return args

def _include_flag(slice):
    """The same -I as a string (for actions that take flags as a list)."""
    return _slice_include_dir(slice)

def _expand(table, node):
    """The symbols of a node of the interned table (tools/kbuild_import/intern.py)."""
    out = []
    for _ in range(len(table["nodes"]) + 1):
        if node < 0:
            break
        parent, indices = table["nodes"][node]
        out += [table["paths"][i] for i in indices]
        node = parent
    return sorted(out)

def _symbols_file(ctx, table, entry, cache):
    """A file of the entry's footprint, one symbol a line (one per distinct set)."""
    key = entry["config_key"]
    if key not in cache:
        f = ctx.actions.declare_file("{}/config/{}.symbols".format(ctx.label.name, key))
        ctx.actions.write(f, "".join([s + "\n" for s in _expand(table, entry["config"])]))
        cache[key] = f
    return cache[key]

def _emit_check(ctx, *, tool, clang, entry, source, slice, autoconf, flags, inputs, out, fixdep = None, symbols = None):
    """KernelConfigCheck: `clang -E -P` with the full autoconf.h and with the slice agree.

    Args:
      ctx: rule context.
      tool: FilesToRunProvider of //tools/config_slice:check.
      clang: File.
      entry: dict, the plan entry (its "out" names the object in the message).
      source: File.
      slice: File, the entry's slice.
      autoconf: File, the full autoconf.h (found through the flags' -I$(objtree)/include).
      flags: list[string], the compile's flags without the slice's -I.
      inputs: depset[File], what the compile reads (with the toolchain).
      out: File, the stamp.
      fixdep: File or None, Kbuild's scripts/basic/fixdep from the import.
      symbols: File or None, the entry's footprint (_symbols_file), with fixdep.
    """
    args = ctx.actions.args()
    extra = []
    if fixdep:
        args.add("--fixdep", fixdep)
        args.add("--symbols", symbols)
        extra = [fixdep, symbols]
    args.add("--clang", clang)
    args.add("--slice_include", _include_flag(slice)[len("-I"):])
    args.add("--name", entry["out"])
    args.add("--out", out)
    args.add("--")
    args.add_all(flags)
    args.add(source)
    ctx.actions.run(
        executable = tool,
        arguments = [args],
        inputs = depset([slice, autoconf] + extra, transitive = [inputs]),
        outputs = [out],
        mnemonic = "KernelConfigCheck",
        progress_message = "Checking the config slice of {}".format(entry["out"]),
    )

config_slice_actions = struct(
    AUTOCONF = AUTOCONF,
    declare = _declare,
    emit_check = _emit_check,
    symbols_file = _symbols_file,
    scan = _scan,
    include_args = _include_args,
    include_flag = _include_flag,
)
