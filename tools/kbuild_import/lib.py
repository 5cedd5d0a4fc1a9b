"""Kbuild import: a Linux 6.1 tree, an ARCH and a .config -> a JSON plan of fine-grained actions.

The import runs Kbuild itself, never a re-implementation of it (see run.py for the
commands): configure and `make prepare` in an object tree (`make O=`, the source
tree is only read), then a dry run `make -n vmlinux_o` whose printed commands this
module parses, then a real run of the few build-time generators (lib/crc32table.h,
usr/initramfs_inc_data, ...) that objects read, then one dependency scan per object
(`clang-scan-deps`, or `clang -M` per object). Everything here is pure: text and
lists in, data out; no subprocess, no file system access.

Plan (JSON, `sort_keys`, no timestamps, no absolute paths), schema 1:

    schema            int: 1.
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
      archive         str|null: vmlinux.a, a KBUILD_VMLINUX_LIBS archive (directly, or
                      through the derived object made from it), or null for a link-time
                      object (init/version-timestamp.o).
      post            list[str]: shell commands Kbuild runs after the compile in the
                      same recipe (e.g. objtool); normalized, empty on arm64.
    archives          dict: archive -> {members: [objtree-relative, archive order],
                      flags: llvm-ar flags, thin: bool}. vmlinux.a is flattened (its
                      members are objects, as `llvm-ar t` prints them) and has
                      head_objects (moved first, scripts/head-object-list.txt).
    derived           dict: out -> {src, tool, flags}: archive members made from a
                      compiled object by `tool flags src out` (tool: $(OBJCOPY)), e.g.
                      arm64 KASLR's arch/arm64/kernel/pi/kaslr_early.pi.o.
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
    build_steps       list[dict]: the generators that run between prepare and the
                      link, in Kbuild's order: {tag, target, obj, cmd} (cmd normalized),
                      e.g. GEN lib/crc32table.h. The import ran them (`$(MAKE)
                      $(build)=obj target`); their outputs are in generated.build.
    generated         dict: files Kbuild wrote in the object tree, {path: {sha256,
                      kind: header|host_program|data}}, in two groups: prepare (make
                      prepare and configuration) and build (the build_steps).

Objects Kbuild compiles more than once with different commands, commands this parser
does not recognize, and absolute paths outside the two trees are errors, not guesses.
"""

import dataclasses
import functools
import hashlib
import json
import posixpath
import re
import shlex
from typing import Iterable, Mapping, Sequence

SCHEMA = 1
SRCTREE = "$(srctree)"
OBJTREE = "$(objtree)"
RESOURCE_DIR = "$(CC_RESOURCE_DIR)"

# (kbuild_import flag, make variable) of each tool; `$(VAR)` is its placeholder in
# normalized commands. When two share a path (CC and HOSTCC) the first wins.
TOOL_VARS = (
    ("clang", "CC"),
    ("ld", "LD"),
    ("ar", "AR"),
    ("nm", "NM"),
    ("objcopy", "OBJCOPY"),
    ("objdump", "OBJDUMP"),
    ("readelf", "READELF"),
    ("strip", "STRIP"),
    ("hostcc", "HOSTCC"),
    ("clangxx", "HOSTCXX"),
    # tools/ (objtool on x86_64) links and archives host code with these.
    ("hostld", "HOSTLD"),
    ("hostar", "HOSTAR"),
)

# Make variables the import reads (printed by the helper makefile, see helper_makefile).
MAKE_VARS = (
    "KBUILD_LDFLAGS",
    "LDFLAGS_vmlinux",
    "KBUILD_VMLINUX_OBJS",
    "KBUILD_VMLINUX_LIBS",
    "KBUILD_LDS",
    "KERNELVERSION",
    "KERNELRELEASE",
    "SRCARCH",
    "CC_FLAGS_LTO",
)

VAR_MARK = "KBUILD_IMPORT_VAR"
PHASE_MARK = "KBUILD_IMPORT_PHASE"
HELPER_VARS = "kbuild-import-vars"
HELPER_LINK = "kbuild-import-link"
HELPER_GEN = "kbuild-import-gen"
# Goals of the dry run, in order: objects and archives, the vmlinux.o stage, then what
# scripts/link-vmlinux.sh builds (it runs `make -f Makefile.build obj=init
# init/version-timestamp.o` itself).
DRY_RUN_GOALS = ("vmlinux_o", HELPER_LINK)
LINK_OBJECTS = ("init/version-timestamp.o",)


class KbuildImportError(Exception):
    """Bad input or a Kbuild output this importer does not understand; one line."""


# ---------------------------------------------------------------------------
# Helper makefile (read after the kernel's Makefile: `make -f Makefile -f helper`).


