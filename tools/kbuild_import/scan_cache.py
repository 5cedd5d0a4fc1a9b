"""The header scan's results kept across imports (issue 16 part 2).

A config change re-runs the whole import; on x86_64 defconfig its clang-scan-deps phase is
~20 s of ~50 s, and a config variant's import scans the same objects again. An object's
scan result (the files its preprocessing read, in order) depends only on its command line,
the bytes of the files it read, the values of the config symbols they mention (autoconf.h
is read by every object: its bytes change with any symbol, so it is checked by those values
instead, as fixdep and footprint.py key a compile) and which files exist where the
preprocessor looked (a new header can shadow one found in a later -I directory). So an entry,
stored under the sha256 of the command line, holds the result, the sha256 of each file read
and the values of the symbols they mention; it is reused only if all of them still hold and
the listing digest (every file path under the source tree and the object tree's
include/ and arch/*/include/, include/config/ excepted) is the same as when it was stored.
Anything else is scanned again. Entries are zlib-compressed JSON files in one directory per
output base (kernel_kbuild_repository passes <output_base>/kernel_import_cache/scan); they
hold no path an action reads. An entry keeps only the sha256 of that state (the file digests
and symbol values, ~600 files per object: 140 KB as text, 4 KB now): a hit recomputes the
state from the current files and compares digests. Each use refreshes an entry's mtime, and
prune() deletes the least recently used entries beyond a size cap (MAX_BYTES), so the
directory stays bounded however many configs and trees an output base imports.
"""

import hashlib
import json
import os
import zlib

from tools.kbuild_import import footprint
from tools.kbuild_import import share


_OBJTREE = "$(objtree)"
_FORMAT = 2

# The cap of the directory's size: ~30,000 entries of ~4 KB, ten x86_64 defconfigs' worth.
MAX_BYTES = 128 << 20


def _walk(top, prefix, skip=()):
    """Relative paths (under prefix) of the files below top, symlinked directories at top
    followed once (LINUX_SRC: @linux links each entry of the user's tree), none below."""
    out = []
    if not os.path.isdir(top):
        return out
    for name in sorted(os.listdir(top)):
        full = os.path.join(top, name)
        if name in skip:
            continue
        if not os.path.isdir(full):
            out.append(f"{prefix}{name}")
            continue
        real = os.path.realpath(full)
        for d, dirs, files in os.walk(real):
            dirs.sort()
            rel = os.path.relpath(d, real)
            out += [os.path.normpath(f"{prefix}{name}/{rel}/{f}") for f in files]
    return out


def listing_digest(srctree, objtree, tool_version=""):
    """sha256 of the tool's version line and the sorted relative paths of every file under
    srctree (.git excepted) and under objtree's include/ and arch/*/include/ (include/config/
    excepted: one file per enabled symbol)."""
    paths = _walk(srctree, "S/", skip={".git"}) + _walk(os.path.join(objtree, "include"), "O/include/", skip={"config"})
    arch = os.path.join(objtree, "arch")
    for a in sorted(os.listdir(arch)) if os.path.isdir(arch) else []:
        paths += _walk(os.path.join(arch, a, "include"), f"O/arch/{a}/include/")
    h = hashlib.sha256(tool_version.encode() + b"\0")
    for p in sorted(paths):
        h.update(p.encode("utf-8", "surrogateescape") + b"\0")
    return h.hexdigest()


