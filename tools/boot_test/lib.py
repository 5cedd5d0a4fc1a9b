"""Boot a kernel in QEMU and check its console: the pure parts and the runner.

The kernel is booted with `initcall_debug ignore_loglevel` on its serial
console, which QEMU's `-nographic` puts on stdout. With CONFIG_KALLSYMS,
Linux 6.1 (init/main.c) prints for every initcall

    calling  <fn>+0x<off>/0x<size> @ <pid>
    initcall <fn>+0x<off>/0x<size> returned <ret> after <n> usecs

(`%pS`; a loadable module's function gets a ` [<module>]` suffix after the
size, and without KALLSYMS `%pS` prints a bare address). `parse_initcalls`
turns the `calling` lines into the ordered list of function names; that list
is the initcall order the kernel really ran, and `diff_initcalls` compares it
with an expected one.

Under CONFIG_LTO_CLANG the initcall table points at a global stub per
initcall (include/linux/init.h, `__initcall_stub`), so the console shows
`__initstub__kmod_<modname>__<counter>_<line>_<fn><level>` instead of `<fn>`;
`Initcall.name` is `<fn>` either way, so LTO and non-LTO sequences compare.

`run_qemu` runs QEMU with a deadline and feeds each console line to a
`Watcher`, which says when to stop: as soon as every expected regex has been
seen (success), or once the kernel has panicked or QEMU has exited (failure).
"""

import dataclasses
import difflib
import os
import queue
import re
import subprocess
import threading
import time
from typing import Callable, Iterable, List, Optional, Sequence, Tuple

DEFAULT_EXPECT = r"Run /bin/sh as init process"

# With an initramfs of kernel_initramfs (tools/initramfs): its init prints one marker line
# per module, then the final one; a boot is over when the final one appears.
DONE_MARKER = r"kernel_lto: init done"
# Lines that fail a boot with an initramfs (checked once it is over).
FAILURE_PATTERNS = (
    r"kernel_lto: insmod \S+ FAILED.*",
    r"\S+: Unknown symbol \S+.*",
)

# CONFIG_MODVERSIONS: a module whose CRC of S disagrees with the kernel's prints the first
# line, then simplify_symbols reports S as unknown with -EINVAL (kernel/module/main.c
# resolve_symbol). That second line is the refusal a test asks for (kernel_initramfs
# `refused`, whose insmod marker says whether it was refused), not a missing symbol.
_DISAGREES_RE = re.compile(r"(\S+): disagrees about version of symbol (\S+)")
_UNKNOWN_AFTER_DISAGREES_RE = re.compile(r"(\S+): Unknown symbol (\S+) \(err -22\)")

# Machine arguments per --arch; -kernel/-initrd/-append are added by qemu_command.
MACHINE_ARGS = {
    "arm64": ["-machine", "virt", "-cpu", "cortex-a57", "-m", "256", "-nographic", "-no-reboot"],
    # -kernel takes vmlinux (PVH entry, CONFIG_PVH) or bzImage.
    "x86_64": ["-m", "256", "-nographic", "-no-reboot"],
}
CONSOLE = {"arm64": "ttyAMA0", "x86_64": "ttyS0"}
BASE_APPEND = "initcall_debug ignore_loglevel panic=-1"

# A printk line may start with a `[    0.123456] ` timestamp (CONFIG_PRINTK_TIME)
# and, on some consoles, a `<7>` level prefix; the message follows.
_PREFIX = r"(?:<\d>)?(?:\[\s*\d+\.\d+\]\s*)?"
_SYM = r"(?P<fn>[^\s+\[\]]+)(?:\+0x[0-9a-f]+/0x[0-9a-f]+)?(?: \[(?P<mod>[^\]\s]+)\])?"
_CALLING_RE = re.compile(_PREFIX + r"calling  " + _SYM + r" @ (?P<pid>\d+)\s*$")
_RETURNED_RE = re.compile(
    _PREFIX + r"initcall " + _SYM + r" returned (?P<ret>-?\d+) after (?P<usecs>-?\d+) usecs\s*$"
)
# __initstub__<modname>__<counter>_<line>_<fn><level>, as in
# scripts/generate_initcall_order.pl (the greedy `.*` takes the shortest level).
_STUB_RE = re.compile(r"^__initstub__(\S*)__(\d+)_(\d+)_(.*)$", re.ASCII)
_STUB_LEVEL_RE = re.compile(r"^(.*)((early|rootfs|con|[0-9])s?)$", re.ASCII)
_PANIC_RE = re.compile(r"Kernel panic - not syncing")
_END_PANIC_RE = re.compile(r"---\[ end Kernel panic")


