#!/usr/bin/env python3
"""Config toggles, ours against Kbuild: what each recompiles (issue 16 part 1, manual).

    tests/config_slice/toggle_diff.py                          # arm64 tiny, thin_dist, 4 toggles
    tests/config_slice/toggle_diff.py --toggles CONFIG_PRINTK_TIME=y --work /var/tmp/tdiff

In a work directory (--work, default a new one in /var/tmp; a second run with the same
--work reuses its trees and builds): a copy of this workspace (the toggles are appended to
its --fragment, never to the checkout's), a copy of the kernel tree (--src, default @linux
fetched as bench/bench.py does; passed as LINUX_SRC), our output base and Kbuild's O=
directory. Both build once (ours: vmlinux, image, modules in --mode; Kbuild: `make LLVM=1
-j2 vmlinux Image modules` with our import's .config, our hermetic LLVM, the same tree:
tests/kbuild_make.sh's command line). Then, per toggle (a fragment line, e.g.
CONFIG_HZ_1000=y):

  ours    the line appended to the fragment; the build (the import runs again) with an
          execution log: every compile spawn (KernelCompile, KernelVdsoCompile, ...; run or
          a cache hit, it had a new key) is an object we recompile
  Kbuild  the import's new .config copied into O=, `make olddefconfig`, `make V=1`: every
          clang -c (or -E of a .lds) it ran; link-stage compiles (kallsyms .S,
          .vmlinux.export.c, *.mod.c, version-timestamp.c) listed apart
  revert  the fragment restored and ours built again (counted); O= restored from a copy
          of its state after the first build (mtimes kept: make sees the old state)

and a table per toggle: Kbuild's set, ours, missing (Kbuild recompiled it, we did not: a
stale object, the run fails) and extra (we recompiled it, Kbuild did not: why, when the plan
says), KernelLtoBackend spawns of all. JSON of everything: --json (default <work>/toggle_diff.json).
Exits 1 on any missing object.
"""

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, REPO)
from tools.common import execlog  # noqa: E402

DEFAULT_TOGGLES = ["CONFIG_PRINTK_TIME=y", "CONFIG_HZ_1000=y", "CONFIG_LOG_BUF_SHIFT=16", "CONFIG_WATCHDOG_NOWAYOUT=y"]

# Spawns whose outputs are compiled objects (or preprocessed linker scripts), as Kbuild's
# CC/AS/LDS lines are.
COMPILE_MNEMONICS = ("KernelCompile", "KernelVdsoCompile", "KernelRealmodeCompile", "KernelBootCompile")

_OUT_SUFFIXES = (".o", ".lds")


# ---- pure functions (toggle_diff_test.py) ---------------------------------------------------
def tree_path(path, top):
    """The kernel-tree path of an output of ours: what follows bin/external/<repo>/<target>/,
    from the first component that is a top-level directory of the tree (`top`), or None."""
    parts = path.split("/")
    try:
        i = parts.index("external", parts.index("bin")) + 3
    except ValueError:
        return None
    for j in range(i, len(parts) - 1):
        if parts[j] in top:
            return "/".join(parts[j:])
    return None


def ours_recompiled(spawns, top):
    """{"compiled": {tree path: mnemonic}, "unmapped": [paths], "counts": {mnemonic: n},
    "cache_hits": n} of an execution log's spawns."""
    compiled, unmapped, counts, hits = {}, [], {}, 0
    for s in spawns:
        m = s.get("mnemonic", "?")
        counts[m] = counts.get(m, 0) + 1
        hits += bool(s.get("remoteCacheHit"))
        if m not in COMPILE_MNEMONICS:
            continue
        for p in s.get("listedOutputs", []):
            if not p.endswith(_OUT_SUFFIXES):
                continue
            t = tree_path(p, top)
            if t is None:
                unmapped.append(p)
            else:
                compiled[t] = m
    return dict(compiled=compiled, unmapped=sorted(unmapped), counts=counts, cache_hits=hits)


def _segments(line):
    """The simple commands of a shell line (split at ; && || |), as argv lists."""
    for seg in re.split(r";|&&|\|\||\|", line):
        try:
            argv = shlex.split(seg)
        except ValueError:
            continue
        if argv[:1] == ["+"]:  # link-vmlinux.sh's `set -x` (V=1): the kallsyms .S compiles
            argv = argv[1:]
        if argv:
            yield argv


