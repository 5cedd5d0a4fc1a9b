"""Analysis of a dry run: compiles, archives, derived objects, generators, modules' .mod files."""

import dataclasses
import re
from typing import Mapping, Sequence

from tools.kbuild_import.common import KbuildImportError, LINK_OBJECTS
from tools.kbuild_import.dryrun import (
    Archive, Compile, Step, norm_rel, parse_archive, parse_compile, parse_vmlinux_a, shell_split,
)
from tools.kbuild_import.partial import Partials, partial_steps


@dataclasses.dataclass(frozen=True)
class Derived:
    """An object made from a compiled one. kind "objcopy": `$(OBJCOPY) FLAGS IN OUT`
    (arm64 KASLR's arch/arm64/kernel/pi/*.pi.o, whose symbols get a __pi_ prefix; arm64's
    efi-entry.stub.o). kind "stubcopy": Kbuild 6.1's cmd_stubcopy (EFI libstub X.stub.o,
    see parse_stubcopy): the same objcopy after a relocation check of a stripped copy."""

    out: str
    src: str
    flags: tuple[str, ...]
    kind: str = "objcopy"
    strip_flags: tuple[str, ...] = ()  # stubcopy: $(STRIP) flags of the checked copy
    reject_reloc: str | None = None  # stubcopy: STUBCOPY_RELOC-y, what `grep` must not find


def parse_objcopy(step: Step, objcopy: str) -> Derived:
    cmds = shell_split(step.cmd)
    argv = cmds[0]
    if len(cmds) != 1 or argv[0] != objcopy or len(argv) < 3:
        raise KbuildImportError(f"OBJCOPY {step.target}: expected `objcopy FLAGS IN OUT`, got {step.cmd[:120]!r}")
    src, out = argv[-2], argv[-1]
    if norm_rel(out) != norm_rel(step.target) or src.startswith("-"):
        raise KbuildImportError(f"OBJCOPY {step.target}: expected `objcopy FLAGS IN OUT`, got {step.cmd[:120]!r}")
    return Derived(norm_rel(out), norm_rel(src), tuple(argv[1:-2]))


# cmd_stubcopy of drivers/firmware/efi/libstub/Makefile (Linux 6.1), whitespace collapsed:
#   $(STRIP) --strip-debug -o $@ $<; if $(OBJDUMP) -r $@ | grep $(STUBCOPY_RELOC-y); then
#   echo "$@: absolute symbol references not allowed in the EFI stub" >&2; /bin/false; fi;
#   $(OBJCOPY) $(STUBCOPY_FLAGS-y) $< $@
_STUBCOPY_RE = re.compile(
    r"^(?P<strip>\S+)(?P<strip_flags>(?: -\S+)*?) -o (?P<out1>\S+) (?P<src1>\S+); "
    r"if (?P<objdump>\S+) -r (?P<out2>\S+) \| grep (?P<reloc>[A-Za-z0-9_]+); "
    r'then echo "(?P<out3>\S+): absolute symbol references not allowed in the EFI stub" >&2; /bin/false; fi; '
    r"(?P<objcopy>\S+)(?P<flags>(?: -\S+)*) (?P<src2>\S+) (?P<out4>\S+)$")


def parse_stubcopy(step: Step, tools: Mapping[str, str]) -> Derived:
    """STUBCPY X.stub.o: exactly Kbuild 6.1's three-command cmd_stubcopy with the import's
    strip, objdump and objcopy, one target and one source; anything else is an error."""
    cmd = " ".join(step.cmd.split())
    m = _STUBCOPY_RE.match(cmd)
    problem = None
    if not m:
        problem = "not Kbuild 6.1's cmd_stubcopy (strip -o; objdump -r | grep; objcopy)"
    elif (m["strip"], m["objdump"], m["objcopy"]) != (tools["strip"], tools["objdump"], tools["objcopy"]):
        problem = "its strip/objdump/objcopy are not the import's --strip/--objdump/--objcopy"
    elif len({norm_rel(m[f"out{i}"]) for i in range(1, 5)} | {norm_rel(step.target)}) != 1:
        problem = "it does not name one output, the step's target, throughout"
    elif m["src1"] != m["src2"] or norm_rel(m["src1"]) == norm_rel(step.target):
        problem = "strip and objcopy read different objects"
    if problem:
        raise KbuildImportError(f"STUBCPY {step.target}: objects made by STUBCPY are not supported: {problem}; "
                                f"got {step.cmd[:160]!r}")
    return Derived(norm_rel(step.target), norm_rel(m["src1"]), tuple(m["flags"].split()), kind="stubcopy",
                   strip_flags=tuple(m["strip_flags"].split()), reject_reloc=m["reloc"])


