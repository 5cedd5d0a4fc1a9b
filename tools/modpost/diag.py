"""Diagnostics as modpost.c prints them: warn(), error(), fatal(), perror(), buf_printf()."""

import os

ENCODING = "latin-1"  # every byte of names and paths round-trips
_BUF_SZ = 500


class Exit(Exception):
    """Stops the run with an exit status (fatal(), perror()+exit(1), usage)."""

    def __init__(self, status):
        super().__init__(status)
        self.status = status


class Log:
    """modpost_log(): WARNING:/ERROR:/FATAL: lines on a binary stream."""

    def __init__(self, stream):
        self.stream = stream
        self.error_occurred = False

    def raw(self, text):
        self.stream.write(text.encode(ENCODING, "replace"))
        self.stream.flush()

    def warn(self, msg):
        self.raw("WARNING: modpost: " + msg)

    def error(self, msg):
        self.raw("ERROR: modpost: " + msg)
        self.error_occurred = True

    def fatal(self, msg):
        self.raw("FATAL: modpost: " + msg)
        raise Exit(1)

    def log(self, is_error, msg):
        if is_error:
            self.error(msg)
        else:
            self.warn(msg)

    def perror(self, path, err):
        """perror(path); exit(1)."""
        self.raw(f"{path}: {os.strerror(err)}\n")
        raise Exit(1)


def buf_printf(log, buf, text):
    """buf_printf(): one formatted chunk, at most 499 bytes."""
    if len(text) >= _BUF_SZ:
        log.fatal(
            f"buf_printf output truncated for string {text[:_BUF_SZ - 1]}: "
            f"{len(text) + 1} bytes needed, {_BUF_SZ} available\n"
        )
    buf.append(text)
