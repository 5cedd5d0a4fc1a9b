"""Loadable modules (CONFIG_MODULES): pass 2 (modpost, modfinal), the plan's `modules`
section and the out-of-tree (M=) templates.
"""

import dataclasses
import posixpath
import shlex
from typing import Mapping, Sequence

from tools.kbuild_import.analysis import Analysis, MODULE_LDS, modules_order, parse_mod
from tools.kbuild_import.common import KO_MARK, KbuildImportError, OBJTREE
from tools.kbuild_import.deps import Deps
from tools.kbuild_import.dryrun import (
    Compile, Step, norm_rel, pipelines, parse_compile, parse_dry_run, shell_split,
)
from tools.kbuild_import.symversions import parse_symversions
from tools.kbuild_import.placeholders import (
    Roots, normalize_cmd, normalize_flags, placeholder_path, split_placeholder,
)


# The #include lines every *.mod.c has (scripts/mod/modpost.c add_header, Linux 6.1; the
# same in tools/modpost): the stand-in the import scans once for mod_c's headers.
MOD_C_HEADER = (
    "#include <linux/module.h>\n"
    "#define INCLUDE_VERMAGIC\n"
    "#include <linux/build-salt.h>\n"
    "#include <linux/elfnote-lto.h>\n"
    "#include <linux/export-internal.h>\n"
    "#include <linux/vermagic.h>\n"
    "#include <linux/compiler.h>\n"
)
MOD_C_PROBE = ".kbuild_import_probe.mod.c"  # objtree-relative; removed after the scan
MOD_C_PROBE_OUT = ".kbuild_import_probe.mod.o"
MODPOST = "scripts/mod/modpost"

# Configurations whose module build the import does not reproduce yet.
_UNSUPPORTED_MODULE_CONFIG = {
    "CONFIG_MODULE_SRCVERSION_ALL": "srcversion for every module (modpost -a)",
    "CONFIG_MODULE_SIG": "module signing",
    "CONFIG_DEBUG_INFO_BTF_MODULES": "BTF for modules (pahole on each .ko)",
    "CONFIG_MODULE_COMPRESS_GZIP": "compressed modules",
    "CONFIG_MODULE_COMPRESS_XZ": "compressed modules",
    "CONFIG_MODULE_COMPRESS_ZSTD": "compressed modules",
}


def unsupported_module_config(config: Mapping[str, str]) -> list[str]:
    return [f"{sym}=y: {what} is not supported by the import yet; unset it in the config fragment"
            for sym, what in _UNSUPPORTED_MODULE_CONFIG.items() if config.get(sym) == "y"]


@dataclasses.dataclass
class ModFinal:
    """What `make -n` of Makefile.modpost + Makefile.modfinal prints (pass 2)."""

    modpost: list[str]  # modpost's argv after the tool, as printed
    mod_o: dict[str, Compile]  # M.ko -> the M.mod.c compile
    ko: dict[str, str]  # M.ko -> the .ko command (KO_MARK lines)


# modpost options the plan supports (Linux 6.1 Makefile.modpost): -E section mismatches are
# errors, -N missing namespace imports allowed, -W extra warnings, -m symbol CRCs
# (CONFIG_MODVERSIONS: KernelSymversions' #SYMVER lines staged for it); -o/-T take a value.
_MODPOST_FLAGS = {"-E", "-N", "-W", "-m"}
_MODPOST_REFUSED = {
    "-a": "modpost -a (CONFIG_MODULE_SRCVERSION_ALL) is not supported yet; unset it",
    "-w": "modpost -w: KBUILD_MODPOST_WARN is set or vmlinux.o was missing in the dry run",
    "-e": "modpost -e: an external-module (M=) run",
    "-i": "modpost -i: extra symbol files (KBUILD_EXTRA_SYMBOLS) are not supported",
}


