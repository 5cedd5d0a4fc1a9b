"""x86_64 bzImage (arch/x86/boot): the boot dry run's steps -> the plan's `boot` section.

The boot image is outside vmlinux_o's dry run. A third dry run in the imported object
tree, `$(MAKE) $(build)=arch/x86/boot arch/x86/boot/bzImage` with an empty stand-in
`vmlinux`, prints every step (docs/defconfig-steps.md section 8): the setup objects and
setup.elf/setup.bin, the compressed kernel's objects, voffset.h (nm of vmlinux),
vmlinux.bin, its compression, mkpiggy's piggy.S (`.incbin` of the compressed kernel),
the compressed vmlinux link, zoffset.h, boot/vmlinux.bin and tools/build -> bzImage.

Each step becomes one plan entry: Kbuild's own command, normalized ($(CC), $(srctree),
...), with the files it reads split by where they come from:

    {"tag": "CC", "out": "arch/x86/boot/compressed/misc.o", "cmd": "$(CC) ...",
     "srcs": [srctree-relative sources and headers], "objtree": [import-made files],
     "inputs": [outputs of earlier boot steps, or "vmlinux"], "host": [host programs],
     "after_vmlinux": bool[, "objects": [the kernel's compiled/derived objects it reads]]}

An archive of the vmlinux_o build that vmlinux does not link but a boot step does (x86_64
with CONFIG_EFI_STUB: drivers/firmware/efi/libstub/lib.a of the STUBCPY-derived .stub.o,
which `LD arch/x86/boot/compressed/vmlinux` links after its objects, `-u efi_pe_entry`) is
an `AR` entry first, with Kbuild's cmd_ar and its members as `objects`; a step reading a
thin archive lists its members as `objects` too (the linker opens them by path).

Compiles get their headers from the dependency scan (with empty stand-ins for the
headers boot steps generate); other steps name their inputs in the command (every word
that is an earlier step's output, vmlinux, a host program or a $(srctree) file). The
host programs (mkpiggy, tools/build, mkcpustr) are built by the import like the others.
The rules replay each command in a small object tree of exactly those inputs
(tools/boot_step). A step of another kind is a one-line error naming it.
"""

import posixpath
import re
from typing import Callable, Iterable, Mapping, Sequence

from tools.kbuild_import.common import KbuildImportError
from tools.kbuild_import.deps import traversed_dirs
from tools.kbuild_import.dryrun import Archive, Compile, Step, norm_rel, parse_compile, shell_split
from tools.kbuild_import.placeholders import Roots, normalize_cmd, placeholder_path, split_placeholder
from tools.kbuild_import.symversions import GENKSYMS_TAG

BOOT_DIR = "arch/x86/boot"
BOOT_IMAGE = "arch/x86/boot/bzImage"
VMLINUX = "vmlinux"
# Compression steps of arch/x86/boot/compressed/Makefile (CONFIG_KERNEL_*) and the other
# step kinds of the boot Makefiles that are one shell command writing one file.
COMPRESS_TAGS = frozenset({"GZIP", "BZIP2", "LZMA", "XZKERN", "LZO", "LZ4", "ZSTD22"})
# Kbuild's size_append (scripts/Makefile.lib) is a $(shell) make expands when it prints the
# recipe: under make -n, before the file to measure exists, it prints a size of 0. The plan
# names it $(SIZE_APPEND) (tools/boot_step computes the little-endian size of the entry's
# size_append files, as size_append does of $(real-prereqs)).
_SIZE_APPEND_RE = re.compile(r"(?<=; )printf (?:\\\\[0-7]{3}){4}(?=; \})")
SIZE_APPEND = "$(SIZE_APPEND)"
STEP_TAGS = frozenset({"LD", "OBJCOPY", "VOFFSET", "ZOFFSET", "CPUSTR", "MKPIGGY", "RELOCS", "BUILD"}) | COMPRESS_TAGS
COMPILE_TAGS = frozenset({"CC", "AS", "LDS"})


