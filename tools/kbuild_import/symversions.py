"""CONFIG_MODVERSIONS: the genksyms step Kbuild 6.1 runs after each object's compile.

scripts/Makefile.build (gen_symversions, cmd_gensymtypes_c / cmd_gensymtypes_S) appends,
after compiling X.o (rule_cc_o_c / rule_as_o_S, the same recipe):

    if $(NM) X.o 2>/dev/null | grep -q __ksymtab; then \
      $(CPP) -D__GENKSYMS__ $(c_flags) SRC.c | scripts/genksyms/genksyms -r /dev/null >> D/.X.o.cmd; fi

and for an .S object (CONFIG_ASM_MODVERSIONS) a dummy C file of its exports:

    if ...; then { echo "#include <linux/kernel.h>" ; echo "#include <asm/asm-prototypes.h>" ; \
      $(CPP) $(a_flags) SRC.S | grep "\\<___EXPORT_SYMBOL\\>" | sed 'S/.../EXPORT_SYMBOL(\\1);/' ; } | \
      $(CPP) -D__GENKSYMS__ $(c_flags) -xc - | scripts/genksyms/genksyms -r /dev/null >> D/.X.o.cmd; fi

genksyms prints one `#SYMVER <sym> 0x<crc>` line per export; modpost -m reads them from
the .cmd files of the objects in `.vmlinux.objs` / `M.mod` (extract_crcs_for_object).
`make -n` prints that step as its own line (no quiet label; the trap names X.o):
parse_dry_run tags it GENKSYMS. The plan keeps, per object, what the action needs to
run the same pipeline: the kind, and for .S objects the c_flags of the second $(CPP)
(for .c objects they are the compile's own flags, checked here).
"""

import dataclasses
import posixpath
import re
import shlex
from typing import Mapping

from tools.kbuild_import.common import KbuildImportError
from tools.kbuild_import.dryrun import Compile, Step, norm_rel, parse_compile, parse_dry_run

GENKSYMS = "scripts/genksyms/genksyms"
GENKSYMS_TAG = "GENKSYMS"

# The asm exports filter of cmd_gensymtypes_S, as make prints it.
ASM_EXPORTS_GREP = r'grep "\<___EXPORT_SYMBOL\>"'
ASM_EXPORTS_SED = r"s/.*___EXPORT_SYMBOL[[:space:]]*\([a-zA-Z0-9_]*\)[[:space:]]*,.*/EXPORT_SYMBOL(\1);/"
ASM_PROLOGUE = ('{ echo "#include <linux/kernel.h>" ; echo "#include <asm/asm-prototypes.h>" ; ')

_STEP_RE = re.compile(
    r"^if (?P<nm>\S+) (?P<obj>\S+) 2>/dev/null \| grep -q __ksymtab; then (?P<body>.*) \| "
    + re.escape(GENKSYMS) + r"(?P<opts>(?:\s+\S+)*?)\s+>> (?P<cmdfile>\S+); fi$")
_ASM_BODY_RE = re.compile(
    "^" + re.escape(ASM_PROLOGUE) + r"(?P<cpp1>.*?) \| " + re.escape(ASM_EXPORTS_GREP)
    + r" \| sed '(?P<sed>[^']*)' ; \} \| (?P<cpp2>.*)$")
_DEP_FLAG_RE = re.compile(r"^-Wp,-M{1,2}D,")


def is_symversions_cmd(cmd: str) -> bool:
    """Whether an unlabelled recipe line (after `set -e;` and traps) is gen_symversions."""
    return cmd.lstrip().startswith("if ") and f" {GENKSYMS} " in cmd


@dataclasses.dataclass(frozen=True)
class SymVersions:
    """One object's gen_symversions step.

    kind: "c" or "asm" (cmd_gensymtypes_c / _S).
    c_flags: the flags of the `$(CPP) -D__GENKSYMS__` that feeds genksyms (raw, without
      the -Wp,-MMD depfile flag; for "c" equal to the compile's flags).
    """

    obj: str
    kind: str
    c_flags: tuple[str, ...]


def _cpp_flags(words: list[str], cc: str, where: str, *, genksyms: bool) -> list[str]:
    head = [cc, "-E", "-D__GENKSYMS__"] if genksyms else [cc, "-E"]
    if words[:len(head)] != head:
        raise KbuildImportError(f"{where}: expected `{' '.join(head)} ...`, got {shlex.join(words[:3])!r}")
    return [w for w in words[len(head):] if not _DEP_FLAG_RE.match(w)]


