"""Drives `bazel run ...:menuconfig` through a pty as a user would (kconfig.sh).

    python3 menuconfig_pty.py SYMBOL -- bazel --output_base=... run @edit//:menuconfig

Waits for the menu, searches SYMBOL (`/`), jumps to it (`1`), sets it to y, leaves with
Esc Esc until mconf asks to save, answers Yes, and exits with the command's status.
Prints one line naming the step that timed out, with the screen's last text.
"""

import fcntl
import os
import pty
import re
import select
import struct
import sys
import termios
import time

_ANSI = re.compile(rb"\x1b(\[[0-9;?]*[ -/]*[@-~]|[()][0-9A-Za-z]|[=>78MDEHc])")


class Screen:
    def __init__(self, fd):
        self.fd = fd
        self.text = ""  # everything read, escape sequences removed
        self.mark = 0

    def read(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return True
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            return False
        if not data:
            return False
        self.text += _ANSI.sub(b" ", data).decode("utf-8", "replace")
        return True

    def wait(self, pattern, timeout, step):
        end = time.monotonic() + timeout
        rx = re.compile(pattern)
        while time.monotonic() < end:
            m = rx.search(self.text, self.mark)
            if m:
                self.mark = m.end()
                return
            if not self.read(0.5):
                break
        tail = " ".join(self.text[-400:].split())
        sys.exit(f"menuconfig_pty: {step}: no {pattern!r} after {timeout} s; last screen text: {tail}")

    def send(self, keys, pause=0.7):
        os.write(self.fd, keys)
        end = time.monotonic() + pause
        while time.monotonic() < end:
            if not self.read(0.1):
                break


def main(argv):
    if len(argv) < 4 or argv[2] != "--":
        sys.exit("usage: menuconfig_pty.py SYMBOL -- COMMAND...")
    symbol, cmd = argv[1], argv[3:]
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["TERM"] = "xterm"
        os.execvp(cmd[0], cmd)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    s = Screen(fd)
    # The build and the two configure runs come first (minutes on a busy machine).
    s.wait(r"Kernel\s+Configuration", 900, "the menu")
    s.send(b"", 2)
    s.send(b"/")
    s.wait(r"Search\s+Configuration", 30, "the search dialog")
    s.send(symbol.encode() + b"\r", 1.5)
    s.wait(r"Symbol:\s*" + symbol, 30, "the search result")
    s.send(b"1", 1.5)  # jump to the first result's menu
    s.send(b"y", 1.0)
    for _ in range(8):
        s.send(b"\x1b", 0.3)
        s.send(b"\x1b", 1.5)
        if re.search(r"save\s+your\s+new\s+configuration", s.text[s.mark:]):
            break
    s.wait(r"save\s+your\s+new\s+configuration", 5, "the save question")
    s.send(b"\r", 1.0)  # <Yes>
    while s.read(5):
        pass
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(s.text[-2000:] if os.environ.get("MENUCONFIG_PTY_VERBOSE") else "")
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
