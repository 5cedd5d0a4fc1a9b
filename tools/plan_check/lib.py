"""What a Kbuild import was derived from, and whether it still holds.

The import (tools/kbuild_import, a repository rule) reads far more of the source tree
than the compiles do: every Makefile, Kbuild and Kconfig file, the in-tree config
fragments, Kbuild's scripts and the sources of what it builds or generates (objtool,
syscall tables, ...). Bazel 4.2 cannot watch ~5,000 files from a repository rule, so
the import records them instead:

    {"schema": 1,
     "globs": {"include": [...], "exclude": [...]},   # which tree files are recorded
     "tree": {"kernel/Makefile": "<sha256>", ...},    # every tree file the globs match
     "built_from": {"kernel/bounds.c": "<sha256>", ...},  # what the import's own builds
                                                      # read (object-tree .cmd files), by name
     "fragments": ["<sha256>", ...],                  # config fragments, in order
     "tools": {"clang": "<sha256>", "clang_version": "...", "kbuild_import": "<sha256>"},
     "repo": "linux_x86_64_none", "source": "LINUX_SRC" | "tree"}

and the KernelPlanCheck action (plan_check.py) hashes the same globs of @linux (the
glob in @linux's BUILD uses the same patterns) and compares: the first difference is
one line naming the file and the re-import command. Nothing here names an absolute
path: the record is an action input and must be identical on every machine.

The globs are Bazel's (a subset): '/'-separated segments, `**` for any number of
directories, `*` within a segment. tree_files walks a directory as Bazel's glob does:
symlinks followed, directories holding a BUILD or BUILD.bazel file (other packages)
skipped, directories themselves never matched.
"""

import dataclasses
import fnmatch
import functools
import hashlib
import json
import os
import re
from typing import Iterable, Mapping, Sequence

SCHEMA = 1
STAMP = "plan current\n"  # the check's output: the same bytes whatever the plan


class PlanCheckError(Exception):
    """A record that cannot be read or used."""


@functools.lru_cache(maxsize=None)
def _glob_regex(pattern: str) -> re.Pattern:
    segs = pattern.split("/")
    parts = []
    for i, seg in enumerate(segs):
        last = i == len(segs) - 1
        if seg == "**":
            parts.append("(?:[^/]+(?:/[^/]+)*)?" if last else "(?:[^/]+/)*")
        else:
            parts.append("".join("[^/]*" if c == "*" else "[^/]" if c == "?" else re.escape(c) for c in seg)
                         + ("" if last else "/"))
    return re.compile("".join(parts))


def glob_match(path: str, pattern: str) -> bool:
    """Does the tree-relative file `path` match the Bazel glob `pattern`?"""
    return _glob_regex(pattern).fullmatch(path) is not None


@functools.lru_cache(maxsize=None)
def _any_regex(patterns: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(f"(?:{_glob_regex(p).pattern})" for p in patterns) or "(?!)")


def matches(path: str, include: Sequence[str], exclude: Sequence[str] = ()) -> bool:
    return (_any_regex(tuple(include)).fullmatch(path) is not None
            and _any_regex(tuple(exclude)).fullmatch(path) is None)


def _may_match_below(dir_path: str, patterns: Sequence[str]) -> bool:
    """Can a file below the directory `dir_path` match one of `patterns`? (A prune.)"""
    segs = dir_path.split("/")
    for p in patterns:
        pat = p.split("/")
        for i, s in enumerate(segs):
            if i < len(pat) and pat[i] == "**":
                return True
            if i >= len(pat) - 1 or not fnmatch.fnmatchcase(s, pat[i]):
                break
        else:
            return True
    return False


def _excluded_dir(dir_path: str, exclude: Sequence[str]) -> bool:
    """Is every file below `dir_path` excluded (an exclude pattern `DIR/**` covers it)?"""
    return any(p.endswith("/**") and glob_match(dir_path, p[:-3]) for p in exclude)


def tree_files(root: str, include: Sequence[str], exclude: Sequence[str] = ()) -> list[str]:
    """The files below `root` that Bazel's glob(include, exclude) in a BUILD at `root` lists."""
    out = []
    real_root = os.path.realpath(root)
    stack = [("", (real_root,))]
    while stack:
        rel, ancestors = stack.pop()
        full = os.path.join(root, rel) if rel else root
        try:
            entries = sorted(os.scandir(full), key=lambda e: e.name)
        except OSError as e:
            raise PlanCheckError(f"{rel or '.'}: cannot list: {e.strerror}") from None
        names = {e.name for e in entries if e.name in ("BUILD", "BUILD.bazel") and e.is_file(follow_symlinks=True)}
        if rel and names:
            continue  # another package: Bazel's glob stops here
        for e in entries:
            child = f"{rel}/{e.name}" if rel else e.name
            if e.is_dir(follow_symlinks=True):
                real = os.path.realpath(e.path)
                if real in ancestors:
                    raise PlanCheckError(f"{child}: a symlink cycle")
                if _may_match_below(child, include) and not _excluded_dir(child, exclude):
                    stack.append((child, ancestors + (real,)))
            elif e.is_file(follow_symlinks=True) and matches(child, include, exclude):
                out.append(child)
    return sorted(out)


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def hash_files(root: str, rels: Iterable[str]) -> dict[str, str]:
    return {rel: sha256_file(os.path.join(root, rel)) for rel in rels}


