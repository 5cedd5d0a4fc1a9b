"""Bazel's persistent-worker protocol (protocol buffers, singleplex) for a tool's main.

An action whose tool supports it (execution requirement `supports-workers`, arguments in
a `--flagfile=`) runs in a long-lived process instead of a new interpreter per action.
Bazel starts the tool once as `TOOL --persistent_worker`, then writes a length-delimited
WorkRequest per action on its stdin and reads a WorkResponse from its stdout:

    WorkRequest   1: repeated string arguments (the flagfile's lines)
                  2: repeated Input inputs {1: string path, 2: bytes digest}  3: int32 request_id
                  (4: cancel, 5: verbosity, 6: sandbox_dir: read and ignored)
    WorkResponse  1: int32 exit_code  2: string output  3: int32 request_id

The messages are small and fixed since Bazel 0.x; they are encoded by hand
(tools/common/protowire.py) so the tool's start-up imports nothing more: protobuf's
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

from tools.common import protowire

# A malformed WorkRequest (one line).
ProtocolError = protowire.WireError


# The inputs (path -> digest) of the request being run; empty outside a worker.
_CURRENT_INPUTS = {}


def current_inputs():
    """path -> digest (bytes, opaque) of the running request's inputs, as Bazel sent them.

    Empty when the tool runs as a one-shot process: callers then compute everything.
    """
    return _CURRENT_INPUTS


def _decode_input(data):
    path, digest = None, b""
    for field, wire, value in protowire.parse(data):
        if field == 1 and wire == protowire.LEN:
            path = value.decode("utf-8", "surrogateescape")
        elif field == 2 and wire == protowire.LEN:
            digest = bytes(value)
    return path, digest


def decode_request(data):
    """(arguments, request_id, inputs) of one WorkRequest message DATA (bytes, no length
    prefix); inputs: path -> digest."""
    arguments, request_id, inputs = [], 0, {}
    for field, wire, value in protowire.parse(data):
        if field == 1 and wire == protowire.LEN:
            arguments.append(value.decode("utf-8", "surrogateescape"))
        elif field == 2 and wire == protowire.LEN:
            path, digest = _decode_input(value)
            if path is not None:
                inputs[path] = digest
        elif field == 3 and wire == protowire.VARINT:
            request_id = protowire.int32(value)
    return arguments, request_id, inputs


def encode_response(exit_code, output, request_id):
    """One WorkResponse message (no length prefix); zero and empty fields left out."""
    fields = []
    if exit_code:
        fields.append((1, protowire.VARINT, exit_code))
    if output:
        fields.append((2, protowire.LEN, output.encode("utf-8", "surrogateescape")))
    if request_id:
        fields.append((3, protowire.VARINT, request_id))
    return protowire.serialize(fields)


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
    stream.write(protowire.encode_varint(len(message)) + message)
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
