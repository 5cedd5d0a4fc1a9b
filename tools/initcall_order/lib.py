"""Initcall ordering for Clang LTO links: a port of Linux 6.1's
scripts/generate_initcall_order.pl, same output byte for byte.

Under LTO the order of initcalls inside one `.initcall<level>.init` section is
no longer the link order of the objects that define them, so Kbuild writes a
linker script (`.tmp_initcalls.lds`) listing every initcall's own section in
link order and hands it to the `ld -r` that makes vmlinux.o.

Linux 6.1 Kbuild (scripts/Makefile.vmlinux_o) runs, in the object tree:

    NM=llvm-nm objtree=. python3 scripts/jobserver-exec \\
        perl scripts/generate_initcall_order.pl \\
        vmlinux.a $(KBUILD_VMLINUX_LIBS) > .tmp_initcalls.lds

(arm64: `vmlinux.a arch/arm64/lib/lib.a lib/lib.a`). The script runs
`$NM --defined-only FILE` on each file and reads every
`__initcall__<modname>__<counter>_<line>_<fn><level>` symbol.

The work is split in two so the nm step is separable:

- `run_nm` / `nm_outputs` run llvm-nm (its path is an argument, never looked up
  on PATH) and return (path, output text) pairs;
- `generate_lds` is a pure function from those pairs, in link order, to the
  text of the linker script.

Inputs may be plain objects, archives or thin archives (what Kbuild passes), in
any mix: llvm-nm prints a `member:` header before each archive member, and each
member (or each plain object) is one unit whose initcalls are ordered by
counter. Passing the members of vmlinux.a one by one, in archive order, gives
the same output as passing vmlinux.a.

Where the Perl script goes quietly wrong, this port stops with an error
instead: a missing file, an nm that fails, or an initcall name without a level
(each of these only kills one of the script's worker processes, and the script
still writes a linker script without that file's initcalls); and two
different initcalls with one counter in one unit (the script keeps the last).
"""

import concurrent.futures
import dataclasses
import os
import re
import subprocess
from typing import Iterable, Sequence

# Byte-for-byte equivalents of the Perl regexes. re.ASCII makes \s, \S and \d
# the ASCII classes, as in Perl on undecoded input.
#   my ($path) = $_ =~ /^(.+)\:$/;
_MEMBER_RE = re.compile(r"^(.+)\:$", re.ASCII)
#   /[a-z]\s+__initcall__(\S*)__(\d+)_(\d+)_(.*)$/   (unanchored on the left)
_INITCALL_RE = re.compile(r"[a-z]\s+__initcall__(\S*)__(\d+)_(\d+)_(.*)$", re.ASCII)
#   /^(.*)((early|rootfs|con|[0-9])s?)$/   (greedy: the shortest level suffix)
_LEVEL_RE = re.compile(r"^(.*)((early|rootfs|con|[0-9])s?)$", re.ASCII)

# How nm output is decoded and the linker script encoded: any byte round-trips,
# as it does through the Perl script.
ENCODING = "utf-8"
ERRORS = "surrogateescape"


class InitcallError(Exception):
    """Bad input: the message is one line, `file: what is wrong`."""


@dataclasses.dataclass(frozen=True)
class Initcall:
    """One initcall, as the linker script names it.

    Attributes:
      level: str: `early`, `rootfs`, `con`, `0`..`7` or `0s`..`7s`.
      secname: str: `<modname>__<counter>_<line>_<fn>`, the suffix of the
        initcall's own section `.initcall<level>.init..<secname>`.
    """

    level: str
    secname: str


