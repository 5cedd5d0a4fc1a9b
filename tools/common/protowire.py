"""The protocol-buffer wire format, by hand, for the few small messages tools exchange.

Standard library only (like the rest of tools/common): Bazel's worker protocol
(tools/common/worker.py) and the REAPI ActionResult entries tests/remote_cache rewrites.
A message is a list of (field number, wire type, value): value is an int for a varint,
the raw bytes for every other wire type (length-delimited, fixed 64- and 32-bit).
"""

VARINT, I64, LEN, I32 = 0, 1, 2, 5


class WireError(ValueError):
    """Malformed wire data (one line)."""


def encode_varint(value):
    """VALUE as a varint; negative numbers as their 64-bit two's complement (int32/int64)."""
    out = bytearray()
    value &= (1 << 64) - 1
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def read_varint(data, pos):
    """(value, position after it) of the varint at DATA[POS:]."""
    result = shift = 0
    while True:
        if pos >= len(data):
            raise WireError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise WireError("varint longer than 10 bytes")


def int32(value):
    """A decoded varint as the int32 it encodes."""
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


_FIXED = {I64: 8, I32: 4}


def parse(data):
    """[(field, wire type, value)] of message DATA, in order."""
    fields, pos = [], 0
    while pos < len(data):
        key, pos = read_varint(data, pos)
        field, wire = key >> 3, key & 7
        if wire == VARINT:
            value, pos = read_varint(data, pos)
        elif wire in (LEN, I64, I32):
            if wire == LEN:
                size, pos = read_varint(data, pos)
            else:
                size = _FIXED[wire]
            if pos + size > len(data):
                raise WireError(f"field {field}: {size} bytes announced, {len(data) - pos} left")
            value, pos = data[pos:pos + size], pos + size
        else:
            raise WireError(f"field {field}: unsupported wire type {wire}")
        fields.append((field, wire, value))
    return fields


def serialize(fields):
    """The bytes of a message given as parse() returns it."""
    out = bytearray()
    for field, wire, value in fields:
        out += encode_varint(field << 3 | wire)
        if wire == VARINT:
            out += encode_varint(value)
        elif wire == LEN:
            out += encode_varint(len(value)) + value
        else:
            out += value
    return bytes(out)