def parse_modpost(step: Step, extmod: bool = False) -> list[str]:
    """`sed 's/ko$/o/' modules.order | scripts/mod/modpost ARGS` -> ARGS (checked).
    extmod: an M= run (`$(M)/modules.order`, `-e -i Module.symvers`, no vmlinux.o)."""
    order = f"{EXTMOD_MARK}/modules.order" if extmod else "modules.order"
    pipes = pipelines(step.cmd)
    if (len(pipes) != 1 or len(pipes[0]) != 2 or pipes[0][0] != ["sed", "s/ko$/o/", order]
            or not pipes[0][1] or pipes[0][1][0] != MODPOST):
        raise KbuildImportError(f"MODPOST {step.target}: unrecognized command {step.cmd[:160]!r}")
    args = pipes[0][1][1:]
    refused = {k: v for k, v in _MODPOST_REFUSED.items() if not (extmod and k == "-e")}
    i = 0
    while i < len(args):
        a = args[i]
        if extmod and a == "-i" and args[i + 1:i + 2] == ["Module.symvers"]:
            i += 2
            continue
        if a in refused:
            raise KbuildImportError(f"MODPOST {step.target}: {refused[a]}")
        if a in ("-o", "-T"):
            i += 2
            continue
        if a.startswith("-") and a not in _MODPOST_FLAGS | ({"-e"} if extmod else set()):
            raise KbuildImportError(f"MODPOST {step.target}: modpost option {a} not understood")
        i += 1
    tail = ["-T", "-"] if extmod else ["-T", "-", "vmlinux.o"]
    if args[-len(tail):] != tail:
        raise KbuildImportError(f"MODPOST {step.target}: expected `... {' '.join(tail)}`, got {shlex.join(args)!r}")
    return args


def parse_modfinal(text: str, cc: str, extmod: bool = False) -> ModFinal:
    """Pass 2's output: the MODPOST step, each `CC [M] M.mod.o` and the KO_MARK lines."""
    modpost, mod_o, ko = None, {}, {}
    for s in parse_dry_run(text):
        if s.tag == "MODPOST":
            if modpost is not None:
                raise KbuildImportError("pass 2 ran modpost twice")
            modpost = parse_modpost(s, extmod)
        elif s.tag == "CC [M]" and s.target.endswith(".mod.o"):
            c = parse_compile(s, cc)
            mod_o[norm_rel(c.out)[:-len(".mod.o")] + ".ko"] = c
        elif s.tag == "GEN" and s.target == ".vmlinux.objs":
            # CONFIG_MODVERSIONS (Makefile.modpost cmd_vmlinux_objs): `$(AR) t` of vmlinux.a
            # and the libs; the rules list the same members (kernel_modules.bzl).
            if "t ${f}" not in s.cmd or not s.cmd.rstrip().endswith("> .vmlinux.objs"):
                raise KbuildImportError(f"GEN .vmlinux.objs: unrecognized command {s.cmd[:160]!r}")
        elif s.tag != "FILECHK":
            raise KbuildImportError(f"{s.tag} {s.target}: unexpected step in Makefile.modpost/modfinal")
    for line in text.splitlines():
        if line.startswith(KO_MARK + " "):
            name, sep, cmd = line[len(KO_MARK) + 1:].partition(" := ")
            if not sep:
                raise KbuildImportError(f"cannot parse {line[:120]!r}")
            ko[norm_rel(name.strip())] = cmd.strip()
    if modpost is None:
        raise KbuildImportError("Makefile.modpost printed no MODPOST step")
    return ModFinal(modpost, mod_o, ko)


def _ld_argv(argv: Sequence[str], tools: Mapping[str, str], roots: Roots, where: str) -> list[str]:
    """An ld.lld argv (cwd = objtree) -> ["$(LD)", flags...] with objtree paths relative."""
    if not argv or argv[0] != tools["ld"]:
        raise KbuildImportError(f"{where}: command runs {argv[0] if argv else ''!r}, not the linker {tools['ld']!r}")
    flags = normalize_flags(list(argv[1:]), roots, where)
    return ["$(LD)"] + [f[len(OBJTREE) + 1:] if f.startswith(OBJTREE + "/") else f for f in flags]


