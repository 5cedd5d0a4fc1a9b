"""Writing a Kconfig edit (menuconfig, olddefconfig, savedefconfig) back to the user's file.

A kernel_config is a start (a *config target or a defconfig file), fragments applied in
order, and the LTO choice (kernel_config's lto, applied last by the import). After the
edit, what goes back where:

  fragments given   the last fragment gets the difference: each symbol whose value
                    differs between `savedefconfig` of the config without the last
                    fragment (the base) and `savedefconfig` of the edited config, with its
                    edited value. Lines of the fragment are updated in place, new ones
                    appended, lines whose symbol left the config (dependencies unmet)
                    dropped. savedefconfig also drops the fragment's lines that change
                    nothing (minimal fragment); menuconfig and olddefconfig keep them.
  defconfig only    the file becomes `make savedefconfig` of the edited config.
  neither           nothing to write to: add a fragment.

The LTO choice is never written: kernel_config's lto decides it. Pure: text in, text out.
"""

import re

from tools.kbuild_import.config import LTO_CHOICE, parse_config

_ASSIGN = re.compile(r"^(CONFIG_\w+)=(.*)$")
_NOT_SET = re.compile(r"^# (CONFIG_\w+) is not set$")


class KconfigEditError(Exception):
    """One line: what cannot be written back and how to fix it."""


def assignment(sym, value):
    return f"# {sym} is not set" if value == "n" else f"{sym}={value}"


def _symbol(line):
    m = _ASSIGN.match(line) or _NOT_SET.match(line)
    return m.group(1) if m else None


def ordered(text):
    """A .config or defconfig's assignments, in file order (`is not set` -> "n")."""
    return list(parse_config(text).items())


def changes(base_min, edited_min, edited_full, skip=LTO_CHOICE, listed_only=False):
    """Symbol -> edited value of every symbol savedefconfig lists differently.

    Args:
      base_min: savedefconfig text of the config without the last fragment.
      edited_min: savedefconfig text of the edited config.
      edited_full: the edited .config text.
      skip: symbols never written (the LTO choice).
      listed_only: only symbols edited_min lists (savedefconfig: a symbol back at its
        default is usually given by the rest; fixpoint() adds it back when not).

    Returns:
      dict in edited_min's order, then base_min's: only symbols the edited .config has
      (a symbol whose dependencies are unmet cannot be asserted by a fragment).
    """
    base, edited, full = parse_config(base_min), parse_config(edited_min), parse_config(edited_full)
    out = {}
    for sym in list(edited) + ([] if listed_only else list(base)):
        if sym in skip or sym in out or base.get(sym) == edited.get(sym):
            continue
        if sym in full:
            out[sym] = full[sym]
    return out


def merge_fragment(text, diff, edited_full, *, minimal=False, skip=LTO_CHOICE):
    """The fragment rewritten for the edited config.

    Args:
      text: the fragment as it is.
      diff: changes() of the edit.
      edited_full: the edited .config text.
      minimal: drop assignments that are not in diff (savedefconfig).
      skip: symbols whose lines are kept as they are (the LTO choice).

    Returns:
      (new text, list of "CONFIG_X: old -> new" lines describing what changed).
    """
    full = parse_config(edited_full)
    pending = dict(diff)
    lines, report = [], []
    for line in text.splitlines():
        sym = _symbol(line)
        if sym is None or sym in skip:
            lines.append(line)
            continue
        old = parse_config(line)[sym]
        if sym in pending:
            new = pending.pop(sym)
        elif sym not in full:
            report.append(f"{sym}: {old} -> dropped (its dependencies are not met)")
            continue
        elif minimal:
            report.append(f"{sym}: {old} -> dropped (the rest of the config gives it)")
            continue
        else:
            new = full[sym]
        if new != old:
            report.append(f"{sym}: {old} -> {new}")
        lines.append(assignment(sym, new))
    for sym, new in pending.items():
        report.append(f"{sym}: -> {new}")
        lines.append(assignment(sym, new))
    return "".join(l + "\n" for l in lines), report


def defconfig_text(edited_min, old_text, skip=LTO_CHOICE):
    """A defconfig file's new text: savedefconfig of the edited config, with the old
    file's lines for the skipped symbols (the LTO choice) instead of the edit's."""
    new = [l for l in edited_min.splitlines() if _symbol(l) not in skip]
    kept = [l for l in old_text.splitlines() if _symbol(l) in skip]
    return "".join(l + "\n" for l in new + kept)


def missing_assignments(edited_full, got_full, skip=LTO_CHOICE):
    """What a fragment must add so that configuring from it comes closer to edited_full:
    the edited value of each symbol both have with different values. A symbol only one
    of them has appears or goes with its dependencies: the next round sees it."""
    want, got = parse_config(edited_full), parse_config(got_full)
    return {s: v for s, v in want.items() if s not in skip and s in got and got[s] != v}


def mismatches(expected_full, got_full):
    """Symbols whose value differs between two .config texts (sorted; absent = None)."""
    a, b = parse_config(expected_full), parse_config(got_full)
    return [f"{s}: {a.get(s)} vs {b.get(s)}" for s in sorted(set(a) | set(b)) if a.get(s) != b.get(s)]
