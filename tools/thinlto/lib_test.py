"""Tests of tools/thinlto/lib.py: imports files, backend trees, backend output checks."""

import io
import os
import tarfile
import struct
import sys

from absl.testing import absltest

from tools.thinlto import lib

_LOAD_ERROR = ("Error running ThinLTO backend: Error loading imported file "
               "'bazel-out/k8-fastbuild/bin/b.o': No such file or directory")


def _write(path, data):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _files(top):
    """Every file under TOP, relative, sorted."""
    return sorted(os.path.relpath(os.path.join(d, f), top) for d, _, fs in os.walk(top) for f in fs)


def _native_object(defined, machine=183):
    """A minimal ET_REL ELF (EM_AARCH64 by default) whose .symtab defines DEFINED (global)."""
    shstr = b"\0.text\0.symtab\0.strtab\0.shstrtab\0"
    strtab = b"\0" + b"".join(n.encode() + b"\0" for n in defined)
    syms = bytes(24) + b"".join(struct.pack("<IBBHQQ", strtab.index(n.encode() + b"\0"), 0x12, 0, 1, 0, 0)
                                for n in defined)
    text = b"\xc0\x03\x5f\xd6"
    off, layout = 64, []
    for blob in (text, syms, strtab, shstr):
        layout.append((off, len(blob)))
        off += len(blob)
    shoff = (off + 7) & ~7
    ehdr = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    ehdr += struct.pack("<HHIQQQIHHHHHH", 1, machine, 1, 0, 0, shoff, 0, 64, 0, 0, 64, 5, 4)

    def shdr(name, typ, flags, i, link=0, info=0, entsize=0):
        o, n = layout[i]
        return struct.pack("<IIQQQQIIQQ", shstr.index(name + b"\0"), typ, flags, 0, o, n, link, info, 8, entsize)

    shdrs = bytes(64) + shdr(b".text", 1, 6, 0) + shdr(b".symtab", 2, 0, 1, link=3, info=1, entsize=24)
    shdrs += shdr(b".strtab", 3, 0, 2) + shdr(b".shstrtab", 3, 0, 3)
    data = ehdr + text + syms + strtab + shstr
    return data + bytes(shoff - len(data)) + shdrs


class ParseImportsTest(absltest.TestCase):

    def test_modules(self):
        self.assertEqual(lib.parse_imports("a.o.imports", "bazel-out/bin/b.o\n\nc.o\n"),
                         ["bazel-out/bin/b.o", "c.o"])
        self.assertEqual(lib.parse_imports("a.o.imports", ""), [])
        # '..' inside a name is fine; only a '..' component escapes.
        self.assertEqual(lib.parse_imports("a.o.imports", "x..y/b.o\n"), ["x..y/b.o"])

    def test_absolute_or_parent_paths_are_rejected(self):
        for bad in ["/tmp/execroot/b.o", "../b.o", "bazel-out/../../b.o", "a/.."]:
            with self.subTest(bad=bad):
                with self.assertRaises(lib.ThinLtoError) as cm:
                    lib.parse_imports("idx/a.o.imports", "c.o\n" + bad + "\n")
                self.assertEqual(str(cm.exception),
                                 f"idx/a.o.imports: module path {bad!r} is not execroot-relative; "
                                 "pass relative paths to the thin-link")


