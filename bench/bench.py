#!/usr/bin/env python3
"""Kbuild and our build side by side, one config, one command (issue 12 part 2).

    bench/bench.py --arch arm64 --config linux_arm64                      # tiny, everything
    bench/bench.py --arch arm64 --config linux_arm64 --modes thin_dist,thin --steps clean,null,leaf
    bench/bench.py --arch x86_64 --config x86_64_defconfig --workspace examples/x86_64_defconfig \\
        --defconfig                                                       # a kernel_config elsewhere

Prints a table and writes JSON (--json, default bench/out/<config>-<time>.json). Every row
has wall seconds, summed CPU seconds, the peak RSS of the largest process (and its command
line's start: peak_cmd), the actions our
build ran (Bazel's count; by mnemonic from an execution log) and the 1-minute load average
before and after, since this box is shared.

Steps (--steps, in this order; each builds on the state the previous left):
  import       per mode: our Kbuild import (repository fetch) in a fresh output base
  clean        per mode: ours (bazel clean, no disk or remote cache) vs Kbuild (make -jN
               in an empty O= directory with the import's .config, same LLVM, same tree);
               --kbuild_from reuses an earlier run's Kbuild rows (e.g. one more mode of ours);
               with --ours_only every Kbuild row, edits too, and no make runs
  null         first mode: build again, nothing changed
  leaf         first mode: a one-line code edit of a leaf .c file (--leaf)
  hdr_comment  first mode: a comment appended to a widely included header (--header)
  hdr_real     first mode: a declaration added to it (every includer's preprocessed text
               changes; code does not)
  cfg_leaf     first mode: a config symbol few objects read turned on (--cfg_leaf, appended to
               --fragment; Kbuild: to its .config): the import again, then what fixdep-like
               config slices recompile; Kbuild's row counts the .o files make wrote
  cfg_wide     the same with a symbol many objects read (--cfg_wide)
  fresh        first mode: a new output base (the import again, timed apart) and the
               build with the disk cache the steps above filled
  thin_cache   mode thin: the vmlinux.o link alone re-run (its output deleted) with the
               ThinLTO cache (tools/thinlto_cache) cold, warm, and without it
  thin_cache_clean  mode thin: clean builds (compiles included) with the cache cold, warm

The tree both build from is a copy of @linux (or --src), passed to ours as LINUX_SRC;
edits are made to the copy and undone at the end. Kbuild runs with the import's .config
(olddefconfig first, untimed), LLVM=1 and our hermetic toolchain (bench/kbuild_build.sh's
command line), in-process ThinLTO for thin (Kbuild has no distributed mode).
"""

import argparse
import datetime
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
from tools.common import execlog as execlog_json  # noqa: E402
CLK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def load():
    with open("/proc/loadavg") as f:
        return float(f.read().split()[0])


def proc_table():
    """pid -> (ppid, rss bytes, comm) of every process."""
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                s = f.read()
        except OSError:
            continue
        rest = s[s.rfind(")") + 2:].split()
        out[int(pid)] = (int(rest[1]), int(rest[21]) * PAGE, s[s.find("(") + 1:s.rfind(")")])
    return out


def proc_cpu(pid):
    """utime+stime+cutime+cstime of PID in seconds (its own and its reaped children's)."""
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    rest = s[s.rfind(")") + 2:].split()
    return sum(int(x) for x in rest[11:15]) / CLK


def tree_cpu(pid):
    """proc_cpu of PID plus that of every live descendant: Bazel's persistent workers
    (KernelLtoBackend) outlive the build, so their CPU is not yet in the server's cutime."""
    table = proc_table()
    children = {}
    for p, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(p)
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += proc_cpu(p)
        except OSError:
            if p == pid:
                raise
        todo.extend(children.get(p, []))
    return total


