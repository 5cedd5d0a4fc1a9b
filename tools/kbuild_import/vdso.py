"""The vDSO as planned steps (docs/defconfig-steps.md section 4), not import-time make output.

x86_64 (Linux 6.1, arch/x86/entry/vdso/Makefile), as the vmlinux_o dry run prints it:

    CC      vdso-note.o, vclock_gettime.o, vgetcpu.o   (native: $(CC_FLAGS_LTO) filtered out)
    LDS     vdso.lds                                   ($(CC) -E -P -C ... vdso.lds.S)
    VDSO    vdso64.so.dbg      $(LD) ... -T vdso.lds OBJS && sh checkundef.sh '$(NM)' ...;
                               if $(OBJDUMP) -R ... | grep -E "<dynamic relocs>"; then ...false; fi
    OBJCOPY vdso64.so          $(OBJCOPY) -S --remove-section __ex_table vdso64.so.dbg vdso64.so
    VDSO2C  vdso-image-64.c    arch/x86/entry/vdso/vdso2c vdso64.so.dbg vdso64.so vdso-image-64.c

(and the same for vdso32/ with CONFIG_IA32_EMULATION). vdso-image-64.c is the source of
vdso-image-64.o, an ordinary (bitcode under LTO) member of vmlinux.a.

The plan's `vdso` section has the shape of `boot` (tools/kbuild_import/boot.py): each step
is Kbuild's own command, normalized, with exactly the files it reads (srcs: source tree,
objtree: import-made files such as prepare's headers and the host program vdso2c, inputs:
outputs of earlier vDSO steps). The rules replay each one in a directory of exactly those
inputs (tools/boot_step): the link keeps Kbuild's two checks (checkundef.sh and the
dynamic-relocation grep) because they are part of its command. `outputs` lists what the
steps write that plan objects read (vdso-image-64.c); `kbuild` records the sha256 of the
files the import's own make wrote for every step (the differential the tests compare the
actions' outputs with). The import still runs the steps once (the dependency scan reads
vdso-image-64.c); their outputs are then removed from the object tree and from
`generated`, so no action can read them from there.

arm64 (Linux 6.1 arch/arm64/Makefile): `make prepare` makes the vDSO (vdso_prepare:
`$(MAKE) $(build)=arch/arm64/kernel/vdso include/generated/vdso-offsets.h
arch/arm64/kernel/vdso/vdso.so`), so the vmlinux_o dry run does not print it. The import
moves prepare's vDSO files aside and dry-runs those goals (PREPARE_GOALS, prepare_files):

    CC/AS   vgettimeofday.o, note.o, sigreturn.o;  LDS vdso.lds
    LD      vdso.so.dbg           $(LD) ... -T vdso.lds OBJS -o vdso.so.dbg; if $(OBJDUMP) -R ... | grep ...
    VDSOSYM include/generated/vdso-offsets.h   $(NM) vdso.so.dbg | gen_vdso_offsets.sh | LC_ALL=C sort > ...
    OBJCOPY vdso.so               $(OBJCOPY) -S vdso.so.dbg vdso.so

vdso-offsets.h is a gen_input of ordinary compiles (signal.c, vdso.c, ...) and vdso.so the
`.incbin` of vdso-wrap.S: both become action outputs. With CONFIG_COMPAT_VDSO prepare also
runs vdso_prepare's second sub-make (`$(build)=arch/arm64/kernel/vdso32
include/generated/vdso32-offsets.h arch/arm64/kernel/vdso32/vdso.so`); its files move aside
too and the same dry run prints both directories' steps (prepare_goals):

    CC32    note.o, vgettimeofday.o   $(CC) --target=arm-linux-gnueabi ... -isystem $(CC_RESOURCE_DIR)/include ...
    LDS     vdso.lds                  (the 64-bit $(CPP) flags, as vdso/)
    LD32    vdso.so.raw               $(LD) ... -T vdso.lds OBJS -o vdso.so.raw; if $(OBJDUMP) -R ... | grep R_ARM_...
    MUNGE   vdso.so.dbg               arch/arm64/kernel/vdso32/../../../arm/vdso/vdsomunge vdso.so.raw vdso.so.dbg
    VDSOSYM include/generated/vdso32-offsets.h, OBJCOPY vdso.so (as vdso/)

vdsomunge is a host program `make prepare` built (arch/arm/vdso/, not moved aside: the
dry run does not rebuild it), read by the MUNGE step as the other sections' host programs;
vdso32-offsets.h is read by signal32.c and vdso.c, vdso32/vdso.so by vdso32-wrap.S.
"""

