"""Compares two Bazel execution logs and says which actions differ, and why.

    bazel build //:vmlinux --execution_log_binary_file=/tmp/a.log
    # ... the same build elsewhere (another checkout, output base or machine) -> /tmp/b.log
    bazel run //tools/execlog_diff -- /tmp/a.log /tmp/b.log

Actions are matched by their first listed output. For each pair that differs the report
shows the differing inputs (path, digest), arguments, environment and outputs; the root
causes come first: differing inputs that no differing action produces, actions whose
command differs, and non-deterministic actions (same key, different outputs). Then the
actions only one log ran, and a summary line.

Exit status: 0 when the logs agree, 1 when they differ (an action only in one log counts),
2 when a log cannot be read. Relative paths are relative to the directory `bazel run`
was started in.
"""

import contextlib
import os
import sys

from absl import app, flags

from tools.common import lib as common
from tools.execlog_diff import lib

_LIMIT = flags.DEFINE_integer(
    "limit",
    20,
    "Show at most this many entries per section (root causes, differing actions, actions "
    "only in one log); 0 shows all.",
    lower_bound=0,
)
_LINES = flags.DEFINE_integer(
    "lines",
    10,
    "Show at most this many differences of each kind (inputs, args, env, outputs) per "
    "action; 0 shows all.",
    lower_bound=0,
)


def _fail(message):
    print(f"execlog_diff: {message}", file=sys.stderr)
    sys.exit(2)


def _parse_flags(argv):
    try:
        return flags.FLAGS(argv)
    except flags.Error as e:
        _fail(f"{e} (usage: execlog_diff [--limit=N] [--lines=N] A.log B.log)")


def main(argv):
    if len(argv) != 3:
        raise app.UsageError(f"give two logs, not {len(argv) - 1}: execlog_diff A.log B.log", exitcode=2)
    names = argv[1:]
    # Under `bazel run` the working directory is the runfiles tree, not the user's.
    cwd = os.environ.get("BUILD_WORKING_DIRECTORY", "")
    with contextlib.ExitStack() as stack:
        files = []
        for name in names:
            try:
                files.append(stack.enter_context(open(os.path.join(cwd, name), "rb")))
            except OSError as e:
                _fail(f"{name}: cannot read: {e.strerror}; give a log written by --execution_log_binary_file")
        try:
            result = lib.compare(names[0], files[0], names[1], files[1], lines=_LINES.value)
        except lib.LogError as e:
            _fail(str(e))
        except OSError as e:
            _fail(f"{e.filename or 'a log'}: cannot read: {e.strerror}")
    sys.stdout.write(lib.format_result(result, limit=_LIMIT.value))
    sys.exit(1 if result.differs else 0)


if __name__ == "__main__":
    common.run(main, "execlog_diff", flags_parser=_parse_flags)
