"""Every file Bazel actions read, with its sha256; and the comparison of two such lists.

    bazel aquery --output=text 'deps(//:vmlinux)' ... | python3 action_inputs.py sums EXECROOT > A.inputs
    python3 action_inputs.py compare A.inputs B.inputs --root=EXECROOT_A --root=OUTPUT_BASE_A ... [--first_built_more]

`sums` hashes each distinct input path of the aquery text (files and tree artifacts,
relative to the execution root), sorted by path. A runfiles manifest (`X.runfiles/MANIFEST`,
`X.runfiles_manifest`) maps each runfile to its absolute path (in the execution root, the
output base's external/ or the checkout), so Bazel's own bytes differ per machine; Bazel
does not send it to a cache or remote executor (the action key holds the runfiles
themselves, which are hashed here too), so it is hashed with those roots replaced by
`<execroot>`, `<output_base>`, `<checkout>`: a different set of runfiles still differs. `compare` exits 1 at the first path whose
digest differs (or that only one side reads), naming it and, when the file contains one,
the absolute path (--root: each build's output base, execution root, checkout) that made it
differ. Run with the host's python3 (stdlib only).
"""

import hashlib
import os
import re
import sys

_INPUTS = re.compile(r"^  Inputs: \[(.*)\]$")


_MNEMONIC = re.compile(r"^  Mnemonic: (\S+)$")

# Bazel's internal bookkeeping actions: never executed, so they read nothing (a Middleman
# stands for a filegroup's files; its real consumers list what they read themselves).
_NOT_RUN = frozenset({"Middleman"})


def input_paths(aquery_text):
    paths = set()
    mnemonic = None
    for line in aquery_text.splitlines():
        if line.startswith("action "):
            mnemonic = None
        m = _MNEMONIC.match(line)
        if m:
            mnemonic = m.group(1)
        m = _INPUTS.match(line)
        if m and m.group(1) and mnemonic not in _NOT_RUN:
            paths.update(p.strip() for p in m.group(1).split(", "))
    return sorted(paths)


def is_runfiles_manifest(path):
    return path.endswith(".runfiles/MANIFEST") or path.endswith(".runfiles_manifest")


def build_roots(execroot):
    """The absolute directories a runfiles manifest names, longest first, with symbols:
    the execution root, the output base (external repositories) and the checkout (source
    files; the execution root links each of its top-level entries there)."""
    roots = {execroot: "<execroot>", os.path.realpath(execroot): "<execroot>"}
    output_base = os.path.dirname(os.path.dirname(execroot.rstrip("/")))
    roots[output_base] = "<output_base>"
    roots[os.path.realpath(output_base)] = "<output_base>"
    for name in sorted(os.listdir(execroot)) if os.path.isdir(execroot) else []:
        link = os.path.join(execroot, name)
        if os.path.islink(link) and name not in ("external", "bazel-out"):
            target = os.readlink(link)
            if os.path.isabs(target) and os.path.basename(target) == name:
                roots[os.path.dirname(target)] = "<checkout>"
                roots[os.path.realpath(os.path.dirname(target))] = "<checkout>"
                break
    return sorted(roots.items(), key=lambda kv: len(kv[0]), reverse=True)


def manifest_digest(path, roots):
    """sha256 of a runfiles manifest with the build's absolute roots made symbolic."""
    with open(path, "rb") as f:
        data = f.read()
    for root, symbol in roots:
        data = data.replace(root.encode() + b"/", symbol.encode() + b"/")
    return "manifest:" + hashlib.sha256(data).hexdigest()


def digest(path):
    if not os.path.lexists(path):
        return "absent"  # an output of an action of another configuration that was not run
    h = hashlib.sha256()
    if os.path.isdir(path):  # a tree artifact or a source directory: names and contents
        for dirpath, dirnames, filenames in os.walk(path):
            dirnames.sort()
            for name in sorted(filenames):
                full = os.path.join(dirpath, name)
                h.update(os.path.relpath(full, path).encode() + b"\0" + digest(full).encode() + b"\n")
        return "dir:" + h.hexdigest()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_sums(path):
    out = {}
    with open(path) as f:
        for line in f:
            d, _, p = line.rstrip("\n").partition("  ")
            out[p] = d
    return out


def first_difference(a, b):
    for p in sorted(set(a) | set(b)):
        if a.get(p) != b.get(p):
            return p
    return None


def absolute_path_in(path, roots):
    """The first root (longest first) whose bytes occur in the file at path, with context."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return None
    for root in sorted(set(roots), key=len, reverse=True):
        i = data.find(root.encode())
        if i >= 0:
            return data[max(0, i - 40):i + len(root) + 60].decode("utf-8", "replace")
    return None


def main(argv):
    if len(argv) >= 3 and argv[1] == "sums":
        root = argv[2]
        roots = build_roots(root)
        for p in input_paths(sys.stdin.read()):
            full = os.path.join(root, p)
            if is_runfiles_manifest(p) and os.path.isfile(full):
                print(f"{manifest_digest(full, roots)}  {p}")
            else:
                print(f"{digest(full)}  {p}")
        return 0
    if len(argv) >= 4 and argv[1] == "compare":
        roots = [a[len("--root="):] for a in argv[4:] if a.startswith("--root=")]
        execroot = next((a[len("--execroot="):] for a in argv[4:] if a.startswith("--execroot=")), None)
        a, b = read_sums(argv[2]), read_sums(argv[3])
        if "--first_built_more" in argv[4:]:
            # The first output base also built other targets (tests/repro --first=here: this
            # checkout's, after `bazel test`): an input it has that the second never made
            # (another configuration's output-group file) is not a difference; one the second
            # has and the first lacks still is.
            b = {q: (a[q] if d == "absent" and q in a else d) for q, d in b.items()}
        p = first_difference(a, b)
        if p is None:
            print(f"PASS: all {len(a)} action inputs identical (sha256)")
            return 0
        n = sum(1 for q in set(a) | set(b) if a.get(q) != b.get(q))
        why = "read by one build only" if (p in a) != (p in b) else f"{a[p][:16]} != {b[p][:16]}"
        print(f"FAIL: {n} of {len(set(a) | set(b))} action inputs differ; first: {p} ({why})")
        if execroot:
            ctx = absolute_path_in(os.path.join(execroot, p), roots)
            if ctx is not None:
                print(f"FAIL: {p} contains an absolute path of its build: ...{ctx!r}...")
        return 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
