"""Bad input never gives exit 0, a Python stack or a left-over output (issue 17).

Every tool main gets generated bad inputs: missing, empty, truncated and random files, ELF
of the wrong class or machine, bitcode where ELF is expected and the reverse, non-UTF-8
text, directories, an output path that cannot be written, missing flags, helper programs
that fail or lie. Each case must

  - exit non-zero,
  - print exactly one line on stderr, starting with the tool's name, with no
    "Traceback" and no "this is a bug" (a designed error, not the entry point's
    catch-all),
  - leave its directory as it found it (no output, no temporary).

The cases are one table, CASES: a new tool gets the same checks by adding rows (and its
main to TOOLS and to the test's data). Placeholders in a case's argv ({random}, {out},
...) name files FIXTURES makes in the case's own directory; {nm} and {ld} are the pinned
llvm-nm and ld.lld.
"""

import os
import random
import re
import shutil
import struct
import subprocess
import sys

from absl import flags
from absl.testing import absltest, parameterized

_NM = flags.DEFINE_string("nm", None, "The pinned llvm-nm.", required=True)
_LD = flags.DEFINE_string("ld", None, "The pinned ld.lld.", required=True)
_BITCODE = flags.DEFINE_string("bitcode", None, "A ThinLTO bitcode object (aarch64) with symbols.", required=True)
_BOOT_SH = flags.DEFINE_string("boot_sh", None, "bin/sh of the pinned boot tools (@kernel_boot_tools).", required=True)

# Tool name -> its main, relative to the runfiles root of this repository.
TOOLS = {
    "thinlto": "tools/thinlto/thinlto.py",
    "lto_link": "tools/thinlto_cache/link.py",
    "link_vmlinux": "tools/link_vmlinux/link_vmlinux.py",
    "initcall_order": "tools/initcall_order/initcall_order.py",
    "initramfs": "tools/initramfs/initramfs.py",
    "modpost": "tools/modpost/modpost.py",
    "elfinfo": "tools/elfinfo/elfinfo.py",
    "execlog_diff": "tools/execlog_diff/execlog_diff.py",
    "check_json": "tools/execlog_diff/check_json.py",
    "check_plan": "tools/kbuild_import/check_plan.py",
    "boot_test": "tools/boot_test/boot_test.py",
    "deb_assemble": "tools/deb_assemble/assemble.py",
    "relock": "tools/relock/relock.py",
    "stubcopy": "tools/stubcopy/stubcopy.py",
    "boot_step": "tools/boot_step/boot_step.py",
    "kcfi_facts": "tools/kcfi_facts/kcfi_facts.py",
    "boot": "tools/boot/boot.py",
    "dist": "tools/dist/dist.py",
    "dist_stage": "tools/dist/stage.py",
}

# How a tool's error line starts (default: "<tool>: "). modpost prints what upstream's
# modpost prints, byte for byte: "FATAL: modpost: ...", "ERROR: modpost: ..." or perror's
# "<file>: <strerror>".
PREFIXES = {
    "modpost": r"((FATAL|ERROR): modpost: |\S+: )",
    "dist_stage": "dist: ",
    "lto_link": "thinlto_cache link: ",
}

_LINK = ["--ld={ld}", "--nm={nm}", "--lds={text}", "--out_vmlinux={out}", "--out_system_map={out2}"]
_BACKEND = ["--mode=backend", "--tree={tree}", "--object=a.o", "--out={out}", "--machine=EM_AARCH64"]
_BOOT = ["--qemu={fake_ok}", "--arch=arm64"]

