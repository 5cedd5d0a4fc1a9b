#!/usr/bin/env python3
"""A config variant after its base: what it shares, what it costs (issue 16 part 3).

    bench/variants.py --workspace examples/x86_64_defconfig --base my_kernel --variant debug \\
        --arch x86_64 --src /path/to/linux [--base_disk_cache DIR] [--modes thin_dist,none]

In a fresh output base, per mode: the base's import and build (from --base_disk_cache when
given, e.g. the one bench.py filled, else a clean build), then the variant's import
(kernel_config variants: its own Kconfig and dry run) and its build with no cache, and
optionally (--check TARGET) the variant's share check (a kernel_objects_group of its
objects' share_check_sample, tests/variants/defs.bzl: it compiles the objects it took from
the base itself and compares the bytes).
Prints one JSON row per step: wall seconds, the actions that ran by mnemonic (execution
log), and for the variant's build the objects it compiled and took from the base.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)
from tools.common import execlog as execlog_json  # noqa: E402


def executed(path):
    """Spawns that ran (not cache hits) by mnemonic, and the KernelCompile outputs."""
    ran = execlog_json.executed(execlog_json.read(path))
    compiled = [p for s in ran if s.get("mnemonic") == "KernelCompile" for p in execlog_json.outputs(s)]
    return execlog_json.by_mnemonic(ran), compiled


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workspace", required=True)
    ap.add_argument("--base", required=True, help="the kernel_config's name")
    ap.add_argument("--variant", required=True, help="the variants' names, comma-separated (hubs <base>_<variant>)")
    ap.add_argument("--arch", required=True)
    ap.add_argument("--src", help="LINUX_SRC (default: @linux)")
    ap.add_argument("--modes", default="thin_dist")
    ap.add_argument("--base_disk_cache", help="build the base from this disk cache (else clean, no cache)")
    ap.add_argument("--check", help="also build this target, {} the variant: its share check (e.g. '//:{}_share_check_sample')")
    ap.add_argument("--json", help="where to write the rows (default bench/out/variants-<base>-<time>.json)")
    a = ap.parse_args()
    ws = os.path.abspath(a.workspace)
    work = tempfile.mkdtemp(prefix="kvariants-", dir="/var/tmp")
    ob = os.path.join(work, "ob")
    rows = []
    bazel = [os.path.join(REPO, "bazel"), f"--output_base={ob}"]
    env_flags = [f"--repo_env=LINUX_SRC={a.src}"] if a.src else []

    def run(what, mode, args, log=False):
        execlog = os.path.join(work, "execlog.json")
        if os.path.exists(execlog):
            os.unlink(execlog)
        cmd = bazel + [args[0], f"--platforms=@rules_kernel_lto//platforms:{a.arch}",
                       f"--@rules_kernel_lto//:lto={mode}", *env_flags, *args[1:]]
        if log:
            cmd.insert(len(bazel) + 1, f"--execution_log_json_file={execlog}")
        t0 = time.monotonic()
        p = subprocess.run(cmd, cwd=ws, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        row = {"what": what, "mode": mode, "wall": round(time.monotonic() - t0, 1), "load": os.getloadavg()[0]}
        if p.returncode != 0:
            sys.stdout.write(p.stdout[-4000:])
            sys.exit(f"variants: {what} failed (exit {p.returncode})")
        if log:
            row["ran"], compiled = executed(execlog)
            row["compiled"] = len(compiled)
        rows.append(row)
        print(json.dumps(row, sort_keys=True), flush=True)
        return row

    base = f"@{a.base}//:vmlinux"
    try:
        for mode in a.modes.split(","):
            run("base: import", mode, ["build", "--nobuild", base])
            cache = [f"--disk_cache={a.base_disk_cache}"] if a.base_disk_cache else ["--disk_cache="]
            run("base: build" + (" (disk cache)" if a.base_disk_cache else ""), mode, ["build", *cache, base], log=True)
            for v in a.variant.split(","):
                variant = f"@{a.base}_{v}//:vmlinux"
                run(f"{v}: import", mode, ["build", "--nobuild", variant])
                row = run(f"{v}: build", mode, ["build", "--disk_cache=", variant], log=True)
                choice = "none" if mode == "none" else ("full" if mode == "full" else "thin")
                objects = f"@{a.base}_{v}_{choice}//:objects"
                total = subprocess.run(bazel + ["aquery", f"--platforms=@rules_kernel_lto//platforms:{a.arch}", *env_flags,
                                                f"mnemonic('^(KernelCompile|KernelShareCheck)$', {objects})", "--output=jsonproto"],
                                       cwd=ws, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
                try:
                    actions = json.loads(total).get("actions", [])
                    checks = len([x for x in actions if x.get("mnemonic") == "KernelShareCheck"])
                    row["compiles_declared"] = len(actions) - checks
                    row["shared"] = max(checks - 2, 0)  # one compile per shared object, and two stamps
                    print(json.dumps({"what": f"{v}: objects", "compiled_here": row["compiles_declared"], "shared": row["shared"]}), flush=True)
                except ValueError:
                    pass
                if a.check:
                    run(f"{v}: share check", mode, ["build", "--disk_cache=", a.check.format(v)], log=True)
    finally:
        subprocess.run(bazel + ["shutdown"], cwd=ws, check=False)
    path = a.json or os.path.join(REPO, "bench", "out", f"variants-{a.base}-{time.strftime('%Y%m%dT%H%M', time.gmtime())}.json")
    with open(path, "w") as f:
        json.dump({"base": a.base, "variant": a.variant, "arch": a.arch, "rows": rows}, f, indent=1, sort_keys=True)
    print(f"variants: {path}")


if __name__ == "__main__":
    main()