import posixpath
import re
from typing import Callable, Iterable, Mapping, Sequence

from tools.kbuild_import import boot as boot_lib
from tools.kbuild_import.common import KbuildImportError
from tools.kbuild_import.dryrun import Compile, Step, norm_rel, parse_compile
from tools.kbuild_import.placeholders import Roots

VDSO_ARCHES = frozenset({"x86_64", "arm64"})
# Where Linux 6.1 builds the vDSO images (x86: vdso32/ is below vdso/), and the headers made
# from them.
_VDSO_DIR_RE = {"x86_64": re.compile(r"^arch/x86/entry/vdso/"),
                "arm64": re.compile(r"^(arch/arm64/kernel/vdso(32)?/|include/generated/vdso(32)?-offsets\.h$)")}
COMPILE_TAGS = frozenset({"CC", "AS", "LDS"})
# arm64's compat vDSO compiles (arch/arm64/kernel/vdso32/Makefile cmd_vdsocc, cmd_vdsoas: $(CC_COMPAT)).
COMPAT_COMPILE_TAGS = frozenset({"CC32", "AS32"})
# The vDSO steps of arch/x86/entry/vdso/Makefile and arch/arm64/kernel/vdso/Makefile that are not compiles.
STEP_TAGS = frozenset({"VDSO", "OBJCOPY", "VDSO2C", "LD", "VDSOSYM"})
# ... and of arch/arm64/kernel/vdso32/Makefile (the link with its R_ARM_* check; vdsomunge).
COMPAT_STEP_TAGS = frozenset({"LD32", "MUNGE"})
# The arches whose vDSO `make prepare` makes: (obj, goals) of its sub-make (arch/arm64/Makefile vdso_prepare).
PREPARE_GOALS = {"arm64": ("arch/arm64/kernel/vdso", ["include/generated/vdso-offsets.h",
                                                      "arch/arm64/kernel/vdso/vdso.so"])}
# vdso_prepare's second sub-make with CONFIG_COMPAT_VDSO (it made a file of that directory).
COMPAT_PREPARE_GOALS = {"arm64": ("arch/arm64/kernel/vdso32", ["include/generated/vdso32-offsets.h",
                                                               "arch/arm64/kernel/vdso32/vdso.so"])}


def prepare_goals(arch: str, prepared: Iterable[str]) -> list[tuple[str, list[str]]]:
    """The (obj, goals) of the sub-makes `make prepare` made the vDSO with (arch in
    PREPARE_GOALS), in its order: vdso/, then vdso32/ if prepare made files there
    (CONFIG_COMPAT_VDSO). Empty for other arches."""
    if arch not in PREPARE_GOALS:
        return []
    out = [PREPARE_GOALS[arch]]
    compat = COMPAT_PREPARE_GOALS.get(arch)
    if compat and any(p.startswith(compat[0] + "/") for p in prepared):
        out.append(compat)
    return out


def prepare_files(arch: str, prepared: Iterable[str]) -> list[str]:
    """The files of `make prepare` to move aside for the vDSO's dry run (arch in
    PREPARE_GOALS): every file of its directories (prepare_goals: vdso/, and vdso32/ with a
    compat vDSO) but Kbuild's .cmd files, and the offsets headers. Empty for other arches."""
    prepared = list(prepared)
    goals = prepare_goals(arch, prepared)
    dirs = tuple(obj + "/" for obj, _ in goals)
    targets = {t for _, ts in goals for t in ts}
    return sorted(p for p in prepared if (p.startswith(dirs) and not posixpath.basename(p).startswith("."))
                  or p in targets)
# Kbuild's bookkeeping in those directories (built-in.a, modules.order, ...): no vDSO step reads it.
_IGNORED_TAGS = frozenset({"AR", "MODORDER", "MOD", "FILECHK", "GENKSYMS"})


