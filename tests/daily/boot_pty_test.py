"""`bazel run //:boot` as a person uses it, through a pseudo-terminal.

Runs the boot launcher (kernel_boot) on a pty, waits for the initramfs' busybox shell
prompt, types commands and checks their answers (`uname -r` is the kernel's release,
`uname -m` its machine, the shell computes), then `poweroff -f` (x86_64: `reboot -f`, see OFF): QEMU must exit 0. Fails
if the prompt never comes (--timeout_secs), a module's insmod marker is FAILED, or QEMU
does not exit. The self-tests drive fake boots (a prompt that never comes, a shell that
answers) so the driver itself is known to fail and pass.
"""

import os
import pty
import re
import select
import signal
import sys
import time

from absl import flags
from absl.testing import absltest

_BOOT = flags.DEFINE_string("boot", None, "The kernel_boot launcher (runfiles path).")
_ARCH = flags.DEFINE_enum("arch", None, ["arm64", "x86_64"], "The guest architecture.")
_RELEASE = flags.DEFINE_string("release_re", r"6\.1\.\d+", "Regex `uname -r` must match.")
_TIMEOUT = flags.DEFINE_float("timeout_secs", 240, "How long the prompt may take (TCG).")

PROMPT = "kernel_lto # "
MACHINE = {"arm64": "aarch64", "x86_64": "x86_64"}
# How the guest ends QEMU: arm64 powers off through PSCI; the x86_64 tinyconfig has no ACPI to
# power off with, so it resets, which ends QEMU (-no-reboot).
OFF = {"arm64": "poweroff -f", "x86_64": "reboot -f"}


class PtyError(AssertionError):
    pass


class Session:
    """A program on a pty: read with deadlines, type lines."""

    def __init__(self, argv, env):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            try:
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        self.out = ""

    def _read(self, deadline):
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            ready, _, _ = select.select([self.fd], [], [], min(left, 1.0))
            if ready:
                try:
                    data = os.read(self.fd, 4096)
                except OSError:  # EIO: the child closed the pty
                    return None
                if not data:
                    return None
                self.out += data.decode("utf-8", errors="replace")
                return True

    def expect(self, pattern, timeout, what):
        """Waits for a regex after the current position; returns the text up to it."""
        start = len(self.out)
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = regex.search(self.out, start)
            if m:
                return self.out[start:m.end()]
            got = self._read(deadline)
            if not got:
                tail = self.out[-1500:]
                raise PtyError(f"{what}: {'the program exited' if got is None else f'no {pattern!r} within {timeout:.0f} s'}; "
                               f"last output:\n{tail}")

    def send(self, line):
        os.write(self.fd, (line + "\r").encode())

    def wait(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.pid = 0
                return os.waitstatus_to_exitcode(status)
            self._read(time.monotonic() + 0.2)
        return None

    def close(self):
        """Kills the program if it still runs (the boot launcher execs QEMU: one process)."""
        if self.pid:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            self.pid = 0
        os.close(self.fd)


def drive(argv, env, arch, release_re, timeout):
    """Boots, checks the shell, powers off. Returns the transcript; raises PtyError."""
    s = Session(argv, env)
    try:
        boot = s.expect(re.escape(PROMPT), timeout, "the busybox shell prompt")
        failed = re.findall(r"kernel_lto: insmod \S+ FAILED.*", boot)
        if failed:
            raise PtyError(f"a module did not load: {failed[0].strip()}")
        s.send("uname -r; uname -m; echo sum=$((6*7))")
        answer = s.expect(re.escape(PROMPT), 30, "the answer to `uname -r; uname -m`")
        lines = [l.strip() for l in answer.replace("\r", "").splitlines()]
        if not any(re.fullmatch(release_re, l) for l in lines):
            raise PtyError(f"uname -r: no line matching {release_re!r} in {lines}")
        if MACHINE[arch] not in lines or "sum=42" not in lines:
            raise PtyError(f"uname -m / echo: want {MACHINE[arch]!r} and 'sum=42' in {lines}")
        s.send(OFF[arch])
        status = s.wait(60)
        if status is None:
            raise PtyError(f"{OFF[arch]}: QEMU still running after 60 s")
        if status != 0:
            raise PtyError(f"{OFF[arch]}: the boot exited with status {status}; last output:\n{s.out[-800:]}")
        return s.out
    finally:
        s.close()


def _env():
    """The test's environment; the launcher finds its runfiles through RUNFILES_DIR, as from
    any target's runfiles (under `bazel run` it has its own X.runfiles directory)."""
    env = dict(os.environ)
    env.setdefault("RUNFILES_DIR", os.environ["TEST_SRCDIR"])
    return env


def _fake(tmp, name, body):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body)
    os.chmod(path, 0o755)
    return path


class BootPtyTest(absltest.TestCase):
    def test_boot_shell(self):
        boot = os.path.abspath(_BOOT.value)
        start = time.monotonic()
        out = drive([boot], _env(), _ARCH.value, _RELEASE.value, _TIMEOUT.value)
        with open(os.path.join(os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR", absltest.get_default_test_tmpdir()),
                               "console.log"), "w") as f:
            f.write(out)
        self.assertIn("kernel_lto: init done", out)
        print(f"boot_pty_test: prompt, answers and poweroff in {time.monotonic() - start:.1f} s", file=sys.stderr)

    def test_fails_without_prompt(self):
        tmp = absltest.get_default_test_tmpdir()
        never = _fake(tmp, "never.sh", "echo 'kernel_lto: init done'; sleep 30\n")
        with self.assertRaisesRegex(PtyError, r"^the busybox shell prompt: no .* within 2 s"):
            drive([never], dict(os.environ), "x86_64", r"6\.1\.\d+", 2)
        gone = _fake(tmp, "gone.sh", "echo 'Kernel panic - not syncing'\n")
        with self.assertRaisesRegex(PtyError, r"^the busybox shell prompt: the program exited"):
            drive([gone], dict(os.environ), "x86_64", r"6\.1\.\d+", 10)

    def test_fake_shell_passes_and_wrong_answers_fail(self):
        # A shell with our prompt that fakes uname: the driver passes it, and fails a wrong release.
        tmp = absltest.get_default_test_tmpdir()
        bin_dir = os.path.join(tmp, "bin")
        os.makedirs(bin_dir, exist_ok=True)
        _fake(bin_dir, "uname", 'case "$1" in -r) echo 6.1.99 ;; -m) echo x86_64 ;; esac\n')
        _fake(bin_dir, "reboot", "kill -KILL $PPID\n")  # ends the interactive shell
        env = dict(os.environ, PS1=PROMPT, PATH=bin_dir + ":/bin:/usr/bin")
        shell = _fake(tmp, "shell.sh", "/bin/sh -i; exit 0\n")
        drive([shell], env, "x86_64", r"6\.1\.\d+", 10)
        with self.assertRaisesRegex(PtyError, r"^uname -r: no line matching"):
            drive([shell], env, "x86_64", r"5\.\d+", 10)


if __name__ == "__main__":
    absltest.main()
