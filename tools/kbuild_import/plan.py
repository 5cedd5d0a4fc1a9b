"""Kbuild import: a Linux 6.1 tree, an ARCH and a .config -> a JSON plan of fine-grained actions.

The import runs Kbuild itself, never a re-implementation of it (see run.py for the
commands): configure and `make prepare` in an object tree (`make O=`, the source
tree is only read), then a dry run `make -n vmlinux_o` whose printed commands dryrun.py
parses, then a real run of the few build-time generators (lib/crc32table.h,
usr/initramfs_inc_data, ...) that objects read, then one dependency scan per object
(`clang-scan-deps`, or `clang -M` per object). With CONFIG_MODULES the dry run also
has KBUILD_MODULES=1 and modules_prepare, and two more dry runs follow: pass 2
(Makefile.modpost + Makefile.modfinal, the .ko recipe printing itself) and the same two
passes over a probe module with M= (docs/modules-design.md 1.8). Everything here is
pure: text and lists in, data out; no subprocess, no file system access.

Plan (JSON, `sort_keys`, no timestamps, no absolute paths), schema 2:

    schema            int: 2.
    arch              str: ARCH given to make (arm64, x86_64, ...).
    srcarch           str: SRCARCH (arch/<srcarch>/).
    kernel_version    str: KERNELVERSION, e.g. "6.1.192".
    kernel_release    str: KERNELRELEASE (with CONFIG_LOCALVERSION etc.).
    config_sha256     str: sha256 of the final .config.
    lto               str: none | thin | full, from the .config.
    cc_flags_lto      list[str]: CC_FLAGS_LTO (what opt-out objects filter out).
    toolchain         dict: cc_version_text, clang_version, lld_version from the .config
                      (the plan is only valid for that toolchain).
    placeholders      dict: placeholder -> what it stands for. Flags and commands
                      hold `$(srctree)` (the kernel source root), `$(objtree)` (the
                      object tree; Kbuild's cwd), `$(CC)`, `$(LD)`, ... (tools).
    objects           list, sorted by out, one per compiled object (vmlinux.a,
                      KBUILD_VMLINUX_LIBS members and link-time extras):
      out             str: objtree-relative output, e.g. "init/main.o".
      src             str: source path, relative to src_root.
      src_root        str: "srctree", or "objtree" for a generated source
                      (e.g. drivers/tty/vt/consolemap_deftbl.c).
      lang            str: c | asm.
      flags           list[str]: Kbuild's exact compiler arguments, in order, as argv
                      (shell quoting removed), without the compiler, `-c`, `-o OUT`,
                      the source and `-Wp,-MMD,...`; paths as `$(srctree)/...` or
                      `$(objtree)/...`. A compile is `$(CC) flags -c -o out src`, cwd
                      `$(objtree)`.
      lto             str: bitcode (last of -flto*/-fno-lto is -flto*) | native (asm,
                      and C objects whose flags drop $(CC_FLAGS_LTO)).
      hdrs            list[str]: srctree-relative files the preprocessor reads.
      gen_inputs      list[str]: objtree-relative files it reads made by `make prepare`
                      (include/generated/autoconf.h, arch/arm64/kernel/vdso/vdso.so).
      build_inputs    list[str]: objtree-relative files it reads made after prepare by
                      a build step (see build_steps), e.g. lib/crc32table.h.
      incbin          list[str]: objtree-relative files named by `.incbin` (read by
                      the assembler, i.e. by a ThinLTO backend for bitcode objects);
                      each also appears in gen_inputs or build_inputs.
      toolchain_hdrs  list[str]: `$(CC_RESOURCE_DIR)/...` headers (from the compiler).
      archive         str|null: vmlinux.a, a KBUILD_VMLINUX_LIBS archive or an
                      unlinked_archives one (directly, or through the derived object made
                      from it), or null for a link-time object (init/version-timestamp.o)
                      and for module parts.
      post            list[str]: shell commands Kbuild runs after the compile in the
                      same recipe (e.g. objtool); normalized, empty on arm64. For an LTO
                      single-object module the `ld -r; mv` and what follows them are not
                      here (see modules.list[].link and post).
      symversions     dict (only with CONFIG_MODVERSIONS, on objects Kbuild runs
                      gen_symversions after): {"kind": "c"} (genksyms over `$(CC) -E
                      -D__GENKSYMS__ <flags> src`) or {"kind": "asm", "c_flags": [...]}
                      (cmd_gensymtypes_S: the .S exports as EXPORT_SYMBOL lines after
                      <asm/asm-prototypes.h>, preprocessed with c_flags); both only when
                      `$(NM) out` shows __ksymtab (see symversions.py).
      partial         str (only on parts of partial_links): the composite object the chain
                      makes from this one (arch/arm64/kvm/hyp/nvhe/kvm_nvhe.o); archive is null.
      module          str|null: the .ko this object is part of ("lib/test_module.ko"), or
                      null. Module parts are compiled as Kbuild's `CC [M]` (-DMODULE,
                      the module's KBUILD_MODNAME) and are in no archive or link.order.
      other_modules   list[str] (only on a part of several modules, e.g.
                      sound/soc/codecs/wcd-clsh-v2.o): the other .ko files, in
                      modules.order after "module". Compiled once (KBUILD_MODNAME is then
                      Kbuild's "a:b" form, modules.kbuild_modnames), linked into each.
    archives          dict: archive -> {members: [objtree-relative, archive order],
                      flags: llvm-ar flags, thin: bool}. vmlinux.a is flattened (its
                      members are objects, as `llvm-ar t` prints them) and has
                      head_objects (moved first, scripts/head-object-list.txt).
    unlinked_archives list[str]: archives the vmlinux_o build makes that vmlinux does not
                      link (no other archive and not KBUILD_VMLINUX_LIBS names them; x86_64:
                      drivers/firmware/efi/libstub/lib.a, which only the bzImage's
                      compressed vmlinux links), sorted; each is in archives.
    derived           dict: out -> {kind, src, tool, flags[, check]}: archive members made
                      from a compiled (native) object. kind "objcopy": `tool flags src out`
                      (tool: $(OBJCOPY)), e.g. arm64 KASLR's arch/arm64/kernel/pi/kaslr_early.pi.o.
                      kind "stubcopy": Kbuild's cmd_stubcopy (EFI libstub X.stub.o), check =
                      {strip: $(STRIP) flags, reject_reloc: STUBCOPY_RELOC-y}: the debug-stripped
                      copy must have no relocation matching reject_reloc (Kbuild's grep), then
                      the same `tool flags src out`.
    link              dict:
      ldflags         list[str]: KBUILD_LDFLAGS.
      ldflags_vmlinux list[str]: LDFLAGS_vmlinux (final link only).
      libs            list[str]: KBUILD_VMLINUX_LIBS, in order.
      order           list[str]: vmlinux.a members then each lib's members: the
                      ld -r input order (libs inside --start-group, lazily).
      vmlinux_o       list[str]: Kbuild's `ld -r` argv for vmlinux.o, normalized.
      initcalls_lds   str|null: the command writing .tmp_initcalls.lds (LTO only).
      lds             dict: the vmlinux linker script: out, src, flags (cpp: `$(CC)
                      -E flags -o out src`), hdrs, gen_inputs, build_inputs.
      link_objects    list[str]: objects link-vmlinux.sh adds (version-timestamp.o).
      kallsyms        list[str]|null: scripts/kallsyms arguments link-vmlinux.sh uses
                      (null without CONFIG_KALLSYMS).
      sorttable       bool: CONFIG_BUILDTIME_TABLE_SORT (scripts/sorttable vmlinux).
      steps           list[dict]: {tag, target, cmd} of the vmlinux.o stage as Kbuild
                      prints them (GEN .tmp_initcalls.lds, LD vmlinux.o, ...).
      host_programs   list[str]: host programs the link uses that prepare built.
      export_o        dict (only with CONFIG_MODVERSIONS): .vmlinux.export.o, compiled
                      from the .vmlinux.export.c modpost -m writes and linked after
                      vmlinux.o: {out, src, flags, hdrs, gen_inputs, toolchain_hdrs}.
    build_steps       list[dict]: the generators that run between prepare and the
                      link, in Kbuild's order: {tag, target, obj, cmd} (cmd normalized),
                      e.g. GEN lib/crc32table.h. The import ran them (`$(MAKE)
                      $(build)=obj target`); their outputs are in generated.build.
    generated         dict: files Kbuild wrote in the object tree, {path: {sha256,
                      kind: header|host_program|data}}, in two groups: prepare (make
                      prepare and configuration) and build (the build_steps, and the host
                      programs partial_links run).
    partial_links     dict (only if the dry run has one): composite object (an archive member,
                      arm64 KVM nVHE arch/arm64/kvm/hyp/nvhe/kvm_nvhe.o) -> {steps, parts, lds}:
                      the chain of `ld -r` / host program / compile / objcopy steps that makes it
                      (see tools/kbuild_import/partial.py). Its parts are objects with archive
                      null and `partial` = the composite; lds are shaped like link.lds.
    symversions_asm   dict (only if an .S object has symversions): {hdrs, gen_inputs,
                      toolchain_hdrs} that cmd_gensymtypes_S's dummy C file reads
                      (<linux/kernel.h>, <asm/asm-prototypes.h>; one scanned stand-in).
    modules           dict|null: null without CONFIG_MODULES, else:
      order           list[str]: modules.order (objtree-relative .ko paths), Kbuild's order.
      list            dict: .ko path -> {
        name          str: modpost's module name, the path without .ko ("lib/test-kstrtox");
        modname       str: KBUILD_MODNAME ("test_kstrtox");
        objects       list[str]: the parts (the M.mod file, in order);
        single        bool: one part, M.o itself (no LD [M]);
        link          list[str]|null: argv writing M.o from the parts ($(LD) ... -r -o M.o
                      PARTS): LD [M] with @M.mod expanded, or for an LTO single-object
                      module cmd_ld_single_m with its tmp/mv pair folded (-o M.o M.o);
                      null for a non-LTO single-object module (the compile writes M.o);
        post          list[str]: commands after link (x86_64 LTO: objtool --link --module M.o);
        mod_o         dict: {out: M.mod.o, src: M.mod.c (objtree), flags: as objects[].flags};
        ko            list[str]: the .ko link argv (Makefile.modfinal), without `; true`.}
      lds             dict: scripts/module.lds (modules_prepare), shaped like link.lds.
      mod_c           dict: {hdrs, gen_inputs, toolchain_hdrs}: what every M.mod.c reads
                      (one stand-in with modpost's fixed #include set, scanned).
      modpost         list[str]: modpost's arguments (stdin: modules.order with ko -> o).
      builtin         list[str]: the modules.builtin.modinfo and modules.builtin commands.
      extmod          dict: out-of-tree (M=) templates from the probe module:
                      {c_flags, part_post, link_single (null without LTO), link_multi,
                      post, mod_o_flags, ko, modpost}; placeholders $(M) (module dir),
                      $(NAME) (module file name without .ko), $(MODNAME), $(PART) (a part's
                      file name without .o), $(BASENAME) (its KBUILD_BASENAME), $(PARTS)
                      (link_multi: the parts, one argument each).

Objects Kbuild compiles more than once with different commands, commands this parser
does not recognize, and absolute paths outside the two trees are errors, not guesses.

"""