def helper_makefile(gen_targets: Sequence[tuple[str, Sequence[str]]] = ()) -> str:
    """The helper makefile's text.

    Targets: kbuild-import-vars prints MAKE_VARS (one `KBUILD_IMPORT_VAR NAME=value`
    line each); kbuild-import-link prints a phase mark and builds LINK_OBJECTS the way
    link-vmlinux.sh does; kbuild-import-gen runs `$(MAKE) $(build)=OBJ TARGET...` for
    each (obj, targets) of gen_targets.
    """
    lines = ["# Written by tools/kbuild_import; read after the kernel's Makefile.", ""]
    lines.append(f"{HELPER_VARS}:")
    for name in MAKE_VARS:
        lines.append(f"\t$(info {VAR_MARK} {name}=$({name}))")
    lines.append("\t@:")
    lines.append(f"{HELPER_LINK}:")
    lines.append(f"\t$(info {PHASE_MARK} link)")
    for obj in LINK_OBJECTS:
        lines.append(f"\t$(Q)$(MAKE) $(build)={posixpath.dirname(obj)} {obj}")
    lines.append(f"{HELPER_GEN}:")
    for obj, targets in gen_targets:
        lines.append(f"\t$(Q)$(MAKE) $(build)={obj} {' '.join(targets)}")
    lines.append("\t@:")
    lines.append(f".PHONY: {HELPER_VARS} {HELPER_LINK} {HELPER_GEN}")
    return "\n".join(lines) + "\n"


def parse_vars(text: str) -> dict[str, str]:
    """`KBUILD_IMPORT_VAR NAME=value` lines of make's output -> {NAME: value}."""
    out = {}
    for line in text.splitlines():
        if line.startswith(VAR_MARK + " "):
            name, _, value = line[len(VAR_MARK) + 1:].partition("=")
            out[name] = value.strip()
    missing = [v for v in MAKE_VARS if v not in out]
    if missing:
        raise KbuildImportError(f"make printed no value for {', '.join(missing)}")
    return out


# ---------------------------------------------------------------------------
# .config


