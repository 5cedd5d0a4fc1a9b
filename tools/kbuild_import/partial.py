"""Composite objects made by a chain of steps from compiled objects (docs/defconfig-steps.md 3).

Linux 6.1's only one in x86_64/arm64 defconfig is arm64's KVM nVHE hypervisor,
arch/arm64/kvm/hyp/nvhe/kvm_nvhe.o (one vmlinux.a member):

    LDS     hyp.lds                       $(CC) -E ... hyp.lds.S          (a linker script)
    LD      kvm_nvhe.tmp.o                $(LD) ... -r -T hyp.lds PARTS -o kvm_nvhe.tmp.o
    HYPREL  hyp-reloc.S                   gen-hyprel kvm_nvhe.tmp.o > hyp-reloc.S  (host program)
    AS      hyp-reloc.o                   a compile of that generated source
    LD      kvm_nvhe.rel.o                $(LD) ... -r kvm_nvhe.tmp.o hyp-reloc.o -o kvm_nvhe.rel.o
    HYPCOPY kvm_nvhe.o                    $(OBJCOPY) --prefix-symbols=__kvm_nvhe_ kvm_nvhe.rel.o kvm_nvhe.o

Under LTO the C parts are bitcode and the `ld -r` of kvm_nvhe.tmp.o is an in-process LTO
of exactly them (kept apart from vmlinux's LTO); kvm_nvhe.o is native. The step kinds:

    ld       `$(LD) FLAGS -r [-T LDS] INPUTS -o OUT`: INPUTS compiled objects (the parts) or
             earlier outputs, LDS a linker script the dry run preprocesses (`LDS` step)
    run      `HOSTPROG ARGS > OUT`: a host program of the dry run (built by the import, as
             the other host programs) over an earlier output
    compile  a plan object whose source an earlier step writes (src_root objtree)
    objcopy  `$(OBJCOPY) FLAGS IN OUT` of an earlier output

Plan (`partial_links`): final output -> {steps: [{tag, out, kind, cmd (normalized; not for
compile), inputs: [objtree-relative files it reads: parts, lds outs, earlier outputs],
host: [host programs]}], parts: [plan objects the chain reads], lds: [linker script
entries shaped like link.lds]}. Each part is a plan object with `archive` null and
`partial` = the final output (so no LTO mode links it into vmlinux itself). The rules
replay each non-compile step's command with exactly its inputs (tools/boot_step).
"""

import dataclasses
import posixpath
from typing import Mapping, Sequence

from tools.kbuild_import.common import KbuildImportError
from tools.kbuild_import.dryrun import Compile, Step, norm_rel, shell_split


@dataclasses.dataclass(frozen=True)
class PartialStep:
    """One step of a composite object's chain (see the module docstring)."""

    tag: str
    out: str
    kind: str  # ld | run | compile | objcopy
    inputs: tuple[str, ...]  # objtree-relative files it reads (compile: its source)
    host: tuple[str, ...] = ()  # host programs it runs (kind run)
    step: Step | None = None  # the dry-run step (None for compile)


