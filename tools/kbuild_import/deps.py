"""Dependencies: make-style depfiles, their classification, `.incbin`s."""

import dataclasses
import functools
import re
from typing import Callable, Iterable, Sequence

from tools.kbuild_import.common import KbuildImportError
from tools.kbuild_import.placeholders import Roots, placeholder_path, split_placeholder


def missing_sources(compiles: Sequence, exists: Callable[[str], bool]) -> list[str]:
    """One line naming the first compile whose source does not exist (and how many), or
    []. Run before the header scan: clang-scan-deps reports a missing source only after
    scanning everything (arm64 defconfig: 15 min)."""
    missing = [c for c in compiles if not exists(c.src)]
    if not missing:
        return []
    return [f"{missing[0].out}: its source {missing[0].src} does not exist after the import's make: no step "
            f"of the dry run made it ({len(missing)} such sources)"]


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


def scan_deps_result(result: dict, compile_of: Callable[[str], object]) -> dict[str, list[str]]:
    """clang-scan-deps `-format experimental-full` output -> {compile's out: its file deps,
    in the scanner's order, each once}. compile_of maps a unit's input file to its compile
    (with an `out`), or None for an input that was not asked for (an error)."""
    # A dict keeps insertion order: a list's `in` made this quadratic (~570 headers per
    # object: ~10 s of CPU for x86_64 defconfig's 2,715 objects).
    seen: dict[str, dict[str, None]] = {}
    for tu in result.get("translation-units", []):
        for cmd in tu.get("commands", []):
            c = compile_of(cmd.get("input-file", ""))
            if c is None:
                raise KbuildImportError(f"clang-scan-deps: unknown input {cmd.get('input-file')}")
            seen.setdefault(c.out, {}).update(dict.fromkeys(cmd.get("file-deps", [])))
    return {out: list(deps) for out, deps in seen.items()}


@dataclasses.dataclass(frozen=True)
class Deps:
    hdrs: tuple[str, ...]
    gen_inputs: tuple[str, ...]
    build_inputs: tuple[str, ...]
    toolchain_hdrs: tuple[str, ...]


@functools.lru_cache(maxsize=1 << 16)
def _classified(path: str, roots: Roots) -> tuple[str, str, str]:
    ph = placeholder_path(path, roots)
    return (ph, *split_placeholder(ph))


def traversed_dirs(path: str) -> list[str]:
    """The directories a path walks up from: `a/b/dpu1/../../x.h` -> [`a/b/dpu1`].

    The kernel resolves `..` physically, so each must exist as a directory: an `#include
    "../../drm_crtc_internal.h"` found through `-I .../msm/disp/dpu1` needs dpu1/ in the
    sandbox even when the object reads no file in it (arm64 defconfig's msm_drv.o)."""
    if ".." not in path:
        return []
    parts = path.split("/")
    return ["/".join(parts[:i]) or "/" for i in range(1, len(parts))
            if parts[i] == ".." and parts[i - 1] not in ("..", ".", "")]


def classify_deps(
    where: str,
    paths: Iterable[str],
    roots: Roots,
    prepare_files: Iterable[str] | set,
    build_files: Iterable[str] | set,
    skip: Iterable[str] = (),
    anchor: Callable[[str], str | None] | None = None,
) -> Deps:
    """Dependency paths (as the preprocessor printed them, cwd = objtree) -> Deps.

    srctree files -> hdrs; objtree files -> gen_inputs if prepare made them, build_inputs
    if a build step did (anything else is an error); resource-dir files ->
    toolchain_hdrs. skip: placeholder paths to leave out (the source itself).
    anchor: srctree directory -> a file in it (or None). A source-tree directory that a
    path walks up from (traversed_dirs) and that holds none of the object's files gets that
    file among hdrs, so the directory exists where the compile runs (a sandbox holds only
    its inputs); none in it -> an error naming the directory.
    """
    # Membership only: a set or a dict is used as given (copying the object tree's listing
    # for each of 2,700 objects was a third of classify's time).
    prepare_files = prepare_files if isinstance(prepare_files, (set, frozenset, dict)) else set(prepare_files)
    build_files = build_files if isinstance(build_files, (set, frozenset, dict)) else set(build_files)
    skip = set(skip)
    hdrs, gen, build, tc = set(), set(), set(), set()
    walked: set[str] = set()
    for p in paths:
        if anchor is not None and ".." in p:
            walked.update(traversed_dirs(p))
        ph, root, rel = _classified(p, roots)
        if ph in skip:
            continue
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
    for d in sorted(walked):
        _, root, rel = _classified(d, roots)
        if root != "srctree":
            continue  # the object tree's directories: made by prepare, listed whole
        have = [h for h in (*hdrs, *(split_placeholder(x)[1] for x in skip)) if h.startswith(rel + "/")]
        if not have:
            a = anchor(rel)
            if a is None:
                raise KbuildImportError(f"{where}: an #include walks up from {rel}/, a directory without files")
            hdrs.add(a)
    return Deps(tuple(sorted(hdrs)), tuple(sorted(gen)), tuple(sorted(build)), tuple(sorted(tc)))


_INCBIN_RE = re.compile(r"\.incbin\s+(\\?\")?([^\"\\\s]*)")


def find_incbins(where: str, text: str) -> list[str]:
    """Operands of `.incbin` in a .S or .c source (C comments skipped), as written."""
    if ".incbin" not in text:  # nearly every source: skip the comment stripping
        return []
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    out = []
    for m in _INCBIN_RE.finditer(text):
        if not m.group(1):
            raise KbuildImportError(f"{where}: .incbin {m.group(2)}: only a quoted file name is supported")
        if m.group(2) not in out:
            out.append(m.group(2))
    return out