def kbuild_compiles(log):
    """The outputs (O=-relative) of the clang compiles in a `make V=1` log: `-c -o X` and
    `-E ... -o X.lds`."""
    out = set()
    for line in log.splitlines():
        if "clang" not in line or "-o" not in line:
            continue
        for argv in _segments(line):
            if os.path.basename(argv[0]) != "clang" or "-o" not in argv:
                continue
            i = argv.index("-o")
            if i + 1 >= len(argv):
                continue
            o = argv[i + 1]
            if "-c" in argv or ("-E" in argv and o.endswith(".lds")):
                out.add(os.path.normpath(o))
    return out


def is_link_stage(path):
    """A compile Kbuild runs while linking vmlinux or modules: the kallsyms .S,
    .vmlinux.export.c, *.mod.c (ours: inside KernelVmlinux and the module actions, with the
    whole autoconf.h). init/version-timestamp.o is not: ours compiles it as an object."""
    base = os.path.basename(path)
    return base.startswith(".tmp_") or base.startswith(".vmlinux") or base.endswith(".mod.o")


def config_values(text):
    """{SYMBOL: value} of a .config ("n" for `# CONFIG_X is not set`)."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"CONFIG_([A-Za-z0-9_]+)=(.*)$", line)
        if m:
            out[m.group(1)] = m.group(2)
            continue
        m = re.match(r"# CONFIG_([A-Za-z0-9_]+) is not set$", line)
        if m:
            out[m.group(1)] = "n"
    return out


def changed_symbols(before, after):
    """Symbols whose value differs between two .config texts (absent counts as n)."""
    a, b = config_values(before), config_values(after)
    return sorted(s for s in set(a) | set(b) if a.get(s, "n") != b.get(s, "n"))


def expand(table, node):
    """The symbols of a node of the plan's interned config table (-1: none)."""
    out = []
    while node is not None and node >= 0:
        parent, indices = table["nodes"][node]
        out += [table["paths"][i] for i in indices]
        node = parent
    return out


def footprints(bplan):
    """{tree path of an entry's output: set of symbols, or None (no footprint: the whole
    autoconf.h)} of plan_bazel.json's objects and linker scripts."""
    table = bplan.get("interned", {}).get("config")
    out = {}
    for e in _plan_entries(bplan):
        if "out" not in e:
            continue
        out[e["out"]] = set(expand(table, e["config"])) if table and "config" in e else None
    return out


def _plan_entries(bplan):
    for key in ("objects", "modules"):
        v = bplan.get(key)
        if isinstance(v, list):
            yield from (e for e in v if isinstance(e, dict))
        elif isinstance(v, dict):
            for x in v.values():
                if isinstance(x, dict) and "out" in x:
                    yield x
                elif isinstance(x, list):
                    yield from (e for e in x if isinstance(e, dict))
                elif isinstance(x, dict):
                    for y in x.values():
                        if isinstance(y, list):
                            yield from (e for e in y if isinstance(e, dict))


def extra_reason(path, changed, fp, fixdep):
    """Why ours recompiled PATH when Kbuild did not.

    changed: the symbols the toggle changed; fp: its footprint (set, None: whole autoconf.h,
    "absent": no plan entry); fixdep: the symbols of Kbuild's .cmd for it (set) or None."""
    if fp == "absent":
        if path.endswith(".mod.o"):
            return "a module's .mod.c compile: its slice (scanned at build time) holds a changed symbol"
        if "/vdso" in path:
            return "a vDSO step: its slice (scanned at build time) holds a changed symbol"
        return "no plan entry (a step's output?)"
    if fp is None:
        return ("no config footprint (it reads a file a build step makes, which the import could not "
                "scan): its slice, scanned at build time, holds a changed symbol")
    hit = sorted(set(changed) & fp)
    if not hit:
        return "its slice has none of the changed symbols: the key changed otherwise"
    why = "footprint has " + ", ".join("CONFIG_" + s for s in hit[:3])
    if fixdep is not None:
        both = sorted(set(hit) & fixdep)
        why += ("; Kbuild's .cmd has " + ", ".join("CONFIG_" + s for s in both[:3]) + " too"
                if both else "; Kbuild's fixdep lacks it (our scan is a superset)")
    return why


def compare(kbuild, ours):
    """(missing, extra): what Kbuild recompiled and we did not, and the reverse (sorted)."""
    return sorted(set(kbuild) - set(ours)), sorted(set(ours) - set(kbuild))


