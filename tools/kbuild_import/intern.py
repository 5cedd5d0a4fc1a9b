"""The plan as the Bazel rules read it: per-object header, generated-file and flag lists interned.

plan.json lists every object's headers, generated inputs and flags in full: an x86_64
defconfig plan is 66 MB, 84 % of it header lists (1.5 M references to 3,431 headers, 570
per object), and the rules decode it in analysis. bazel_plan() writes the same plan with
those lists shared:

  plan["interned"]["hdrs"], ["gen_inputs"]   {"paths": [...], "nodes": [[parent, [i, ...]], ...]}
      A prefix tree: each object's list, ordered by how many objects read each path (most
      first), is one path from the root. A node holds the path indices its edge adds
      (single-child chains merged); an object's list is the union of its node and all
      its ancestors. Parents come before children. The rules build one depset per node,
      so objects share their common headers (kernel_objects.bzl).
  plan["interned"]["flags"]                  [[flag, ...], ...]: distinct flag lists without
      the object's own -DKBUILD_* / -D__KBUILD_* names
  object["hdrs"], ["gen_inputs"]             int: the node of its list (-1: empty)
  object["flags"]                            int: its flag list; object["own_flags"]:
      [[index, flag], ...] inserted in order to give the object's exact command line

Interned entries: plan["objects"], plan["link"]["lds"], plan["modules"]["lds"],
plan["partial_links"][*]["lds"][*]. Lists are
sets here (Bazel's inputs are): expand() gives the paths sorted, as the import writes them.
"""

import collections
import copy
import re

OWN_FLAG = re.compile(r"-D(__)?KBUILD_")

_LISTS = ["hdrs", "gen_inputs"]
_END = -1
# The plan sections of embedded images built by replayed Kbuild steps (vdso.py, realmode.py).
IMAGE_SECTIONS = ("vdso", "realmode")


def intern_lists(lists):
    """Interns lists of strings as a prefix tree.

    Args:
      lists: list of lists of strings (each a set: order and duplicates are not kept).

    Returns:
      (table, ids): table = {"paths": [...], "nodes": [[parent, [index, ...]], ...]},
      ids[i] the node whose path from the root is lists[i] (-1 for an empty list).
    """
    freq = collections.Counter(p for l in lists for p in set(l))
    paths = sorted(freq, key=lambda p: (-freq[p], p))
    index = {p: i for i, p in enumerate(paths)}
    seqs = [sorted(index[p] for p in set(l)) for l in lists]
    trie = {}  # path index -> child; the key _END marks where a list ends (its node id)
    for seq in seqs:
        node = trie
        for i in seq:
            node = node.setdefault(i, {})
        node[_END] = None
    nodes = []
    stack = [(trie, -1, [])]  # (trie node, parent node id, indices since the parent)
    while stack:
        children, parent, pending = stack.pop()
        for i in sorted([k for k in children if k != _END], reverse=True):
            child = children[i]
            run = pending + [i]
            if _END in child or len(child) != 1:
                nodes.append([parent, run])
                if _END in child:
                    child[_END] = len(nodes) - 1
                stack.append((child, len(nodes) - 1, []))
            else:
                stack.append((child, parent, run))
    # A node is appended before its children are visited: parents come first.
    ids = []
    for seq in seqs:
        node = trie
        for i in seq:
            node = node[i]
        ids.append(node[_END] if seq else -1)
    return {"paths": paths, "nodes": nodes}, ids


def expand(table, node):
    """The sorted paths of a node of intern_lists' table (all its ancestors' included)."""
    out = []
    while node >= 0:
        parent, indices = table["nodes"][node]
        out += [table["paths"][i] for i in indices]
        node = parent
    return sorted(out)


def intern_flags(flag_lists):
    """Interns flag lists without their own -DKBUILD_* flags.

    Returns:
      (sets, refs): sets the distinct lists, refs[i] = (set id, [[index, flag], ...]).
    """
    sets = []
    set_ids = {}
    refs = []
    for flags in flag_lists:
        common = tuple(f for f in flags if not OWN_FLAG.match(f))
        own = [[i, f] for i, f in enumerate(flags) if OWN_FLAG.match(f)]
        if common not in set_ids:
            set_ids[common] = len(sets)
            sets.append(list(common))
        refs.append((set_ids[common], own))
    return sets, refs