import hashlib
import json
import posixpath
from typing import Iterable, Mapping, Sequence

from tools.kbuild_import.analysis import Analysis, Derived
from tools.kbuild_import.common import (
    KbuildImportError, LINK_OBJECTS, OBJTREE, RESOURCE_DIR, SRCTREE, TOOL_VARS,
)
from tools.kbuild_import.config import kallsyms_args, lto_mode, parse_config, toolchain_info
from tools.kbuild_import.deps import Deps
from tools.kbuild_import.dryrun import Compile, norm_rel, flatten, head_first, lto_kind, shell_split
from tools.kbuild_import.modules import ModFinal, check_modules, module_plan
from tools.kbuild_import.partial import chains, parts_of
from tools.kbuild_import.symversions import (
    EXPORT_O, GENKSYMS, SymVersions, export_o_entry, parse_symversions, symversions_asm_section,
    symversions_entry,
)
from tools.kbuild_import.placeholders import (
    Roots, normalize_cmd, normalize_flags, placeholder_path, split_placeholder,
)


SCHEMA = 2


def gen_targets(analysis: Analysis, existing: Iterable[str]) -> list[tuple[str, list[str]]]:
    """Generator steps whose targets are not in the object tree yet, grouped by obj dir
    as `$(MAKE) $(build)=OBJ TARGET...` needs them (first-seen order)."""
    existing = set(existing)
    groups: dict[str, list[str]] = {}
    for s in analysis.build_steps + [s for s in analysis.link_steps if s.tag == "FILECHK"]:
        t = norm_rel(s.target)
        if t in existing:
            continue
        if t not in groups.setdefault(s.obj, []):
            groups[s.obj].append(t)
    return list(groups.items())


