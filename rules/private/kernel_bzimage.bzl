"""x86_64 bzImage: the plan's `boot` steps (tools/kbuild_import/boot.py) as actions.

Every step is Kbuild's own command, replayed by tools/boot_step in a directory holding
exactly its declared inputs at their object-tree paths (the source tree by a relative
path): compiles (KernelBootCompile: the setup and compressed-kernel objects, their
sources and the headers the import's scan found), and the other steps (KernelBootStep:
voffset.h, vmlinux.bin, its compression, piggy.S, the links, zoffset.h, setup.bin,
tools/build -> bzImage), and the archives of kernel objects a boot step links
(KernelBootArchive: x86_64 CONFIG_EFI_STUB's drivers/firmware/efi/libstub/lib.a of the
STUBCPY-derived objects, Kbuild's `rm -f lib.a; $(AR) cDPrsT lib.a <members>`, linked into
arch/x86/boot/compressed/vmlinux; a thin archive, so its readers stage its members too).

kernel_objects emits the steps that do not depend on vmlinux once per config (the boot
objects are native in every LTO mode); kernel_vmlinux emits the rest after KernelVmlinux,
per mode (voffset.h is nm of vmlinux; misc.o, piggy.o, the compressed vmlinux and
header.o follow from it).
"""

load("//rules/private/actions:kbuild_tools.bzl", "boot_step_args", "boot_tools")
load("//rules/private/actions:shell.bzl", "run_shell")

_VMLINUX = "vmlinux"

def _resolve(plan, src, obj, objects, stamp, label):
    """The plan's boot steps with their source-tree and import-made files looked up.

    Args:
      plan: the plan's `boot` section, or None.
      src: dict srctree-relative path -> File.
      obj: dict objtree-relative path -> File (the import's object tree).
      objects: dict objtree-relative path -> File: the kernel's compiled and derived objects
        (an `AR` entry's members, e.g. libstub's *.stub.o for lib.a, and their readers).
      stamp: File: KernelPlanCheck's stamp (every step reads it: a stale plan builds nothing).
      label: for errors.

    Returns:
      None, or struct(image, steps: list of struct(entry, srcs, objtree: dict rel -> File)).
    """
    if not plan:
        return None
    if plan.get("unsupported"):
        return struct(image = plan["image"], steps = [], dirs = [], env = {}, unsupported = plan["unsupported"])
    steps = []
    for e in plan["steps"]:
        srcs = [stamp]
        for p in e["srcs"]:
            f = src.get(p)
            if not f:
                fail("{}: {} reads {}, which is not in the source files; the plan is stale, re-import".format(label, e["out"], p))
            srcs.append(f)
        objtree = {}
        for p in e["objtree"] + e["host"]:
            f = obj.get(p)
            if not f:
                fail("{}: {} reads {}, which the import did not make; re-import".format(label, e["out"], p))
            objtree[p] = f
        for p in e.get("objects", []):
            f = objects.get(p)
            if not f:
                fail("{}: {} reads the object {}, which the plan does not compile or derive; re-import".format(label, e["out"], p))
            objtree[p] = f
        steps.append(struct(entry = e, srcs = srcs, objtree = objtree))
    return struct(image = plan["image"], steps = steps, dirs = plan.get("dirs", []), env = plan.get("env", {}), unsupported = None)

def _emit_step(ctx, tc, tool, tools, srctree, dirs, env, step, made, prefix):
    e = step.entry
    out = ctx.actions.declare_file("{}/{}".format(prefix, e["out"]))
    inputs = dict(step.objtree)
    for p in e["inputs"]:
        f = made.get(p)
        if not f:
            fail("{}: {} reads {}, which no earlier boot step made; re-import".format(ctx.label, e["out"], p))
        inputs[p] = f
    args = boot_step_args(
        ctx,
        tc,
        tools,
        cmd = e["cmd"],
        srctree = srctree,
        inputs = inputs,
        out_rel = e["out"],
        out = out,
        dirs = dirs,
        env = env,
        size_of = e.get("size_append", []),
    )
    compile = e["tag"] in ("CC", "AS", "LDS")
    mnemonic = "KernelBootCompile" if compile else "KernelBootStep"
    if e["tag"] == "AR":
        mnemonic = "KernelBootArchive"
    ctx.actions.run(
        executable = tool,
        arguments = [args],
        inputs = depset(step.srcs + inputs.values(), transitive = [tc.all_files, tools.files]),
        outputs = [out],
        mnemonic = mnemonic,
        progress_message = "{} {} (boot image{})".format(e["tag"], e["out"], "" if not e["after_vmlinux"] else ", " + ctx.label.name),
    )
    made[e["out"]] = out

def _emit(ctx, tc, tool, srctree, boot, after, made):
    tools = boot_tools(ctx)
    for step in boot.steps:
        if step.entry["after_vmlinux"] == after:
            _emit_step(ctx, tc, tool, tools, srctree, boot.dirs, boot.env, step, made, ctx.label.name)
    return made

def _emit_before(ctx, tc, tool, plan, src, obj, objects, stamp, srctree):
    """kernel_objects: the steps independent of vmlinux. Returns None or the provider's `boot` value.

    These include the archives of kernel objects that boot steps link (KernelBootArchive).
    """
    boot = _resolve(plan, src, obj, objects, stamp, ctx.label)
    if not boot:
        return None
    made = _emit(ctx, tc, tool, srctree, boot, False, {})
    return struct(image = boot.image, steps = boot.steps, dirs = boot.dirs, env = boot.env, made = made, srctree = srctree, unsupported = boot.unsupported)

def _emit_after(ctx, tc, tool, boot, vmlinux):
    """kernel_vmlinux: the steps after vmlinux, in this link mode.

    Returns:
      (the image File, depset of every boot step's output: the `boot` output group).
    """
    if boot.unsupported:
        # The import could not model this config's boot image: building it fails with that line
        # (in execution, so vmlinux, System.map and modules still build).
        out = ctx.actions.declare_file("{}/{}".format(ctx.label.name, boot.image))
        run_shell(
            ctx,
            outputs = [out],
            command = "echo '{}: no {}: {}' >&2; exit 1".format(ctx.label, boot.image, boot.unsupported.replace("'", "'\\''")),
            mnemonic = "KernelBootStep",
            progress_message = "Refusing {} of {}".format(boot.image, ctx.label),
        )
        return out, depset([out])
    made = dict(boot.made)
    made[_VMLINUX] = vmlinux
    made = _emit(ctx, tc, tool, boot.srctree, boot, True, made)
    if boot.image not in made:
        fail("{}: the boot plan does not build {}; re-import".format(ctx.label, boot.image))
    return made[boot.image], depset([f for p, f in made.items() if p != _VMLINUX])

bzimage_actions = struct(
    emit_before = _emit_before,
    emit_after = _emit_after,
)