def select(steps: Sequence[Step], archived: Iterable[str], generators: Sequence[Step] | None, cc: str,
           arch: str) -> tuple[list[Step], dict[str, Compile]]:
    """The vDSO's steps of the dry run, in order, and its compiles (out -> Compile, the
    linker script's included). archived: objects an archive links (vdso-image-64.o,
    vma.o: compiled as plan objects, not here); generators: the build steps the import
    would run (every non-compile vDSO step must be one), None for the steps of the vDSO's own
    dry run (arm64). ([], {}) for other arches."""
    if arch not in VDSO_ARCHES:
        return [], {}
    if arch == "arm64":  # and its compat vDSO's kinds (vdso32/: CC32, LD32, MUNGE)
        return select_steps(steps, archived, generators, cc, dir_re=_VDSO_DIR_RE[arch],
                            step_tags=STEP_TAGS | COMPAT_STEP_TAGS, link_tags=("LD", "LD32"), what="vDSO",
                            module="vdso.py", compile_tags=COMPILE_TAGS | COMPAT_COMPILE_TAGS)
    return select_steps(steps, archived, generators, cc, dir_re=_VDSO_DIR_RE[arch], step_tags=STEP_TAGS,
                        link_tags=("VDSO", "LD"), what="vDSO", module="vdso.py")


def select_steps(steps: Sequence[Step], archived: Iterable[str], generators: Sequence[Step] | None, cc: str, *,
                 dir_re: "re.Pattern[str]", step_tags: Iterable[str], link_tags: Iterable[str], what: str,
                 module: str, compile_tags: Iterable[str] = COMPILE_TAGS) -> tuple[list[Step], dict[str, Compile]]:
    """The steps of the dry run whose output matches dir_re (an embedded image's directory:
    the vDSO, x86's realmode blob), in order, and its compiles (compile_tags: CC/AS/LDS, and
    arm64's CC32/AS32; out -> Compile). step_tags: the other kinds allowed (each a generator
    the import runs, unless generators is None); link_tags: one of them must be present;
    what/module: for error lines."""
    archived = set(archived)
    step_tags = frozenset(step_tags)
    compile_tags = frozenset(compile_tags)
    gen_index = {s.index for s in generators or ()}
    kept: list[Step] = []
    compiles: dict[str, Compile] = {}
    for s in steps:
        if s.phase != "build" or s.tag.startswith("HOST") or s.tag in _IGNORED_TAGS:
            continue
        try:
            out = norm_rel(s.target)
        except KbuildImportError:
            continue
        if not dir_re.match(out) or out in archived:
            continue
        if s.tag in compile_tags:
            c = parse_compile(s, cc, mode="-E" if s.tag == "LDS" else "-c")
            if c.post:
                raise KbuildImportError(f"{s.tag} {out}: runs {c.post[0][:60]!r} after the compile; "
                                        f"{what} objects with post-compile steps are not supported")
            if out in compiles:
                continue
            compiles[out] = c
        elif s.tag in step_tags:
            if generators is not None and s.index not in gen_index:
                raise KbuildImportError(f"{s.tag} {out}: a {what} step the import does not run as a generator")
            if any(norm_rel(k.target) == out for k in kept):
                continue
        else:
            raise KbuildImportError(f"{s.tag} {out}: {what} steps of this kind are not supported "
                                    f"(tools/kbuild_import/{module} models {', '.join(sorted(step_tags | compile_tags))})")
        kept.append(s)
    if kept and not any(s.tag in link_tags for s in kept):
        raise KbuildImportError(f"{kept[0].tag} {kept[0].target}: {what} steps without a "
                                f"{'/'.join(sorted(link_tags))} link")
    return kept, compiles


def outputs_read(section_steps: Sequence[Mapping], objects: Sequence[Mapping]) -> list[str]:
    """The vDSO outputs plan objects read (as an objtree source, generated header, build input or .incbin)."""
    made = {e["out"] for e in section_steps}
    read = set()
    for o in objects:
        if o["src_root"] == "objtree" and o["src"] in made:
            read.add(o["src"])
        read.update(p for p in list(o.get("build_inputs", ())) + list(o.get("gen_inputs", ())) + list(o.get("incbin", ()))
                    if p in made)
    return sorted(read)