class StageTreeTest(absltest.TestCase):
    """stage_tree copies module paths relative to the cwd (the execroot): run in a temp cwd."""

    def setUp(self):
        super().setUp()
        old = os.getcwd()
        os.chdir(self.create_tempdir("execroot").full_path)
        self.addCleanup(os.chdir, old)
        self.idx = os.path.abspath("idx")
        self.modules = {"bin/a.o": b"BC\xc0\xde a", "bin/b.o": b"BC\xc0\xde b", "lib/c.o": b"BC\xc0\xde c",
                        "bin/unused.o": b"BC\xc0\xde u"}
        for m, data in self.modules.items():
            _write(m, data)

    def _index(self, module, imports, index=b"index of "):
        _write(os.path.join(self.idx, module + ".thinlto.bc"), index + module.encode())
        _write(os.path.join(self.idx, module + ".imports"), imports.encode())

    def test_index_paths(self):
        self.assertEqual(lib.index_paths("/i", "bin/a.o"), ("/i/bin/a.o.thinlto.bc", "/i/bin/a.o.imports"))

    def test_tree(self):
        self._index("bin/a.o", "bin/b.o\nlib/c.o\n")
        imported = lib.stage_tree("bin/a.o", self.idx, "a.tree", set(self.modules))
        self.assertEqual(imported, ["bin/b.o", "lib/c.o"])
        self.assertEqual(_files("a.tree"), ["files/bin/a.o", "files/bin/b.o", "files/lib/c.o", "imports",
                                            "index.thinlto.bc", "module"])
        lib.check_module("a.tree", "bin/a.o")
        for other in ["./bin/a.o", "bin//a.o", os.path.abspath("bin/a.o")]:
            with self.assertRaisesRegex(lib.ThinLtoError, "exact same path string"):
                lib.check_module("a.tree", other)
        self.assertEqual(_read("a.tree/index.thinlto.bc"), b"index of bin/a.o")
        self.assertEqual(_read("a.tree/imports"), b"bin/b.o\nlib/c.o\n")
        for m in ["bin/a.o", "bin/b.o", "lib/c.o"]:
            self.assertEqual(_read(os.path.join("a.tree/files", m)), self.modules[m])
            self.assertFalse(os.path.islink(os.path.join("a.tree/files", m)))

    def test_tree_without_imports(self):
        self._index("lib/c.o", "")
        self.assertEqual(lib.stage_tree("lib/c.o", self.idx, "c.tree", set(self.modules)), [])
        self.assertEqual(_files("c.tree"), ["files/lib/c.o", "imports", "index.thinlto.bc", "module"])
        self.assertFalse(lib.is_relocatable("c.tree"))

    def test_relocatable_is_marked(self):
        self._index("lib/c.o", "")
        lib.stage_tree("lib/c.o", self.idx, "c.tree", set(self.modules), relocatable=True)
        self.assertEqual(_files("c.tree"), ["files/lib/c.o", "imports", "index.thinlto.bc", "module", "relocatable"])
        self.assertTrue(lib.is_relocatable("c.tree"))

    def test_relocatable_link(self):
        self.assertTrue(lib.relocatable_link(["-EL", "-r", "-T", "x.lds"]))
        self.assertTrue(lib.relocatable_link(["--relocatable"]))
        self.assertFalse(lib.relocatable_link(["-static", "-e", "_start"]))

    def test_missing_index(self):
        with self.assertRaises(lib.ThinLtoError) as cm:
            lib.stage_tree("bin/a.o", self.idx, "a.tree", set(self.modules))
        msg = str(cm.exception)
        self.assertTrue(msg.startswith("bin/a.o: the thin-link wrote no a.o.thinlto.bc;"), msg)
        self.assertIn("lazy archive member", msg)
        self.assertFalse(os.path.exists("a.tree"))

    def test_missing_imports_file(self):
        self._index("bin/a.o", "")
        os.remove(os.path.join(self.idx, "bin/a.o.imports"))
        with self.assertRaisesRegex(lib.ThinLtoError, r"^bin/a\.o: the thin-link wrote no a\.o\.imports; .*lazy archive member"):
            lib.stage_tree("bin/a.o", self.idx, "a.tree", set(self.modules))

    def test_import_not_among_known_modules(self):
        self._index("bin/a.o", "bin/b.o\nbin/elsewhere.o\n")
        with self.assertRaises(lib.ThinLtoError) as cm:
            lib.stage_tree("bin/a.o", self.idx, "a.tree", {"bin/a.o", "bin/b.o"})
        self.assertEqual(str(cm.exception),
                         f"{self.idx}/bin/a.o.imports: imports bin/elsewhere.o, which is not an input of the thin-link")
        self.assertFalse(os.path.exists("a.tree"))

    def test_absolute_import(self):
        self._index("bin/a.o", os.path.abspath("bin/b.o") + "\n")
        with self.assertRaisesRegex(lib.ThinLtoError, "is not execroot-relative"):
            lib.stage_tree("bin/a.o", self.idx, "a.tree", set(self.modules))