def split_single_module(c: Compile, tools: Mapping[str, str], roots: Roots
                        ) -> tuple[list[str] | None, list[str], list[str]]:
    """A single-object module's compile -> (link argv or None, module post, object post).

    With LTO, cmd_ld_single_m follows the compile: `$(LD) FLAGS -r -o D/.tmp_M.o D/M.o;
    mv D/.tmp_M.o D/M.o`; it becomes the link (writing M.o directly) and what follows
    (x86_64: objtool --link --module M.o) the module's post. Without it, the compile's
    post stays the object's."""
    cmds = [shlex.split(p) for p in c.post]
    if not cmds or cmds[0][:1] != [tools["ld"]]:
        if any(a[:1] == [tools["ld"]] or a[:1] == ["mv"] for a in cmds):
            raise KbuildImportError(f"{c.out}: ld/mv after the compile, but not as cmd_ld_single_m")
        return None, [], list(c.post)
    ld = cmds[0]
    tmp = posixpath.join(posixpath.dirname(c.out), ".tmp_" + posixpath.basename(c.out))
    if (ld[-4:] != ["-r", "-o", tmp, c.out] or len(cmds) < 2 or cmds[1] != ["mv", tmp, c.out]):
        raise KbuildImportError(f"{c.out}: unrecognized LTO module link {c.post[0][:120]!r}")
    link = _ld_argv(ld[:-2] + [c.out, c.out], tools, roots, c.out)
    return link, [normalize_cmd(p, tools, roots) for p in c.post[2:]], []


def kbuild_modnames(part: str, multi: Sequence[str]) -> list[str]:
    """The KBUILD_MODNAME values Kbuild 6.1 can compile a module part with (Makefile.lib
    modname_flags), the usual one first. multi: the multi-part modules (.ko paths) listing
    the part. `modname-multi` is every multi-part module of the directory whose parts
    match `$*.o`, sorted and joined by ":" (sound/soc/codecs/wcd-clsh-v2.o, part of two:
    "snd_soc_wcd9335:snd_soc_wcd934x"); when it matches none, as in a pattern rule whose
    stem is not the file name (arch/arm64/crypto `$(obj)/aes-glue-%.o: $(src)/aes-glue.c`,
    stem "neon"), or for a single-object module, it is the object's own name (basetarget:
    "aes_glue_neon")."""
    names = []
    if multi:
        names.append(_name_fix(":".join(sorted({posixpath.basename(ko[:-len(".ko")]) for ko in multi}))))
    own = _name_fix(posixpath.basename(part)[:-len(".o")])
    return names + ([own] if own not in names else [])


