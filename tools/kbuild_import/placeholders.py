"""Paths and flags: absolute paths of the two trees and the tools -> placeholders."""

import dataclasses
import functools
import posixpath
import re
from typing import Mapping, Sequence

from tools.kbuild_import.common import KbuildImportError, OBJTREE, RESOURCE_DIR, SRCTREE, TOOL_VARS


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
PATH_OPTS = ("-I", "-isystem", "-iquote", "-idirafter", "-include", "-imacros", "-L", "-T", "--sysroot")
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
        if f in PATH_OPTS:
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


@functools.lru_cache(maxsize=None)
def _root_patterns(roots: Roots) -> list[tuple[re.Pattern, str]]:
    return [(re.compile(re.escape(root.rstrip("/")) + r"(?![\w.+-])"), ph) for root, ph in roots.all()]


@functools.lru_cache(maxsize=1 << 18)
def _replace_roots(s: str, roots: Roots) -> str:
    # Memoized: ~250,000 flags of x86_64 defconfig's 2,715 objects are ~10,000 distinct
    # strings (re.escape + re.sub per root per flag was 20 s of the plan's 32 s).
    for pattern, ph in _root_patterns(roots):
        s = pattern.sub(lambda _m, ph=ph: ph, s)
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
