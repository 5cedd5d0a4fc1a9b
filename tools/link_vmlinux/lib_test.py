"""Tests for tools/link_vmlinux: the pure parts, then the tool run on fake programs."""

import json
import os
import random
import shutil
import stat
import struct
import subprocess
import sys
import textwrap

from absl.testing import absltest

try:
    from tools.link_vmlinux import lib
except ImportError:
    # Run as a script: this file's directory is first on sys.path.
    import lib

_HERE = os.path.dirname(os.path.abspath(__file__))
_REPO = os.path.dirname(os.path.dirname(_HERE))


def _readb(path):
    with open(path, "rb") as f:
        return f.read()


def _elf(e_type=lib.ET_EXEC, machine=lib.EM_AARCH64, big_endian=False, rest=b""):
    ident = b"\x7fELF" + bytes([2, 2 if big_endian else 1, 1]) + bytes(9)
    return ident + struct.pack(">HH" if big_endian else "<HH", e_type, machine) + bytes(44) + rest


class MksysmapTest(absltest.TestCase):
    def test_filter(self):
        nm = (
            b"                 U undefined_sym\n"
            b"                 w weak_undefined\n"
            b"0000000000000000 a local_abs\n"
            b"0000000000000000 A _kernel_abs\n"
            b"0000000000000000 N debug_sym\n"
            b"ffffffc008000000 T _text\n"
            b"ffffffc008000000 t $x\n"
            b"ffffffc008000010 d $d.12\n"
            b"ffffffc008000020 t .Ltmp3\n"
            b"ffffffc008000030 r __crc_foo\n"
            b"ffffffc008000040 r __kstrtab_foo\n"
            b"ffffffc008000050 r __kstrtabns_foo\n"
            b"ffffffc008000060 t L0\n"
            b"ffffffc008000070 t L0x\n"
            b"ffffffc008000080 T name$with$dollar\n"
            b"ffffffc008000090 t __kstrtab\n"
            b"ffffffc0080000a0 W weak_defined\n"
            b"ffffffc0080000b0 V weak_object\n"
            b"ffffffc0080000c0 T foo.L\n"
            b"ffffffc0080000d0 T kstrtab_x__crc_\n"
        )
        self.assertEqual(
            lib.mksysmap(nm),
            b"0000000000000000 A _kernel_abs\n"
            b"ffffffc008000000 T _text\n"
            b"ffffffc008000070 t L0x\n"
            b"ffffffc008000080 T name$with$dollar\n"
            b"ffffffc008000090 t __kstrtab\n"
            b"ffffffc0080000a0 W weak_defined\n"
            b"ffffffc0080000b0 V weak_object\n"
            b"ffffffc0080000c0 T foo.L\n"
            b"ffffffc0080000d0 T kstrtab_x__crc_\n",
        )

    def test_last_line_without_newline_and_empty(self):
        self.assertEqual(lib.mksysmap(b"1 T a\n2 T b"), b"1 T a\n2 T b\n")
        self.assertEqual(lib.mksysmap(b""), b"")
        self.assertEqual(lib.mksysmap(b"\n"), b"\n")
        self.assertEqual(lib.mksysmap(b"1 T a\n\n2 T b\n"), b"1 T a\n\n2 T b\n")

    def test_nul_byte(self):
        with self.assertRaisesRegex(lib.LinkError, "NUL"):
            lib.mksysmap(b"1 T a\0\n")

    def test_same_as_grep(self):
        """The port against the real grep -v of scripts/mksysmap, on random lines."""
        grep = shutil.which("grep", path="/usr/bin:/bin")
        if grep is None:
            self.skipTest("no grep")
        rnd = random.Random(61)
        pieces = [
            " ",
            "a",
            "N",
            "U",
            "w",
            "W",
            "T",
            "$",
            ".L",
            "L0",
            "__crc_",
            "__kstrtab_",
            "__kstrtabns_",
            "x",
            "0",
            "_",
            ".",
        ]
        lines = []
        for _ in range(3000):
            lines.append("".join(rnd.choice(pieces) for _ in range(rnd.randint(0, 8))))
        data = "\n".join(lines).encode() + b"\n"
        args = [
            grep,
            "-v",
            "-e",
            " [aNUw] ",
            "-e",
            r" \$",
            "-e",
            r" \.L",
            "-e",
            " __crc_",
            "-e",
            " __kstrtab_",
            "-e",
            " __kstrtabns_",
            "-e",
            " L0$",
        ]
        proc = subprocess.run(args, input=data, capture_output=True, env={"LC_ALL": "C"}, check=False)
        self.assertIn(proc.returncode, (0, 1))
        self.assertEqual(lib.mksysmap(data), proc.stdout)