def module_plan(analysis: Analysis, modfinal: ModFinal, *, config: Mapping[str, str], deps: Mapping[str, "Deps"],
                roots: Roots, tools: Mapping[str, str], builtin: Sequence[str], extmod: dict | None = None
                ) -> tuple[dict, dict[str, list[str]], dict[str, list[str]]]:
    """The plan's "modules" section; also part -> the .ko files it is linked into (in
    modules.order; two or more for a part shared by modules, which Kbuild compiles once)
    and part -> object post (normalized)."""
    problems = unsupported_module_config(config)
    if problems:
        raise KbuildImportError(problems[0])
    order = modules_order(analysis.orders)
    part_of: dict[str, list[str]] = {}
    object_post: dict[str, list[str]] = {}
    modules = {}
    for ko in order:
        if ko in modules:
            raise KbuildImportError(f"modules.order: {ko} twice")
        modules[ko] = None
        parts = analysis.mods.get(ko[:-len(".ko")] + ".mod")
        if parts is None:
            raise KbuildImportError(f"{ko}: in modules.order, but the dry run wrote no {ko[:-len('.ko')]}.mod")
        for p in parts:
            part_of.setdefault(p, []).append(ko)
    multi_of = {p: [ko for ko in kos if analysis.mods[ko[:-len(".ko")] + ".mod"] != [ko[:-len(".ko")] + ".o"]]
                for p, kos in part_of.items()}
    for ko in order:
        name = ko[:-len(".ko")]
        mo = name + ".o"
        parts = analysis.mods[name + ".mod"]
        modname = _name_fix(posixpath.basename(name))
        for p in parts:
            if p not in analysis.module_objs:
                raise KbuildImportError(f"{ko}: part {p} is not compiled as a module object (CC [M])")
            # Kbuild passes KBUILD_MODNAME in c_flags only (Makefile.lib modname_flags): an
            # asm part (arm64 `AS [M]` crypto cores) has none.
            c = analysis.compiles[p]
            accepted = kbuild_modnames(p, multi_of[p])
            if c.lang == "c" and not any(f'-DKBUILD_MODNAME="{m}"' in c.flags for m in accepted):
                raise KbuildImportError(f"{p}: compiled without -DKBUILD_MODNAME='\"{accepted[0]}\"' of {ko}"
                                        + (f" (or {', '.join(accepted[1:])})" if accepted[1:] else ""))
            if len(part_of[p]) > 1 and p in [k[:-len(".ko")] + ".o" for k in part_of[p]]:
                raise KbuildImportError(f"{p}: both a single-object module and a part of "
                                        f"{' and '.join(k for k in part_of[p] if k[:-len('.ko')] + '.o' != p)}")
        single = parts == [mo]
        if single:
            link, post, object_post[mo] = split_single_module(analysis.compiles[mo], tools, roots)
        else:
            s = analysis.mod_links.get(mo)
            if s is None:
                raise KbuildImportError(f"{ko}: {len(parts)} parts but no `LD [M] {mo}` in the dry run")
            cmds = shell_split(s.cmd)
            argv = cmds[0]
            if argv.count("@" + name + ".mod") != 1 or argv[-4:-1] != ["-r", "-o", mo]:
                raise KbuildImportError(f"LD [M] {mo}: expected `$(LD) FLAGS -r -o {mo} @{name}.mod`")
            argv = argv[:-1] + list(parts)
            link = _ld_argv(argv, tools, roots, mo)
            post = [normalize_cmd(shlex.join(c), tools, roots) for c in cmds[1:]]
            for p in parts:
                object_post[p] = [normalize_cmd(x, tools, roots) for x in analysis.compiles[p].post]
        c = modfinal.mod_o.get(ko)
        if c is None or norm_rel(c.src) != name + ".mod.c":
            raise KbuildImportError(f"{ko}: Makefile.modfinal compiles no {name}.mod.c")
        ko_cmd = modfinal.ko.get(ko)
        if ko_cmd is None:
            raise KbuildImportError(f"{ko}: Makefile.modfinal printed no .ko command for it")
        cmds = shell_split(ko_cmd)
        if len(cmds) != 2 or cmds[1] != ["true"]:
            raise KbuildImportError(f"{ko}: the .ko link is followed by {ko_cmd.split(';', 1)[-1].strip()!r} "
                                    "(ARCH_POSTLINK for modules is not supported)")
        ko_argv = _ld_argv(cmds[0], tools, roots, ko)
        if ko_argv[-4:] != ["-o", ko, mo, name + ".mod.o"]:
            raise KbuildImportError(f"{ko}: unrecognized .ko link {ko_cmd[:160]!r}")
        modules[ko] = {
            "name": name,
            "modname": modname,
            "objects": list(parts),
            "single": single,
            "link": link,
            "post": post,
            "mod_o": {"out": name + ".mod.o", "src": name + ".mod.c",
                      "flags": normalize_flags(c.flags, roots, where=c.out)},
            "ko": ko_argv,
        }
    stray = sorted(analysis.module_objs - set(part_of))
    if stray:
        raise KbuildImportError(f"{stray[0]}: compiled as a module object but part of no module in modules.order")
    stray = sorted(set(modfinal.ko) - set(modules))
    if stray:
        raise KbuildImportError(f"{stray[0]}: Makefile.modfinal links it, but it is not in modules.order")
    if analysis.module_lds is None:
        raise KbuildImportError(f"modules_prepare did not make {MODULE_LDS}")
    lds = analysis.module_lds
    src_root, src = split_placeholder(placeholder_path(lds.src, roots))
    d = deps[lds.out]
    md = deps[MOD_C_PROBE_OUT]
    if md.build_inputs:
        raise KbuildImportError(f"*.mod.c: reads {md.build_inputs[0]}, made by a build step")
    section = {
        "order": order,
        "list": modules,
        "lds": {"out": lds.out, "src": src, "src_root": src_root,
                "flags": normalize_flags(lds.flags, roots, where=lds.out),
                "hdrs": list(d.hdrs), "gen_inputs": list(d.gen_inputs), "build_inputs": list(d.build_inputs)},
        "mod_c": {"hdrs": list(md.hdrs), "gen_inputs": list(md.gen_inputs),
                  "toolchain_hdrs": list(md.toolchain_hdrs)},
        "modpost": list(modfinal.modpost),
        "builtin": list(builtin),
        "extmod": extmod,
    }
    problems = check_modules(section, {})
    if problems:
        raise KbuildImportError(problems[0])
    return section, part_of, object_post


