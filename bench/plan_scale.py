#!/usr/bin/env python3
"""What a kernel's plan costs Bazel: generated file sizes, analysis time, server heap, null analysis.

    bench/plan_scale.py --saved=tiny_arm64_thin=$OB/external/linux_arm64_thin:arm64:thin \\
        --saved=x86_64_defconfig=/tmp/ps/saved/x86_64_defconfig_thin:x86_64:thin \\
        [--linux_src=/path/to/linux] [--scratch=/tmp/plan_scale] [--keys]

Each --saved is NAME=DIR:ARCH:LTO, DIR a saved import (a kernel_kbuild_repository's
directory, or any directory with plan.json, plan_sources.json and obj/; plan_sources.json
may be `{"built_from": []}` when only analysis is measured; a partial import's obj/ may
lack files the plan names: analysis then fails naming one, and an empty file in a copy of
obj/ is enough to measure analysis, e.g. certs/signing_key.x509 and
certs/x509_certificate_list for the x86_64 defconfig plan of docs/defconfig-steps.md
section 9). The script writes a scratch
workspace that loads this checkout as @rules_kernel_lto and declares one
kernel_saved_plan_repository per plan (rules/private/kbuild_import.bzl: the same
plan.bzl/BUILD.bazel generation as the import, without running the import), then for each
plan, with its own fresh Bazel server:

  cold      `bazel build --nobuild @NAME//:objects`: wall time, the profile's "Load and
            analyze dependencies" phase and the server's CPU seconds (user + system: less
            sensitive than wall time to other work on the machine)
  heap      `bazel info used-heap-size-after-gc` and the server's peak RSS (VmHWM) after it
  null      the same build again (no change): wall time and analysis phase
  sizes     plan.json, plan.bzl, BUILD.bazel as generated

--roundtrip checks that each plan.json comes back from its interned form entry by entry
(tools/kbuild_import/intern.py; lists compared as sorted sets) and prints both sizes.

--keys also prints the sha256 over every KernelCompile action's (output, action key, sorted
input paths) from `bazel aquery`: equal before/after a plan-format change means the same
command lines and exactly the same inputs. Nothing is built (no compile runs). Numbers are
for this box's load at the time; run twice and compare on an idle box. Not a test.
"""

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import time

_WORKSPACE = """\
workspace(name = "plan_scale")

local_repository(name = "rules_kernel_lto", path = "{rules}")

load("@rules_kernel_lto//rules:defs.bzl", "register_kernel_toolchains", "rules_kernel_lto_dependencies")

rules_kernel_lto_dependencies()

register_kernel_toolchains()

load("@rules_kernel_lto//rules/private:kbuild_import.bzl", "kernel_saved_plan_repository")
{repos}
"""

_REPO = 'kernel_saved_plan_repository(name = "{name}", saved = "{dir}", arch = "{arch}", lto = "{lto}")\n'


def parse_saved(spec):
    """NAME=DIR:ARCH:LTO -> (name, dir, arch, lto)."""
    m = re.fullmatch(r"([A-Za-z0-9_]+)=(.+):(arm64|x86_64):(none|thin|full)", spec)
    if not m:
        raise SystemExit("--saved={}: give NAME=DIR:ARCH:LTO (e.g. tiny=/out/external/linux_arm64_thin:arm64:thin)".format(spec))
    return m.groups()


def phase_seconds(profile):
    """Seconds of the "Load and analyze dependencies" phase of a Bazel JSON profile."""
    with open(profile) as f:
        data = json.load(f)
    events = data["traceEvents"] if isinstance(data, dict) else data
    marks = sorted((e["ts"], e["name"]) for e in events if e.get("cat") == "build phase marker")
    for i, (ts, name) in enumerate(marks):
        if name == "Load and analyze dependencies" and i + 1 < len(marks):
            return (marks[i + 1][0] - ts) / 1e6
    return None


