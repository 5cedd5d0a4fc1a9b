"""KernelIncludeScan's logic: which objects' header sets an edit may have changed, and the
headers each one now reads beyond its recorded set (issue 16 part 0, docs/header-sets.md).

The import records, per source and header some object reads, the sha256 of its preprocessor
directive lines (`directive_record`). The action hashes them again; an object whose source
or recorded headers changed them (`changed_files`, `entries_to_rescan`) is scanned again with
the whole tree visible, and the files it now reads outside its recorded set (`extra_files`)
are copied into its own directory, which its compile searches right after each `-I` dir.
Every other object's directory stays empty, so its compile's key does not change.
"""

import hashlib
import os
import re
from typing import Callable, Iterable, Mapping, Sequence

from tools.common.config_words import config_words  # noqa: F401 (lib.config_words)

RECORD_SCHEMA = 2

# A preprocessor directive and its continuation lines. Every directive counts (not only
# #include/#if: a #define can name the header a computed #include reads); a body-only edit
# of a header changes none of them and rescans nothing.
_DIRECTIVE = re.compile(rb"^[ \t]*#(?:[^\n]*\\\r?\n)*[^\n]*", re.M)


def directive_hash(data: bytes) -> str:
    """sha256 of the directive lines of a source or header (each stripped, in order) and of
    the CONFIG_ symbols it mentions anywhere (a new `IS_ENABLED(CONFIG_X)` in code must reach
    the object's autoconf.h slice)."""
    h = hashlib.sha256()
    for m in _DIRECTIVE.finditer(data):
        h.update(b" ".join(m.group(0).split()))
        h.update(b"\n")
    h.update(b"\0")
    for w in sorted(config_words(data)):
        h.update(w.encode() + b"\n")
    return h.hexdigest()


def directive_record(paths: Iterable[str], read: Callable[[str], bytes | None]) -> dict:
    """{"schema", "files": {path: directive hash}} for PATHS (tree-relative); read(path)
    returns the file's bytes, or None for a file that does not exist (left out)."""
    files = {}
    for p in sorted(set(paths)):
        data = read(p)
        if data is not None:
            files[p] = directive_hash(data)
    return {"schema": RECORD_SCHEMA, "files": files}


def changed_files(record: Mapping, read: Callable[[str], bytes | None]) -> set[str]:
    """The recorded files whose directive lines differ now (or that no longer exist)."""
    if record.get("schema") != RECORD_SCHEMA:
        raise ValueError(f"directive record schema {record.get('schema')}, expected {RECORD_SCHEMA}: re-import")
    out = set()
    for p, want in record["files"].items():
        data = read(p)
        if data is None or directive_hash(data) != want:
            out.add(p)
    return out


def entries_to_rescan(bplan: Mapping, outs: Iterable[str], changed: set[str]) -> list[str]:
    """The entries of OUTS (in the plan's order) whose source or recorded headers are among
    CHANGED. By interned node: a node reads a changed file if its own paths or its parent's
    do (nodes follow their parents), so each node is looked at once, not each object's ~500
    headers."""
    if not changed:
        return []
    table = bplan["interned"]["hdrs"]
    hit = []
    for parent, indices in table["nodes"]:
        hit.append((parent >= 0 and hit[parent]) or any(table["paths"][i] in changed for i in indices))
    want = set(outs)
    return [e["out"] for e in entries(bplan) if e["out"] in want and (
        (e["src_root"] == "srctree" and e["src"] in changed) or (e.get("hdrs", -1) >= 0 and hit[e["hdrs"]]))]


def stale_shared(rescan: Sequence[str], shared: Iterable[str]) -> list[str]:
    """The entries to rescan that a config variant takes from its base config: the base
    compiles them with the base's config and header set after the edit, so the import-time
    share keys no longer vouch for them (kernel_objects share_from)."""
    shared = set(shared)
    return [out for out in rescan if out in shared]


def include_dirs(flags: Sequence[str]) -> list[str]:
    """The -I directories of a compile's flags, in order (`-Idir` and `-I dir`)."""
    out = []
    for i, f in enumerate(flags):
        if f == "-I" and i + 1 < len(flags):
            out.append(flags[i + 1])
        elif f.startswith("-I") and f != "-I":
            out.append(f[2:])
    return [os.path.normpath(d) for d in out]


def normalize(path: str, cwd: str) -> str:
    """A path the scanner printed -> relative to the exec root (cwd), without `..`."""
    if os.path.isabs(path):
        cwd = cwd.rstrip("/") + "/"
        if not path.startswith(cwd):
            return os.path.normpath(path)
        path = path[len(cwd):]
    return os.path.normpath(path)


