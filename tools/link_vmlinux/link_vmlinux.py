"""Links vmlinux from vmlinux.o as Linux 6.1's scripts/link-vmlinux.sh does.

One Bazel action: the kallsyms passes, the final link, System.map, sorttable
and (arm64) Image, for a Clang LTO kernel with CONFIG_KALLSYMS, no modules and
no BTF. Given Kbuild's inputs and flags, its outputs are Kbuild's byte for byte:

    link_vmlinux --ld=ld.lld --nm=llvm-nm --clang=clang --objcopy=llvm-objcopy \\
        --kallsyms=scripts/kallsyms --kallsyms_arg=--base-relative \\
        --kallsyms_arg=--lto-clang --sorttable=scripts/sorttable \\
        --ldflag=-EL --ldflag=-maarch64elf ... --ldflag_vmlinux=--no-undefined ... \\
        --asflag=-nostdinc --asflag=-I./arch/arm64/include ... \\
        --lds=arch/arm64/kernel/vmlinux.lds \\
        --object=vmlinux.o --object=init/version-timestamp.o \\
        --out_vmlinux=vmlinux --out_system_map=System.map \\
        --out_image=arch/arm64/boot/Image --workdir=link.tmp

Relative paths (inputs, outputs, --asflag include paths) are relative to the
working directory, the Bazel exec root in an action. Flags can come one per
line from --flagfile. Without --kallsyms there are no kallsyms passes
(CONFIG_KALLSYMS=n); without --sorttable no table sorting
(CONFIG_BUILDTIME_TABLE_SORT=n); without --out_image no Image.
"""

import contextlib
import os
import shutil
import subprocess
import sys

from absl import app, flags

from tools.common import lib as common
from tools.link_vmlinux import lib

_LD = flags.DEFINE_string("ld", None, "ld.lld (used as given, never looked up on PATH).", required=True)
_NM = flags.DEFINE_string("nm", None, "llvm-nm, for System.map and the kallsyms .syms.", required=True)
_CLANG = flags.DEFINE_string("clang", None, "clang, to assemble the kallsyms .S (with --kallsyms).")
_ASFLAGS = flags.DEFINE_multi_string(
    "asflag", [], "Kernel asm flags: NOSTDINC_FLAGS LINUXINCLUDE KBUILD_CPPFLAGS KBUILD_AFLAGS KBUILD_AFLAGS_KERNEL."
)
_OBJCOPY = flags.DEFINE_string("objcopy", None, "llvm-objcopy (with --out_image).")
_KALLSYMS = flags.DEFINE_string("kallsyms", None, "The host program scripts/kallsyms (CONFIG_KALLSYMS).")
_KALLSYMS_ARGS = flags.DEFINE_multi_string(
    "kallsyms_arg", [], "scripts/kallsyms option, e.g. --base-relative, --lto-clang, --absolute-percpu."
)
_KALLSYMS_EXTRA_PASS = flags.DEFINE_bool(
    "kallsyms_extra_pass", False, "Always run the third kallsyms pass (Kbuild's KALLSYMS_EXTRA_PASS=1)."
)
_SORTTABLE = flags.DEFINE_string("sorttable", None, "The host program scripts/sorttable (CONFIG_BUILDTIME_TABLE_SORT).")
_LDFLAGS = flags.DEFINE_multi_string("ldflag", [], "KBUILD_LDFLAGS, one flag each.")
_LDFLAGS_VMLINUX = flags.DEFINE_multi_string("ldflag_vmlinux", [], "LDFLAGS_vmlinux, one flag each.")
_LDS = flags.DEFINE_string("lds", None, "The preprocessed linker script (vmlinux.lds).", required=True)
_OBJECTS = flags.DEFINE_multi_string(
    "object", [], "Objects linked --whole-archive, in order: vmlinux.o, init/version-timestamp.o."
)
_OUT_VMLINUX = flags.DEFINE_string("out_vmlinux", None, "vmlinux to write.", required=True)
_OUT_SYSTEM_MAP = flags.DEFINE_string("out_system_map", None, "System.map to write.", required=True)
_OUT_IMAGE = flags.DEFINE_string("out_image", None, "arm64 Image to write (objcopy -O binary of vmlinux).")
_WORKDIR = flags.DEFINE_string(
    "workdir", None, "Directory for the .tmp_vmlinux.kallsyms* temporaries (kept); default: OUT.link_vmlinux.d beside the first output (removed)."
)


def _run(cmd, what, stdout_to=None):
    """Runs cmd; returns its stdout (bytes) unless written to the file stdout_to."""
    try:
        with open(stdout_to, "wb") if stdout_to else contextlib.nullcontext() as out:
            proc = subprocess.run(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=out if out else subprocess.PIPE,
                stderr=subprocess.PIPE,
                check=False,
            )
    except OSError as e:
        raise lib.LinkError(f"{what}: cannot run {cmd[0]}: {e.strerror}") from e
    if proc.returncode != 0:
        err = lib.one_line(proc.stderr.decode("utf-8", "replace")) or "no message"
        raise lib.LinkError(f"{what}: {cmd[0]} exited with {proc.returncode}: {err}")
    return proc.stdout


def _read(path):
    with open(path, "rb") as f:
        return f.read()


