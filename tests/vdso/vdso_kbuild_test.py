"""The vDSO actions' outputs equal what Kbuild's own make wrote for the same .config.

The import ran Kbuild's make for the vDSO once (its dependency scan reads vdso-image-64.c)
and recorded the sha256 of every file as the plan's vdso.kbuild, before removing the files:
each output of the plan's vdso steps, as the actions built it (output group `vdso` of the
objects target), must have exactly that hash. tests/vdso/kbuild_diff.sh compares against a
fresh Kbuild build instead."""

import hashlib
import json
import os

from absl import flags
from absl.testing import absltest

_PLAN = flags.DEFINE_string("plan", None, "The import's plan.json (runfiles path).", required=True)
_MIN = flags.DEFINE_integer("min", 1, "Fewest vDSO files expected.")


def _runfile(path):
    return os.path.join(os.environ["TEST_SRCDIR"], os.environ["TEST_WORKSPACE"], path)


class VdsoKbuildTest(absltest.TestCase):
    def test_every_output_equals_kbuilds(self):
        plan_path = _PLAN.value
        if not os.path.exists(_runfile(plan_path)) and plan_path.startswith("external/"):
            plan_path = os.path.join(os.environ["TEST_SRCDIR"], plan_path[len("external/"):])
        else:
            plan_path = _runfile(plan_path)
        with open(plan_path) as f:
            vdso = json.load(f).get("vdso")
        self.assertTrue(vdso, f"{_PLAN.value}: the plan has no vdso section")
        ours = {}
        for d, _, files in os.walk(os.environ["TEST_SRCDIR"], followlinks=True):
            if "/objects/" in d + "/":
                for name in files:
                    full = os.path.join(d, name)
                    rel = full.split("/objects/", 1)[1]
                    if rel in vdso["kbuild"]:
                        with open(full, "rb") as f:
                            ours[rel] = hashlib.sha256(f.read()).hexdigest()
        self.assertGreaterEqual(len(ours), _MIN.value, "too few vDSO outputs in the runfiles")
        self.assertEqual(sorted(ours), sorted(e["out"] for e in vdso["steps"]))
        for rel, h in sorted(ours.items()):
            self.assertEqual(h, vdso["kbuild"][rel], f"{rel}: differs from Kbuild's (the import's make)")


if __name__ == "__main__":
    absltest.main()