def _split_words(s: str) -> list[str]:
    return s.split()


def unlinked_archives(analysis: Analysis, libs: Sequence[str]) -> list[str]:
    """Archives the dry run builds that vmlinux does not link: in no other archive, neither
    vmlinux.a nor a KBUILD_VMLINUX_LIBS one (x86_64: libstub's lib.a, for the bzImage)."""
    nested = {m for a in analysis.archives.values() for m in a.members}
    return sorted(n for n in analysis.archives if n not in nested and n != "vmlinux.a" and n not in libs)


def archive_plan(analysis: Analysis, libs: Sequence[str], head_list_text: str) -> dict:
    """The plan's archives: vmlinux.a flattened with heads first, and each lib (the
    KBUILD_VMLINUX_LIBS ones, then the unlinked ones)."""
    members, heads = head_first(flatten(analysis.archives, "vmlinux.a"), head_list_text)
    out = {"vmlinux.a": {"members": members, "flags": analysis.archives["vmlinux.a"].flags,
                         "thin": True, "head_objects": heads}}
    for name in libs:
        if name not in analysis.archives:
            raise KbuildImportError(f"{name}: KBUILD_VMLINUX_LIBS names it but the dry run did not build it")
        a = analysis.archives[name]
        out[name] = {"members": flatten(analysis.archives, name), "flags": a.flags, "thin": "T" in a.flags}
    return out