def command(pid):
    """The program and first arguments of PID, without directories (no machine paths)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().decode(errors="replace").split("\0")
    except OSError:
        return ""
    return " ".join(os.path.basename(a) if a.startswith("/") else a for a in argv[:4])[:120]


class Sampler:
    """Polls the process tree under ROOT_PID: the largest single RSS seen."""

    def __init__(self, root_pid, interval=0.5):
        self.root, self.interval, self.peak, self.peak_cmd = root_pid, interval, 0, ""
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            table = proc_table()
            kids = {}
            for pid, (ppid, _, _) in table.items():
                kids.setdefault(ppid, []).append(pid)
            # A child with the root's name is a fork of it that has not exec'ed yet (Bazel's
            # JVM spawning an action): its RSS is the server's, not an action's.
            root_comm = table.get(self.root, (0, 0, None))[2]
            todo, seen = [self.root], set()
            while todo:
                p = todo.pop()
                if p in seen:
                    continue
                seen.add(p)
                todo += kids.get(p, [])
            for p in seen - {self.root}:
                _, rss, comm = table.get(p, (0, 0, None))
                if rss > self.peak and comm != root_comm:
                    self.peak, self.peak_cmd = rss, command(p)
            self._stop.wait(self.interval)

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


class Bench:
    def __init__(self, a):
        self.a = a
        self.rows = []
        self.work = a.work or tempfile.mkdtemp(prefix="kbench.", dir="/var/tmp")
        os.makedirs(self.work, exist_ok=True)
        self.ob = os.path.join(self.work, "ob")
        self.dc = os.path.join(self.work, "disk_cache")
        self.log = open(os.path.join(self.work, "log"), "a")
        self.edits = {}  # path -> original bytes
        self.kbuild_dirs = {}
        self.kbuild_rows = {}

    # ---- our build ----------------------------------------------------------------------
    def bazel(self, args, ob=None, check=True):
        cmd = [os.path.join(REPO, "bazel"), f"--output_base={ob or self.ob}", *args]
        self.log.write(f"$ {' '.join(cmd)}\n")
        self.log.flush()
        p = subprocess.run(cmd, cwd=self.a.workspace, stdout=self.log, stderr=subprocess.PIPE, text=True)
        self.log.write(p.stderr)
        if check and p.returncode != 0:
            sys.exit(f"bench: bazel {' '.join(args[:2])} failed (log: {self.log.name}):\n" + p.stderr[-2000:])
        return p

    def flags(self, mode):
        f = [f"--platforms=@rules_kernel_lto//platforms:{self.a.arch}" if self.a.workspace != REPO
             else f"--platforms=//platforms:{self.a.arch}",
             f"--{'@rules_kernel_lto' if self.a.workspace != REPO else ''}//:lto={mode}",
             f"--repo_env=LINUX_SRC={self.src}"]
        return f

    def target(self):
        """What ours builds: what make builds on the Kbuild side (vmlinux, the boot image when
        Kbuild makes one, modules)."""
        image = self.a.arch == "arm64" or self.a.defconfig
        return ([f"@{self.a.config}//:vmlinux"] + ([f"@{self.a.config}//:image"] if image else [])
                + ([f"@{self.a.config}//:modules"] if self.a.modules else []))

    def query(self, args, ob=None):
        """stdout of a bazel query command (info, aquery, cquery)."""
        cmd = [os.path.join(REPO, "bazel"), f"--output_base={ob or self.ob}", *args]
        return subprocess.run(cmd, cwd=self.a.workspace, capture_output=True, text=True).stdout

    def server_pid(self, ob=None):
        return int(self.query(["info", "server_pid"], ob=ob).strip())

    def ours(self, what, mode, extra=(), ob=None, build=True, log=False):
        """Times one `bazel build` (or, build=False, a --nobuild analysis = the import).

        log: write an execution log and count the spawns that ran by mnemonic (Bazel 4.2
        writes every input of every spawn into it: too slow for clean builds)."""
        ob = ob or self.ob
        pid = self.server_pid(ob)
        execlog = os.path.join(self.work, "execlog.json")
        args = ["build", *self.flags(mode), *extra, *self.target()]
        if log:
            args.insert(1, f"--execution_log_json_file={execlog}")
        if not build:
            args.insert(1, "--nobuild")
        l0, c0, t0 = load(), tree_cpu(pid), time.time()
        with Sampler(pid) as s:
            p = self.bazel(args, ob=ob, check=False)
        t1, c1, l1 = time.time(), tree_cpu(pid), load()
        if p.returncode != 0 and "plan_check:" in p.stderr and build:
            # An edit of a file the import read (a header of asm-offsets.c): Kbuild would
            # regenerate; we re-import (bazel sync) and build again, as the error says.
            line = [x for x in p.stderr.splitlines() if "plan_check:" in x][0]
            self.add(dict(what=what + ": stale plan", who="ours", mode=mode, wall=round(t1 - t0, 1),
                          cpu=round(c1 - c0, 1), peak_rss_mb=round(s.peak / 2**20), load=[l0, l1],
                          detail=line.strip()[:200]))
            repo = f"{self.a.config}_{'thin' if mode == 'thin_dist' else mode}"
            l0, c0, t0 = load(), tree_cpu(pid), time.time()
            self.bazel(["sync", f"--only={repo}", *self.flags(mode)[2:]], ob=ob)
            pid = self.server_pid(ob)
            self.add(dict(what=what + ": re-import", who="ours", mode=mode, wall=round(time.time() - t0, 1),
                          cpu=0.0, peak_rss_mb=0, load=[l0, load()]))
            return self.ours(what + ": after re-import", mode, extra, ob, build, log)
        if p.returncode != 0:
            sys.exit(f"bench: bazel build failed (log: {self.log.name}):\n" + p.stderr[-2000:])
        m = re.findall(r"INFO: ([\d,]+) processes?: (.*)", p.stderr)
        ran = m[-1][0].replace(",", "") if m else "0"
        row = dict(what=what, who="ours", mode=mode, wall=round(t1 - t0, 1), cpu=round(c1 - c0, 1),
                   peak_rss_mb=round(s.peak / 2**20), peak_cmd=s.peak_cmd, actions=int(ran), load=[l0, l1],
                   detail=m[-1][1] if m else "")
        if log:
            row["ran"] = self.executed(execlog)
        self.add(row)
        return row

    def executed(self, path):
        """Spawns that really ran (not cache hits), by mnemonic, from the execution log."""
        try:
            log = execlog_json.read(path)
        except FileNotFoundError:
            return {}
        return execlog_json.by_mnemonic(execlog_json.executed(log))

    def graph(self, mode, mnemonic):
        """How many MNEMONIC actions the kernel's graph has."""
        out = self.query(["aquery", *self.flags(mode), f"mnemonic('^{mnemonic}$', deps({self.target()[0]}))",
                          "--output=jsonproto"])
        try:
            return len(json.loads(out).get("actions", []))
        except ValueError:
            return None

    def output(self, mode, target):
        """Absolute path of TARGET's one output file."""
        root = self.query(["info", *self.flags(mode), "execution_root"]).strip()
        rel = self.query(["cquery", *self.flags(mode), target, "--output=starlark",
                          "--starlark:expr=target.files.to_list()[0].path"]).strip()
        return os.path.join(root, rel)

    # ---- Kbuild -------------------------------------------------------------------------
    def make_cmd(self, out, arch):
        ext = os.path.join(self.ob, "external")
        b = os.path.join(ext, "kernel_llvm", "bin")
        return ["make", "-s", "-C", out, "-f", os.path.join(self.src, "Makefile"), f"O={out}", f"ARCH={arch}", "LLVM=1",
                f"CC={b}/clang", f"LD={b}/ld.lld", f"AR={b}/llvm-ar", f"NM={b}/llvm-nm", f"OBJCOPY={b}/llvm-objcopy",
                f"OBJDUMP={b}/llvm-objdump", f"READELF={b}/llvm-readelf", f"STRIP={b}/llvm-strip",
                f"HOSTCC={b}/clang --sysroot={ext}/kernel_sysroot -fuse-ld=lld -Qunused-arguments",
                f"HOSTLD={b}/ld.lld", f"HOSTAR={b}/llvm-ar", "HOSTCXX=false", "HOSTPKG_CONFIG=false",
                "HOSTLDFLAGS=-static -lz -lzstd", "KBUILD_BUILD_TIMESTAMP=Thu Jan  1 00:00:00 UTC 1970",
                "KBUILD_BUILD_USER=kbuild", "KBUILD_BUILD_HOST=kbuild", "KBUILD_BUILD_VERSION=1"]

    def kbuild(self, what, lto, fresh, config_line=None):
        cfg_lto = "thin" if lto == "thin_dist" else lto
        if self.a.ours_only:  # every Kbuild row from --kbuild_from (or none), no make
            row = self.a.reused.get((what, cfg_lto))
            if row:
                self.add(dict(row, mode=lto))
            return row
        if fresh and (what, cfg_lto) in self.kbuild_rows:  # Kbuild has one ThinLTO: measured
            return self.add(dict(self.kbuild_rows[(what, cfg_lto)], mode=lto))
        if fresh and (what, cfg_lto) in self.a.reused:  # --kbuild_from: an earlier run's row
            row = self.kbuild_rows[(what, cfg_lto)] = dict(self.a.reused[(what, cfg_lto)], mode=lto)
            return self.add(row)
        out = self.kbuild_dirs.get(cfg_lto)
        if not fresh and not out:
            sys.exit(f"bench: Kbuild's {what} step needs the tree its clean build left, and --kbuild_from "
                     "reused that row: drop --kbuild_from, or run the edit steps without clean")
        if fresh or not out:
            if out:
                shutil.rmtree(out, ignore_errors=True)
            out = self.kbuild_dirs[cfg_lto] = tempfile.mkdtemp(prefix=f"kbuild-{cfg_lto}.", dir=self.work)
            shutil.copy(os.path.join(self.ob, "external", f"{self.a.config}_{cfg_lto}", "obj", ".config"),
                        os.path.join(out, ".config"))
            self._make(out, ["olddefconfig"])
        if config_line:  # make's syncconfig picks it up, inside the timed build (ours: the import)
            with open(os.path.join(out, ".config"), "a") as f:
                f.write(f"\n{config_line}\n")
        targets = ["vmlinux"] + (["Image"] if self.a.arch == "arm64" else ["bzImage"] if self.a.defconfig else [])
        if self.a.modules:
            targets.append("modules")
        l0, t0 = load(), time.time()
        p = subprocess.Popen(["nice", "-n", str(self.a.nice), *self.make_cmd(out, self.a.arch), f"-j{self.a.jobs}", *targets],
                             env={"PATH": "/usr/bin:/bin", "HOME": out, "LC_ALL": "C"},
                             stdout=self.log, stderr=self.log)
        with Sampler(p.pid) as s:
            _, status, ru = os.wait4(p.pid, 0)
        t1, l1 = time.time(), load()
        if status != 0:
            sys.exit(f"bench: Kbuild {what} failed (log: {self.log.name})")
        row = dict(what=what, who="kbuild", mode=lto, wall=round(t1 - t0, 1),
                   cpu=round(ru.ru_utime + ru.ru_stime, 1),
                   peak_rss_mb=round(max(s.peak, ru.ru_maxrss * 1024) / 2**20), peak_cmd=s.peak_cmd, load=[l0, l1])
        if not fresh:  # what an edit made make write: objects (.o), by modification time
            row["objects_written"] = sum(1 for d, _, ns in os.walk(out) for n in ns
                                         if n.endswith(".o") and os.path.getmtime(os.path.join(d, n)) >= t0)
        self.kbuild_rows[(what, cfg_lto)] = row
        self.add(row)
        return row

    def _make(self, out, targets):
        subprocess.run(self.make_cmd(out, self.a.arch) + targets, env={"PATH": "/usr/bin:/bin", "HOME": out, "LC_ALL": "C"},
                       stdout=self.log, stderr=self.log, check=True)

    # ---- edits ----------------------------------------------------------------------------
    def edit(self, rel, text, root=None):
        path = os.path.join(root or self.src, rel)
        if os.path.islink(path):  # a symlinked tree: edit a private copy of the file
            data = open(path, "rb").read()
            os.unlink(path)
            open(path, "wb").write(data)
        if path not in self.edits:
            self.edits[path] = open(path, "rb").read()
        with open(path, "ab") as f:
            f.write(text.encode())

    def undo(self):
        for path, data in self.edits.items():
            with open(path, "wb") as f:
                f.write(data)

    # ---- table ----------------------------------------------------------------------------
    def add(self, row):
        self.rows.append(row)
        print(self.line(row), flush=True)

    @staticmethod
    def line(r):
        ran = r.get("ran")
        ran = " ".join(f"{k}={v}" for k, v in sorted(ran.items())) if ran else ""
        return (f"{r['what']:<22} {r['who']:<7} {r['mode']:<9} {r['wall']:>8.1f} s {r.get('cpu', 0):>8.1f} s "
                f"{r.get('peak_rss_mb', 0):>6} MB  load {r['load'][0]:.1f}-{r['load'][1]:.1f}  "
                f"{('actions ' + str(r['actions'])) if 'actions' in r else ''} {ran}"
                f"{(str(r['objects_written']) + ' .o written') if 'objects_written' in r else ''}"
                f"{' (reused: ' + r['reused'] + ')' if r.get('reused') else ''}").rstrip()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", required=True, choices=["arm64", "x86_64"])
    ap.add_argument("--config", required=True, help="kernel_config name (linux_arm64: our tiny arm64)")
    ap.add_argument("--workspace", default=REPO, help="workspace that declares it (default: this repo)")
    ap.add_argument("--modes", default="thin_dist,thin,full,none")
    ap.add_argument("--steps", help="default: import,clean,null,leaf,hdr_comment,hdr_real,cfg_leaf,cfg_wide,fresh,"
                    "thin_cache,thin_cache_clean (cfg_* with a --fragment only)")
    ap.add_argument("--src", help="kernel tree to build from (default: a copy of @linux in --work)")
    ap.add_argument("--work", help="directory for output bases, Kbuild trees, logs (default: new in /var/tmp)")
    ap.add_argument("--leaf", default="kernel/exec_domain.c")
    ap.add_argument("--header", default="include/linux/kernel.h")
    ap.add_argument("--fragment", help="config fragment of the kernel_config, relative to --workspace, that the "
                    "cfg_* steps append to (linux_arm64: configs/arm64.config)")
    ap.add_argument("--cfg_leaf", default="CONFIG_PRINTK_TIME=y", help="cfg_leaf: a symbol few objects read")
    ap.add_argument("--cfg_wide", default="CONFIG_HZ_1000=y", help="cfg_wide: a symbol many objects read (CONFIG_HZ: jiffies.h)")
    ap.add_argument("--modules", action="store_true", help="build modules too (both sides)")
    ap.add_argument("--defconfig", action="store_true", help="x86_64: Kbuild also builds bzImage")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--nice", type=int, default=10)
    ap.add_argument("--json")
    ap.add_argument("--kbuild_from", help="JSON of an earlier run of the same config: its Kbuild clean rows "
                    "are reused (marked `reused`) instead of running make again")
    ap.add_argument("--ours_only", action="store_true", help="run no Kbuild step: every Kbuild row (edits too) "
                    "comes from --kbuild_from, if it has one (ours after a change, against an earlier run's Kbuild)")
    a = ap.parse_args()
    if not a.fragment and a.config in ("linux_arm64", "linux_x86_64") and a.workspace == REPO:
        a.fragment = f"configs/{a.arch}.config"  # our tiny kernels: tinyconfig + this
    if not a.steps:
        a.steps = ",".join(["import", "clean", "null", "leaf", "hdr_comment", "hdr_real"]
                           + (["cfg_leaf", "cfg_wide"] if a.fragment else [])
                           + ["fresh", "thin_cache", "thin_cache_clean"])
    a.reused = {}
    if a.kbuild_from:
        with open(a.kbuild_from) as f:
            earlier = json.load(f)
        if earlier.get("config") != a.config or earlier.get("arch") != a.arch:
            sys.exit(f"bench: {a.kbuild_from} is a run of {earlier.get('config')}/{earlier.get('arch')}, "
                     f"not {a.config}/{a.arch}")
        for r in earlier["rows"]:
            if r["who"] == "kbuild" and (r["what"] == "clean" or a.ours_only):
                a.reused[(r["what"], "thin" if r["mode"] == "thin_dist" else r["mode"])] = dict(r, reused=os.path.basename(a.kbuild_from))
    a.workspace = os.path.abspath(os.path.join(REPO, a.workspace))
    modes = a.modes.split(",")
    steps = a.steps.split(",")
    b = Bench(a)
    print(f"bench: work {b.work}, {os.cpu_count()} cpus, load {load():.1f}; {a.config} {a.arch} modes {modes}", flush=True)
    b.src = a.src or os.path.join(b.work, "linux")
    if not os.path.isdir(b.src):
        # @linux of a throwaway output base: the Debian tree, copied so edits stay ours.
        b.bazel(["fetch", "@linux//:all"])
        shutil.copytree(os.path.join(b.ob, "external", "linux"), b.src, symlinks=True,
                        ignore=shutil.ignore_patterns("BUILD.bazel", "WORKSPACE", "WORKSPACE.bazel"))
    first = modes[0]
    dc = [f"--disk_cache={b.dc}", "--remote_cache="]
    nocache = ["--disk_cache=", "--remote_cache="]
    try:
        if "import" in steps:
            for m in modes:
                b.ours("import", m, build=False)
        if "clean" in steps:
            for m in modes:
                b.bazel(["clean"])
                # The first mode fills an empty disk cache for the `fresh` step; the others
                # (and this one without `fresh`) build with none.
                warm_later = m == first and "fresh" in steps
                if warm_later:
                    shutil.rmtree(b.dc, ignore_errors=True)
                b.ours("clean", m, extra=dc if warm_later else nocache)
                b.kbuild("clean", m, fresh=True)
        if "null" in steps:
            if "clean" in steps and len(modes) > 1:
                # The other modes' `bazel clean` removed the first mode's outputs: bring them
                # back (from the disk cache) so that `null` is a null build.
                b.ours("null: restore outputs", first, extra=dc)
            b.ours("null", first, extra=dc, log=True)
            b.kbuild("null", first, fresh=False)
        for step, rel, text in [("leaf", a.leaf, "\nint bench_leaf_edit_{n};\n"),
                                ("hdr_comment", a.header, "\n/* bench {n} */\n"),
                                ("hdr_real", a.header, "\nextern int bench_header_edit_{n};\n")]:
            if step in steps:
                b.edit(rel, text.format(n=len(b.rows)))
                b.ours(step, first, extra=dc, log=True)
                b.kbuild(step, first, fresh=False)
        for step, line in [("cfg_leaf", a.cfg_leaf), ("cfg_wide", a.cfg_wide)]:
            if step in steps:
                if not a.fragment:
                    sys.exit(f"bench: the {step} step appends {line} to a config fragment: name it with --fragment")
                b.edit(a.fragment, f"\n{line}\n", root=a.workspace)
                b.ours(step, first, extra=dc, log=True)  # the changed fragment re-runs the import
                b.kbuild(step, first, fresh=False, config_line=line)
        if first == "thin_dist" and "KernelLtoBackend" in json.dumps(b.rows):
            total = b.graph(first, "KernelLtoBackend")
            for r in b.rows:
                if r["who"] == "ours" and r["mode"] == "thin_dist" and "ran" in r:
                    r["backends"] = f"{r['ran'].get('KernelLtoBackend', 0)} of {total}"
        if "fresh" in steps:
            ob2 = os.path.join(b.work, "ob_fresh")
            b.ours("fresh: import", first, ob=ob2, build=False)
            b.ours("fresh: build", first, extra=dc, ob=ob2)
            b.bazel(["shutdown"], ob=ob2)
        cache = ["--config=thinlto-cache", *nocache]
        if ("thin_cache" in steps or "thin_cache_clean" in steps) and "thin" in modes:
            # The cache root is fixed (tools/thinlto_cache/lib.py DEFAULT_ROOT); this clears it.
            b.bazel(["run", *b.flags("thin"), "//tools:thinlto_cache", "--", "enable"])
        if "thin_cache" in steps and "thin" in modes:
            b.ours("thin_cache: build", "thin", extra=nocache)  # the state to relink from
            vo = b.output("thin", f"@{a.config}//:vmlinux_o")
            for what, clear in [("thin_cache: link, cold", True), ("thin_cache: link, warm", False),
                                ("thin_cache: link, none", None)]:
                if clear:
                    b.bazel(["run", *b.flags("thin"), "//tools:thinlto_cache", "--", "clear"])
                os.unlink(vo)
                b.ours(what, "thin", extra=cache if clear is not None else nocache, log=True)
                if clear is not None:
                    b.rows[-1]["cache_stats"] = json.loads(b.query(
                        ["run", *b.flags("thin"), "//tools:thinlto_cache", "--", "stats", "--json"]).strip().splitlines()[-1])
        if "thin_cache_clean" in steps and "thin" in modes:
            b.bazel(["run", *b.flags("thin"), "//tools:thinlto_cache", "--", "clear"])
            b.bazel(["clean"])
            b.ours("thin_cache: clean, cold", "thin", extra=cache)
            b.bazel(["clean"])
            b.ours("thin_cache: clean, warm", "thin", extra=cache)
    finally:
        b.undo()
        b.bazel(["shutdown"], check=False)
    path = a.json or os.path.join(REPO, "bench", "out",
                                  f"{a.config}-{datetime.datetime.utcnow().strftime('%Y%m%dT%H%M')}.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(dict(config=a.config, arch=a.arch, modes=modes, cpus=os.cpu_count(), rows=b.rows), f, indent=1, sort_keys=True)
    print(f"bench: {path}")
    print(table(b.rows))


def table(rows):
    """Markdown: one line per step and mode, ours next to Kbuild's, and the ratio."""
    out = ["| step | mode | ours wall / CPU / RSS | Kbuild wall / CPU / RSS | ratio | ours ran | load |",
           "|---|---|---|---|---|---|---|"]
    kb = {(r["what"], r["mode"]): r for r in rows if r["who"] == "kbuild"}
    for r in rows:
        if r["who"] != "ours":
            continue
        what = r["what"][:-len(": after re-import")] if r["what"].endswith(": after re-import") else r["what"]
        k = kb.get((what, r["mode"]))
        ran = r.get("backends") and f"backends {r['backends']}; " or ""
        ran += " ".join(f"{m}={n}" for m, n in sorted(r.get("ran", {}).items()))
        out.append(f"| {r['what']} | {r['mode']} | {r['wall']} s / {r['cpu']} s / {r['peak_rss_mb']} MB | "
                   + (f"{k['wall']} s / {k['cpu']} s / {k['peak_rss_mb']} MB"
                      + (f" ({k['objects_written']} .o written)" if "objects_written" in k else "")
                      + f" | {r['wall'] / k['wall']:.2f} |" if k else "- | - |")
                   + f" {ran or r.get('actions', '')} | {r['load'][0]:.1f}-{r['load'][1]:.1f} |")
    return "\n".join(out)


if __name__ == "__main__":
    main()