def table(rows):
    """Markdown, one line per toggle."""
    out = ["| toggle | changed symbols | Kbuild compiled (+link-stage) | ours compiled | missing | extra | "
           "backends re-run | ours wall / revert | Kbuild wall |", "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        out.append("| {} | {} | {} (+{}) | {} | {} | {} | {} | {} s / {} s | {} s |".format(
            r["toggle"], " ".join(r["changed"][:6]) + (" ..." if len(r["changed"]) > 6 else ""),
            len(r["kbuild"]), len(r["kbuild_link"]), len(r["ours"]),
            ", ".join(r["missing"]) or "-", len(r["extra"]), r["backends"], r["ours_wall"], r["revert_wall"],
            r["kbuild_wall"]))
    return "\n".join(out)


def details(r):
    lines = [f"{r['toggle']}:", "  Kbuild: " + " ".join(r["kbuild"]),
             "  Kbuild link-stage: " + " ".join(r["kbuild_link"]),
             "  ours: " + " ".join(f"{p} ({m})" for p, m in sorted(r["ours_by"].items())),
             "  ours ran: " + " ".join(f"{k}={v}" for k, v in sorted(r["ours_counts"].items())),
             "  revert ran: " + " ".join(f"{k}={v}" for k, v in sorted(r["revert_counts"].items()))]
    for p in r["missing"]:
        lines.append(f"  MISSING {p}")
    for p, why in r["extra_why"].items():
        lines.append(f"  extra {p}: {why}")
    return "\n".join(lines)