class BundleTest(StageTreeTest):
    """A bundle (`X.thinlto.tar`) holds the tree's names and bytes in one file."""

    def test_bundle_unpacks_to_the_tree(self):
        self._index("bin/a.o", "bin/b.o\nlib/c.o\nbin/b.o\n")
        lib.stage_tree("bin/a.o", self.idx, "a.tree", set(self.modules), relocatable=True)
        imported = lib.stage_tree("bin/a.o", self.idx, "a.thinlto.tar", set(self.modules), relocatable=True)
        self.assertEqual(imported, ["bin/b.o", "lib/c.o", "bin/b.o"])
        self.assertTrue(os.path.isfile("a.thinlto.tar"))
        os.mkdir("unpacked")
        lib.unpack_bundle("a.thinlto.tar", "unpacked")
        self.assertEqual(_files("unpacked"), _files("a.tree"))
        for name in _files("a.tree"):
            self.assertEqual(_read(os.path.join("unpacked", name)), _read(os.path.join("a.tree", name)), name)
        lib.check_module("unpacked", "bin/a.o")
        self.assertTrue(lib.is_relocatable("unpacked"))

    def test_bundle_bytes_do_not_depend_on_time_owner_or_mode(self):
        self._index("bin/a.o", "bin/b.o\n")
        lib.stage_tree("bin/a.o", self.idx, "1.thinlto.tar", set(self.modules))
        first = _read("1.thinlto.tar")
        os.utime("bin/b.o", (1, 1))
        os.chmod("bin/a.o", 0o600)
        lib.stage_tree("bin/a.o", self.idx, "2.thinlto.tar", set(self.modules))
        self.assertEqual(_read("2.thinlto.tar"), first)
        with tarfile.open("1.thinlto.tar") as tar:
            for m in tar.getmembers():
                self.assertEqual((m.mtime, m.uid, m.gid, m.uname, m.gname, m.mode), (0, 0, 0, "", "", 0o644))

    def test_long_module_paths(self):
        deep = "bazel-out/k8-fastbuild-ST-0123456789ab/bin/external/x/objects/" + "d/" * 60 + "a.o"
        _write(deep, b"BC\xc0\xde deep")
        self._index(deep, "")
        lib.stage_tree(deep, self.idx, "d.thinlto.tar", {deep})
        os.mkdir("out")
        lib.unpack_bundle("d.thinlto.tar", "out")
        self.assertEqual(_read(os.path.join("out", "files", deep)), b"BC\xc0\xde deep")

    def test_failed_bundle_leaves_nothing(self):
        self._index("bin/a.o", "bin/b.o\n")
        os.remove("bin/b.o")
        with self.assertRaises(FileNotFoundError):
            lib.stage_tree("bin/a.o", self.idx, "a.thinlto.tar", set(self.modules))
        self.assertEqual([f for f in os.listdir(".") if "thinlto" in f], [])

    def test_skipped_bundle(self):
        lib.stage_skipped("bin/unused.o", "u.thinlto.tar")
        os.mkdir("out")
        lib.unpack_bundle("u.thinlto.tar", "out")
        self.assertTrue(lib.is_skipped("out"))

    def test_unsafe_or_broken_bundle(self):
        for name in ["../escape", "/abs", "files//x"]:
            with tarfile.open("bad.tar", "w") as tar:
                info = tarfile.TarInfo(name)
                info.size = 1
                tar.addfile(info, io.BytesIO(b"x"))
            os.makedirs("out", exist_ok=True)
            with self.assertRaisesRegex(lib.ThinLtoError, r"^bad\.tar: member .* is not a relative regular file"):
                lib.unpack_bundle("bad.tar", "out")
            self.assertEqual(_files("out"), [])
        _write("junk.tar", b"not a tar at all" * 64)
        with self.assertRaisesRegex(lib.ThinLtoError, r"^junk\.tar: not a thin-link bundle"):
            lib.unpack_bundle("junk.tar", "out")