def _split_lines(text: str) -> list[str]:
    """Splits like Perl's `while (<$fh>) { chomp; ... }`: on "\\n" only."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def _flush(unit: dict[str, tuple[str, Initcall]], out: list[Initcall]) -> None:
    """Appends one unit's initcalls in counter order (Perl's write_results)."""
    for counter in sorted(unit, key=lambda c: (int(c), c)):
        out.append(unit[counter][1])


def parse_nm_output(path: str, text: str) -> list[Initcall]:
    """Returns the initcalls of one file, in the order the linker script wants.

    Args:
      path: the file nm read (an object or an archive); used in messages only.
      text: the output of `llvm-nm --defined-only path`.

    Returns:
      Initcalls unit by unit (the file, or each archive member in archive
      order), each unit's sorted by counter.

    Raises:
      InitcallError: an initcall name with no valid level, or one counter used
        by two different initcalls of one unit.
    """
    out: list[Initcall] = []
    unit: dict[str, tuple[str, Initcall]] = {}
    member = None
    for lineno, line in enumerate(_split_lines(text), start=1):
        m = _MEMBER_RE.match(line)
        if m:
            _flush(unit, out)
            unit = {}
            member = m.group(1)
            continue
        m = _INITCALL_RE.search(line)
        if not m:
            continue
        module, counter, line_no, symbol = m.groups()
        where = f"{path}({member})" if member is not None else path
        name = f"__initcall__{module}__{counter}_{line_no}_{symbol}"
        lm = _LEVEL_RE.match(symbol)
        if not lm:
            raise InitcallError(
                f"{where}: nm output line {lineno}: invalid initcall name {name!r}: "
                "no level suffix (early, rootfs, con or 0-7, then an optional s)"
            )
        function, level = lm.group(1), lm.group(2)
        call = Initcall(level=level, secname=f"{module}__{counter}_{line_no}_{function}")
        seen = unit.get(counter)
        if seen is not None and seen[1] != call:
            raise InitcallError(
                f"{where}: nm output line {lineno}: initcall counter {counter} used twice: "
                f"{seen[0]!r} and {name!r}"
            )
        unit[counter] = (name, call)
    _flush(unit, out)
    return out


def section_name(level: str) -> str:
    """The output section that holds the initcalls of one level."""
    return ".con_initcall.init" if level == "con" else f".initcall{level}.init"


def render_lds(initcalls: Iterable[Initcall]) -> str:
    """Formats initcalls, already in link order, as the linker script text.

    Raises:
      InitcallError: there are no initcalls at all.
    """
    sections: dict[str, list[str]] = {}
    for call in initcalls:
        sections.setdefault(call.level, []).append(call.secname)
    if not sections:
        raise InitcallError("no initcalls in any input: is this a Clang LTO build?")
    parts = ["SECTIONS {\n"]
    for level in sorted(sections):
        section = section_name(level)
        parts.append(f"\t{section} : {{\n")
        parts.extend(f"\t\t*({section}..{secname}) ;\n" for secname in sections[level])
        parts.append("\t}\n")
    parts.append("}\n")
    return "".join(parts)


def generate_lds(nm_outputs: Iterable[tuple[str, str]]) -> str:
    """The linker script for (path, `llvm-nm --defined-only` text) pairs.

    Args:
      nm_outputs: one pair per input file, in link order.

    Returns:
      The exact text generate_initcall_order.pl prints for those files.

    Raises:
      InitcallError: malformed input, or no initcalls at all.
    """
    calls: list[Initcall] = []
    for path, text in nm_outputs:
        calls.extend(parse_nm_output(path, text))
    return render_lds(calls)


def run_nm(nm: str, path: str) -> str:
    """Runs `nm --defined-only path` and returns its output.

    Args:
      nm: path to llvm-nm. Used as given: a bare name is not looked up on PATH.
      path: an object, archive or thin archive.

    Raises:
      InitcallError: the file is missing or nm fails.
    """
    if not os.path.isfile(path):
        raise InitcallError(f"{path}: no such file")
    # A bare name would make subprocess search PATH: make it a path instead.
    argv0 = nm if os.sep in nm else os.path.join(os.curdir, nm)
    try:
        proc = subprocess.run(
            [argv0, "--defined-only", path],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )
    except OSError as e:
        raise InitcallError(f"{path}: cannot run nm {nm}: {e.strerror}") from e
    if proc.returncode != 0:
        err = proc.stderr.decode(ENCODING, "replace").strip().splitlines()
        detail = err[-1] if err else "no message"
        raise InitcallError(f"{path}: {nm} exited with {proc.returncode}: {detail}")
    # stderr ("member.o: no symbols") is ignored, as the Perl script does.
    return proc.stdout.decode(ENCODING, ERRORS)


def nm_outputs(nm: str, paths: Sequence[str], jobs: int = 1) -> list[tuple[str, str]]:
    """Runs nm on each path, up to `jobs` at a time; returns pairs in `paths` order."""
    if jobs <= 1 or len(paths) <= 1:
        return [(p, run_nm(nm, p)) for p in paths]
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(zip(paths, pool.map(lambda p: run_nm(nm, p), paths)))