def parse_partial_ld(step: Step, ld: str) -> tuple[list[str], str | None]:
    """`$(LD) FLAGS -r [-T LDS] INPUTS -o OUT` (cmd_ld, one command) -> (INPUTS, LDS).
    Anything else (not the import's ld, no -r, another output, more commands) is an error."""
    where = f"{step.tag} {step.target}"
    cmds = shell_split(step.cmd)
    argv = cmds[0] if cmds else []
    if len(cmds) != 1 or not argv or argv[0] != ld:
        raise KbuildImportError(f"{where}: objects made by {step.tag} are not supported: not one `ld -r` "
                                f"command of the import's --ld; got {step.cmd[:120]!r}")
    inputs, lds, out, relocatable = [], None, None, False
    takes_arg = {"-o", "-T", "-mllvm", "-z", "-m"}
    i = 1
    while i < len(argv):
        a = argv[i]
        if a in takes_arg:
            if i + 1 >= len(argv):
                raise KbuildImportError(f"{where}: {a} without an argument")
            if a == "-o":
                if out is not None:
                    raise KbuildImportError(f"{where}: two -o")
                out = argv[i + 1]
            elif a == "-T":
                if lds is not None:
                    raise KbuildImportError(f"{where}: two linker scripts")
                lds = norm_rel(argv[i + 1])
            i += 2
            continue
        if a == "-r":
            relocatable = True
        elif not a.startswith("-"):
            inputs.append(norm_rel(a))
        i += 1
    if not relocatable:
        raise KbuildImportError(f"{where}: objects made by {step.tag} are not supported: a link without -r "
                                f"(only partial links, `ld -r`, are modelled)")
    if out is None or norm_rel(out) != norm_rel(step.target):
        raise KbuildImportError(f"{where}: the link writes {out}, not the step's target")
    if not inputs:
        raise KbuildImportError(f"{where}: a partial link without inputs")
    return inputs, lds


def parse_host_run(step: Step) -> tuple[str, list[str]] | None:
    """`PROG ARGS > OUT` (one simple command, stdout to the step's target) -> (PROG, ARGS),
    or None for another shape."""
    cmds = shell_split(step.cmd)
    if len(cmds) != 1:
        return None
    argv = cmds[0]
    if len(argv) < 3 or argv[-2] != ">" or norm_rel(argv[-1]) != norm_rel(step.target):
        return None
    if any(w in (">", "<", ">>") for w in argv[:-2]):
        return None
    try:
        return norm_rel(argv[0]), [norm_rel(a) for a in argv[1:-2] if not a.startswith("-")]
    except KbuildImportError:
        return None


@dataclasses.dataclass
class Partials:
    """What partial_steps found: the chains' steps in dry-run order, the linker scripts
    they use, the generator steps they replace (build_steps to drop)."""

    steps: list[PartialStep]
    lds: dict[str, Compile]  # out -> the LDS compile a partial link reads
    replaced: set[int]  # Step.index of generator steps that are now partial steps