# The probe for out-of-tree (M=) module templates: a single-object and a two-part module,
# named so that file name, KBUILD_MODNAME and part names differ (then every placeholder
# substitution below is unambiguous). Written in OBJTREE/EXTMOD_DIR, removed after.
EXTMOD_DIR = ".kbuild_import_extmod"
EXTMOD_DIR_PH = "$(M)"
EXTMOD_MARK = "KBUILD_IMPORT_M_DIR"  # stands for the probe directory while parsing (shlex splits at "(")
_EXT_SINGLE, _EXT_MULTI, _EXT_PARTS = "kbuild-import-hello", "kbuild-import-pair", ("pair_a", "pair_b")
EXTMOD_FILES = {
    "Kbuild": f"obj-m := {_EXT_SINGLE}.o {_EXT_MULTI}.o\n{_EXT_MULTI}-y := {' '.join(p + '.o' for p in _EXT_PARTS)}\n",
    f"{_EXT_SINGLE}.c": "#include <linux/module.h>\nMODULE_LICENSE(\"GPL\");\n",
    "pair_a.c": "#include <linux/module.h>\nMODULE_LICENSE(\"GPL\");\n",
    "pair_b.c": "int kbuild_import_pair_b;\n",
}
EXTMOD_STAND_INS = ("modules.order", f"{_EXT_SINGLE}.o", f"{_EXT_MULTI}.o", f"{_EXT_SINGLE}.mod.c",
                    f"{_EXT_MULTI}.mod.c")
EXTMOD_ORDER = [f"{EXTMOD_MARK}/{_EXT_SINGLE}.ko", f"{EXTMOD_MARK}/{_EXT_MULTI}.ko"]


def _name_fix(name: str) -> str:
    return name.replace("-", "_").replace(",", "_")  # Kbuild's name-fix-token


def _template(tokens: Sequence[str], name: str, part: str | None = None) -> list[str]:
    """Probe argv -> template. Placeholders: $(M) the module directory; $(NAME) the
    module's file name without .ko; $(MODNAME) its KBUILD_MODNAME; $(PART) a part's
    file name without .o; $(BASENAME) a part's KBUILD_BASENAME (name-fixed $(PART))."""
    subs = []
    if part:
        subs += [(f'-DKBUILD_BASENAME="{_name_fix(part)}"', '-DKBUILD_BASENAME="$(BASENAME)"'),
                 (f"{EXTMOD_MARK}/{part}.", "$(M)/$(PART).")]
    subs += [(f"{EXTMOD_MARK}/{name}.", "$(M)/$(NAME)."), (f'"{_name_fix(name)}.mod"', '"$(MODNAME).mod"'),
             (f'"{_name_fix(name)}"', '"$(MODNAME)"'), (f"kmod_{_name_fix(name)}", "kmod_$(MODNAME)"),
             (EXTMOD_MARK, EXTMOD_DIR_PH)]
    out = []
    for t in tokens:
        for old, new in subs:
            t = t.replace(old, new)
        out.append(t)
    return out


