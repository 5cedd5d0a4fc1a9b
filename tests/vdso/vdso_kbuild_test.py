"""The vDSO (or realmode, generate: --section) actions' outputs equal what Kbuild's own make wrote for the same .config.

The import ran Kbuild's make for the vDSO once (its dependency scan reads vdso-image-64.c)
and recorded the sha256 of every file as the plan's vdso.kbuild, before removing the files:
each output of the plan's vdso steps, as the actions built it (output group `vdso` of the
objects target), must have exactly that hash. x86's realmode blob (section `realmode`,
tests/realmode) and the generated sources (section `generate`, tests/generate) the same, and
none of their outputs may still be an import-made file or build step. Files whose Kbuild bytes hold the import machine's paths (the
section's kbuild_paths: -g objects' DWARF, as realmode's) are only checked to be built;
what they link into (realmode.elf, .bin, .relocs) is compared. The kbuild_diff.sh scripts
compare against a fresh Kbuild build instead."""

import hashlib
import json
import os

from absl import flags
from absl.testing import absltest

_PLAN = flags.DEFINE_string("plan", None, "The import's plan.json (runfiles path).", required=True)
_SECTION = flags.DEFINE_enum("section", "vdso", ["vdso", "realmode", "generate"], "The plan section to check.")
_MIN = flags.DEFINE_integer("min", 1, "Fewest outputs expected to be compared byte for byte.")


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
            plan = json.load(f)
        section = plan.get(_SECTION.value)
        self.assertTrue(section, f"{_PLAN.value}: the plan has no {_SECTION.value} section")
        made = {p for e in section["steps"] for p in [e["out"]] + e.get("also", [])}
        # What the actions make is no longer an import-made file or step.
        for group, files in plan["generated"].items():
            self.assertFalse(made & set(files), f"{_SECTION.value} outputs still in generated.{group}")
        self.assertFalse(made & {s["target"] for s in plan["build_steps"]}, f"{_SECTION.value} outputs still in build_steps")
        ours = {}
        for d, _, files in os.walk(os.environ["TEST_SRCDIR"], followlinks=True):
            if "/objects/" in d + "/":
                for name in files:
                    full = os.path.join(d, name)
                    rel = full.split("/objects/", 1)[1]
                    if rel in section["kbuild"]:
                        with open(full, "rb") as f:
                            ours[rel] = hashlib.sha256(f.read()).hexdigest()
        self.assertEqual(sorted(ours), sorted(made))
        with_paths = set(section.get("kbuild_paths", ()))
        compared = sorted(rel for rel in ours if rel not in with_paths)
        self.assertGreaterEqual(len(compared), _MIN.value, f"too few {_SECTION.value} outputs to compare")
        for rel in compared:
            self.assertEqual(ours[rel], section["kbuild"][rel], f"{rel}: differs from Kbuild's (the import's make)")


if __name__ == "__main__":
    absltest.main()
