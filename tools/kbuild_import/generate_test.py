"""Tests for tools/kbuild_import/generate.py (Linux 6.1 x86_64 tiny's generator commands)."""

import copy

from absl.testing import absltest

from tools.kbuild_import import generate
from tools.kbuild_import.common import KbuildImportError
from tools.kbuild_import.dryrun import Step
from tools.kbuild_import.test_util import OBJ, ROOTS, SRC, TOOLS

_HOST = ["lib/gen_crc32table", "drivers/tty/vt/conmakehash", "usr/gen_init_cpio", "scripts/mod/mk_elfconfig"]
_CMDS = [  # (tag, target, obj, cmd) as the x86_64 tiny kernel's dry run prints them (absolute srctree)
    ("MKELF", "scripts/mod/elfconfig.h", "scripts/mod", "scripts/mod/mk_elfconfig < scripts/mod/empty.o > scripts/mod/elfconfig.h"),
    ("GEN", "Makefile", ".", f"{{ echo \"# this is build directory, auto-generated\"; echo \"include {SRC}/Makefile\"; }} > Makefile"),
    ("GEN", "usr/initramfs_data.cpio", "usr",
     f"sh {SRC}/usr/gen_initramfs.sh -o usr/initramfs_data.cpio -l usr/.initramfs_data.cpio.d   "
     f"{SRC}/usr/default_cpio_list"),
    ("COPY", "usr/initramfs_inc_data", "usr", "cat usr/initramfs_data.cpio > usr/initramfs_inc_data"),
    ("PASYMS", "arch/x86/realmode/rm/pasyms.h", "arch/x86/realmode/rm",
     f"{TOOLS['nm']} arch/x86/realmode/rm/header.o | sed -n -r -e 's/x/y/p' | sort | uniq > arch/x86/realmode/rm/pasyms.h"),
    ("GEN", "lib/crc32table.h", "lib", "lib/gen_crc32table > lib/crc32table.h"),
    ("GEN", "arch/x86/lib/inat-tables.c", "arch/x86/lib",
     f"awk -f {SRC}/arch/x86/tools/gen-insn-attr-x86.awk {SRC}/arch/x86/lib/x86-opcode-map.txt "
     "> arch/x86/lib/inat-tables.c"),
    ("CONMK", "drivers/tty/vt/consolemap_deftbl.c", "drivers/tty/vt",
     f"drivers/tty/vt/conmakehash {SRC}/drivers/tty/vt/cp437.uni > drivers/tty/vt/consolemap_deftbl.c"),
    ("COPY", "drivers/tty/vt/defkeymap.c", "drivers/tty/vt",
     f"cat {SRC}/drivers/tty/vt/defkeymap.c_shipped > drivers/tty/vt/defkeymap.c"),
    ("GEN", "lib/oid_registry_data.c", "lib",
     f"perl {SRC}/lib/build_OID_registry {SRC}/include/linux/oid_registry.h lib/oid_registry_data.c"),
    ("GEN", "certs/blacklist_hash_list", "certs", "cat /dev/null > certs/blacklist_hash_list"),
    ("PERLASM", "arch/x86/crypto/x.S", "arch/x86/crypto", f"perl {SRC}/arch/x86/crypto/x.pl void arch/x86/crypto/x.S"),
    ("GZIP", "kernel/config_data.gz", "kernel", "cat kernel/config_data | gzip -n -f -9 > kernel/config_data.gz"),
]
_SRC_FILES = {"usr/gen_initramfs.sh", "usr/default_cpio_list", "arch/x86/tools/gen-insn-attr-x86.awk",
              "arch/x86/lib/x86-opcode-map.txt", "drivers/tty/vt/cp437.uni", "drivers/tty/vt/defkeymap.c_shipped",
              "lib/build_OID_registry", "include/linux/oid_registry.h"}


_ENV = {"KBUILD_BUILD_TIMESTAMP": "Thu Jan  1 00:00:00 UTC 1970", "KBUILD_BUILD_USER": "kbuild"}


def _steps():
    return [Step(i, "build", tag, target, obj, cmd) for i, (tag, target, obj, cmd) in enumerate(_CMDS)]


