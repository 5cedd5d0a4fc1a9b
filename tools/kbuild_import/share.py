"""Share keys: which compiles two imports of one tree (config variants) have in common.

kernel_config(variants = {"debug": [...]}) imports each variant apart (its own Kconfig run,
dry run and object tree). An object whose compile reads the same bytes under both configs
is compiled once, by the base's kernel_objects; the variant's takes that file
(kernel_objects.bzl `share_from`). What decides it is this key, computed by each import:

  entry["share"]   str: 32 hex digits of a sha256 over everything the compile reads that
                   can differ between two imports of the same tree: the whole plan entry
                   (source, flags with their $(objtree) placeholders, header and generated-
                   file lists, LTO kind, objtool step), the sha256 of each object-tree file
                   it reads (asm-offsets.h, bounds.h, ...), the values its config footprint
                   takes in this config's autoconf.h (footprint.py), and objtool's loaded
                   bytes (loaded_digest) when it runs objtool. Source-tree files are the one tree both import.

No key (never shared) for what an import cannot vouch for: a source in the object tree
(generated, or written by a build step), an object-tree input the import's tree lacks (an
action makes it: the vDSO's, generate steps'), readers of the vDSO, realmode, CERT and
generate steps' outputs, `.incbin` users, module parts, CONFIG_MODVERSIONS objects (their
genksyms step is per kernel) and entries without a footprint. Linker scripts are not
objects. Equal keys mean equal compile inputs, so the base's object is the one the variant
would have compiled, byte for byte up to the object-tree directory's name, which no
object's bytes record (compiles run with path-free debug info and prefix maps).
"""

import hashlib
import json
import re
import struct

from tools.kbuild_import import footprint, intern

_DEFINE = re.compile(rb"^#define CONFIG_([A-Za-z0-9_]+) (.*)$", re.M)
OBJTOOL = "tools/objtool/objtool"

# Plan sections whose steps make files objects read (their readers are never shared).
_MADE_SECTIONS = ("vdso", "realmode", "certs", "generate")


def config_values(autoconf):
    """autoconf.h's `#define CONFIG_X value` lines as {X: value} (bytes -> dict[str, str])."""
    return {m.group(1).decode("ascii"): m.group(2).decode("utf-8", "surrogateescape")
            for m in _DEFINE.finditer(autoconf)}


def loaded_digest(data):
    """sha256 of what a program runs: its ELF header's class, machine and entry, and the name,
    address and bytes of each section loaded into memory (SHF_ALLOC, with contents), the build
    id excepted. Two imports build objtool with the same code but different debug information
    (the object tree's directory name orders .debug_line_str): the file's sha256 differs, its
    behaviour does not. Not a 64-bit little-endian ELF file: the sha256 of its bytes."""
    if data[:6] != b"\x7fELF\x02\x01" or len(data) < 64:
        return hashlib.sha256(data).hexdigest()
    machine, entry = struct.unpack_from("<H", data, 18)[0], struct.unpack_from("<Q", data, 24)[0]
    shoff, = struct.unpack_from("<Q", data, 40)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 58)
    sections = [struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize) for i in range(shnum)]
    names = sections[shstrndx]
    h = hashlib.sha256(struct.pack("<HQ", machine, entry))
    for name, kind, flags, addr, offset, size in sections:
        label = data[names[4] + name:data.index(b"\0", names[4] + name)]
        if flags & 0x2 and kind != 8 and label != b".note.gnu.build-id":  # SHF_ALLOC, not SHT_NOBITS
            h.update(struct.pack("<QQ", addr, size) + label + b"\0" + data[offset:offset + size])
    return h.hexdigest()


def _readers(plan):
    out = set()
    for section in _MADE_SECTIONS:
        out.update((plan.get(section) or {}).get("readers", {}))
    return out


def share_key(entry, symbols, values, read):
    """The key of one plan entry (full lists), or None if it is never shared.

    Args:
      entry: the plan.json entry.
      symbols: its config footprint (sorted symbols), or None if unknown.
      values: config_values of this import's autoconf.h.
      read: read(root, path) -> bytes or None (missing).
    """
    if symbols is None or entry["src_root"] != "srctree" or entry.get("incbin") or entry.get("module") \
            or entry.get("symversions") or not entry["out"].endswith(".o"):
        return None
    files = {}
    for path in sorted(set(entry["gen_inputs"]) | set(entry.get("build_inputs", ()))):
        if path == footprint.AUTOCONF:
            continue  # the compile reads its slice: the footprint's values below
        data = read("objtree", path)
        if data is None:
            return None
        files[path] = hashlib.sha256(data).hexdigest()
    if entry.get("post"):
        data = read("objtree", OBJTOOL)
        if data is None:
            return None
        files[OBJTOOL] = loaded_digest(data)
    text = json.dumps({"entry": entry, "files": files, "config": [[s, values.get(s)] for s in symbols]},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def add_share_keys(bplan, plan, sets, read):
    """Adds entry["share"] to bazel_plan's objects that may be shared (see the module doc).

    Args:
      bplan: intern.bazel_plan(plan) (changed in place and returned).
      plan: the plan as the import wrote it (full lists).
      sets: the footprint of each of intern.entries(plan), in order (None: unknown).
      read: read(root, path) -> bytes or None.
    """
    autoconf = read("objtree", footprint.AUTOCONF)
    if autoconf is None:
        return bplan
    values = config_values(autoconf)
    readers = _readers(plan)
    for e, b, s in zip(intern.entries(plan), intern.entries(bplan), sets):
        if e["out"] in readers:
            continue
        key = share_key(e, s, values, read)
        if key:
            b["share"] = key
    return bplan