def readers(section_steps: Sequence[Mapping], objects: Sequence[Mapping]) -> dict[str, list[str]]:
    """Plan object -> the vDSO outputs it reads (the rules add their directories to its -I /
    -Wa,-I: the outputs are not in the import's object tree)."""
    made = {e["out"] for e in section_steps}
    out = {}
    for o in objects:
        files = ([o["src"]] if o["src_root"] == "objtree" else []) + list(o.get("gen_inputs", ())) + \
            list(o.get("build_inputs", ())) + list(o.get("incbin", ()))
        got = sorted({p for p in files if p in made})
        if got:
            out[o["out"]] = got
    return out


def vdso_plan(steps: Sequence[Step], compiles: Mapping[str, Compile], *, deps: Mapping[str, object],
              incbins: Mapping[str, Sequence[str]], host: Sequence[str], tools: Mapping[str, str], roots: Roots,
              is_src_file: Callable[[str], bool], objects: Sequence[Mapping],
              kbuild: Mapping[str, str], kbuild_paths: Iterable[str] = (), what: str = "vDSO",
              anchor: Callable[[str], str | None] | None = None) -> dict:
    """The plan's `vdso` section (see the module docstring), or another embedded image's of
    the same shape (what: its name in errors; x86's realmode blob, realmode.py). deps/incbins:
    of the compiles; host: the import's host programs; objects: the plan's objects (which
    outputs they read); kbuild: objtree path -> sha256 of what the import's make wrote;
    kbuild_paths: those of its files that hold this machine's absolute paths (-g objects'
    DWARF: the actions' bytes differ from them by design, tests compare the others); anchor:
    srctree directory -> a file in it (boot.step_inputs: vdso32's `vdso32/../vdso/` script)."""
    section = boot_lib.boot_plan(steps, compiles, deps=deps, incbins=incbins, host=host, tools=tools, roots=roots,
                                 is_src_file=is_src_file, anchor=anchor)
    del section["image"]
    entries = section["steps"]
    for e in entries:
        if e["after_vmlinux"]:
            raise KbuildImportError(f"{e['tag']} {e['out']}: a {what} step that reads vmlinux")
        del e["after_vmlinux"]
    read = outputs_read(entries, objects)
    if entries and not read:
        raise KbuildImportError(f"{entries[-1]['out']}: no plan object reads what the {what} steps make")
    missing = [e["out"] for e in entries if e["out"] not in kbuild and not e["out"].endswith(".o")]
    if missing:
        raise KbuildImportError(f"{missing[0]}: a {what} step's output the import's make did not write")
    section["outputs"] = read
    section["readers"] = readers(entries, objects)
    section["kbuild"] = {e["out"]: kbuild[e["out"]] for e in entries if e["out"] in kbuild}
    section["kbuild_paths"] = sorted((set(kbuild_paths) | build_id_copies(entries, kbuild_paths)) & set(section["kbuild"]))
    return section


# Steps that copy an ELF file with its notes (objcopy -S keeps NT_GNU_BUILD_ID; vdsomunge too).
_ELF_COPY_TAGS = frozenset({"OBJCOPY", "MUNGE"})


def build_id_copies(entries: Sequence[Mapping], kbuild_paths: Iterable[str]) -> set[str]:
    """Outputs whose bytes hold a build-id computed over files that name this machine's
    trees: a `--build-id` link of such a file (its own DWARF already makes it one), and the
    stripped copies of that link (vdso.so: objcopy -S keeps the 20-byte build-id, a sha1 over
    the unstripped link's debug info). Kbuild's bytes of them differ from the actions' under
    -g by that hash alone; the other steps' outputs (the offsets headers) stay compared."""
    paths = set(kbuild_paths)
    linked: set[str] = set()
    for e in entries:
        reads = set(e.get("inputs", ()))
        if ("--build-id" in e["cmd"] and reads & paths) or (e["tag"] in _ELF_COPY_TAGS and reads & linked):
            linked.add(e["out"])
    return linked


def made_files(section: Mapping | None) -> list[str]:
    """Every file the section's steps write (removed from the import's object tree)."""
    return sorted(e["out"] for e in (section or {}).get("steps", ()))


def step_dirs(section: Mapping) -> list[str]:
    return sorted({posixpath.dirname(e["out"]) for e in section["steps"]})