def extmod_plan(pass1: str, pass2: str, probe_dir: str, *, tools: Mapping[str, str], roots: Roots) -> dict:
    """Templates for out-of-tree modules from the probe's two dry runs (`make -n M=DIR DIR`
    and pass 2 with M=DIR); probe_dir (absolute) becomes $(M). Placeholders: $(M) the
    module directory, $(NAME) the module's file name (pair for pair.ko), $(MODNAME) its
    KBUILD_MODNAME, $(PART) a part's file name without .o, $(BASENAME) its KBUILD_BASENAME,
    $(PARTS) (link_multi) the parts, one argument each."""
    pass1, pass2 = pass1.replace(probe_dir, EXTMOD_MARK), pass2.replace(probe_dir, EXTMOD_MARK)
    compiles, mods, links, gen = {}, {}, {}, {}
    for s in parse_dry_run(pass1):
        if s.tag == "CC [M]":
            c = parse_compile(s, tools["clang"])
            compiles[c.out] = c
        elif s.tag == "MOD":
            out, parts = parse_mod(s)
            mods[out] = parts
        elif s.tag == "LD [M]":
            links[norm_rel(s.target)] = s
        elif s.tag == "GENKSYMS":  # CONFIG_MODVERSIONS: checked against its compile below
            gen[s.target] = s
        elif s.tag not in ("MODORDER", "FILECHK"):
            raise KbuildImportError(f"extmod probe: {s.tag} {s.target}: step not understood")
    d = EXTMOD_MARK
    single, multi = f"{d}/{_EXT_SINGLE}.o", f"{d}/{_EXT_MULTI}.o"
    parts = [f"{d}/{p}.o" for p in _EXT_PARTS]
    if sorted(compiles) != sorted([single, *parts]) or mods.get(f"{d}/{_EXT_MULTI}.mod") != parts \
            or multi not in links:
        raise KbuildImportError(f"extmod probe: expected compiles of {single} and {parts} and a link of {multi}, "
                                f"got {sorted(compiles)} and {sorted(links)}")

    for o, s in gen.items():
        if o not in compiles:
            raise KbuildImportError(f"extmod probe: GENKSYMS {o}: follows no compile")
        parse_symversions(s, compiles[o], tools)
    if gen and sorted(gen) != sorted(compiles):
        raise KbuildImportError(f"extmod probe: gen_symversions after {sorted(gen)} only, not every part")

    def flags(c):
        return normalize_flags(c.flags, roots, where=c.out)

    c_flags = _template(flags(compiles[parts[0]]), _EXT_MULTI, _EXT_PARTS[0])
    if _template(flags(compiles[parts[1]]), _EXT_MULTI, _EXT_PARTS[1]) != c_flags or \
            _template(flags(compiles[single]), _EXT_SINGLE, _EXT_SINGLE) != c_flags:
        raise KbuildImportError("extmod probe: the parts' flags differ beyond name, basename and KBUILD_MODNAME")
    link_single, post_single, _ = split_single_module(compiles[single], tools, roots)
    part_post = _template([normalize_cmd(p, tools, roots) for p in compiles[parts[0]].post], _EXT_MULTI,
                          _EXT_PARTS[0])
    cmds = shell_split(links[multi].cmd)
    argv = [("$(PARTS)" if a == f"@{d}/{_EXT_MULTI}.mod" else a) for a in cmds[0]]
    if argv.count("$(PARTS)") != 1:
        raise KbuildImportError(f"extmod probe: LD [M] {multi} does not read @{_EXT_MULTI}.mod")
    link_multi = _template(_ld_argv(argv, tools, roots, multi), _EXT_MULTI)
    post = _template([normalize_cmd(shlex.join(c), tools, roots) for c in cmds[1:]], _EXT_MULTI)
    if _template(post_single, _EXT_SINGLE) != post:
        raise KbuildImportError("extmod probe: single- and multi-object modules differ after the link")
    mf = parse_modfinal(pass2, tools["clang"], extmod=True)
    ko = f"{d}/{_EXT_MULTI}.ko"
    if sorted(mf.ko) != sorted(EXTMOD_ORDER) or sorted(mf.mod_o) != sorted(EXTMOD_ORDER):
        raise KbuildImportError(f"extmod probe: pass 2 links {sorted(mf.ko)}, expected {EXTMOD_ORDER}")
    cmds = shell_split(mf.ko[ko])
    if len(cmds) != 2 or cmds[1] != ["true"]:
        raise KbuildImportError(f"extmod probe: the .ko link is followed by {mf.ko[ko].split(';', 1)[-1].strip()!r}")
    ko_single = f"{d}/{_EXT_SINGLE}.ko"
    if (_template(flags(mf.mod_o[ko_single]), _EXT_SINGLE) != _template(flags(mf.mod_o[ko]), _EXT_MULTI)
            or _template(shell_split(mf.ko[ko_single])[0], _EXT_SINGLE) != _template(cmds[0], _EXT_MULTI)):
        raise KbuildImportError("extmod probe: the two modules' .mod.o or .ko commands differ beyond their names")
    return {
        "c_flags": c_flags,
        "part_post": part_post,
        "link_single": _template(link_single, _EXT_SINGLE) if link_single else None,
        "link_multi": link_multi,
        "post": post,
        "mod_o_flags": _template(flags(mf.mod_o[ko]), _EXT_MULTI),
        "ko": _template(_ld_argv(cmds[0], tools, roots, ko), _EXT_MULTI),
        "modpost": _template(mf.modpost, _EXT_MULTI),
        # CONFIG_MODVERSIONS: every part gets KernelSymversions with c_flags (kind c).
        **({"symversions": True} if gen else {}),
    }