def expand_inputs(aquery):
    """aquery jsonproto -> {output path: (action key, sorted input paths)} of its actions."""
    frags = {f["id"]: f for f in aquery.get("pathFragments", [])}

    def path(fid):
        parts = []
        while fid:
            f = frags[fid]
            parts.append(f["label"])
            fid = f.get("parentId")
        return "/".join(reversed(parts))

    arts = {a["id"]: path(a["pathFragmentId"]) for a in aquery.get("artifacts", [])}
    sets = {d["id"]: d for d in aquery.get("depSetOfFiles", [])}
    memo = {}

    def files(did):
        if did not in memo:
            d = sets[did]
            out = set(arts[a] for a in d.get("directArtifactIds", []))
            for t in d.get("transitiveDepSetIds", []):
                out |= files(t)
            memo[did] = out
        return memo[did]

    result = {}
    for a in aquery.get("actions", []):
        inputs = set()
        for d in a.get("inputDepSetIds", []):
            inputs |= files(d)
        outs = sorted(arts[o] for o in a.get("outputIds", []))
        result[outs[0]] = (a.get("actionKey", ""), sorted(inputs), a.get("arguments", []))
    return result


def keys_digest(actions):
    """sha256 over every action's output, key, arguments and sorted inputs."""
    h = hashlib.sha256()
    for out in sorted(actions):
        key, inputs, args = actions[out]
        h.update(json.dumps([out, key, args, inputs]).encode())
    return h.hexdigest()


def roundtrip(plan_path):
    """Interned size and whether expand_plan(bazel_plan(plan)) is the plan (lists as sets)."""
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from tools.kbuild_import import intern  # pylint: disable=import-outside-toplevel
    with open(plan_path, encoding="utf-8") as f:
        plan = json.load(f)
    t = time.monotonic()
    text = json.dumps(intern.bazel_plan(plan), separators=(",", ":"), sort_keys=True)
    secs = time.monotonic() - t
    back = intern.expand_plan(json.loads(text))
    for e in intern._entries(plan):  # pylint: disable=protected-access
        for key in intern._LISTS:  # pylint: disable=protected-access
            e[key] = sorted(set(e[key]))
    return {"plan_json": os.path.getsize(plan_path), "interned": len(text), "intern_s": round(secs, 1), "roundtrip_equal": back == plan}


def _bazel(ws, args, **kw):
    return subprocess.run(["nice", "bazel"] + args, cwd=ws, text=True, capture_output=True, **kw)


def _cpu_seconds(pid):
    """user + system CPU seconds of a process so far (/proc/PID/stat)."""
    with open("/proc/{}/stat".format(pid)) as f:
        fields = f.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _server_pid(ws):
    return int(_bazel(ws, ["info", "server_pid"]).stdout.strip())


def _timed_build(ws, flags, targets, profile):
    """(wall s, analysis phase s, server CPU s) of `bazel build --nobuild TARGETS`."""
    pid = _server_pid(ws)
    cpu = _cpu_seconds(pid)
    t = time.monotonic()
    res = _bazel(ws, ["build", "--nobuild", "--profile=" + profile] + flags + targets)
    wall = time.monotonic() - t
    if res.returncode != 0:
        raise SystemExit("bazel build --nobuild {} failed:\n{}".format(" ".join(targets), res.stderr[-3000:]))
    return round(wall, 2), phase_seconds(profile), round(_cpu_seconds(pid) - cpu, 2)


