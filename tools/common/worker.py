"""Bazel's persistent-worker protocol (protocol buffers, singleplex) for a tool's main.

An action whose tool supports it (execution requirement `supports-workers`, arguments in
a `--flagfile=`) runs in a long-lived process instead of a new interpreter per action.
Bazel starts the tool once as `TOOL --persistent_worker`, then writes a length-delimited
WorkRequest per action on its stdin and reads a WorkResponse from its stdout:

    WorkRequest   1: repeated string arguments (the flagfile's lines)
                  2: repeated Input inputs {1: string path, 2: bytes digest}  3: int32 request_id
                  (4: cancel, 5: verbosity, 6: sandbox_dir: read and ignored)
    WorkResponse  1: int32 exit_code  2: string output  3: int32 request_id

The messages are small and fixed since Bazel 0.x; they are encoded here by hand (varints
and length-delimited fields) so the tool's start-up imports nothing more: protobuf's
Python runtime would cost more to import than the worker saves on a small action.

What the worker changes is only who pays the interpreter's start-up (~80 ms of a core per
ThinLTO backend: bench/, docs/STATUS.md): the same main runs with the same arguments and
checks the same outputs; its exit status and its one-line errors reach Bazel as they would
from a process. Without --persistent_worker (sandboxed or remote execution, `bazel run`)
the tool is the one-shot program it was.
"""

import io
import os
import sys

_VARINT, _LEN, _I64, _I32 = 0, 2, 1, 5


class ProtocolError(Exception):
    """A malformed WorkRequest (one line)."""


def _varint(value):
    out = bytearray()
    value &= (1 << 64) - 1  # int32 fields encode negatives as 10-byte varints
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _read_varint(data, pos):
    result = shift = 0
    while True:
        if pos >= len(data):
            raise ProtocolError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise ProtocolError("varint longer than 10 bytes")


def _int32(value):
    value &= (1 << 64) - 1
    value &= 0xFFFFFFFF
    return value - (1 << 32) if value & 0x80000000 else value


# The inputs (path -> digest) of the request being run; empty outside a worker.
_CURRENT_INPUTS = {}


def current_inputs():
    """path -> digest (bytes, opaque) of the running request's inputs, as Bazel sent them.

    Empty when the tool runs as a one-shot process: callers then compute everything.
    """
    return _CURRENT_INPUTS


def _decode_input(data):
    path, digest = None, b""
    fields = _fields(data)
    for field, value in fields:
        if field == 1:
            path = value.decode("utf-8", "surrogateescape")
        elif field == 2:
            digest = bytes(value)
    return path, digest


def _fields(data):
    """[(field number, value)] of message DATA: ints for varints, bytes for the rest."""
    out, pos = [], 0
    while pos < len(data):
        key, pos = _read_varint(data, pos)
        field, wire = key >> 3, key & 7
        if wire == _VARINT:
            value, pos = _read_varint(data, pos)
            out.append((field, value))
        elif wire == _LEN:
            size, pos = _read_varint(data, pos)
            if pos + size > len(data):
                raise ProtocolError(f"field {field}: {size} bytes announced, {len(data) - pos} left")
            out.append((field, data[pos:pos + size]))
            pos += size
        elif wire in (_I64, _I32):
            pos += 8 if wire == _I64 else 4
        else:
            raise ProtocolError(f"field {field}: unsupported wire type {wire}")
    if pos != len(data):
        raise ProtocolError("a field runs past the message")
    return out


def decode_request(data):
    """(arguments, request_id, inputs) of one WorkRequest message DATA (bytes, no length
    prefix); inputs: path -> digest."""
    arguments, request_id, inputs = [], 0, {}
    for field, value in _fields(data):
        if field == 1 and isinstance(value, bytes):
            arguments.append(value.decode("utf-8", "surrogateescape"))
        elif field == 2 and isinstance(value, bytes):
            path, digest = _decode_input(value)
            if path is not None:
                inputs[path] = digest
        elif field == 3 and isinstance(value, int):
            request_id = _int32(value)
    return arguments, request_id, inputs


def encode_response(exit_code, output, request_id):
    """One WorkResponse message (no length prefix)."""
    out = bytearray()
    if exit_code:
        out += _varint(1 << 3 | _VARINT) + _varint(exit_code)
    if output:
        text = output.encode("utf-8", "surrogateescape")
        out += _varint(2 << 3 | _LEN) + _varint(len(text)) + text
    if request_id:
        out += _varint(3 << 3 | _VARINT) + _varint(request_id)
    return bytes(out)


def read_message(stream):
    """The next length-delimited message from binary STREAM, or None at end of input."""
    size = shift = 0
    first = True
    while True:
        b = stream.read(1)
        if not b:
            if first:
                return None
            raise ProtocolError("end of input inside a length prefix")
        first = False
        size |= (b[0] & 0x7F) << shift
        if not b[0] & 0x80:
            break
        shift += 7
    data = stream.read(size)
    if len(data) != size:
        raise ProtocolError(f"end of input: {size} bytes announced, {len(data)} read")
    return data


def write_message(stream, message):
    stream.write(_varint(len(message)) + message)
    stream.flush()


def exit_status(e):
    """(status, text to report) of a SystemExit, as the interpreter would exit with it."""
    if e.code is None:
        return 0, ""
    if isinstance(e.code, int):
        return e.code, ""
    return 1, f"{e.code}\n"


def serve(handle, stdin, stdout):
    """Answers WorkRequests from STDIN on STDOUT until STDIN ends.

    HANDLE(arguments) -> (exit_code, output) runs one request.
    """
    while True:
        message = read_message(stdin)
        if message is None:
            return
        arguments, request_id, inputs = decode_request(message)
        _CURRENT_INPUTS.clear()
        _CURRENT_INPUTS.update(inputs)
        try:
            code, output = handle(arguments)
        finally:
            _CURRENT_INPUTS.clear()
        write_message(stdout, encode_response(code, output, request_id))


def run_requests(run_one):
    """The worker loop of a tool: RUN_ONE(arguments) runs one action's main, raising SystemExit.

    Everything the main writes to sys.stdout/sys.stderr becomes the response's output.
    File descriptor 1 is Bazel's channel: it is moved aside first, and fd 1 then points at
    fd 2 (the worker's log), so no subprocess can write into the protocol stream.
    """
    channel = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    real_out, real_err = sys.stdout, sys.stderr

    def handle(arguments):
        buf = io.StringIO()
        sys.stdout = sys.stderr = buf
        try:
            run_one(arguments)
            code = 0
        except SystemExit as e:
            code, text = exit_status(e)
            buf.write(text)
        finally:
            sys.stdout, sys.stderr = real_out, real_err
        return code, buf.getvalue()

    serve(handle, sys.stdin.buffer, channel)
