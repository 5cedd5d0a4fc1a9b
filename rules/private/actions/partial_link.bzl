"""Composite objects of the plan's `partial_links` (tools/kbuild_import/partial.py).

arm64 KVM nVHE: kvm_nvhe.o from the hypervisor's objects, one action per Kbuild step:
  LD       KernelPartialLink  `$(LD) ... -r -T hyp.lds PARTS -o kvm_nvhe.tmp.o`; under LTO the
                              parts are bitcode and lld runs their LTO in-process, exactly as
                              Kbuild's ld -r does (in every LTO mode, thin_dist included: the
                              hypervisor's LTO is its own, apart from vmlinux's)
  HYPREL   KernelHostStep     `gen-hyprel kvm_nvhe.tmp.o > hyp-reloc.S` (the import's host program)
  AS       KernelCompile      hyp-reloc.o (kernel_objects: a plan object whose source is above)
  LD       KernelPartialLink  `$(LD) ... -r kvm_nvhe.tmp.o hyp-reloc.o -o kvm_nvhe.rel.o`
  HYPCOPY  KernelObjcopy      `$(OBJCOPY) --prefix-symbols=__kvm_nvhe_ kvm_nvhe.rel.o kvm_nvhe.o`
Each non-compile step is Kbuild's own command, replayed by tools/boot_step in a directory
holding exactly the step's inputs at their object-tree paths (the paths in the command, and
so lld's LTO module names, are Kbuild's). The result is native: it enters its archive like
any other native member.
"""

load("//rules/private/actions:kbuild_tools.bzl", "boot_step_args", "boot_tools")

_MNEMONICS = {"ld": "KernelPartialLink", "run": "KernelHostStep", "objcopy": "KernelObjcopy"}

def _declare(ctx, plan):
    """Declares every non-compile step's output before the compiles (hyp-reloc.o's source is
    one). Returns dict objtree path -> File."""
    made = {}
    for final in sorted(plan.get("partial_links", {})):
        for step in plan["partial_links"][final]["steps"]:
            if step["kind"] == "compile":
                continue
            if step["kind"] not in _MNEMONICS:
                fail("{}: {} {}: partial-link step of unknown kind {}; re-import with this version of rules_kernel_lto".format(ctx.label, step["tag"], step["out"], step["kind"]))
            made[step["out"]] = ctx.actions.declare_file("{}/{}".format(ctx.label.name, step["out"]))
    return made

def _emit(ctx, *, tc, tool, plan, made, objects, scripts, obj, stamp, srctree):
    """One action per non-compile step of every partial link.

    Args:
      ctx: rule context.
      tc: the kernel toolchain.
      tool: FilesToRunProvider of //tools/boot_step.
      plan: the plan (its partial_links).
      made: _declare's dict (outputs of the steps).
      objects: dict objtree path -> File of the compiled objects (parts, hyp-reloc.o).
      scripts: dict objtree path -> File of the preprocessed linker scripts (hyp.lds).
      obj: dict objtree path -> File of the import's object tree (host programs).
      stamp: KernelPlanCheck's stamp (every step reads it).
      srctree: the source tree's directory (the commands name no source file; boot_step wants it).

    Returns:
      dict composite path -> File (kvm_nvhe.o).
    """
    tools = boot_tools(ctx)
    finals = {}
    for final in sorted(plan.get("partial_links", {})):
        for step in plan["partial_links"][final]["steps"]:
            if step["kind"] == "compile":
                if step["out"] not in objects:
                    fail("{}: {} is a step of {} but the plan does not compile it; re-import".format(ctx.label, step["out"], final))
                continue
            inputs = {}
            for p in step["inputs"]:
                f = made.get(p) or objects.get(p) or scripts.get(p)
                if not f:
                    fail("{}: {} {} reads {}, which neither the plan nor an earlier step makes; re-import".format(ctx.label, step["tag"], step["out"], p))
                inputs[p] = f
            for p in step["host"]:
                f = obj.get(p)
                if not f:
                    fail("{}: {} {} runs {}, which the import did not build; re-import".format(ctx.label, step["tag"], step["out"], p))
                inputs[p] = f
            out = made[step["out"]]
            args = boot_step_args(ctx, tc, tools, cmd = step["cmd"], srctree = srctree, inputs = inputs, out_rel = step["out"], out = out)
            ctx.actions.run(
                executable = tool,
                arguments = [args],
                inputs = depset([stamp] + inputs.values(), transitive = [tc.all_files, tools.files]),
                outputs = [out],
                mnemonic = _MNEMONICS[step["kind"]],
                progress_message = "{} {} ({})".format(step["tag"], step["out"], ctx.label),
            )
        if final not in made:
            fail("{}: the partial link of {} has no step that makes it; re-import".format(ctx.label, final))
        finals[final] = made[final]
    return finals

def _generated_sources(plan):
    """Objtree sources that partial-link steps write (hyp-reloc.S), path -> True."""
    out = {}
    for final in plan.get("partial_links", {}):
        for step in plan["partial_links"][final]["steps"]:
            if step["kind"] == "compile":
                out[step["inputs"][0]] = True
    return out

partial_link_actions = struct(
    declare = _declare,
    emit = _emit,
    generated_sources = _generated_sources,
)
