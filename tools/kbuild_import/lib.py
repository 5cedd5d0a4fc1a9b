"""Kbuild import: a Linux 6.1 tree, an ARCH and a .config -> a JSON plan of fine-grained actions.

The import runs Kbuild itself, never a re-implementation of it (see run.py for the
commands): configure and `make prepare` in an object tree (`make O=`, the source
tree is only read), then a dry run `make -n vmlinux_o` whose printed commands this
module parses, then a real run of the few build-time generators (lib/crc32table.h,
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
      archive         str|null: vmlinux.a, a KBUILD_VMLINUX_LIBS archive (directly, or
                      through the derived object made from it), or null for a link-time
                      object (init/version-timestamp.o) and for module parts.
      post            list[str]: shell commands Kbuild runs after the compile in the
                      same recipe (e.g. objtool); normalized, empty on arm64. For an LTO
                      single-object module the `ld -r; mv` and what follows them are not
                      here (see modules.list[].link and post).
      module          str|null: the .ko this object is part of ("lib/test_module.ko"), or
                      null. Module parts are compiled as Kbuild's `CC [M]` (-DMODULE,
                      the module's KBUILD_MODNAME) and are in no archive or link.order.
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

import dataclasses
import functools
import hashlib
import json
import posixpath
import re
import shlex
from typing import Iterable, Mapping, Sequence

SCHEMA = 2
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
HELPER_MODULES = "kbuild-import-modules"
HELPER_MODFINAL = "kbuild-import-modfinal"
KO_MARK = "KBUILD_IMPORT_KO"
# Goals of the dry run, in order: objects and archives, the vmlinux.o stage, then what
# scripts/link-vmlinux.sh builds (it runs `make -f Makefile.build obj=init
# init/version-timestamp.o` itself).
DRY_RUN_GOALS = ("vmlinux_o", HELPER_LINK)
# With CONFIG_MODULES (and KBUILD_MODULES=1): every module object, .mod and modules.order
# too, then modules_prepare (scripts/module.lds) behind a phase mark.
DRY_RUN_GOALS_MODULES = ("vmlinux_o", HELPER_MODULES, "modules_prepare", HELPER_LINK)
LINK_OBJECTS = ("init/version-timestamp.o",)


class KbuildImportError(Exception):
    """Bad input or a Kbuild output this importer does not understand; one line."""


# ---------------------------------------------------------------------------
# Helper makefile (read after the kernel's Makefile: `make -f Makefile -f helper`).


def helper_makefile(gen_targets: Sequence[tuple[str, Sequence[str]]] = (), ko_helper: str | None = None) -> str:
    """The helper makefile's text.

    Targets: kbuild-import-vars prints MAKE_VARS (one `KBUILD_IMPORT_VAR NAME=value`
    line each); kbuild-import-link prints a phase mark and builds LINK_OBJECTS the way
    link-vmlinux.sh does; kbuild-import-gen runs `$(MAKE) $(build)=OBJ TARGET...` for
    each (obj, targets) of gen_targets; kbuild-import-modules prints the `modules`
    phase mark; kbuild-import-modfinal runs what `make modules` runs after
    modules_check (Makefile.modpost, then Makefile.modfinal with ko_helper, the
    makefile ko_helper_makefile() writes, read after it).
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
    lines.append(f"{HELPER_MODULES}:")
    lines.append(f"\t$(info {PHASE_MARK} modules)")
    lines.append("\t@:")
    if ko_helper:
        # The top Makefile's `modules` recipe (Linux 6.1), minus modules_check.
        lines.append(f"{HELPER_MODFINAL}:")
        lines.append(f"\t$(info {PHASE_MARK} modfinal)")
        lines.append("\t$(Q)$(MAKE) KBUILD_MODULES=1 -f $(srctree)/scripts/Makefile.modpost")
        lines.append(f"\t$(Q)$(MAKE) -f $(srctree)/scripts/Makefile.modfinal -f {ko_helper}")
    lines.append(f".PHONY: {HELPER_VARS} {HELPER_LINK} {HELPER_GEN} {HELPER_MODULES} {HELPER_MODFINAL}")
    return "\n".join(lines) + "\n"