@dataclasses.dataclass
class Analysis:
    """What the dry run says, before any dependency is known."""

    compiles: dict[str, Compile]  # out -> compile (objects, including link objects)
    lds: Compile | None
    archives: dict[str, Archive]  # every llvm-ar step, vmlinux.a unflattened
    head_list: str | None  # the head-object-list path vmlinux.a's command names
    build_steps: list[Step]  # generators between prepare and the link
    vmlinux_o_steps: list[Step]
    link_steps: list[Step]
    derived: dict[str, Derived] = dataclasses.field(default_factory=dict)  # out -> objcopy of an object
    module_objs: set[str] = dataclasses.field(default_factory=set)  # outs compiled as `CC [M]`
    mods: dict[str, list[str]] = dataclasses.field(default_factory=dict)  # M.mod -> parts (cmd_mod)
    mod_links: dict[str, Step] = dataclasses.field(default_factory=dict)  # M.o -> its `LD [M]` step
    orders: dict[str, list[tuple[str, str]]] = dataclasses.field(default_factory=dict)  # modules.order files
    module_lds: Compile | None = None  # scripts/module.lds (modules_prepare)
    symversions: dict[str, Step] = dataclasses.field(default_factory=dict)  # X.o -> GENKSYMS (MODVERSIONS)
    partials: Partials = dataclasses.field(default_factory=lambda: Partials([], {}, set()))  # partial.py
    hosts: dict[str, str] = dataclasses.field(default_factory=dict)  # host program -> obj= of its sub-make


_MOD_RE = re.compile(r"""^printf '%s\\n'\s+(?P<objs>[^|]*?)\s*\|\s*awk '!x\[\$0\]\+\+ \{ print\("(?P<dir>[^"]*)"\$0\) \}'\s*>\s*(?P<out>\S+)$""")
_ORDER_RE = re.compile(r"^\{\s*(?P<items>.*?)\s*:;\s*\}\s*>\s*(?P<out>\S+)$")


def parse_mod(step: Step) -> tuple[str, list[str]]:
    """cmd_mod (Makefile.build): `printf '%s\\n' A.o B.o | awk '!x[$0]++ { print("DIR/"$0) }' > M.mod`
    -> (M.mod, [DIR/A.o, DIR/B.o]): a module's parts, objtree-relative, deduplicated."""
    m = _MOD_RE.match(step.cmd)
    if not m or norm_rel(m.group("out")) != norm_rel(step.target):
        raise KbuildImportError(f"{step.target}: unrecognized .mod command {step.cmd[:160]!r}")
    parts = []
    for o in m.group("objs").split():
        p = norm_rel(m.group("dir") + o)
        if p not in parts:
            parts.append(p)
    if not parts:
        raise KbuildImportError(f"{step.target}: a module without objects")
    return norm_rel(step.target), parts


def parse_modules_order(step: Step) -> tuple[str, list[tuple[str, str]]]:
    """cmd_modules_order: `{ cat D/modules.order; echo D/m.ko; :; } > modules.order` ->
    (target, [("cat", path) | ("echo", ko), ...]) in order."""
    m = _ORDER_RE.match(step.cmd)
    if not m or norm_rel(m.group("out")) != norm_rel(step.target):
        raise KbuildImportError(f"{step.target}: unrecognized modules.order command {step.cmd[:160]!r}")
    items = []
    for item in m.group("items").split(";"):
        words = item.split()
        if not words:
            continue
        if len(words) != 2 or words[0] not in ("cat", "echo"):
            raise KbuildImportError(f"{step.target}: unrecognized modules.order item {item.strip()!r}")
        items.append((words[0], norm_rel(words[1])))
    return norm_rel(step.target), items


def modules_order(orders: Mapping[str, Sequence[tuple[str, str]]], top: str = "modules.order") -> list[str]:
    """The top modules.order's lines, by replaying the per-directory commands."""
    if top not in orders:
        raise KbuildImportError(f"{top}: the dry run does not write it")
    out = []
    for kind, path in orders[top]:
        if kind == "cat":
            out.extend(modules_order(orders, path))
        elif not path.endswith(".ko"):
            raise KbuildImportError(f"{top}: {path} is not a .ko")
        else:
            out.append(path)
    return out


# Tags of build-phase steps that are not generators of object inputs.
_NOT_GENERATORS = frozenset({"CC", "AS", "AR", "LDS", "CALL", "MOD", "MODORDER"})
MODULE_LDS = "scripts/module.lds"