class CheckBackendStderrTest(absltest.TestCase):

    def test_load_error_raises_even_on_exit_0(self):
        # clang prints this and exits 0, leaving a broken object behind.
        with self.assertRaises(lib.ThinLtoError) as cm:
            lib.check_backend_stderr("bin/a.o", _LOAD_ERROR + "\n")
        self.assertEqual(str(cm.exception), f"bin/a.o: backend failed: {_LOAD_ERROR}")

    def test_first_error_line_is_reported(self):
        stderr = "warning: overriding the module target triple\n  clang: error: unable to execute command  \n"
        with self.assertRaisesRegex(lib.ThinLtoError, r"^bin/a\.o: backend failed: clang: error: unable to execute command$"):
            lib.check_backend_stderr("bin/a.o", stderr)

    def test_clean(self):
        lib.check_backend_stderr("bin/a.o", "")
        lib.check_backend_stderr("bin/a.o", "warning: argument unused during compilation: '-fPIC'\n")


class CheckNativeTest(absltest.TestCase):

    def setUp(self):
        super().setUp()
        with open(sys.executable, "rb") as f:
            self.elf = f.read()

    def test_empty(self):
        with self.assertRaises(lib.ThinLtoError) as cm:
            lib.check_native("a.native.o", b"", "EM_X86_64")
        self.assertEqual(str(cm.exception), "a.native.o: the backend wrote empty data, not a native ELF object")

    def test_bitcode_mentions_flto(self):
        with self.assertRaises(lib.ThinLtoError) as cm:
            lib.check_native("a.native.o", b"BC\xc0\xde\x35\x14\x00\x00", "EM_X86_64")
        self.assertIn("wrote bitcode data", str(cm.exception))
        self.assertIn("-flto", str(cm.exception))

    def test_other(self):
        with self.assertRaises(lib.ThinLtoError) as cm:
            lib.check_native("a.native.o", b"\x00asm\x01\x00\x00\x00", "EM_X86_64")
        self.assertEqual(str(cm.exception), "a.native.o: the backend wrote other data, not a native ELF object")

    def test_wrong_machine(self):
        with self.assertRaises(lib.ThinLtoError) as cm:
            lib.check_native("a.native.o", self.elf, "EM_AARCH64")
        self.assertEqual(str(cm.exception), "a.native.o: the backend wrote a EM_X86_64 object, expected EM_AARCH64")

    def test_good(self):
        info = lib.check_native("a.native.o", self.elf, "EM_X86_64")
        self.assertEqual(info["machine"], "EM_X86_64")

    def test_truncated_elf_is_a_thinlto_error(self):
        # thinlto.py turns only ThinLtoError (and OSError) into its one-line `thinlto: ...` exit;
        # a truncated backend output must not escape as another exception type.
        with self.assertRaisesRegex(lib.ThinLtoError, r"^a\.native\.o: [^\n]*$"):
            lib.check_native("a.native.o", self.elf[:64], "EM_X86_64")


