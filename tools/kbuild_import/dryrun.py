"""Parsing `make -n`: steps, shell words, compiles and archives."""

import dataclasses
import posixpath
import re
import shlex
from typing import Mapping, Sequence

from tools.kbuild_import.common import KbuildImportError, PHASE_MARK


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
# Tags may hold a dot (`ASN.1`).
_LABEL_RE = re.compile(r"^set -e;\s*echo '  ([A-Z0-9_.]+(?: \[M\])?)\s+([^']*?)';\s*(.*)$")
_FILECHK_RE = re.compile(r'^set -e; mkdir -p \S*; trap "rm -f (\S*?)\.([^/\s]+)\.tmp" EXIT; (.*)$')
_SUBMAKE_RE = re.compile(r"^(?:\S*/)?g?make -f (\S+)(?: obj=(\S+))?")
# if_changed commands without a quiet label (cmd_mod, cmd_modules_order): the target is
# the one the first trap removes.
_UNLABELLED_RE = re.compile(r"^set -e;\s+trap 'rm -f (\S+); trap - HUP;")
_TRAP_TARGET_RE = re.compile(r"trap 'rm -f (\S+); trap - HUP;")
# `@$(kecho) "  GEN     x"` and then a plain recipe, not if_changed (net/wireless/Makefile's
# shipped-certs.c): make -n prints the echo and the recipe as two lines.
_KECHO_RE = re.compile(r'^echo "  ([A-Z0-9_.]+)\s+(\S+)"$')
_GENKSYMS_RE = re.compile(r"^\s*if \S+ \S+ 2>/dev/null \| grep -q __ksymtab; then .* scripts/genksyms/genksyms ")
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
    source-tree check, make's own messages) only move the obj/phase context. A label
    naming several files (`ASN.1 x.asn1.[ch]`, `GEN flask.h av_permissions.h`) stands
    for the file the recipe's trap removes; an `echo "  TAG  x"` line makes the next
    line the recipe of x, which must write x (`> x`).
    """
    steps = []
    objs = ["."]  # obj= of every sub-make, in order
    phase = "build"
    kecho = None  # (tag, target) of the `echo "  TAG  target"` line just read
    for line in _logical_lines(text):
        if kecho is not None:
            tag, target = kecho
            kecho = None
            cmd = line.strip()
            if not re.search(r">\s*" + re.escape(target) + "$", cmd):
                raise KbuildImportError(f"{tag} {target}: the line after its echo does not write it "
                                        f"(not a recipe ending in '> {target}'): {cmd[:80]!r}")
            steps.append(Step(len(steps), phase, tag, target, _obj_of(target, objs), cmd))
            continue
        m = _KECHO_RE.match(line)
        if m:
            kecho = (m.group(1), m.group(2))
            continue
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
        m = _UNLABELLED_RE.match(line)
        unlabelled = m.group(1) if m else None
        m = _TRAP_TARGET_RE.search(line)
        trapped = m.group(1) if m else None
        line = _TRAP_RE.sub("", line)
        m = _LABEL_RE.match(line)
        if m:
            tag, target, cmd = m.group(1), m.group(2).strip(), m.group(3)
            if trapped and (" " in target or "[" in target):
                target = trapped
        else:
            m = _FILECHK_RE.match(line)
            if m:
                tag, target, cmd = "FILECHK", m.group(1) + m.group(2), m.group(3)
            elif unlabelled and unlabelled.endswith((".mod", "modules.order")):
                tag = "MOD" if unlabelled.endswith(".mod") else "MODORDER"
                target, cmd = unlabelled, line[len("set -e;"):]
            elif unlabelled and unlabelled.endswith(".o") and _GENKSYMS_RE.match(line[len("set -e;"):]):
                # CONFIG_MODVERSIONS' gen_symversions after X.o's compile (symversions.py)
                tag, target, cmd = "GENKSYMS", unlabelled, line[len("set -e;"):]
            else:
                continue
        cmd = _TAIL_RE.split(cmd, maxsplit=1)[0].strip().rstrip(";").strip()
        steps.append(Step(len(steps), phase, tag, target, _obj_of(target, objs), cmd))
    return steps


_CMD_FILE_RE = re.compile(r"^(?:saved)?cmd_(\S+) := (.*)$")


def parse_cmd_file(text: str) -> tuple[str, str] | None:
    """(target, command) of a Kbuild `.X.cmd` file: its first line `cmd_X := ...`, where
    make wrote `$$` for `$` and `$(pound)` for `#`. None for another format (tools/ builds)."""
    m = _CMD_FILE_RE.match(text.split("\n", 1)[0])
    if not m:
        return None
    return m.group(1), re.sub(r"\$\$|\$\(pound\)", lambda t: "$" if t.group(0) == "$$" else "#", m.group(2))


def cmd_mismatches(steps: Sequence[Step], made: Mapping[str, str]) -> list[str]:
    """Commands a real make ran (made: target -> the command of its .cmd file) that are
    not the dry run's for the same target, one line each (e.g. a sub-make run on its own
    misses its parent's subdir-ccflags-y, docs/defconfig-steps.md 7.2). Words are
    compared, not spacing; a target the dry run has no step for is not compared."""
    dry: dict[str, list[list[str]]] = {}
    for s in steps:
        dry.setdefault(s.target, []).append(s.cmd.split())
    problems = []
    for target, cmd in sorted(made.items()):
        got = cmd.split()
        if target in dry and got not in dry[target]:
            want = dry[target][0]
            i = next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), min(len(got), len(want)))
            problems.append(f"{target}: the import's make ran another command than the dry run's (word {i}: "
                            f"{(got[i] if i < len(got) else 'end')!r}, dry run {(want[i] if i < len(want) else 'end')!r})")
    return problems


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


def pipelines(cmd: str) -> list[list[list[str]]]:
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


def norm_rel(p: str) -> str:
    q = posixpath.normpath(p)
    if q.startswith("../") or q == ".." or posixpath.isabs(q):
        raise KbuildImportError(f"{p}: not a path inside the object tree")
    return q


def parse_archive(step: Step, ar: str) -> Archive:
    """`rm -f A; [printf "D/%s " M... | xargs] AR FLAGS A [M...]` -> Archive."""
    for pipe in pipelines(step.cmd):
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
        if norm_rel(out) != norm_rel(step.target):
            raise KbuildImportError(f"AR {step.target}: llvm-ar writes {out}")
        seen, ordered = set(), []
        for m in members:  # `llvm-ar r` replaces a member of the same name in place.
            m = norm_rel(m)
            if m not in seen:
                seen.add(m)
                ordered.append(m)
        return Archive(norm_rel(out), flags, tuple(ordered))
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
    members = tuple(norm_rel(p) for p in m.group("objs").split())
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
