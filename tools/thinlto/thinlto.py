"""Distributed ThinLTO steps run as Bazel actions.

    thinlto --mode=thin_link --ld=LD --ld_arg=... --input=A.o ... --bitcode=A.o --tree=A.tree ...
    thinlto --mode=backend --clang=CLANG --clang_arg=... --tree=A.tree --object=A.o --out=A.native.o
            --machine=EM_AARCH64 [--incbin=NAME=FILE ...]

A --tree is a directory, or a bundle: a path ending in `.tar`, one file holding the same
names (tools/thinlto/lib.py write_entries), which the thin-link writes and the backend
unpacks into a temporary directory.

Both modes check what they produced: clang exits 0 on several ThinLTO failures.

A backend whose object's inline assembly `.incbin`s a file (kernel/configs.o under
CONFIG_IKCONFIG: `.incbin "kernel/config_data.gz"`) gets it as --incbin: clang then runs
in a copy of the tree's directory where NAME resolves, as Kbuild's link runs in the object
tree (tools/common/incbin.py).
"""

import os
import subprocess
import sys
import tempfile

from absl import app, flags

from tools.common import incbin as incbin_lib
from tools.common import lib as common
from tools.elfinfo import lib as elfinfo
from tools.thinlto import lib

_MODE = flags.DEFINE_enum("mode", None, ["thin_link", "backend"], "Which step to run.", required=True)
_LD = flags.DEFINE_string("ld", None, "thin_link: ld.lld.")
_LD_ARGS = flags.DEFINE_multi_string("ld_arg", [], "thin_link: ld.lld flags before the inputs.")
_INPUTS = flags.DEFINE_multi_string(
    "input", [], "thin_link: every linker input in link order; --start-lib/--end-lib pass through.")
_BITCODE = flags.DEFINE_multi_string("bitcode", [], "thin_link: bitcode objects that get a backend.")
_TREES = flags.DEFINE_multi_string("tree", [], "thin_link: per --bitcode, the tree to stage; backend: the tree.")
_CLANG = flags.DEFINE_string("clang", None, "backend: clang.")
_CLANG_ARGS = flags.DEFINE_multi_string("clang_arg", [], "backend: clang flags (target, -O, codegen).")
_OBJECT = flags.DEFINE_string("object", None, "backend: the module path of the object, as given to the thin-link.")
_OUT = flags.DEFINE_string("out", None, "backend: the native object to write.")
_MACHINE = flags.DEFINE_string("machine", None, "backend: expected e_machine, e.g. EM_AARCH64.")
_INCBIN = flags.DEFINE_multi_string("incbin", [], "backend: NAME=FILE, a file the object's .incbin reads as NAME.")


def _need(mode, *flag_values):
    for name, value in flag_values:
        if not value:
            raise app.UsageError(f"--mode={mode} needs --{name}")


def _kind(path):
    with open(path, "rb") as f:
        return elfinfo.kind(f.read(4))


def _thin_link():
    _need("thin_link", ("ld", _LD.value))
    if len(_BITCODE.value) != len(_TREES.value):
        raise app.UsageError("--bitcode and --tree must pair up")
    lib.check_bitcode_inputs(_INPUTS.value, _BITCODE.value, {m: _kind(m) for m in _BITCODE.value})
    with tempfile.TemporaryDirectory(prefix="thinlink.") as idx:
        listed = os.path.join(idx, "thinlto.index")
        cmd = [_LD.value, *_LD_ARGS.value, "-o", os.path.join(idx, "unused.o"),
               f"--thinlto-index-only={listed}", "--thinlto-emit-imports-files",
               f"--thinlto-prefix-replace=;{idx}/", *_INPUTS.value]
        proc = subprocess.run(cmd, capture_output=True, check=False)
        if proc.returncode != 0:
            err = common.one_line(proc.stderr.decode("utf-8", "replace")) or "no message"
            raise lib.ThinLtoError(f"thin-link failed ({_LD.value} exited {proc.returncode}): {err}")
        known = {i for i in _INPUTS.value if not i.startswith("-")}
        lazy = lib.lazy_inputs(_INPUTS.value)
        with open(listed, encoding="utf-8", errors="surrogateescape") as f:
            linked = lib.linked_modules(f.read(), idx)
        for module, tree in zip(_BITCODE.value, _TREES.value):
            if module in linked:
                lib.stage_tree(module, idx, tree, known, lib.relocatable_link(_LD_ARGS.value))
            else:
                lib.check_unlinked(module, lazy)
                lib.stage_skipped(module, tree)


