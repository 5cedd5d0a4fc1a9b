"""Tests for intern.py: every entry's lists and flags come back exactly (round trip)."""

import json
import random

from absl.testing import absltest

from tools.kbuild_import import intern


def _entry(out, hdrs, gen, flags):
    return {"out": out, "hdrs": hdrs, "gen_inputs": gen, "flags": flags, "src": out[:-2] + ".c"}


def _plan(objects, lds_hdrs=(), modules=True):
    plan = {"schema": 2, "objects": objects, "link": {"lds": _entry("arch/x/vmlinux.lds", sorted(lds_hdrs), [], ["-E"])}}
    if modules:
        plan["modules"] = {"lds": _entry("scripts/module.lds", [], ["include/generated/autoconf.h"], ["-E", "-P"])}
    return plan


class InternListsTest(absltest.TestCase):

    def test_round_trip_and_sharing(self):
        lists = [["a.h", "b.h", "c.h"], ["a.h", "b.h"], ["a.h", "b.h", "d.h"], [], ["d.h"], ["a.h", "b.h", "c.h"]]
        table, ids = intern.intern_lists(lists)
        self.assertEqual([intern.expand(table, i) for i in ids], [sorted(l) for l in lists])
        self.assertEqual(ids[3], -1)
        self.assertEqual(ids[0], ids[5])  # equal lists share a node
        self.assertEqual(table["paths"][:2], ["a.h", "b.h"])  # most read first
        # a.h and b.h are stored once, on the node the three lists that read them share.
        self.assertEqual(sum(len(n[1]) for n in table["nodes"]), 5)
        for i, (parent, _) in enumerate(table["nodes"]):
            self.assertLess(parent, i)  # parents first: the rules build depsets in order

    def test_a_list_is_a_set(self):
        table, ids = intern.intern_lists([["b.h", "a.h", "b.h"]])
        self.assertEqual(intern.expand(table, ids[0]), ["a.h", "b.h"])

    def test_random_lists(self):
        rng = random.Random(9)
        pool = ["include/h{}.h".format(i) for i in range(60)]
        for _ in range(20):
            lists = [sorted(rng.sample(pool, rng.randint(0, 40))) for _ in range(rng.randint(1, 50))]
            table, ids = intern.intern_lists(lists)
            self.assertEqual([intern.expand(table, i) for i in ids], lists)


class InternFlagsTest(absltest.TestCase):

    def test_own_flags_go_back_in_place(self):
        a = ["-O2", "-DKBUILD_MODFILE=\"init/main\"", "-I", "x", "-DKBUILD_BASENAME=\"main\"", "-D__KBUILD_MODNAME=kmod_main"]
        b = ["-O2", "-DKBUILD_MODFILE=\"init/do\"", "-I", "x", "-DKBUILD_BASENAME=\"do\"", "-D__KBUILD_MODNAME=kmod_do"]
        c = ["-O2", "-DKBUILD_EXTRA=1"]
        sets, refs = intern.intern_flags([a, b, c])
        self.assertEqual(sets, [["-O2", "-I", "x"], ["-O2"]])
        self.assertEqual(refs[0][0], refs[1][0])
        for flags, (set_id, own) in zip([a, b, c], refs):
            self.assertEqual(intern.entry_flags(sets, set_id, own), flags)

    def test_not_own(self):
        # -DKBUILD_ only at the start of a flag: a value mentioning it is shared.
        sets, refs = intern.intern_flags([["-Wp,-DKBUILD_X"], ["-DXKBUILD_Y"]])
        self.assertEqual(sets, [["-Wp,-DKBUILD_X"], ["-DXKBUILD_Y"]])
        self.assertEqual([r[1] for r in refs], [[], []])


