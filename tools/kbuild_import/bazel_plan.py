"""Writes the plan as the Bazel rules read it (intern.py): header, generated-file and flag lists shared.

    bazel_plan.py --plan=plan.json --out=plan_bazel.json [--repo_out=plan_repo.json --srctree=DIR] [--objtree=DIR]

kernel_kbuild_repository runs it after the import; plan.bzl embeds the result (compact
JSON). plan.json, what check_plan and the tests read, is not changed. --repo_out is what
the repository rule itself needs from the plan (so that Starlark never decodes plan.json:
66 MB for x86_64 defconfig, 186 MB for arm64's): {"srcarch", "srctree_files",
"srcversion_modules"} (intern.srctree_files, intern.srcversion_modules over --srctree).
With --srctree and --objtree it adds each object's config footprint to plan_bazel.json
(footprint.py: the CONFIG_ symbols its source and headers mention) and its share key
(share.py: what config variants compile once). With --srctree,
--include_record writes the sha256 of the directive lines of every source-tree file an
entry reads (tools/include_scan: KernelIncludeScan's baseline).
"""

import json
import os

from absl import flags

from tools.common import lib as common
from tools.include_scan import lib as include_scan
from tools.kbuild_import import footprint, intern, share

_PLAN = flags.DEFINE_string("plan", None, "The plan the import wrote (JSON).", required=True)
_OBJTREE = flags.DEFINE_string("objtree", None, "The import's object tree (for the config footprints).")
_OUT = flags.DEFINE_string("out", None, "Where to write the interned plan (JSON).", required=True)
_REPO_OUT = flags.DEFINE_string("repo_out", None, "Where to write what the repository rule reads (JSON).")
_SRCTREE = flags.DEFINE_string("srctree", None, "The kernel source tree (with --repo_out; for the config footprints).")
_INCLUDE_RECORD = flags.DEFINE_string("include_record", None, "Where to write the directive record (JSON; needs --srctree).")


def repo_data(plan, srctree):
    """What kernel_kbuild_repository reads from the plan (see the module docstring)."""

    def read_source(path):
        with open(os.path.join(srctree, path), encoding="utf-8", errors="surrogateescape") as f:
            return f.read()

    return {
        "srcarch": plan["srcarch"],
        "srctree_files": intern.srctree_files(plan),
        "srcversion_modules": intern.srcversion_modules(plan, read_source),
    }


def include_record(bplan, read_source):
    """The directive record (tools/include_scan/lib.py) of every source-tree source and
    header of the entries kernel_objects compiles."""
    paths = set()
    for e in include_scan.entries(bplan):
        if e["src_root"] == "srctree":
            paths.add(e["src"])
        if e.get("hdrs", -1) >= 0:
            paths.update(include_scan.interned_list(bplan["interned"]["hdrs"], e["hdrs"]))
    return include_scan.directive_record(paths, read_source)


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def main(argv):
    del argv
    with open(_PLAN.value, encoding="utf-8") as f:
        plan = json.load(f)
    if not isinstance(plan.get("link"), dict) or not plan["link"].get("lds"):
        raise SystemExit(f"bazel_plan: {_PLAN.value}: the plan has no vmlinux.lds compile (link.lds); "
                         "the import's dry run did not print it: re-import from an empty object tree")
    bplan = intern.bazel_plan(plan)
    if _SRCTREE.value and _OBJTREE.value:
        roots = {"srctree": _SRCTREE.value, "objtree": _OBJTREE.value}
        read = lambda root, path: _read(os.path.join(roots[root], path))  # noqa: E731
        sets = []
        footprint.add_footprints(bplan, plan, read, sets)
        share.add_share_keys(bplan, plan, sets, read)
    text = json.dumps(bplan, separators=(",", ":"), sort_keys=True)
    with common.atomic_output(_OUT.value, "w", encoding="utf-8") as f:
        f.write(text)
    if _INCLUDE_RECORD.value:
        if not _SRCTREE.value:
            raise SystemExit("bazel_plan: --include_record needs --srctree (the kernel tree the plan reads)")
        record = include_record(bplan, lambda p: _read(os.path.join(_SRCTREE.value, p)))
        with common.atomic_output(_INCLUDE_RECORD.value, "w", encoding="utf-8") as f:
            json.dump(record, f, separators=(",", ":"), sort_keys=True)
    if _REPO_OUT.value:
        if not _SRCTREE.value:
            raise SystemExit("bazel_plan: --repo_out needs --srctree (the kernel tree the plan reads)")
        with common.atomic_output(_REPO_OUT.value, "w", encoding="utf-8") as f:
            json.dump(repo_data(plan, _SRCTREE.value), f, separators=(",", ":"), sort_keys=True)


if __name__ == "__main__":
    common.run(main, "bazel_plan")