class PassesTest(absltest.TestCase):
    def test_need_third_pass(self):
        self.assertFalse(lib.need_third_pass(188912, 188912))
        self.assertTrue(lib.need_third_pass(188912, 188920))
        self.assertTrue(lib.need_third_pass(188920, 188912))
        self.assertTrue(lib.need_third_pass(188912, 188912, extra_pass=True))

    def test_kallsyms_names(self):
        self.assertEqual(
            lib.kallsyms_names("w", 2),
            {
                "vmlinux": "w/.tmp_vmlinux.kallsyms2",
                "syms": "w/.tmp_vmlinux.kallsyms2.syms",
                "S": "w/.tmp_vmlinux.kallsyms2.S",
                "o": "w/.tmp_vmlinux.kallsyms2.o",
            },
        )


_KBUILD_LDFLAGS = "-EL -maarch64elf -z norelro -mllvm -import-instr-limit=5 -z noexecstack".split()
_LDFLAGS_VMLINUX = "--no-undefined -X --pic-veneer --build-id=sha1 --orphan-handling=warn".split()


class CommandTest(absltest.TestCase):
    def test_link_like_kbuild(self):
        # The commands of Kbuild's V=1 log (arm64, ThinLTO, tinyconfig + KALLSYMS).
        self.assertEqual(
            " ".join(
                lib.link_command(
                    "/llvm/ld.lld",
                    _KBUILD_LDFLAGS,
                    _LDFLAGS_VMLINUX,
                    "./arch/arm64/kernel/vmlinux.lds",
                    ["vmlinux.o", "init/version-timestamp.o"],
                    ".tmp_vmlinux.kallsyms1",
                    strip_debug=True,
                )
            ),
            "/llvm/ld.lld -EL -maarch64elf -z norelro -mllvm -import-instr-limit=5 -z noexecstack "
            "--no-undefined -X --pic-veneer --build-id=sha1 --orphan-handling=warn "
            "--script=./arch/arm64/kernel/vmlinux.lds --strip-debug -o .tmp_vmlinux.kallsyms1 "
            "--whole-archive vmlinux.o init/version-timestamp.o --no-whole-archive "
            "--start-group --end-group",
        )
        self.assertEqual(
            " ".join(
                lib.link_command(
                    "/llvm/ld.lld",
                    _KBUILD_LDFLAGS,
                    _LDFLAGS_VMLINUX,
                    "./arch/arm64/kernel/vmlinux.lds",
                    ["vmlinux.o", "init/version-timestamp.o"],
                    "vmlinux",
                    kallsyms_object=".tmp_vmlinux.kallsyms2.o",
                )
            ),
            "/llvm/ld.lld -EL -maarch64elf -z norelro -mllvm -import-instr-limit=5 -z noexecstack "
            "--no-undefined -X --pic-veneer --build-id=sha1 --orphan-handling=warn "
            "--script=./arch/arm64/kernel/vmlinux.lds -o vmlinux "
            "--whole-archive vmlinux.o init/version-timestamp.o --no-whole-archive "
            "--start-group --end-group .tmp_vmlinux.kallsyms2.o",
        )

    def test_other_commands(self):
        self.assertEqual(lib.nm_command("/b/llvm-nm", "v"), ["/b/llvm-nm", "-n", "v"])
        self.assertEqual(
            lib.kallsyms_command("scripts/kallsyms", ["--base-relative", "--lto-clang"], "x.syms"),
            ["scripts/kallsyms", "--base-relative", "--lto-clang", "x.syms"],
        )
        self.assertEqual(
            lib.assemble_command("/b/clang", ["-nostdinc", "-D__ASSEMBLY__"], "w/k.S", "w/k.o"),
            ["/b/clang", "-nostdinc", "-D__ASSEMBLY__", "-c", "-o", "w/k.o", "w/k.S"],
        )
        self.assertEqual(lib.sorttable_command("scripts/sorttable", "vmlinux"), ["scripts/sorttable", "vmlinux"])
        self.assertEqual(
            " ".join(lib.image_command("/b/llvm-objcopy", "vmlinux", "Image")),
            "/b/llvm-objcopy -O binary -R .note -R .note.gnu.build-id -R .comment -S vmlinux Image",
        )

    def test_bare_names_are_not_looked_up_on_path(self):
        self.assertEqual(lib.tool_argv0("ld.lld"), "./ld.lld")
        self.assertEqual(lib.link_command("ld.lld", [], [], "l", ["a.o"], "o")[0], "./ld.lld")
        self.assertEqual(lib.nm_command("llvm-nm", "v")[0], "./llvm-nm")
        self.assertEqual(lib.tool_argv0("bin/ld.lld"), "bin/ld.lld")