def boot_goal(arch: str) -> tuple[str, list[str]] | None:
    """(obj, [target]) of the boot image's sub-make, or None for arches without one here."""
    return (BOOT_DIR, [BOOT_IMAGE]) if arch == "x86_64" else None


def stand_ins(archives: Iterable[str] = ()) -> dict[str, str]:
    """Files the boot dry run needs present (objtree-relative path -> text): vmlinux, and
    the archives the vmlinux_o build makes that vmlinux does not link (x86_64 with
    CONFIG_EFI_STUB: drivers/firmware/efi/libstub/lib.a, a prerequisite of the compressed
    vmlinux with no rule in arch/x86/boot)."""
    return {VMLINUX: "", **{norm_rel(a): "" for a in archives}}


def unsupported(line: str) -> dict:
    """The boot section of a config whose boot image the plan cannot model: the error line
    (building the image fails with it; vmlinux and modules build as usual)."""
    return {"image": BOOT_IMAGE, "unsupported": line}


def host_programs(steps: Sequence[Step]) -> list[tuple[str, list[str]]]:
    """(obj, [targets]) groups of the HOSTCC steps (built by the import, not planned)."""
    groups: dict[str, list[str]] = {}
    for s in steps:
        if s.tag.startswith("HOST"):
            t = norm_rel(s.target)
            groups.setdefault(posixpath.dirname(t) if s.obj == "." else s.obj, []).append(t)
    return sorted(groups.items())


def _dir_of(p: str) -> str:
    return posixpath.dirname(p) or "."


def split_steps(steps: Sequence[Step], cc: str) -> tuple[list[Step], dict[str, Compile]]:
    """The steps the plan models, in order (no HOSTCC, no bookkeeping), and the compiles
    among them (out -> Compile). Unknown kinds are an error naming the step."""
    kept, compiles = [], {}
    for s in steps:
        if s.tag.startswith("HOST"):
            continue
        if s.tag in COMPILE_TAGS:
            c = parse_compile(s, cc, mode="-E" if s.tag == "LDS" else "-c")
            if c.post:
                raise KbuildImportError(f"{s.tag} {s.target}: runs {c.post[0][:60]!r} after the compile; "
                                        "boot objects with post-compile steps are not supported")
            compiles[c.out] = c
        elif s.tag == GENKSYMS_TAG:
            # CONFIG_MODVERSIONS' gen_symversions after a compile: it only appends #SYMVER
            # lines to D/.X.o.cmd (and only if X.o exports, which no boot object does); no
            # boot step reads them.
            if norm_rel(s.target) not in compiles:
                raise KbuildImportError(f"{s.tag} {s.target}: genksyms of an object the boot dry run does not compile")
            continue
        elif s.tag not in STEP_TAGS:
            raise KbuildImportError(f"{s.tag} {s.target}: boot image steps of this kind are not supported "
                                    f"(tools/kbuild_import/boot.py models {', '.join(sorted(STEP_TAGS | COMPILE_TAGS))})")
        if s.tag == "FILECHK":
            continue
        kept.append(s)
    outs = [norm_rel(s.target) for s in kept]
    if len(set(outs)) != len(outs):
        raise KbuildImportError(f"{BOOT_IMAGE}: the boot dry run writes a file twice")
    if BOOT_IMAGE not in outs:
        raise KbuildImportError(f"{BOOT_IMAGE}: the boot dry run does not build it")
    return kept, compiles


def scan_stand_ins(steps: Sequence[Step], compiles: Mapping[str, Compile]) -> list[str]:
    """Files boot steps write that compiles read, as empty stand-ins for the dependency scan:
    headers (voffset.h, zoffset.h, cpustr.h) and generated sources (piggy.S)."""
    made = {norm_rel(s.target) for s in steps}
    out = {p for p in made if p.endswith(".h")}
    out |= {norm_rel(c.src) for c in compiles.values() if not posixpath.isabs(c.src) and norm_rel(c.src) in made}
    return sorted(out)