class _Linker:
    def __init__(self, workdir):
        self.workdir = workdir
        self.leaks = lib.leak_paths([os.path.abspath(workdir), os.getcwd()])

    def link(self, output, kallsyms_object=None, strip_debug=False):
        cmd = lib.link_command(
            _LD.value,
            _LDFLAGS.value,
            _LDFLAGS_VMLINUX.value,
            _LDS.value,
            _OBJECTS.value,
            output,
            kallsyms_object=kallsyms_object,
            strip_debug=strip_debug,
        )
        _run(cmd, f"link {os.path.basename(output)}")

    def mksysmap(self, vmlinux, out):
        nm = _run(lib.nm_command(_NM.value, vmlinux), f"nm {os.path.basename(vmlinux)}")
        data = lib.mksysmap(nm)
        with open(out, "wb") as f:
            f.write(data)
        return data

    def kallsyms_step(self, step, prev_object):
        """kallsyms_step() of link-vmlinux.sh; returns (.syms contents, .o path)."""
        t = lib.kallsyms_names(self.workdir, step)
        self.link(t["vmlinux"], prev_object, strip_debug=True)
        syms = self.mksysmap(t["vmlinux"], t["syms"])
        _run(lib.kallsyms_command(_KALLSYMS.value, _KALLSYMS_ARGS.value, t["syms"]), f"kallsyms {step}", t["S"])
        source = _read(t["S"])
        lib.check_kallsyms_source(os.path.basename(t["S"]), source)
        lib.check_no_paths(os.path.basename(t["S"]), source, self.leaks)
        _run(lib.assemble_command(_CLANG.value, _ASFLAGS.value, t["S"], t["o"]), f"assemble kallsyms {step}")
        lib.check_no_paths(os.path.basename(t["o"]), _read(t["o"]), self.leaks)
        return syms, t["o"]

    def run(self):
        machine = None
        header = _read(_OBJECTS.value[0])[:64]
        if header[:4] == b"\x7fELF":
            machine = lib.elf_header(_OBJECTS.value[0], header)[3]

        syms, kallsyms_object = None, None
        if _KALLSYMS.value:
            _, o1 = self.kallsyms_step(1, None)
            syms, o2 = self.kallsyms_step(2, o1)
            kallsyms_object = o2
            if lib.need_third_pass(os.path.getsize(o1), os.path.getsize(o2), _KALLSYMS_EXTRA_PASS.value):
                syms, kallsyms_object = self.kallsyms_step(3, o2)

        self.link(_OUT_VMLINUX.value, kallsyms_object)
        system_map = self.mksysmap(_OUT_VMLINUX.value, _OUT_SYSTEM_MAP.value)
        if _SORTTABLE.value:
            _run(lib.sorttable_command(_SORTTABLE.value, _OUT_VMLINUX.value), "sorttable vmlinux")
        if syms is not None:
            lib.check_kallsyms_consistent(system_map, syms, os.path.basename(kallsyms_object)[:-2] + ".syms")
            lib.check_kallsyms_linked(_OUT_SYSTEM_MAP.value, system_map)

        vmlinux = _read(_OUT_VMLINUX.value)
        lib.check_vmlinux(_OUT_VMLINUX.value, vmlinux, machine, lib.vmlinux_type(_LDFLAGS.value + _LDFLAGS_VMLINUX.value))
        if _SORTTABLE.value or syms is not None:
            state = lib.vmlinux_state(_OUT_VMLINUX.value, vmlinux)
            if _SORTTABLE.value:
                lib.check_sorttable(_OUT_VMLINUX.value, state)
            if syms is not None:
                lib.check_kallsyms_count(_OUT_VMLINUX.value, state)
        lib.check_no_paths(_OUT_VMLINUX.value, vmlinux, self.leaks)
        lib.check_system_map(_OUT_SYSTEM_MAP.value, system_map)
        if _OUT_IMAGE.value:
            _run(lib.image_command(_OBJCOPY.value, _OUT_VMLINUX.value, _OUT_IMAGE.value), "objcopy Image")
            lib.check_image(_OUT_IMAGE.value, _read(_OUT_IMAGE.value), machine)


def _check_usage():
    if not _OBJECTS.value:
        raise app.UsageError("no --object given (vmlinux.o, init/version-timestamp.o)")
    if _KALLSYMS.value and not _CLANG.value:
        raise app.UsageError("--kallsyms needs --clang (and the kernel's --asflag flags)")
    if _OUT_IMAGE.value and not _OBJCOPY.value:
        raise app.UsageError("--out_image needs --objcopy")
    for path in [_LDS.value, *_OBJECTS.value]:
        if not os.path.isfile(path):
            raise lib.LinkError(f"{path}: no such file")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    outputs = [p for p in (_OUT_VMLINUX.value, _OUT_SYSTEM_MAP.value, _OUT_IMAGE.value) if p]
    try:
        _check_usage()
        if _WORKDIR.value:
            os.makedirs(_WORKDIR.value, exist_ok=True)
            _Linker(_WORKDIR.value).run()
        else:
            # A fixed path relative to the execution root, not a random /tmp name: under
            # debug info the assembler records the kallsyms .S's path (DW_AT_name), which
            # must be the same in every build, machine and output base.
            tmp = outputs[0] + ".link_vmlinux.d"
            shutil.rmtree(tmp, ignore_errors=True)
            os.makedirs(tmp)
            try:
                _Linker(tmp).run()
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
    except (lib.LinkError, OSError) as e:
        # Like link-vmlinux.sh's cleanup(): no half-made outputs are left.
        for p in outputs:
            with contextlib.suppress(OSError):
                os.remove(p)
        if isinstance(e, OSError):
            e = common.os_error_message(e)
        sys.exit(f"link_vmlinux: {e}")


if __name__ == "__main__":
    common.run(main, "link_vmlinux")