class ScanCache:
    """get/put of scan results; objtree is the scan's working directory (relative paths)."""

    def __init__(self, root, objtree, listing):
        self.root = root
        self.objtree = objtree
        self.listing = listing
        self._sha = {}
        self._words = {}
        with open(os.path.join(objtree, footprint.AUTOCONF), "rb") as f:
            self._values = share.config_values(f.read())
        self.hits = 0
        self.misses = 0

    # Entries name the object tree by a placeholder: a config variant's import (another
    # repository, another directory) reuses the base's results.
    def _norm(self, p):
        return _OBJTREE + p[len(self.objtree):] if p == self.objtree or p.startswith(self.objtree + "/") else p

    def _denorm(self, p):
        return self.objtree + p[len(_OBJTREE):] if p.startswith(_OBJTREE) else p

    def _path(self, p):
        p = self._denorm(p)
        return p if os.path.isabs(p) else os.path.join(self.objtree, p)

    def _read(self, p):
        try:
            with open(self._path(p), "rb") as f:
                return f.read()
        except OSError:
            return None

    def _digest(self, p):
        if p not in self._sha:
            data = self._read(p)
            self._sha[p] = None if data is None else hashlib.sha256(data).hexdigest()
            self._words[p] = frozenset() if data is None else frozenset(footprint.config_words(data))
        return self._sha[p]

    def _state(self, deps):
        """sha256 of {"files": {path: sha256}, "config": {symbol: value or None}} of a result."""
        files, words = {}, set()
        for p in deps:
            if os.path.normpath(p).endswith(footprint.AUTOCONF):
                continue
            files[p] = self._digest(p)
            words |= self._words[p]
        state = {"files": files, "config": {s: self._values.get(s) for s in sorted(words)}}
        return hashlib.sha256(json.dumps(state, sort_keys=True, separators=(",", ":")).encode()).hexdigest()

    @staticmethod
    def key(argv):
        return hashlib.sha256(json.dumps(argv, separators=(",", ":")).encode("utf-8", "surrogateescape")).hexdigest()

    def _argv(self, argv):
        return [a.replace(self.objtree + "/", _OBJTREE + "/") for a in argv]

    def get(self, argv):
        """The stored result for a command line, or None (missing or no longer valid)."""
        argv = self._argv(argv)
        key = self.key(argv)
        path = os.path.join(self.root, key[:2], key)
        try:
            with open(path, "rb") as f:
                entry = json.loads(zlib.decompress(f.read()))
        except (OSError, ValueError, zlib.error):
            entry = None
        if (not isinstance(entry, dict) or entry.get("format") != _FORMAT or entry.get("listing") != self.listing
                or entry.get("argv") != argv or not isinstance(entry.get("deps"), list)
                or entry.get("state") != self._state(entry["deps"])):
            self.misses += 1
            return None
        self.hits += 1
        try:
            os.utime(path)  # last use, for prune()
        except OSError:
            pass
        return [self._denorm(p) for p in entry["deps"]]

    def put(self, argv, deps):
        """Stores a result (written atomically; a failure to write only costs a later scan)."""
        argv = self._argv(argv)
        deps = [self._norm(p) for p in deps]
        key = self.key(argv)
        d = os.path.join(self.root, key[:2])
        try:
            os.makedirs(d, exist_ok=True)
            tmp = os.path.join(d, f".{key}.{os.getpid()}")
            entry = {"format": _FORMAT, "argv": argv, "listing": self.listing, "deps": deps, "state": self._state(deps)}
            with open(tmp, "wb") as f:
                f.write(zlib.compress(json.dumps(entry, separators=(",", ":"), sort_keys=True).encode(), 6))
            os.replace(tmp, os.path.join(d, key))
        except OSError:
            pass


def prune(root, max_bytes=MAX_BYTES):
    """Deletes the least recently used files under root (oldest mtime first) until the rest
    take at most max_bytes. Returns (files deleted, bytes left). Errors only leave more."""
    files, total = [], 0
    for d, _, names in os.walk(root):
        for n in names:
            p = os.path.join(d, n)
            try:
                st = os.stat(p)
            except OSError:
                continue
            files.append((st.st_mtime, p, st.st_size))
            total += st.st_size
    deleted = 0
    for _, p, size in sorted(files):
        if total <= max_bytes:
            break
        try:
            os.unlink(p)
        except OSError:
            continue
        total -= size
        deleted += 1
    return deleted, total
