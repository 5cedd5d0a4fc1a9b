"""Tests of tools/deb_assemble/lib.py on hand-built ELF images and on the pinned runtime's libraries."""

import os
import stat
import struct
import sys

from absl.testing import absltest

from tools.deb_assemble import lib

# The pinned interpreter's own libraries (kernel_python: usr/bin/python3.11, usr/lib/x86_64-linux-gnu).
_PY_LIBS = os.path.normpath(os.path.join(os.path.dirname(sys.executable), "..", "lib", "x86_64-linux-gnu"))

_BASE = 0x400000


def _elf(needed=(), runpath=None, rpath=None, ei_class=2, ei_data=1, strtab_vaddr=None, dynamic=True):
    """A minimal 64-bit LE shared object: ELF header, PT_LOAD + PT_DYNAMIC, .dynamic, .dynstr."""
    strtab = bytearray(b"\0")
    dyn = []

    def add(tag, s):
        dyn.append((tag, len(strtab)))
        strtab.extend(s.encode() + b"\0")

    for n in needed:
        add(lib.DT_NEEDED, n)
    if rpath is not None:
        add(lib.DT_RPATH, rpath)
    if runpath is not None:
        add(lib.DT_RUNPATH, runpath)
    phnum = 2 if dynamic else 1
    dyn_off = 64 + 56 * phnum
    entries = dyn + [(lib.DT_STRTAB, None), (lib.DT_NULL, 0)]
    str_off = dyn_off + 16 * len(entries)
    total = str_off + len(strtab)
    ehdr = b"\x7fELF" + bytes([ei_class, ei_data, 1, 0]) + bytes(8)
    ehdr += struct.pack("<HHIQQQIHHHHHH", 3, 62, 1, 0, 64, 0, 0, 64, 56, phnum, 64, 0, 0)
    phdrs = struct.pack("<IIQQQQQQ", 1, 5, 0, _BASE, _BASE, total, total, 0x1000)
    if dynamic:
        phdrs += struct.pack("<IIQQQQQQ", 2, 6, dyn_off, _BASE + dyn_off, _BASE + dyn_off,
                             16 * len(entries), 16 * len(entries), 8)
    body = b"".join(struct.pack("<qQ", tag, (strtab_vaddr or _BASE + str_off) if val is None else val)
                    for tag, val in entries)
    data = ehdr + phdrs + body + bytes(strtab)
    assert len(data) == total
    return data