def _obj(out, src, src_root="srctree", **lists):
    return {"out": out, "src": src, "src_root": src_root, "gen_inputs": [], "build_inputs": [], **lists}


_OBJECTS = [
    _obj("lib/crc32.o", "lib/crc32.c", gen_inputs=["include/generated/autoconf.h", "lib/crc32table.h"]),
    _obj("arch/x86/lib/inat.o", "arch/x86/lib/inat.c", gen_inputs=["arch/x86/lib/inat-tables.c"]),
    _obj("drivers/tty/vt/defkeymap.o", "drivers/tty/vt/defkeymap.c", "objtree"),
    _obj("drivers/tty/vt/consolemap_deftbl.o", "drivers/tty/vt/consolemap_deftbl.c", "objtree"),
    _obj("usr/initramfs_data.o", "usr/initramfs_data.S", incbin=["usr/initramfs_inc_data"]),
    _obj("init/main.o", "init/main.c", gen_inputs=["include/generated/autoconf.h"]),
    _obj("lib/oid_registry.o", "lib/oid_registry.c", gen_inputs=["lib/oid_registry_data.c"]),
]
_MADE = ["scripts/mod/elfconfig.h", "usr/initramfs_data.cpio", "usr/initramfs_inc_data", "arch/x86/realmode/rm/pasyms.h", "lib/crc32table.h",
         "arch/x86/lib/inat-tables.c", "drivers/tty/vt/consolemap_deftbl.c", "drivers/tty/vt/defkeymap.c",
         "lib/oid_registry_data.c", "certs/blacklist_hash_list"] + _HOST


def _plan():
    return {"objects": copy.deepcopy(_OBJECTS),
            "generated": {"prepare": {"include/generated/autoconf.h": {"sha256": "a" * 64, "kind": "header"}},
                          "build": {p: {"sha256": f"{i:064x}", "kind": "data"} for i, p in enumerate(_MADE)}},
            "build_steps": [{"tag": t, "target": g, "obj": o, "cmd": c} for t, g, o, c in _CMDS]}


def _apply(plan=None, steps=None):
    plan = plan or _plan()
    generate.apply(plan, steps or _steps(), host=_HOST, tools=TOOLS, roots=ROOTS,
                   is_src_file=lambda rel: rel in _SRC_FILES, build_env=_ENV)
    return plan