def extra_files(deps: Iterable[str], known: set[str], roots: Sequence[str], dirs: Sequence[str]) -> tuple[list[str], list[str]]:
    """(copy, unreachable): the files of DEPS (exec-root relative) below one of ROOTS that are
    not in KNOWN (what the compile already declares). copy: below one of the -I DIRS, so its
    compile finds the copy through `-I<its dir>/<d>`; unreachable: read some other way (e.g.
    `#include "x.h"` next to a header outside the -I dirs): not copied, so the compile fails
    with the one line that names the re-import."""
    copy, unreachable = [], []
    prefixes = tuple(r.rstrip("/") + "/" for r in roots)
    dir_prefixes = tuple(d.rstrip("/") + "/" for d in dirs)
    for d in deps:
        if d in known or not d.startswith(prefixes):
            continue
        (copy if d.startswith(dir_prefixes) else unreachable).append(d)
    return sorted(set(copy)), sorted(set(unreachable))


def interned_list(table: Mapping, node: int) -> list[str]:
    """The paths of one node of an interned list table (tools/kbuild_import/intern.py)."""
    out = []
    while node >= 0:
        parent, indices = table["nodes"][node]
        out.extend(table["paths"][i] for i in indices)
        node = parent
    return out


def substitute(flag: str, roots: Mapping[str, str]) -> str:
    for placeholder, value in roots.items():
        flag = flag.replace(placeholder, value)
    return flag


def entry_flags(bplan: Mapping, entry: Mapping, roots: Mapping[str, str]) -> list[str]:
    """An entry's compile flags as kernel_objects.bzl's _entry_flags gives them (substituted)."""
    flags = [substitute(f, roots) for f in bplan["interned"]["flags"][entry["flags"]]]
    for i, f in entry["own_flags"]:
        flags.insert(i, substitute(f, roots))
    return flags


def entries(bplan: Mapping) -> list[Mapping]:
    """Every entry kernel_objects compiles: the objects, then the linker scripts."""
    out = list(bplan["objects"]) + [bplan["link"]["lds"]]
    if bplan.get("modules"):
        out.append(bplan["modules"]["lds"])
    for final in sorted(bplan.get("partial_links", {})):
        out.extend(bplan["partial_links"][final]["lds"])
    return out


def entry_files(bplan: Mapping, entry: Mapping, srctree: str, objtree: str,
                source: str | None = None) -> tuple[str, set[str]]:
    """(source, known): an entry's source and every file its compile declares, as exec paths
    (SOURCE: where an action made the entry's source, instead of the object tree)."""
    src = source or os.path.join(srctree if entry["src_root"] == "srctree" else objtree, entry["src"])
    known = {src}
    if entry.get("hdrs", -1) >= 0:
        known.update(os.path.join(srctree, h) for h in interned_list(bplan["interned"]["hdrs"], entry["hdrs"]))
    if entry.get("gen_inputs", -1) >= 0:
        known.update(os.path.join(objtree, h) for h in interned_list(bplan["interned"]["gen_inputs"], entry["gen_inputs"]))
    known.update(os.path.join(objtree, h) for h in list(entry.get("build_inputs", [])) + list(entry.get("incbin", [])))
    return src, known


def outside_footprint(files: Iterable[str], footprint: set[str], read: Callable[[str], bytes | None]) -> list[str]:
    """The CONFIG_ symbols FILES mention that FOOTPRINT (the object's slice) lacks, sorted."""
    out = set()
    for f in files:
        data = read(f)
        if data is not None:
            out |= config_words(data) - footprint
    return sorted(out)


def prefix_map_flags(flags: Sequence[str], extra_dir: str) -> list[str]:
    """Flags that keep __FILE__ (and debug info's file names) of a header read from EXTRA_DIR
    what they are for the same header at its own place: EXTRA_DIR/ -> '', then each
    -fmacro-prefix-map/-ffile-prefix-map/-fdebug-prefix-map A=B again for EXTRA_DIR/A.
    (clang tries macro maps longest prefix first, debug maps last given first.)
    kernel_objects.bzl mirrors this."""
    out = ["-ffile-prefix-map={}/=".format(extra_dir)]
    for f in flags:
        for kind in ("-fmacro-prefix-map=", "-ffile-prefix-map=", "-fdebug-prefix-map="):
            if f.startswith(kind):
                out.append(kind + extra_dir + "/" + f[len(kind):])
    return out
