"""MODULE_INFO(srcversion): Linux 6.1's scripts/mod/sumversion.c.

The checksum covers the module's source files (the `source_` line of each
object's `.<obj>.cmd` file, and the `deps_` files that sit in the object's own
directory), with whitespace, comments and backslash-newlines dropped outside
string literals. The hash is sumversion.c's MD4 as it runs on a little-endian
host: its `le32_to_cpu_array()` is really `ntohl()`, so message words are read
big-endian (not RFC 1320's little-endian), while the length words and the
final byte order are as in RFC 1320. The result is the first 23 hex digits.
"""

import errno
import re
import struct

from tools.modpost import elf

_MASK = 0xFFFFFFFF


def _rol(x, s):
    x &= _MASK
    return ((x << s) & _MASK) | (x >> (32 - s))


def _transform(h, w):
    a, b, c, d = h
    F = lambda x, y, z: (x & y) | (~x & z)  # noqa: E731
    G = lambda x, y, z: (x & y) | (x & z) | (y & z)  # noqa: E731
    H = lambda x, y, z: x ^ y ^ z  # noqa: E731
    for k in (0, 4, 8, 12):
        a = _rol(a + F(b, c, d) + w[k], 3)
        d = _rol(d + F(a, b, c) + w[k + 1], 7)
        c = _rol(c + F(d, a, b) + w[k + 2], 11)
        b = _rol(b + F(c, d, a) + w[k + 3], 19)
    for k in (0, 1, 2, 3):
        a = _rol(a + G(b, c, d) + w[k] + 0x5A827999, 3)
        d = _rol(d + G(a, b, c) + w[k + 4] + 0x5A827999, 5)
        c = _rol(c + G(d, a, b) + w[k + 8] + 0x5A827999, 9)
        b = _rol(b + G(c, d, a) + w[k + 12] + 0x5A827999, 13)
    for k in (0, 2, 1, 3):
        a = _rol(a + H(b, c, d) + w[k] + 0x6ED9EBA1, 3)
        d = _rol(d + H(a, b, c) + w[k + 8] + 0x6ED9EBA1, 9)
        c = _rol(c + H(d, a, b) + w[k + 4] + 0x6ED9EBA1, 11)
        b = _rol(b + H(c, d, a) + w[k + 12] + 0x6ED9EBA1, 15)
    return [(h[0] + a) & _MASK, (h[1] + b) & _MASK, (h[2] + c) & _MASK, (h[3] + d) & _MASK]


def md4_ascii(data, sumlen=24):
    """md4_init + md4_update(data) + md4_final_ascii(out, sumlen) of sumversion.c."""
    h = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476]
    n = len(data)
    full = n - n % 64
    for i in range(0, full, 64):
        h = _transform(h, struct.unpack_from(">16I", data, i))
    tail = bytes(data[full:]) + b"\x80"
    if len(tail) > 56:
        tail += b"\0" * (64 - len(tail))
        h = _transform(h, struct.unpack(">16I", tail))
        tail = b""
    tail += b"\0" * (56 - len(tail))
    words = list(struct.unpack(">14I", tail)) + [(n << 3) & _MASK, (n >> 29) & _MASK]
    h = _transform(h, words)
    text = "".join("%08X" % struct.unpack("<I", struct.pack(">I", x))[0] for x in h)
    return text[: sumlen - 1]


def _read(log, path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        log.perror(path, e.errno or errno.EIO)


_FIRST_WORD = re.compile(r"[^ \t\n\v\f\r]*")
_SPECIAL = re.compile(rb'[ \t\n\v\f\r"/\\]')


def parse_file(data, out):
    """Appends to `out` the bytes of one source file that the checksum covers.

    sumversion.c parse_file(): up to the first NUL, drop whitespace and
    backslash-newlines, keep "string literals" whole (a quote ends one unless
    a backslash comes right before it), drop /* comments */ ("/*/" is one).
    """
    nul = data.find(b"\0")
    if nul >= 0:
        data = data[:nul]
    n = len(data)
    i = 0
    while i < n:
        m = _SPECIAL.search(data, i)
        if m is None:
            out += data[i:]
            return
        j = m.start()
        out += data[i:j]
        c = data[j]
        if c == 0x5C:  # backslash: dropped with a newline after it
            if j + 1 < n and data[j + 1] == 0x0A:
                i = j + 2
            else:
                out.append(c)
                i = j + 1
        elif c == 0x22:  # '"': parse_string()
            k = j + 1
            while True:
                k = data.find(b'"', k)
                if k < 0 or data[k - 1] != 0x5C or k - 1 == j:
                    break
                k += 1
            end = n if k < 0 else k + 1
            out += data[j:end]
            i = end
        elif c == 0x2F:  # '/': a comment, parse_comment(), or just a slash
            if j + 1 < n and data[j + 1] == 0x2A:
                k = data.find(b"*/", j + 1)
                i = n if k < 0 else k + 2
            else:
                out.append(c)
                i = j + 1
        else:  # whitespace
            i = j + 1


def _parse_source_files(log, objfile, out):
    slash = objfile.rfind("/")
    d = objfile[: slash + 1]
    cmd = f"{d}.{objfile[slash + 1:]}.cmd"
    text = _read(log, cmd)
    nul = text.find(b"\0")
    if nul >= 0:
        text = text[:nul]
    lines = text.decode(elf.ENCODING).split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    check_files = False
    for line in lines:
        line = line.lstrip(" \t\n\v\f\r")
        if line.startswith("source_"):
            sp = line.rfind(" ")
            if sp < 0:
                log.warn(f"malformed line: {line}\n")
                return False
            parse_file(_read(log, line[sp + 1 :]), out)
            continue
        if line.startswith("deps_"):
            check_files = True
            continue
        if not check_files:
            continue
        if not line.endswith("\\"):
            break
        line = _FIRST_WORD.match(line).group()
        at = line.find(d)
        last = line.rfind("/")
        if at >= 0 and last >= 0 and at + len(d) - 1 == last:
            parse_file(_read(log, line), out)
    return True


def get_src_version(log, modname):
    """The srcversion of module `modname` ("dir/name", no suffix), or "" when a .cmd is malformed."""
    text = _read(log, f"{modname}.mod").decode(elf.ENCODING)
    out = bytearray()
    for fname in text.split("\n"):
        if not fname:
            continue
        if not (len(fname) >= 2 and fname.endswith(".a")) and not _parse_source_files(log, fname, out):
            return ""
    return md4_ascii(bytes(out))