def measure(ws, name, arch, lto, keys):
    flags = ["--platforms=@rules_kernel_lto//platforms:" + arch]
    targets = ["@{}//:objects".format(name)]
    _bazel(ws, ["shutdown"])
    # Fetch the repository and load everything else the targets need (toolchains, @linux's
    # globs) first, so that "cold" is this plan's loading and analysis.
    res = _bazel(ws, ["build", "--nobuild"] + flags + ["@{}//:plan.json".format(name), "@linux//:kbuild_inputs", "@rules_kernel_lto//toolchains:all"])
    if res.returncode != 0:
        raise SystemExit("warm-up of {} failed:\n{}".format(name, res.stderr[-3000:]))
    out = {"name": name}
    ext = os.path.join(_bazel(ws, ["info", "output_base"]).stdout.strip(), "external", name)
    for f in ["plan.json", "plan.bzl", "BUILD.bazel"]:
        out[f] = os.path.getsize(os.path.join(ext, f))
    prof = os.path.join(ws, "profile.json")
    out["cold_wall_s"], out["cold_analysis_s"], out["cold_server_cpu_s"] = _timed_build(ws, flags, targets, prof)
    info = _bazel(ws, ["info", "used-heap-size-after-gc", "server_pid"]).stdout
    m = re.search(r"used-heap-size-after-gc: (\S+)", info)
    out["heap_after_gc"] = m.group(1) if m else None
    m = re.search(r"server_pid: (\d+)", info)
    if m:
        with open("/proc/{}/status".format(m.group(1))) as f:
            hwm = re.search(r"VmHWM:\s+(\d+) kB", f.read())
        out["server_peak_rss_mb"] = int(hwm.group(1)) // 1024 if hwm else None
    out["null_wall_s"], out["null_analysis_s"], out["null_server_cpu_s"] = _timed_build(ws, flags, targets, prof)
    if keys:
        res = _bazel(ws, ["aquery", "--output=jsonproto"] + flags + ["mnemonic(KernelCompile, {})".format(targets[0])])
        if res.returncode != 0:
            raise SystemExit("aquery failed:\n" + res.stderr[-3000:])
        actions = expand_inputs(json.loads(res.stdout))
        out["compile_actions"] = len(actions)
        out["compile_inputs"] = sum(len(v[1]) for v in actions.values())
        out["keys_sha256"] = keys_digest(actions)
    return out


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--saved", action="append", required=True, help="NAME=DIR:ARCH:LTO")
    p.add_argument("--linux_src", default="", help="LINUX_SRC for @linux (default: the pinned Debian source)")
    p.add_argument("--scratch", default="/tmp/plan_scale", help="scratch workspace directory (recreated)")
    p.add_argument("--roundtrip", action="store_true", help="only check the interning of each plan.json (no Bazel)")
    p.add_argument("--keys", action="store_true", help="also hash KernelCompile keys and inputs (aquery)")
    a = p.parse_args(argv)
    saved = [parse_saved(s) for s in a.saved]
    if a.roundtrip:
        for name, d, _, _ in saved:
            print(json.dumps(dict(name=name, **roundtrip(os.path.join(d, "plan.json")))), flush=True)
        return
    rules = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.makedirs(a.scratch, exist_ok=True)
    for f in ["WORKSPACE", "BUILD.bazel", ".bazelrc"]:
        if os.path.exists(os.path.join(a.scratch, f)):
            os.remove(os.path.join(a.scratch, f))
    with open(os.path.join(a.scratch, "WORKSPACE"), "w") as f:
        f.write(_WORKSPACE.format(rules=rules, repos="".join(
            _REPO.format(name=n, dir=os.path.abspath(d), arch=ar, lto=l) for n, d, ar, l in saved)))
    open(os.path.join(a.scratch, "BUILD.bazel"), "w").close()
    with open(os.path.join(a.scratch, ".bazelrc"), "w") as f:
        f.write("build --nosandbox_debug\nbuild --incompatible_strict_action_env\n")
        if a.linux_src:
            f.write("build --repo_env=LINUX_SRC={}\n".format(a.linux_src))
    for name, _, arch, lto in saved:
        print(json.dumps(measure(a.scratch, name, arch, lto, a.keys)), flush=True)
    _bazel(a.scratch, ["shutdown"])


if __name__ == "__main__":
    main(sys.argv[1:])