class CheckTest(absltest.TestCase):
    def test_system_map(self):
        lib.check_system_map("S", b"0000000000000000 A _kernel\nffffffc008000000 T _text\nffffffc008000000 t x\n")
        for data, msg in [
            (b"", r"^S: empty$"),
            (b"1 T a", r"^S: no newline at the end$"),
            (b"2 T a\n1 T b\n", r"^S:2: address 1 out of order$"),
            (b"1 T a\n T b\n", r"^S:2: bad address"),
            (b"1 T a\nzz T b\n", r"^S:2: bad address b'zz'$"),
            (b"1 T\n", r"^S:1: not 'ADDRESS TYPE NAME'"),
            (b"1 TT a\n", r"^S:1: not 'ADDRESS TYPE NAME'"),
            (b"1 T a b\n", r"^S:1: not 'ADDRESS TYPE NAME'"),
        ]:
            with self.subTest(data=data):
                with self.assertRaisesRegex(lib.LinkError, msg):
                    lib.check_system_map("S", data)

    def test_vmlinux(self):
        lib.check_vmlinux("v", _elf(), lib.EM_AARCH64)
        lib.check_vmlinux("v", _elf(machine=62), None)
        lib.check_vmlinux("v", _elf(big_endian=True), lib.EM_AARCH64)
        # arm64 CONFIG_RELOCATABLE: `-shared -Bsymbolic -z notext` makes vmlinux ET_DYN.
        self.assertEqual(lib.vmlinux_type(["-shared", "-Bsymbolic", "-z", "notext"]), lib.ET_DYN)
        self.assertEqual(lib.vmlinux_type(["--no-undefined", "-X", "-z", "norelro"]), lib.ET_EXEC)
        lib.check_vmlinux("v", _elf(e_type=lib.ET_DYN), lib.EM_AARCH64, lib.ET_DYN)
        with self.assertRaisesRegex(lib.LinkError, r"v: ELF type 2, want ET_DYN \(linked -shared\) \(3\)"):
            lib.check_vmlinux("v", _elf(), lib.EM_AARCH64, lib.ET_DYN)
        for data, msg in [
            (b"", "v: empty"),
            (b"!<arch>\n" + bytes(60), "v: not an ELF file"),
            (_elf(e_type=1), r"v: ELF type 1, want ET_EXEC \(2\)"),
            (_elf(machine=62), "v: e_machine 62, but vmlinux.o has 183"),
        ]:
            with self.subTest(msg=msg):
                with self.assertRaisesRegex(lib.LinkError, msg):
                    lib.check_vmlinux("v", data, lib.EM_AARCH64)

    def test_image(self):
        good = bytes(0x38) + b"ARM\x64" + bytes(8)
        lib.check_image("I", good, lib.EM_AARCH64)
        lib.check_image("I", b"x", 62)  # no magic to check off arm64
        with self.assertRaisesRegex(lib.LinkError, "I: empty"):
            lib.check_image("I", b"", 62)
        with self.assertRaisesRegex(lib.LinkError, "I: no arm64 Image magic at offset 0x38"):
            lib.check_image("I", bytes(0x40), lib.EM_AARCH64)

    def test_paths(self):
        self.assertEqual(
            lib.leak_paths(["/tmp", "rel/dir", "/work/x/y/", "/a/b/c/d/e/f", "/work/x/y"]),
            ["/a/b/c/d/e/f", "/work/x/y"],
        )
        lib.check_no_paths("o", b"include /work/x", ["/work/x/y"])
        with self.assertRaisesRegex(lib.LinkError, "^o: holds the absolute path /work/x/y$"):
            lib.check_no_paths("o", b"..\0/work/x/y/.tmp_vmlinux.kallsyms1.S\0", ["/work/x/y"])

    def test_kallsyms_source(self):
        lib.check_kallsyms_source("k1.S", b"#include <asm/bitsperlong.h>\n.globl kallsyms_num_syms\n\tALGN\n"
                                          b"kallsyms_num_syms:\n\t.long\t3\n")
        with self.assertRaisesRegex(lib.LinkError, "^k1.S: kallsyms wrote nothing"):
            lib.check_kallsyms_source("k1.S", b"\n")
        with self.assertRaisesRegex(lib.LinkError, "^k1.S: no kallsyms_num_syms table"):
            lib.check_kallsyms_source("k1.S", b"# kallsyms_num_syms: in a comment\n")

    def test_kallsyms_linked(self):
        lib.check_kallsyms_linked("System.map", b"ffffffc008000000 T _text\nffffffc008f00000 R kallsyms_num_syms\n")
        with self.assertRaisesRegex(lib.LinkError, "^System.map: no kallsyms_num_syms: the kallsyms tables were "
                                                   "not linked into vmlinux$"):
            lib.check_kallsyms_linked("System.map", b"ffffffc008000000 T _text\nffffffc008f00000 R kallsyms_num_symsx\n")

    def test_relative_table(self):
        def table(keys, entry=12):
            return b"".join(struct.pack("<i", k - entry * i) + bytes(entry - 4) for i, k in enumerate(keys))
        self.assertIsNone(lib.relative_table_unsorted(0x1000, table([0, 0, 5, 9]), 12))
        self.assertIsNone(lib.relative_table_unsorted(0x1000, b"", 12))
        self.assertEqual(lib.relative_table_unsorted(0x1000, table([0, 9, 5]), 12), 2)
        self.assertEqual(lib.relative_table_unsorted(0, table([-100, -200]), 12), 1)
        big = b"".join(struct.pack(">i", k - 12 * i) + bytes(8) for i, k in enumerate([4, 1]))
        self.assertEqual(lib.relative_table_unsorted(0, big, 12, little_endian=False), 1)

    def test_vmlinux_state_of_a_non_elf(self):
        with self.assertRaisesRegex(lib.LinkError, r"^vmlinux: malformed ELF: [^\n]*$"):
            lib.vmlinux_state("vmlinux", b"\x7fELF" + bytes(60))

    def test_kallsyms_count(self):
        lib.check_kallsyms_count("vmlinux", {"kallsyms_num_syms": 3})
        with self.assertRaisesRegex(lib.LinkError, "^vmlinux: no kallsyms_num_syms symbol"):
            lib.check_kallsyms_count("vmlinux", {"kallsyms_num_syms": None})
        with self.assertRaisesRegex(lib.LinkError, "^vmlinux: the kallsyms tables hold no symbols"):
            lib.check_kallsyms_count("vmlinux", {"kallsyms_num_syms": 0})

    def test_kallsyms_consistent(self):
        lib.check_kallsyms_consistent(b"1 T a\n", b"1 T a\n", "k2.syms")
        with self.assertRaisesRegex(lib.LinkError, "inconsistent kallsyms data: System.map differs from k2.syms"):
            lib.check_kallsyms_consistent(b"1 T a\n", b"2 T a\n", "k2.syms")

    def test_one_line(self):
        self.assertEqual(lib.one_line("ld.lld: error: a\n\n  b  \n"), "ld.lld: error: a | b")
        self.assertEqual(len(lib.one_line("x" * 5000, limit=100)), 100)


