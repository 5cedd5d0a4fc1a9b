"""Pure functions of the relock tool: package lists in, lock files out.

A lock pins each Debian package by name, version, size and sha256, and by its path in
the archive ("pool/main/..."), not by a host name: the mirror is chosen at fetch time
(see toolchains/private/debian.bzl), and the sha256 makes the choice irrelevant to the
bits.
"""

import json
import re
import urllib.parse

LOCK_FORMAT = 1

# Package names as Debian policy allows them (section 5.6.1), optionally qualified with a
# Debian architecture (`busybox-static:arm64`) for a package of another architecture.
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9+.-]+(?::[a-z0-9]+)?$")
# One line of `apt-get download --print-uris`: 'URL' FILENAME SIZE SHA256:HEX
_URI_LINE_RE = re.compile(r"^'(?P<url>[^']+)' (?P<file>\S+) (?P<size>\d+) SHA256:(?P<sha>[0-9a-f]{64})$")


class RelockError(Exception):
    """Bad input: the message is one line naming the file and what is wrong."""


def decode_text(path, data):
    """DATA (a list file's bytes) as text; RelockError naming the line of a non-UTF-8 byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise RelockError(f"{path}:{line}: not UTF-8 text (byte {data[e.start]:#04x}); "
                          "write package names and pins in plain ASCII") from None


def parse_package_list(path, text):
    """Returns the package names of a `.packages` file, in file order, without duplicates.

    Lines are package names, or `name:arch` for a package of a given Debian architecture
    (`busybox-static:arm64`); `#` starts a comment; blank lines are ignored.
    """
    names = []
    seen = set()
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if not _NAME_RE.match(line):
            raise RelockError(f"{path}:{lineno}: {line!r} is not a Debian package name")
        if line in seen:
            raise RelockError(f"{path}:{lineno}: {line} is listed twice")
        seen.add(line)
        names.append(line)
    if not names:
        raise RelockError(f"{path}: lists no packages")
    return names


def split_arch(spec):
    """'busybox-static:arm64' -> ('busybox-static', 'arm64'); 'libc6' -> ('libc6', None)."""
    name, _, arch = spec.partition(":")
    return name, arch or None


def foreign_archs(names, native):
    """The architectures `names` qualify (`name:arch`) other than `native`, sorted."""
    return sorted({a for a in (split_arch(n)[1] for n in names) if a and a != native})


def split_archive_url(url):
    """Splits a package URL into (archive, pool path).

    'http://mirror/debian-security/pool/updates/main/l/linux/x.deb' ->
    ('debian-security', 'pool/updates/main/l/linux/x.deb').
    """
    parsed = urllib.parse.urlsplit(url)
    head, sep, tail = parsed.path.partition("/pool/")
    if not sep or not head.strip("/"):
        raise RelockError(f"package URL {url!r} has no '<archive>/pool/' part")
    return head.rstrip("/").rsplit("/", 1)[-1], "pool/" + tail


def parse_print_uris(text):
    """Parses `apt-get download --print-uris` output into lock entries.

    Entries are keyed by `name:arch` (`libc6:amd64`): a list may name one package for
    several architectures. `make_lock` resolves a bare name to its one entry.
    """
    entries = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        m = _URI_LINE_RE.match(line.strip())
        if not m:
            raise RelockError(f"apt-get output line {lineno}: cannot parse {line.strip()!r}")
        filename = m.group("file")
        parts = filename[: -len(".deb")].split("_") if filename.endswith(".deb") else []
        if len(parts) != 3:
            raise RelockError(f"apt-get output line {lineno}: {filename!r} is not NAME_VERSION_ARCH.deb")
        name, version, arch = parts[0], urllib.parse.unquote(parts[1]), parts[2]
        archive, pool_path = split_archive_url(m.group("url"))
        entries[f"{name}:{arch}"] = {
            "name": name,
            "version": version,
            "arch": arch,
            "archive": archive,
            "path": pool_path,
            "size": int(m.group("size")),
            "sha256": m.group("sha"),
        }
    return entries


def make_lock(packages_path, names, entries):
    """Returns the lock file text for `names`, given parsed print-uris `entries`.

    A qualified name (`busybox-static:arm64`) is looked up as it is; a bare one is the
    entry of that name (apt printed it for one architecture: the host's, or `all`).
    """
    found, missing = {}, []
    for spec in names:
        if ":" in spec:
            hits = [entries[spec]] if spec in entries else []
        else:
            hits = [e for _, e in sorted(entries.items()) if e["name"] == spec]
        if hits:
            found[spec] = hits[0]
        else:
            missing.append(spec)
    if missing:
        raise RelockError(f"{packages_path}: apt did not resolve {', '.join(missing)}")
    lock = {
        "format": LOCK_FORMAT,
        "generated_by": "tools/relock/relock.py from " + packages_path,
        "packages": [found[n] for n in sorted(names)],
    }
    return json.dumps(lock, indent=2, sort_keys=True) + "\n"


def lock_path_for(packages_path):
    """toolchains/locks/llvm.packages -> toolchains/locks/llvm.lock.json"""
    if not packages_path.endswith(".packages"):
        raise RelockError(f"{packages_path}: a package list must end in .packages")
    return packages_path[: -len(".packages")] + ".lock.json"


_PIN_RE = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>[A-Za-z0-9.+!_-]+)$")


def parse_wheel_pins(path, text):
    """Returns [(name, version)] from a `wheels.in` file of `name==version` lines."""
    pins = []
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        m = _PIN_RE.match(line)
        if not m:
            raise RelockError(f"{path}:{lineno}: {line!r} is not NAME==VERSION")
        pins.append((m.group("name"), m.group("version")))
    if not pins:
        raise RelockError(f"{path}: pins no wheels")
    return pins


def _norm(name):
    return re.sub(r"[-_.]+", "_", name).lower()


def make_wheel_lock(path, pins, wheel_hashes):
    """Renders a pip `--require-hashes` requirements file.

    Args:
      path: the `.in` file, for messages.
      pins: [(name, version)].
      wheel_hashes: {wheel file name: sha256}, the wheels pip downloaded for the pins.
    """
    lines = [f"# Generated by tools/relock/relock.py from {path}; do not edit.\n"]
    for name, version in sorted(pins, key=lambda p: _norm(p[0])):
        found = [h for f, h in wheel_hashes.items()
                 if f.endswith("-none-any.whl") and [_norm(f.split("-")[0])] + f.split("-")[1:2] == [_norm(name), version]]
        if len(found) != 1:
            raise RelockError(f"{path}: expected one pure-Python wheel for {name}=={version}, found {len(found)}")
        lines.append(f"{name}=={version} --hash=sha256:{found[0]}\n")
    return "".join(lines)
