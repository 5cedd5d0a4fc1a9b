"""Tests of check_plan.py's plan loading: every bad plan file is one PlanError line."""

import json

from absl.testing import absltest

from tools.kbuild_import import check_plan

_OBJECT = {"out": "init/main.o", "src": "init/main.c", "flags": ["-O2"], "lto": "bitcode", "hdrs": [],
           "gen_inputs": [], "build_inputs": [], "incbin": []}


def _plan(**over):
    plan = {"schema": 2, "objects": [dict(_OBJECT)], "archives": {"vmlinux.a": {"members": ["init/main.o"]}},
            "link": {"ldflags": [], "vmlinux_o": ["$(LD)"], "lds": {"out": "v.lds", "src": "v.lds.S", "flags": []}},
            "modules": None}
    plan.update(over)
    return plan


def _load(data):
    return check_plan.load_plan("plan.json", data if isinstance(data, bytes) else json.dumps(data).encode())


class LoadPlanTest(absltest.TestCase):

    def test_good(self):
        self.assertEqual(_load(_plan())["schema"], 2)

    def test_bad_files(self):
        hint = "give the plan.json a kbuild import wrote (external/<kernel>/plan.json)"
        good = json.dumps(_plan(), indent=1).encode()
        for data, msg in [
            (b"", "plan.json: empty, not a plan"),
            (b" \n", "plan.json: empty, not a plan"),
            (good[:len(good) // 2], "plan.json:"),
            (b"{\n\xff}", "plan.json:2: not UTF-8 text, not a plan"),
            (b"not json", "plan.json:1: not JSON (Expecting value; truncated?)"),
            (b"[" * 100000, "plan.json:"),
            (b"[]", "plan.json: not a plan as check_plan reads it: the top level is not an object"),
            (b"{}", "plan.json: not a plan as check_plan reads it: no 'schema'"),
        ]:
            with self.subTest(data=data[:20]):
                with self.assertRaises(check_plan.PlanError) as cm:
                    _load(data)
                self.assertTrue(str(cm.exception).startswith(msg), str(cm.exception))
                self.assertTrue(str(cm.exception).endswith(hint), str(cm.exception))
                self.assertNotIn("\n", str(cm.exception))

    def test_wrong_shapes(self):
        for plan, problem in [
            (_plan(schema=1), "schema 1, this check reads schema 2"),
            (_plan(schema=True), "schema is not a number"),
            (_plan(objects={}), "objects is not a list"),
            (_plan(objects=[{"out": "a.o"}]), "objects[0]: no 'src'"),
            (_plan(objects=[dict(_OBJECT, flags="-O2")]), "objects[0].flags is not a list"),
            (_plan(link={"ldflags": []}), "link: no 'vmlinux_o'"),
            (_plan(link={"ldflags": [], "vmlinux_o": [], "lds": {"out": "x"}}), "link.lds: no 'src'"),
            (_plan(archives={"vmlinux.a": []}), "archives['vmlinux.a'] has no members list"),
            (_plan(modules={"list": {}}), "modules: no 'lds'"),
        ]:
            with self.subTest(problem=problem):
                self.assertEqual(check_plan.plan_problem(plan), problem)


if __name__ == "__main__":
    # check_plan's required flags are for its main; the test has none to give.
    for name in ("plan", "build_log"):
        check_plan.flags.FLAGS.set_default(name, "unused")
    absltest.main()
