"""Path freedom: no absolute path of the machine reaches a file an action can read.

The import runs Kbuild in absolute directories (the source tree, the object tree, the
hermetic toolchain: all under Bazel's output base, whose path differs per user and
machine). Three things keep those paths out of what actions read:

- host programs (objtool, kconfig's conf, kallsyms, ...) are compiled with
  `-ffile-prefix-map=OLD=NEW` for every --prefix_map (debug info, __FILE__), through
  HOSTCC itself so every host program Kbuild builds gets it (host_cc);
- generated text (e.g. consolemap_deftbl.c's `conmakehash <path>` comment) is rewritten
  to Kbuild's in-tree form: the source and object trees become relative (relativize);
- a final scan (find_absolute) fails the import naming the first listed file that still
  contains one of those paths, so a new generator or host program cannot regress it.
"""

import os
from typing import Iterable, Mapping, Sequence

# Generated files whose text may be rewritten (sources, headers, scripts, data tables).
TEXT_SUFFIXES = (".c", ".h", ".S", ".s", ".lds", ".txt")


class PrefixMap:
    """OLD=NEW pairs, OLD an absolute directory ending in '/'."""

    def __init__(self, pairs: Sequence[tuple[str, str]]):
        for old, _ in pairs:
            if not old.startswith("/") or not old.endswith("/"):
                raise ValueError(f"--prefix_map: {old!r} must be an absolute directory ending in '/'")
        self.pairs = tuple(pairs)

    @classmethod
    def parse(cls, specs: Iterable[str]) -> "PrefixMap":
        pairs = []
        for spec in specs:
            old, sep, new = spec.partition("=")
            if not sep:
                raise ValueError(f"--prefix_map: {spec!r} is not OLD=NEW")
            pairs.append((old, new))
        return cls(pairs)

    def cc_flags(self) -> list[str]:
        """clang flags mapping every OLD (file paths, debug info, __FILE__)."""
        return [f"-ffile-prefix-map={old}={new}" for old, new in self.pairs]


def host_cc(hostcc: str, prefix_map: PrefixMap) -> str:
    """HOSTCC with the prefix maps appended (a shell word list, as Kbuild takes it)."""
    flags = prefix_map.cc_flags()
    return " ".join([hostcc, *flags]) if flags else hostcc


def relativize(data: bytes, trees: Sequence[str], prefix_map: PrefixMap) -> bytes:
    """`TREE/x` -> `x` for each tree (Kbuild's in-tree form), then each OLD -> NEW."""
    for tree in sorted(set(trees), key=len, reverse=True):
        data = data.replace(tree.rstrip("/").encode() + b"/", b"")
    for old, new in prefix_map.pairs:
        data = data.replace(old.encode(), new.encode())
    return data


def forbidden(trees: Sequence[str], prefix_map: PrefixMap) -> list[str]:
    """The absolute paths no listed file may contain: the trees (as given and resolved)
    and every prefix-map OLD, longest first, without trailing '/'."""
    out = set()
    for p in list(trees) + [old for old, _ in prefix_map.pairs]:
        p = p.rstrip("/")
        if p:
            out.add(p)
            out.add(os.path.realpath(p))
    return sorted(out, key=lambda p: (-len(p), p))


def find_absolute(files: Mapping[str, bytes], paths: Sequence[str]) -> tuple[str, str, str] | None:
    """The first (file, path, context) where a file's bytes contain one of paths, else None.
    context is the printable text around the hit (up to 120 chars)."""
    needles = [(p, p.encode()) for p in paths]
    for name in sorted(files):
        data = files[name]
        for p, b in needles:
            i = data.find(b)
            if i >= 0:
                lo = data.rfind(b"\0", max(0, i - 60), i) + 1 or max(0, i - 60)
                hi = data.find(b"\0", i, i + 120)
                hi = hi if hi >= 0 else min(len(data), i + 120)
                ctx = data[lo:hi].decode("utf-8", "replace").replace("\n", "\\n")
                return name, p, ctx
    return None


def error_line(hit: tuple[str, str, str]) -> str:
    name, path, ctx = hit
    return (f"{name}: contains the absolute path {path} ({ctx!r}); it would make every action reading it "
            f"miss the cache on other machines (host programs: HOSTCC -ffile-prefix-map; generated text: "
            f"tools/kbuild_import/paths.py)")
