"""Distributed ThinLTO helpers: stage each backend's exact inputs, check what backends wrote.

The thin-link (`ld.lld --thinlto-index-only --thinlto-emit-imports-files`) names modules
by the exact path strings it was given; a backend must see its object and every object
its imports file names under those same strings, or clang silently writes a broken
object. So the thin-link action stages, per bitcode object, a tree:

    TREE/index.thinlto.bc     the object's index
    TREE/imports              the object's imports file (module paths, one per line)
    TREE/module               the object's module path, exactly as the thin-link saw it
    TREE/files/<module path>  the object itself and each imported object

and the backend runs in TREE/files. The tree is the backend's whole bitcode input: its
action key holds exactly what it reads. The kernel's rules ask for the tree as a bundle,
one file (`<object>.thinlto.tar`, write_entries) that the backend unpacks into a temporary
directory: Bazel's cost per output file, not the bytes, made the trees slow.
"""

import io
import os
import shutil
import tarfile

from tools.common import lib as common
from tools.elfinfo import lib as elfinfo

# clang exits 0 after printing these (research: distributed-thinlto-linux-6.1.md).
BACKEND_ERROR_MARKERS = ("Error running ThinLTO backend", "error:")


class ThinLtoError(Exception):
    """One line: which file and what is wrong."""


def parse_imports(path, text):
    """Module paths listed in an `.imports` file (one per line), checked to be relative."""
    mods = [l for l in text.splitlines() if l.strip()]
    for m in mods:
        if m.startswith("/") or ".." in m.split("/"):
            raise ThinLtoError(f"{path}: module path {m!r} is not execroot-relative; pass relative paths to the thin-link")
    return mods


def index_paths(index_dir, module):
    """Where `--thinlto-prefix-replace=';INDEX_DIR/'` puts MODULE's index and imports files."""
    base = os.path.join(index_dir, module)
    return base + ".thinlto.bc", base + ".imports"


def stage_tree(module, index_dir, tree, known_modules, relocatable=False):
    """Fills TREE for MODULE from the thin-link's INDEX_DIR. Returns the imported modules.

    Args:
      module: the bitcode object's path as given to the thin-link.
      index_dir: the directory of --thinlto-prefix-replace.
      tree: the (empty) tree artifact directory to fill, or a bundle to write (a path
        ending in `.tar`: see write_entries).
      known_modules: set of every module path the thin-link was given.
      relocatable: the thin-link was an `ld -r` (vmlinux.o, M.o): nothing is internalized
        or dead-stripped, so the backend must define what the bitcode defines; marked by
        TREE/relocatable. (A final link may drop a module's every symbol as dead.)
    """
    index, imports = index_paths(index_dir, module)
    for f in (index, imports):
        if not os.path.isfile(f):
            raise ThinLtoError(f"{module}: the thin-link wrote no {os.path.basename(f)}; "
                               "is the object in the link (not a lazy archive member that was skipped)?")
    with open(imports) as f:
        imported = parse_imports(imports, f.read())
    unknown = [m for m in imported if m not in known_modules]
    if unknown:
        raise ThinLtoError(f"{imports}: imports {unknown[0]}, which is not an input of the thin-link")
    entries = [("index.thinlto.bc", index), ("imports", imports), ("module", (module + "\n").encode())]
    if relocatable:
        entries.append(("relocatable", b"1\n"))
    entries += [("files/" + m, m) for m in dict.fromkeys([module] + imported)]
    write_entries(entries, tree)
    return imported


def is_bundle(path):
    """Whether PATH names a bundle (one file holding a tree) rather than a tree directory."""
    return path.endswith(".tar")


