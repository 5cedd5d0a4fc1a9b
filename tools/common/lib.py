"""What every tool main shares: one-line errors and outputs that appear whole or not at all.

An absl main runs as

    from tools.common import lib as common
    ...
    if __name__ == "__main__":
        common.run(main, "initcall_order")

and then every way it can fail is one line on stderr, exit status non-zero:

    initcall_order: usage error: flag --out=None: Flag --out must have a value other than None. (see --help)
    initcall_order: usage error: no objects given (see --help)
    initcall_order: x.a: No such file or directory            (an OSError the main let through)
    initcall_order: error: KeyError: 'x' at tools/initcall_order/lib.py:42 in parse
        (this is a bug, please report it with the command line)   (anything else; one line)

instead of absl's whole module docstring before a usage error, or a Python stack.
Tools that must run on the bare standard library (deb_assemble, relock: before any
wheel exists) use `run_plain` and `ArgumentParser` the same way; this module imports
absl only inside `run`.

`atomic_output(path)` writes to a temporary name in the output's directory and renames
it over PATH only when the `with` block succeeds, so a failed or killed tool leaves
no empty or partial output for Bazel (or a human) to mistake for a result.
"""

import argparse
import contextlib
import os
import sys
import tempfile
import traceback

# Exit statuses: a user's error (bad input, usage) and an error in the tool itself.
EXIT_ERROR = 1
EXIT_BUG = 2

BUG_HINT = "this is a bug, please report it with the command line"

# The flag Bazel starts a persistent worker with (execution requirement supports-workers).
WORKER_FLAG = "--persistent_worker"


def one_line(text):
    """TEXT's non-empty lines joined with ' | ' (a message for one line of stderr)."""
    return " | ".join(line.strip() for line in str(text).splitlines() if line.strip())


def shown_path(filename):
    """A source file's name for a message: from its `tools/` directory on, never absolute."""
    parts = filename.replace(os.sep, "/").split("/")
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] == "tools" and i + 1 < len(parts):
            return "/".join(parts[i:])
    return parts[-1]


def os_error_message(e):
    """'path: No such file or directory' for an OSError, naming its file(s) when it has them."""
    what = e.strerror or one_line(e) or type(e).__name__
    if e.filename is not None and e.filename2 is not None:
        return f"{os.fsdecode(e.filename)} -> {os.fsdecode(e.filename2)}: {what}"
    if e.filename is not None:
        return f"{os.fsdecode(e.filename)}: {what}"
    return what


def bug_message(e):
    """One line for an exception no code expected: its type, message and where it was raised."""
    where = ""
    frames = traceback.extract_tb(e.__traceback__)
    if frames:
        last = frames[-1]
        where = f" at {shown_path(last.filename)}:{last.lineno} in {last.name}"
    msg = one_line(e)
    return f"error: {type(e).__name__}{': ' + msg if msg else ''}{where} ({BUG_HINT})"


def error_line(tool, e):
    """(line, exit status) for an exception that reached the top of TOOL's main."""
    if isinstance(e, OSError):
        return f"{tool}: {one_line(os_error_message(e))}", EXIT_ERROR
    return f"{tool}: {bug_message(e)}", EXIT_BUG


def usage_line(tool, message):
    return f"{tool}: usage error: {one_line(message)} (see --help)"


def _exit(line, status):
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
    # os._exit is not needed: nothing is left to flush but stdout.
    sys.exit(status)


def guarded(tool, main, usage_errors=()):
    """MAIN(argv) with every escaping exception turned into one line on stderr and an exit.

    SystemExit (sys.exit("tool: ...") of a designed error) and KeyboardInterrupt pass.
    Exceptions of the types in USAGE_ERRORS become usage lines.
    """

    def wrapped(*args, **kwargs):
        try:
            return main(*args, **kwargs)
        except (SystemExit, KeyboardInterrupt):
            raise
        except usage_errors as e:
            _exit(usage_line(tool, e), getattr(e, "exitcode", EXIT_ERROR))
        except MemoryError:
            _exit(f"{tool}: error: out of memory", EXIT_ERROR)
        except BaseException as e:  # noqa: BLE001 - the point of this function
            _exit(*error_line(tool, e))

    return wrapped


def run(main, tool, flags_parser=None):
    """absl's app.run(MAIN) with one-line flag errors, usage errors and bug reports.

    Args:
      main: the absl main, main(argv).
      tool: the name errors start with ("thinlto").
      flags_parser: as app.run's (modpost keeps its argv); default: parse absl flags.
    """
    from absl import app, flags  # noqa: PLC0415 - run_plain users have no absl

    def parse(argv):
        try:
            if flags_parser is not None:
                return flags_parser(argv)
            return flags.FLAGS(argv)
        except flags.Error as e:
            _exit(usage_line(tool, e), EXIT_ERROR)
        except UnicodeDecodeError as e:
            files = [a.split("=", 1)[1] for a in argv[1:] if a.startswith("--flagfile=")]
            _exit(usage_line(tool, f"{' '.join(files) or 'a --flagfile'}: not UTF-8 text (byte {e.start}: "
                                   f"{e.reason}); write flags one per line in UTF-8"), EXIT_ERROR)

    if WORKER_FLAG in sys.argv[1:]:
        # A persistent worker (tools/common/worker.py): one main per WorkRequest, flags
        # parsed afresh from each request's arguments.
        from tools.common import worker  # noqa: PLC0415 - only workers need it

        run_main, run_parse = guarded(tool, main, (app.UsageError,)), guarded(tool, parse)
        prog = sys.argv[0]

        def run_one(arguments):
            flags.FLAGS.unparse_flags()
            run_main(run_parse([prog, *arguments]))

        worker.run_requests(run_one)
        return
    app.run(guarded(tool, main, (app.UsageError,)), flags_parser=guarded(tool, parse))


def run_plain(main, tool):
    """MAIN() (a standard-library tool's main) with one-line errors; exits with its result."""
    sys.exit(guarded(tool, main)())


class ArgumentParser(argparse.ArgumentParser):
    """argparse with a one-line usage error (`prog: usage error: ... (see --help)`), exit 1."""

    def error(self, message):
        _exit(usage_line(self.prog, message), EXIT_ERROR)


def _tmp_name(path):
    d, base = os.path.split(path)
    return d or ".", "." + base + "."


@contextlib.contextmanager
def atomic_output(path, mode="wb", **open_kwargs):
    """Opens a temporary file beside PATH for writing; renames it to PATH if the block succeeds.

    On any exception the temporary is removed and PATH is left as it was (absent, for a
    Bazel output). Errors creating the temporary name PATH, not the temporary.
    """
    d, prefix = _tmp_name(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=d)
    except OSError as e:
        raise OSError(e.errno, f"cannot write: {e.strerror}", path) from None
    try:
        with os.fdopen(fd, mode, **open_kwargs) as f:
            yield f
        _chmod_default(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path beside PATH for a subprocess to write; renames it to PATH after.

    The block may check the file before it is renamed; on any exception it is removed.
    """
    d, prefix = _tmp_name(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=d)
        os.close(fd)
    except OSError as e:
        raise OSError(e.errno, f"cannot write: {e.strerror}", path) from None
    try:
        yield tmp
        _chmod_default(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_atomically(path, data):
    """Writes DATA (bytes) to PATH whole or not at all."""
    with atomic_output(path, "wb") as f:
        f.write(data)


def _chmod_default(path):
    """mkstemp makes 0600 files; an output gets what open() would give it (0666 & ~umask)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)