# (tool, case, argv). One row per bad input.
CASES = [
    # thinlto: the thin-link
    ("thinlto", "no flags", []),
    ("thinlto", "unknown mode", ["--mode=fat"]),
    ("thinlto", "missing --flagfile", ["--flagfile={missing}"]),
    ("thinlto", "non-UTF-8 --flagfile", ["--flagfile={non_utf8_flags}"]),
    ("thinlto", "directory --flagfile", ["--flagfile={adir}"]),
    ("thinlto", "thin_link without --ld", ["--mode=thin_link", "--input={bitcode}", "--bitcode={bitcode}",
                                           "--tree={out}"]),
    ("thinlto", "unpaired --tree", ["--mode=thin_link", "--ld={ld}", "--input={bitcode}", "--bitcode={bitcode}"]),
    ("thinlto", "native ELF as --bitcode", ["--mode=thin_link", "--ld={ld}", "--ld_arg=-r", "--input={bitcode}",
                                            "--input={elf_a64}", "--bitcode={elf_a64}", "--tree={out}"]),
    # The lazy native object the link leaves out: before issue 17, an empty backend object, exit 0.
    ("thinlto", "lazy native ELF as --bitcode", ["--mode=thin_link", "--ld={ld}", "--ld_arg=-r", "--input={bitcode}",
                                                 "--input=--start-lib", "--input={elf_a64}", "--input=--end-lib",
                                                 "--bitcode={elf_a64}", "--tree={out}"]),
    ("thinlto", "--bitcode not an --input", ["--mode=thin_link", "--ld={ld}", "--input={bitcode}",
                                             "--bitcode={bitcode}", "--bitcode={bitcode2}", "--tree={out}",
                                             "--tree={out2}"]),
    ("thinlto", "missing --bitcode", ["--mode=thin_link", "--ld={ld}", "--input={missing}", "--bitcode={missing}",
                                      "--tree={out}"]),
    ("thinlto", "empty --bitcode", ["--mode=thin_link", "--ld={ld}", "--input={empty}", "--bitcode={empty}",
                                    "--tree={out}"]),
    ("thinlto", "random --bitcode", ["--mode=thin_link", "--ld={ld}", "--input={random}", "--bitcode={random}",
                                     "--tree={out}"]),
    ("thinlto", "directory --bitcode", ["--mode=thin_link", "--ld={ld}", "--input={adir}", "--bitcode={adir}",
                                        "--tree={out}"]),
    ("thinlto", "truncated bitcode", ["--mode=thin_link", "--ld={ld}", "--ld_arg=-r", "--input={truncated_bc}",
                                      "--bitcode={truncated_bc}", "--tree={out}"]),
    ("thinlto", "random native input", ["--mode=thin_link", "--ld={ld}", "--ld_arg=-r", "--input={random}",
                                        "--input={bitcode}", "--bitcode={bitcode}", "--tree={out}"]),
    ("thinlto", "linker stderr not UTF-8", ["--mode=thin_link", "--ld={fake_bad_stderr}", "--input={bitcode}",
                                            "--bitcode={bitcode}", "--tree={out}"]),
    ("thinlto", "missing linker", ["--mode=thin_link", "--ld={missing}", "--input={bitcode}",
                                   "--bitcode={bitcode}", "--tree={out}"]),
    # thinlto: the backend
    ("thinlto", "backend without --out", ["--mode=backend", "--clang={fake_ok}", "--tree={tree}", "--object=a.o",
                                          "--machine=EM_AARCH64"]),
    ("thinlto", "backend without --machine", ["--mode=backend", "--clang={fake_ok}", "--tree={tree}",
                                              "--object=a.o", "--out={out}"]),
    ("thinlto", "backend, two trees", ["--clang={fake_ok}", "--tree={tree}", *_BACKEND]),
    ("thinlto", "backend, not a tree", ["--mode=backend", "--clang={fake_ok}", "--tree={adir}", "--object=a.o",
                                        "--out={out}", "--machine=EM_AARCH64"]),
    ("thinlto", "backend, other module path", ["--mode=backend", "--clang={fake_ok}", "--tree={tree}",
                                               "--object=./a.o", "--out={out}", "--machine=EM_AARCH64"]),
    ("thinlto", "backend writes nothing", ["--clang={fake_ok}", *_BACKEND]),
    ("thinlto", "backend writes an object without symbols", ["--clang={fake_clang_nosyms}", *_BACKEND]),
    ("thinlto", "backend writes bitcode", ["--clang={fake_clang_bitcode}", *_BACKEND]),
    ("thinlto", "backend writes another machine", ["--clang={fake_clang_x86}", *_BACKEND]),
    ("thinlto", "backend writes a 32-bit ELF", ["--clang={fake_clang_elf32}", *_BACKEND]),
    ("thinlto", "backend fails", ["--clang={fake_bad_stderr}", *_BACKEND]),
    ("thinlto", "backend output unwritable", ["--clang={fake_clang_nosyms}", "--mode=backend", "--tree={tree}",
                                              "--object=a.o", "--out={bad_out}", "--machine=EM_AARCH64"]),
    # link_vmlinux
    ("link_vmlinux", "no flags", []),
    ("link_vmlinux", "no --object", _LINK),
    ("link_vmlinux", "missing --lds", ["--ld={ld}", "--nm={nm}", "--lds={missing}", "--object={elf_a64}",
                                       "--out_vmlinux={out}", "--out_system_map={out2}"]),
    ("link_vmlinux", "missing --object", [*_LINK, "--object={missing}"]),
    ("link_vmlinux", "directory --object", [*_LINK, "--object={adir}"]),
    ("link_vmlinux", "random --object", [*_LINK, "--object={random}"]),
    ("link_vmlinux", "empty --object", [*_LINK, "--object={empty}"]),
    ("link_vmlinux", "truncated ELF --object", [*_LINK, "--object={truncated_elf}"]),
    ("link_vmlinux", "32-bit ELF --object", [*_LINK, "--object={elf32}"]),
    ("link_vmlinux", "bitcode --object", [*_LINK, "--object={bitcode}"]),
    ("link_vmlinux", "--kallsyms without --clang", [*_LINK, "--object={elf_a64}", "--kallsyms={fake_ok}"]),
    ("link_vmlinux", "--out_image without --objcopy", [*_LINK, "--object={elf_a64}", "--out_image={out3}"]),
    ("link_vmlinux", "linker writes nothing", ["--ld={fake_ok}", "--nm={nm}", "--lds={text}",
                                               "--object={elf_a64}", "--out_vmlinux={out}",
                                               "--out_system_map={out2}"]),
    ("link_vmlinux", "linker stderr not UTF-8", ["--ld={fake_bad_stderr}", "--nm={nm}", "--lds={text}",
                                                 "--object={elf_a64}", "--out_vmlinux={out}",
                                                 "--out_system_map={out2}"]),
    ("link_vmlinux", "unwritable output", ["--ld={ld}", "--nm={nm}", "--lds={text}", "--object={elf_a64}",
                                           "--out_vmlinux={bad_out}", "--out_system_map={out2}"]),
    # initcall_order
    ("initcall_order", "no flags", []),
    ("initcall_order", "no objects", ["--nm={nm}", "--out={out}"]),
    ("initcall_order", "missing object", ["--nm={nm}", "--out={out}", "{missing}"]),
    ("initcall_order", "empty object", ["--nm={nm}", "--out={out}", "{empty}"]),
    ("initcall_order", "random object", ["--nm={nm}", "--out={out}", "{random}"]),
    ("initcall_order", "truncated ELF", ["--nm={nm}", "--out={out}", "{truncated_elf}"]),
    ("initcall_order", "truncated bitcode", ["--nm={nm}", "--out={out}", "{truncated_bc}"]),
    ("initcall_order", "directory", ["--nm={nm}", "--out={out}", "{adir}"]),
    ("initcall_order", "missing nm", ["--nm={missing}", "--out={out}", "{elf_a64}"]),
    ("initcall_order", "nm fails", ["--nm={fake_bad_stderr}", "--out={out}", "{elf_a64}"]),
    ("initcall_order", "both positional and --object", ["--nm={nm}", "--out={out}", "--object={elf_a64}",
                                                        "{elf_a64}"]),
    ("initcall_order", "no initcalls", ["--nm={nm}", "--out={out}", "{elf_a64}"]),
    ("initcall_order", "unwritable output", ["--nm={nm}", "--out={bad_out}", "{elf_initcall}"]),
    ("initcall_order", "output is a directory", ["--nm={nm}", "--out={adir}", "{elf_initcall}"]),
    # initramfs
    ("initramfs", "no flags", []),
    ("initramfs", "no --list, no --arch", ["--out={out}"]),
    ("initramfs", "missing list", ["--list={missing}", "--out={out}"]),
    ("initramfs", "random list", ["--list={random}", "--out={out}"]),
    ("initramfs", "non-UTF-8 list", ["--list={non_utf8}", "--out={out}"]),
    ("initramfs", "directory list", ["--list={adir}", "--out={out}"]),
    ("initramfs", "list names a missing file", ["--list={list_missing}", "--out={out}"]),
    ("initramfs", "list and --arch", ["--list={list_missing}", "--arch=arm64", "--out={out}"]),
    ("initramfs", "random busybox", ["--arch=arm64", "--busybox={random}", "--out={out}"]),
    ("initramfs", "empty busybox", ["--arch=arm64", "--busybox={empty}", "--out={out}"]),
    ("initramfs", "busybox of another machine", ["--arch=arm64", "--busybox={elf_x86}", "--out={out}"]),
    ("initramfs", "32-bit busybox", ["--arch=arm64", "--busybox={elf32}", "--out={out}"]),
    ("initramfs", "bitcode busybox", ["--arch=x86_64", "--busybox={bitcode}", "--out={out}"]),
    ("initramfs", "missing busybox", ["--arch=arm64", "--busybox={missing}", "--out={out}"]),
    ("initramfs", "unwritable output", ["--list={list_ok}", "--out={bad_out}"]),
    ("initramfs", "--write_list with --list", ["--list={list_ok}", "--out={out}", "--write_list={out2}"]),
    # modpost (upstream's command line)
    ("modpost", "missing object", ["-o", "{out}", "{missing}"]),
    ("modpost", "empty object", ["-o", "{out}", "{empty}"]),
    ("modpost", "random object", ["-o", "{out}", "{random}"]),
    ("modpost", "truncated ELF", ["-o", "{out}", "{truncated_elf}"]),
    ("modpost", "bitcode object", ["-o", "{out}", "{bitcode}"]),
    ("modpost", "directory object", ["-o", "{out}", "{adir}"]),
    ("modpost", "missing -T file", ["-o", "{out}", "-T", "{missing}"]),
    ("modpost", "missing symbol dump", ["-o", "{out}", "-i", "{missing}"]),
    ("modpost", "unknown option", ["-Z"]),
    # elfinfo
    ("elfinfo", "no flags", []),
    ("elfinfo", "missing file", ["--file={missing}"]),
    ("elfinfo", "empty file", ["--file={empty}"]),
    ("elfinfo", "random file", ["--file={random}"]),
    ("elfinfo", "truncated ELF", ["--file={truncated_elf}"]),
    ("elfinfo", "bitcode", ["--file={bitcode}"]),
    ("elfinfo", "directory", ["--file={adir}"]),
    ("elfinfo", "other machine", ["--file={elf_x86}", "--expect_machine=EM_AARCH64"]),
    ("elfinfo", "32-bit ELF, other machine", ["--file={elf32}", "--expect_machine=EM_AARCH64"]),
    # execlog_diff, check_json
    ("execlog_diff", "no logs", []),
    ("execlog_diff", "missing logs", ["{missing}", "{missing}"]),
    ("execlog_diff", "random logs", ["{random}", "{random}"]),
    ("execlog_diff", "directory logs", ["{adir}", "{adir}"]),
    ("execlog_diff", "ELF logs", ["{elf_a64}", "{elf_x86}"]),
    ("check_json", "no logs", []),
    ("check_json", "missing logs", ["{missing}", "{missing}"]),
    ("check_json", "random logs", ["{random}", "{random}"]),
    ("check_json", "non-UTF-8 JSON log", ["{empty}", "{non_utf8}"]),
    # check_plan
    ("check_plan", "no flags", []),
    ("check_plan", "missing plan", ["--plan={missing}", "--build_log={text}"]),
    ("check_plan", "empty plan", ["--plan={empty}", "--build_log={text}"]),
    ("check_plan", "truncated plan", ["--plan={plan_truncated}", "--build_log={text}"]),
    ("check_plan", "random plan", ["--plan={random}", "--build_log={text}"]),
    ("check_plan", "non-UTF-8 plan", ["--plan={non_utf8}", "--build_log={text}"]),
    ("check_plan", "non-JSON plan", ["--plan={text}", "--build_log={text}"]),
    ("check_plan", "wrongly shaped plan", ["--plan={plan_list}", "--build_log={text}"]),
    ("check_plan", "plan of another schema", ["--plan={plan_schema1}", "--build_log={text}"]),
    ("check_plan", "directory plan", ["--plan={adir}", "--build_log={text}"]),
    ("check_plan", "missing build log", ["--plan={plan_schema1}", "--build_log={missing}"]),
    # boot_test (fails before QEMU runs)
    # boot: `bazel run //:boot` (the launcher passes runfiles paths)
    ("boot", "no flags", []),
    ("boot", "unknown arch", ["--qemu=q", "--arch=mips", "--kernel=k"]),
    ("boot", "qemu not in runfiles", ["--qemu=nowhere/qemu", "--arch=arm64", "--kernel=nowhere/Image"]),
    ("boot", "positional argument", ["--qemu=q", "--arch=arm64", "--kernel=k", "console=ttyS0"]),
    # dist: `bazel run //:dist` and its staging action
    ("dist", "no flags", []),
    ("dist", "empty --dist_dir", ["--tree=nowhere/tree", "--dist_dir="]),
    ("dist", "tree not in runfiles", ["--tree=nowhere/tree", "--dist_dir={out}"]),
    ("dist_stage", "no flags", []),
    ("dist_stage", "missing release file", ["--out={out}", "--release_file={missing}", "--system_map={text}",
                                            "--depmod={fake_ok}"]),
    ("dist_stage", "random release file", ["--out={out}", "--release_file={random}", "--system_map={text}",
                                           "--depmod={fake_ok}"]),
    ("dist_stage", "release is not one word", ["--out={out}", "--release_file={text}", "--system_map={text}",
                                               "--depmod={fake_ok}"]),
    ("dist_stage", "--file without =", ["--out={out}", "--release_file={text}", "--system_map={text}",
                                        "--depmod={fake_ok}", "--file=vmlinux"]),
    ("boot_test", "no flags", []),
    ("boot_test", "missing qemu", ["--qemu={missing}", "--arch=arm64", "--kernel={elf_a64}"]),
    ("boot_test", "unknown arch", ["--qemu={fake_ok}", "--arch=mips", "--kernel={elf_a64}"]),
    ("boot_test", "missing kernel", [*_BOOT, "--kernel={missing}"]),
    ("boot_test", "directory kernel", [*_BOOT, "--kernel={adir}"]),
    ("boot_test", "missing expected initcalls", [*_BOOT, "--kernel={elf_a64}", "--expected_initcalls={missing}"]),
    ("boot_test", "non-UTF-8 expected initcalls", [*_BOOT, "--kernel={elf_a64}",
                                                   "--expected_initcalls={non_utf8}"]),
    ("boot_test", "directory expected initcalls", [*_BOOT, "--kernel={elf_a64}", "--expected_initcalls={adir}"]),
    ("boot_test", "--expect_modules without --initrd", [*_BOOT, "--kernel={elf_a64}", "--expect_modules={text}"]),
    ("boot_test", "non-UTF-8 --expect_modules", [*_BOOT, "--kernel={elf_a64}", "--initrd={random}",
                                                 "--expect_modules={non_utf8}"]),
    ("boot_test", "bad --expect regex", [*_BOOT, "--kernel={elf_a64}", "--expect=("]),
    # deb_assemble (standard library only)
    ("deb_assemble", "no flags", []),
    ("deb_assemble", "unknown flag", ["--bogus"]),
    ("deb_assemble", "--zip-tree of a missing directory", ["--zip-tree", "{missing}", "{out}"]),
    ("deb_assemble", "--zip-tree of a file", ["--zip-tree", "{text}", "{out}"]),
    ("deb_assemble", "--zip-tree to an unwritable zip", ["--zip-tree", "{zipme}", "{bad_out}"]),
    ("deb_assemble", "--relative-symlinks of a missing directory", ["--relative-symlinks", "{missing}"]),
    ("deb_assemble", "clang that is not an ELF", ["--root={llvm_root}", "--out={new_dir}",
                                                  "--prefix=usr/lib/llvm-19", "--tool=clang"]),
    ("deb_assemble", "missing tool", ["--root={llvm_root}", "--out={new_dir}", "--prefix=usr/lib/llvm-19",
                                      "--tool=ld.lld=lld"]),
    ("deb_assemble", "bad --tool", ["--root={llvm_root}", "--out={new_dir}", "--prefix=usr/lib/llvm-19",
                                    "--tool=bin/clang"]),
    # relock (fails before apt or pip runs)
    ("relock", "unknown flag", ["--bogus"]),
    ("relock", "missing list", ["{missing_packages}"]),
    ("relock", "non-UTF-8 package list", ["{non_utf8_packages}"]),
    ("relock", "non-UTF-8 wheel pins", ["{non_utf8_in}"]),
    ("relock", "bad package name", ["{bad_packages}"]),
    ("relock", "directory list", ["{dir_packages}"]),
    ("stubcopy", "no flags", []),
    ("stubcopy", "missing --src", ["--strip={fake_ok}", "--objdump={fake_ok}", "--objcopy={fake_ok}",
                                   "--src={missing}", "--out={out}", "--name=x.stub.o", "--reject_reloc=R_X86_64_64"]),
    ("stubcopy", "random --src", ["--strip={fake_ok}", "--objdump={fake_ok}", "--objcopy={fake_ok}",
                                  "--src={random}", "--out={out}", "--name=x.stub.o", "--reject_reloc=R_X86_64_64"]),
    # The in-process LTO link wrapper (thin/full links): its .incbin files are checked first.
    ("lto_link", "no linker arguments", ["--tool={ld}", "--nothinlto_cache"]),
    ("lto_link", "missing --incbin file", ["--tool={ld}", "--nothinlto_cache", "--incbin=kernel/config_data.gz={missing}",
                                           "--", "-r", "-o", "{out}", "{bitcode}"]),
    ("lto_link", "absolute --incbin name", ["--tool={ld}", "--nothinlto_cache", "--incbin=/kernel/x={text}",
                                            "--", "-r", "-o", "{out}", "{bitcode}"]),
    ("boot_step", "no flags", []),
    ("boot_step", "absolute --out_rel", ["--cmd=true", "--srctree={adir}", "--tools_dir={tools}", "--out_rel=/etc/x", "--out={out}"]),
    ("boot_step", "unknown placeholder", ["--cmd=$(CC) -o x", "--srctree={adir}", "--tools_dir={tools}", "--out_rel=x", "--out={out}"]),
    ("boot_step", "command writes nothing", ["--cmd=true", "--srctree={adir}", "--tools_dir={tools}", "--out_rel=x", "--out={out}"]),
    ("boot_step", "command fails", ["--cmd=false", "--srctree={adir}", "--tools_dir={tools}", "--out_rel=x", "--out={out}"]),
    ("boot_step", "bad --input", ["--cmd=true", "--srctree={adir}", "--tools_dir={tools}", "--input=noequals", "--out_rel=x", "--out={out}"]),
    ("boot_step", "no bin/sh in --tools_dir", ["--cmd=true", "--srctree={adir}", "--tools_dir={adir}", "--out_rel=x", "--out={out}"]),
    ("boot_step", "a tool not pinned", ["--cmd=bzip2 < /dev/null > x", "--srctree={adir}", "--tools_dir={tools}", "--out_rel=x", "--out={out}"]),
    ("kcfi_facts", "no flags", []),
    ("kcfi_facts", "missing --vmlinux", ["--arch=arm64", "--vmlinux={missing}", "--out={out}"]),
    ("kcfi_facts", "random --vmlinux", ["--arch=arm64", "--vmlinux={random}", "--out={out}"]),
    ("kcfi_facts", "empty --vmlinux", ["--arch=arm64", "--vmlinux={empty}", "--out={out}"]),
    ("kcfi_facts", "bitcode --vmlinux", ["--arch=arm64", "--vmlinux={bitcode}", "--out={out}"]),
]


