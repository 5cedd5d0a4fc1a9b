"""Deterministic initramfs archives: the pure parts of tools/initramfs.

1. `parse_list` reads a file list in the format of the kernel's usr/gen_init_cpio
   (`dir NAME MODE UID GID`, `file NAME LOCATION MODE UID GID [LINK...]`,
   `slink NAME TARGET MODE UID GID`, `nod NAME MODE UID GID b|c MAJ MIN`,
   `pipe`/`sock NAME MODE UID GID`; `#` comments) and `write_cpio` writes the newc
   archive byte for byte as `gen_init_cpio -t 0` does: inode numbers from 721 in list
   order, dev 3:1, nlink 2 for directories, names without their leading '/', 4-byte
   padding, TRAILER!!! padded to 512 bytes. Unlike gen_init_cpio, a file's mtime is 0
   too (gen_init_cpio copies the file's own mtime), and `${VAR}` in a location is an
   error rather than an environment lookup: nothing of the host reaches the archive.

2. `read_modinfo` / `order_modules` / `initramfs_list` build the list of a boot-test
   initramfs: busybox-static, its applet links, /lib/modules/*.ko in dependency order
   (the `depends=` of each module's .modinfo, as modprobe follows them), and the init
   script that insmods them and prints one marker line per module.
"""

import dataclasses
import heapq
import re
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

FIRST_INO = 721  # gen_init_cpio's first inode number.

S_IFDIR, S_IFREG, S_IFLNK = 0o040000, 0o100000, 0o120000
S_IFCHR, S_IFBLK, S_IFIFO, S_IFSOCK = 0o020000, 0o060000, 0o010000, 0o140000

MARKER = "kernel_lto:"
DONE_MARKER = f"{MARKER} init done"

_FIELDS = {
    "dir": ("name", "mode", "uid", "gid"),
    "pipe": ("name", "mode", "uid", "gid"),
    "sock": ("name", "mode", "uid", "gid"),
    "slink": ("name", "target", "mode", "uid", "gid"),
    "nod": ("name", "mode", "uid", "gid", "dev_type", "major", "minor"),
    "file": ("name", "location", "mode", "uid", "gid"),
}
_GENERIC_MODE = {"dir": S_IFDIR, "pipe": S_IFIFO, "sock": S_IFSOCK}
_OCTAL_RE = re.compile(r"^[0-7]+$")
_INT_RE = re.compile(r"^-?[0-9]+$")
_UINT_RE = re.compile(r"^[0-9]+$")


class InitramfsError(Exception):
    """Bad input. The message is one line: `file:line: what is wrong`."""


@dataclasses.dataclass(frozen=True)
class Entry:
    """One line of a file list."""

    kind: str  # dir, file, slink, nod, pipe, sock
    name: str
    mode: int  # permission bits as written (the type bits are added when packing)
    uid: int
    gid: int
    location: str = ""  # file: the file to copy
    links: Tuple[str, ...] = ()  # file: more names (hard links) of the same inode
    target: str = ""  # slink
    dev_type: str = ""  # nod: b or c
    major: int = 0
    minor: int = 0
    where: str = ""  # `file:line` of the list, for messages