def _words(cmd: str) -> Iterable[str]:
    for argv in shell_split(cmd):
        for w in argv:
            if w not in (">", "<", ">>", "{", "}"):
                yield w


def step_inputs(s: Step, made: Iterable[str], host: Iterable[str], roots: Roots,
                is_src_file: Callable[[str], bool],
                anchor: Callable[[str], str | None] | None = None) -> dict[str, list[str]]:
    """The files a non-compile step's command names: earlier outputs / vmlinux (inputs),
    host programs (host), source-tree files (srcs). Its own output is not an input.
    anchor (as deps.classify_deps'): a source file named through `dir/../` (arm64 vdso32's
    `$(srctree)/arch/arm64/kernel/vdso32/../vdso/gen_vdso_offsets.sh`) also gets a file of
    each directory it walks up from among srcs, so the directory exists in a sandbox."""
    made, host = set(made), set(host)
    out = norm_rel(s.target)
    ins, hs, srcs = [], [], []
    walked: list[str] = []
    for w in _words(s.cmd):
        if w.startswith("-"):
            continue
        if posixpath.isabs(w):
            try:
                root, rel = split_placeholder(placeholder_path(w, roots))
            except KbuildImportError:
                continue
            if root == "srctree" and is_src_file(rel) and rel not in srcs:
                srcs.append(rel)
                if anchor is not None:
                    walked += [d for d in traversed_dirs(w) if d not in walked]
            continue
        try:
            p = norm_rel(w)
        except KbuildImportError:
            continue
        if p == out:
            continue
        if p == VMLINUX or p in made:
            if p not in ins:
                ins.append(p)
        elif p in host and p not in hs:
            hs.append(p)
    for d in walked:
        root, rel = split_placeholder(placeholder_path(d, roots))
        if root != "srctree" or any(f.startswith(rel + "/") for f in srcs):
            continue
        a = anchor(rel)
        if a is None:
            raise KbuildImportError(f"{s.tag} {out}: the command walks up from {rel}/, a directory without files")
        srcs.append(a)
    return {"inputs": ins, "host": hs, "srcs": srcs}


def archive_entries(steps: Sequence[Step], archives: Mapping[str, tuple[str, Archive]], tools: Mapping[str, str],
                    roots: Roots) -> list[dict]:
    """AR entries for the archives of the vmlinux_o build that boot steps link (x86_64
    CONFIG_EFI_STUB: libstub's lib.a in the compressed vmlinux), in order of first use:
    Kbuild's own command (cmd_ar: `rm -f A; $(AR) cDPrsT A <members>`), its members
    (`objects`: compiled or derived objects of the kernel, at their objtree paths)."""
    out = []
    for s in steps:
        if s.tag in COMPILE_TAGS:
            continue
        for w in _words(s.cmd):
            try:
                p = norm_rel(w)
            except KbuildImportError:
                continue
            if p in archives and p not in (e["out"] for e in out):
                cmd, a = archives[p]
                if a.out != p:
                    raise KbuildImportError(f"AR {p}: the archive step writes {a.out}")
                out.append({"tag": "AR", "out": p, "cmd": normalize_cmd(cmd, tools, roots), "srcs": [], "objtree": [],
                            "inputs": [], "host": [], "objects": list(a.members), "thin": "T" in a.flags,
                            "after_vmlinux": False})
    return out