def partial_steps(links: Sequence[Step], objcopies: Sequence[tuple[Step, str, str]],
                  generators: Sequence[Step], compiles: Mapping[str, Compile], other_lds: Mapping[str, Compile],
                  hosts: Mapping[str, str], tools: Mapping[str, str]) -> Partials:
    """The chains of composite objects, from the dry run's candidates:

    links       `LD X.o` steps of the build phase (not modules' `LD [M]`)
    objcopies   (step, src, out) of objcopy-shaped steps whose source is not a compiled object
    generators  the build steps the import would otherwise run for real (e.g. HYPREL)
    compiles    every compile (out -> Compile); other_lds: `LDS` steps besides vmlinux.lds
    hosts       host programs the dry run builds (objtree path -> obj)

    Errors name the step: a link of files no compile or earlier step makes, an objcopy of an
    unknown file, a host program over a partial output that is not `PROG ARGS > OUT`."""
    made: set[str] = set()
    found: list[tuple[int, PartialStep]] = []
    lds: dict[str, Compile] = {}
    # Links come in dry-run order; an input is a compiled object or an earlier step's output.
    events = sorted([(s.index, "ld", s) for s in links] + [(s.index, "objcopy", (s, src, out)) for s, src, out in objcopies]
                    + [(s.index, "gen", s) for s in generators], key=lambda e: e[0])
    replaced: set[int] = set()
    srcs_made: dict[str, str] = {}  # generated source -> the step that writes it
    for index, kind, item in events:
        if kind == "ld":
            s = item
            inputs, script = parse_partial_ld(s, tools["ld"])
            for p in inputs:
                if p not in compiles and p not in made:
                    raise KbuildImportError(f"LD {s.target}: links {p}, which the dry run neither compiles nor makes "
                                            "in an earlier step")
            ins = list(inputs)
            if script is not None:
                if script not in other_lds:
                    raise KbuildImportError(f"LD {s.target}: linker script {script} is not preprocessed by an LDS step "
                                            "of the dry run")
                lds[script] = other_lds[script]
                ins.insert(0, script)
            out = norm_rel(s.target)
            found.append((index, PartialStep(s.tag, out, "ld", tuple(ins), step=s)))
            made.add(out)
        elif kind == "objcopy":
            s, src, out = item
            if src not in made:
                raise KbuildImportError(f"{s.tag} {s.target}: made from {src}, which the dry run neither compiles "
                                        "nor makes in an earlier step")
            found.append((index, PartialStep(s.tag, out, "objcopy", (src,), step=s)))
            made.add(out)
        else:
            s = item
            run = parse_host_run(s)
            if run is None:
                continue
            prog, args = run
            if prog not in hosts or not any(a in made for a in args):
                continue  # an ordinary generator (the import runs it)
            missing = [a for a in args if a not in made]
            if missing:
                raise KbuildImportError(f"{s.tag} {s.target}: reads {missing[0]}, which no earlier partial-link "
                                        "step makes")
            out = norm_rel(s.target)
            found.append((index, PartialStep(s.tag, out, "run", tuple(args), host=(prog,), step=s)))
            made.add(out)
            replaced.add(index)
            srcs_made[out] = s.tag
    # Compiles of generated sources (hyp-reloc.o from hyp-reloc.S): after their generator.
    gen_index = {p.out: i for i, p in found}
    for c in compiles.values():
        if posixpath.isabs(c.src):
            continue
        src = norm_rel(c.src)
        if src in srcs_made:
            found.append((gen_index[src] + 0.5, PartialStep("CC" if c.lang == "c" else "AS", c.out, "compile",
                                                            (src,))))
    found.sort(key=lambda e: e[0])
    steps = [p for _, p in found]
    return Partials(steps, lds, replaced)


def chains(steps: Sequence[PartialStep], compiles: Mapping[str, Compile]) -> dict[str, list[PartialStep]]:
    """Final output -> its steps in order: a final output is one no other step reads; a
    step belongs to every chain that reads it (directly or not)."""
    by_out = {p.out: p for p in steps}
    read = {i for p in steps for i in p.inputs}
    out: dict[str, list[PartialStep]] = {}
    for final in [p.out for p in steps if p.out not in read]:
        need, todo = set(), [final]
        while todo:
            o = todo.pop()
            if o in need:
                continue
            need.add(o)
            todo.extend(i for i in by_out[o].inputs if i in by_out)
        out[final] = [p for p in steps if p.out in need]
    return out


def parts_of(chain: Sequence[PartialStep], compiles: Mapping[str, Compile]) -> list[str]:
    """The compiled objects a chain reads (its parts), in first-use order, plus the objects
    its compile steps make (hyp-reloc.o)."""
    parts: list[str] = []
    outs = {p.out for p in chain}
    for p in chain:
        if p.kind == "compile":
            if p.out not in parts:
                parts.append(p.out)
            continue
        for i in p.inputs:
            if i in compiles and i not in outs and i not in parts:
                parts.append(i)
    return parts


def generated_sources(steps: Sequence[PartialStep]) -> set[str]:
    """Sources that partial steps write (compiled by a compile step): absent at import time."""
    return {p.inputs[0] for p in steps if p.kind == "compile"}


def host_targets(steps: Sequence[PartialStep], hosts: Mapping[str, str]) -> list[tuple[str, list[str]]]:
    """(obj, [host programs]) the import must build for the chains (`$(MAKE) $(build)=obj`),
    as for the other host programs: path-free HOSTCC, listed in generated.build."""
    groups: dict[str, list[str]] = {}
    for p in steps:
        for h in p.host:
            obj = hosts[h]
            if obj == ".":
                obj = posixpath.dirname(h)
            if h not in groups.setdefault(obj, []):
                groups[obj].append(h)
    return sorted(groups.items())
