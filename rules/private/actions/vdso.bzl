"""The vDSO: the plan's `vdso` steps (tools/kbuild_import/vdso.py) as actions.

x86_64 (arch/x86/entry/vdso): each step is Kbuild's own command, replayed by tools/boot_step
in a directory holding exactly its declared inputs at their object-tree paths (the source
tree by a relative path, so nothing absolute reaches the objects' debug info or the
build-id):
  CC/AS/LDS  KernelVdsoCompile  vdso-note.o, vclock_gettime.o, vgetcpu.o, vdso.lds (native)
  VDSO       KernelVdsoLink     $(LD) ... -T vdso.lds OBJS && sh checkundef.sh '$(NM)' ...;
                                `$(OBJDUMP) -R | grep` refusing dynamic relocations
  OBJCOPY    KernelObjcopy      vdso64.so (stripped)
  VDSO2C     KernelVdsoGen      vdso-image-64.c (the import-built host program vdso2c)
boot_step fails naming the output if a step exits non-zero or does not write it. The
commands run with the pinned @kernel_boot_tools (dash; busybox grep for both checks, sort
and sed for VDSOSYM), never the host's. The
outputs that plan objects read take the place of the import's object-tree files (the import
removed those): x86_64 vdso-image-64.c (the source of vdso-image-64.o); arm64
include/generated/vdso-offsets.h (a generated header of signal.c, vdso.c, alternative.c) and
arch/arm64/kernel/vdso/vdso.so (vdso-wrap.S's `.incbin`: the assembler also searches the
outputs' root, incbin_dirs).

arm64's steps (from a dry run of what `make prepare`'s vdso_prepare makes):
  CC/AS/LDS  KernelVdsoCompile  vgettimeofday.o, note.o, sigreturn.o, vdso.lds
  LD         KernelVdsoLink     $(LD) ... -o vdso.so.dbg; the R_AARCH64_* dynamic-relocation grep
  VDSOSYM    KernelVdsoGen      $(NM) vdso.so.dbg | gen_vdso_offsets.sh | LC_ALL=C sort > vdso-offsets.h
  OBJCOPY    KernelObjcopy      vdso.so
and with CONFIG_COMPAT_VDSO its vdso32/ (the same shape):
  CC32/LDS   KernelVdsoCompile  note.o, vgettimeofday.o ($(CC) --target=arm-linux-gnueabi, -isystem
                                $(CC_RESOURCE_DIR)/include: a relative path to the toolchain's), vdso.lds
  LD32       KernelVdsoLink     vdso.so.raw; the R_ARM_* dynamic-relocation grep
  MUNGE      KernelVdsoGen      arch/arm/vdso/vdsomunge vdso.so.raw vdso.so.dbg (import-built host program)
  VDSOSYM    KernelVdsoGen      vdso32-offsets.h;  OBJCOPY KernelObjcopy vdso.so

Config slices (issue 16): a compile step (CC, AS, LDS; KernelVdsoCompile, KernelRealmodeCompile)
of an import with config footprints reads, in place of include/generated/autoconf.h, a slice
holding only the CONFIG_ symbols its declared files mention (fixdep's scan of exactly what the
step reads: config_slice_actions.scan, one KernelConfigSlice action per step), so a config
toggle re-runs only the steps whose symbols changed (before: all 4 arm64 compile steps on any
toggle; tests/config_slice/toggle_diff.py). The slice, autoconf.h's leading comment and the
`#define`s, stands at autoconf.h's objtree path in the step's directory: commands and outputs
stay the same (vdso.lds too, which keeps comments: -C).

x86's realmode blob (plan section `realmode`, tools/kbuild_import/realmode.py; the same shape,
from the vmlinux_o dry run's arch/x86/realmode/rm sub-make):
  AS/CC/LDS  KernelRealmodeCompile  header.o, trampoline_64.o, stack.o, reboot.o (+ 9 wakeup
                                    objects with CONFIG_ACPI_SLEEP), realmode.lds (native, -m16 -g)
  PASYMS     KernelRealmodeGen      $(NM) OBJS | sed | sort | uniq > pasyms.h (realmode.lds reads it)
  LD         KernelRealmodeLink     realmode.elf (-T realmode.lds --emit-relocs)
  RELOCS     KernelRealmodeGen      arch/x86/tools/relocs --realmode realmode.elf > realmode.relocs
  OBJCOPY    KernelObjcopy          realmode.bin (-O binary)
realmode.bin and realmode.relocs are rmpiggy.S's `.incbin`s (incbin_dirs).
"""

load("//rules/private/actions:config_slice.bzl", "config_slice_actions")
load("//rules/private/actions:kbuild_tools.bzl", "boot_step_args", "boot_tools", "step_inputs")

_AUTOCONF = config_slice_actions.AUTOCONF

