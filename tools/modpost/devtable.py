"""MODULE_ALIAS lines from device tables: Linux 6.1's scripts/mod/file2alias.c.

A module's `MODULE_DEVICE_TABLE(type, name)` leaves an STT_OBJECT symbol
`__mod_<type>__<name>_device_table` over the table; each entry becomes one or
more `MODULE_ALIAS("...")` lines of the module's .mod.c.

Struct layouts are those of an LP64 little-endian kernel (arm64, x86_64,
riscv64), as scripts/mod/devicetable-offsets.h gives them there; the tests
check them against a generated header when one is at hand. All 52 table types
of 6.1 are covered (the `devtable[]` array plus usb, of, pnp and pnp_card).
"""

import struct

from tools.modpost import diag, elf

# SIZE_<struct> of an LP64 kernel.
SIZES = {
    "usb": 32, "hid": 24, "ieee1394": 32, "pci": 40, "ccw": 16, "ap": 16, "css": 16, "serio": 4,
    "acpi": 32, "pnp": 16, "pnp_card": 80, "pcmcia": 80, "of": 200, "vio": 64, "input": 200,
    "eisa": 16, "parisc": 8, "sdio": 16, "ssb": 6, "bcma": 6, "virtio": 8, "vmbus": 24,
    "rpmsg": 40, "i2c": 32, "i3c": 16, "spi": 40, "dmi": 344, "platform": 32, "mdio": 8,
    "zorro": 16, "isapnp": 16, "ipack": 12, "amba": 16, "mipscdmm": 1, "x86cpu": 24, "cpu": 2,
    "mei": 64, "rapidio": 8, "ulpi": 16, "hdaudio": 32, "sdw": 16, "fslmc": 18, "tbsvc": 40,
    "typec": 16, "tee": 16, "wmi": 48, "mhi": 40, "mhi_ep": 40, "auxiliary": 40, "ssam": 16,
    "dfl": 16, "ishtp": 24,
}

_U = {1: "<B", 2: "<H", 4: "<I", 8: "<Q"}


class _Entry:
    """Field access on one table entry (DEF_FIELD / DEF_FIELD_ADDR)."""

    def __init__(self, table, off):
        self.t = table
        self.off = off

    def u(self, offset, size):
        return struct.unpack_from(_U[size], self.t, self.off + offset)[0]

    def s(self, offset):
        """The C string at a char[] field (it may run on past the field, as in C)."""
        start = self.off + offset
        end = self.t.find(b"\0", start)
        if end < 0:
            end = len(self.t)
        return self.t[start:end].decode(elf.ENCODING)

    def b(self, offset, n):
        return self.t[self.off + offset : self.off + offset + n]


_ADD_FMT = {1: "%02X", 2: "%04X", 4: "%08X"}


def _add(alias, sep, cond, value, size):
    """The ADD() macro: sep, then the value in 2/4/8 hex digits (by field size) or '*'."""
    alias.append(sep)
    if cond:
        fmt = _ADD_FMT.get(size)  # sizeof(field) == 8 prints nothing
        alias.append(fmt % value if fmt else "")
    else:
        alias.append("*")


def _wild(s):
    return s if s.endswith("*") else s + "*"


_CSPACE = " \t\n\v\f\r"


def _underscore_spaces(s):
    return "".join("_" if c in _CSPACE else c for c in s)


def _uuid_le(b):
    return "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x" % (
        b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], *b[8:16])


def _guid(b):
    return "%02X%02X%02X%02X-%02X%02X-%02X%02X-%02X%02X-%02X%02X%02X%02X%02X%02X" % (
        b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], *b[8:16])


class _Ctx:
    def __init__(self, log, mod):
        self.log = log
        self.mod = mod

    def out(self, alias):
        diag.buf_printf(self.log, self.mod.dev_table_buf, f'MODULE_ALIAS("{alias}");\n')


# --- generic do_table() entries: (ctx, entry) -> alias string or None ----------


def _hid(c, e):
    a = ["hid:"]
    bus, group, vendor, product = e.u(0, 2), e.u(2, 2), e.u(4, 4), e.u(8, 4)
    _add(a, "b", bus != 0xFFFF, bus, 2)
    _add(a, "g", group != 0, group, 2)
    _add(a, "v", vendor != 0xFFFFFFFF, vendor, 4)
    _add(a, "p", product != 0xFFFFFFFF, product, 4)
    return "".join(a)