def _dynamic_tags(data):
    """(tag, file offset) of each .dynamic entry: an independent reading for the tests."""
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    for i in range(phnum):
        p_type, _, p_offset, _, _, p_filesz, _, _ = struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize)
        if p_type == lib.PT_DYNAMIC:
            return [(struct.unpack_from("<q", data, off)[0], off) for off in range(p_offset, p_offset + p_filesz, 16)]
    return []


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _write(path, data, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


class DynamicInfoTest(absltest.TestCase):

    def test_hand_built(self):
        data = _elf(needed=["libLLVM.so.19", "libc.so.6"], runpath="$ORIGIN/../lib")
        self.assertEqual(lib.dynamic_info(data, "clang"),
                         {"needed": ["libLLVM.so.19", "libc.so.6"], "rpath": None, "runpath": "$ORIGIN/../lib"})

    def test_rpath(self):
        self.assertEqual(lib.dynamic_info(_elf(needed=["libz.so.1"], rpath="/opt/x"), "x"),
                         {"needed": ["libz.so.1"], "rpath": "/opt/x", "runpath": None})

    def test_no_dynamic_segment(self):
        self.assertEqual(lib.dynamic_info(_elf(dynamic=False), "static"),
                         {"needed": [], "rpath": None, "runpath": None})

    def test_real_shared_objects(self):
        self.assertTrue(os.path.isdir(_PY_LIBS), _PY_LIBS)
        ffi = lib.dynamic_info(_read(os.path.join(_PY_LIBS, "libffi.so.8")), "libffi.so.8")
        self.assertEqual(ffi, {"needed": ["libc.so.6"], "rpath": None, "runpath": None})
        ssl = lib.dynamic_info(_read(os.path.join(_PY_LIBS, "libssl.so.3")), "libssl.so.3")
        self.assertEqual(sorted(ssl["needed"]), ["libc.so.6", "libcrypto.so.3"])

    def test_real_executable(self):
        info = lib.dynamic_info(_read(sys.executable), "python3.11")
        self.assertIn("libc.so.6", info["needed"])
        self.assertIn("libexpat.so.1", info["needed"])

    def test_not_elf(self):
        with self.assertRaisesRegex(lib.AssembleError, r"^bin/x: not an ELF file$"):
            lib.dynamic_info(b"#!/bin/sh\necho hi\n", "bin/x")

    def test_not_64_bit_little_endian(self):
        for ei_class, ei_data in [(1, 1), (2, 2)]:
            with self.subTest(ei_class=ei_class, ei_data=ei_data):
                with self.assertRaisesRegex(lib.AssembleError, r"^x: not a 64-bit little-endian ELF file$"):
                    lib.dynamic_info(_elf(ei_class=ei_class, ei_data=ei_data), "x")

    def test_strtab_outside_every_load(self):
        with self.assertRaisesRegex(lib.AssembleError, r"^x: DT_STRTAB is outside every PT_LOAD segment$"):
            lib.dynamic_info(_elf(needed=["libc.so.6"], strtab_vaddr=0x900000), "x")


class RunpathToRpathTest(absltest.TestCase):

    def test_hand_built(self):
        data = _elf(needed=["libLLVM.so.19"], runpath="$ORIGIN/../lib")
        out = lib.runpath_to_rpath(data, "clang")
        self.assertEqual(len(out), len(data))
        self.assertEqual(lib.dynamic_info(out, "clang"),
                         {"needed": ["libLLVM.so.19"], "rpath": "$ORIGIN/../lib", "runpath": None})
        # Only the tag changed.
        self.assertEqual([i for i in range(len(data)) if data[i] != out[i]],
                         [off for tag, off in _dynamic_tags(data) if tag == lib.DT_RUNPATH])

    def test_real_object_without_runpath_is_unchanged(self):
        data = _read(os.path.join(_PY_LIBS, "libffi.so.8"))
        self.assertEqual(lib.runpath_to_rpath(data, "libffi.so.8"), data)
        self.assertEqual(lib.runpath_to_rpath(_elf(needed=["libc.so.6"], rpath="/x"), "x"),
                         _elf(needed=["libc.so.6"], rpath="/x"))

    def test_real_object_with_runpath(self):
        # Retag libssl's DT_NEEDED libcrypto.so.3 as DT_RUNPATH: a real object with a RUNPATH.
        data = bytearray(_read(os.path.join(_PY_LIBS, "libssl.so.3")))
        needed = [off for tag, off in _dynamic_tags(data) if tag == lib.DT_NEEDED]
        patched = None
        for off in needed:
            struct.pack_into("<q", data, off, lib.DT_RUNPATH)
            if lib.dynamic_info(bytes(data), "libssl.so.3")["runpath"] == "libcrypto.so.3":
                patched = off
                break
            struct.pack_into("<q", data, off, lib.DT_NEEDED)
        self.assertIsNotNone(patched, "libssl.so.3 has no DT_NEEDED libcrypto.so.3")
        data = bytes(data)
        self.assertEqual(lib.dynamic_info(data, "libssl.so.3"),
                         {"needed": ["libc.so.6"], "rpath": None, "runpath": "libcrypto.so.3"})
        out = lib.runpath_to_rpath(data, "libssl.so.3")
        self.assertEqual(lib.dynamic_info(out, "libssl.so.3"),
                         {"needed": ["libc.so.6"], "rpath": "libcrypto.so.3", "runpath": None})
        self.assertEqual([i for i in range(len(data)) if data[i] != out[i]], [patched])


class UnresolvedTest(absltest.TestCase):

    def test_glibc_and_provided_are_resolved(self):
        objects = {
            "lib/libLLVM.so.19": ["libz3.so.4", "libstdc++.so.6", "libm.so.6", "ld-linux-x86-64.so.2"],
            "bin/clang": ["libLLVM.so.19", "libc.so.6", "libxml2.so.2"],
        }
        self.assertEqual(lib.unresolved(objects, {"libLLVM.so.19", "libstdc++.so.6"}),
                         [("bin/clang", "libxml2.so.2"), ("lib/libLLVM.so.19", "libz3.so.4")])

    def test_everything_resolved(self):
        self.assertEqual(lib.unresolved({"bin/lld": ["libc.so.6", "libz.so.1"]}, {"libz.so.1"}), [])
        self.assertEqual(lib.unresolved({}, set()), [])

    def test_glibc_only_from_the_host(self):
        # libstdc++ and libgcc_s are not glibc: they must come from the packages.
        self.assertEqual(lib.unresolved({"bin/x": ["libstdc++.so.6", "libgcc_s.so.1"]}, set()),
                         [("bin/x", "libgcc_s.so.1"), ("bin/x", "libstdc++.so.6")])


class ParseToolTest(absltest.TestCase):

    def test_good(self):
        self.assertEqual(lib.parse_tool("clang"), ("clang", "clang"))
        self.assertEqual(lib.parse_tool("ld.lld=lld"), ("ld.lld", "lld"))
        self.assertEqual(lib.parse_tool("llvm-strip=llvm-objcopy"), ("llvm-strip", "llvm-objcopy"))

    def test_bad(self):
        for spec in ["", "=lld", "bin/clang", "clang=../clang", "x=a/b"]:
            with self.subTest(spec=spec):
                with self.assertRaisesRegex(lib.AssembleError, r"^bad --tool .*: want NAME or NAME=LLVM_BIN_NAME$"):
                    lib.parse_tool(spec)


class RelativeSymlinksTest(absltest.TestCase):

    def test_rewrites_absolute_links_only(self):
        top = self.create_tempdir().full_path
        _write(os.path.join(top, "lib/x86_64-linux-gnu/libm.so.6"), b"m")
        _write(os.path.join(top, "usr/lib/x86_64-linux-gnu/libc.a"), b"a")
        os.symlink("/lib/x86_64-linux-gnu/libm.so.6", os.path.join(top, "usr/lib/x86_64-linux-gnu/libm.so"))
        os.symlink("libc.a", os.path.join(top, "usr/lib/x86_64-linux-gnu/libc_rel.a"))
        os.symlink("/usr/lib/x86_64-linux-gnu", os.path.join(top, "lib64"))
        os.symlink("/usr/include/nothing-here", os.path.join(top, "usr/lib/dangling"))

        self.assertEqual(lib.relative_symlinks(top), 3)

        self.assertEqual(os.readlink(os.path.join(top, "usr/lib/x86_64-linux-gnu/libm.so")),
                         "../../../lib/x86_64-linux-gnu/libm.so.6")
        self.assertEqual(_read(os.path.join(top, "usr/lib/x86_64-linux-gnu/libm.so")), b"m")
        self.assertEqual(os.readlink(os.path.join(top, "usr/lib/x86_64-linux-gnu/libc_rel.a")), "libc.a")
        self.assertEqual(os.readlink(os.path.join(top, "lib64")), "usr/lib/x86_64-linux-gnu")
        self.assertEqual(os.readlink(os.path.join(top, "usr/lib/dangling")), "../include/nothing-here")
        self.assertFalse(os.path.islink(os.path.join(top, "usr/lib/x86_64-linux-gnu/libc.a")))
        # A second pass finds nothing left to do.
        self.assertEqual(lib.relative_symlinks(top), 0)


class AssembleLlvmTest(absltest.TestCase):

    def setUp(self):
        super().setUp()
        self.root = self.create_tempdir("root").full_path
        self.out = os.path.join(self.create_tempdir("o").full_path, "out")
        self.prefix = "usr/lib/llvm-19"
        self.bin = os.path.join(self.root, self.prefix, "bin")
        self.lib = os.path.join(self.root, self.prefix, "lib")

    def _add_libssl(self):
        # Real objects: libssl.so.3 needs libcrypto.so.3, which needs only glibc.
        for name in ["libssl.so.3", "libcrypto.so.3", "libffi.so.8"]:
            _write(os.path.join(self.root, "usr/lib/x86_64-linux-gnu", name), _read(os.path.join(_PY_LIBS, name)))

    def test_missing_tool(self):
        _write(os.path.join(self.bin, "clang"), _elf(needed=["libc.so.6"]), 0o755)
        with self.assertRaises(lib.AssembleError) as cm:
            lib.assemble_llvm(self.root, self.out, self.prefix, ["clang", "ld.lld=lld"])
        self.assertRegex(str(cm.exception), r"^usr/lib/llvm-19/bin/lld: not found in the LLVM packages")

    def test_tool_under_its_installed_name(self):
        # An assembled prefix (or a local one made from it) has ld.lld but no lld.
        _write(os.path.join(self.bin, "clang"), _elf(needed=["libc.so.6"]), 0o755)
        _write(os.path.join(self.bin, "ld.lld"), _elf(needed=["libc.so.6"]), 0o755)
        lib.assemble_llvm(self.root, self.out, self.prefix, ["clang", "ld.lld=lld"])
        self.assertTrue(os.path.isfile(os.path.join(self.out, "bin", "ld.lld")))

    def test_bad_tool_spec(self):
        with self.assertRaisesRegex(lib.AssembleError, r"^bad --tool 'bin/clang'"):
            lib.assemble_llvm(self.root, self.out, self.prefix, ["bin/clang"])

    def test_unresolved_soname(self):
        _write(os.path.join(self.bin, "clang"), _elf(needed=["libLLVM.so.19", "libc.so.6"]), 0o755)
        _write(os.path.join(self.lib, "libLLVM.so.19"), _elf(needed=["libz3.so.4", "libssl.so.3"]))
        self._add_libssl()
        with self.assertRaises(lib.AssembleError) as cm:
            lib.assemble_llvm(self.root, self.out, self.prefix, ["clang"])
        self.assertEqual(str(cm.exception),
                         "lib/libLLVM.so.19 needs libz3.so.4: not in the locked packages; "
                         "add the package that ships it and relock")

    def test_unresolved_sonames_all_named(self):
        _write(os.path.join(self.bin, "clang"), _elf(needed=["libLLVM.so.19"]), 0o755)
        _write(os.path.join(self.bin, "lld"), _elf(needed=["libxml2.so.2"]), 0o755)
        with self.assertRaises(lib.AssembleError) as cm:
            lib.assemble_llvm(self.root, self.out, self.prefix, ["clang", "ld.lld=lld"])
        self.assertEqual(str(cm.exception),
                         "bin/clang needs libLLVM.so.19; bin/ld.lld needs libxml2.so.2: not in the locked packages; "
                         "add the package that ships it and relock")

    def test_allow_host_libs(self):
        _write(os.path.join(self.bin, "clang"), _elf(needed=["libLLVM.so.19"]), 0o755)
        self.assertEqual(lib.assemble_llvm(self.root, self.out, self.prefix, ["clang"], allow_host_libs=True),
                         ["bin/clang"])

    def test_assembles_the_closure(self):
        _write(os.path.join(self.bin, "clang-19"), _elf(needed=["libLLVM.so.19", "libc.so.6"], runpath="$ORIGIN/../lib"),
               0o755)
        os.symlink("clang-19", os.path.join(self.bin, "clang"))
        _write(os.path.join(self.bin, "lld"), _elf(needed=["libc.so.6"], runpath="$ORIGIN/../lib"), 0o755)
        _write(os.path.join(self.lib, "libLLVM.so.19"), _elf(needed=["libssl.so.3", "libm.so.6"]))
        os.symlink("libLLVM.so.19", os.path.join(self.lib, "libLLVM.so"))
        _write(os.path.join(self.lib, "clang/19/include/stddef.h"), b"/* stddef */\n")
        self._add_libssl()

        reached = lib.assemble_llvm(self.root, self.out, self.prefix, ["clang", "ld.lld=lld"])

        self.assertEqual(reached, ["bin/clang", "bin/ld.lld", "lib/libLLVM.so.19", "lib/libcrypto.so.3",
                                   "lib/libssl.so.3"])
        self.assertEqual(sorted(os.listdir(os.path.join(self.out, "bin"))), ["clang", "ld.lld"])
        # Libraries nothing reaches (libffi, the libLLVM.so dev link) are dropped; headers stay.
        self.assertEqual(sorted(os.listdir(os.path.join(self.out, "lib"))),
                         ["clang", "libLLVM.so.19", "libcrypto.so.3", "libssl.so.3"])
        self.assertEqual(_read(os.path.join(self.out, "lib/clang/19/include/stddef.h")), b"/* stddef */\n")
        clang = os.path.join(self.out, "bin/clang")
        self.assertFalse(os.path.islink(clang))
        self.assertEqual(stat.S_IMODE(os.stat(clang).st_mode), 0o755)
        self.assertEqual(lib.dynamic_info(_read(clang), "clang"),
                         {"needed": ["libLLVM.so.19", "libc.so.6"], "rpath": "$ORIGIN/../lib", "runpath": None})
        self.assertEqual(lib.dynamic_info(_read(os.path.join(self.out, "bin/ld.lld")), "ld.lld")["rpath"],
                         "$ORIGIN/../lib")
        self.assertEqual(_read(os.path.join(self.out, "lib/libssl.so.3")), _read(os.path.join(_PY_LIBS, "libssl.so.3")))

    def test_non_elf_files_are_not_checked(self):
        _write(os.path.join(self.bin, "clang"), _elf(needed=["libc.so.6"]), 0o755)
        _write(os.path.join(self.lib, "libfoo.so"), b"INPUT(libfoo.so.1)\n")
        self.assertEqual(lib.assemble_llvm(self.root, self.out, self.prefix, ["clang"]), ["bin/clang"])
        self.assertEqual(os.listdir(os.path.join(self.out, "bin")), ["clang"])


    def test_tool_that_is_not_elf(self):
        for data, what in [(b"#!/bin/sh\nexec clang-19 \"$@\"\n", "a script"), (b"", "empty"),
                           (b"BC\xc0\xde", "not an ELF file")]:
            with self.subTest(what=what):
                _write(os.path.join(self.bin, "clang"), data, 0o755)
                with self.assertRaises(lib.AssembleError) as cm:
                    lib.assemble_llvm(self.root, self.out, self.prefix, ["clang"])
                self.assertEqual(str(cm.exception), f"usr/lib/llvm-19/bin/clang: {what}, not an ELF executable; "
                                                    "the packages hold a broken or wrapped tool (for a local LLVM: "
                                                    "give the prefix of the real binaries)")


class MissingDirectoryTest(absltest.TestCase):

    def test_zip_tree_of_a_missing_directory(self):
        d = self.create_tempdir().full_path
        missing = os.path.join(d, "nope")
        for f in (lambda: lib.zip_tree(missing, os.path.join(d, "x.zip")), lambda: lib.compile_tree(missing)):
            with self.assertRaises(lib.AssembleError) as cm:
                f()
            self.assertEqual(str(cm.exception), f"{missing}: no such directory (given to --zip-tree); check the path")
        self.assertEqual(os.listdir(d), [])

    def test_relative_symlinks_of_a_missing_directory_or_a_file(self):
        d = self.create_tempdir().full_path
        with self.assertRaisesRegex(lib.AssembleError, "nope: no such directory .given to --relative-symlinks."):
            lib.relative_symlinks(os.path.join(d, "nope"))
        _write(os.path.join(d, "f"), b"x")
        with self.assertRaisesRegex(lib.AssembleError, "f: not a directory .given to --relative-symlinks."):
            lib.relative_symlinks(os.path.join(d, "f"))


class ParseCopyTest(absltest.TestCase):

    def test_good(self):
        self.assertEqual(lib.parse_copy("usr/share/qemu=share/qemu", "--data"), ("usr/share/qemu", "share/qemu"))
        self.assertEqual(lib.parse_copy("usr/share/qemu", "--data"), ("usr/share/qemu", "usr/share/qemu"))

    def test_bad(self):
        for spec in ["", "=x", "/usr/share=x", "usr/share=/x", "usr/../etc=x", "usr=a/../../b"]:
            with self.subTest(spec=spec):
                with self.assertRaisesRegex(lib.AssembleError, r"^bad --module .*: want SRC\[=DEST\]"):
                    lib.parse_copy(spec, "--module")


class AssembleQemuTest(absltest.TestCase):
    """A QEMU-shaped prefix: tools in usr/bin, a dlopen()ed module, firmware trees."""

    def setUp(self):
        super().setUp()
        self.root = self.create_tempdir("root").full_path
        self.out = os.path.join(self.create_tempdir("o").full_path, "usr")
        _write(os.path.join(self.root, "usr/bin/qemu-system-x86_64"), _elf(needed=["libglib-2.0.so.0", "libc.so.6"]),
               0o755)
        _write(os.path.join(self.root, "usr/lib/x86_64-linux-gnu/libglib-2.0.so.0"), _elf(needed=["libc.so.6"]))
        self.module = "usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so=lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so"

    def test_module_libraries_join_the_closure(self):
        _write(os.path.join(self.root, "usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so"),
               _elf(needed=["libssl.so.3", "libc.so.6"]))
        for name in ["libssl.so.3", "libcrypto.so.3", "libffi.so.8"]:
            _write(os.path.join(self.root, "usr/lib/x86_64-linux-gnu", name), _read(os.path.join(_PY_LIBS, name)))

        reached = lib.assemble_llvm(self.root, self.out, "usr", ["qemu-system-x86_64"], modules=[self.module])

        self.assertEqual(reached, ["bin/qemu-system-x86_64", "lib/libcrypto.so.3", "lib/libglib-2.0.so.0",
                                   "lib/libssl.so.3", "lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so"])
        # Unreached libffi is dropped; the module's directory stays.
        self.assertEqual(sorted(os.listdir(os.path.join(self.out, "lib"))),
                         ["libcrypto.so.3", "libglib-2.0.so.0", "libssl.so.3", "x86_64-linux-gnu"])

    def test_unresolved_module_library(self):
        _write(os.path.join(self.root, "usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so"),
               _elf(needed=["libgtk-3.so.0"]))
        with self.assertRaisesRegex(lib.AssembleError,
                                    r"^lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so needs libgtk-3.so.0: not in the "
                                    r"locked packages"):
            lib.assemble_llvm(self.root, self.out, "usr", ["qemu-system-x86_64"], modules=[self.module])

    def test_data_is_copied_as_is(self):
        share = os.path.join(self.root, "usr/share")
        _write(os.path.join(share, "qemu/pvh.bin"), b"pvh")
        _write(os.path.join(share, "qemu/qboot.rom"), b"qboot")
        os.symlink("qboot.rom", os.path.join(share, "qemu/bios-microvm.bin"))
        os.symlink("/usr/share/ovmf/OVMF.fd", os.path.join(share, "qemu/OVMF.fd"))  # another package's
        os.symlink("../../../../../../../../../etc/hostname", os.path.join(share, "qemu/escape"))
        os.symlink("/usr/lib/ipxe/qemu/efi-e1000.rom", os.path.join(share, "qemu/efi-e1000.rom"))
        # An ELF file among the data (a guest's firmware) is neither checked nor dropped.
        _write(os.path.join(share, "seabios/bios-256k.bin"), _elf(needed=["libnothing.so.1"]))
        _write(os.path.join(self.root, "usr/lib/ipxe/qemu/efi-e1000.rom"), b"rom")

        lib.assemble_llvm(self.root, self.out, "usr", ["qemu-system-x86_64"],
                          data=["usr/share/qemu=share/qemu", "usr/share/seabios=share/seabios",
                                "usr/lib/ipxe/qemu=lib/ipxe/qemu"])

        self.assertEqual(sorted(os.listdir(os.path.join(self.out, "share/qemu"))),
                         ["bios-microvm.bin", "efi-e1000.rom", "pvh.bin", "qboot.rom"])
        self.assertFalse(os.path.islink(os.path.join(self.out, "share/qemu/bios-microvm.bin")))
        self.assertEqual(_read(os.path.join(self.out, "share/qemu/bios-microvm.bin")), b"qboot")
        self.assertEqual(_read(os.path.join(self.out, "lib/ipxe/qemu/efi-e1000.rom")), b"rom")
        # An absolute link is followed within the packages, not on the host.
        self.assertEqual(_read(os.path.join(self.out, "share/qemu/efi-e1000.rom")), b"rom")
        self.assertTrue(os.path.isfile(os.path.join(self.out, "share/seabios/bios-256k.bin")))

    def test_missing_data(self):
        with self.assertRaisesRegex(lib.AssembleError, r"^usr/share/seabios: not found in the packages"):
            lib.assemble_llvm(self.root, self.out, "usr", ["qemu-system-x86_64"],
                              data=["usr/share/seabios=share/seabios"])


class CompileAndZipTest(absltest.TestCase):

    def test_pycs_are_deterministic_and_imported_from_the_zip(self):
        zips = []
        for n in range(2):  # two different directories: the same zip
            top = os.path.join(self.create_tempdir().full_path, f"site{n}")
            os.makedirs(os.path.join(top, "pkg"))
            with open(os.path.join(top, "pkg", "__init__.py"), "w") as f:
                f.write("VALUE = 41 + 1\n")
            with open(os.path.join(top, "pkg", "broken.py"), "w") as f:
                f.write("def (:\n")
            self.assertEqual(1, lib.compile_tree(top))
            self.assertTrue(os.path.exists(os.path.join(top, "pkg", "__init__.pyc")))
            zpath = top + ".zip"
            self.assertEqual(3, lib.zip_tree(top, zpath))
            with open(zpath, "rb") as f:
                zips.append((zpath, f.read()))
        self.assertEqual(zips[0][1], zips[1][1])
        import importlib
        import zipfile
        with zipfile.ZipFile(zips[0][0]) as z:
            self.assertIn("pkg/__init__.pyc", z.namelist())
        sys.path.insert(0, zips[0][0])
        try:
            pkg = importlib.import_module("pkg")
            self.assertEqual(42, pkg.VALUE)
            # The code came from the pyc: it names its source by the relative path.
            self.assertEqual("pkg/__init__.py", pkg.__spec__.loader.get_code("pkg").co_filename)
        finally:
            sys.path.remove(zips[0][0])
            sys.modules.pop("pkg", None)


if __name__ == "__main__":
    absltest.main()