def check_modules(modules: Mapping, objects: Mapping[str, Mapping], link_order: Sequence[str] = ()) -> list[str]:
    """Consistency of a plan's "modules" section (and, given the plan's objects by out,
    of the module parts). Returns problems, one line each."""
    problems = []
    seen: dict[str, str] = {}
    for ko in modules["order"]:  # scripts/modules-check.sh
        base = posixpath.basename(ko)
        if base in seen:
            problems.append(f"modules.order: {seen[base]} and {ko} have the same basename "
                            "(scripts/modules-check.sh); rename one")
        seen[base] = ko
        if ko not in modules["list"]:
            problems.append(f"modules.order: {ko} has no entry in modules.list")
    for ko in sorted(set(modules["list"]) - set(modules["order"])):
        problems.append(f"modules.list: {ko} is not in modules.order")
    in_link = set(link_order)
    for ko, m in sorted(modules["list"].items()):
        name = ko[:-len(".ko")]
        if not ko.endswith(".ko") or m["name"] != name:
            problems.append(f"{ko}: name {m['name']!r}, expected {name!r}")
        if m["single"] != (m["objects"] == [name + ".o"]):
            problems.append(f"{ko}: single={m['single']} but objects are {m['objects']}")
        if not m["single"] and (not m["link"] or m["link"][-len(m["objects"]):] != m["objects"]):
            problems.append(f"{ko}: a multi-object module needs a link over its parts")
        if m["link"] is not None and m["link"][:1] != ["$(LD)"]:
            problems.append(f"{ko}: link does not run $(LD)")
        if m["ko"][-4:] != ["-o", ko, name + ".o", name + ".mod.o"] or m["ko"][:1] != ["$(LD)"]:
            problems.append(f"{ko}: ko argv does not link {name}.o {name}.mod.o into it")
        if m["mod_o"]["out"] != name + ".mod.o" or m["mod_o"]["src"] != name + ".mod.c":
            problems.append(f"{ko}: mod_o is not {name}.mod.c -> {name}.mod.o")
        for p in m["objects"]:
            if not objects:
                break
            o = objects.get(p)
            if o is None:
                problems.append(f"{ko}: part {p} is not a plan object")
                continue
            if ko not in modules_of(o) or o.get("archive") is not None or p in in_link:
                problems.append(f"{p}: part of {ko} but module={o.get('module')!r}"
                                f"{', other_modules=' + repr(o['other_modules']) if o.get('other_modules') else ''}"
                                f", archive={o.get('archive')!r}"
                                f"{', in link.order' if p in in_link else ''}")
            if m["link"] is None and o["lto"] == "bitcode":
                problems.append(f"{ko}: bitcode part {p} but no link to make native {name}.o")
            if m["link"] is not None and m["single"] and o["post"]:
                problems.append(f"{p}: post {o['post']} runs before the module link")
    for out, o in sorted(objects.items()):
        for ko in modules_of(o):
            if ko not in modules["list"] or out not in modules["list"][ko]["objects"]:
                problems.append(f"{out}: module {ko} does not list it as a part")
        if o.get("other_modules") is not None and not o["other_modules"]:
            problems.append(f"{out}: other_modules is empty (leave it out)")
    return problems


def modules_of(o: Mapping) -> list[str]:
    """A plan object's modules: its "module" and, for a part of several, "other_modules"."""
    return ([o["module"]] if o.get("module") else []) + list(o.get("other_modules", []))
