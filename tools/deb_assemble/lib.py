"""Turns unpacked Debian packages into a relocatable LLVM prefix (pure functions + file ops).

Run by the LLVM repository rule with the pinned interpreter, so it uses only the standard
library. ELF handling is limited to what we need: read DT_NEEDED, DT_RUNPATH and DT_RPATH
of 64-bit little-endian objects, and turn DT_RUNPATH into DT_RPATH in place.

Why DT_RPATH: DT_RUNPATH applies to an object's direct dependencies only, so clang's
`$ORIGIN/../lib` RUNPATH lets libLLVM's own dependencies (libz3, libxml2, ...) resolve
from the host. DT_RPATH of the executable covers transitive loads too.
"""

import os
import shutil
import struct

DT_NULL, DT_NEEDED, DT_STRTAB, DT_RPATH, DT_RUNPATH = 0, 1, 5, 15, 29
PT_LOAD, PT_DYNAMIC = 1, 2

# Provided by the host's glibc: the one thing we take from the host.
GLIBC_SONAMES = frozenset([
    "libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1",
    "libresolv.so.2", "libutil.so.1", "ld-linux-x86-64.so.2", "libanl.so.1",
])


class AssembleError(Exception):
    """One line: what is wrong and which file."""


def is_elf(data):
    return data[:4] == b"\x7fELF"


def _dynamic(data, path):
    """Returns (entries, strtab offset): entries are (tag, value, file offset of the entry)."""
    if not is_elf(data):
        raise AssembleError(f"{path}: not an ELF file")
    if data[4] != 2 or data[5] != 1:
        raise AssembleError(f"{path}: not a 64-bit little-endian ELF file")
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    loads, dyn = [], None
    for i in range(phnum):
        p_type, _, p_offset, p_vaddr, _, p_filesz, _, _ = struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize)
        if p_type == PT_LOAD:
            loads.append((p_vaddr, p_offset, p_filesz))
        elif p_type == PT_DYNAMIC:
            dyn = (p_offset, p_filesz)
    if dyn is None:
        return [], None
    entries, strtab = [], None
    for off in range(dyn[0], dyn[0] + dyn[1], 16):
        tag, val = struct.unpack_from("<qQ", data, off)
        if tag == DT_NULL:
            break
        entries.append((tag, val, off))
        if tag == DT_STRTAB:
            strtab = val
    if strtab is not None:
        for vaddr, offset, filesz in loads:
            if vaddr <= strtab < vaddr + filesz:
                strtab = strtab - vaddr + offset
                break
        else:
            raise AssembleError(f"{path}: DT_STRTAB is outside every PT_LOAD segment")
    return entries, strtab


def _string(data, offset):
    return data[offset:data.index(b"\0", offset)].decode()


def dynamic_info(data, path):
    """Returns dict(needed=[sonames], rpath=str|None, runpath=str|None) of an ELF image."""
    entries, strtab = _dynamic(data, path)
    info = {"needed": [], "rpath": None, "runpath": None}
    for tag, val, _ in entries:
        if tag == DT_NEEDED:
            info["needed"].append(_string(data, strtab + val))
        elif tag == DT_RPATH:
            info["rpath"] = _string(data, strtab + val)
        elif tag == DT_RUNPATH:
            info["runpath"] = _string(data, strtab + val)
    return info


def runpath_to_rpath(data, path):
    """Returns a copy of the ELF image with its DT_RUNPATH entry retagged DT_RPATH."""
    entries, _ = _dynamic(data, path)
    out = bytearray(data)
    for tag, _, off in entries:
        if tag == DT_RUNPATH:
            struct.pack_into("<q", out, off, DT_RPATH)
    return bytes(out)


def unresolved(objects, provided):
    """Lists (object, soname) pairs whose soname is neither provided nor glibc.

    Args:
      objects: {name: [needed sonames]} for every ELF file to check.
      provided: set of sonames present in the prefix's lib/.
    """
    return sorted((name, soname) for name, needed in objects.items() for soname in needed
                  if soname not in provided and soname not in GLIBC_SONAMES)


def parse_tool(spec):
    """'ld.lld=lld' -> ('ld.lld', 'lld'); 'clang' -> ('clang', 'clang')."""
    dest, _, src = spec.partition("=")
    if not dest or "/" in dest or "/" in src:
        raise AssembleError(f"bad --tool {spec!r}: want NAME or NAME=LLVM_BIN_NAME")
    return dest, src or dest


ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def _need_dir(top, flag):
    if not os.path.isdir(top):
        what = "not a directory" if os.path.exists(top) else "no such directory"
        raise AssembleError(f"{top}: {what} (given to {flag}); check the path")


