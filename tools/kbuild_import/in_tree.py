"""Comparison with an in-tree Kbuild build (check_plan.py)."""

import posixpath
from typing import Sequence

from tools.kbuild_import.placeholders import PATH_OPTS


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
        if t in PATH_OPTS and i + 1 < len(toks):
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
