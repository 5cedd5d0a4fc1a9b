"""Lays out a kernel's dist directory (the KernelDist action of kernel_dist; see lib.py).

    stage.py --out=DIR --release_file=include/config/kernel.release --system_map=System.map \\
        --file=vmlinux=PATH --file=Image=PATH ... --order=modules.order \\
        --ko=lib/test_module.ko=PATH ... --depmod=bin/depmod

Errors are one line `dist: ...`, exit 1. Success prints nothing.
"""

import os
import shutil
import subprocess
import sys

from absl import app, flags

from tools.common import lib as common
from tools.dist import lib

_OUT = flags.DEFINE_string("out", None, "The directory to fill (a tree artifact).", required=True)
_RELEASE = flags.DEFINE_string("release_file", None, "include/config/kernel.release.", required=True)
_SYSTEM_MAP = flags.DEFINE_string("system_map", None, "System.map (depmod -F).", required=True)
_FILES = flags.DEFINE_multi_string("file", [], "NAME=PATH: a top-level file (vmlinux, Image, .config, ...).")
_ORDER = flags.DEFINE_string("order", None, "modules.order (Kbuild paths of the .ko files).")
_BUILTIN = flags.DEFINE_string("builtin", None, "modules.builtin.")
_BUILTIN_MODINFO = flags.DEFINE_string("builtin_modinfo", None, "modules.builtin.modinfo.")
_KOS = flags.DEFINE_multi_string("ko", [], "KBUILD_PATH=PATH: a module (repeat).")
_DEPMOD = flags.DEFINE_string("depmod", None, "kmod's depmod.", required=True)


def _split(flag, value):
    name, sep, path = value.partition("=")
    if not sep or not name or not path:
        raise app.UsageError(f"--{flag}={value}: want NAME=PATH")
    return name, path


def _read(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise lib.DistError(f"{path}: cannot read: {e}")


def _copy(src, out, rel):
    dest = os.path.join(out, rel)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    shutil.copyfile(src, dest)
    os.chmod(dest, 0o644)


def _write(out, rel, text):
    dest = os.path.join(out, rel)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    with open(dest, "w", encoding="utf-8") as f:
        f.write(text)


def _clear(out, keep_dir):
    if not os.path.isdir(out):
        return
    if not keep_dir:
        shutil.rmtree(out, ignore_errors=True)
        return
    for name in os.listdir(out):
        path = os.path.join(out, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.remove(path)


def stage(out):
    files = dict(_split("file", v) for v in _FILES.value)
    kos = dict(_split("ko", v) for v in _KOS.value)
    bad = sorted(set(files) - set(lib.TOP_FILES))
    if bad:
        raise app.UsageError(f"--file={bad[0]}=...: not a dist file name ({', '.join(lib.TOP_FILES)})")
    release = lib.check_release(_read(_RELEASE.value), _RELEASE.value)
    for name, path in sorted(files.items()):
        _copy(path, out, name)
    _copy(_SYSTEM_MAP.value, out, "System.map")
    mod_dir = lib.module_dir(release)
    os.makedirs(os.path.join(out, mod_dir), exist_ok=True)
    if _ORDER.value:
        order_text = _read(_ORDER.value)
        for rel, src in sorted(lib.install_layout(release, kos, order_text.splitlines()).items()):
            _copy(src, out, rel)
        _copy(_ORDER.value, out, "modules.order")
        _write(out, mod_dir + "/modules.order", lib.installed_order(order_text))
    for flag, name in ((_BUILTIN, "modules.builtin"), (_BUILTIN_MODINFO, "modules.builtin.modinfo")):
        if flag.value:
            _copy(flag.value, out, name)
            _copy(flag.value, out, f"{mod_dir}/{name}")
    cmd = lib.depmod_command(_DEPMOD.value, os.path.join(out, lib.INSTALL_ROOT), _SYSTEM_MAP.value, release)
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise lib.DistError(f"depmod exited {proc.returncode}: {common.one_line(proc.stderr or proc.stdout)}")
    lib.check_depmod_output(proc.stderr)
    missing = [n for n in lib.DEPMOD_FILES if not os.path.isfile(os.path.join(out, mod_dir, n))]
    if missing:
        raise lib.DistError(f"depmod wrote no {mod_dir}/{missing[0]}")
    digests = [(rel, lib.sha256_file(os.path.join(out, rel))) for rel in lib.walk_files(out)]
    _write(out, lib.MANIFEST, lib.manifest_text(digests))


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    existed = os.path.isdir(_OUT.value)
    try:
        stage(_OUT.value)
    except (lib.DistError, OSError) as e:
        _clear(_OUT.value, existed)  # no half-written tree behind
        sys.exit(f"dist: {e if isinstance(e, lib.DistError) else common.os_error_message(e)}")


if __name__ == "__main__":
    common.run(main, "dist")