def check_executable(shown, data):
    """Raises unless DATA (an assembled tool) is an ELF file (not a script, link text or stub)."""
    if not is_elf(data):
        what = "empty" if not data else ("a script" if data[:2] == b"#!" else "not an ELF file")
        raise AssembleError(f"{shown}: {what}, not an ELF executable; the packages hold a broken or "
                            "wrapped tool (for a local LLVM: give the prefix of the real binaries)")


def compile_tree(top, keep=()):
    """Byte-compiles every .py below TOP (except KEEP) to a .pyc beside it.

    Run by the interpreter that will import them (the magic number must match). The pycs
    are unchecked-hash based (PEP 552: no timestamps, no source check) and name their
    source by its TOP-relative path, so they are the same bits in every output base.
    zipimport loads `mod.pyc` next to `mod.py`; without them every tool run recompiles
    what it imports (`python -B` never writes caches). Returns the number compiled.
    """
    import py_compile
    _need_dir(top, "--zip-tree")
    n = 0
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        for name in sorted(filenames):
            rel = os.path.relpath(os.path.join(dirpath, name), top)
            if not name.endswith(".py") or any(rel == k or rel.startswith(k.rstrip("/") + "/") for k in keep):
                continue
            try:
                py_compile.compile(os.path.join(top, rel), cfile=os.path.join(top, rel) + "c", dfile=rel,
                                   doraise=True, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
                n += 1
            except py_compile.PyCompileError:
                pass  # e.g. deliberately broken test data: imported as source, if ever
    return n


def zip_tree(top, zip_path, keep=()):
    """Moves the files below TOP into a deterministic zip (sorted, fixed dates, stored).

    Files whose TOP-relative path is in KEEP, or below a directory in KEEP, stay on disk
    (and are not zipped). Returns the number of files zipped. Python imports from a zip on
    sys.path as from a directory; one zip is one action input instead of hundreds.
    """
    import zipfile
    _need_dir(top, "--zip-tree")
    names = []
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        for name in sorted(filenames):
            rel = os.path.relpath(os.path.join(dirpath, name), top)
            if "__pycache__" in rel.split(os.sep):
                continue
            if any(rel == k or rel.startswith(k.rstrip("/") + "/") for k in keep):
                continue
            names.append(rel)
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_STORED) as z:
        for rel in sorted(names):
            info = zipfile.ZipInfo(rel.replace(os.sep, "/"), ZIP_DATE)
            info.external_attr = 0o644 << 16
            with open(os.path.join(top, rel), "rb") as f:
                z.writestr(info, f.read())
    for rel in names:
        os.remove(os.path.join(top, rel))
    return len(names)


def relative_symlinks(top):
    """Rewrites absolute symlinks under TOP (a sysroot) to point inside TOP, relatively."""
    _need_dir(top, "--relative-symlinks")
    fixed = 0
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                continue
            target = os.readlink(path)
            if not target.startswith("/"):
                continue
            new = os.path.relpath(os.path.join(top, target.lstrip("/")), dirpath)
            os.remove(path)
            os.symlink(new, path)
            fixed += 1
    return fixed


def parse_copy(spec, flag):
    """'usr/share/qemu=share/qemu' -> ('usr/share/qemu', 'share/qemu'); 'a/b' -> ('a/b', 'a/b')."""
    src, _, dest = spec.partition("=")
    dest = dest or src
    for p in (src, dest):
        if not p or p.startswith("/") or ".." in p.split("/"):
            raise AssembleError(f"bad {flag} {spec!r}: want SRC[=DEST], relative paths without '..'")
    return src, dest


def _within(root, path):
    """PATH (below ROOT) with its symlinks followed, an absolute target taken below ROOT.

    A package's absolute link (/usr/share/qemu/OVMF.fd -> /usr/share/ovmf/OVMF.fd) names
    another package's file: realpath() would find the host's copy, if the host has one.
    """
    for _ in range(40):
        if not os.path.islink(path):
            return path
        target = os.readlink(path)
        if target.startswith("/"):
            path = os.path.join(root, target.lstrip("/"))
        else:
            path = os.path.join(os.path.dirname(path), target)
    raise AssembleError(f"{os.path.relpath(path, root)}: too many levels of symbolic links")


def _copy_in(root, out, src, dest):
    """Copies ROOT/SRC to OUT/DEST: a file, or a tree whose links are followed within ROOT.

    Links to what the packages do not hold (or out of ROOT) are left out. Returns DEST.
    """
    path, target = _within(root, os.path.join(root, src)), os.path.join(out, dest)
    if not os.path.exists(path):
        raise AssembleError(f"{src}: not found in the packages (add the package that ships it and relock)")
    os.makedirs(os.path.dirname(target) or ".", exist_ok=True)
    if not os.path.isdir(path):
        shutil.copyfile(path, target)
        return dest
    os.makedirs(target, exist_ok=True)
    top = os.path.normpath(root) + os.sep
    for name in sorted(os.listdir(path)):
        child = os.path.normpath(_within(root, os.path.join(path, name)))
        if child.startswith(top) and os.path.exists(child):
            _copy_in(root, out, os.path.relpath(child, root), os.path.join(dest, name))
    return dest