def parse_symversions(step: Step, compile: Compile, tools: Mapping[str, str]) -> SymVersions:
    """A GENKSYMS step -> SymVersions, checked against the object's compile."""
    where = f"{GENKSYMS_TAG} {step.target}"
    m = _STEP_RE.match(step.cmd.strip())
    if not m:
        raise KbuildImportError(f"{where}: unrecognized gen_symversions command {step.cmd[:160]!r}")
    obj = norm_rel(m.group("obj"))
    if m.group("nm") != tools["nm"]:
        raise KbuildImportError(f"{where}: runs {m.group('nm')!r}, not the nm tool {tools['nm']!r}")
    if obj != norm_rel(step.target) or obj != norm_rel(compile.out):
        raise KbuildImportError(f"{where}: checks {obj}, not the object it follows ({compile.out})")
    opts = m.group("opts").split()
    if opts != ["-r", "/dev/null"]:
        raise KbuildImportError(f"{where}: genksyms {' '.join(opts)}: only `-r /dev/null` is supported "
                                "(unset KBUILD_SYMTYPES and KBUILD_PRESERVE, remove the .symref files)")
    want = posixpath.join(posixpath.dirname(obj), f".{posixpath.basename(obj)}.cmd")
    if norm_rel(m.group("cmdfile")) != want:
        raise KbuildImportError(f"{where}: appends to {m.group('cmdfile')}, expected {want}")
    body = m.group("body")
    cc = tools["clang"]
    if compile.lang == "c":
        words = shlex.split(body)
        if words[-1:] != [compile.src]:
            raise KbuildImportError(f"{where}: preprocesses {words[-1:]}, not the source {compile.src}")
        flags = _cpp_flags(words[:-1], cc, where, genksyms=True)
        if tuple(flags) != compile.flags:
            raise KbuildImportError(f"{where}: the genksyms preprocessor flags are not the compile's")
        return SymVersions(obj, "c", tuple(flags))
    a = _ASM_BODY_RE.match(body)
    if not a:
        raise KbuildImportError(f"{where}: unrecognized asm gen_symversions pipeline {body[:160]!r}")
    if a.group("sed") != ASM_EXPORTS_SED:
        raise KbuildImportError(f"{where}: unexpected sed script {a.group('sed')!r}")
    words = shlex.split(a.group("cpp1"))
    if words[-1:] != [compile.src] or tuple(_cpp_flags(words[:-1], cc, where, genksyms=False)) != compile.flags:
        raise KbuildImportError(f"{where}: the exports are not read from the source with the compile's flags")
    words = shlex.split(a.group("cpp2"))
    if words[-2:] != ["-xc", "-"]:
        raise KbuildImportError(f"{where}: the second preprocessor does not read C from stdin")
    return SymVersions(obj, "asm", tuple(_cpp_flags(words[:-2], cc, where, genksyms=True)))


def symversions_entry(sv: SymVersions, normalize) -> dict:
    """The plan object's "symversions" field: {"kind": "c"} or {"kind": "asm", "c_flags": [...]}
    (normalize: the plan's flag normalizer, placeholders in)."""
    if sv.kind == "c":
        return {"kind": "c"}
    return {"kind": "asm", "c_flags": normalize(list(sv.c_flags))}


def parse_symvers_lines(text: str, where: str) -> list[tuple[str, int]]:
    """genksyms' stdout -> [(symbol, crc)]: `#SYMVER <sym> 0x<8 hex>` lines only (the
    format modpost's extract_crcs_for_object reads); anything else is an error."""
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != "#SYMVER" or not re.fullmatch(r"0x[0-9a-f]{8}", parts[2]) \
                or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.$]*", parts[1]):
            raise KbuildImportError(f"{where}:{n}: not a `#SYMVER <symbol> 0x<crc>` line: {line[:80]!r}")
        out.append((parts[1], int(parts[2], 16)))
    return out


# cmd_gensymtypes_S preprocesses, for every .S object that exports, a C file made of these
# two lines and the object's EXPORT_SYMBOL(x); lines (which include nothing). The import
# scans one stand-in with the first such object's c_flags for the headers it reads (the
# plan's "symversions_asm"); they resolve through the kernel's include path, which every
# object's c_flags list first (its own -I directories come last).
SYMVERSIONS_ASM_HEADER = "#include <linux/kernel.h>\n#include <asm/asm-prototypes.h>\n"
SYMVERSIONS_ASM_PROBE = ".kbuild_import_probe.symversions.c"  # objtree-relative; removed after the scan
SYMVERSIONS_ASM_PROBE_OUT = ".kbuild_import_probe.symversions.o"