def ko_helper_makefile() -> str:
    """Read after scripts/Makefile.modfinal: its `.ko` rule is a `+` recipe (it runs
    even under `make -n`), so it is replaced by one printing the command
    (`KBUILD_IMPORT_KO M.ko := CMD`). make warns "overriding recipe"; harmless."""
    return ("# Written by tools/kbuild_import; read after scripts/Makefile.modfinal.\n"
            "$(modules): %.ko: %.o %.mod.o $(ARCH_MODULE_LDS) FORCE\n"
            f"\t$(info {KO_MARK} $@ := $(cmd_ld_ko_o))\n"
            "\t@:\n")


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
# if_changed commands without a quiet label (cmd_mod, cmd_modules_order): the target is
# the one the first trap removes.
_UNLABELLED_RE = re.compile(r"^set -e;\s+trap 'rm -f (\S+); trap - HUP;")
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
        m = _UNLABELLED_RE.match(line)
        unlabelled = m.group(1) if m else None
        line = _TRAP_RE.sub("", line)
        m = _LABEL_RE.match(line)
        if m:
            tag, target, cmd = m.group(1), m.group(2).strip(), m.group(3)
        else:
            m = _FILECHK_RE.match(line)
            if m:
                tag, target, cmd = "FILECHK", m.group(1) + m.group(2), m.group(3)
            elif unlabelled and unlabelled.endswith((".mod", "modules.order")):
                tag = "MOD" if unlabelled.endswith(".mod") else "MODORDER"
                target, cmd = unlabelled, line[len("set -e;"):]
            else:
                continue
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
    module_objs: set[str] = dataclasses.field(default_factory=set)  # outs compiled as `CC [M]`
    mods: dict[str, list[str]] = dataclasses.field(default_factory=dict)  # M.mod -> parts (cmd_mod)
    mod_links: dict[str, Step] = dataclasses.field(default_factory=dict)  # M.o -> its `LD [M]` step
    orders: dict[str, list[tuple[str, str]]] = dataclasses.field(default_factory=dict)  # modules.order files
    module_lds: Compile | None = None  # scripts/module.lds (modules_prepare)


_MOD_RE = re.compile(r"""^printf '%s\\n'\s+(?P<objs>[^|]*?)\s*\|\s*awk '!x\[\$0\]\+\+ \{ print\("(?P<dir>[^"]*)"\$0\) \}'\s*>\s*(?P<out>\S+)$""")
_ORDER_RE = re.compile(r"^\{\s*(?P<items>.*?)\s*:;\s*\}\s*>\s*(?P<out>\S+)$")


def parse_mod(step: Step) -> tuple[str, list[str]]:
    """cmd_mod (Makefile.build): `printf '%s\\n' A.o B.o | awk '!x[$0]++ { print("DIR/"$0) }' > M.mod`
    -> (M.mod, [DIR/A.o, DIR/B.o]): a module's parts, objtree-relative, deduplicated."""
    m = _MOD_RE.match(step.cmd)
    if not m or _norm_rel(m.group("out")) != _norm_rel(step.target):
        raise KbuildImportError(f"{step.target}: unrecognized .mod command {step.cmd[:160]!r}")
    parts = []
    for o in m.group("objs").split():
        p = _norm_rel(m.group("dir") + o)
        if p not in parts:
            parts.append(p)
    if not parts:
        raise KbuildImportError(f"{step.target}: a module without objects")
    return _norm_rel(step.target), parts


