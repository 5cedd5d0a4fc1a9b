"""Copies a kernel's dist directory to --dist_dir (what `bazel run //:dist` runs).

    bazel run //:dist --platforms=//platforms:arm64 -- --dist_dir=out/dist

A relative --dist_dir is relative to your workspace (BUILD_WORKSPACE_DIRECTORY), as
Kleaf's copy_to_dist_dir. Every file of the staged directory's MANIFEST is checked against
its sha256 and copied (replacing a file of the same name; other files in --dist_dir are
left alone), then the MANIFEST itself: `cd out/dist && sha256sum -c MANIFEST` checks the copy.
The launcher kernel_dist writes passes --tree (a runfiles path, found with bazel-runfiles).
Prints one line: how many files went where. Errors are one line `dist: ...`, exit 1.
"""

import os
import shutil
import sys

from absl import app, flags

from tools.common import lib as common
from tools.dist import lib

_TREE = flags.DEFINE_string("tree", None, "Runfiles path of the staged dist directory (set by the launcher).", required=True)
_DIST_DIR = flags.DEFINE_string("dist_dir", None, "Where to copy the kernel's outputs.", required=True)


def copy_tree(tree, dest):
    """Copies the MANIFEST's files of TREE to DEST (checked); returns how many."""
    manifest = os.path.join(tree, lib.MANIFEST)
    try:
        with open(manifest, encoding="utf-8") as f:
            entries = lib.parse_manifest(f.read(), manifest)
    except OSError as e:
        raise lib.DistError(f"{manifest}: cannot read: {e.strerror}")
    for rel, digest in entries:
        src = os.path.join(tree, rel)
        if lib.sha256_file(src) != digest:
            raise lib.DistError(f"{src}: sha256 differs from its MANIFEST line; rebuild (bazel clean?)")
        target = os.path.join(dest, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if os.path.lexists(target):
            os.remove(target)
        shutil.copyfile(src, target)
        os.chmod(target, 0o644)
    target = os.path.join(dest, lib.MANIFEST)
    if os.path.lexists(target):
        os.remove(target)
    shutil.copyfile(manifest, target)
    os.chmod(target, 0o644)
    return len(entries)


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]} (flags only: --dist_dir=DIR)")
    from runfiles import runfiles

    try:
        dest = lib.dist_dir(_DIST_DIR.value, os.environ, os.getcwd())
        r = runfiles.Create()
        tree = r.Rlocation(_TREE.value) if r else None
        if not tree or not os.path.isdir(tree):
            raise lib.DistError(f"--tree={_TREE.value}: not in this tool's runfiles; run it with `bazel run`")
        n = copy_tree(tree, dest)
    except lib.DistError as e:
        sys.exit(f"dist: {e}")
    except OSError as e:
        sys.exit(f"dist: {common.os_error_message(e)}")
    print(f"dist: {n} files and {lib.MANIFEST} in {dest}", file=sys.stderr)


if __name__ == "__main__":
    common.run(main, "dist")