def assemble_llvm(root, out, prefix, tools, allow_host_libs=False, data=(), modules=()):
    """Builds OUT/bin/<tool> and OUT/lib/*.so* from packages unpacked at ROOT.

    Args:
      root: directory holding the unpacked packages (usr/..., lib/...).
      out: directory to create bin/ and lib/ in (lib/clang/<v>/include: builtin headers).
      prefix: the LLVM prefix inside root, e.g. usr/lib/llvm-19.
      tools: names of the executables to take from PREFIX/bin.
      data: 'SRC=DEST' files or trees copied from ROOT to OUT as they are (firmware).
      modules: 'SRC=DEST' shared objects copied from ROOT to OUT that the tools dlopen();
        their libraries join the closure check, as the tools' do.
    """
    bin_dir, lib_dir = os.path.join(out, "bin"), os.path.join(out, "lib")
    tools = [parse_tool(t) for t in tools]
    copies = [parse_copy(spec, "--data") for spec in data]
    # Every tool is found and checked before anything is written.
    sources = []
    for dest, name in tools:
        src = os.path.join(root, prefix, "bin", name)
        if not os.path.exists(src):
            # Installs and release archives have both names; an assembled prefix only `dest`.
            src = os.path.join(root, prefix, "bin", dest)
        if not os.path.exists(src):
            raise AssembleError(f"{os.path.normpath(os.path.join(prefix, 'bin', name))}: not found in the LLVM "
                                "packages, archive or install (for Debian packages: add its package to the lock)")
        with open(os.path.realpath(src), "rb") as f:
            check_executable(os.path.normpath(os.path.join(prefix, "bin", os.path.basename(src))), f.read(4))
        sources.append((dest, src))
    os.makedirs(bin_dir, exist_ok=True)
    os.makedirs(lib_dir, exist_ok=True)
    modules = [_copy_in(root, out, *parse_copy(spec, "--module")) for spec in modules]
    for dest, src in sources:
        shutil.copyfile(os.path.realpath(src), os.path.join(bin_dir, dest))
        os.chmod(os.path.join(bin_dir, dest), 0o755)
    for lib_root in ["usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu", os.path.join(prefix, "lib")]:
        d = os.path.join(root, lib_root)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            src = os.path.join(d, name)
            if ".so" in name and os.path.isfile(src) and os.path.exists(os.path.realpath(src)):
                shutil.copyfile(os.path.realpath(src), os.path.join(lib_dir, name))
    clang_res = os.path.join(root, prefix, "lib", "clang")
    if os.path.isdir(clang_res):
        shutil.copytree(clang_res, os.path.join(lib_dir, "clang"), symlinks=False, dirs_exist_ok=True)
    objects = {}
    for d in (bin_dir, lib_dir):
        for name in sorted(os.listdir(d)):
            path = os.path.join(d, name)
            if not os.path.isfile(path):
                continue
            with open(path, "rb") as f:
                data = f.read()
            if not is_elf(data):
                continue
            shown = os.path.relpath(path, out)
            objects[shown] = dynamic_info(data, shown)["needed"]
            patched = runpath_to_rpath(data, shown)
            if patched != data:
                with open(path, "wb") as f:
                    f.write(patched)
    for dest in modules:
        with open(os.path.join(out, dest), "rb") as f:
            objects[dest] = dynamic_info(f.read(), dest)["needed"]
    # Check the closure of what the tools load, not every library in the packages.
    provided = set(os.listdir(lib_dir))
    todo = [f"bin/{dest}" for dest, _ in tools] + modules
    reach = {}
    while todo:
        obj = todo.pop()
        if obj in reach or obj not in objects:
            continue
        reach[obj] = objects[obj]
        todo.extend(f"lib/{s}" for s in objects[obj])
    missing = unresolved(reach, provided)
    if missing and not allow_host_libs:
        raise AssembleError("; ".join(f"{o} needs {s}" for o, s in missing) +
                            ": not in the locked packages; add the package that ships it and relock")
    for name in provided:
        if f"lib/{name}" not in reach and os.path.isfile(os.path.join(lib_dir, name)):
            os.remove(os.path.join(lib_dir, name))
    for src, dest in copies:
        _copy_in(root, out, src, dest)
    return sorted(reach)