def _elf64(machine, symbols=(), local=()):
    """A minimal little-endian ET_REL object for MACHINE whose .symtab defines SYMBOLS (global
    functions) and LOCAL (local functions)."""
    shstr = b"\0.text\0.symtab\0.strtab\0.shstrtab\0"
    strtab = b"\0" + b"".join(n.encode() + b"\0" for n in [*local, *symbols])
    syms = bytes(24) + b"".join(struct.pack("<IBBHQQ", strtab.index(n.encode() + b"\0"), info, 0, 1, 0, 0)
                                for n, info in [*((n, 0x02) for n in local), *((n, 0x12) for n in symbols)])
    text = b"\xc0\x03\x5f\xd6"
    off, layout = 64, []
    for blob in (text, syms, strtab, shstr):
        layout.append((off, len(blob)))
        off += len(blob)
    shoff = (off + 7) & ~7
    ehdr = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    ehdr += struct.pack("<HHIQQQIHHHHHH", 1, machine, 1, 0, 0, shoff, 0, 64, 0, 0, 64, 5, 4)

    def shdr(name, typ, flags_, i, link=0, info=0, entsize=0):
        o, n = layout[i]
        return struct.pack("<IIQQQQIIQQ", shstr.index(name + b"\0"), typ, flags_, 0, o, n, link, info, 8, entsize)

    shdrs = bytes(64) + shdr(b".text", 1, 6, 0) + shdr(b".symtab", 2, 0, 1, link=3, info=1 + len(local),
                                                        entsize=24)
    shdrs += shdr(b".strtab", 3, 0, 2) + shdr(b".shstrtab", 3, 0, 3)
    data = ehdr + text + syms + strtab + shstr
    return data + bytes(shoff - len(data)) + shdrs