def parse_list(text: str, path: str) -> List[Entry]:
    """The entries of a gen_init_cpio file list, in order.

    Raises InitramfsError naming `path` and the line for anything gen_init_cpio would
    reject or misread (and for an unknown type, which it only warns about).
    """
    entries = []
    for lineno, raw in enumerate(text.split("\n"), 1):
        if raw.startswith("#"):
            continue
        words = raw.split()
        if not words:
            continue
        where = f"{path}:{lineno}"
        kind = words[0]
        fields = _FIELDS.get(kind)
        if fields is None:
            raise InitramfsError(
                f"{where}: unknown type {kind!r} (want one of {', '.join(sorted(_FIELDS))})")
        args = words[1:]
        extra: Sequence[str] = ()
        if kind == "file" and len(args) > len(fields):
            args, extra = args[: len(fields)], args[len(fields):]
        if len(args) != len(fields):
            raise InitramfsError(f"{where}: {kind} wants {len(fields)} fields "
                                 f"({' '.join(f.upper() for f in fields)}), got {len(args)}")
        v = dict(zip(fields, args))
        if not _OCTAL_RE.match(v["mode"]) or int(v["mode"], 8) > 0o7777:
            raise InitramfsError(f"{where}: mode {v['mode']!r} is not octal permission bits (e.g. 0755)")
        for key in ("uid", "gid"):
            if not _INT_RE.match(v[key]) or not -(2**31) <= int(v[key]) < 2**31:
                raise InitramfsError(f"{where}: {key} {v[key]!r} is not a number")
        kw = {}
        if kind == "nod":
            if v["dev_type"] not in ("b", "c"):
                raise InitramfsError(f"{where}: device type {v['dev_type']!r} is not b or c")
            for key in ("major", "minor"):
                if not _UINT_RE.match(v[key]) or int(v[key]) >= 2**32:
                    raise InitramfsError(f"{where}: {key} {v[key]!r} is not a device number")
            kw = dict(dev_type=v["dev_type"], major=int(v["major"]), minor=int(v["minor"]))
        elif kind == "slink":
            kw = dict(target=v["target"])
        elif kind == "file":
            if "${" in v["location"]:
                raise InitramfsError(f"{where}: {v['location']!r}: ${{VAR}} expansion is not supported "
                                     "(the archive must not depend on the environment)")
            kw = dict(location=v["location"], links=tuple(extra))
        entries.append(Entry(kind=kind, name=v["name"], mode=int(v["mode"], 8),
                             uid=int(v["uid"]), gid=int(v["gid"]), where=where, **kw))
    return entries


def _header(ino, mode, uid, gid, nlink, filesize, rmajor, rminor, namesize, checksum, csum=0):
    fields = (ino, mode, uid & 0xFFFFFFFF, gid & 0xFFFFFFFF, nlink, 0, filesize, 3, 1,
              rmajor, rminor, namesize, csum)
    return ("070702" if checksum else "070701").encode() + b"".join(b"%08X" % f for f in fields)


def _pad(n: int) -> bytes:
    return b"\0" * (-n % 4)


def _strip(name: str) -> bytes:
    return (name[1:] if name.startswith("/") else name).encode()


def write_cpio(entries: Iterable[Entry], read: Callable[[str], bytes], checksum: bool = False) -> bytes:
    """The newc archive of `entries`, as `gen_init_cpio -t 0 [-c]` writes it (mtime 0).

    `read(location)` returns a file's contents or raises InitramfsError (reported with
    the list line).
    """
    out = bytearray()
    ino = FIRST_INO

    def member(name: bytes, header: bytes, data: bytes = b""):
        out.extend(header)
        out.extend(name + b"\0")
        out.extend(_pad(len(out)))
        if data:
            out.extend(data)
            out.extend(_pad(len(out)))

    for e in entries:
        name = _strip(e.name)
        if e.kind in _GENERIC_MODE:
            # gen_init_cpio writes nlink 2 for dir, pipe and sock alike.
            member(name, _header(ino, e.mode | _GENERIC_MODE[e.kind], e.uid, e.gid, 2, 0, 0, 0,
                                 len(name) + 1, checksum))
        elif e.kind == "nod":
            kind = S_IFBLK if e.dev_type == "b" else S_IFCHR
            member(name, _header(ino, e.mode | kind, e.uid, e.gid, 1, 0, e.major, e.minor,
                                 len(name) + 1, checksum))
        elif e.kind == "slink":
            target = e.target.encode()
            member(name, _header(ino, e.mode | S_IFLNK, e.uid, e.gid, 1, len(target) + 1, 0, 0,
                                 len(name) + 1, checksum), target + b"\0")
        elif e.kind == "file":
            try:
                data = read(e.location)
            except InitramfsError as err:
                raise InitramfsError(f"{e.where}: {err}" if e.where else str(err))
            if len(data) > 0xFFFFFFFF:
                raise InitramfsError(f"{e.location}: larger than a cpio member can be (4 GiB)")
            names = [name] + [_strip(n) for n in e.links]
            csum = sum(data) & 0xFFFFFFFF if checksum else 0
            for i, n in enumerate(names):
                last = i == len(names) - 1  # the data goes with the last name
                size = len(data) if last else 0
                member(n, _header(ino, e.mode | S_IFREG, e.uid, e.gid, len(names), size, 0, 0,
                                  len(n) + 1, checksum, csum if size else 0), data if last else b"")
        ino += 1
    trailer = b"TRAILER!!!"
    fields = (0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, len(trailer) + 1, 0)  # ino..chksum; dev 0:0
    member(trailer, ("070702" if checksum else "070701").encode() + b"".join(b"%08X" % f for f in fields))
    out.extend(b"\0" * (-len(out) % 512))
    return bytes(out)


