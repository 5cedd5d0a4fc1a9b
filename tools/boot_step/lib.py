"""One Kbuild boot-image step (arch/x86/boot), replayed in a small object tree.

Kbuild runs each step in its object tree: paths in the command are objtree-relative
(`arch/x86/boot/setup.elf`), the source tree is `$(srctree)`, tools are `$(CC)`, ...
(tools/kbuild_import/boot.py normalizes them). run_step makes a fresh directory holding
exactly the declared inputs, each at its objtree-relative path (a symlink to the file
Bazel staged), replaces `$(srctree)` by the relative path from there to the staged
source tree (so no absolute path reaches what the compiler records) and each `$(TOOL)`
by its path (the compiler with DEBUG_DIR_FLAG), runs the command with `sh -c` in that directory and moves the one output
out. The command sees nothing else of the object tree.
"""

import os
import posixpath
import re
import shutil
import subprocess
from typing import Mapping, Optional, Sequence, Tuple

DEBUG_DIR_FLAG = "-fdebug-compilation-dir=."
# ld.lld writes through a buffer, not an mmap of its output: on a full disk it then exits 1
# with "No space left on device" instead of dying of SIGBUS with LLVM's crash banner. The
# same flag as every other link of the rules (rules/private/actions/lto.bzl LD_SAFE_FLAGS).
LD_FLAGS = "--no-mmap-output-file"
# The compressors Linux 6.1's top Makefile exports to every recipe (scripts/xz_wrap.sh runs
# `$XZ`; make itself expands the others in the commands).
COMPRESSORS = {"KGZIP": "gzip", "KBZIP2": "bzip2", "KLZOP": "lzop", "LZMA": "lzma", "LZ4": "lz4c",
               "XZ": "xz", "ZSTD": "zstd"}
# The pinned perl's modules, under the tools' lib/ (toolchains/private/boot_tools_repository.bzl).
PERL_MODULES = "perl5"
_PLACEHOLDER_RE = re.compile(r"\$\(([A-Za-z_]+)\)")


class StepError(Exception):
    """A bad flag value or a failed step; one line."""


def parse_pairs(values: Sequence[str], what: str) -> dict[str, str]:
    """`KEY=VALUE` flag values -> {KEY: VALUE}; a KEY given twice is an error."""
    out = {}
    for v in values:
        k, eq, val = v.partition("=")
        if not eq or not k or not val:
            raise StepError(f"--{what}={v}: expected KEY=VALUE")
        if k in out:
            raise StepError(f"--{what}: {k} given twice")
        out[k] = val
    return out


def check_rel(rel: str, what: str) -> str:
    """An objtree-relative path, normalized; absolute or escaping paths are errors."""
    p = posixpath.normpath(rel)
    if posixpath.isabs(p) or p == ".." or p.startswith("../") or p == ".":
        raise StepError(f"--{what}: {rel} is not a path inside the object tree")
    return p


def up_path(workdir: str, target: str) -> str:
    """The relative path from workdir to target (both relative to the same cwd)."""
    return posixpath.relpath(posixpath.normpath(target), posixpath.normpath(workdir))


def substitute(cmd: str, values: Mapping[str, str]) -> str:
    """`$(NAME)` -> values[NAME]; an unknown placeholder is an error (nothing unexpanded runs)."""
    def repl(m):
        if m.group(1) not in values:
            raise StepError(f"the command uses $({m.group(1)}), which no --tool or --srctree gives")
        return values[m.group(1)]
    return _PLACEHOLDER_RE.sub(repl, cmd)


def size_append(size: int) -> str:
    """Kbuild's size_append for a total size: `printf \\ooo\\ooo\\ooo\\ooo`, the 32-bit
    little-endian size as octal escapes (shell-quoted as make prints it)."""
    if not 0 <= size < 1 << 32:
        raise StepError(f"size_append: {size} bytes does not fit in 32 bits")
    return "printf " + "".join("\\\\%03o" % b for b in size.to_bytes(4, "little"))


def tools_paths(tools_dir: str) -> Tuple[str, str, str]:
    """(shell, PATH, LD_LIBRARY_PATH) of a boot-tools directory (@kernel_boot_tools: bin/sh,
    bin/gzip, ..., lib/), absolute: the command runs in another directory."""
    top = os.path.abspath(tools_dir)
    shell = os.path.join(top, "bin", "sh")
    if not os.path.isfile(shell):
        raise StepError(f"--tools_dir={tools_dir}: no bin/sh in it (want @kernel_boot_tools)")
    return shell, os.path.join(top, "bin"), os.path.join(top, "lib")