def derived_entry(d: Derived, roots: Roots) -> dict:
    """The plan's entry for a derived object (see the module docstring)."""
    e = {"kind": d.kind, "src": d.src, "tool": "$(OBJCOPY)", "flags": normalize_flags(d.flags, roots, where=d.out)}
    if d.kind == "stubcopy":
        e["check"] = {"strip": list(d.strip_flags), "reject_reloc": d.reject_reloc}
    return e


def object_entry(c: Compile, deps: Deps, incbins: Sequence[str], archive: str | None,
                 roots: Roots, tools: Mapping[str, str], module: str | None = None,
                 post: Sequence[str] | None = None, symversions: SymVersions | None = None) -> dict:
    src_root, src = split_placeholder(placeholder_path(c.src, roots))
    if src_root not in ("srctree", "objtree"):
        raise KbuildImportError(f"{c.out}: source {c.src} is in neither tree")
    flags = normalize_flags(c.flags, roots, where=c.out)
    extra = {}
    if symversions is not None:
        extra["symversions"] = symversions_entry(symversions, lambda f: normalize_flags(f, roots, where=c.out))
    return {
        "out": c.out,
        "src": src,
        "src_root": src_root,
        "lang": c.lang,
        "flags": flags,
        "lto": lto_kind(c.lang, flags),
        "hdrs": list(deps.hdrs),
        "gen_inputs": list(deps.gen_inputs),
        "build_inputs": list(deps.build_inputs),
        "toolchain_hdrs": list(deps.toolchain_hdrs),
        "incbin": sorted(incbins),
        "archive": archive,
        "post": list(post) if post is not None else [normalize_cmd(p, tools, roots) for p in c.post],
        "module": module,
        **extra,
    }


