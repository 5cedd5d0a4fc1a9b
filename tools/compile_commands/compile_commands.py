"""Writes compile_commands.json for a Kbuild import (`bazel run //:compile_commands`).

    compile_commands.py --plan=plan.json --srctree_file=<@linux Makefile> \\
        --objtree_file=<obj/include/config/auto.conf> --clang=<clang> [--out=FILE]

Run by `bazel run`: the runfiles are resolved to the real trees (the kernel source the
import used, its object tree, the hermetic clang), so the file is valid outside Bazel's
sandbox, for clangd in the user's tree. --out defaults to compile_commands.json in the
workspace `bazel run` was started from (BUILD_WORKSPACE_DIRECTORY).
"""

import json
import os
import subprocess
import sys

from absl import app, flags

from tools.common import lib as common
from tools.compile_commands import lib

_PLAN = flags.DEFINE_string("plan", None, "The import's plan.json.", required=True)
_SRCTREE_FILE = flags.DEFINE_string("srctree_file", None, "The kernel tree's top Makefile.", required=True)
_OBJTREE_FILE = flags.DEFINE_string("objtree_file", None, "A file of the import's object tree.", required=True)
_OBJTREE_REL = flags.DEFINE_string("objtree_rel", "include/config/auto.conf", "--objtree_file's path in the object tree.")
_CLANG = flags.DEFINE_string("clang", None, "The hermetic clang.", required=True)
_OUT = flags.DEFINE_string("out", None, "Output file; default BUILD_WORKSPACE_DIRECTORY/compile_commands.json.")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    out = _OUT.value
    if not out:
        ws = os.environ.get("BUILD_WORKSPACE_DIRECTORY")
        if not ws:
            raise app.UsageError("give --out=FILE (or start it with `bazel run`, which sets BUILD_WORKSPACE_DIRECTORY)")
        out = os.path.join(ws, "compile_commands.json")
    objtree_file = os.path.realpath(_OBJTREE_FILE.value)
    if not objtree_file.endswith("/" + _OBJTREE_REL.value):
        sys.exit(f"compile_commands: {objtree_file}: expected a path ending in {_OBJTREE_REL.value}")
    objtree = objtree_file[:-len(_OBJTREE_REL.value) - 1]
    srctree = os.path.dirname(os.path.realpath(_SRCTREE_FILE.value))
    clang = os.path.realpath(_CLANG.value)
    resource_dir = subprocess.run([clang, "-print-resource-dir"], capture_output=True, text=True,
                                  check=True).stdout.strip()
    with open(_PLAN.value, encoding="utf-8") as f:
        plan = json.load(f)
    try:
        entries = lib.entries(plan, srctree=srctree, objtree=objtree, clang=clang, resource_dir=resource_dir)
    except lib.CompileCommandsError as e:
        sys.exit(f"compile_commands: {_PLAN.value}: {e}")
    common.write_atomically(out, (json.dumps(entries, indent=1, sort_keys=True) + "\n").encode())
    print(f"compile_commands: {len(entries)} entries ({plan['arch']}, lto={plan['lto']}) -> {out}\n"
          f"  sources: {srctree}\n  generated headers: {objtree}", file=sys.stderr)


if __name__ == "__main__":
    common.run(main, "compile_commands")