# ---- the run ------------------------------------------------------------------------------
class Run:
    def __init__(self, a):
        self.a = a
        self.work = a.work
        self.ws = os.path.join(self.work, "ws")
        self.ob = os.path.join(self.work, "ob")
        self.src = a.src_copy
        self.kb = os.path.join(self.work, "kbuild")
        self.kb_base = os.path.join(self.work, "kbuild.base")
        self.log = open(os.path.join(self.work, "log"), "a")
        self.repo = f"{a.config}_{'thin' if a.mode == 'thin_dist' else a.mode}"

    def say(self, msg):
        print(f"toggle_diff: {msg}", flush=True)
        self.log.write(msg + "\n")
        self.log.flush()

    def bazel(self, args, execlog=None, capture=False):
        cmd = ["nice", "-n", str(self.a.nice), os.path.join(self.ws, "bazel"), f"--output_base={self.ob}", *args]
        if execlog:
            cmd.insert(6, f"--execution_log_json_file={execlog}")
        self.log.write("$ " + " ".join(cmd) + "\n")
        self.log.flush()
        p = subprocess.run(cmd, cwd=self.ws, stdout=subprocess.PIPE if capture else self.log,
                           stderr=self.log, text=True)
        if p.returncode != 0:
            sys.exit(f"toggle_diff: bazel {args[0]} failed (log: {self.log.name})")
        return p.stdout

    def flags(self):
        return [f"--platforms=//platforms:{self.a.arch}", f"--//:lto={self.a.mode}",
                f"--repo_env=LINUX_SRC={self.src}"]

    def targets(self):
        t = [f"@{self.a.config}//:vmlinux", f"@{self.a.config}//:image"]
        return t + ([f"@{self.a.config}//:modules"] if self.a.modules else [])

    def build(self, execlog=None):
        t0 = time.time()
        self.bazel(["build", *self.flags(), *self.targets()], execlog=execlog)
        return round(time.time() - t0, 1)

    def import_file(self, name):
        return os.path.join(self.ob, "external", self.repo, name)

    # ---- Kbuild ----
    def make_cmd(self):
        ext = os.path.join(self.ob, "external")
        b = os.path.join(ext, "kernel_llvm", "bin")
        # tests/kbuild_make.sh's command line (no -s: V=1 prints every command).
        return ["nice", "-n", str(self.a.nice), "make", "-C", self.kb, "-f", os.path.join(self.src, "Makefile"),
                f"O={self.kb}", f"ARCH={self.a.arch}", "LLVM=1",
                f"CC={b}/clang", f"LD={b}/ld.lld", f"AR={b}/llvm-ar", f"NM={b}/llvm-nm", f"OBJCOPY={b}/llvm-objcopy",
                f"OBJDUMP={b}/llvm-objdump", f"READELF={b}/llvm-readelf", f"STRIP={b}/llvm-strip",
                f"HOSTCC={b}/clang --sysroot={ext}/kernel_sysroot -fuse-ld=lld -Qunused-arguments",
                f"HOSTLD={b}/ld.lld", f"HOSTAR={b}/llvm-ar", "HOSTCXX=false", "HOSTPKG_CONFIG=false",
                "HOSTLDFLAGS=-static -lz -lzstd", "KBUILD_BUILD_TIMESTAMP=Thu Jan  1 00:00:00 UTC 1970",
                "KBUILD_BUILD_USER=kbuild", "KBUILD_BUILD_HOST=kbuild", "KBUILD_BUILD_VERSION=1"]

    def make(self, args, out):
        env = {"PATH": "/usr/bin:/bin", "HOME": self.kb, "LC_ALL": "C", "TZ": "UTC"}
        t0 = time.time()
        with open(out, "w") as f:
            p = subprocess.run(self.make_cmd() + args, env=env, stdout=f, stderr=subprocess.STDOUT)
        if p.returncode != 0:
            sys.exit(f"toggle_diff: make {' '.join(args)} failed (log: {out})")
        return round(time.time() - t0, 1)

    def kbuild_targets(self):
        return ["vmlinux"] + (["Image"] if self.a.arch == "arm64" else []) + (["modules"] if self.a.modules else [])

    def kbuild_config(self):
        shutil.copy(self.import_file("obj/.config"), os.path.join(self.kb, ".config"))
        self.make(["olddefconfig"], os.path.join(self.work, "kbuild-olddefconfig.log"))

    def kbuild_baseline(self):
        if os.path.isdir(self.kb_base):
            self.restore_kbuild()
            return
        os.makedirs(self.kb, exist_ok=True)
        self.kbuild_config()
        wall = self.make([f"-j{self.a.jobs}", *self.kbuild_targets()], os.path.join(self.work, "kbuild-base.log"))
        self.say(f"Kbuild baseline {wall} s")
        subprocess.run(["cp", "-a", self.kb, self.kb_base], check=True)

    def restore_kbuild(self):
        shutil.rmtree(self.kb)
        subprocess.run(["cp", "-a", self.kb_base, self.kb], check=True)

    def fixdep_symbols(self, path):
        """The include/config/<S> of Kbuild's .cmd of PATH (None: no .cmd)."""
        cmd = os.path.join(self.kb, os.path.dirname(path), "." + os.path.basename(path) + ".cmd")
        try:
            with open(cmd) as f:
                return set(re.findall(r"include/config/([A-Za-z0-9_]+)", f.read()))
        except OSError:
            return None

    # ---- one toggle ----
    def toggle(self, line, top, total):
        frag = os.path.join(self.ws, self.a.fragment)
        with open(frag) as f:
            original = f.read()
        before = open(self.import_file("obj/.config")).read()
        execlog_path = os.path.join(self.work, "execlog.json")
        try:
            with open(frag, "a") as f:
                f.write(f"\n{line}\n")
            self.say(f"{line}: ours")
            ours_wall = self.build(execlog_path)
            ours = ours_recompiled(execlog.read(execlog_path), top)
            after = open(self.import_file("obj/.config")).read()
            sym, _, val = line.partition("=")
            if config_values(after).get(sym[len("CONFIG_"):]) != val:
                sys.exit(f"toggle_diff: {line}: the import's .config does not have it")
            bplan = json.load(open(self.import_file("plan_bazel.json")))
            self.say(f"{line}: Kbuild")
            self.kbuild_config()
            kb_log = os.path.join(self.work, f"kbuild-{sym}.log")
            kb_wall = self.make(["V=1", f"-j{self.a.jobs}", *self.kbuild_targets()], kb_log)
            kb_all = kbuild_compiles(open(kb_log).read())
            changed = changed_symbols(before, after)
            fixdep = {p: self.fixdep_symbols(p) for p in ours["compiled"]}
        finally:
            with open(frag, "w") as f:
                f.write(original)
        self.say(f"{line}: revert")
        revert_wall = self.build(execlog_path)
        revert = ours_recompiled(execlog.read(execlog_path), top)
        self.restore_kbuild()
        kb_link = sorted(p for p in kb_all if is_link_stage(p))
        kb_obj = sorted(p for p in kb_all if not is_link_stage(p))
        # Missing: an object Kbuild compiled and we did not. Extra: one we compiled and Kbuild
        # did not, link-stage compiles included (HZ: Kbuild redoes the *.mod.o too).
        missing, _ = compare(kb_obj, ours["compiled"])
        _, extra = compare(kb_all, ours["compiled"])
        fps = footprints(bplan)
        return dict(toggle=line, changed=changed, kbuild=kb_obj, kbuild_link=kb_link, ours=sorted(ours["compiled"]),
                    ours_by=ours["compiled"], unmapped=ours["unmapped"], missing=missing, extra=extra,
                    extra_why={p: extra_reason(p, changed, fps.get(p, "absent"), fixdep.get(p)) for p in extra},
                    ours_counts=ours["counts"], cache_hits=ours["cache_hits"], revert_counts=revert["counts"],
                    revert_compiled=sorted(revert["compiled"]),
                    backends=f"{ours['counts'].get('KernelLtoBackend', 0)} of {total}",
                    ours_wall=ours_wall, revert_wall=revert_wall, kbuild_wall=kb_wall)

    def backends_total(self):
        out = self.bazel(["aquery", *self.flags(), f"mnemonic('^KernelLtoBackend$', deps({self.targets()[0]}))",
                          "--output=jsonproto"], capture=True)
        try:
            return len(json.loads(out).get("actions", []))
        except ValueError:
            return None