class BootError(Exception):
    """A failed boot or check. str() is one line; `tail` is console context, if any."""

    def __init__(self, message: str, tail: Sequence[str] = ()):
        super().__init__(message)
        self.tail = list(tail)


@dataclasses.dataclass
class Initcall:
    """One initcall as the console shows it."""

    fn: str
    module: Optional[str] = None
    pid: Optional[int] = None
    ret: Optional[int] = None  # None: no `returned` line (yet).
    usecs: Optional[int] = None

    @property
    def name(self) -> str:
        """The name used in sequences: the function (without an LTO stub's
        decoration), and ` [module]` for a module's initcall."""
        fn = strip_initstub(self.fn)
        return f"{fn} [{self.module}]" if self.module else fn


def strip_initstub(fn: str) -> str:
    """`<fn>` for an LTO initcall stub `__initstub__kmod_<m>__<n>_<line>_<fn><level>`, else `fn`."""
    m = _STUB_RE.match(fn)
    if not m:
        return fn
    m = _STUB_LEVEL_RE.match(m[4])
    return m[1] if m and m[1] else fn


def clean_line(raw: str) -> str:
    """A console line without its line ending (serial lines end in \\r\\n)."""
    return raw.rstrip("\r\n").rstrip("\r")


def parse_initcalls(lines: Iterable[str]) -> List[Initcall]:
    """Initcalls in the order their `calling` lines appear.

    A `returned` line fills in the return value of the latest initcall with the
    same name that has none yet; a `returned` line with no matching `calling`
    line is ignored (the console may start mid-boot).
    """
    calls: List[Initcall] = []
    for line in lines:
        line = clean_line(line)
        m = _CALLING_RE.search(line)
        if m:
            calls.append(Initcall(fn=m["fn"], module=m["mod"], pid=int(m["pid"])))
            continue
        m = _RETURNED_RE.search(line)
        if m:
            for call in reversed(calls):
                if call.fn == m["fn"] and call.module == m["mod"] and call.ret is None:
                    call.ret = int(m["ret"])
                    call.usecs = int(m["usecs"])
                    break
    return calls


def initcall_names(lines: Iterable[str]) -> List[str]:
    """The ordered initcall function names of a console log (built-in and modules')."""
    return [c.name for c in parse_initcalls(lines)]


def builtin_initcall_names(lines: Iterable[str]) -> List[str]:
    """The ordered initcalls of the kernel image: without modules' (`fn [module]`), which
    insmod runs and the goldens of the image do not list."""
    return [c.name for c in parse_initcalls(lines) if not c.module]


def module_initcall_names(lines: Iterable[str]) -> List[str]:
    """The ordered initcalls of loadable modules, `fn [module]`."""
    return [c.name for c in parse_initcalls(lines) if c.module]


def expect_module_markers(names: Iterable[str]) -> List[str]:
    """The regexes of the `insmod <name> ok` markers of modules that must load."""
    return [rf"kernel_lto: insmod {re.escape(n)} ok$" for n in names]


def parse_sequence(text: str) -> List[str]:
    """An initcall sequence file: one name per line; blank lines and `#` comments skipped."""
    names = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(line)
    return names


def format_sequence(names: Sequence[str]) -> str:
    """The text of a sequence file (what parse_sequence reads back)."""
    return "".join(f"{n}\n" for n in names)


_UNIQUE_ID = "__UNIQUE_ID_"


def match_lto_stubs(
    expected: Sequence[str], observed: Sequence[str]
) -> Tuple[List[str], List[str]]:
    """The two sequences with each LTO stub name `__UNIQUE_ID_<hook><N>` that the other
    sequence calls `<hook>` renamed `<hook>`.

    With CONFIG_LTO_CLANG, include/linux/pci.h wraps each PCI fixup hook in a global stub
    named `__UNIQUE_ID_<hook><__COUNTER__>`, and initcall_debug prints the stub; a kernel
    without LTO prints the hook. A hook's own name may end in digits, so the counter is
    found through the other sequence's names (the longest one that fits), never by
    stripping digits: a stub the other side does not name stays as it is.
    """

    def rename(names: Sequence[str], other: Sequence[str]) -> List[str]:
        known = set(other)
        out = []
        for name in names:
            if name.startswith(_UNIQUE_ID) and name not in known:
                rest = name[len(_UNIQUE_ID):]
                end = len(rest)
                while end > 1 and rest[end - 1].isdigit():
                    end -= 1
                    if rest[:end] in known:
                        name = rest[:end]
                        break
            out.append(name)
        return out

    return rename(expected, observed), rename(observed, expected)