def entry_flags(sets, set_id, own):
    """An entry's flags from intern_flags' set and its own flags (the command line order)."""
    flags = list(sets[set_id])
    for i, f in own:
        flags.insert(i, f)
    return flags


def entries(plan):
    """The entries whose lists are interned: objects, then the linker scripts."""
    return _entries(plan)


def _entries(plan):
    entries = list(plan["objects"]) + [plan["link"]["lds"]]
    if plan.get("modules"):
        entries.append(plan["modules"]["lds"])
    for final in sorted(plan.get("partial_links", {})):
        entries.extend(plan["partial_links"][final]["lds"])
    return entries


def bazel_plan(plan):
    """The plan with its entries' hdrs, gen_inputs and flags interned (see the module doc)."""
    out = copy.deepcopy(plan)
    entries = _entries(out)
    interned = {}
    for key in _LISTS:
        interned[key], ids = intern_lists([e[key] for e in entries])
        for e, i in zip(entries, ids):
            e[key] = i
    interned["flags"], refs = intern_flags([e["flags"] for e in entries])
    for e, (set_id, own) in zip(entries, refs):
        e["flags"] = set_id
        e["own_flags"] = own
    out["interned"] = interned
    # The sha256 of what the import's own make wrote for the vDSO, the realmode blob and the
    # CERT steps (tests/vdso, tests/realmode, tests/certs read it from plan.json): under -g it
    # depends on the machine's paths, and no rule reads it, so it stays out of the text
    # actions get.
    for section in IMAGE_SECTIONS:
        for key in ("kbuild", "kbuild_paths"):
            out.get(section, {}).pop(key, None)
    out.get("certs", {}).pop("kbuild", None)
    out.get("generate", {}).pop("kbuild", None)  # likewise (tests/generate reads it)
    return out


def expand_plan(bplan):
    """bazel_plan's inverse (for tests and tools): the entries' lists in full, sorted."""
    out = copy.deepcopy(bplan)
    interned = out.pop("interned")
    for e in _entries(out):
        for key in _LISTS:
            e[key] = expand(interned[key], e[key])
        e["flags"] = entry_flags(interned["flags"], e["flags"], e.pop("own_flags"))
    return out


def srctree_files(plan):
    """Source-tree paths the plan's compiles read, sorted: each compile's srctree source and
    headers, vmlinux.lds's and module.lds's, what every *.mod.c includes, the partial links'
    linker scripts (KVM nVHE), the boot steps' sources (x86_64 bzImage), the vDSO steps' and
    the CERT steps' key files.

    The generated repository's targets depend on exactly these (not the ~70,000 files of
    the tree), so analysis sees the few thousand files a kernel uses.
    """
    paths = set()
    entries = plan["objects"] + [plan["link"]["lds"]]
    modules = plan.get("modules")
    if modules:
        entries.append(modules["lds"])
        paths.update(modules["mod_c"]["hdrs"])
    for final in plan.get("partial_links", {}):
        entries += plan["partial_links"][final]["lds"]
    for step in [s for section in ("boot",) + IMAGE_SECTIONS + ("certs", "generate")
                 for s in plan.get(section, {}).get("steps", [])]:
        paths.update(step["srcs"])
    for o in entries:
        if o["src_root"] == "srctree":
            paths.add(o["src"])
        paths.update(o["hdrs"])
    return sorted(paths)


def srcversion_modules(plan, read_source):
    """The .ko names (sorted) of in-tree modules one of whose parts' sources uses
    MODULE_VERSION( (modpost then writes a srcversion). read_source(path) -> the text of a
    source-tree file."""
    modules = plan.get("modules")
    if not modules:
        return []
    module_of = collections.defaultdict(list)
    for ko, m in modules["list"].items():
        for p in m["objects"]:
            module_of[p].append(ko)  # a part of several modules: each
    found = set()
    for o in plan["objects"]:
        kos = module_of.get(o["out"])
        if kos and o["src_root"] == "srctree" and "MODULE_VERSION(" in read_source(o["src"]):
            found.update(kos)
    return sorted(found)