def _ieee1394(c, e):
    f = e.u(0, 4)
    a = ["ieee1394:"]
    _add(a, "ven", f & 1, e.u(4, 4), 4)
    _add(a, "mo", f & 2, e.u(8, 4), 4)
    _add(a, "sp", f & 4, e.u(12, 4), 4)
    _add(a, "ver", f & 8, e.u(16, 4), 4)
    return _wild("".join(a))


def _pci(c, e):
    vendor, device, subvendor, subdevice = e.u(0, 4), e.u(4, 4), e.u(8, 4), e.u(12, 4)
    cls, cls_mask, override_only = e.u(16, 4), e.u(20, 4), e.u(32, 4)
    if override_only == 0:
        a = ["pci:"]
    elif override_only == 1:
        a = ["vfio_pci:"]
    else:
        c.log.warn("Unknown PCI driver_override alias %08X\n" % override_only)
        return None
    any_id = 0xFFFFFFFF
    _add(a, "v", vendor != any_id, vendor, 4)
    _add(a, "d", device != any_id, device, 4)
    _add(a, "sv", subvendor != any_id, subvendor, 4)
    _add(a, "sd", subdevice != any_id, subdevice, 4)
    bc, bcm = (cls >> 16) & 0xFF, (cls_mask >> 16) & 0xFF
    sc, scm = (cls >> 8) & 0xFF, (cls_mask >> 8) & 0xFF
    i, im = cls & 0xFF, cls_mask & 0xFF
    if bcm not in (0, 0xFF) or scm not in (0, 0xFF) or im not in (0, 0xFF):
        c.log.warn("Can't handle masks in %s:%04X\n" % (c.mod.name, cls_mask))
        return None
    _add(a, "bc", bcm == 0xFF, bc, 1)
    _add(a, "sc", scm == 0xFF, sc, 1)
    _add(a, "i", im == 0xFF, i, 1)
    return _wild("".join(a))


def _ccw(c, e):
    f = e.u(0, 2)
    a = ["ccw:"]
    _add(a, "t", f & 1, e.u(2, 2), 2)
    _add(a, "m", f & 2, e.u(6, 1), 1)
    _add(a, "dt", f & 4, e.u(4, 2), 2)
    _add(a, "dm", f & 8, e.u(7, 1), 1)
    return _wild("".join(a))


def _ap(c, e):
    return "ap:t%02X*" % e.u(2, 1)


def _css(c, e):
    return "css:t%01X" % e.u(1, 1)


def _serio(c, e):
    a = ["serio:"]
    t, extra, i, proto = e.u(0, 1), e.u(1, 1), e.u(2, 1), e.u(3, 1)
    _add(a, "ty", t != 0xFF, t, 1)
    _add(a, "pr", proto != 0xFF, proto, 1)
    _add(a, "id", i != 0xFF, i, 1)
    _add(a, "ex", extra != 0xFF, extra, 1)
    return _wild("".join(a))


def _acpi(c, e):
    ident = e.s(0)
    if ident:
        return "acpi*:%s:*" % ident
    cls, msk = e.u(24, 4), e.u(28, 4)
    a = "acpi*:"
    for i in (1, 2, 3):
        shift = 8 * (3 - i)
        a += "%02x" % ((cls >> shift) & 0xFF) if (msk >> shift) & 0xFF else "??"
    return a + ":*"


def _pcmcia(c, e):
    f = e.u(0, 2)
    a = ["pcmcia:"]
    _add(a, "m", f & 0x1, e.u(2, 2), 2)
    _add(a, "c", f & 0x2, e.u(4, 2), 2)
    _add(a, "f", f & 0x4, e.u(6, 1), 1)
    _add(a, "fn", f & 0x8, e.u(7, 1), 1)
    _add(a, "pfn", f & 0x100, e.u(8, 1), 1)
    for k, sep in enumerate(("pa", "pb", "pc", "pd")):
        _add(a, sep, f & (0x10 << k), e.u(12 + 4 * k, 4), 4)
    return _wild("".join(a))