def run_step(*, cmd: str, srctree: str, tools: Mapping[str, str], inputs: Mapping[str, str],
             out_rel: str, out: str, workdir: str, path: str, dirs: Sequence[str] = (),
             size_of: Sequence[str] = (), env: Mapping[str, str] = (), shell: str = "/bin/sh",
             lib_path: Optional[str] = None, nonempty: bool = False, also: Mapping[str, str] = {},
             roots: Mapping[str, str] = {}) -> None:
    """Runs cmd in workdir (created, removed after) and writes its output out_rel to out
    (and each other output also's key, objtree-relative, to its value).

    srctree, tools, inputs' values and out are paths relative to the cwd (the execroot);
    inputs' keys, out_rel and dirs (directories to create first) are objtree-relative;
    size_of names inputs whose total size $(SIZE_APPEND) appends; roots, other directories
    the command names as `$(NAME)` (relative to the cwd, like srctree, and substituted as
    srctree is: a relative path from workdir; arm64 vdso32's `-isystem
    $(CC_RESOURCE_DIR)/include`); env, variables Kbuild
    exports to its recipes (SRCARCH, ...); nonempty: an empty output is an error (a CERT
    step given a key file). The command runs as `shell -c` with PATH=path
    (and LD_LIBRARY_PATH=lib_path if given): tools_paths() of the pinned boot tools."""
    if os.path.exists(workdir):
        shutil.rmtree(workdir)
    os.makedirs(workdir)
    try:
        for rel, src in sorted(inputs.items()):
            dst = os.path.join(workdir, check_rel(rel, "input"))
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            os.symlink(os.path.abspath(src), dst)
        for d in dirs:
            os.makedirs(os.path.join(workdir, check_rel(d, "mkdir")), exist_ok=True)
        out_rel = check_rel(out_rel, "out")
        for rel in [out_rel] + [check_rel(r, "also") for r in sorted(also)]:
            os.makedirs(os.path.join(workdir, os.path.dirname(rel)), exist_ok=True)
        values = {k: os.path.abspath(v) for k, v in tools.items()}
        if "CC" in values:
            # DWARF's compilation directory would be this (sandbox) directory: "." keeps the
            # objects the same on every machine (Kbuild's name its object tree; objcopy -O
            # binary drops the debug info from what reaches bzImage either way).
            values["CC"] += " " + DEBUG_DIR_FLAG
        if "LD" in values:
            values["LD"] += " " + LD_FLAGS
        values["srctree"] = up_path(workdir, srctree)
        for name, d in roots.items():
            if name in values:
                raise StepError(f"--root={name}: also a tool or srctree")
            values[name] = up_path(workdir, d)
        if size_of:  # $(SIZE_APPEND): the total size of these inputs (tools/kbuild_import/boot.py)
            values["SIZE_APPEND"] = size_append(sum(os.path.getsize(inputs[check_rel(p, "size_of")]) for p in size_of))
        text = substitute(cmd, values)
        run_env = {**COMPRESSORS, **dict(env), "PATH": path, "LC_ALL": "C", "TZ": "UTC"}
        if lib_path:
            run_env["LD_LIBRARY_PATH"] = lib_path
            perl = os.path.join(lib_path, PERL_MODULES)
            if os.path.isdir(perl):  # @kernel_boot_tools' perl reads its pinned modules alone
                run_env.update({"PERL5LIB": perl, "PERL5OPT": "-MKernelPinnedInc"})
        proc = subprocess.run([shell, "-c", "set -e; " + text], cwd=workdir, capture_output=True,
                              text=True, errors="replace", env=run_env, check=False)
        if proc.returncode != 0:
            err = [l for l in proc.stderr.splitlines() if l.strip()][-2:]
            raise StepError(f"{out_rel}: the step failed (exit {proc.returncode}): {' | '.join(err) or 'no output'}")
        made = os.path.join(workdir, out_rel)
        if not os.path.isfile(made) or os.path.islink(made):
            raise StepError(f"{out_rel}: the step exited 0 but did not write it")
        if nonempty and os.path.getsize(made) == 0:
            raise StepError(f"{out_rel}: the step exited 0 but wrote 0 bytes")
        for rel in sorted(also):
            other = os.path.join(workdir, rel)
            if not os.path.isfile(other) or os.path.islink(other):
                raise StepError(f"{out_rel}: the step exited 0 but did not write {rel}")
        os.replace(made, out)
        for rel, dst in sorted(also.items()):
            os.replace(os.path.join(workdir, rel), dst)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