class BazelPlanTest(absltest.TestCase):

    def test_vdso_kbuild_hashes_stay_out(self):
        plan = _plan([_entry("lib/x.o", [], [], [])], [], False)
        plan["vdso"] = {"steps": [], "kbuild": {"arch/x/vdso.so": "ab" * 32}}
        plan["certs"] = {"steps": [], "kbuild": {"certs/signing_key.x509": "cd" * 32}}
        bplan = intern.bazel_plan(plan)
        for section in ("vdso", "certs"):
            self.assertNotIn("kbuild", bplan[section])
            self.assertIn("kbuild", plan[section])  # plan.json keeps them (tests/vdso, tests/certs)

    def test_realmode_kbuild_hashes_stay_out(self):
        plan = _plan([_entry("lib/x.o", [], [], [])], [], False)
        plan["realmode"] = {"steps": [{"srcs": ["arch/x86/realmode/rm/header.S"]}],
                            "kbuild": {"arch/x86/realmode/rm/header.o": "ab" * 32},
                            "kbuild_paths": ["arch/x86/realmode/rm/header.o"]}
        bplan = intern.bazel_plan(plan)
        self.assertEqual(sorted(bplan["realmode"]), ["steps"])
        self.assertEqual(plan["realmode"]["kbuild_paths"], ["arch/x86/realmode/rm/header.o"])

    def test_generate_kbuild_hashes_stay_out(self):
        plan = _plan([_entry("lib/x.o", [], [], [])], [], False)
        plan["generate"] = {"steps": [], "kbuild": {"lib/crc32table.h": "cd" * 32}}
        bplan = intern.bazel_plan(plan)
        self.assertNotIn("kbuild", bplan["generate"])
        self.assertIn("kbuild", plan["generate"])  # plan.json keeps them (tests/generate)

    def test_round_trip(self):
        objects = [
            _entry("init/main.o", ["include/a.h", "include/b.h"], ["include/generated/autoconf.h"], ["-O2", "-DKBUILD_BASENAME=\"main\""]),
            _entry("init/do.o", ["include/a.h"], [], ["-O2", "-DKBUILD_BASENAME=\"do\""]),
            _entry("lib/x.o", [], [], []),
        ]
        for modules in [True, False]:
            plan = _plan(objects, ["include/a.h"], modules)
            bplan = intern.bazel_plan(plan)
            self.assertIsInstance(bplan["objects"][0]["hdrs"], int)
            self.assertIsInstance(bplan["link"]["lds"]["flags"], int)
            self.assertEqual(intern.expand_plan(bplan), plan)
            self.assertEqual(plan["objects"][0]["hdrs"], ["include/a.h", "include/b.h"])  # input untouched
            self.assertEqual(json.loads(json.dumps(bplan)), bplan)


class RepoDataTest(absltest.TestCase):
    """What the repository rule reads instead of decoding plan.json."""

    def _plan(self):
        objects = [
            {"out": "init/main.o", "src": "init/main.c", "src_root": "srctree", "hdrs": ["include/a.h", "include/b.h"]},
            {"out": "drivers/x/x.o", "src": "drivers/x/x.c", "src_root": "srctree", "hdrs": ["include/c.h"]},
            {"out": "drivers/x/y.o", "src": "drivers/x/y.c", "src_root": "srctree", "hdrs": []},
            {"out": "lib/gen.o", "src": "lib/gen.c", "src_root": "objtree", "hdrs": ["include/g.h"]},
        ]
        return {
            "objects": objects,
            "link": {"lds": {"src": "arch/x/vmlinux.lds.S", "src_root": "srctree", "hdrs": ["include/l.h"]}},
            "modules": {
                "lds": {"src": "scripts/module.lds.S", "src_root": "srctree", "hdrs": []},
                "mod_c": {"hdrs": ["include/linux/module.h"]},
                "list": {"drivers/x/xm.ko": {"objects": ["drivers/x/x.o", "drivers/x/y.o"]},
                         "drivers/x/ym.ko": {"objects": ["drivers/x/y.o"]}},
            },
            "partial_links": {"arch/x/kvm.o": {"lds": [{"src": "arch/x/hyp.lds.S", "src_root": "srctree", "hdrs": ["include/h.h"]}]}},
            "boot": {"steps": [{"srcs": ["arch/x/boot/setup.ld"]}]},
            "certs": {"steps": [{"srcs": ["certs/test.pem"]}, {"srcs": []}]},
            "generate": {"steps": [{"srcs": ["drivers/tty/vt/cp437.uni"]}]},
        }

    def test_srctree_files(self):
        self.assertEqual(intern.srctree_files(self._plan()), [
            "arch/x/boot/setup.ld", "arch/x/hyp.lds.S", "arch/x/vmlinux.lds.S", "certs/test.pem",
            "drivers/tty/vt/cp437.uni", "drivers/x/x.c", "drivers/x/y.c",
            "include/a.h", "include/b.h", "include/c.h", "include/g.h", "include/h.h", "include/l.h",
            "include/linux/module.h", "init/main.c", "scripts/module.lds.S"])  # not lib/gen.c: objtree
        plan = self._plan()
        plan["realmode"] = {"steps": [{"srcs": ["arch/x86/realmode/rm/header.S", "include/a.h"]}]}
        self.assertIn("arch/x86/realmode/rm/header.S", intern.srctree_files(plan))

    def test_srcversion_modules(self):
        texts = {"drivers/x/x.c": "int x;", "drivers/x/y.c": 'MODULE_VERSION("1");', "init/main.c": "MODULE_VERSION(no)"}
        read = lambda p: texts[p]  # noqa: E731
        # y.o is a part of both modules; init/main.o of none (built in: never read).
        self.assertEqual(intern.srcversion_modules(self._plan(), read), ["drivers/x/xm.ko", "drivers/x/ym.ko"])
        texts["drivers/x/y.c"] = "int y;"
        self.assertEqual(intern.srcversion_modules(self._plan(), read), [])
        plan = self._plan()
        del plan["modules"]
        self.assertEqual(intern.srcversion_modules(plan, read), [])


if __name__ == "__main__":
    absltest.main()