def diff_initcalls(
    expected: Sequence[str],
    observed: Sequence[str],
    expected_name: str = "expected",
    observed_name: str = "observed",
    max_lines: int = 40,
    context: int = 2,
) -> Optional[str]:
    """None if the sequences are equal, else the start of a unified diff of them.

    At most `max_lines` diff lines are kept (the first differences); a last
    line says how many were left out.
    """
    if list(expected) == list(observed):
        return None
    lines = list(
        difflib.unified_diff(
            list(expected), list(observed), expected_name, observed_name, n=context, lineterm=""
        )
    )
    if len(lines) > max_lines:
        left = len(lines) - max_lines
        lines = lines[:max_lines] + [f"... ({left} more diff lines)"]
    return "\n".join(lines) + "\n"


def qemu_command(
    qemu: str,
    arch: str,
    kernel: str,
    initrd: Optional[str] = None,
    append_extra: str = "",
    extra_args: Sequence[str] = (),
) -> List[str]:
    """The QEMU command line for `arch` (a key of MACHINE_ARGS)."""
    if arch not in MACHINE_ARGS:
        raise BootError(f"unknown arch {arch!r} (want one of {', '.join(sorted(MACHINE_ARGS))})")
    append = f"console={CONSOLE[arch]} {BASE_APPEND}"
    if append_extra.strip():
        append += " " + append_extra.strip()
    cmd = [qemu, *MACHINE_ARGS[arch], *extra_args, "-kernel", kernel]
    if initrd:
        cmd += ["-initrd", initrd]
    return cmd + ["-append", append]


class Watcher:
    """Follows the console and decides when the boot is over.

    Each line is matched against the expectations first, then against the
    panic marker, so an expectation may match the panic message itself.
    """

    def __init__(self, expects: Sequence[str], done: Optional[str] = None,
                 failures: Sequence[str] = ()):
        """`done`: if given, the boot is over when it matches (not when the expectations
        are met), and the expectations are checked then; `failures`: lines that fail it."""
        self.expects = [re.compile(e) for e in expects]
        self.seen = [False] * len(self.expects)
        self.done = re.compile(done) if done else None
        self.done_seen = False
        self.failure_res = [re.compile(f) for f in failures]
        self.failures: List[str] = []  # Lines that matched a failure pattern.
        self.disagreed: set = set()  # (module, symbol) of "disagrees about version" lines.
        self.panic: Optional[str] = None  # The first panic line.
        self.panic_ended = False
        self.lines: List[str] = []

    @property
    def satisfied(self) -> bool:
        """The boot is over and may have passed (check_boot decides)."""
        if self.done is not None:
            return self.done_seen
        return all(self.seen)

    def missing(self) -> List[str]:
        return [e.pattern for e, s in zip(self.expects, self.seen) if not s]

    def feed(self, raw: str) -> None:
        line = clean_line(raw)
        self.lines.append(line)
        for i, e in enumerate(self.expects):
            if not self.seen[i] and e.search(line):
                self.seen[i] = True
        d = _DISAGREES_RE.search(line)
        if d:
            self.disagreed.add(d.groups())
        u = _UNKNOWN_AFTER_DISAGREES_RE.search(line)
        if not (u and u.groups() in self.disagreed):
            for f in self.failure_res:
                m = f.search(line)
                if m:
                    self.failures.append(m.group(0).strip())
                    break
        if self.done is not None and self.done.search(line):
            self.done_seen = True
        if self.panic is None and _PANIC_RE.search(line):
            self.panic = line.strip()
        if self.panic is not None and _END_PANIC_RE.search(line):
            self.panic_ended = True

    def tail(self, n: int = 20) -> List[str]:
        return self.lines[-n:]


@dataclasses.dataclass
class RunResult:
    """How a QEMU run ended."""

    reason: str  # "satisfied", "panic", "exited" or "timeout".
    exit_code: Optional[int]  # QEMU's, if it exited by itself.
    seconds: float
    stderr: str


