"""Config slices: autoconf.h cut down to the symbols of one object's config footprint.

tools/kbuild_import/footprint.py records, per object, the CONFIG_ symbols its source and
headers mention (as Kbuild's fixdep does), interned as a prefix tree. A slice holds the
`#define CONFIG_<S> ...` and `#define CONFIG_<S>_MODULE 1` lines of autoconf.h for each
symbol S of a set, in autoconf.h's order and bytes. An object preprocessed with its slice
gives the same output as with the full autoconf.h (tests/config_slice checks it), and its
action key changes only when one of its symbols does.
"""

import re

from tools.common.config_words import config_words  # noqa: F401 (lib.config_words: config_slice.py)

_DEFINE = "#define CONFIG_"


class SliceError(Exception):
    """A bad input (the message names the file and what is wrong)."""


def expand(table, node):
    """The symbols of a node of intern_lists' table (its ancestors' included); -1: none."""
    out = []
    seen = set()
    while node >= 0:
        if node in seen or node >= len(table["nodes"]):
            raise SliceError(f"config table: node {node} does not exist or loops; re-import")
        seen.add(node)
        parent, indices = table["nodes"][node]
        out += [table["paths"][i] for i in indices]
        node = parent
    return out


def defines(autoconf, name="autoconf.h"):
    """[(symbol without CONFIG_ and _MODULE, line)] of autoconf.h's text, in its order.

    Only `#define CONFIG_` lines are kept (autoconf.h has nothing else but its comment).
    """
    out = []
    for n, line in enumerate(autoconf.splitlines(keepends=True), 1):
        if not line.startswith(_DEFINE):
            continue
        words = line[len(_DEFINE):].split(None, 1)
        if not words:
            raise SliceError(f"{name}:{n}: `#define CONFIG_` without a name; regenerate it (olddefconfig)")
        sym = words[0]
        out.append((sym, line if line.endswith("\n") else line + "\n"))
    if not out:
        # Every Kconfig run defines some (CONFIG_CC_VERSION_TEXT at least): an empty or
        # truncated file would give every object an empty slice, silently.
        raise SliceError(f"{name}: no `#define CONFIG_` line (empty or not autoconf.h); regenerate it (olddefconfig)")
    return out


def preamble(autoconf):
    """autoconf.h's text before its first `#define CONFIG_` line (Kconfig's comment). A
    --scan_out slice starts with it: the vDSO's linker script is preprocessed with -C, which
    keeps comments, so vdso.lds stays byte-identical to one made with the whole file."""
    out = []
    for line in autoconf.splitlines(keepends=True):
        if line.startswith(_DEFINE):
            break
        out.append(line)
    return "".join(out)


def slice_text(lines, symbols):
    """The lines of defines() whose symbol is S or S_MODULE for S in symbols (str)."""
    want = set(symbols)
    out = []
    for sym, line in lines:
        base = sym[:-len("_MODULE")] if sym.endswith("_MODULE") else sym
        if sym in want or base in want:
            out.append(line)
    return "".join(out)


def pad(text, size):
    """text padded with newlines to `size` bytes (UTF-8), for --pad: clang numbers source
    locations by byte offset across the files of a translation unit, and ThinLTO bitcode
    records them (inline asm's !srcloc), so its module hash and the `.llvm.<hash>` names
    of promoted locals depend on autoconf.h's size. A slice of the full size keeps the
    bitcode identical to a compile that reads the whole autoconf.h (--//:config_slices=exact,
    which also leaves out the srcloc plugin that otherwise takes the offsets out)."""
    n = size - len(text.encode())
    if n < 0:
        raise SliceError(f"a slice of {len(text.encode())} bytes is longer than autoconf.h ({size}); this is a bug")
    return text + "\n" * n


def parse_slice_flag(value):
    """`NODE:PATH` -> (int node, path)."""
    node, sep, path = value.partition(":")
    try:
        n = int(node)
    except ValueError:
        n = None
    if not sep or not path or n is None or n < -1:
        raise SliceError(f"--slice={value}: expected NODE:PATH (NODE an integer >= -1)")
    return n, path


_FIXDEP_CONFIG = re.compile(r"include/config/([A-Za-z0-9_]+)")


def fixdep_symbols(text):
    """The symbols of Kbuild's fixdep output (`$(wildcard include/config/<S>)` lines)."""
    return set(_FIXDEP_CONFIG.findall(text))


def missing_message(name, missing):
    shown = ", ".join("CONFIG_" + s for s in sorted(missing)[:5])
    return (f"{name}: Kbuild's fixdep makes it depend on {len(missing)} config symbol(s) its footprint lacks "
            f"({shown}): a toggle Kbuild recompiles it for would not recompile it here "
            "(tools/kbuild_import/footprint.py); re-import, and report it if it persists")


def first_difference(full, sliced):
    """None if two preprocessor outputs (str) are equal, else (line number, full's line,
    the slice's line) of the first difference ("<end>" past the end)."""
    if full == sliced:
        return None
    a, b = full.splitlines(), sliced.splitlines()
    for n in range(max(len(a), len(b))):
        x = a[n] if n < len(a) else "<end>"
        y = b[n] if n < len(b) else "<end>"
        if x != y:
            return n + 1, x, y
    return len(a) + 1, "<end>", "<end>"  # only line endings differ


def difference_message(name, diff):
    n, x, y = diff
    return (f"{name}: preprocessed with its config slice, output line {n} is {y[:120]!r}, "
            f"with the full autoconf.h {x[:120]!r}: the config footprint misses a symbol "
            "(tools/kbuild_import/footprint.py); re-import, and report it if it persists")