def analyze(steps: Sequence[Step], tools: Mapping[str, str], lds_path: str | None) -> Analysis:
    """Sorts dry-run steps into compiles, the linker script, archives and generators."""
    cc, ar = tools["clang"], tools["ar"]
    compiles: dict[str, Compile] = {}
    archives: dict[str, Archive] = {}
    lds = None
    head_list = None
    build_steps, vo_steps, link_steps = [], [], []
    derived: dict[str, Derived] = {}
    module_objs, mods, mod_links, orders, module_lds = set(), {}, {}, {}, None
    symversions: dict[str, Step] = {}
    links, objcopies, other_lds, hosts = [], [], {}, {}
    for s in steps:
        if s.phase == "vmlinux_o":
            vo_steps.append(s)
            continue
        if s.phase == "modules":  # modules_prepare
            if s.tag == "LDS" and norm_rel(s.target) == MODULE_LDS:
                module_lds = parse_compile(s, cc, mode="-E")
            elif s.tag != "FILECHK":
                raise KbuildImportError(f"{s.tag} {s.target}: modules_prepare step not understood")
            continue
        if s.tag in ("CC", "AS", "CC [M]", "AS [M]") and s.target.endswith(".o"):
            if s.phase == "link" and s.target not in LINK_OBJECTS:
                raise KbuildImportError(f"{s.tag} {s.target}: unexpected object in the link phase")
            c = parse_compile(s, cc)
            if norm_rel(c.out) != c.out:  # nVHE's `nvhe/../vgic-v3-sr.nvhe.o`: one name per file
                c = dataclasses.replace(c, out=norm_rel(c.out))
            old = compiles.get(c.out)
            if old is not None and old != c:
                raise KbuildImportError(f"{c.out}: compiled twice with different commands")
            compiles[c.out] = c
            if s.tag.endswith(" [M]"):
                module_objs.add(c.out)
        elif s.tag == "GENKSYMS":
            o = norm_rel(s.target)
            if o in symversions and symversions[o].cmd != s.cmd:
                raise KbuildImportError(f"GENKSYMS {o}: two different gen_symversions commands")
            symversions[o] = s
        elif s.tag == "LD [M]" and s.target.endswith(".o"):
            mod_links[norm_rel(s.target)] = s
        elif s.tag == "MOD":
            out, parts = parse_mod(s)
            mods[out] = parts
        elif s.tag == "MODORDER":
            out, items = parse_modules_order(s)
            orders[out] = items
        elif s.tag == "AR":
            if s.target == "vmlinux.a":
                a, head_list = parse_vmlinux_a(s, ar)
            else:
                a = parse_archive(s, ar)
            archives[a.out] = a
        elif s.tag == "LDS" and s.target == lds_path:
            lds = parse_compile(s, cc, mode="-E")
        elif s.tag == "LDS" and s.phase == "build":
            c = parse_compile(s, cc, mode="-E")  # another linker script (a partial link's: hyp.lds)
            other_lds[c.out] = c
        elif s.tag.startswith("HOST"):
            hosts[norm_rel(s.target)] = s.obj  # built by make when a generator needs them
            continue
        elif s.tag == "LD" and s.phase == "build" and s.target.endswith(".o"):
            links.append(s)  # a partial link (partial.py), e.g. KVM nVHE's kvm_nvhe.tmp.o
        elif s.tag in ("OBJCOPY", "HYPCOPY") and s.target.endswith(".o"):
            d = parse_objcopy(s, tools["objcopy"])
            if s.tag == "OBJCOPY" and d.src in compiles:
                derived[d.out] = d
            else:  # of a partial link's output (checked by partial_steps)
                objcopies.append((s, d.src, d.out))
        elif s.tag == "STUBCPY" and s.target.endswith(".o"):
            d = parse_stubcopy(s, tools)
            derived[d.out] = d
        elif s.target.endswith(".o"):
            # An object made some other way (e.g. `ld -r` of several): not understood
            # yet; treating it as a generator would build it for real.
            raise KbuildImportError(f"{s.tag} {s.target}: objects made by {s.tag} are not supported")
        elif s.phase == "link":
            link_steps.append(s)
        elif s.tag not in _NOT_GENERATORS:
            build_steps.append(s)
    if "vmlinux.a" not in archives:
        raise KbuildImportError("the dry run built no vmlinux.a")
    partials = partial_steps(links, objcopies, build_steps, compiles, other_lds, hosts, tools)
    build_steps = [s for s in build_steps if s.index not in partials.replaced]
    for d in derived.values():
        if d.src not in compiles:
            raise KbuildImportError(f"{d.out}: made from {d.src}, which the dry run does not compile")
    for o in symversions:
        if o not in compiles:
            raise KbuildImportError(f"GENKSYMS {o}: follows no compile of {o} in the dry run")
    return Analysis(compiles, lds, archives, head_list, build_steps, vo_steps, link_steps, derived,
                    module_objs, mods, mod_links, orders, module_lds, symversions, partials, hosts)