# Per plan section: its name in messages and each step tag's mnemonic (others: "*").
_SECTIONS = {
    "vdso": struct(what = "vDSO", mnemonics = {
        "AS": "KernelVdsoCompile",
        "AS32": "KernelVdsoCompile",
        "CC": "KernelVdsoCompile",
        "CC32": "KernelVdsoCompile",
        "LDS": "KernelVdsoCompile",
        "OBJCOPY": "KernelObjcopy",
        "VDSO": "KernelVdsoLink",
        "LD": "KernelVdsoLink",
        "LD32": "KernelVdsoLink",
        "*": "KernelVdsoGen",
    }),
    "realmode": struct(what = "realmode", mnemonics = {
        "AS": "KernelRealmodeCompile",
        "CC": "KernelRealmodeCompile",
        "LDS": "KernelRealmodeCompile",
        "OBJCOPY": "KernelObjcopy",
        "LD": "KernelRealmodeLink",
        "*": "KernelRealmodeGen",
    }),
}

# Directories a step's command may name besides $(srctree) (arm64 vdso32's CC32 compiles:
# `-isystem $(CC_RESOURCE_DIR)/include`, the header directory of the compiler's own, which
# tc.all_files holds).
_RESOURCE_DIR = "$(CC_RESOURCE_DIR)"

def _roots(tc, cmd):
    if _RESOURCE_DIR not in cmd:
        return {}
    return {_RESOURCE_DIR[2:-1]: tc.builtin_include[:-len("/include")]}

def _emit(ctx, *, tc, tool, plan, src, obj, stamp, srctree, section_name = "vdso"):
    """One action per step of the plan's vdso section (or realmode: section_name).

    Args:
      ctx: rule context (kernel_objects).
      tc: the kernel toolchain.
      tool: FilesToRunProvider of //tools/boot_step.
      plan: the plan (its optional `vdso` section).
      src: dict srctree-relative path -> File.
      obj: dict objtree-relative path -> File (the import's object tree: headers, vdso2c).
      stamp: File: KernelPlanCheck's stamp (every step reads it).
      srctree: the source tree's directory.
      section_name: "vdso" or "realmode" (x86's realmode blob, tools/kbuild_import/realmode.py).

    Returns:
      dict objtree path -> File of every step's output (objects look their sources up here).
    """
    kind = _SECTIONS[section_name]
    section = plan.get(section_name)
    if not section:
        return {}
    tools = boot_tools(ctx)
    made = {}

    # Config slices as the objects' (kernel_objects.bzl: when the import recorded footprints).
    sliced = "config" in plan.get("interned", {})
    for e in section["steps"]:
        where = "{}: {} step {} {}".format(ctx.label, kind.what, e["tag"], e["out"])
        inputs, srcs = step_inputs(where, e, obj = obj, src = src, made = made, what = kind.what)
        compile = kind.mnemonics.get(e["tag"], "").endswith("Compile")
        if sliced and compile and _AUTOCONF in inputs:
            inputs[_AUTOCONF] = config_slice_actions.scan(
                ctx,
                name = "{}/{}".format(section_name, e["out"]),
                autoconf = inputs[_AUTOCONF],
                files = [f for p, f in sorted(inputs.items()) if p != _AUTOCONF] + srcs,
            )
        srcs = [stamp] + srcs
        out = ctx.actions.declare_file("{}/{}".format(ctx.label.name, e["out"]))
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
            roots = _roots(tc, e["cmd"]),
        )
        ctx.actions.run(
            executable = tool,
            arguments = [args],
            inputs = depset(srcs + inputs.values(), transitive = [tc.all_files, tools.files]),
            outputs = [out],
            mnemonic = kind.mnemonics.get(e["tag"], kind.mnemonics["*"]),
            progress_message = "{} {} ({}, {})".format(e["tag"], e["out"], kind.what, ctx.label),
        )
        made[e["out"]] = out
    for p in section["outputs"]:
        if p not in made:
            fail("{}: the plan's {} outputs name {}, which no {} step makes; re-import".format(ctx.label, kind.what, p, kind.what))
    return made

def _incbin_dirs(made, incbins):
    """The object-tree roots of the vDSO/realmode outputs an object `.incbin`s (arm64
    vdso-wrap.S: arch/arm64/kernel/vdso/vdso.so; x86 rmpiggy.S: arch/x86/realmode/rm/realmode.bin
    and .relocs), for the assembler's -I after the import's object tree."""
    dirs = []
    for p in incbins:
        f = made.get(p)
        if f:
            root = f.path[:-len("/" + p)]
            if root not in dirs:
                dirs.append(root)
    return dirs

def _include_dirs(made, reads):
    """-I directories for the vDSO headers an object reads (arm64 <generated/vdso-offsets.h>,
    found through Kbuild's -I./include: the action's output is not in the import's tree)."""
    dirs = []
    for p in reads:
        if not p.endswith(".h"):
            continue
        if not p.startswith("include/"):
            fail("vDSO header {} is not below include/; only include/ headers are modelled".format(p))
        root = made[p].path[:-len("/" + p)] + "/include"
        if root not in dirs:
            dirs.append(root)
    return dirs

vdso_actions = struct(
    include_dirs = _include_dirs,
    emit = _emit,
    incbin_dirs = _incbin_dirs,
)