# A stand-in for every program the tool runs; its behaviour comes from
# config.json, and each call appends its name and arguments to calls.jsonl.
# ld writes an ELF header followed by the nm output nm should print for it: the
# symbols, plus one whose address is the size of the kallsyms object linked
# in (as the real kallsyms section moves addresses). kallsyms writes a .S whose
# length config["next"][that size] says; clang makes a .o as long as the .S.
_FAKE = textwrap.dedent("""\
    import json, os, struct, sys
    here = os.path.dirname(os.path.abspath(__file__))
    cfg = json.load(open(os.path.join(here, "config.json")))
    name, args = sys.argv[1], sys.argv[2:]

    def _vmlinux(cfg, linked_kallsyms):
        # An ET_EXEC ELF: .data (main_extable_sort_needed = 1, at file offset 64),
        # __ex_table (12-byte relative entries, sorted unless cfg["unsorted_extable"]), .symtab.
        data_addr, ex_addr = 0xffffffc008200000, 0xffffffc008300000
        keys = [0x40, 0x10] if cfg.get("unsorted_extable") else [0x10, 0x40]
        ex = b"".join(struct.pack("<iiI", k - 12 * i, 0, 0) for i, k in enumerate(keys))
        shstr = b"\\0.data\\0__ex_table\\0.symtab\\0.strtab\\0.shstrtab\\0"
        strtab = b"\\0main_extable_sort_needed\\0"
        symtab = bytes(24) + struct.pack("<IBBHQQ", 1, 0x11, 0, 1, data_addr, 4)
        if linked_kallsyms:
            strtab += b"kallsyms_num_syms\\0"
            symtab += struct.pack("<IBBHQQ", 26, 0x11, 0, 1, data_addr + 4, 4)
        blobs = [struct.pack("<II", 1, cfg.get("num_syms", 5)), ex, symtab, strtab, shstr]
        off, layout = 64, []
        for b in blobs:
            layout.append((off, len(b)))
            off += len(b)
        shoff = (off + 7) & ~7
        def shdr(nm, typ, flags, i, addr=0, link=0, info=0, entsize=0):
            o, n = layout[i]
            return struct.pack("<IIQQQQIIQQ", shstr.index(nm + b"\\0"), typ, flags, addr, o, n, link, info, 4, entsize)
        shdrs = bytes(64) + shdr(b".data", 1, 3, 0, data_addr) + shdr(b"__ex_table", 1, 2, 1, ex_addr)
        shdrs += shdr(b".symtab", 2, 0, 2, link=4, info=1, entsize=24) + shdr(b".strtab", 3, 0, 3)
        shdrs += shdr(b".shstrtab", 3, 0, 4)
        ehdr = b"\\x7fELF" + bytes([2, 1, 1]) + bytes(9)
        ehdr += struct.pack("<HHIQQQIHHHHHH", 2, cfg.get("machine", 183), 1, 0, 0, shoff, 0, 64, 0, 0, 64, 6, 5)
        body = ehdr + b"".join(blobs)
        return body + bytes(shoff - len(body)) + shdrs

    with open(os.path.join(here, "calls.jsonl"), "a") as log:
        log.write(json.dumps([name] + args) + "\\n")
    if name in cfg.get("fail", {}):
        sys.stderr.write(cfg["fail"][name])
        sys.exit(3)
    if name == "ld":
        out = args[args.index("-o") + 1]
        rest = args[args.index("--end-group") + 1:]
        size = os.path.getsize(rest[0]) if rest else 0
        syms = "ffffffc008000000 T _text\\nffffffc008000000 t $x\\n"
        syms += "%016x D kallsyms_moved\\n" % (0xffffffc008100000 + size)
        syms += "                 U undef\\n"
        if cfg.get("unsorted"):
            syms += "0000000000000001 T low\\n"
        if rest:  # the kallsyms object defines its tables
            syms += "%016x R kallsyms_num_syms\\n" % (0xffffffc008100000 + size + 8)
        with open(out, "wb") as f:
            f.write(_vmlinux(cfg, bool(rest)))
        with open(out + ".nm", "w") as f:
            f.write(syms)
    elif name == "nm":
        assert args[0] == "-n", args
        sys.stdout.buffer.write(open(args[1] + ".nm", "rb").read())
    elif name == "kallsyms":
        syms = open(args[-1]).read()
        size = int([l for l in syms.splitlines() if "kallsyms_moved" in l][0].split()[0], 16) - 0xffffffc008100000
        text = "kallsyms_num_syms:\\n# " + ("x" * (cfg["next"][str(size)] - 19))
        if cfg.get("kallsyms_empty"):
            text = ""
        if cfg.get("leak"):
            text += os.path.abspath(args[-1])
        sys.stdout.write(text)
    elif name == "clang":
        assert args[-4:-2] == ["-c", "-o"], args
        with open(args[-2], "wb") as f:
            f.write(open(args[-1], "rb").read())
    elif name == "sorttable":
        assert len(args) == 1, args
        if not cfg.get("sorttable_noop"):
            with open(args[0], "r+b") as f:  # main_extable_sort_needed = 0 (see _vmlinux)
                f.seek(64)
                f.write(bytes(4))
    elif name == "objcopy":
        with open(args[-1], "wb") as f:
            f.write(bytes(0x38) + b"ARM\\x64" + bytes(cfg.get("image_pad", 8)))
    """)


