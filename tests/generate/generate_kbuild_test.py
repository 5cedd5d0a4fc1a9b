"""The generate actions' outputs equal what Kbuild's own make wrote for the same .config.

The import ran Kbuild's generators once (its dependency scan reads lib/crc32table.h,
inat-tables.c, ...) and recorded the sha256 of every output as the plan's generate.kbuild,
before removing the files: each output of the plan's generate steps, as the actions built
it (output group `generate` of the objects target), must have exactly that hash.
tests/generate/kbuild_diff.sh compares against a fresh Kbuild build instead."""

import hashlib
import json
import os

from absl import flags
from absl.testing import absltest

_PLAN = flags.DEFINE_string("plan", None, "The import's plan.json (runfiles path).", required=True)
_MIN = flags.DEFINE_integer("min", 1, "Fewest generated files expected.")


def _runfile(path):
    return os.path.join(os.environ["TEST_SRCDIR"], os.environ["TEST_WORKSPACE"], path)


class GenerateKbuildTest(absltest.TestCase):
    def test_every_output_equals_kbuilds(self):
        plan_path = _PLAN.value
        if not os.path.exists(_runfile(plan_path)) and plan_path.startswith("external/"):
            plan_path = os.path.join(os.environ["TEST_SRCDIR"], plan_path[len("external/"):])
        else:
            plan_path = _runfile(plan_path)
        with open(plan_path) as f:
            plan = json.load(f)
        section = plan.get("generate")
        self.assertTrue(section, f"{_PLAN.value}: the plan has no generate section")
        made = {e["out"] for e in section["steps"]}
        # Nothing the actions make is still an import-made file or step.
        self.assertFalse(made & set(plan["generated"]["build"]), "generate outputs still in generated.build")
        self.assertFalse(made & {s["target"] for s in plan["build_steps"]}, "generate outputs still in build_steps")
        ours = {}
        for d, _, files in os.walk(os.environ["TEST_SRCDIR"], followlinks=True):
            if "/objects/" in d + "/":
                for name in files:
                    full = os.path.join(d, name)
                    rel = full.split("/objects/", 1)[1]
                    if rel in section["kbuild"]:
                        with open(full, "rb") as f:
                            ours[rel] = hashlib.sha256(f.read()).hexdigest()
        self.assertGreaterEqual(len(ours), _MIN.value, "too few generated outputs in the runfiles")
        self.assertEqual(sorted(ours), sorted(made))
        for rel, h in sorted(ours.items()):
            self.assertEqual(h, section["kbuild"][rel], f"{rel}: differs from Kbuild's (the import's make)")


if __name__ == "__main__":
    absltest.main()