def boot_plan(steps: Sequence[Step], compiles: Mapping[str, Compile], *, deps: Mapping[str, object],
              incbins: Mapping[str, Sequence[str]], host: Sequence[str], tools: Mapping[str, str], roots: Roots,
              is_src_file: Callable[[str], bool], env: Mapping[str, str] = (),
              archives: Mapping[str, tuple[str, Archive]] = {},
              anchor: Callable[[str], str | None] | None = None) -> dict:
    """The plan's `boot` section. deps: out -> tools.kbuild_import.deps.Deps of each compile
    (boot-generated headers classified as build_inputs); incbins: out -> .incbin files;
    archives: name -> (Kbuild's AR command, Archive) of the vmlinux_o build's archives
    that vmlinux does not link (the boot steps may: archive_entries); anchor: step_inputs'.
    A step whose output is in compiles is a compile whatever its tag (arm64 vdso32's CC32)."""
    entries = archive_entries(steps, archives, tools, roots)
    made: list[str] = [e["out"] for e in entries]
    after: set[str] = {VMLINUX}
    for s in steps:
        out = norm_rel(s.target)
        cmd = normalize_cmd(s.cmd, tools, roots)
        if s.tag in COMPILE_TAGS or out in compiles:
            c = compiles[out]
            d = deps[out]
            ph = placeholder_path(c.src, roots)
            root, rel = split_placeholder(ph)
            srcs = ([rel] if root == "srctree" else []) + [h for h in d.hdrs if h != rel]
            boot_ins = [p for p in list(d.build_inputs) + list(incbins.get(out, ())) if p in made]
            objtree = sorted(set(d.gen_inputs) | {p for p in d.build_inputs if p not in made})
            if root == "objtree":
                if rel in made:
                    boot_ins.insert(0, rel)
                else:
                    objtree.insert(0, rel)
            missing = [p for p in incbins.get(out, ()) if p not in made]
            if missing:
                raise KbuildImportError(f"{s.tag} {out}: .incbin {missing[0]} is not made by a boot step")
            entry = {"srcs": srcs, "objtree": objtree, "inputs": sorted(set(boot_ins)), "host": []}
        else:
            entry = step_inputs(s, made, host, roots, is_src_file, anchor)
            entry["objtree"] = []
            if s.tag in COMPRESS_TAGS and _SIZE_APPEND_RE.search(cmd):
                cmd = _SIZE_APPEND_RE.sub(lambda _m: SIZE_APPEND, cmd)
                entry["size_append"] = list(entry["inputs"])
            if s.tag == "MKPIGGY" and not entry["inputs"]:
                raise KbuildImportError(f"MKPIGGY {out}: names no compressed kernel")
        entry.update({"tag": s.tag, "out": out, "cmd": cmd,
                      "after_vmlinux": any(p in after for p in entry["inputs"])})
        if entry["after_vmlinux"]:
            after.add(out)
        entries.append(entry)
        made.append(out)
    # A step that reads a thin archive (`T`: it names its members) reads the members too.
    thin = {e["out"]: e["objects"] for e in entries if e["tag"] == "AR" and e["thin"]}
    for e in entries:
        members = [m for p in e["inputs"] for m in thin.get(p, ())]
        if members and e["tag"] != "AR":
            e["objects"] = sorted(set(members))
    # An AS of a generated source (piggy.S) also reads what that source .incbin's: its
    # generator's input (mkpiggy writes `.incbin "<its argument>"`).
    by_out = {e["out"]: e for e in entries}
    for e in entries:
        if e["tag"] == "AS":
            for p in list(e["inputs"]):
                gen = by_out.get(p)
                if gen is not None and gen["tag"] == "MKPIGGY":
                    e["inputs"] = sorted(set(e["inputs"]) | set(gen["inputs"]))
    # Directories of the object tree the commands may name (`compressed/../voffset.h` needs
    # compressed/ to exist): every boot output's and every sub-make's directory.
    dirs = sorted({posixpath.dirname(e["out"]) for e in entries} | {norm_rel(s.obj) for s in steps if s.obj != "."})
    # What Kbuild exports that the boot steps' scripts read (scripts/xz_wrap.sh: $SRCARCH picks
    # the BCJ filter; without it the kernel compresses to other bytes).
    return {"image": BOOT_IMAGE, "steps": entries, "dirs": dirs, "env": dict(env)}