class LinkedModulesTest(absltest.TestCase):

    def test_strips_the_prefix_replace_directory(self):
        text = "/tmp/idx/bazel-out/b.o\n/tmp/idx/lib/a.o\n"
        self.assertEqual(lib.linked_modules(text, "/tmp/idx"), {"bazel-out/b.o", "lib/a.o"})
        self.assertEqual(lib.linked_modules(text, "/tmp/idx/"), {"bazel-out/b.o", "lib/a.o"})

    def test_entry_outside_the_directory(self):
        with self.assertRaisesRegex(lib.ThinLtoError, "not below"):
            lib.linked_modules("elsewhere/a.o\n", "/tmp/idx")


class ThinLinkInputsTest(absltest.TestCase):

    def test_lazy_inputs(self):
        self.assertEqual(lib.lazy_inputs(["a.o", "--start-lib", "b.o", "c.o", "--end-lib", "d.o"]), {"b.o", "c.o"})
        self.assertEqual(lib.lazy_inputs(["a.o"]), set())

    def test_good(self):
        lib.check_bitcode_inputs(["a.o", "--start-lib", "b.o", "--end-lib", "n.o"], ["a.o", "b.o"],
                                 {"a.o": "bitcode", "b.o": "bitcode"})

    def test_native_given_as_bitcode(self):
        with self.assertRaises(lib.ThinLtoError) as cm:
            lib.check_bitcode_inputs(["a.o", "n.o"], ["a.o", "n.o"], {"a.o": "bitcode", "n.o": "elf"})
        self.assertEqual(str(cm.exception), "n.o: given as --bitcode but is a native ELF object, not LLVM "
                                            "bitcode; link it as a native object (is it an LTO opt-out the plan "
                                            "calls bitcode?)")
        for k in ("empty", "other"):
            with self.assertRaisesRegex(lib.ThinLtoError, f"^n.o: given as --bitcode but is {k} data"):
                lib.check_bitcode_inputs(["n.o"], ["n.o"], {"n.o": k})

    def test_bitcode_not_an_input(self):
        with self.assertRaisesRegex(lib.ThinLtoError, "^b.o: a --bitcode object that is not an --input"):
            lib.check_bitcode_inputs(["a.o"], ["a.o", "b.o"], {"a.o": "bitcode", "b.o": "bitcode"})
        with self.assertRaisesRegex(lib.ThinLtoError, "^--start-lib: a --bitcode object that is not"):
            lib.check_bitcode_inputs(["--start-lib", "a.o"], ["--start-lib"], {"--start-lib": "other"})

    def test_twice(self):
        with self.assertRaisesRegex(lib.ThinLtoError, "^a.o: given twice as --bitcode"):
            lib.check_bitcode_inputs(["a.o"], ["a.o", "a.o"], {"a.o": "bitcode"})

    def test_unlinked_must_be_lazy(self):
        lib.check_unlinked("b.o", {"b.o"})
        with self.assertRaisesRegex(lib.ThinLtoError, "^a.o: the thin-link indexed no such module though it "
                                                      "is not lazy"):
            lib.check_unlinked("a.o", {"b.o"})


class BackendSymbolsTest(absltest.TestCase):

    def test_empty_object_for_a_module_with_symbols(self):
        empty = _native_object([])
        lib.check_native("a.native.o", empty, "EM_AARCH64")
        lib.check_native("a.native.o", empty, "EM_AARCH64", [])
        with self.assertRaises(lib.ThinLtoError) as cm:
            lib.check_native("a.native.o", empty, "EM_AARCH64", ["f", "g"])
        self.assertEqual(str(cm.exception), "a.native.o: the backend wrote an object that defines no symbols, "
                                            "but its bitcode defines 2 (e.g. f); was the module thin-linked under "
                                            "this path?")
        lib.check_native("a.native.o", _native_object(["f"]), "EM_AARCH64", ["f", "g"])

    def test_bitcode_defined(self):
        with self.assertRaisesRegex(lib.ThinLtoError, "^a.o: not LLVM bitcode$"):
            lib.bitcode_defined("a.o", b"\x7fELF")


if __name__ == "__main__":
    absltest.main()