def parse_modules_order(step: Step) -> tuple[str, list[tuple[str, str]]]:
    """cmd_modules_order: `{ cat D/modules.order; echo D/m.ko; :; } > modules.order` ->
    (target, [("cat", path) | ("echo", ko), ...]) in order."""
    m = _ORDER_RE.match(step.cmd)
    if not m or _norm_rel(m.group("out")) != _norm_rel(step.target):
        raise KbuildImportError(f"{step.target}: unrecognized modules.order command {step.cmd[:160]!r}")
    items = []
    for item in m.group("items").split(";"):
        words = item.split()
        if not words:
            continue
        if len(words) != 2 or words[0] not in ("cat", "echo"):
            raise KbuildImportError(f"{step.target}: unrecognized modules.order item {item.strip()!r}")
        items.append((words[0], _norm_rel(words[1])))
    return _norm_rel(step.target), items


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
    for s in steps:
        if s.phase == "vmlinux_o":
            vo_steps.append(s)
            continue
        if s.phase == "modules":  # modules_prepare
            if s.tag == "LDS" and _norm_rel(s.target) == MODULE_LDS:
                module_lds = parse_compile(s, cc, mode="-E")
            elif s.tag != "FILECHK":
                raise KbuildImportError(f"{s.tag} {s.target}: modules_prepare step not understood")
            continue
        if s.tag in ("CC", "AS", "CC [M]", "AS [M]") and s.target.endswith(".o"):
            if s.phase == "link" and s.target not in LINK_OBJECTS:
                raise KbuildImportError(f"{s.tag} {s.target}: unexpected object in the link phase")
            c = parse_compile(s, cc)
            old = compiles.get(c.out)
            if old is not None and old != c:
                raise KbuildImportError(f"{c.out}: compiled twice with different commands")
            compiles[c.out] = c
            if s.tag.endswith(" [M]"):
                module_objs.add(c.out)
        elif s.tag == "LD [M]" and s.target.endswith(".o"):
            mod_links[_norm_rel(s.target)] = s
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
    return Analysis(compiles, lds, archives, head_list, build_steps, vo_steps, link_steps, derived,
                    module_objs, mods, mod_links, orders, module_lds)


# ---------------------------------------------------------------------------
# Loadable modules (CONFIG_MODULES): pass 2 (Makefile.modpost + Makefile.modfinal) and the
# plan's "modules" section.

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
    "CONFIG_MODVERSIONS": "symbol versions (genksyms, modpost -m)",
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
# errors, -N missing namespace imports allowed, -W extra warnings; -o/-T take a value.
_MODPOST_FLAGS = {"-E", "-N", "-W"}
_MODPOST_REFUSED = {
    "-m": "modpost -m (CONFIG_MODVERSIONS) is not supported yet; unset CONFIG_MODVERSIONS",
    "-a": "modpost -a (CONFIG_MODULE_SRCVERSION_ALL) is not supported yet; unset it",
    "-w": "modpost -w: KBUILD_MODPOST_WARN is set or vmlinux.o was missing in the dry run",
    "-e": "modpost -e: an external-module (M=) run",
    "-i": "modpost -i: extra symbol files (KBUILD_EXTRA_SYMBOLS) are not supported",
}


def parse_modpost(step: Step, extmod: bool = False) -> list[str]:
    """`sed 's/ko$/o/' modules.order | scripts/mod/modpost ARGS` -> ARGS (checked).
    extmod: an M= run (`$(M)/modules.order`, `-e -i Module.symvers`, no vmlinux.o)."""
    order = f"{EXTMOD_MARK}/modules.order" if extmod else "modules.order"
    pipes = _pipelines(step.cmd)
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
            mod_o[_norm_rel(c.out)[:-len(".mod.o")] + ".ko"] = c
        elif s.tag != "FILECHK":
            raise KbuildImportError(f"{s.tag} {s.target}: unexpected step in Makefile.modpost/modfinal")
    for line in text.splitlines():
        if line.startswith(KO_MARK + " "):
            name, sep, cmd = line[len(KO_MARK) + 1:].partition(" := ")
            if not sep:
                raise KbuildImportError(f"cannot parse {line[:120]!r}")
            ko[_norm_rel(name.strip())] = cmd.strip()
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


