"""Writes the plan as the Bazel rules read it (intern.py): header, generated-file and flag lists shared.

    bazel_plan.py --plan=plan.json --out=plan_bazel.json

kernel_kbuild_repository runs it after the import; plan.bzl embeds the result (compact
JSON). plan.json, what check_plan and the tests read, is not changed.
"""

import json

from absl import flags

from tools.common import lib as common
from tools.kbuild_import import intern

_PLAN = flags.DEFINE_string("plan", None, "The plan the import wrote (JSON).", required=True)
_OUT = flags.DEFINE_string("out", None, "Where to write the interned plan (JSON).", required=True)


def main(argv):
    del argv
    with open(_PLAN.value, encoding="utf-8") as f:
        plan = json.load(f)
    if not isinstance(plan.get("link"), dict) or not plan["link"].get("lds"):
        raise SystemExit(f"bazel_plan: {_PLAN.value}: the plan has no vmlinux.lds compile (link.lds); "
                         "the import's dry run did not print it: re-import from an empty object tree")
    text = json.dumps(intern.bazel_plan(plan), separators=(",", ":"), sort_keys=True)
    with common.atomic_output(_OUT.value, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    common.run(main, "bazel_plan")
