"""Per-object config footprint: the CONFIG_ symbols an object's preprocessing can read.

Kbuild's scripts/basic/fixdep.c makes every object depend on `include/config/<SYMBOL>` for
each `CONFIG_<SYMBOL>` word in its source and in every header of its depfile (autoconf.h
itself excepted), `CONFIG_<SYMBOL>_MODULE` counted as <SYMBOL>: a config toggle recompiles
only the objects that mention the symbol. We record the same per object, so a compile can
read an autoconf.h holding only its symbols (tools/config_slice, kernel_objects.bzl): its
action key changes only when one of them changes.

The scan is a superset of fixdep's: fixdep skips a word preceded by a letter, digit or `_`
(`__CONFIG_X`) and records `X_MODULE` only as `X`; we keep both spellings and every such
word. A superset costs only rebuilds, never a stale object.

In plan_bazel.json (intern.py's bazel_plan, then add_footprints):

  plan["interned"]["config"]   {"paths": [SYMBOL, ...], "nodes": [[parent, [i, ...]], ...]}:
                               the symbol sets as intern_lists' prefix tree (names without
                               CONFIG_, sorted by how many objects read them)
  entry["config"]              int: the node of the entry's set (-1: the empty set); absent
                               when not known (a source a build step makes): that compile
                               reads the full autoconf.h
  entry["config_key"]          str: 16 hex digits of the set's sha256, the slice's directory:
                               a compile's command line names it, so it must not depend on
                               other objects' sets (node numbers do)

Interned entries are intern.py's (objects and linker scripts).
"""

import hashlib

from tools.common.config_words import config_words
from tools.kbuild_import import intern

AUTOCONF = "include/generated/autoconf.h"

def entry_files(entry):
    """(root, path) of every file an entry's preprocessing reads (autoconf.h and binaries
    named by .incbin excepted). root is "srctree" or "objtree"."""
    incbin = set(entry.get("incbin", []))  # binaries (vdso.so), listed in either list
    files = [(entry["src_root"], entry["src"])]
    files += [("srctree", h) for h in entry["hdrs"]]
    files += [("objtree", h) for h in entry["gen_inputs"] if h != AUTOCONF and h not in incbin]
    files += [("objtree", h) for h in entry.get("build_inputs", []) if h not in incbin]
    return files


class Scanner:
    """config_words of files, read once each. read(root, path) -> bytes, or None if the file
    does not exist (a source a build step writes)."""

    def __init__(self, read):
        self._read = read
        self._words = {}

    def words(self, root, path):
        key = (root, path)
        if key not in self._words:
            data = self._read(root, path)
            self._words[key] = None if data is None else frozenset(config_words(data))
        return self._words[key]

    def footprint(self, entry):
        """The sorted symbols of an entry (plan.json form: full lists), or None if a file is missing."""
        out = set()
        for root, path in entry_files(entry):
            w = self.words(root, path)
            if w is None:
                return None
            out |= w
        return sorted(out)


def set_key(symbols):
    """The name of a symbol set's slice: 16 hex digits of the sha256 of its sorted lines."""
    return hashlib.sha256("".join(s + "\n" for s in sorted(symbols)).encode()).hexdigest()[:16]


def add_footprints(bplan, plan, read, sets_out=None):
    """Adds interned["config"] and each interned entry's "config" to bazel_plan's output.

    Args:
      bplan: intern.bazel_plan(plan) (changed in place and returned).
      plan: the plan as the import wrote it (full lists).
      read: read(root, path) -> bytes or None.
      sets_out: a list to extend with each entry's footprint (None: unknown), in
        intern.entries order (share.py's keys use them).
    """
    scanner = Scanner(read)
    entries = intern.entries(plan)
    sets = [scanner.footprint(e) for e in entries]
    if sets_out is not None:
        sets_out.extend(sets)
    table, ids = intern.intern_lists([s for s in sets if s is not None])
    ids = iter(ids)
    for e, s in zip(intern.entries(bplan), sets):
        if s is not None:
            e["config"] = next(ids)
            e["config_key"] = set_key(s)
    bplan["interned"]["config"] = table
    return bplan

