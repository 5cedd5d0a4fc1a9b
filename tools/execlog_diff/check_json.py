"""Checks that schema.py reads a binary execution log as Bazel's own JSON log shows it.

    bazel build ... --execution_log_binary_file=/tmp/x.log --execution_log_json_file=/tmp/x.json
    bazel run //tools/execlog_diff:check_json -- /tmp/x.log /tmp/x.json

Both logs of one build hold the same spawns; every field of every spawn must have the same
value in both (so every field number and type of spawn.proto is Bazel's). Run it when
moving to a new Bazel. Prints `N spawns agree` and exits 0, or names the first
difference and exits 1; exits 2 when a log cannot be read.
"""

import os
import sys

from absl import app

from tools.common import lib as common
from tools.execlog_diff import lib


def _fail(message):
    print(f"check_json: {message}", file=sys.stderr)
    sys.exit(2)


def main(argv):
    if len(argv) != 3:
        raise app.UsageError("give a binary log and the JSON log of the same build", exitcode=2)
    binary, json_log = argv[1:]
    cwd = os.environ.get("BUILD_WORKING_DIRECTORY", "")
    try:
        with open(os.path.join(cwd, binary), "rb") as f:
            spawns = lib.read_all(binary, f)
        with open(os.path.join(cwd, json_log), "rb") as f:
            data = f.read()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as e:
            _fail(f"{json_log}:{data[:e.start].count(10) + 1}: not UTF-8 text; give the log of "
                  "--execution_log_json_file")
        objects = lib.read_json_log(json_log, text)
    except lib.LogError as e:
        _fail(str(e))
    except OSError as e:
        _fail(f"{e.filename}: cannot read: {e.strerror}")
    problem = lib.json_mismatch(spawns, objects)
    if problem:
        print(f"check_json: {binary} and {json_log} differ: {problem}", file=sys.stderr)
        sys.exit(1)
    print(f"{len(spawns)} spawns agree")


if __name__ == "__main__":
    common.run(main, "check_json")
