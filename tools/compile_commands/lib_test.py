from absl.testing import absltest

from tools.compile_commands import lib

_PLAN = {
    "schema": 2,
    "objects": [
        {"out": "init/main.o", "src": "init/main.c", "src_root": "srctree",
         "flags": ["-I$(srctree)/include", "-I$(objtree)/include/generated", "-isystem", "$(CC_RESOURCE_DIR)/include",
                   "-fmacro-prefix-map=$(srctree)/="]},
        {"out": "arch/x/vdso.o", "src": "arch/x/vdso.S", "src_root": "srctree", "flags": ["-D__ASSEMBLY__"],
         "incbin": ["arch/x/vdso.so"]},
        {"out": "lib/gen.o", "src": "lib/gen.c", "src_root": "objtree", "flags": []},
    ],
}


class EntriesTest(absltest.TestCase):

    def _entries(self, plan=None):
        return lib.entries(plan or _PLAN, srctree="/src/", objtree="/out/obj", clang="/llvm/bin/clang",
                           resource_dir="/llvm/lib/clang/19")

    def test_placeholders_become_real_directories(self):
        e = {x["output"]: x for x in self._entries()}["init/main.o"]
        self.assertEqual(e["directory"], "/out/obj")
        self.assertEqual(e["file"], "/src/init/main.c")
        self.assertEqual(e["arguments"], [
            "/llvm/bin/clang", "-I/src/include", "-I/out/obj/include/generated", "-isystem",
            "/llvm/lib/clang/19/include", "-fmacro-prefix-map=/src/=", "-c", "-o", "init/main.o", "/src/init/main.c"])

    def test_generated_source_and_incbin(self):
        by_out = {x["output"]: x for x in self._entries()}
        self.assertEqual(by_out["lib/gen.o"]["file"], "/out/obj/lib/gen.c")
        self.assertIn("-Wa,-I/out/obj", by_out["arch/x/vdso.o"]["arguments"])

    def test_vdso_readers_get_the_editor_copies(self):
        plan = dict(_PLAN, vdso={"readers": {"init/main.o": ["include/generated/vdso-offsets.h"],
                                             "arch/x/vdso.o": ["arch/x/vdso.so"]}})
        by_out = {x["output"]: x for x in self._entries(plan)}
        self.assertEqual(by_out["init/main.o"]["arguments"][6:8], ["-I/out/editor/include", "-c"])
        self.assertIn("-Wa,-I/out/editor", by_out["arch/x/vdso.o"]["arguments"])
        self.assertNotIn("-I/out/editor/include", by_out["lib/gen.o"]["arguments"])

    def test_realmode_readers_get_the_editor_copies(self):
        plan = dict(_PLAN, realmode={"readers": {"arch/x/vdso.o": ["arch/x86/realmode/rm/realmode.bin"]}})
        by_out = {x["output"]: x for x in self._entries(plan)}
        self.assertIn("-Wa,-I/out/editor", by_out["arch/x/vdso.o"]["arguments"])
        self.assertNotIn("-Wa,-I/out/editor", by_out["init/main.o"]["arguments"])

    def test_cert_readers_get_the_editor_copies(self):
        plan = dict(_PLAN, certs={"readers": {"arch/x/vdso.o": ["certs/signing_key.x509", "certs/x509_certificate_list"]}})
        args = {x["output"]: x for x in self._entries(plan)}["arch/x/vdso.o"]["arguments"]
        self.assertEqual(args.count("-Wa,-I/out/editor"), 1)

    def test_action_made_sources_and_headers_are_the_editor_copies(self):
        # arm64's consolemap_deftbl.c (CONMK) and crc32table.h (lib/crc32.c): generate actions.
        plan = dict(_PLAN, generate={"steps": [{"out": "lib/gen.c"}, {"out": "init/tbl.h"}]})
        plan["objects"] = [dict(o, flags=o["flags"] + ["-I", "$(objtree)/init", "-I$(objtree)/lib/"])
                           for o in plan["objects"]]
        by_out = {x["output"]: x for x in self._entries(plan)}
        self.assertEqual(by_out["lib/gen.o"]["file"], "/out/editor/lib/gen.c")
        self.assertEqual(by_out["lib/gen.o"]["arguments"][-1], "/out/editor/lib/gen.c")
        args = by_out["init/main.o"]["arguments"]
        i = args.index("/out/obj/init")
        self.assertEqual(args[i + 1], "-I/out/editor/init")
        j = args.index("-I/out/obj/lib/")
        self.assertEqual(args[j + 1], "-I/out/editor/lib")
        self.assertEqual(by_out["init/main.o"]["file"], "/src/init/main.c")

    def test_sorted_by_output(self):
        self.assertEqual([e["output"] for e in self._entries()], ["arch/x/vdso.o", "init/main.o", "lib/gen.o"])

    def test_unknown_placeholder_is_an_error(self):
        plan = {"schema": 2, "objects": [{"out": "a.o", "src": "a.c", "src_root": "srctree", "flags": ["$(CC)"]}]}
        with self.assertRaisesRegex(lib.CompileCommandsError, r"a\.o: flag '\$\(CC\)'"):
            self._entries(plan)

    def test_bad_schema_and_empty_plan(self):
        with self.assertRaisesRegex(lib.CompileCommandsError, "schema"):
            self._entries({"schema": 9})
        with self.assertRaisesRegex(lib.CompileCommandsError, "no objects"):
            self._entries({"schema": 2, "objects": []})

    def test_syntax_only(self):
        e = {x["output"]: x for x in self._entries()}["lib/gen.o"]
        self.assertEqual(lib.syntax_only(e), ["/llvm/bin/clang", "-fsyntax-only", "/out/obj/lib/gen.c"])


if __name__ == "__main__":
    absltest.main()