def module_plan(analysis: Analysis, modfinal: ModFinal, *, config: Mapping[str, str], deps: Mapping[str, "Deps"],
                roots: Roots, tools: Mapping[str, str], builtin: Sequence[str], extmod: dict | None = None
                ) -> tuple[dict, dict[str, str], dict[str, list[str]]]:
    """The plan's "modules" section; also part -> .ko and part -> object post (normalized)."""
    problems = unsupported_module_config(config)
    if problems:
        raise KbuildImportError(problems[0])
    order = modules_order(analysis.orders)
    part_of: dict[str, str] = {}
    object_post: dict[str, list[str]] = {}
    modules = {}
    for ko in order:
        if ko in modules:
            raise KbuildImportError(f"modules.order: {ko} twice")
        name = ko[:-len(".ko")]
        mo = name + ".o"
        parts = analysis.mods.get(name + ".mod")
        if parts is None:
            raise KbuildImportError(f"{ko}: in modules.order, but the dry run wrote no {name}.mod")
        modname = posixpath.basename(name).replace("-", "_").replace(",", "_")
        for p in parts:
            if p not in analysis.module_objs:
                raise KbuildImportError(f"{ko}: part {p} is not compiled as a module object (CC [M])")
            if f'-DKBUILD_MODNAME="{modname}"' not in analysis.compiles[p].flags:
                raise KbuildImportError(f"{p}: compiled without -DKBUILD_MODNAME='\"{modname}\"' of {ko}")
            if p in part_of:
                raise KbuildImportError(f"{p}: part of both {part_of[p]} and {ko}")
            part_of[p] = ko
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
        if c is None or _norm_rel(c.src) != name + ".mod.c":
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
    compiles, mods, links = {}, {}, {}
    for s in parse_dry_run(pass1):
        if s.tag == "CC [M]":
            c = parse_compile(s, tools["clang"])
            compiles[c.out] = c
        elif s.tag == "MOD":
            out, parts = parse_mod(s)
            mods[out] = parts
        elif s.tag == "LD [M]":
            links[_norm_rel(s.target)] = s
        elif s.tag not in ("MODORDER", "FILECHK"):
            raise KbuildImportError(f"extmod probe: {s.tag} {s.target}: step not understood")
    d = EXTMOD_MARK
    single, multi = f"{d}/{_EXT_SINGLE}.o", f"{d}/{_EXT_MULTI}.o"
    parts = [f"{d}/{p}.o" for p in _EXT_PARTS]
    if sorted(compiles) != sorted([single, *parts]) or mods.get(f"{d}/{_EXT_MULTI}.mod") != parts \
            or multi not in links:
        raise KbuildImportError(f"extmod probe: expected compiles of {single} and {parts} and a link of {multi}, "
                                f"got {sorted(compiles)} and {sorted(links)}")

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
            if o.get("module") != ko or o.get("archive") is not None or p in in_link:
                problems.append(f"{p}: part of {ko} but module={o.get('module')!r}, archive={o.get('archive')!r}"
                                f"{', in link.order' if p in in_link else ''}")
            if m["link"] is None and o["lto"] == "bitcode":
                problems.append(f"{ko}: bitcode part {p} but no link to make native {name}.o")
            if m["link"] is not None and m["single"] and o["post"]:
                problems.append(f"{p}: post {o['post']} runs before the module link")
    for out, o in sorted(objects.items()):
        ko = o.get("module")
        if ko is not None and (ko not in modules["list"] or out not in modules["list"][ko]["objects"]):
            problems.append(f"{out}: module {ko} does not list it as a part")
    return problems


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
                 roots: Roots, tools: Mapping[str, str], module: str | None = None,
                 post: Sequence[str] | None = None) -> dict:
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
        "post": list(post) if post is not None else [normalize_cmd(p, tools, roots) for p in c.post],
        "module": module,
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
) -> dict:
    """Assembles the plan (see the module docstring). deps/incbins are keyed by object
    out, and by the linker script's out for the lds entry (and with modules, by
    MODULE_LDS and MOD_C_PROBE_OUT). modfinal: pass 2, given iff CONFIG_MODULES."""
    config = parse_config(config_text)
    if (config.get("CONFIG_MODULES") == "y") != (modfinal is not None):
        raise KbuildImportError("CONFIG_MODULES=y needs the Makefile.modfinal pass (and only then)")
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
            raise KbuildImportError(f"{out}: both in {archive} and part of {part_of[out]}")
        if archive is None and out not in LINK_OBJECTS and out not in part_of:
            continue  # compiled by the dry run but linked through none of the archives
        if out not in deps:
            raise KbuildImportError(f"{out}: no dependency information")
        objects.append(object_entry(c, deps[out], incbins.get(out, ()), archive, roots, tools,
                                    module=part_of.get(out), post=object_post.get(out)))
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
    if modules is not None:
        problems = check_modules(modules, {o["out"]: o for o in objects}, order)
        if problems:
            raise KbuildImportError(problems[0] + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
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
        "modules": modules,
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
