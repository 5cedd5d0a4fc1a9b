"""Config fragments, read strictly: every line is an assignment Kconfig reads, or an error.

Kconfig (scripts/kconfig/confdata.c) skips what it cannot read with at most a warning:
`CONFIG_PRINTK = y` (the name would be "CONFIG_PRINTK "), a stray word, a symbol that does
not exist. A fragment is the user's statement of what the kernel must have, so here each
of those is one error naming the file and line, before any make step runs. Pure: text in,
data or KbuildConfigError out.

A fragment line is one of:
    (blank)
    # a comment                      (including Kconfig's `# CONFIG_FOO is not set`: n)
    CONFIG_FOO=y | n | m | 123 | 0x1f | "a string"
"""

import re
from typing import Iterable, Mapping, Sequence

from tools.kbuild_import.common import KbuildConfigError

_ASSIGN = re.compile(r"^(CONFIG_[A-Za-z0-9_]+)=(.*)$")
_NOT_SET = re.compile(r"^# (CONFIG_[A-Za-z0-9_]+) is not set$")
_VALUE = re.compile(r'^(?:[ynm]|-?[0-9]+|0[xX][0-9a-fA-F]+|"(?:[^"\\]|\\.)*")$')
_SPACED = re.compile(r"^\s*(CONFIG_[A-Za-z0-9_]+)\s*=\s*(.*?)\s*$")
_KCONFIG_SYMBOL = re.compile(r"^[ \t]*(?:menu)?config[ \t]+([A-Za-z0-9_]+)[ \t]*$", re.M)


def _undecodable(line: str) -> str | None:
    """The first byte read with surrogateescape (not UTF-8), as 0xNN, or None."""
    for ch in line:
        if "\udc80" <= ch <= "\udcff":
            return f"0x{ord(ch) - 0xdc00:02x}"
    return None


def parse_fragment(name: str, text: str) -> list[tuple[int, str, str]]:
    """(line number, CONFIG_SYM, value) of each assignment; `is not set` gives "n".

    Raises KbuildConfigError, `NAME:LINE: ...`, for a line Kconfig would not read as
    written, a non-UTF-8 byte anywhere (comments too), and a symbol assigned two different
    values in the same fragment.
    """
    out: list[tuple[int, str, str]] = []
    seen: dict[str, tuple[int, str]] = {}
    for lineno, line in enumerate(text.split("\n"), 1):
        where = f"{name}:{lineno}"
        bad = _undecodable(line)
        if bad:
            raise KbuildConfigError(f"{where}: byte {bad} is not UTF-8; a fragment is text (Kconfig assignments)")
        if line.endswith("\r"):
            raise KbuildConfigError(f"{where}: ends in a carriage return (CRLF line ends); save the fragment with LF line ends")
        m = _NOT_SET.match(line)
        if m:
            sym, value = m.group(1), "n"
        elif not line.strip() or line.lstrip().startswith("#"):
            continue
        else:
            m = _ASSIGN.match(line)
            if not m:
                s = _SPACED.match(line)
                if s:
                    raise KbuildConfigError(f"{where}: {line.strip()!r} is not an assignment Kconfig reads; "
                                            f"write {s.group(1)}={s.group(2)} (no spaces)")
                raise KbuildConfigError(f"{where}: {line.strip()[:60]!r} is not a Kconfig assignment; "
                                        "a fragment has CONFIG_FOO=value, # CONFIG_FOO is not set, comments and blank lines")
            sym, value = m.group(1), m.group(2)
            if not _VALUE.match(value):
                hint = " (trailing whitespace)" if value != value.rstrip() else (" (quote strings: \"...\")" if value else "")
                raise KbuildConfigError(f"{where}: {sym}={value!r}: not a Kconfig value{hint}; use y, n, m, a number, 0x hex or \"a string\"")
        if sym in seen and seen[sym][1] != value:
            raise KbuildConfigError(f"{where}: {sym}={value} contradicts {name}:{seen[sym][0]} ({sym}={seen[sym][1]})")
        seen[sym] = (lineno, value)
        out.append((lineno, sym, value))
    return out


def effective(fragments: Sequence[tuple[str, str]]) -> dict[str, tuple[str, int, str]]:
    """CONFIG_SYM -> (fragment name, line, value) of the assignment that wins: the last one.

    Fragments overlay each other in order (as scripts/kconfig/merge_config.sh), so an
    earlier fragment's value that a later one overrides is not a requirement.
    """
    out: dict[str, tuple[str, int, str]] = {}
    for name, text in fragments:
        for lineno, sym, value in parse_fragment(name, text):
            out[sym] = (name, lineno, value)
    return out


def kconfig_symbols(kconfig_texts: Iterable[str]) -> set[str]:
    """CONFIG_ names declared (`config FOO` / `menuconfig FOO`) in the given Kconfig texts."""
    found: set[str] = set()
    for text in kconfig_texts:
        found.update("CONFIG_" + m for m in _KCONFIG_SYMBOL.findall(text))
    return found


def unmet(wanted: Mapping[str, tuple[str, int, str]], config: Mapping[str, str], declared: set[str] | None,
          ignore: Iterable[str] = ()) -> list[str]:
    """One message per winning assignment the final .config does not have, in file order.

    declared: the symbols the tree's Kconfig files declare (None: not known), to tell a
    symbol that does not exist from one whose dependencies are not met.
    """
    ignore = set(ignore)
    problems = []
    for sym, (name, lineno, value) in sorted(wanted.items(), key=lambda kv: (kv[1][0], kv[1][1])):
        if sym in ignore:
            continue
        got = config.get(sym)
        if got == value or (got is None and value == "n"):
            continue
        where = f"{name}:{lineno}: {sym}={value}"
        if got is None and declared is not None and sym not in declared:
            problems.append(f"{where}: no such symbol in this kernel's Kconfig files (a typo, or another kernel version?)")
        elif got is None:
            problems.append(f"{where} requested, but the .config does not have {sym}: its dependencies are not met")
        else:
            problems.append(f"{where} requested, .config has {sym}={got}")
    return problems