def symversions_asm_probe(analysis, tools: Mapping[str, str]) -> Compile | None:
    """The stand-in compile to scan for .S objects' genksyms input, or None if no .S
    object has a gen_symversions step."""
    asm = sorted(o for o in analysis.symversions if analysis.compiles[o].lang == "asm")
    if not asm:
        return None
    sv = parse_symversions(analysis.symversions[asm[0]], analysis.compiles[asm[0]], tools)
    return Compile(SYMVERSIONS_ASM_PROBE_OUT, SYMVERSIONS_ASM_PROBE, "c", sv.c_flags, ())


def symversions_asm_section(objects, deps) -> dict | None:
    """The plan's "symversions_asm" ({hdrs, gen_inputs, toolchain_hdrs} of the stand-in),
    if a plan object is an .S one with symversions; deps: out -> Deps."""
    if not any(o.get("symversions", {}).get("kind") == "asm" for o in objects):
        return None
    d = deps.get(SYMVERSIONS_ASM_PROBE_OUT)
    if d is None:
        raise KbuildImportError("an .S object exports with CONFIG_ASM_MODVERSIONS, but <asm/asm-prototypes.h> "
                                "was not scanned")
    if d.build_inputs:
        raise KbuildImportError(f"<asm/asm-prototypes.h>: reads {d.build_inputs[0]}, made by a build step")
    return {"hdrs": list(d.hdrs), "gen_inputs": list(d.gen_inputs), "toolchain_hdrs": list(d.toolchain_hdrs)}


# Makefile.vmlinux (CONFIG_MODULES): `$(CC) $(c_flags) -c -o .vmlinux.export.o
# .vmlinux.export.c`, the file modpost writes (with -m: one SYMBOL_CRC per vmlinux export),
# linked into vmlinux by link-vmlinux.sh. The import dry-runs it with a stand-in source
# (modpost's fixed first line) and scans the stand-in for the headers.
EXPORT_C = ".vmlinux.export.c"
EXPORT_O = ".vmlinux.export.o"
EXPORT_C_STAND_IN = "#include <linux/export-internal.h>\n"
_EXPORT_MODFILE = '-DKBUILD_MODFILE="/.vmlinux.export"'


def parse_export_o(text: str, cc: str) -> Compile:
    """The dry run of kbuild-import-export -> the .vmlinux.export.o compile (checked)."""
    found = [s for s in parse_dry_run(text) if s.target in (EXPORT_O, "./" + EXPORT_O)]
    if len(found) != 1 or found[0].tag != "CC":
        raise KbuildImportError(f"{EXPORT_O}: expected one `CC {EXPORT_O}` step in Makefile.vmlinux's dry run, "
                                f"got {[s.tag for s in found]}")
    c = parse_compile(found[0], cc)
    if norm_rel(c.src) != EXPORT_C or c.post:
        raise KbuildImportError(f"{EXPORT_O}: compiles {c.src}{' and runs ' + c.post[0] if c.post else ''}, "
                                f"expected only {EXPORT_C}")
    return Compile(EXPORT_O, EXPORT_C, c.lang, c.flags, ())


def export_o_entry(c: Compile, deps, normalize) -> dict:
    """The plan's link.export_o: {out, src (objtree-relative, written by modpost), flags,
    hdrs, gen_inputs, toolchain_hdrs}."""
    if deps.build_inputs:
        raise KbuildImportError(f"{EXPORT_C}: reads {deps.build_inputs[0]}, made by a build step")
    # Makefile.vmlinux has no $(obj): Kbuild's modfile flag reads as an absolute path but
    # names no file; kept as is (the normalizer refuses absolute paths).
    flags = list(c.flags)
    at = flags.index(_EXPORT_MODFILE) if _EXPORT_MODFILE in flags else None
    if at is not None:
        del flags[at]
    flags = normalize(flags)
    if at is not None:
        flags.insert(at, _EXPORT_MODFILE)
    return {"out": EXPORT_O, "src": EXPORT_C, "flags": flags, "hdrs": list(deps.hdrs),
            "gen_inputs": list(deps.gen_inputs), "toolchain_hdrs": list(deps.toolchain_hdrs)}