# --- Modules -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Module:
    """A loadable module as its .modinfo describes it."""

    name: str  # `name=` (Kbuild's KBUILD_MODNAME: '-' in the file name becomes '_')
    path: str  # the .ko
    depends: Tuple[str, ...]  # `depends=`, the modules whose symbols it uses


def parse_modinfo(data: bytes) -> Dict[str, List[str]]:
    """The key=value strings of a .modinfo section (NUL-separated), key -> values."""
    info: Dict[str, List[str]] = {}
    for item in data.split(b"\0"):
        if b"=" in item:
            key, _, value = item.decode("utf-8", errors="replace").partition("=")
            info.setdefault(key, []).append(value)
    return info


def read_modinfo(path: str) -> Module:
    """Reads `name=` and `depends=` from the .modinfo section of the module at `path`."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    try:
        with open(path, "rb") as f:
            elf = ELFFile(f)
            section = elf.get_section_by_name(".modinfo")
            if section is None:
                raise InitramfsError(f"{path}: no .modinfo section; is it a kernel module (.ko)?")
            info = parse_modinfo(section.data())
    except ELFError as e:
        raise InitramfsError(f"{path}: not an ELF file ({e})")
    except OSError as e:
        raise InitramfsError(f"{path}: cannot read: {e.strerror}")
    names = info.get("name", [])
    if len(names) != 1 or not names[0]:
        raise InitramfsError(f"{path}: .modinfo has {len(names)} name= entries, want one "
                             "(was the module linked by modpost?)")
    depends = tuple(sorted({d for v in info.get("depends", []) for d in v.split(",") if d}))
    return Module(name=names[0], path=path, depends=depends)


def order_modules(modules: Sequence[Module]) -> List[Module]:
    """`modules` in a load order: each after the modules it depends on.

    Topological (Kahn), ties broken by name, so the order depends only on the modules.
    A dependency outside `modules`, a module given twice and a cycle are errors.
    """
    by_name: Dict[str, Module] = {}
    for m in modules:
        if m.name in by_name:
            raise InitramfsError(f"{m.path}: module {m.name} is also {by_name[m.name].path}; "
                                 "give each module once")
        by_name[m.name] = m
    for m in sorted(modules, key=lambda m: m.name):
        for d in m.depends:
            if d not in by_name:
                raise InitramfsError(f"{m.path}: module {m.name} depends on module {d}, which is "
                                     f"not in the initramfs; add {d}.ko to its modules")
    waiting = {m.name: set(m.depends) for m in modules}
    users: Dict[str, List[str]] = {n: [] for n in by_name}
    for m in modules:
        for d in m.depends:
            users[d].append(m.name)
    ready = [n for n, deps in waiting.items() if not deps]
    heapq.heapify(ready)
    order = []
    while ready:
        n = heapq.heappop(ready)
        order.append(by_name[n])
        for u in users[n]:
            waiting[u].discard(n)
            if not waiting[u]:
                heapq.heappush(ready, u)
    if len(order) != len(modules):
        cycle = sorted(n for n in by_name if n not in {m.name for m in order})
        raise InitramfsError(f"{by_name[cycle[0]].path}: modules {', '.join(cycle)} depend on each "
                             "other in a cycle; no load order exists")
    return order


def expected_modules(modules: Sequence[Module], names: Sequence[str]) -> List[str]:
    """The modules a boot must load: `names` (each one of `modules`), or all of them."""
    packed = {m.name for m in modules}
    for n in names:
        if n not in packed:
            raise InitramfsError(f"expect_loaded: module {n} is not packed (packed: "
                                 f"{', '.join(sorted(packed)) or 'none'}); add its .ko to modules")
    return sorted(set(names)) if names else [m.name for m in modules]


# Busybox applets linked into /bin: what /init runs, and a few for a person at a shell.
APPLETS = ("cat", "dmesg", "echo", "insmod", "ls", "lsmod", "mkdir", "mount", "poweroff",
           "rmmod", "sh", "sleep", "uname")


def check_commands(commands: Sequence[str]) -> None:
    """Each extra init command must be one non-empty line of text."""
    for i, c in enumerate(commands, 1):
        if not c.strip() or any(ch in c for ch in "\n\r\0"):
            raise InitramfsError(f"command {i}: {c!r}: want one non-empty shell line (no newline, CR or NUL)")


# More applets for a person at the shell of a `bazel run //:boot` initramfs (--shell).
SHELL_APPLETS = ("cp", "grep", "head", "mknod", "mv", "reboot", "rm", "sed", "tail", "touch", "vi", "wc")

# The serial console of each guest (QEMU virt's PL011, the PC's COM1): name, char major, minor.
CONSOLE_TTY = {"arm64": ("ttyAMA0", 204, 64), "x86_64": ("ttyS0", 4, 64)}

# The prompt of the --shell initramfs (its /etc/profile).
SHELL_PROMPT = "kernel_lto # "
# QEMU runs with -no-reboot, so `reboot -f` ends it on every guest; `poweroff -f` needs a
# kernel that can power the machine off (arm64: PSCI; x86_64: ACPI, not in tinyconfig).
SHELL_HINT = f"{MARKER} shell on the serial console; leave with reboot -f (or poweroff -f, Ctrl-A x)"


def init_script(modules: Sequence[Module], commands: Sequence[str] = (), shell: bool = False,
                refused: Sequence[Module] = (), optional: Sequence[str] = ()) -> str:
    """The script /init runs: mounts, one insmod + marker per module, then one insmod of each
    of `refused` (modules the kernel must refuse, e.g. a CRC that disagrees: marker
    `insmod <name> refused <status>`, or a FAILED one if it loads), then each of `commands`
    (one shell line each, e.g. an LKDTM trigger), the final marker, poweroff. With `shell`,
    no poweroff: init then starts a shell on the console (shell_inittab). A module named in
    `optional` (packed, but not one a boot must load: a driver whose device the machine
    lacks) that fails prints `insmod <name> not loaded <status>`, not a FAILED marker."""
    check_commands(commands)
    lines = [
        "#!/bin/sh",
        "# Generated by rules_kernel_lto's kernel_initramfs (tools/initramfs). Do not edit.",
        "# Loads the modules in dependency order; one marker line per module, then a final one.",
        "export PATH=/bin",
        "mount -t proc proc /proc 2>/dev/null",
        "mount -t sysfs sysfs /sys 2>/dev/null",
        "mount -t devtmpfs devtmpfs /dev 2>/dev/null",
    ]
    for m in modules:
        ko = "/lib/modules/" + m.name + ".ko"
        failed = "not loaded" if m.name in optional else "FAILED"
        lines += [
            f"if insmod {ko}; then",
            f"  echo '{MARKER} insmod {m.name} ok'",
            "else",
            f"  echo \"{MARKER} insmod {m.name} {failed} $?\"",
            "fi",
        ]
    for m in refused:
        ko = "/lib/modules/refused/" + m.name + ".ko"
        lines += [
            f"if insmod {ko}; then",
            f"  echo '{MARKER} insmod {m.name} FAILED: loaded {ko}, which the kernel must refuse'",
            "else",
            f"  echo \"{MARKER} insmod {m.name} refused $?\"",
            "fi",
        ]
    lines += list(commands)
    lines += [f"echo '{DONE_MARKER}'"]
    lines += [f"echo '{SHELL_HINT}'", ""] if shell else ["poweroff -f", ""]
    return "\n".join(lines)


# busybox's init runs /etc/inittab's sysinit line. The kernels' tinyconfig has no
# CONFIG_BINFMT_SCRIPT, so the first program must be an ELF: /init is busybox (its init
# applet), which runs the script through /bin/sh.
INITTAB = "::sysinit:/bin/sh /etc/init.sh\n"


def shell_inittab(arch: str) -> str:
    """INITTAB plus a login shell on the console's own tty device (not /dev/console), so the
    shell has a controlling terminal: job control and Ctrl-C work. Respawned when it exits."""
    return INITTAB + f"{CONSOLE_TTY[arch][0]}::respawn:-/bin/sh\n"


SHELL_PROFILE = f"export PATH=/bin\nexport PS1='{SHELL_PROMPT}'\n"


def initramfs_list(busybox: str, init_sh: str, inittab: str, modules: Sequence[Module],
                   shell_arch: Optional[str] = None, profile: Optional[str] = None,
                   refused: Sequence[Module] = ()) -> str:
    """The gen_init_cpio list of a boot-test initramfs (locations are the given paths).
    With `shell_arch` (and `profile`, the /etc/profile location): the --shell extras, the
    console's tty node, more applets, /etc/profile. `refused` modules go to
    /lib/modules/refused/."""
    lines = [
        "# Generated by rules_kernel_lto's kernel_initramfs (tools/initramfs). Do not edit.",
        "dir /dev 0755 0 0",
        "nod /dev/console 0600 0 0 c 5 1",
        "nod /dev/null 0666 0 0 c 1 3",
    ]
    if shell_arch:
        tty, major, minor = CONSOLE_TTY[shell_arch]
        lines.append(f"nod /dev/{tty} 0600 0 0 c {major} {minor}")
    lines += [
        "dir /bin 0755 0 0",
        f"file /bin/busybox {busybox} 0755 0 0",
    ]
    applets = sorted(APPLETS + SHELL_APPLETS) if shell_arch else APPLETS
    lines += [f"slink /bin/{a} busybox 0777 0 0" for a in applets]
    lines += [
        "slink /init bin/busybox 0777 0 0",
        "dir /etc 0755 0 0",
        f"file /etc/inittab {inittab} 0644 0 0",
        f"file /etc/init.sh {init_sh} 0755 0 0",
    ] + ([f"file /etc/profile {profile} 0644 0 0"] if shell_arch else []) + [
        "dir /proc 0755 0 0",
        "dir /sys 0755 0 0",
        "dir /lib 0755 0 0",
        "dir /lib/modules 0755 0 0",
    ]
    lines += [f"file /lib/modules/{m.name}.ko {m.path} 0644 0 0" for m in modules]
    if refused:
        lines.append("dir /lib/modules/refused 0755 0 0")
        lines += [f"file /lib/modules/refused/{m.name}.ko {m.path} 0644 0 0" for m in refused]
    return "\n".join(lines) + "\n"


_ELF_MACHINES = {"arm64": "EM_AARCH64", "x86_64": "EM_X86_64"}


def check_static_elf(path: str, arch: str) -> None:
    """Raises unless `path` is a statically linked ELF executable for `arch`."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    try:
        with open(path, "rb") as f:
            elf = ELFFile(f)
            machine = elf["e_machine"]
            interp = any(s["p_type"] == "PT_INTERP" for s in elf.iter_segments())
    except ELFError as e:
        raise InitramfsError(f"{path}: not an ELF executable ({e})")
    except OSError as e:
        raise InitramfsError(f"{path}: cannot read: {e.strerror}")
    if machine != _ELF_MACHINES[arch]:
        raise InitramfsError(f"{path}: is {machine}, not {_ELF_MACHINES[arch]}; use the busybox of {arch}")
    if interp:
        raise InitramfsError(f"{path}: is dynamically linked; the initramfs has no libc (use busybox-static)")
