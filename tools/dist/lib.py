"""`bazel run //:dist`: the kernel's outputs, a modules_install tree and a sha256 manifest.

The staging action (stage.py, KernelDist) lays out one directory:

    vmlinux, Image | bzImage, System.map, .config, initramfs.cpio
    Module.symvers, modules.order, modules.builtin, modules.builtin.modinfo, *.ko
    modules_install/lib/modules/<release>/   as `make modules_install` + depmod leave it:
        kernel/<Kbuild path>.ko, modules.order (`kernel/` prefixed), modules.builtin,
        modules.builtin.modinfo, and what the real depmod (pinned kmod, run as
        scripts/depmod.sh does: `depmod -ae -F System.map -b ROOT RELEASE`) writes:
        modules.dep(.bin), modules.alias(.bin), modules.symbols(.bin), modules.softdep, ...
    MANIFEST                                 `<sha256>  <path>` per file, sorted by path
                                             (`sha256sum -c MANIFEST` checks a copy)

Not installed: Kbuild's `build` and `source` symlinks (absolute paths of one machine).
dist.py copies that directory to --dist_dir. Everything is sorted; nothing records a time.
"""

import hashlib
import os
import re
from typing import Dict, Iterable, List, Mapping, Sequence, Tuple


class DistError(Exception):
    """str() is one line: the file and what is wrong."""


MANIFEST = "MANIFEST"
INSTALL_ROOT = "modules_install"

# Top-level names a dist directory may hold besides modules (*.ko) and MANIFEST.
TOP_FILES = ("vmlinux", "Image", "bzImage", "System.map", ".config", "initramfs.cpio",
             "Module.symvers", "modules.order", "modules.builtin", "modules.builtin.modinfo")

# depmod's files (kmod 30 depmod.c `depfiles`), every one of which a depmod run writes.
DEPMOD_FILES = ("modules.dep", "modules.dep.bin", "modules.alias", "modules.alias.bin",
                "modules.softdep", "modules.symbols", "modules.symbols.bin",
                "modules.builtin.bin", "modules.builtin.alias.bin", "modules.devname")

_RELEASE_RE = re.compile(r"^[A-Za-z0-9._+~-]+$")


def check_release(text: str, path: str) -> str:
    """kernel.release's one line (it names a directory: no '/', no spaces)."""
    release = text.strip()
    if not _RELEASE_RE.match(release) or release in (".", ".."):
        raise DistError(f"{path}: {release!r} is not a kernel release (want e.g. 6.1.192; "
                        "it names lib/modules/<release>)")
    return release


def module_dir(release: str) -> str:
    return f"{INSTALL_ROOT}/lib/modules/{release}"


def install_layout(release: str, kos: Mapping[str, str], order: Sequence[str]) -> Dict[str, str]:
    """Destination (relative to the dist directory) -> source, for the .ko files: flat at the
    top (as Kleaf's dist) and under modules_install/lib/modules/<release>/kernel/<Kbuild path>."""
    missing = [k for k in order if k not in kos]
    if missing:
        raise DistError(f"modules.order: {missing[0]} has no .ko among the modules given")
    extra = sorted(set(kos) - set(order))
    if extra:
        raise DistError(f"{extra[0]}: not in modules.order")
    out = {}
    for path in order:
        if not path.endswith(".ko") or path.startswith("/") or ".." in path.split("/"):
            raise DistError(f"modules.order: {path!r} is not a relative .ko path")
        flat = os.path.basename(path)
        if flat in out:
            raise DistError(f"{path}: a second module named {flat} (module names must be unique)")
        out[flat] = kos[path]
        out[f"{module_dir(release)}/kernel/{path}"] = kos[path]
    return out


def installed_order(text: str) -> str:
    """modules.order as modules_install writes it: `sed 's:^:kernel/:'`."""
    return "".join(f"kernel/{line}\n" for line in text.splitlines())


def depmod_command(depmod: str, root: str, system_map: str, release: str) -> List[str]:
    """scripts/depmod.sh's call: `depmod -ae -F System.map -b ROOT RELEASE`."""
    return [depmod, "-ae", "-F", system_map, "-b", root, release]


def check_depmod_output(stderr: str) -> None:
    """depmod -e warns (exit 0) about unresolved symbols: a module that could not load."""
    bad = [l for l in stderr.splitlines() if "needs unknown symbol" in l or l.startswith("depmod: ERROR")]
    if bad:
        raise DistError(f"depmod: {bad[0].strip()} (and {len(bad) - 1} more)" if len(bad) > 1 else f"depmod: {bad[0].strip()}")


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def walk_files(root: str) -> List[str]:
    """Every regular file under root, relative, '/'-separated, sorted; symlinks are errors."""
    out = []
    for d, dirs, files in os.walk(root):
        dirs.sort()
        for name in files:
            full = os.path.join(d, name)
            if os.path.islink(full):
                raise DistError(f"{full}: a symlink in the dist tree (want regular files only)")
            out.append(os.path.relpath(full, root).replace(os.sep, "/"))
    return sorted(out)


def manifest_text(digests: Iterable[Tuple[str, str]]) -> str:
    """`<sha256>  <path>` lines (sha256sum's format), sorted by path."""
    return "".join(f"{h}  {p}\n" for p, h in sorted(digests))


def parse_manifest(text: str, path: str) -> List[Tuple[str, str]]:
    """[(relative path, sha256)] of a MANIFEST; each path must stay inside its directory."""
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        m = re.match(r"^([0-9a-f]{64})  (.+)$", line)
        if not m:
            raise DistError(f"{path}:{n}: want `<sha256>  <path>`, got {line[:60]!r}")
        rel = m.group(2)
        if rel.startswith("/") or ".." in rel.split("/"):
            raise DistError(f"{path}:{n}: {rel!r} leaves the dist directory")
        out.append((rel, m.group(1)))
    return out


def dist_dir(flag: str, env: Mapping[str, str], cwd: str) -> str:
    """--dist_dir as an absolute path: a relative one is relative to the user's workspace
    (BUILD_WORKSPACE_DIRECTORY under `bazel run`), as Kleaf's copy_to_dist_dir."""
    if not flag:
        raise DistError("--dist_dir is empty; e.g. bazel run //:dist -- --dist_dir=out/dist")
    base = env.get("BUILD_WORKSPACE_DIRECTORY") or cwd
    return os.path.normpath(os.path.join(base, flag))