class MainTest(absltest.TestCase):
    def setUp(self):
        super().setUp()
        self.tmp = self.create_tempdir()
        self.dir = self.tmp.full_path
        self.tmp.create_file("fake.py", _FAKE)
        for name in ("ld", "nm", "kallsyms", "clang", "sorttable", "objcopy"):
            path = os.path.join(self.dir, name)
            with open(path, "w") as f:
                f.write(f'#!/bin/sh\nexec "{sys.executable}" "{self.dir}/fake.py" {name} "$@"\n')
            os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR)
        self.tmp.create_file("vmlinux.o", _elf(e_type=1))
        self.tmp.create_file("init/version-timestamp.o", "BC\xc0\xde")
        self.tmp.create_file("vmlinux.lds", "SECTIONS {}\n")

    def _config(self, **cfg):
        self.tmp.create_file("config.json", json.dumps(cfg))

    def _calls(self):
        path = os.path.join(self.dir, "calls.jsonl")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(line) for line in f]

    def _run(self, *extra, kallsyms=True, image=True, workdir="work"):
        d = self.dir
        args = [
            f"--ld={d}/ld",
            f"--nm={d}/nm",
            "--lds=vmlinux.lds",
            "--object=vmlinux.o",
            "--object=init/version-timestamp.o",
            "--out_vmlinux=out/vmlinux",
            "--out_system_map=out/System.map",
            "--ldflag=-EL",
            "--ldflag_vmlinux=--no-undefined",
            f"--sorttable={d}/sorttable",
        ]
        if kallsyms:
            args += [
                f"--kallsyms={d}/kallsyms",
                f"--clang={d}/clang",
                "--kallsyms_arg=--base-relative",
                "--kallsyms_arg=--lto-clang",
                "--asflag=-D__ASSEMBLY__",
            ]
        if image:
            args += [f"--objcopy={d}/objcopy", "--out_image=out/Image"]
        if workdir:
            args.append(f"--workdir={workdir}")
        os.makedirs(os.path.join(d, "out"), exist_ok=True)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([_REPO, os.environ.get("PYTHONPATH", "")]))
        return subprocess.run(
            [sys.executable, os.path.join(_HERE, "link_vmlinux.py"), *args, *extra],
            cwd=d,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    def _steps(self):
        """The calls as (program, output or main argument) pairs."""
        steps = []
        for call in self._calls():
            name, args = call[0], call[1:]
            if name == "ld":
                steps.append(
                    ("ld", args[args.index("-o") + 1], args[args.index("--end-group") + 1 :], "--strip-debug" in args)
                )
            elif name == "clang":
                steps.append(("clang", args[-1]))
            else:
                steps.append((name, args[-1]))
        return steps

    def _ok(self, r):
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, "", ""))

    def test_two_passes(self):
        self._config(next={"0": 100, "102": 100})
        self._ok(self._run())
        k = "work/.tmp_vmlinux.kallsyms"
        self.assertEqual(
            self._steps(),
            [
                ("ld", k + "1", [], True),
                ("nm", k + "1"),
                ("kallsyms", k + "1.syms"),
                ("clang", k + "1.S"),
                ("ld", k + "2", [k + "1.o"], True),
                ("nm", k + "2"),
                ("kallsyms", k + "2.syms"),
                ("clang", k + "2.S"),
                ("ld", "out/vmlinux", [k + "2.o"], False),
                ("nm", "out/vmlinux"),
                ("sorttable", "out/vmlinux"),
                ("objcopy", "out/Image"),
            ],
        )
        smap = _readb(os.path.join(self.dir, "out/System.map"))
        self.assertEqual(
            smap,
            b"ffffffc008000000 T _text\nffffffc008100066 D kallsyms_moved\nffffffc00810006e R kallsyms_num_syms\n",
        )
        self.assertEqual(smap, _readb(os.path.join(self.dir, k + "2.syms")))
        first_ld = self._calls()[0]
        self.assertEqual(
            first_ld[1:],
            [
                "-EL",
                "--no-undefined",
                "--script=vmlinux.lds",
                "--strip-debug",
                "-o",
                k + "1",
                "--whole-archive",
                "vmlinux.o",
                "init/version-timestamp.o",
                "--no-whole-archive",
                "--start-group",
                "--end-group",
            ],
        )
        self.assertEqual(self._calls()[2][1:], ["--base-relative", "--lto-clang", k + "1.syms"])
        self.assertEqual(self._calls()[3][1:], ["-D__ASSEMBLY__", "-c", "-o", k + "1.o", k + "1.S"])

    def test_third_pass_when_sizes_differ(self):
        self._config(next={"0": 100, "102": 120, "122": 120})
        self._ok(self._run())
        lds = [s for s in self._steps() if s[0] == "ld"]
        k = "work/.tmp_vmlinux.kallsyms"
        self.assertEqual(
            [(s[1], s[2]) for s in lds],
            [(k + "1", []), (k + "2", [k + "1.o"]), (k + "3", [k + "2.o"]), ("out/vmlinux", [k + "3.o"])],
        )

    def test_extra_pass_flag(self):
        self._config(next={"0": 100, "102": 100})
        self._ok(self._run("--kallsyms_extra_pass"))
        self.assertLen([s for s in self._steps() if s[0] == "ld"], 4)

    def test_inconsistent_kallsyms(self):
        self._config(next={"0": 100, "102": 120, "122": 130})
        r = self._run()
        self.assertEqual(r.returncode, 1)
        self.assertEqual(
            r.stderr,
            "link_vmlinux: inconsistent kallsyms data: System.map differs from .tmp_vmlinux.kallsyms3.syms "
            "(Kbuild's workaround: KALLSYMS_EXTRA_PASS=1, here --kallsyms_extra_pass)\n",
        )
        self.assertFalse(os.path.exists(os.path.join(self.dir, "out/vmlinux")))
        self.assertFalse(os.path.exists(os.path.join(self.dir, "out/System.map")))

    def test_without_kallsyms_image_and_workdir(self):
        self._config()
        self._ok(self._run(kallsyms=False, image=False, workdir=None))
        self.assertEqual(
            self._steps(),
            [("ld", "out/vmlinux", [], False), ("nm", "out/vmlinux"), ("sorttable", "out/vmlinux")],
        )

    def test_default_workdir_is_removed(self):
        self._config(next={"0": 100, "102": 100})
        self._ok(self._run(workdir=None))
        tmp = os.path.dirname(self._steps()[0][1])
        # Relative to the cwd and fixed (beside the first output): under debug info the
        # assembler records the kallsyms .S's path, so a random /tmp name would differ per build.
        self.assertFalse(os.path.isabs(tmp))
        self.assertTrue(tmp.endswith(".link_vmlinux.d"), tmp)
        self.assertFalse(os.path.exists(os.path.join(self.dir, tmp)))

    def test_tool_failure_is_one_line(self):
        self._config(next={"0": 100, "102": 100}, fail={"ld": "ld.lld: error: undefined symbol: foo\n>>> x\n"})
        r = self._run()
        self.assertEqual(r.returncode, 1)
        self.assertEqual(
            r.stderr,
            f"link_vmlinux: link .tmp_vmlinux.kallsyms1: {self.dir}/ld exited with 3: "
            "ld.lld: error: undefined symbol: foo | >>> x\n",
        )

    def test_temp_path_in_kallsyms_source(self):
        self._config(next={"0": 100, "102": 100}, leak=True)
        workdir = os.path.join(self.dir, "work")
        r = self._run(workdir=workdir)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, f"link_vmlinux: .tmp_vmlinux.kallsyms1.S: holds the absolute path {workdir}\n")

    def test_unsorted_system_map(self):
        self._config(unsorted=True)
        r = self._run(kallsyms=False)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "link_vmlinux: out/System.map:3: address 0000000000000001 out of order\n")
        self.assertFalse(os.path.exists(os.path.join(self.dir, "out/Image")))

    def test_wrong_machine(self):
        self._config(machine=62)
        r = self._run(kallsyms=False)
        self.assertEqual(r.stderr, "link_vmlinux: out/vmlinux: e_machine 62, but vmlinux.o has 183\n")

    def test_missing_input(self):
        self._config()
        os.remove(os.path.join(self.dir, "vmlinux.lds"))
        r = self._run()
        self.assertEqual((r.returncode, r.stderr), (1, "link_vmlinux: vmlinux.lds: no such file\n"))
        self.assertEqual(self._calls(), [])

    def test_kallsyms_that_writes_nothing(self):
        self._config(next={"0": 100, "102": 100}, kallsyms_empty=True)
        r = self._run()
        self.assertEqual((r.returncode, r.stderr), (1, "link_vmlinux: .tmp_vmlinux.kallsyms1.S: kallsyms wrote "
                                                       "nothing; is --kallsyms this kernel's scripts/kallsyms?\n"))
        self.assertFalse(os.path.exists(os.path.join(self.dir, "out/vmlinux")))

    def test_sorttable_that_does_nothing(self):
        self._config(sorttable_noop=True)
        r = self._run(kallsyms=False)
        self.assertEqual((r.returncode, r.stderr), (1, "link_vmlinux: out/vmlinux: sorttable left "
                                                       "main_extable_sort_needed = 1 (it did not sort the tables); "
                                                       "is --sorttable this kernel's scripts/sorttable?\n"))
        self.assertFalse(os.path.exists(os.path.join(self.dir, "out/vmlinux")))
        self.assertFalse(os.path.exists(os.path.join(self.dir, "out/System.map")))

    def test_kallsyms_tables_without_symbols(self):
        self._config(next={"0": 100, "102": 100}, num_syms=0)
        r = self._run()
        self.assertEqual((r.returncode, r.stderr), (1, "link_vmlinux: out/vmlinux: the kallsyms tables hold no "
                                                       "symbols; check --kallsyms_arg and the kallsyms .syms input\n"))
        self.assertFalse(os.path.exists(os.path.join(self.dir, "out/vmlinux")))

    def test_sorttable_that_leaves_the_table_unsorted(self):
        self._config(unsorted_extable=True)
        r = self._run(kallsyms=False)
        self.assertEqual((r.returncode, r.stderr), (1, "link_vmlinux: out/vmlinux: __ex_table entry 1 is out of "
                                                       "order after sorttable; is --sorttable this kernel's "
                                                       "scripts/sorttable?\n"))

    def test_usage(self):
        self._config()
        r = self._run(kallsyms=False, image=False, workdir=None)
        self._ok(r)
        r = self._run("--kallsyms=x", kallsyms=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--kallsyms needs --clang", r.stderr)
        r = self._run("--out_image=out/Image", kallsyms=False, image=False)
        self.assertIn("--out_image needs --objcopy", r.stderr)


if __name__ == "__main__":
    absltest.main()