def _backend():
    _need("backend", ("clang", _CLANG.value), ("object", _OBJECT.value), ("out", _OUT.value),
          ("machine", _MACHINE.value))
    with tempfile.TemporaryDirectory(prefix="bundle.") as unpacked:
        tree = _tree_dir()
        if lib.is_bundle(tree):
            lib.unpack_bundle(tree, unpacked)
            tree = unpacked
        _backend_in(tree)


def _backend_in(tree):
    files = os.path.join(tree, "files")
    with common.atomic_path(_OUT.value) as tmp:
        if lib.is_skipped(tree):
            # A lazy archive member the link did not pull in: an object with no symbols keeps
            # the backend's declared output, and passed lazily it is never extracted either.
            cmd = [_CLANG.value, *_CLANG_ARGS.value, "-x", "c", "-c", os.devnull, "-o", tmp]
            proc = subprocess.run(cmd, capture_output=True, check=False)
            if proc.returncode != 0:
                err = common.one_line(proc.stderr.decode("utf-8", "replace"))
                raise lib.ThinLtoError(f"{_OBJECT.value}: cannot write the empty object: {err}")
            with open(tmp, "rb") as f:
                lib.check_native(_OUT.value, f.read(), _MACHINE.value)
            return
        lib.check_module(tree, _OBJECT.value)
        defined = []
        if lib.is_relocatable(tree):
            with open(os.path.join(files, _OBJECT.value), "rb") as f:
                defined = lib.bitcode_defined(_OBJECT.value, f.read())
        with tempfile.TemporaryDirectory(prefix="backend.") as mirror:
            cwd = _incbin_dir(tree, files, mirror)
            out = os.path.relpath(os.path.abspath(tmp), cwd)
            clang = os.path.relpath(os.path.abspath(_CLANG.value), cwd)
            cmd = [clang, *_CLANG_ARGS.value, "-x", "ir", "-fthinlto-index=../index.thinlto.bc",
                   "-c", _OBJECT.value, "-o", out]
            proc = subprocess.run(cmd, cwd=cwd, capture_output=True, check=False)
        stderr = proc.stderr.decode("utf-8", "replace")
        lib.check_backend_stderr(_OBJECT.value, stderr)
        if proc.returncode != 0:
            raise lib.ThinLtoError(f"{_OBJECT.value}: clang exited {proc.returncode}: {common.one_line(stderr)}")
        with open(tmp, "rb") as f:
            lib.check_native(_OUT.value, f.read(), _MACHINE.value, defined)


def _incbin_dir(tree, files, mirror):
    """Where clang runs: the tree's files/, or with --incbin a copy of it (in MIRROR) that
    also has each NAME, beside the tree's index."""
    incbins = incbin_lib.parse_all(_INCBIN.value)
    if not incbins:
        return files
    cwd = os.path.join(mirror, "files")
    os.mkdir(cwd)
    incbin_lib.mirror(cwd, os.path.abspath(files), [(name, os.path.abspath(path)) for name, path in incbins])
    os.symlink(os.path.abspath(os.path.join(tree, "index.thinlto.bc")), os.path.join(mirror, "index.thinlto.bc"))
    return cwd


def _tree_dir():
    if len(_TREES.value) != 1:
        raise app.UsageError("backend takes exactly one --tree")
    return _TREES.value[0]


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    try:
        if _MODE.value == "thin_link":
            _thin_link()
        else:
            _backend()
    except (lib.ThinLtoError, incbin_lib.IncbinError) as e:
        sys.exit(f"thinlto: {e}")
    except OSError as e:
        sys.exit(f"thinlto: {common.os_error_message(e)}")


if __name__ == "__main__":
    common.run(main, "thinlto")