def _pump(stream, q: "queue.Queue", tag: str) -> None:
    for raw in iter(stream.readline, b""):
        q.put((tag, raw.decode("utf-8", errors="replace")))
    q.put((tag, None))


def _stop(proc: subprocess.Popen, grace: float = 5.0) -> None:
    """Ends QEMU: SIGTERM (QEMU exits cleanly on it), then SIGKILL after `grace` s."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_qemu(
    cmd: Sequence[str],
    watcher: Watcher,
    timeout_secs: float,
    panic_grace_secs: float = 3.0,
    clock: Callable[[], float] = time.monotonic,
) -> RunResult:
    """Runs `cmd`, feeding its stdout lines to `watcher`, until the boot is over.

    Stops QEMU as soon as the watcher is satisfied. After a panic, reads on for
    up to `panic_grace_secs` (QEMU normally exits by itself: panic=-1 reboots,
    -no-reboot turns that into an exit) so the log holds the whole panic.
    """
    start = clock()
    try:
        proc = subprocess.Popen(
            list(cmd), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
    except OSError as e:
        raise BootError(f"cannot run {cmd[0]}: {e.strerror}")
    q: "queue.Queue" = queue.Queue()
    pumps = [
        threading.Thread(target=_pump, args=(proc.stdout, q, "out"), daemon=True),
        threading.Thread(target=_pump, args=(proc.stderr, q, "err"), daemon=True),
    ]
    for t in pumps:
        t.start()
    stderr: List[str] = []
    open_streams = 2
    deadline = start + timeout_secs
    reason = None
    panic_at = 0.0
    try:
        while open_streams:
            limit = deadline
            if watcher.panic is not None:
                limit = min(limit, panic_at + panic_grace_secs)
                if watcher.panic_ended:
                    limit = min(limit, clock() + 0.5)  # Catch QEMU's exit, not more.
            left = limit - clock()
            if left <= 0:
                reason = "panic" if watcher.panic is not None else "timeout"
                break
            try:
                tag, text = q.get(timeout=left)
            except queue.Empty:
                continue
            if text is None:
                open_streams -= 1
                continue
            if tag == "err":
                stderr.append(text)
                continue
            had_panic = watcher.panic is not None
            watcher.feed(text)
            if watcher.satisfied:
                reason = "satisfied"
                break
            if not had_panic and watcher.panic is not None:
                panic_at = clock()
        if not open_streams:
            # Both streams closed: QEMU is exiting by itself; reap it.
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
    finally:
        _stop(proc)
        # QEMU is gone, so its pipes reach EOF and the pumps end. (Closing the
        # pipes under a reading thread could make that thread print an error.)
        for t, stream in zip(pumps, (proc.stdout, proc.stderr)):
            t.join(timeout=2)
            if not t.is_alive():
                stream.close()
    if reason is None:
        reason = "panic" if watcher.panic is not None else "exited"
        exit_code = proc.returncode
    else:
        exit_code = None
    return RunResult(reason, exit_code, clock() - start, "".join(stderr))


def check_boot(result: RunResult, watcher: Watcher, timeout_secs: float) -> None:
    """Raises BootError unless the run met every expectation."""
    missing = ", ".join(repr(m) for m in watcher.missing())
    tail = watcher.tail()
    if result.reason == "satisfied":
        if watcher.failures:
            more = f" (and {len(watcher.failures) - 1} more)" if len(watcher.failures) > 1 else ""
            raise BootError(f"init reached its end, but: {watcher.failures[0]}{more}", tail)
        if watcher.missing():
            raise BootError(f"init reached its end without: {missing}", tail)
        return
    if watcher.done is not None:
        missing = ", ".join(repr(m) for m in [watcher.done.pattern] + watcher.missing())
    if result.reason == "timeout":
        raise BootError(f"timed out after {timeout_secs:g} s; not seen: {missing}", tail)
    if result.reason == "panic":
        raise BootError(f"kernel panicked before {missing} was seen: {watcher.panic}", tail)
    err = result.stderr.strip().splitlines()
    detail = f": {err[0]}" if err else ""
    raise BootError(
        f"qemu exited with status {result.exit_code} before {missing} was seen{detail}", tail
    )


def default_serial_log(env=os.environ) -> Optional[str]:
    """$TEST_UNDECLARED_OUTPUTS_DIR/serial.log under `bazel test`, else None."""
    d = env.get("TEST_UNDECLARED_OUTPUTS_DIR")
    return os.path.join(d, "serial.log") if d else None