def copy_workspace(src, dst):
    """The tracked files of a checkout (its working-tree bytes) and its user.bazelrc."""
    files = subprocess.run(["git", "-C", src, "ls-files", "-z"], capture_output=True, check=True).stdout
    for rel in files.decode().split("\0"):
        if rel and os.path.lexists(os.path.join(src, rel)):
            os.makedirs(os.path.dirname(os.path.join(dst, rel)), exist_ok=True)
            shutil.copy2(os.path.join(src, rel), os.path.join(dst, rel), follow_symlinks=False)
    if os.path.exists(os.path.join(src, "user.bazelrc")):
        shutil.copy2(os.path.join(src, "user.bazelrc"), os.path.join(dst, "user.bazelrc"))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", default="arm64", choices=["arm64", "x86_64"])
    ap.add_argument("--config", default="linux_arm64", help="kernel_config repository (our tiny kernels)")
    ap.add_argument("--fragment", help="fragment the toggles go to (default configs/<arch>.config)")
    ap.add_argument("--mode", default="thin_dist", help="our LTO mode (Kbuild: the import's .config)")
    ap.add_argument("--toggles", default=",".join(DEFAULT_TOGGLES), help="comma-separated fragment lines")
    ap.add_argument("--work", help="work directory (reused when it exists)")
    ap.add_argument("--workspace", default=REPO, help="checkout whose tracked files are copied (once)")
    ap.add_argument("--src", help="kernel tree to copy (once; default: @linux, fetched)")
    ap.add_argument("--no_modules", dest="modules", action="store_false", help="vmlinux and Image only")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--nice", type=int, default=10)
    ap.add_argument("--json")
    a = ap.parse_args()
    a.fragment = a.fragment or f"configs/{a.arch}.config"
    a.work = os.path.abspath(a.work or tempfile.mkdtemp(prefix="toggle_diff.", dir="/var/tmp"))
    os.makedirs(a.work, exist_ok=True)
    a.src_copy = os.path.join(a.work, "linux")
    r = Run(a)
    t_start = time.time()
    if not os.path.isdir(r.ws):
        copy_workspace(a.workspace, r.ws)
    if not os.path.isdir(a.src_copy):
        if a.src:
            subprocess.run(["cp", "-a", a.src, a.src_copy], check=True)
        else:  # bench.py's way: @linux of our output base, copied
            r.bazel(["fetch", "@linux//:all"])
            shutil.copytree(os.path.join(r.ob, "external", "linux"), a.src_copy, symlinks=True,
                            ignore=shutil.ignore_patterns("BUILD.bazel", "WORKSPACE", "WORKSPACE.bazel"))
    top = set(os.listdir(a.src_copy))
    r.say(f"work {a.work}: ours baseline")
    r.say(f"ours baseline {r.build()} s")
    r.kbuild_baseline()
    total = r.backends_total()
    rows = []
    for line in a.toggles.split(","):
        rows.append(r.toggle(line.strip(), top, total))
        print(details(rows[-1]), flush=True)
    path = a.json or os.path.join(a.work, "toggle_diff.json")
    with open(path, "w") as f:
        json.dump(dict(arch=a.arch, config=a.config, mode=a.mode, rows=rows,
                       wall=round(time.time() - t_start)), f, indent=1, sort_keys=True)
    print(table(rows))
    print(f"toggle_diff: {path}; {round(time.time() - t_start)} s")
    bad = [r_["toggle"] for r_ in rows if r_["missing"]]
    if bad:
        sys.exit(f"toggle_diff: UNSOUND: Kbuild recompiled objects we did not for {', '.join(bad)}")


if __name__ == "__main__":
    main()