class GenerateTest(absltest.TestCase):
    def test_unsupported_names_the_program(self):
        self.assertIsNone(generate.unsupported("lib/gen_crc32table > lib/crc32table.h", _HOST))
        self.assertIsNone(generate.unsupported("cat $(srctree)/a > b", _HOST))
        self.assertIsNone(generate.unsupported("$(NM) a.o | sed -n p | sort > b", _HOST))
        self.assertIsNone(generate.unsupported("perl $(srctree)/x > y", _HOST))  # pinned: perl-base
        self.assertIn("bc", generate.unsupported("bc -q $(srctree)/kernel/time/timeconst.bc > y", _HOST))
        self.assertIn("uniq", generate.unsupported("cat a | uniq > y", _HOST))
        self.assertIsNone(generate.unsupported("sh $(srctree)/usr/gen_initramfs.sh -o x", _HOST))
        self.assertIn("sh scripts/foo.sh", generate.unsupported("sh $(srctree)/scripts/foo.sh > x", _HOST))
        # The file after `>` is an output, not a program.
        self.assertIsNone(generate.unsupported("{ cat a; } > perl", _HOST))
        self.assertIsNone(generate.unsupported("{ echo a; printf b; } > x", _HOST))  # dash built-ins

    def test_select_keeps_modelled_steps_in_order(self):
        kept, left = generate.select(_steps(), _HOST, TOOLS, ROOTS)
        self.assertEqual([s.target for s in kept], [
            "scripts/mod/elfconfig.h", "Makefile", "usr/initramfs_data.cpio", "usr/initramfs_inc_data",
            "lib/crc32table.h", "arch/x86/lib/inat-tables.c",
            "drivers/tty/vt/consolemap_deftbl.c", "drivers/tty/vt/defkeymap.c", "lib/oid_registry_data.c",
            "arch/x86/crypto/x.S"])
        # Other sections' directories (realmode, certs) and other tags are not this module's.
        self.assertEqual(left, [])

    def test_apply_plans_exact_inputs(self):
        plan = _apply()
        by_out = {e["out"]: e for e in plan["generate"]["steps"]}
        self.assertEqual(by_out["lib/crc32table.h"], {
            "tag": "GEN", "out": "lib/crc32table.h", "cmd": "lib/gen_crc32table > lib/crc32table.h",
            "srcs": [], "objtree": [], "inputs": [], "host": ["lib/gen_crc32table"]})
        inat = by_out["arch/x86/lib/inat-tables.c"]
        self.assertEqual(inat["srcs"], ["arch/x86/tools/gen-insn-attr-x86.awk", "arch/x86/lib/x86-opcode-map.txt"])
        # In-tree form: the rules stage the source files at their tree paths.
        self.assertEqual(inat["cmd"], "awk -f arch/x86/tools/gen-insn-attr-x86.awk arch/x86/lib/x86-opcode-map.txt "
                                      "> arch/x86/lib/inat-tables.c")
        self.assertEqual(by_out["drivers/tty/vt/consolemap_deftbl.c"]["cmd"],
                         "drivers/tty/vt/conmakehash drivers/tty/vt/cp437.uni > drivers/tty/vt/consolemap_deftbl.c")
        self.assertEqual(by_out["drivers/tty/vt/consolemap_deftbl.c"]["host"], ["drivers/tty/vt/conmakehash"])
        self.assertEqual(by_out["drivers/tty/vt/consolemap_deftbl.c"]["srcs"], ["drivers/tty/vt/cp437.uni"])
        # The COPY reads the cpio step's output; the cpio step gets KBUILD_BUILD_TIMESTAMP.
        self.assertEqual(by_out["usr/initramfs_inc_data"]["objtree"], [])
        self.assertEqual(by_out["usr/initramfs_inc_data"]["inputs"], ["usr/initramfs_data.cpio"])
        cpio = by_out["usr/initramfs_data.cpio"]
        self.assertEqual(cpio["env"], {"KBUILD_BUILD_TIMESTAMP": "Thu Jan  1 00:00:00 UTC 1970", "TMPDIR": "."})
        self.assertEqual(cpio["cmd"], "sh usr/gen_initramfs.sh -o usr/initramfs_data.cpio -l usr/.initramfs_data.cpio.d"
                                      "   usr/default_cpio_list")
        self.assertEqual(cpio["srcs"], ["usr/gen_initramfs.sh", "usr/default_cpio_list"])
        self.assertEqual(cpio["host"], ["usr/gen_init_cpio"])  # the script runs it
        # perl (pinned, with its modules alone) runs Kbuild's script in-tree.
        self.assertEqual(by_out["lib/oid_registry_data.c"]["cmd"],
                         "perl lib/build_OID_registry include/linux/oid_registry.h lib/oid_registry_data.c")
        self.assertEqual(by_out["lib/oid_registry_data.c"]["srcs"], ["lib/build_OID_registry", "include/linux/oid_registry.h"])
        for e in plan["generate"]["steps"]:
            self.assertNotIn(OBJ, e["cmd"])
            self.assertNotIn(SRC, e["cmd"])

    def test_apply_records_readers_and_kbuild(self):
        plan = _apply()
        section = plan["generate"]
        self.assertEqual(section["readers"], {
            "arch/x86/lib/inat.o": ["arch/x86/lib/inat-tables.c"],
            "drivers/tty/vt/consolemap_deftbl.o": ["drivers/tty/vt/consolemap_deftbl.c"],
            "drivers/tty/vt/defkeymap.o": ["drivers/tty/vt/defkeymap.c"],
            "lib/crc32.o": ["lib/crc32table.h"],
            "lib/oid_registry.o": ["lib/oid_registry_data.c"],
            "usr/initramfs_data.o": ["usr/initramfs_inc_data"]})
        self.assertEqual(section["kbuild"]["lib/crc32table.h"], f"{_MADE.index('lib/crc32table.h'):064x}")
        self.assertEqual(sorted(section["kbuild"]), generate.made_files(section))
        self.assertEqual(section["dirs"], ["arch/x86/lib", "drivers/tty/vt", "lib", "usr"])

    def test_apply_removes_outputs_from_generated_and_build_steps(self):
        plan = _apply()
        made = set(generate.made_files(plan["generate"]))
        self.assertFalse(made & set(plan["generated"]["build"]))
        self.assertFalse(made & {s["target"] for s in plan["build_steps"]})
        # What stays import-time stays listed (x.S: the import's make did not write it).
        self.assertIn("arch/x86/crypto/x.S", {s["target"] for s in plan["build_steps"]})
        self.assertIn("scripts/mod/elfconfig.h", {s["target"] for s in plan["build_steps"]})
        self.assertIn("lib/gen_crc32table", plan["generated"]["build"])
        # Read by no plan object (modpost's header: the import builds modpost): import-time.
        self.assertIn("scripts/mod/elfconfig.h", plan["generated"]["build"])
        self.assertEqual([(e["out"], e["reason"]) for e in plan["generate"]["import_time"]], [
            ("scripts/mod/elfconfig.h", generate.UNREAD)])
        self.assertEqual([e["out"] for e in plan["generate"]["steps"]], [
            "usr/initramfs_data.cpio", "usr/initramfs_inc_data", "lib/crc32table.h", "arch/x86/lib/inat-tables.c",
            "drivers/tty/vt/consolemap_deftbl.c", "drivers/tty/vt/defkeymap.c", "lib/oid_registry_data.c"])

    def test_apply_without_modelled_steps_adds_nothing(self):
        plan = _plan()
        steps = [s for s in _steps() if s.tag not in ("COPY", "CONMK") and "crc32" not in s.target
                 and "inat" not in s.target and s.tag != "MKELF" and "oid_registry" not in s.target]
        generate.apply(plan, steps, host=_HOST, tools=TOOLS, roots=ROOTS, is_src_file=lambda rel: rel in _SRC_FILES)
        self.assertNotIn("generate", plan)
        self.assertEqual(plan["generated"], _plan()["generated"])

    def test_output_the_import_did_not_write_is_an_error(self):
        kept, _ = generate.select(_steps()[2:], _HOST, TOOLS, ROOTS)
        with self.assertRaisesRegex(KbuildImportError, "lib/crc32table.h: a generate step's output the import"):
            generate.generate_plan(kept, host=_HOST, tools=TOOLS, roots=ROOTS, is_src_file=lambda rel: True,
                                   files=_MADE, objects=_OBJECTS,
                                   kbuild={"usr/initramfs_inc_data": "0" * 64, "usr/initramfs_data.cpio": "1" * 64},
                                   build_env=_ENV)

    def test_source_at_an_object_tree_path_is_an_error(self):
        steps = [Step(0, "build", "COPY", "lib/b.h", "lib", f"cat {SRC}/lib/a.h > lib/b.h")]
        with self.assertRaisesRegex(KbuildImportError, "COPY lib/b.h: source file lib/a.h has the path of an object"):
            generate.generate_plan(steps, host=_HOST, tools=TOOLS, roots=ROOTS, is_src_file=lambda rel: True,
                                   files=["lib/a.h", "lib/b.h"], objects=[], kbuild={"lib/b.h": "2" * 64})

    def test_script_without_its_environment_is_an_error(self):
        kept, _ = generate.select(_steps()[2:3], _HOST, TOOLS, ROOTS)
        with self.assertRaisesRegex(KbuildImportError, r"gen_initramfs.sh: reads \$KBUILD_BUILD_TIMESTAMP"):
            generate.generate_plan(kept, host=_HOST, tools=TOOLS, roots=ROOTS, is_src_file=lambda rel: True,
                                   files=_MADE, objects=_OBJECTS, kbuild={"usr/initramfs_data.cpio": "1" * 64})

    def test_second_output_is_also_an_output_of_the_step(self):
        plan = _plan()
        plan["objects"].append(_obj("security/selinux/hooks.o", "security/selinux/hooks.c",
                                    gen_inputs=["security/selinux/av_permissions.h"]))
        plan["generated"]["build"].update({p: {"sha256": c * 64, "kind": "header"} for p, c in
                                           [("security/selinux/flask.h", "e"),
                                            ("security/selinux/av_permissions.h", "f")]})
        steps = _steps() + [Step(20, "build", "GEN", "security/selinux/flask.h", "security/selinux",
                                 "scripts/selinux/genheaders/genheaders security/selinux/flask.h "
                                 "security/selinux/av_permissions.h")]
        generate.apply(plan, steps, host=_HOST + ["scripts/selinux/genheaders/genheaders"], tools=TOOLS, roots=ROOTS,
                       is_src_file=lambda rel: rel in _SRC_FILES, build_env=_ENV)
        self.assertNotIn("security/selinux/flask.h", {e["out"] for e in plan["generate"]["import_time"]})
        step = [e for e in plan["generate"]["steps"] if e["out"] == "security/selinux/flask.h"][0]
        # Kept although the object reads only the second file; neither is an input of its own step.
        self.assertEqual(step["also"], ["security/selinux/av_permissions.h"])
        self.assertEqual(step["objtree"], [])
        self.assertEqual(step["host"], ["scripts/selinux/genheaders/genheaders"])
        self.assertEqual(plan["generate"]["kbuild"]["security/selinux/av_permissions.h"], "f" * 64)
        self.assertEqual(plan["generate"]["readers"]["security/selinux/hooks.o"], ["security/selinux/av_permissions.h"])
        for p in ["security/selinux/flask.h", "security/selinux/av_permissions.h"]:
            self.assertIn(p, generate.made_files(plan["generate"]))
            self.assertNotIn(p, plan["generated"]["build"])

    def test_a_file_two_steps_write_is_an_error(self):
        plan = _plan()
        plan["generated"]["build"].update({p: {"sha256": "e" * 64, "kind": "header"} for p in
                                           ["lib/a.h", "lib/b.h", "lib/both.h"]})
        steps = [Step(30, "build", "GEN", "lib/a.h", "lib", "lib/gen_crc32table lib/a.h lib/both.h"),
                 Step(31, "build", "GEN", "lib/b.h", "lib", "lib/gen_crc32table lib/b.h lib/both.h")]
        with self.assertRaisesRegex(KbuildImportError, r"lib/both.h: written by two generate steps \(lib/a.h, lib/b.h\)"):
            generate.apply(plan, steps, host=_HOST, tools=TOOLS, roots=ROOTS, is_src_file=lambda rel: True)

    def test_subshell_and_dot_slash_programs(self):
        self.assertIsNone(generate.unsupported(
            "(echo '#include \"reg.h\"'; echo | cat - $(srctree)/a.hex $(srctree)/b.hex ; echo '};'; ) > x.c", _HOST))
        self.assertIsNone(generate.unsupported("./lib/gen_crc32table > x", _HOST))
        self.assertEqual(generate.unsupported("for f in a; do cat $f; done > x", _HOST),
                         "uses the shell's for (not analysed)")

    def test_read_steps_keeps_a_chain_an_object_reads(self):
        steps = [Step(0, "build", "GEN", "lib/a.h", "lib", "lib/gen_crc32table > lib/a.h"),
                 Step(1, "build", "COPY", "lib/b.h", "lib", "cat lib/a.h > lib/b.h"),
                 Step(2, "build", "COPY", "lib/c.h", "lib", "cat lib/a.h > lib/c.h")]
        kept, unread = generate.read_steps(steps, [_obj("lib/x.o", "lib/x.c", gen_inputs=["lib/b.h"])])
        self.assertEqual([s.target for s in kept], ["lib/a.h", "lib/b.h"])
        self.assertEqual([s.target for s in unread], ["lib/c.h"])

    def test_second_step_reads_the_first_steps_output(self):
        steps = [Step(0, "build", "GEN", "lib/a.h", "lib", "lib/gen_crc32table > lib/a.h"),
                 Step(1, "build", "COPY", "lib/b.h", "lib", "cat lib/a.h > lib/b.h")]
        section = generate.generate_plan(steps, host=_HOST, tools=TOOLS, roots=ROOTS, is_src_file=lambda rel: True,
                                         files=["lib/a.h", "lib/b.h"], objects=[],
                                         kbuild={"lib/a.h": "1" * 64, "lib/b.h": "2" * 64})
        self.assertEqual(section["steps"][1]["inputs"], ["lib/a.h"])
        self.assertEqual(section["steps"][1]["objtree"], [])
        self.assertEqual(section["outputs"], [])


if __name__ == "__main__":
    absltest.main()
