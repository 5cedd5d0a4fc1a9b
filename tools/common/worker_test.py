"""Tests for tools/common/worker.py and common.run's --persistent_worker mode."""

import io
import os
import subprocess
import sys

from absl.testing import absltest

from tools.common import protowire, worker


def _request(arguments, request_id=0, extra=b""):
    body = b"".join(b"\x0a" + protowire.encode_varint(len(a.encode())) + a.encode() for a in arguments)
    if request_id:
        body += b"\x18" + protowire.encode_varint(request_id)
    return body + extra


def _framed(message):
    return protowire.encode_varint(len(message)) + message


class CodecTest(absltest.TestCase):
    def test_request_bytes(self):
        # arguments "a", "bc"; an input {path "p", digest "d"} (field 2); request_id 7;
        # verbosity 3 (field 5): what Bazel sends, encoded by hand.
        data = b"\x0a\x01a\x0a\x02bc\x12\x06\x0a\x01p\x12\x01d\x18\x07\x28\x03"
        self.assertEqual(worker.decode_request(data), (["a", "bc"], 7, {"p": b"d"}))

    def test_response_bytes(self):
        self.assertEqual(worker.encode_response(1, "x", 7), b"\x08\x01\x12\x01x\x18\x07")
        self.assertEqual(worker.encode_response(0, "", 0), b"")

    def test_negative_exit_code_round_trips_as_int32(self):
        data = worker.encode_response(-1, "", 0)
        self.assertEqual(data, b"\x08" + b"\xff" * 9 + b"\x01")
        value, _ = protowire.read_varint(data, 1)
        self.assertEqual(protowire.int32(value), -1)

    def test_long_argument_and_non_ascii(self):
        arg = "--clang_arg=" + "é" * 300
        self.assertEqual(worker.decode_request(_request([arg], 300)), ([arg], 300, {}))

    def test_truncated_request(self):
        with self.assertRaisesRegex(worker.ProtocolError, "2 bytes announced, 1 left"):
            worker.decode_request(b"\x0a\x02a")
        with self.assertRaisesRegex(worker.ProtocolError, "truncated varint"):
            worker.decode_request(b"\x18\x80")

    def test_serve_answers_in_order_until_end_of_input(self):
        given = b"\x12\x06\x0a\x01p\x12\x01d"  # inputs: p with digest d, first request only
        stdin = io.BytesIO(_framed(_request(["--x=1"], 1, given)) + _framed(_request([], 2)))
        stdout = io.BytesIO()
        seen = []

        def handle(arguments):
            seen.append((arguments, dict(worker.current_inputs())))
            return len(arguments), "out" if arguments else ""

        worker.serve(handle, stdin, stdout)
        self.assertEqual(seen, [(["--x=1"], {"p": b"d"}), ([], {})])
        self.assertEqual(worker.current_inputs(), {})
        stdout.seek(0)
        self.assertEqual(worker.read_message(stdout), worker.encode_response(1, "out", 1))
        self.assertEqual(worker.read_message(stdout), worker.encode_response(0, "", 2))
        self.assertIsNone(worker.read_message(stdout))

    def test_fixed_width_fields_are_skipped_and_checked(self):
        # field 7 as fixed64, field 8 as fixed32 (unknown to the protocol): skipped.
        data = b"\x0a\x01a" + b"\x39" + b"\x00" * 8 + b"\x45" + b"\x00" * 4
        self.assertEqual(worker.decode_request(data), (["a"], 0, {}))
        with self.assertRaisesRegex(worker.ProtocolError, "field 7: 8 bytes announced, 3 left"):
            worker.decode_request(b"\x39\x00\x00\x00")

    def test_end_of_input_inside_a_message(self):
        with self.assertRaisesRegex(worker.ProtocolError, "5 bytes announced, 2 read"):
            worker.read_message(io.BytesIO(b"\x05ab"))


_MAIN = '''\
import os
import sys
from absl import app, flags
from tools.common import lib as common
_OUT = flags.DEFINE_string("out", None, "Output.", required=True)
_ITEMS = flags.DEFINE_multi_string("item", [], "Repeated.")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    if _OUT.value == "bug":
        b"\\xff".decode()
    if _OUT.value == "designed":
        sys.exit("tool: x.o: bad")
    if _OUT.value == "stray":
        os.system("echo stray output on fd 1")  # must not reach Bazel's channel
    print("items", _ITEMS.value)
    with open(_OUT.value, "w") as f:
        f.write(",".join(_ITEMS.value))


if __name__ == "__main__":
    common.run(main, "tool")
'''


class WorkerModeTest(absltest.TestCase):
    """A small absl main, run once per request in one worker and once per process: same results."""

    def setUp(self):
        super().setUp()
        # The children run in a temporary directory: the import path must not be relative.
        self.env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p))
        self.script = self.create_tempfile("main.py", _MAIN).full_path
        self.dir = self.create_tempdir().full_path

    def _one_shot(self, arguments):
        proc = subprocess.run([sys.executable, self.script, *arguments], capture_output=True, text=True,
                              env=self.env, cwd=self.dir, check=False)
        return proc.returncode, proc.stdout + proc.stderr

    def _worker(self, requests):
        stdin = b"".join(_framed(_request(args, i + 1)) for i, args in enumerate(requests))
        proc = subprocess.run([sys.executable, self.script, "--persistent_worker"], input=stdin,
                              capture_output=True, env=self.env, cwd=self.dir, check=False)
        self.assertEqual(proc.returncode, 0, proc.stderr)
        stream, answers = io.BytesIO(proc.stdout), []
        while (message := worker.read_message(stream)) is not None:
            answers.append(message)
        return answers, proc.stderr.decode()

    def test_same_results_as_one_process_per_action(self):
        requests = [
            ["--out=a.txt", "--item=1", "--item=2"],
            ["--out=b.txt"],  # --item does not carry over from the request before
            [],  # a missing required flag
            ["--out=c.txt", "extra"],  # app.UsageError
            ["--out=designed"],
            ["--out=bug"],
            ["--out=missing/dir/d.txt"],  # an OSError
            ["--out=stray"],
            ["--out=e.txt", "--item=3"],  # the worker still answers after all that
        ]
        answers, log = self._worker(requests)
        self.assertLen(answers, len(requests))
        for i, args in enumerate(requests):
            code, output = self._one_shot(args)
            with open(os.path.join(self.dir, "a.txt")) as f:
                self.assertEqual(f.read(), "1,2")
            if args == ["--out=stray"]:
                output = output.replace("stray output on fd 1\n", "")
            self.assertEqual(answers[i], worker.encode_response(code, output, i + 1), args)
        self.assertIn("stray output on fd 1", log)
        with open(os.path.join(self.dir, "b.txt")) as f:
            self.assertEqual(f.read(), "")


if __name__ == "__main__":
    absltest.main()