def _elf32_arm():
    """An ELF32 ET_REL header for EM_ARM, no sections."""
    return b"\x7fELF" + bytes([1, 1, 1, 0]) + bytes(8) + struct.pack("<HHIIIIIHHHHHH", 1, 40, 1, 0, 0, 0, 0,
                                                                     52, 0, 0, 40, 0, 0)


def _write(path, data, mode=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    if mode:
        os.chmod(path, mode)
    return path


def _script(path, body):
    return _write(path, ("#!/bin/sh\n" + body + "\n").encode(), 0o755)


def _copy_to_o(src):
    """A stand-in compiler: writes SRC's bytes wherever its -o points."""
    return f'while [ $# -gt 0 ]; do if [ "$1" = -o ]; then cat "{src}" > "$2"; fi; shift; done'


def fixtures(d):
    """Makes the bad (and the few good) inputs in D; returns {placeholder: path}."""
    bitcode = open(os.path.abspath(_BITCODE.value), "rb").read()
    p = {name: os.path.join(d, name) for name in ("missing", "out", "out2", "out3", "new_dir")}
    p["out"], p["out2"], p["out3"] = (os.path.join(d, "outputs", n) for n in ("a", "b", "c"))
    os.makedirs(os.path.join(d, "outputs"))
    p["missing"] = os.path.join(d, "missing.o")
    p["empty"] = _write(os.path.join(d, "empty.o"), b"")
    p["random"] = _write(os.path.join(d, "random.o"), random.Random(17).randbytes(4096))
    p["text"] = _write(os.path.join(d, "text.txt"), b"hello\n")
    p["non_utf8"] = _write(os.path.join(d, "latin1.txt"), b"caf\xe9\n\xff\xfe\n")
    p["non_utf8_flags"] = _write(os.path.join(d, "latin1.flags"), b"--mode=thin_link\n--ld=caf\xe9\n")
    p["elf_a64"] = _write(os.path.join(d, "a64.o"), _elf64(183, ["f"]))
    p["elf_initcall"] = _write(os.path.join(d, "initcall.o"),
                               _elf64(183, ["f"], local=["__initcall__kmod_main__12_34_f6"]))
    p["elf_a64_nosyms"] = _write(os.path.join(d, "a64_nosyms.o"), _elf64(183))
    p["elf_x86"] = _write(os.path.join(d, "x86.o"), _elf64(62, ["f"]))
    p["elf32"] = _write(os.path.join(d, "elf32.o"), _elf32_arm())
    p["truncated_elf"] = _write(os.path.join(d, "truncated.o"), _elf64(183, ["f"])[:40])
    p["bitcode"] = _write(os.path.join(d, "a.bc"), bitcode)
    p["bitcode2"] = _write(os.path.join(d, "b.bc"), bitcode)
    p["truncated_bc"] = _write(os.path.join(d, "truncated.bc"), bitcode[:200])
    p["adir"] = os.path.join(d, "adir")
    os.makedirs(p["adir"])
    blocker = _write(os.path.join(d, "blocker"), b"a file, not a directory\n")
    p["bad_out"] = os.path.join(blocker, "out")
    p["new_dir"] = os.path.join(d, "new_dir")
    # Helper programs.
    p["fake_ok"] = _script(os.path.join(d, "bin", "ok"), "exit 0")
    p["fake_bad_stderr"] = _script(os.path.join(d, "bin", "bad_stderr"), r"printf 'bad \377\376 bytes\n' >&2; exit 1")
    p["fake_clang_nosyms"] = _script(os.path.join(d, "bin", "clang_nosyms"), _copy_to_o(p["elf_a64_nosyms"]))
    p["fake_clang_bitcode"] = _script(os.path.join(d, "bin", "clang_bitcode"), _copy_to_o(p["bitcode"]))
    p["fake_clang_x86"] = _script(os.path.join(d, "bin", "clang_x86"), _copy_to_o(p["elf_x86"]))
    p["fake_clang_elf32"] = _script(os.path.join(d, "bin", "clang_elf32"), _copy_to_o(p["elf32"]))
    # A thin-link's tree for the object a.o (bitcode with symbols).
    p["tree"] = os.path.join(d, "tree")
    _write(os.path.join(p["tree"], "module"), b"a.o\n")
    _write(os.path.join(p["tree"], "imports"), b"")
    _write(os.path.join(p["tree"], "index.thinlto.bc"), b"")
    _write(os.path.join(p["tree"], "relocatable"), b"1\n")  # an `ld -r` thin-link (vmlinux.o, M.o)
    _write(os.path.join(p["tree"], "files", "a.o"), bitcode)
    # initramfs lists.
    p["list_missing"] = _write(os.path.join(d, "missing.list"), f"file /init {p['missing']} 0755 0 0\n".encode())
    p["list_ok"] = _write(os.path.join(d, "ok.list"), b"dir /dev 0755 0 0\n")
    # check_plan plans.
    p["plan_truncated"] = _write(os.path.join(d, "truncated.json"), b'{"schema": 2, "objects": [{"out": "a')
    p["plan_list"] = _write(os.path.join(d, "list.json"), b"[1, 2]\n")
    p["plan_schema1"] = _write(os.path.join(d, "schema1.json"),
                               b'{"schema": 1, "objects": [], "link": {}, "archives": {}}\n')
    # deb_assemble: unpacked packages whose clang is a shell script.
    p["llvm_root"] = os.path.join(d, "root")
    _script(os.path.join(p["llvm_root"], "usr/lib/llvm-19/bin/clang"), 'exec clang-19 "$@"')
    p["zipme"] = os.path.join(d, "zipme")
    _write(os.path.join(p["zipme"], "a.py"), b"x = 1\n")
    # relock lists.
    p["missing_packages"] = os.path.join(d, "missing.packages")
    p["non_utf8_packages"] = _write(os.path.join(d, "latin1.packages"), b"clang-19\nlld-19\xff\n")
    p["non_utf8_in"] = _write(os.path.join(d, "latin1.in"), b"absl-py==2.1.0 \xe9\n")
    p["bad_packages"] = _write(os.path.join(d, "bad.packages"), b"clang-19\nnot a package name!\n")
    p["dir_packages"] = os.path.join(d, "dir.packages")
    os.makedirs(p["dir_packages"])
    p["nm"] = os.path.abspath(_NM.value)
    p["ld"] = os.path.abspath(_LD.value)
    p["tools"] = os.path.dirname(os.path.dirname(os.path.abspath(_BOOT_SH.value)))
    return p


def _tree(d):
    """Every path below D (files, directories, links) with its size, for a before/after comparison."""
    out = {}
    for top, dirs, files in os.walk(d):
        for name in dirs + files:
            path = os.path.join(top, name)
            out[os.path.relpath(path, d)] = None if os.path.isdir(path) else os.lstat(path).st_size
    return out


def _case_id(tool, name):
    return "".join(c if c.isalnum() else "_" for c in f"{tool}_{name}")


class BadInputTest(parameterized.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = os.getcwd()  # the runfiles root of this repository
        cls.tmp = os.path.join(absltest.get_default_test_tmpdir(), "bad_input")
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_table_is_consistent(self):
        self.assertEqual(sorted({t for t, _, _ in CASES}), sorted(TOOLS))
        self.assertLessEqual(set(PREFIXES), set(TOOLS))
        ids = [_case_id(t, n) for t, n, _ in CASES]
        self.assertEqual(len(ids), len(set(ids)), "case names must be unique per tool")
        for tool, main in TOOLS.items():
            self.assertTrue(os.path.isfile(os.path.join(self.root, main)), f"{tool}: no {main} in runfiles")

    @parameterized.named_parameters((_case_id(t, n), t, n, argv) for t, n, argv in CASES)
    def test_case(self, tool, name, argv):
        d = os.path.join(self.tmp, _case_id(tool, name))
        os.makedirs(d)
        paths = fixtures(d)
        before = _tree(d)
        args = [a.format(**paths) for a in argv]
        proc = subprocess.run(
            [sys.executable, "-S", "-s", "-B", "-P", os.path.join(self.root, TOOLS[tool]), *args],
            cwd=d, stdin=subprocess.DEVNULL, capture_output=True, timeout=60, check=False)
        err = proc.stderr.decode("utf-8", "replace")
        shown = f"{tool} {' '.join(argv)}: exit {proc.returncode}, stderr:\n{err}"
        self.assertNotEqual(proc.returncode, 0, shown)
        self.assertNotIn("Traceback", err, shown)
        self.assertNotIn("this is a bug", err, shown)
        lines = err.splitlines()
        print(f"{tool} | {name} | exit {proc.returncode} | {err.strip()[:300]}")  # in test.log: what users see
        self.assertLen(lines, 1, shown)
        self.assertRegex(lines[0], "^" + PREFIXES.get(tool, re.escape(tool) + ": "), shown)
        after = _tree(d)
        self.assertEqual({k: v for k, v in after.items() if before.get(k, -1) != v}, {},
                         f"{shown}\nleft behind or changed these files")


if __name__ == "__main__":
    absltest.main()