def source_paths(cmd_text: str, src: str) -> set[str]:
    """Tree-relative paths of the files below the directory `src` that a Kbuild .cmd
    file's text names (its command and fixdep's dependency list). Directories (-I) and
    missing files are the caller's to drop."""
    out = set()
    for m in re.finditer(re.escape(src.rstrip("/") + "/") + r"""([^\s'"\\;:,()=|<>]+)""", cmd_text):
        rel = os.path.normpath(m.group(1))
        if not rel.startswith("../") and rel not in (".", ".."):
            out.add(rel)
    return out


def record(*, tree: Mapping[str, str], built_from: Mapping[str, str], include: Sequence[str], exclude: Sequence[str],
           fragments: Sequence[str], tools: Mapping[str, str], repo: str, source: str) -> dict:
    """The import's record (see the module doc)."""
    return {
        "schema": SCHEMA,
        "globs": {"include": list(include), "exclude": list(exclude)},
        "tree": dict(sorted(tree.items())),
        "built_from": dict(sorted(built_from.items())),
        "fragments": list(fragments),
        "tools": dict(sorted(tools.items())),
        "repo": repo,
        "source": source,
    }


def dump(rec: Mapping) -> str:
    return json.dumps(rec, sort_keys=True, indent=1) + "\n"


def load(name: str, text: str) -> dict:
    try:
        rec = json.loads(text)
    except ValueError as e:
        raise PlanCheckError(f"{name}: not JSON ({e})") from None
    if not isinstance(rec, dict) or rec.get("schema") != SCHEMA:
        raise PlanCheckError(f"{name}: not a schema {SCHEMA} import record")
    for key, kind in [("globs", dict), ("tree", dict), ("built_from", dict), ("fragments", list), ("tools", dict),
                      ("repo", str), ("source", str)]:
        if not isinstance(rec.get(key), kind):
            raise PlanCheckError(f"{name}: no {key!r} ({kind.__name__})")
    return rec


@dataclasses.dataclass(frozen=True)
class Stale:
    """The first difference between the record and the build's files."""

    what: str   # "changed", "added", "removed", or a sentence for non-file differences
    where: str  # the tree-relative file, a fragment's path, or a tool


def compare(rec: Mapping, *, tree: Mapping[str, str], built_from: Mapping[str, str], include: Sequence[str], exclude: Sequence[str],
            fragments: Sequence[tuple[str, str]], tools: Mapping[str, str]) -> Stale | None:
    """The first difference between the record `rec` and what the build has, or None.

    tree: tree-relative path -> sha256 of every file the build's glob lists;
    built_from: the same for the files of rec["built_from"] (the build names them);
    include/exclude: that glob; fragments: (path, sha256) in the import's order;
    tools: name -> identity, for the tools the build can check (a subset of rec's).
    Tree files come first (sorted: the first changed, added or removed), then the files
    the import's builds read, fragments, tools.
    """
    if list(rec["globs"].get("include", [])) != list(include) or list(rec["globs"].get("exclude", [])) != list(exclude):
        return Stale("the rules watch other files than the import recorded", "the import's file patterns")
    old = rec["tree"]
    for path in sorted(set(old) | set(tree)):
        if path not in tree:
            return Stale("removed", path)
        if path not in old:
            return Stale("added", path)
        if old[path] != tree[path]:
            return Stale("changed", path)
    for path, sha in sorted(rec["built_from"].items()):
        if path not in built_from:
            return Stale("removed", path)
        if built_from[path] != sha:
            return Stale("changed", path)
    recorded = rec["fragments"]
    for i, (path, sha) in enumerate(fragments):
        if i >= len(recorded):
            return Stale("added", path)
        if recorded[i] != sha:
            return Stale("changed", path)
    if len(recorded) > len(fragments):
        return Stale("removed", f"config fragment {len(fragments) + 1}")
    for name, ident in sorted(tools.items()):
        if rec["tools"].get(name) != ident:
            return Stale("changed", f"the toolchain's {name}")
    return None


def reimport_command(repo: str, source: str) -> str:
    """The command that re-runs the import of `repo` (Bazel 4.2.3)."""
    cmd = f"./bazel sync --only={repo}"
    if source == "LINUX_SRC":
        # `sync` reads no `build` options: the tree must be named again, or the import
        # would run on another tree (and the next build would re-import once more).
        cmd += " --repo_env=LINUX_SRC=<your tree>"
    return cmd


def error_line(stale: Stale, rec: Mapping) -> str:
    """One line: what changed, and the command that re-imports."""
    if stale.what in ("changed", "added", "removed"):
        what = f"{stale.where}: {stale.what} since @{rec['repo']} was imported"
    else:
        what = f"{stale.where}: {stale.what}"
    return f"plan_check: {what}; the plan is stale, re-import: {reimport_command(rec['repo'], rec['source'])}"