def build_plan(
    *,
    arch: str,
    config_text: str,
    make_vars: Mapping[str, str],
    analysis: Analysis,
    head_list_text: str,
    deps: Mapping[str, Deps],
    incbins: Mapping[str, Sequence[str]],
    generated_prepare: Mapping[str, Mapping[str, str]],
    generated_build: Mapping[str, Mapping[str, str]],
    roots: Roots,
    tools: Mapping[str, str],
    modfinal: ModFinal | None = None,
    extmod: dict | None = None,
    export_o: Compile | None = None,
) -> dict:
    """Assembles the plan (see the module docstring). deps/incbins are keyed by object
    out, and by the linker script's out for the lds entry (and with modules, by
    MODULE_LDS and MOD_C_PROBE_OUT). modfinal: pass 2, given iff CONFIG_MODULES."""
    config = parse_config(config_text)
    if (config.get("CONFIG_MODULES") == "y") != (modfinal is not None):
        raise KbuildImportError("CONFIG_MODULES=y needs the Makefile.modfinal pass (and only then)")
    # Normalized as archive names are (arm64: $(objtree)/drivers/firmware/efi/libstub/lib.a
    # is `./drivers/...`).
    libs = [norm_rel(p) for p in _split_words(make_vars["KBUILD_VMLINUX_LIBS"])]
    vmlinux_objs = tuple(norm_rel(p) for p in _split_words(make_vars["KBUILD_VMLINUX_OBJS"]))
    if vmlinux_objs != analysis.archives["vmlinux.a"].members:
        raise KbuildImportError(f"vmlinux.a is made of {' '.join(analysis.archives['vmlinux.a'].members)}, "
                                f"not KBUILD_VMLINUX_OBJS ({' '.join(vmlinux_objs)})")
    unlinked = unlinked_archives(analysis, libs)
    archives = archive_plan(analysis, libs + unlinked, head_list_text)
    where: dict[str, str] = {}
    for name in ["vmlinux.a", *libs, *unlinked]:
        for m in archives[name]["members"]:
            where.setdefault(m, name)
    for d in analysis.derived.values():
        if d.out in where:
            where.setdefault(d.src, where[d.out])
    partial_chains = chains(analysis.partials.steps, analysis.compiles)
    partial_of: dict[str, str] = {}
    for final, chain in partial_chains.items():
        if final not in where:
            raise KbuildImportError(f"{final}: made by {chain[-1].tag} but in no archive vmlinux links")
        for part in parts_of(chain, analysis.compiles):
            if part in where:
                raise KbuildImportError(f"{part}: both in {where[part]} and a part of {final}")
            partial_of.setdefault(part, final)
    missing = sorted(set(where) - set(analysis.compiles) - set(analysis.derived) - set(partial_chains))
    if missing:
        raise KbuildImportError(f"{missing[0]}: archived but never compiled in the dry run ({len(missing)} such)")
    modules, part_of, object_post = None, {}, {}
    if modfinal is not None:
        builtin = [normalize_cmd(s.cmd, tools, roots) for s in analysis.vmlinux_o_steps
                   if s.target in ("modules.builtin.modinfo", "modules.builtin")]
        if len(builtin) != 2:
            raise KbuildImportError("the vmlinux.o stage has no modules.builtin.modinfo + modules.builtin steps")
        modules, part_of, object_post = module_plan(analysis, modfinal, config=config, deps=deps, roots=roots,
                                                    tools=tools, builtin=builtin, extmod=extmod)
    elif analysis.module_objs or analysis.mods:
        raise KbuildImportError(f"{sorted(analysis.module_objs or analysis.mods)[0]}: module build without CONFIG_MODULES")
    objects = []
    for out in sorted(analysis.compiles):
        c = analysis.compiles[out]
        archive = where.get(out)
        if archive is not None and out in part_of:
            raise KbuildImportError(f"{out}: both in {archive} and part of {part_of[out][0]}")
        if archive is None and out not in LINK_OBJECTS and out not in part_of and out not in partial_of:
            continue  # compiled by the dry run but linked through none of the archives
        if out not in deps:
            raise KbuildImportError(f"{out}: no dependency information")
        sv = analysis.symversions.get(out)
        objects.append(object_entry(c, deps[out], incbins.get(out, ()), archive, roots, tools,
                                    module=part_of[out][0] if out in part_of else None, post=object_post.get(out),
                                    symversions=parse_symversions(sv, c, tools) if sv else None))
        if out in partial_of:
            objects[-1]["partial"] = partial_of[out]
        if len(part_of.get(out, ())) > 1:
            # One compile, linked into each (sound/soc/codecs/wcd-clsh-v2.o in two codecs).
            objects[-1]["other_modules"] = part_of[out][1:]
    order = []
    for name in ["vmlinux.a", *libs]:
        order.extend(archives[name]["members"])
    lds = lds_entry(analysis.lds, deps, roots) if analysis.lds is not None else None
    vmlinux_o, initcalls = None, None
    vo_steps = []
    for s in analysis.vmlinux_o_steps:
        vo_steps.append({"tag": s.tag, "target": s.target, "cmd": normalize_cmd(s.cmd, tools, roots)})
        if s.tag == "LD" and s.target == "vmlinux.o":
            argv = shell_split(s.cmd)[0]
            vmlinux_o = ["$(LD)" if argv[0] == tools["ld"] else argv[0]] + normalize_flags(argv[1:], roots, "vmlinux.o")
        elif s.target == ".tmp_initcalls.lds":
            initcalls = normalize_cmd(s.cmd, tools, roots)
    if vmlinux_o is None:
        raise KbuildImportError("the dry run has no `LD vmlinux.o` step")
    host_programs = sorted(p for p, v in generated_prepare.items() if v["kind"] == "host_program"
                           and p in ("scripts/kallsyms", "scripts/sorttable", "scripts/mod/modpost", GENKSYMS))
    placeholders = {SRCTREE: "the kernel source tree (read-only)",
                    OBJTREE: "the object tree: Kbuild's working directory",
                    RESOURCE_DIR: "the compiler's resource directory (clang -print-resource-dir)"}
    for flag, var in TOOL_VARS:
        placeholders[f"$({var})"] = f"the --{flag} tool"
    if modules is not None:
        problems = check_modules(modules, {o["out"]: o for o in objects}, order)
        if problems:
            raise KbuildImportError(problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    sv_asm = symversions_asm_section(objects, deps)
    return {
        "schema": SCHEMA,
        "arch": arch,
        "srcarch": make_vars["SRCARCH"],
        "kernel_version": make_vars["KERNELVERSION"],
        "kernel_release": make_vars["KERNELRELEASE"],
        "config_sha256": hashlib.sha256(config_text.encode()).hexdigest(),
        "lto": lto_mode(config),
        "cc_flags_lto": _split_words(make_vars["CC_FLAGS_LTO"]),
        "toolchain": toolchain_info(config),
        "placeholders": placeholders,
        "objects": objects,
        "archives": archives,
        "unlinked_archives": unlinked,
        "derived": {d.out: derived_entry(d, roots) for d in sorted(analysis.derived.values(), key=lambda d: d.out)},
        "link": {
            "ldflags": _split_words(make_vars["KBUILD_LDFLAGS"]),
            "ldflags_vmlinux": _split_words(make_vars["LDFLAGS_vmlinux"]),
            "libs": libs,
            "order": order,
            "vmlinux_o": vmlinux_o,
            "initcalls_lds": initcalls,
            "lds": lds,
            "link_objects": [o for o in LINK_OBJECTS if o in analysis.compiles],
            "kallsyms": kallsyms_args(config),
            "sorttable": config.get("CONFIG_BUILDTIME_TABLE_SORT") == "y",
            "steps": vo_steps,
            "host_programs": host_programs,
            **({"export_o": export_o_entry(export_o, deps[EXPORT_O],
                                           lambda f: normalize_flags(f, roots, where=EXPORT_O))}
               if export_o is not None else {}),
        },
        "build_steps": [{"tag": s.tag, "target": s.target, "obj": s.obj,
                         "cmd": normalize_cmd(s.cmd, tools, roots)}
                        for s in analysis.build_steps + analysis.link_steps
                        if norm_rel(s.target) in generated_build],
        "generated": {"prepare": {k: dict(v) for k, v in generated_prepare.items()},
                      "build": {k: dict(v) for k, v in generated_build.items()}},
        "modules": modules,
        **({"symversions_asm": sv_asm} if sv_asm is not None else {}),
        **({"partial_links": {final: partial_link_entry(chain, analysis, deps, roots, tools)
                              for final, chain in sorted(partial_chains.items())}} if partial_chains else {}),
    }


def lds_entry(c: Compile, deps: Mapping[str, Deps], roots: Roots) -> dict:
    """A preprocessed linker script's entry (link.lds, modules.lds, partial_links[].lds)."""
    src_root, src = split_placeholder(placeholder_path(c.src, roots))
    d = deps[c.out]
    return {"out": c.out, "src": src, "src_root": src_root,
            "flags": normalize_flags(c.flags, roots, where=c.out),
            "hdrs": list(d.hdrs), "gen_inputs": list(d.gen_inputs), "build_inputs": list(d.build_inputs)}


def partial_link_entry(chain, analysis: Analysis, deps: Mapping[str, Deps], roots: Roots,
                       tools: Mapping[str, str]) -> dict:
    """The plan's entry for one composite object (tools/kbuild_import/partial.py)."""
    steps = []
    for p in chain:
        e = {"tag": p.tag, "out": p.out, "kind": p.kind, "inputs": list(p.inputs), "host": list(p.host)}
        if p.step is not None:
            e["cmd"] = normalize_cmd(p.step.cmd, tools, roots)
        steps.append(e)
    scripts = sorted({i for p in chain if p.kind == "ld" for i in p.inputs if i in analysis.partials.lds})
    return {"steps": steps, "parts": parts_of(chain, analysis.compiles),
            "lds": [lds_entry(analysis.partials.lds[o], deps, roots) for o in scripts]}


def dump_plan(plan: Mapping) -> str:
    """The plan's JSON text: sorted keys, stable, newline-terminated."""
    return json.dumps(plan, sort_keys=True, indent=1, ensure_ascii=True) + "\n"


# The object tree listing.

# Files in the object tree that are Kbuild bookkeeping, not outputs anyone reads. Objects and
# the unstripped vDSOs (`.so.dbg`, arm64 compat `.so.raw`; read only by import-time steps:
# VDSOSYM, MUNGE, vdso2c, the objcopy to .so) carry DW_AT_comp_dir, the absolute object
# tree, with CONFIG_DEBUG_INFO (arm64 defconfig).
_SKIP_SUFFIXES = (".cmd", ".d", ".o", ".a", ".tmp", ".old", ".order", ".symvers", ".so.dbg", ".so.raw")
_SKIP_PATHS = frozenset({"Makefile", ".gitignore", "source"})
_KEEP_CONFIG = frozenset({"include/config/auto.conf", "include/config/kernel.release"})


def listed_file(rel: str) -> bool:
    """Whether an object-tree file belongs in the plan's generated listing."""
    base = posixpath.basename(rel)
    if rel in _SKIP_PATHS or base.startswith(".kbuild_import"):
        return False
    if rel.startswith("include/config/"):
        return rel in _KEEP_CONFIG
    if base.startswith(".") and rel != ".config":
        return False  # .checked-*, .missing-syscalls.d, .version, ...
    return not base.endswith(_SKIP_SUFFIXES)


def file_kind(rel: str, executable: bool) -> str:
    if executable and not rel.endswith((".so", ".dbg")):
        return "host_program"
    if rel.endswith(".h") or "/include/generated/" in "/" + rel:
        return "header"
    return "data"
