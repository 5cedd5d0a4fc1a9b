"""The CONFIG_ symbols a text mentions, as Kbuild's scripts/basic/fixdep.c finds them.

One scan for the three places that key work by config symbols: the import's per-object
footprint (tools/kbuild_import/footprint.py), the include scan's directive record
(tools/include_scan/lib.py) and the build-time slices of compiles without a footprint
(tools/config_slice/lib.py). They must agree: a symbol one of them missed would leave a
compile reading a slice without it.

A superset of fixdep's: fixdep skips a word preceded by a letter, digit or `_` and records
`X_MODULE` only as X; this keeps every such word and both spellings. A superset costs only
rebuilds, never a stale object.
"""

import re

_WORD = re.compile(rb"CONFIG_([A-Za-z0-9_]+)")


def config_words(data: bytes) -> set[str]:
    """The symbols (without CONFIG_) a text mentions; `CONFIG_X_MODULE` gives X and X_MODULE."""
    out = set()
    for m in _WORD.finditer(data):
        name = m.group(1).decode("ascii")
        out.add(name)
        if name.endswith("_MODULE") and len(name) > len("_MODULE"):
            out.add(name[:-len("_MODULE")])
    return out