def write_entries(entries, dest):
    """Writes ENTRIES [(relative name, source path or bytes)] as the tree DEST.

    DEST is a directory, or, ending in `.tar`, a bundle: an uncompressed tar of the same
    names with every header fixed (mode 0644, owner 0/0, no names, mtime 0) and the entries
    in the given order, so equal inputs give equal bytes on every machine. One regular file
    per backend instead of ~9 in a tree: Bazel deletes, hashes and stats each output file
    (x86_64 defconfig: 2,654 bundles instead of 23,288 files).
    """
    if not is_bundle(dest):
        os.makedirs(dest, exist_ok=True)
        for name, src in entries:
            path = os.path.join(dest, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if isinstance(src, bytes):
                with open(path, "wb") as f:
                    f.write(src)
            else:
                shutil.copyfile(src, path)
        return
    # Written under a temporary name and renamed: a failed thin-link leaves no half bundle.
    with common.atomic_output(dest) as out, tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, src in entries:
            info = tarfile.TarInfo(name)
            info.mode, info.mtime, info.uid, info.gid, info.uname, info.gname = 0o644, 0, 0, 0, "", ""
            if isinstance(src, bytes):
                info.size = len(src)
                tar.addfile(info, io.BytesIO(src))
            else:
                with open(src, "rb") as f:
                    info.size = os.fstat(f.fileno()).st_size
                    tar.addfile(info, f)


def unpack_bundle(bundle, dest):
    """Extracts BUNDLE (see write_entries) into the empty directory DEST; checks every name."""
    try:
        with tarfile.open(bundle, mode="r:") as tar:
            members = tar.getmembers()
            for m in members:
                parts = m.name.split("/")
                if not m.isfile() or m.name.startswith("/") or ".." in parts or "" in parts:
                    raise ThinLtoError(f"{bundle}: member {m.name!r} is not a relative regular file; "
                                       "the bundle was not written by the thin-link")
            for m in members:
                path = os.path.join(dest, m.name)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with tar.extractfile(m) as src, open(path, "wb") as f:
                    shutil.copyfileobj(src, f)
    except tarfile.TarError as e:
        raise ThinLtoError(f"{bundle}: not a thin-link bundle ({e})") from None


def linked_modules(list_text, index_dir):
    """Modules in the link, from --thinlto-index-only=FILE's list.

    lld writes each linked module's path with --thinlto-prefix-replace applied
    (INDEX_DIR/module); lazy archive members it did not extract are absent.
    """
    prefix = index_dir.rstrip("/") + "/"
    mods = set()
    for line in list_text.splitlines():
        if not line.strip():
            continue
        if not line.startswith(prefix):
            raise ThinLtoError(f"thin-link list entry {line!r} is not below {prefix}")
        mods.add(line[len(prefix):])
    return mods


def lazy_inputs(inputs):
    """The inputs between --start-lib and --end-lib: lazy members the link may leave out."""
    lazy, on = set(), False
    for i in inputs:
        if i == "--start-lib":
            on = True
        elif i == "--end-lib":
            on = False
        elif on and not i.startswith("-"):
            lazy.add(i)
    return lazy


def check_bitcode_inputs(inputs, bitcode, kinds):
    """Raises unless every --bitcode object is an --input and is LLVM bitcode.

    Args:
      inputs: the thin-link's --input list (flags like --start-lib included).
      bitcode: the --bitcode objects, each to get a backend.
      kinds: {bitcode object: elfinfo.kind() of its first bytes}.

    A native object left out of the index (or one the link never saw) would get an empty
    backend object, and the kernel would silently lose its code.
    """
    given = {i for i in inputs if not i.startswith("-")}
    seen = set()
    for m in bitcode:
        if m in seen:
            raise ThinLtoError(f"{m}: given twice as --bitcode; give each object once")
        seen.add(m)
        if m not in given:
            raise ThinLtoError(f"{m}: a --bitcode object that is not an --input of the thin-link; "
                               "add it to the inputs (in link order) or drop its backend")
        k = kinds[m]
        if k != "bitcode":
            what = "a native ELF object" if k == "elf" else f"{k} data"
            raise ThinLtoError(f"{m}: given as --bitcode but is {what}, not LLVM bitcode; "
                               "link it as a native object (is it an LTO opt-out the plan calls bitcode?)")


def check_unlinked(module, lazy):
    """Raises unless MODULE, absent from the thin-link's list, is a lazy input it may skip."""
    if module not in lazy:
        raise ThinLtoError(f"{module}: the thin-link indexed no such module though it is not lazy "
                           "(not between --start-lib and --end-lib); check its path and that it is bitcode")


def stage_skipped(module, tree):
    """Marks TREE as the tree of a lazy archive member the thin-link did not extract."""
    write_entries([("skipped", (module + "\n").encode())], tree)


def is_relocatable(tree):
    """Whether TREE's thin-link was relocatable (see stage_tree)."""
    return os.path.isfile(os.path.join(tree, "relocatable"))


def relocatable_link(ld_args):
    """Whether ld.lld ARGS make a relocatable link (-r, --relocatable)."""
    return any(a in ("-r", "--relocatable") for a in ld_args)


def is_skipped(tree):
    return os.path.isfile(os.path.join(tree, "skipped"))


def check_module(tree, module):
    """Raises unless MODULE is the exact path string TREE's object was thin-linked as.

    clang exits 0 and writes an object with undefined symbols when the backend is given
    the same file under another string (`./x.o`, an absolute path).
    """
    with open(os.path.join(tree, "module")) as f:
        linked = f.read().strip()
    if module != linked:
        raise ThinLtoError(f"{module}: the thin-link named this object {linked!r}; "
                           "a backend must use the exact same path string")
    if not os.path.isfile(os.path.join(tree, "files", module)):
        raise ThinLtoError(f"{module}: not in its backend tree {tree}")


def check_backend_stderr(module, stderr):
    """Raises if clang reported a ThinLTO error, whatever its exit status."""
    for line in stderr.splitlines():
        if any(marker in line for marker in BACKEND_ERROR_MARKERS):
            raise ThinLtoError(f"{module}: backend failed: {line.strip()}")


def check_native(path, data, machine, bitcode_defined=()):
    """Raises unless DATA (the backend's output) is a non-empty ELF object for MACHINE.

    BITCODE_DEFINED: the strong global definitions of the module the backend compiled; if
    there are any, the object must define symbols too (clang can write an empty object
    and exit 0).
    """
    k = elfinfo.kind(data)
    if k != "elf":
        raise ThinLtoError(f"{path}: the backend wrote {k} data, not a native ELF object"
                           + (" (was -flto left in the backend flags?)" if k == "bitcode" else ""))
    try:
        info = elfinfo.describe(path, io.BytesIO(data))
    except elfinfo.ElfInfoError as e:
        raise ThinLtoError(f"{e} (a broken backend output)") from None
    if info["machine"] != machine:
        raise ThinLtoError(f"{path}: the backend wrote a {info['machine']} object, expected {machine}")
    if bitcode_defined and not info["defined"]:
        raise ThinLtoError(f"{path}: the backend wrote an object that defines no symbols, but its bitcode "
                           f"defines {len(bitcode_defined)} (e.g. {bitcode_defined[0]}); "
                           "was the module thin-linked under this path?")
    return info


def bitcode_defined(path, data):
    """The strong global symbols bitcode DATA defines (from its symbol table)."""
    try:
        return elfinfo.bitcode_symbols(path, data)["defined"]
    except elfinfo.ElfInfoError as e:
        raise ThinLtoError(str(e)) from None