def parse_config(text: str) -> dict[str, str]:
    """A .config -> {CONFIG_FOO: value}; `# CONFIG_FOO is not set` -> "n"."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"^(CONFIG_\w+)=(.*)$", line)
        if m:
            out[m.group(1)] = m.group(2)
            continue
        m = re.match(r"^# (CONFIG_\w+) is not set$", line)
        if m:
            out[m.group(1)] = "n"
    return out


def lto_mode(config: Mapping[str, str]) -> str:
    if config.get("CONFIG_LTO_CLANG_THIN") == "y":
        return "thin"
    if config.get("CONFIG_LTO_CLANG_FULL") == "y":
        return "full"
    return "none"


LTO_FRAGMENT = {
    "none": "CONFIG_LTO_NONE=y\n",
    "thin": "CONFIG_LTO_CLANG_THIN=y\n",
    "full": "CONFIG_LTO_CLANG_FULL=y\n",
}


# The LTO choice's symbols: --lto overrides what fragments say about them.
LTO_CHOICE = frozenset({"CONFIG_LTO_NONE", "CONFIG_LTO_CLANG_THIN", "CONFIG_LTO_CLANG_FULL"})


def unmet_fragment(fragment_name: str, fragment_text: str, config: Mapping[str, str],
                   ignore: Iterable[str] = ()) -> list[str]:
    """Assignments of a fragment the final .config does not have, as messages."""
    ignore = set(ignore)
    problems = []
    for lineno, line in enumerate(fragment_text.splitlines(), 1):
        want = parse_config(line)
        for sym, value in want.items():
            if sym in ignore:
                continue
            got = config.get(sym, "n")
            if got != value:
                problems.append(f"{fragment_name}:{lineno}: {sym}={value} requested, .config has {sym}={got}")
    return problems


def _unquote(s: str) -> str:
    return s[1:-1] if len(s) >= 2 and s[0] == s[-1] == '"' else s


def toolchain_info(config: Mapping[str, str]) -> dict[str, str]:
    return {
        "cc_version_text": _unquote(config.get("CONFIG_CC_VERSION_TEXT", "")),
        "clang_version": config.get("CONFIG_CLANG_VERSION", "0"),
        "lld_version": config.get("CONFIG_LLD_VERSION", "0"),
    }


def kallsyms_args(config: Mapping[str, str]) -> list[str] | None:
    """scripts/kallsyms arguments as Linux 6.1 scripts/link-vmlinux.sh computes them."""
    if config.get("CONFIG_KALLSYMS") != "y":
        return None
    args = []
    if config.get("CONFIG_KALLSYMS_ALL") == "y":
        args.append("--all-symbols")
    if config.get("CONFIG_KALLSYMS_ABSOLUTE_PERCPU") == "y":
        args.append("--absolute-percpu")
    if config.get("CONFIG_KALLSYMS_BASE_RELATIVE") == "y":
        args.append("--base-relative")
    if config.get("CONFIG_LTO_CLANG") == "y":
        args.append("--lto-clang")
    return args


# ---------------------------------------------------------------------------
# `make -n` output.


@dataclasses.dataclass(frozen=True)
class Step:
    """One recipe line Kbuild prints under `make -n`.

    Attributes:
      index: int: position among the steps.
      phase: str: build (objects, archives, generators), vmlinux_o (the
        Makefile.vmlinux_o stage) or link (what link-vmlinux.sh builds).
      tag: str: Kbuild's quiet label (CC, AS, AR, LDS, GEN, ...); FILECHK for
        `filechk` recipes (which print no label).
      target: str: the file the step writes, as Kbuild names it.
      obj: str: obj= of the sub-make the step ran in, as _obj_of guesses it (make
        prints no line when a sub-make returns).
      cmd: str: the shell command, without traps and without the .cmd-file and
        fixdep bookkeeping that follows it.
    """

    index: int
    phase: str
    tag: str
    target: str
    obj: str
    cmd: str


_TRAP_RE = re.compile(r"\s*trap '[^']*' [A-Z]+;")
_LABEL_RE = re.compile(r"^set -e;\s*echo '  ([A-Z0-9_]+(?: \[M\])?)\s+([^']*?)';\s*(.*)$")
_FILECHK_RE = re.compile(r'^set -e; mkdir -p \S*; trap "rm -f (\S*?)\.([^/\s]+)\.tmp" EXIT; (.*)$')
_SUBMAKE_RE = re.compile(r"^(?:\S*/)?g?make -f (\S+)(?: obj=(\S+))?")
_TAIL_RE = re.compile(r";\s*(?:printf '%s\\n' 'cmd_|scripts/basic/fixdep )")


def _logical_lines(text: str) -> list[str]:
    """Lines, with backslash-newline continuations joined (make -n prints them)."""
    return text.replace("\\\n", " ").splitlines()


def _obj_of(target: str, objs: Sequence[str]) -> str:
    """The sub-make a step most likely ran in: the latest whose obj= directory holds
    the target (make prints no line when a sub-make returns), else the latest."""
    t = posixpath.normpath(target)
    for o in reversed(objs):
        if o != "." and t.startswith(posixpath.normpath(o) + "/"):
            return o
    return objs[-1]


def parse_dry_run(text: str) -> list[Step]:
    """The labelled and filechk recipe lines of `make -n` output, in order.

    Lines that are neither (sub-make invocations, `:`, check-local-export, the
    source-tree check, make's own messages) only move the obj/phase context.
    """
    steps = []
    objs = ["."]  # obj= of every sub-make, in order
    phase = "build"
    for line in _logical_lines(text):
        m = _SUBMAKE_RE.match(line)
        if m:
            objs.append(m.group(2) or ".")
            if m.group(1).endswith("/scripts/Makefile.vmlinux_o"):
                phase = "vmlinux_o"
            continue
        if line.startswith(PHASE_MARK + " "):
            phase = line.split()[1]
            continue
        if not line.startswith("set -e;"):
            continue
        line = _TRAP_RE.sub("", line)
        m = _LABEL_RE.match(line)
        if m:
            tag, target, cmd = m.group(1), m.group(2).strip(), m.group(3)
        else:
            m = _FILECHK_RE.match(line)
            if not m:
                continue
            tag, target, cmd = "FILECHK", m.group(1) + m.group(2), m.group(3)
        cmd = _TAIL_RE.split(cmd, maxsplit=1)[0].strip().rstrip(";").strip()
        steps.append(Step(len(steps), phase, tag, target, _obj_of(target, objs), cmd))
    return steps


def shell_split(cmd: str) -> list[list[str]]:
    """A shell command line -> its simple commands (argv lists), split at ; | && ||.

    Redirections stay in the argv as separate tokens ('>', file). No expansion.
    """
    lex = shlex.shlex(cmd, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    lex.commenters = ""
    try:
        tokens = list(lex)
    except ValueError as e:
        raise KbuildImportError(f"cannot parse shell command {cmd[:80]!r}...: {e}") from None
    out, cur = [], []
    for t in tokens:
        if t in (";", "|", "&&", "||", "&"):
            if cur:
                out.append(cur)
            cur = []
        else:
            cur.append(t)
    if cur:
        out.append(cur)
    return out


def _pipelines(cmd: str) -> list[list[list[str]]]:
    """Like shell_split, but keeps `|`-connected commands together."""
    lex = shlex.shlex(cmd, posix=True, punctuation_chars=True)
    lex.whitespace_split = True
    lex.commenters = ""
    out, pipe, cur = [], [], []
    for t in list(lex):
        if t == "|":
            pipe.append(cur)
            cur = []
        elif t in (";", "&&", "||", "&"):
            if cur:
                pipe.append(cur)
            if pipe:
                out.append(pipe)
            pipe, cur = [], []
        else:
            cur.append(t)
    if cur:
        pipe.append(cur)
    if pipe:
        out.append(pipe)
    return out


@dataclasses.dataclass(frozen=True)
class Compile:
    """A `$(CC) ... -c -o out src` (or `-E ... -o out src`) command.

    flags are raw (absolute paths as Kbuild printed them; see normalize_flags).
    """

    out: str
    src: str
    lang: str
    flags: tuple[str, ...]
    post: tuple[str, ...]


_DEP_FLAG_RE = re.compile(r"^-Wp,-M{1,2}D,")


def parse_compile(step: Step, cc: str, *, mode: str = "-c") -> Compile:
    """Step whose first command is `cc FLAGS mode -o OUT SRC` -> Compile.

    mode is "-c" (objects) or "-E" (preprocessed files such as vmlinux.lds).
    """
    cmds = shell_split(step.cmd)
    argv = cmds[0]
    where = f"{step.tag} {step.target}"
    if argv[0] != cc:
        raise KbuildImportError(f"{where}: command runs {argv[0]!r}, not the compiler {cc!r}")
    if mode not in argv:
        raise KbuildImportError(f"{where}: no {mode} in the compiler command")
    args = argv[1:]
    if len(args) < 3 or args[-1].startswith("-"):
        raise KbuildImportError(f"{where}: the command does not end with a source file")
    src = args[-1]
    args = args[:-1]
    flags, out = [], None
    i = 0
    while i < len(args):
        a = args[i]
        if a == "-o":
            if out is not None or i + 1 >= len(args):
                raise KbuildImportError(f"{where}: more or less than one -o")
            out = args[i + 1]
            i += 2
            continue
        if a == mode and mode == "-c":
            i += 1
            continue
        if a == mode and mode == "-E":
            i += 1
            continue
        if not _DEP_FLAG_RE.match(a):
            flags.append(a)
        i += 1
    if out != step.target:
        raise KbuildImportError(f"{where}: -o {out} is not the step's target")
    if src.endswith(".c"):
        lang = "c"
    elif src.endswith(".S"):
        lang = "asm"
    else:
        raise KbuildImportError(f"{where}: source {src} is neither .c nor .S")
    post = tuple(shlex.join(c) for c in cmds[1:] if c and c != ["true"])
    return Compile(out, src, lang, tuple(flags), post)


def lto_kind(lang: str, flags: Sequence[str]) -> str:
    """bitcode if the last of -flto/-flto=*/-fno-lto is an -flto form, else native."""
    if lang != "c":
        return "native"
    state = False
    for f in flags:
        if f == "-fno-lto" or f == "-flto=none":
            state = False
        elif f == "-flto" or f.startswith("-flto="):
            state = True
    return "bitcode" if state else "native"


@dataclasses.dataclass(frozen=True)
class Archive:
    """An `llvm-ar` step: out, flags (cDPrST, ...) and members in order (normalized)."""

    out: str
    flags: str
    members: tuple[str, ...]


def _norm_rel(p: str) -> str:
    q = posixpath.normpath(p)
    if q.startswith("../") or q == ".." or posixpath.isabs(q):
        raise KbuildImportError(f"{p}: not a path inside the object tree")
    return q


def parse_archive(step: Step, ar: str) -> Archive:
    """`rm -f A; [printf "D/%s " M... | xargs] AR FLAGS A [M...]` -> Archive."""
    for pipe in _pipelines(step.cmd):
        last = pipe[-1]
        if last and last[0] == "xargs":
            last = last[1:]
        if not last or last[0] != ar:
            continue
        if len(last) < 3:
            raise KbuildImportError(f"AR {step.target}: llvm-ar without an archive")
        flags, out, members = last[1], last[2], list(last[3:])
        if len(pipe) == 2 and pipe[0] and pipe[0][0] == "printf" and pipe[-1][0] == "xargs":
            fmt = pipe[0][1]
            if fmt.count("%s") != 1:
                raise KbuildImportError(f"AR {step.target}: unexpected printf format {fmt!r}")
            for m in pipe[0][2:]:
                members.extend(fmt.replace("%s", m).split())
        elif len(pipe) != 1:
            raise KbuildImportError(f"AR {step.target}: unexpected pipeline {shlex.join(pipe[0])} | ...")
        if _norm_rel(out) != _norm_rel(step.target):
            raise KbuildImportError(f"AR {step.target}: llvm-ar writes {out}")
        seen, ordered = set(), []
        for m in members:  # `llvm-ar r` replaces a member of the same name in place.
            m = _norm_rel(m)
            if m not in seen:
                seen.add(m)
                ordered.append(m)
        return Archive(_norm_rel(out), flags, tuple(ordered))
    raise KbuildImportError(f"AR {step.target}: no {ar} command in {step.cmd[:120]!r}")


_VMLINUX_A_RE = re.compile(
    r"^rm -f vmlinux\.a; (?P<ar>\S+) (?P<flags>\w+) vmlinux\.a (?P<objs>[^;]+); "
    r"(?P=ar) mPiT \$\((?P=ar) t vmlinux\.a \| sed -n 1p\) vmlinux\.a "
    r"\$\((?P=ar) t vmlinux\.a \| grep -F -f (?P<heads>\S+)\)$"
)


def parse_vmlinux_a(step: Step, ar: str) -> tuple[Archive, str]:
    """The vmlinux.a step (Linux 6.1 top Makefile, cmd_ar_vmlinux.a).

    Returns the archive before head objects move (members: the built-in.a files) and
    the head-object-list path as printed.
    """
    m = _VMLINUX_A_RE.match(step.cmd)
    if not m or m.group("ar") != ar:
        raise KbuildImportError(f"AR vmlinux.a: unrecognized command {step.cmd[:160]!r}")
    members = tuple(_norm_rel(p) for p in m.group("objs").split())
    return Archive("vmlinux.a", m.group("flags"), members), m.group("heads")


def flatten(archives: Mapping[str, Archive], name: str) -> list[str]:
    """Members of a thin archive with nested thin archives expanded (what llvm-ar T does)."""
    out = []
    for m in archives[name].members:
        if m in archives and "T" in archives[m].flags:
            out.extend(flatten(archives, m))
        elif m.endswith(".a"):
            raise KbuildImportError(f"{name}: member {m} is an archive Kbuild did not build as thin")
        else:
            out.append(m)
    return out


def head_first(members: Sequence[str], head_list_text: str) -> tuple[list[str], list[str]]:
    """Applies `llvm-ar mPiT FIRST vmlinux.a $(llvm-ar t vmlinux.a | grep -F -f LIST)`.

    grep -F -f: every line of LIST (comments too) is a fixed substring pattern; an
    empty line matches everything. The matching members move, in archive order,
    before the first member. Returns (new order, heads).
    """
    patterns = head_list_text.split("\n")
    if patterns and patterns[-1] == "":
        patterns.pop()
    heads = [m for m in members if any(p in m for p in patterns)]
    if not heads:
        return list(members), []
    rest = [m for m in members if m not in set(heads)]
    return heads + rest, heads


# ---------------------------------------------------------------------------
# Paths and flags.


@dataclasses.dataclass(frozen=True)
class Roots:
    """Absolute, normalized roots: srctree, objtree, and optional extra roots
    ((absolute path, placeholder) pairs, e.g. the compiler's resource dir)."""

    srctree: str
    objtree: str
    extra: tuple[tuple[str, str], ...] = ()

    def all(self) -> list[tuple[str, str]]:
        return _ordered_roots(self)


@functools.lru_cache(maxsize=None)
def _ordered_roots(roots: Roots) -> list[tuple[str, str]]:
    pairs = [(roots.srctree, SRCTREE), (roots.objtree, OBJTREE), *roots.extra]
    return sorted(pairs, key=lambda p: -len(p[0]))  # longest first: nested roots


def _under(path: str, root: str) -> str | None:
    if path == root:
        return ""
    if path.startswith(root.rstrip("/") + "/"):
        return path[len(root.rstrip("/")) + 1:]
    return None


@functools.lru_cache(maxsize=1 << 16)
def placeholder_path(path: str, roots: Roots) -> str:
    """A path as Kbuild printed it (absolute, or relative to the objtree) ->
    `$(srctree)/rel`, `$(objtree)/rel` or another root's placeholder. A trailing
    slash is kept (prefix maps need it)."""
    slash = "/" if path.endswith("/") and len(path) > 1 else ""
    if posixpath.isabs(path):
        p = posixpath.normpath(path)
        for root, ph in roots.all():
            rel = _under(p, root)
            if rel is not None:
                return (f"{ph}/{rel}" if rel else ph) + slash
        raise KbuildImportError(f"{path}: absolute path outside the source and object trees")
    p = posixpath.normpath(path)
    if p == ".":
        return OBJTREE + slash
    if p.startswith("../") or p == "..":
        raise KbuildImportError(f"{path}: relative path leaves the object tree")
    return f"{OBJTREE}/{p}{slash}"


def split_placeholder(p: str) -> tuple[str, str]:
    """`$(srctree)/a/b` -> ("srctree", "a/b"); the same for objtree and extra roots."""
    for ph, name in ((SRCTREE, "srctree"), (OBJTREE, "objtree"), (RESOURCE_DIR, "resource")):
        if p == ph:
            return name, ""
        if p.startswith(ph + "/"):
            return name, p[len(ph) + 1:]
    raise KbuildImportError(f"{p}: not a placeholder path")


# Options whose value is a path: separate (`-I dir`) or joined (`-Idir`).
_PATH_OPTS = ("-I", "-isystem", "-iquote", "-idirafter", "-include", "-imacros", "-L", "-T", "--sysroot")
_PATH_EQ_OPTS = (
    "--sysroot=", "-fsanitize-ignorelist=", "-fsanitize-blacklist=", "-fprofile-use=",
    "-fprofile-sample-use=", "-fprofile-list=",
)
_PREFIX_MAP_OPTS = (
    "-fmacro-prefix-map=", "-ffile-prefix-map=", "-fdebug-prefix-map=", "-fprofile-prefix-map=",
    "-fcoverage-prefix-map=",
)
# Joined forms (`-Idir`, `--sysroot=dir`); -include/-imacros only come separate.
_JOINED_PATH_OPTS = _PATH_EQ_OPTS + ("-isystem", "-iquote", "-idirafter", "-I")
_ABS_IN_TOKEN_RE = re.compile(r"(?:^|[=,:\"']|-I|-L|-isystem|-iquote|-idirafter|-include|-imacros)/")


def normalize_flags(flags: Sequence[str], roots: Roots, where: str = "") -> list[str]:
    """Path-valued flags -> placeholder paths; fails on any absolute path left over."""
    out = []
    i = 0
    while i < len(flags):
        f = flags[i]
        if f in _PATH_OPTS:
            if i + 1 >= len(flags):
                raise KbuildImportError(f"{where}: {f} without a value")
            out += [f, placeholder_path(flags[i + 1], roots)]
            i += 2
            continue
        i += 1
        prefix_map = next((o for o in _PREFIX_MAP_OPTS if f.startswith(o)), None)
        if prefix_map:
            old, eq, new = f[len(prefix_map):].partition("=")
            if not eq:
                raise KbuildImportError(f"{where}: {f}: expected OLD=NEW")
            new = placeholder_path(new, roots) if posixpath.isabs(new) else new
            out.append(f"{prefix_map}{placeholder_path(old, roots)}={new}")
            continue
        joined = next((o for o in _JOINED_PATH_OPTS if f.startswith(o) and len(f) > len(o)), None)
        if joined:
            out.append(joined + placeholder_path(f[len(joined):], roots))
            continue
        out.append(_replace_roots(f, roots))
    for f in out:
        if _ABS_IN_TOKEN_RE.search(f):
            raise KbuildImportError(f"{where}: absolute path in flag {f!r}")
    return out


def _replace_roots(s: str, roots: Roots) -> str:
    for root, ph in roots.all():
        s = re.sub(re.escape(root.rstrip("/")) + r"(?![\w.+-])", lambda _m, ph=ph: ph, s)
    return s


def normalize_cmd(cmd: str, tools: Mapping[str, str], roots: Roots) -> str:
    """A shell command with tool paths -> $(CC)..., and roots -> placeholders (text)."""
    seen = set()
    for flag, var in TOOL_VARS:
        path = tools.get(flag)
        if not path or path in seen:
            continue
        seen.add(path)
        cmd = re.sub(r"(?<![\w/.-])" + re.escape(path) + r"(?![\w/.-])", lambda _m, v=var: f"$({v})", cmd)
    return _replace_roots(cmd, roots)


# ---------------------------------------------------------------------------
# Dependencies.


def parse_make_deps(text: str) -> dict[str, list[str]]:
    """Make-style dependency output (`clang -M`, clang-scan-deps -format make) ->
    {target: [prerequisites in order]}. Escaped spaces (`\\ `) are kept as spaces."""
    out: dict[str, list[str]] = {}
    text = text.replace("\\\n", " ")
    for line in text.splitlines():
        if not line.strip():
            continue
        target, sep, rest = line.partition(": ")
        if not sep:
            if line.rstrip().endswith(":"):
                target, rest = line.rstrip()[:-1], ""
            else:
                raise KbuildImportError(f"dependency output: cannot parse {line[:120]!r}")
        words = re.findall(r"(?:\\ |\S)+", rest)
        out.setdefault(target.strip(), []).extend(w.replace("\\ ", " ") for w in words)
    return out


@dataclasses.dataclass(frozen=True)
class Deps:
    hdrs: tuple[str, ...]
    gen_inputs: tuple[str, ...]
    build_inputs: tuple[str, ...]
    toolchain_hdrs: tuple[str, ...]


def classify_deps(
    where: str,
    paths: Iterable[str],
    roots: Roots,
    prepare_files: Iterable[str] | set,
    build_files: Iterable[str] | set,
    skip: Iterable[str] = (),
) -> Deps:
    """Dependency paths (as the preprocessor printed them, cwd = objtree) -> Deps.

    srctree files -> hdrs; objtree files -> gen_inputs if prepare made them, build_inputs
    if a build step did (anything else is an error); resource-dir files ->
    toolchain_hdrs. skip: placeholder paths to leave out (the source itself).
    """
    prepare_files = set(prepare_files)
    build_files = set(build_files)
    skip = set(skip)
    hdrs, gen, build, tc = set(), set(), set(), set()
    for p in paths:
        ph = placeholder_path(p, roots)
        if ph in skip:
            continue
        root, rel = split_placeholder(ph)
        if root == "srctree":
            hdrs.add(rel)
        elif root == "objtree":
            if rel in prepare_files:
                gen.add(rel)
            elif rel in build_files:
                build.add(rel)
            else:
                raise KbuildImportError(f"{where}: reads {rel}, which neither prepare nor a build step made")
        else:
            tc.add(ph)
    return Deps(tuple(sorted(hdrs)), tuple(sorted(gen)), tuple(sorted(build)), tuple(sorted(tc)))


_INCBIN_RE = re.compile(r"\.incbin\s+(\\?\")?([^\"\\\s]*)")


def find_incbins(where: str, text: str) -> list[str]:
    """Operands of `.incbin` in a .S or .c source (C comments skipped), as written."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    out = []
    for m in _INCBIN_RE.finditer(text):
        if not m.group(1):
            raise KbuildImportError(f"{where}: .incbin {m.group(2)}: only a quoted file name is supported")
        if m.group(2) not in out:
            out.append(m.group(2))
    return out


# ---------------------------------------------------------------------------
# Analysis of a dry run and plan assembly.


@dataclasses.dataclass(frozen=True)
class Derived:
    """An object made from another by `$(OBJCOPY) FLAGS IN OUT` (arm64 KASLR's
    arch/arm64/kernel/pi/*.pi.o, whose symbols get a __pi_ prefix)."""

    out: str
    src: str
    flags: tuple[str, ...]


def parse_objcopy(step: Step, objcopy: str) -> Derived:
    cmds = shell_split(step.cmd)
    argv = cmds[0]
    if len(cmds) != 1 or argv[0] != objcopy or len(argv) < 3:
        raise KbuildImportError(f"OBJCOPY {step.target}: expected `objcopy FLAGS IN OUT`, got {step.cmd[:120]!r}")
    src, out = argv[-2], argv[-1]
    if _norm_rel(out) != _norm_rel(step.target) or src.startswith("-"):
        raise KbuildImportError(f"OBJCOPY {step.target}: expected `objcopy FLAGS IN OUT`, got {step.cmd[:120]!r}")
    return Derived(_norm_rel(out), _norm_rel(src), tuple(argv[1:-2]))


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


# Tags of build-phase steps that are not generators of object inputs.
_NOT_GENERATORS = frozenset({"CC", "AS", "AR", "LDS", "CALL"})


def analyze(steps: Sequence[Step], tools: Mapping[str, str], lds_path: str | None) -> Analysis:
    """Sorts dry-run steps into compiles, the linker script, archives and generators."""
    cc, ar = tools["clang"], tools["ar"]
    compiles: dict[str, Compile] = {}
    archives: dict[str, Archive] = {}
    lds = None
    head_list = None
    build_steps, vo_steps, link_steps = [], [], []
    derived: dict[str, Derived] = {}
    for s in steps:
        if s.phase == "vmlinux_o":
            vo_steps.append(s)
            continue
        if s.tag in ("CC", "AS") and s.target.endswith(".o"):
            if s.phase == "link" and s.target not in LINK_OBJECTS:
                raise KbuildImportError(f"{s.tag} {s.target}: unexpected object in the link phase")
            c = parse_compile(s, cc)
            old = compiles.get(c.out)
            if old is not None and old != c:
                raise KbuildImportError(f"{c.out}: compiled twice with different commands")
            compiles[c.out] = c
        elif s.tag == "AR":
            if s.target == "vmlinux.a":
                a, head_list = parse_vmlinux_a(s, ar)
            else:
                a = parse_archive(s, ar)
            archives[a.out] = a
        elif s.tag == "LDS" and s.target == lds_path:
            lds = parse_compile(s, cc, mode="-E")
        elif s.tag.startswith("HOST"):
            continue  # host programs: built by make when a generator needs them
        elif s.tag == "OBJCOPY" and s.target.endswith(".o"):
            d = parse_objcopy(s, tools["objcopy"])
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
    for d in derived.values():
        if d.src not in compiles:
            raise KbuildImportError(f"{d.out}: made from {d.src}, which the dry run does not compile")
    return Analysis(compiles, lds, archives, head_list, build_steps, vo_steps, link_steps, derived)


def gen_targets(analysis: Analysis, existing: Iterable[str]) -> list[tuple[str, list[str]]]:
    """Generator steps whose targets are not in the object tree yet, grouped by obj dir
    as `$(MAKE) $(build)=OBJ TARGET...` needs them (first-seen order)."""
    existing = set(existing)
    groups: dict[str, list[str]] = {}
    for s in analysis.build_steps + [s for s in analysis.link_steps if s.tag == "FILECHK"]:
        t = _norm_rel(s.target)
        if t in existing:
            continue
        if t not in groups.setdefault(s.obj, []):
            groups[s.obj].append(t)
    return list(groups.items())


def _split_words(s: str) -> list[str]:
    return s.split()


def archive_plan(analysis: Analysis, libs: Sequence[str], head_list_text: str) -> dict:
    """The plan's archives: vmlinux.a flattened with heads first, and each lib."""
    members, heads = head_first(flatten(analysis.archives, "vmlinux.a"), head_list_text)
    out = {"vmlinux.a": {"members": members, "flags": analysis.archives["vmlinux.a"].flags,
                         "thin": True, "head_objects": heads}}
    for name in libs:
        if name not in analysis.archives:
            raise KbuildImportError(f"{name}: KBUILD_VMLINUX_LIBS names it but the dry run did not build it")
        a = analysis.archives[name]
        out[name] = {"members": flatten(analysis.archives, name), "flags": a.flags, "thin": "T" in a.flags}
    return out


def object_entry(c: Compile, deps: Deps, incbins: Sequence[str], archive: str | None,
                 roots: Roots, tools: Mapping[str, str]) -> dict:
    src_root, src = split_placeholder(placeholder_path(c.src, roots))
    if src_root not in ("srctree", "objtree"):
        raise KbuildImportError(f"{c.out}: source {c.src} is in neither tree")
    flags = normalize_flags(c.flags, roots, where=c.out)
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
        "post": [normalize_cmd(p, tools, roots) for p in c.post],
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
) -> dict:
    """Assembles the plan (see the module docstring). deps/incbins are keyed by object
    out, and by the linker script's out for the lds entry."""
    config = parse_config(config_text)
    libs = _split_words(make_vars["KBUILD_VMLINUX_LIBS"])
    vmlinux_objs = tuple(_norm_rel(p) for p in _split_words(make_vars["KBUILD_VMLINUX_OBJS"]))
    if vmlinux_objs != analysis.archives["vmlinux.a"].members:
        raise KbuildImportError(f"vmlinux.a is made of {' '.join(analysis.archives['vmlinux.a'].members)}, "
                                f"not KBUILD_VMLINUX_OBJS ({' '.join(vmlinux_objs)})")
    archives = archive_plan(analysis, libs, head_list_text)
    where: dict[str, str] = {}
    for name in ["vmlinux.a", *libs]:
        for m in archives[name]["members"]:
            where.setdefault(m, name)
    for d in analysis.derived.values():
        if d.out in where:
            where.setdefault(d.src, where[d.out])
    missing = sorted(set(where) - set(analysis.compiles) - set(analysis.derived))
    if missing:
        raise KbuildImportError(f"{missing[0]}: archived but never compiled in the dry run ({len(missing)} such)")
    objects = []
    for out in sorted(analysis.compiles):
        c = analysis.compiles[out]
        archive = where.get(out)
        if archive is None and out not in LINK_OBJECTS:
            continue  # compiled by the dry run but linked through none of the archives
        if out not in deps:
            raise KbuildImportError(f"{out}: no dependency information")
        objects.append(object_entry(c, deps[out], incbins.get(out, ()), archive, roots, tools))
    order = []
    for name in ["vmlinux.a", *libs]:
        order.extend(archives[name]["members"])
    lds = None
    if analysis.lds is not None:
        c = analysis.lds
        src_root, src = split_placeholder(placeholder_path(c.src, roots))
        d = deps[c.out]
        lds = {"out": c.out, "src": src, "src_root": src_root,
               "flags": normalize_flags(c.flags, roots, where=c.out),
               "hdrs": list(d.hdrs), "gen_inputs": list(d.gen_inputs), "build_inputs": list(d.build_inputs)}
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
                           and p in ("scripts/kallsyms", "scripts/sorttable", "scripts/mod/modpost"))
    placeholders = {SRCTREE: "the kernel source tree (read-only)",
                    OBJTREE: "the object tree: Kbuild's working directory",
                    RESOURCE_DIR: "the compiler's resource directory (clang -print-resource-dir)"}
    for flag, var in TOOL_VARS:
        placeholders[f"$({var})"] = f"the --{flag} tool"
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
        "derived": {d.out: {"src": d.src, "tool": "$(OBJCOPY)",
                            "flags": normalize_flags(d.flags, roots, where=d.out)}
                    for d in sorted(analysis.derived.values(), key=lambda d: d.out)},
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
        },
        "build_steps": [{"tag": s.tag, "target": s.target, "obj": s.obj,
                         "cmd": normalize_cmd(s.cmd, tools, roots)}
                        for s in analysis.build_steps + analysis.link_steps
                        if _norm_rel(s.target) in generated_build],
        "generated": {"prepare": {k: dict(v) for k, v in generated_prepare.items()},
                      "build": {k: dict(v) for k, v in generated_build.items()}},
    }


def dump_plan(plan: Mapping) -> str:
    """The plan's JSON text: sorted keys, stable, newline-terminated."""
    return json.dumps(plan, sort_keys=True, indent=1, ensure_ascii=True) + "\n"


# ---------------------------------------------------------------------------
# Comparison with an in-tree Kbuild build (check_plan.py).


def in_tree_form(flags: Sequence[str], out: str | None = None) -> list[str]:
    """A plan's flags (placeholders) or an in-tree Kbuild command's flags -> one
    canonical form, for comparing the two (check_plan.py).

    Kbuild's out-of-tree-only `-I $(srctree)/$(src) -I $(objtree)/$(obj)` pair is
    dropped (given the object's out), $(srctree) and $(objtree) become ".", path
    values are normalized and joined to their option, and a repeated -I directory
    is dropped (clang ignores it; in-tree Kbuild omits the objtree copies of
    -I./include and the like)."""
    toks = list(flags)
    if out is not None:
        # `-I $(srctree)/$(src) -I $(objtree)/$(obj)`: obj is the Makefile's directory,
        # the object's or an ancestor (lib/zstd for lib/zstd/common/debug.o).
        for i in range(len(toks) - 3):
            a, b, c, d = toks[i:i + 4]
            if a == c == "-I" and b.startswith("$(srctree)/") and d == "$(objtree)/" + b[len("$(srctree)/"):] \
                    and (out + "/").startswith(b[len("$(srctree)/"):] + "/"):
                del toks[i:i + 4]
                break
    toks = [t.replace("$(srctree)", ".").replace("$(objtree)", ".") for t in toks]
    res, seen_dirs = [], set()
    i = 0
    while i < len(toks):
        t = toks[i]
        if t in _PATH_OPTS and i + 1 < len(toks):
            opt, val = t, posixpath.normpath(toks[i + 1])
            i += 2
        elif t.startswith("-I") and len(t) > 2:
            opt, val = "-I", posixpath.normpath(t[2:])
            i += 1
        else:
            res.append(t)
            i += 1
            continue
        if opt == "-I":
            if val in seen_dirs:
                continue
            seen_dirs.add(val)
        res.append(f"{opt} {val}")
    return res


def split_compile_argv(argv: Sequence[str], mode: str) -> tuple[list[str], str]:
    """clang argv -> (flags without -Wp,-MMD / mode / -o X / source, source)."""
    args = argv[1:]
    src = args[-1]
    res, i = [], 0
    while i < len(args) - 1:
        a = args[i]
        if a == "-o":
            i += 2
            continue
        if a == mode or a.startswith("-Wp,-MMD,") or a.startswith("-Wp,-MD,"):
            i += 1
            continue
        res.append(a)
        i += 1
    return res, src


# ---------------------------------------------------------------------------
# The object tree listing.

# Files in the object tree that are Kbuild bookkeeping, not outputs anyone reads.
_SKIP_SUFFIXES = (".cmd", ".d", ".o", ".a", ".tmp", ".old", ".order", ".symvers")
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
