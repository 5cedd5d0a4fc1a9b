"""KernelPlanCheck: fails when a kernel's Kbuild plan is older than its source tree.

    plan_check.py --record=external/linux_x86_64_none/plan_sources.json \\
        --root=external/linux --include='**/Makefile*' ... --exclude=... \\
        --file=external/linux/Makefile ... --built_from=external/linux/kernel/bounds.c ... --fragment=configs/x86_64.config \\
        --tool=clang=external/kernel_llvm/bin/clang --out=plan_check.stamp

hashes every --file (the build's glob of the tree, --include/--exclude), the
--built_from files (those the import's own builds read), the --fragment files and the --tool files, and compares them with the import's record
(tools/plan_check/lib.py). The same: writes --out (the same bytes for every plan, so
what depends on it is never rebuilt for it). Different: exits 1 with one line naming
the first changed, added or removed file and the command that re-imports.
"""

import sys

from absl import app, flags

from tools.common import lib as common
from tools.plan_check import lib

_RECORD = flags.DEFINE_string("record", None, "The import's record (plan_sources.json).", required=True)
_ROOT = flags.DEFINE_string("root", None, "The source tree's directory (--file paths start with it).", required=True)
_INCLUDE = flags.DEFINE_multi_string("include", [], "A glob pattern of the tree files (repeat).")
_EXCLUDE = flags.DEFINE_multi_string("exclude", [], "An exclude pattern of that glob (repeat).")
_FILES = flags.DEFINE_multi_string("file", [], "A tree file the glob lists (repeat).")
_BUILT_FROM = flags.DEFINE_multi_string("built_from", [], "A tree file the import's builds read (repeat).")
_FRAGMENTS = flags.DEFINE_multi_string("fragment", [], "A config fragment, in the import's order (repeat).")
_TOOLS = flags.DEFINE_multi_string("tool", [], "NAME=FILE: a tool whose sha256 the import recorded (repeat).")
_OUT = flags.DEFINE_string("out", None, "The stamp to write when the plan is current.", required=True)


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    root = _ROOT.value.rstrip("/") + "/"
    tree, built_from = {}, {}
    for flag, paths, out in [("file", _FILES.value, tree), ("built_from", _BUILT_FROM.value, built_from)]:
        for path in paths:
            if not path.startswith(root):
                raise app.UsageError(f"--{flag}={path} is not below --root={_ROOT.value}")
            out[path[len(root):]] = path
    tools = {}
    for spec in _TOOLS.value:
        name, sep, path = spec.partition("=")
        if not sep:
            raise app.UsageError(f"--tool={spec}: expected NAME=FILE")
        tools[name] = path
    try:
        with open(_RECORD.value) as f:
            rec = lib.load(_RECORD.value, f.read())
        stale = lib.compare(
            rec,
            tree={rel: lib.sha256_file(path) for rel, path in tree.items()},
            built_from={rel: lib.sha256_file(path) for rel, path in built_from.items()},
            include=_INCLUDE.value,
            exclude=_EXCLUDE.value,
            fragments=[(p, lib.sha256_file(p)) for p in _FRAGMENTS.value],
            tools={name: lib.sha256_file(p) for name, p in tools.items()},
        )
    except lib.PlanCheckError as e:
        sys.exit(f"plan_check: {e}; re-import (./bazel sync --only=<the kernel's repository>)")
    except OSError as e:
        sys.exit(f"plan_check: {e.filename}: cannot read: {e.strerror}")
    if stale:
        sys.exit(lib.error_line(stale, rec))
    common.write_atomically(_OUT.value, lib.STAMP.encode())


if __name__ == "__main__":
    common.run(main, "plan_check")