def _vio(c, e):
    t, compat = e.s(0), e.s(32)
    return _wild(_underscore_spaces("vio:T%sS%s" % (t or "*", compat or "*")))


_INPUT_BITS = (  # (flag, letter, offset, min, max)
    (0x0010, "e", 16, 0, 0x1F),
    (0x0020, "k", 24, 0x71, 0x2FF),
    (0x0040, "r", 120, 0, 0x0F),
    (0x0080, "a", 128, 0, 0x3F),
    (0x0100, "m", 136, 0, 0x07),
    (0x0200, "l", 144, 0, 0x0F),
    (0x0400, "s", 152, 0, 0x07),
    (0x0800, "f", 160, 0, 0x7F),
    (0x1000, "w", 176, 0, 0x10),
)


def _input(c, e):
    flags = e.u(0, 8)
    a = ["input:"]
    _add(a, "b", flags & 1, e.u(8, 2), 2)
    _add(a, "v", flags & 2, e.u(10, 2), 2)
    _add(a, "p", flags & 4, e.u(12, 2), 2)
    _add(a, "e", flags & 8, e.u(14, 2), 2)
    a.append("-")
    for flag, letter, off, lo, hi in _INPUT_BITS:
        a.append(letter + "*" if letter != "e" else "e*")
        if flags & flag:
            for i in range(lo, hi + 1):
                if e.u(off + (i // 64) * 8, 8) & (1 << (i % 64)):
                    a.append("%X,*" % i)
    return "".join(a)


def _eisa(c, e):
    return "eisa:s%s*" % e.s(0)


def _parisc(c, e):
    a = ["parisc:"]
    hw, rev, hv, sv = e.u(0, 1), e.u(1, 1), e.u(2, 2), e.u(4, 4)
    _add(a, "t", hw != 0xFF, hw, 1)
    _add(a, "hv", hv != 0xFFFF, hv, 2)
    _add(a, "rev", rev != 0xFF, rev, 1)
    _add(a, "sv", sv != 0xFFFFFFFF, sv, 4)
    return _wild("".join(a))


def _sdio(c, e):
    a = ["sdio:"]
    cls, vendor, device = e.u(0, 1), e.u(2, 2), e.u(4, 2)
    _add(a, "c", cls != 0xFF, cls, 1)
    _add(a, "v", vendor != 0xFFFF, vendor, 2)
    _add(a, "d", device != 0xFFFF, device, 2)
    return _wild("".join(a))


def _ssb(c, e):
    a = ["ssb:"]
    v, i, r = e.u(0, 2), e.u(2, 2), e.u(4, 1)
    _add(a, "v", v != 0xFFFF, v, 2)
    _add(a, "id", i != 0xFFFF, i, 2)
    _add(a, "rev", r != 0xFF, r, 1)
    return _wild("".join(a))


def _bcma(c, e):
    a = ["bcma:"]
    m, i, r, cl = e.u(0, 2), e.u(2, 2), e.u(4, 1), e.u(5, 1)
    _add(a, "m", m != 0xFFFF, m, 2)
    _add(a, "id", i != 0xFFFF, i, 2)
    _add(a, "rev", r != 0xFF, r, 1)
    _add(a, "cl", cl != 0xFF, cl, 1)
    return _wild("".join(a))


def _virtio(c, e):
    a = ["virtio:"]
    d, v = e.u(0, 4), e.u(4, 4)
    _add(a, "d", d != 0xFFFFFFFF, d, 4)
    _add(a, "v", v != 0xFFFFFFFF, v, 4)
    return _wild("".join(a))


def _vmbus(c, e):
    return "vmbus:" + "".join("%02x" % x for x in e.b(0, 16))


def _prefixed(prefix, off=0):
    return lambda c, e: prefix + e.s(off)


def _i3c(c, e):
    f = e.u(0, 1)
    a = ["i3c:"]
    _add(a, "dcr", f & 1, e.u(1, 1), 1)
    _add(a, "manuf", f & 2, e.u(2, 2), 2)
    _add(a, "part", f & 4, e.u(4, 2), 2)
    _add(a, "ext", f & 8, e.u(6, 2), 2)
    return "".join(a)


_DMI_FIELDS = (
    ("bvn", 1), ("bvr", 2), ("bd", 3), ("br", 4), ("efr", 5), ("svn", 6), ("pn", 7), ("pvr", 8),
    ("rvn", 13), ("rn", 14), ("rvr", 15), ("cvn", 18), ("ct", 19), ("cvr", 20), (None, 0),
)


def _dmi(c, e):
    a = "dmi*"
    for prefix, field in _DMI_FIELDS:
        for j in range(4):
            base = 16 + 80 * j
            slot = e.u(base, 1) & 0x7F
            if slot and slot == field:
                sub = e.b(base + 1, 79)
                nul = sub.find(b"\0")
                sub = sub if nul < 0 else sub[:nul]
                a += ":%s*" % prefix
                a += "".join(chr(x) for x in sub if 0x20 < x < 127 and x != 0x3A)
                a += "*"
    return a + ":"


def _mdio(c, e):
    phy_id, mask = e.u(0, 4), e.u(4, 4)
    out = "mdio:"
    for i in range(32):
        if not (mask >> (31 - i)) & 1:
            out += "?"
        elif (phy_id >> (31 - i)) & 1:
            out += "1"
        else:
            out += "0"
    return out


def _zorro(c, e):
    a = ["zorro:"]
    i = e.u(0, 4)
    _add(a, "i", i != 0xFFFFFFFF, i, 4)
    return "".join(a)


def _isapnp(c, e):
    vendor, function = e.u(4, 2), e.u(6, 2)
    return "pnp:d%c%c%c%x%x%x%x*" % (
        (ord("A") + ((vendor >> 2) & 0x3F) - 1) & 0xFF,
        (ord("A") + (((vendor & 3) << 3) | ((vendor >> 13) & 7)) - 1) & 0xFF,
        (ord("A") + ((vendor >> 8) & 0x1F) - 1) & 0xFF,
        (function >> 4) & 0x0F, function & 0x0F, (function >> 12) & 0x0F, (function >> 8) & 0x0F)


def _ipack(c, e):
    a = ["ipack:"]
    f, v, d = e.u(0, 1), e.u(4, 4), e.u(8, 4)
    _add(a, "f", f != 0xFF, f, 1)
    _add(a, "v", v != 0xFFFFFFFF, v, 4)
    _add(a, "d", d != 0xFFFFFFFF, d, 4)
    return _wild("".join(a))


def _nibble(nibble, mask):
    if mask == 0:
        return "?"
    if mask == 0xF:
        return "%X" % nibble
    return "[" + "".join("%X" % i for i in range(16) if (i & mask) == nibble) + "]"


def _amba(c, e):
    ident, mask = e.u(0, 4), e.u(4, 4)
    if (ident & mask) != ident:
        c.log.fatal(
            "%s: Masked-off bit(s) of AMBA device ID are non-zero: id=0x%08X, mask=0x%08X.  "
            "Please fix this driver.\n" % (c.mod.name, ident, mask))
    return "amba:d" + "".join(
        _nibble((ident >> (4 * (7 - d))) & 0xF, (mask >> (4 * (7 - d))) & 0xF) for d in range(8))


def _mipscdmm(c, e):
    return "mipscdmm:t%02X*" % e.u(0, 1)


def _x86cpu(c, e):
    vendor, family, model, feature = e.u(0, 2), e.u(2, 2), e.u(4, 2), e.u(8, 2)
    a = ["cpu:type:x86,"]
    _add(a, "ven", vendor != 0xFFFF, vendor, 2)
    _add(a, "fam", family != 0, family, 2)
    _add(a, "mod", model != 0, model, 2)
    a.append(":feature:*")
    if feature != 0:
        a.append("%04X*" % feature)
    return "".join(a)


def _cpu(c, e):
    return "cpu:type:*:feature:*%04X*" % e.u(0, 2)


def _mei(c, e):
    name, version = e.s(0), e.u(48, 1)
    a = ["mei:", "%s:" % (name or "*"), _uuid_le(e.b(32, 16))]
    _add(a, ":", version != 0xFF, version, 1)
    a.append(":*")
    return "".join(a)


def _rio(c, e):
    did, vid, asm_did, asm_vid = e.u(0, 2), e.u(2, 2), e.u(4, 2), e.u(6, 2)
    a = ["rapidio:"]
    _add(a, "v", vid != 0xFFFF, vid, 2)
    _add(a, "d", did != 0xFFFF, did, 2)
    _add(a, "av", asm_vid != 0xFFFF, asm_vid, 2)
    _add(a, "ad", asm_did != 0xFFFF, asm_did, 2)
    return _wild("".join(a))


def _ulpi(c, e):
    return "ulpi:v%04xp%04x" % (e.u(0, 2), e.u(2, 2))


def _hda(c, e):
    v, r, api = e.u(0, 4), e.u(4, 4), e.u(8, 1)
    a = ["hdaudio:"]
    _add(a, "v", v != 0, v, 4)
    _add(a, "r", r != 0, r, 4)
    _add(a, "a", api != 0, api, 1)
    return _wild("".join(a))


def _sdw(c, e):
    m, p, v, cl = e.u(0, 2), e.u(2, 2), e.u(4, 1), e.u(5, 1)
    a = ["sdw:"]
    _add(a, "m", m != 0, m, 2)
    _add(a, "p", p != 0, p, 2)
    _add(a, "v", v != 0, v, 1)
    _add(a, "c", cl != 0, cl, 1)
    return _wild("".join(a))


def _fslmc(c, e):
    return "fsl-mc:v%08Xd%s" % (e.u(0, 2), e.s(2))


def _tbsvc(c, e):
    f = e.u(0, 4)
    a = ["tbsvc:", "k%s" % e.s(4) if f & 1 else "k*"]
    _add(a, "p", f & 2, e.u(16, 4), 4)
    _add(a, "v", f & 4, e.u(20, 4), 4)
    _add(a, "r", f & 8, e.u(24, 4), 4)
    return _wild("".join(a))


def _typec(c, e):
    mode = e.u(2, 1)
    a = ["typec:id%04X" % e.u(0, 2)]
    _add(a, "m", mode != 7, mode, 1)
    return "".join(a)


def _tee(c, e):
    b = e.b(0, 16)
    return _wild("tee:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x" % tuple(b))


def _wmi(c, e):
    guid = e.s(0)
    if len(guid) != 36:
        c.log.warn("Invalid WMI device id 'wmi:%s' in '%s'\n" % (guid, c.mod.name))
        return None
    alias = "wmi:" + guid
    if len(alias) >= 500:
        c.log.warn("Could not generate all MODULE_ALIAS's in '%s'\n" % c.mod.name)
        return None
    return alias


def _ssam(c, e):
    f = e.u(0, 1)
    a = ["ssam:d%02Xc%02X" % (e.u(1, 1), e.u(2, 1))]
    _add(a, "t", f & 1, e.u(3, 1), 1)
    _add(a, "i", f & 2, e.u(4, 1), 1)
    _add(a, "f", f & 4, e.u(5, 1), 1)
    return "".join(a)


def _dfl(c, e):
    return _wild("dfl:t%04Xf%04X" % (e.u(0, 2), e.u(2, 2)))


def _ishtp(c, e):
    return "ishtp:{" + _guid(e.b(0, 16)) + "}"


# The devtable[] array of file2alias.c, in its order.
DEVTABLE = (
    ("hid", _hid), ("ieee1394", _ieee1394), ("pci", _pci), ("ccw", _ccw), ("ap", _ap),
    ("css", _css), ("serio", _serio), ("acpi", _acpi), ("pcmcia", _pcmcia), ("vio", _vio),
    ("input", _input), ("eisa", _eisa), ("parisc", _parisc), ("sdio", _sdio), ("ssb", _ssb),
    ("bcma", _bcma), ("virtio", _virtio), ("vmbus", _vmbus), ("rpmsg", _prefixed("rpmsg:")),
    ("i2c", _prefixed("i2c:")), ("i3c", _i3c), ("spi", _prefixed("spi:")), ("dmi", _dmi),
    ("platform", _prefixed("platform:")), ("mdio", _mdio), ("zorro", _zorro),
    ("isapnp", _isapnp), ("ipack", _ipack), ("amba", _amba), ("mipscdmm", _mipscdmm),
    ("x86cpu", _x86cpu), ("cpu", _cpu), ("mei", _mei), ("rapidio", _rio), ("ulpi", _ulpi),
    ("hdaudio", _hda), ("sdw", _sdw), ("fslmc", _fslmc), ("tbsvc", _tbsvc), ("typec", _typec),
    ("tee", _tee), ("wmi", _wmi), ("mhi", _prefixed("mhi:")), ("mhi_ep", _prefixed("mhi_ep:")),
    ("auxiliary", _prefixed("auxiliary:")), ("ssam", _ssam), ("dfl", _dfl), ("ishtp", _ishtp),
)
_DEVTABLE = dict(DEVTABLE)


def device_id_check(c, device_id, size, id_size, table):
    if size % id_size or size < id_size:
        c.log.fatal(
            f"{c.mod.name}: sizeof(struct {device_id}_device_id)={id_size} is not a modulo of the size of "
            f"section __mod_{device_id}__<identifier>_device_table={size}.\n"
            f"Fix definition of struct {device_id}_device_id in mod_devicetable.h\n")
    last = table[size - id_size : size]
    if any(last):
        c.log.raw(
            f"{c.mod.name}: struct {device_id}_device_id is {id_size} bytes.  The last of {size // id_size} is:\n"
            + "".join("0x%02x " % x for x in last) + "\n")
        c.log.fatal(f"{c.mod.name}: struct {device_id}_device_id is not terminated with a NULL entry!\n")


# --- the special tables ----------------------------------------------------


def _incbcd(bcd, inc, mx, chars):
    """incbcd(): (old value, new value)."""
    if mx > 0x9:
        return bcd, (bcd + inc) & 0xFFFFFFFF
    dec = 0
    for i in range(chars):
        cdig = min((bcd >> (i << 2)) & 0xF, 9)
        dec += cdig * 10**i
    dec = (dec + inc) & 0xFFFFFFFFFFFFFFFF
    new = 0
    for i in range(chars):
        new += ((dec // 10**i) % 10) << (i << 2)
    return bcd, new & 0xFFFFFFFF


def _usb_entry(c, e, initial, digits, lo, hi, mx):
    f = e.u(0, 2)
    a = ["usb:"]
    _add(a, "v", f & 0x1, e.u(2, 2), 2)
    _add(a, "p", f & 0x2, e.u(4, 2), 2)
    a.append("d")
    if digits:
        a.append("%0*X" % (digits, initial))
    if lo == hi:
        a.append("%X" % lo)
    elif lo > 0 or hi < mx:
        if lo > 0x9 or hi < 0xA:
            a.append("[%X-%X]" % (lo, hi))
        else:
            a.append(("[%X-9" if lo < 0x9 else "[%X") % lo)
            a.append(("A-%X]" if hi > 0xA else "%X]") % hi)
    if digits < 3:
        a.append("*")
    _add(a, "dc", f & 0x10, e.u(10, 1), 1)
    _add(a, "dsc", f & 0x20, e.u(11, 1), 1)
    _add(a, "dp", f & 0x40, e.u(12, 1), 1)
    _add(a, "ic", f & 0x80, e.u(13, 1), 1)
    _add(a, "isc", f & 0x100, e.u(14, 1), 1)
    _add(a, "ip", f & 0x200, e.u(15, 1), 1)
    _add(a, "in", f & 0x400, e.u(16, 1), 1)
    c.out(_wild("".join(a)))


def _usb_entry_multi(c, e):
    f = e.u(0, 2)
    devlo = e.u(6, 2) if f & 0x4 else 0
    devhi = e.u(8, 2) if f & 0x8 else 0xFFFFFFFF
    mx = 0x9
    for nd in range(4):
        clo = (devlo >> (nd << 2)) & 0xF
        chi = ((0x9999 if devhi > 0x9999 else devhi) >> (nd << 2)) & 0xF
        if clo > mx or chi > mx:
            mx = 0xF
            break
    if not (e.u(2, 2) | e.u(4, 2) | e.u(10, 1) | e.u(13, 1)):
        return
    nd = 3
    while devlo <= devhi:
        clo = devlo & 0xF
        chi = devhi & 0xF
        if chi > mx:
            chi = mx
        devlo >>= 4
        devhi >>= 4
        if devlo == devhi or not nd:
            _usb_entry(c, e, devlo, nd, clo, chi, mx)
            break
        if clo > 0:
            old, devlo = _incbcd(devlo, 1, mx, 4)
            _usb_entry(c, e, old, nd, clo, mx, mx)
        if chi < mx:
            old, devhi = _incbcd(devhi, -1, mx, 4)
            _usb_entry(c, e, old, nd, 0, chi, mx)
        nd -= 1


def _entries(size, id_size):
    return range(0, size - id_size, id_size)


def _usb_table(c, table, size):
    device_id_check(c, "usb", size, SIZES["usb"], table)
    for off in _entries(size, SIZES["usb"]):
        _usb_entry_multi(c, _Entry(table, off))


def _of_table(c, table, size):
    device_id_check(c, "of", size, SIZES["of"], table)
    for off in _entries(size, SIZES["of"]):
        e = _Entry(table, off)
        name, typ, compat = e.s(0), e.s(32), e.s(64)
        alias = "of:N%sT%s" % (name or "*", typ or "*")
        if compat:
            alias += "%sC%s" % ("*" if typ else "", compat)
        alias = _underscore_spaces(alias)
        c.out(alias)
        c.out(_wild(alias + "C"))


def _pnp_table(c, table, size):
    id_size = SIZES["pnp"]
    device_id_check(c, "pnp", size, id_size, table)
    for i in range(size // id_size - 1):
        ident = _Entry(table, i * id_size).s(0)
        c.out("pnp:d%s*" % ident)
        c.out("acpi*:%s:*" % _acpi_upper(table, i * id_size, 8))


def _acpi_upper(table, off, n):
    """toupper() over the n bytes of an id field, printed as a C string."""
    raw = table[off : off + n]
    nul = raw.find(b"\0")
    if nul >= 0:
        raw = raw[:nul]
    else:
        rest = table[off + n :]
        end = rest.find(b"\0")
        raw = raw + (rest if end < 0 else rest[:end])
    return raw.decode(elf.ENCODING).upper() if all(x < 128 for x in raw) else "".join(
        chr(x).upper() if x < 128 else chr(x) for x in raw)


def _pnp_card_table(c, table, size):
    id_size = SIZES["pnp_card"]
    device_id_check(c, "pnp", size, id_size, table)
    count = size // id_size - 1

    def dev_id(i, j):
        return _Entry(table, i * id_size + 16 + 8 * j).s(0)

    for i in range(count):
        for j in range(8):
            ident = dev_id(i, j)
            if not ident:
                break
            dup = False
            for i2 in range(i):
                for j2 in range(8):
                    id2 = dev_id(i2, j2)
                    if not id2:
                        break
                    if id2 == ident:
                        dup = True
                        break
                if dup:
                    break
            if not dup:
                c.out("pnp:d%s*" % ident)
                c.out("acpi*:%s:*" % _acpi_upper(table, i * id_size + 16 + 8 * j, 8))


def handle_moddevtable(log, mod, info, sym):
    """Appends MODULE_ALIAS lines to mod.dev_table_buf for a __mod_*_device_table symbol."""
    if not sym.shndx or sym.secindex >= info.num_sections:
        return
    if sym.type != elf.STT_OBJECT:
        return
    symname = sym.name
    if not symname.startswith("__mod_"):
        return
    name = symname[len("__mod_") :]
    if len(name) < len("_device_table") or not name.endswith("_device_table"):
        return
    sep = name.find("__")
    if sep < 0:
        return
    kind = name[:sep]
    size = sym.size
    if info.sections[sym.secindex].type & elf.SHT_NOBITS:
        if size > len(info.data) + (1 << 20):
            log.fatal(f"{mod.name}: {symname} is {size} bytes, larger than any device table\n")
        table = bytes(size)
    else:
        table = info.sym_data(sym, size)
        if len(table) < size:
            log.fatal(f"{mod.name}: {symname} runs past the end of the file\n")
    c = _Ctx(log, mod)
    if kind == "usb":
        _usb_table(c, table, size)
    elif kind == "of":
        _of_table(c, table, size)
    elif kind == "pnp":
        _pnp_table(c, table, size)
    elif kind == "pnp_card":
        _pnp_card_table(c, table, size)
    elif kind in _DEVTABLE:
        id_size = SIZES[kind]
        device_id_check(c, kind, size, id_size, table)
        for off in _entries(size, id_size):
            alias = _DEVTABLE[kind](c, _Entry(table, off))
            if alias is not None:
                c.out(alias)
