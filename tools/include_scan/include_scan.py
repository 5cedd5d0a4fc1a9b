"""KernelIncludeScan: the headers each object reads now beyond the set its import recorded.

    include_scan.py --record=external/<repo>/include_record.json --plan=<objects>/plan.json \\
        --srctree=external/linux --objtree=external/<repo>/obj --resource_dir=... \\
        --clang=... --clang_scan_deps=... --object=init/main.o=<dir> ... --report=<file>

Run unsandboxed from the exec root (the whole source tree is visible; the action declares
its headers so that an edit re-runs it). Hashes the directive lines of every recorded file
(lib.changed_files), rescans with clang-scan-deps the objects that read a changed one (with
the import's full autoconf.h, as the import scanned), and copies each file they now read
outside their recorded set into <dir>/<its exec path> (lib.extra_files). When such a file,
or an edited one it reads, mentions a CONFIG_ symbol outside the object's autoconf.h slice
(tools/config_slice), the import's whole autoconf.h goes to <dir>/config/generated/, which
the compile searches before its slice. Every other object's <dir> stays empty. An
object that reads action outputs (--extra_flag: the compile's -I flags for them; --source:
a source an action makes) is scanned as its compile sees them. A compile error of a rescanned object is left to its compile
(its directory stays empty, clang reports it); the report names it.
"""

import concurrent.futures
import json
import os
import shutil
import subprocess
import tempfile

from absl import app, flags

from tools.common import lib as common
from tools.include_scan import lib

_RECORD = flags.DEFINE_string("record", None, "The import's directive record (include_record.json).", required=True)
_PLAN = flags.DEFINE_string("plan", None, "The interned plan (plan_bazel.json's text).", required=True)
_SRCTREE = flags.DEFINE_string("srctree", None, "The source tree's exec path.", required=True)
_OBJTREE = flags.DEFINE_string("objtree", None, "The import's object tree's exec path.", required=True)
_RESOURCE_DIR = flags.DEFINE_string("resource_dir", None, "clang's resource dir ($(CC_RESOURCE_DIR)).", required=True)
_CLANG = flags.DEFINE_string("clang", None, "The toolchain's clang.", required=True)
_SCAN_DEPS = flags.DEFINE_string("clang_scan_deps", None, "The toolchain's clang-scan-deps.", required=True)
_OBJECTS = flags.DEFINE_multi_string("object", [], "OUT=DIR: an entry and its extra-headers directory (repeat).")
_EXTRA_FLAGS = flags.DEFINE_multi_string(
    "extra_flag", [], "OUT=FLAG: a flag the entry's compile adds for action outputs it includes (repeat).")
_SOURCES = flags.DEFINE_multi_string("source", [], "OUT=PATH: the entry's source, when an action makes it (repeat).")
_SHARED = flags.DEFINE_multi_string("shared", [], "OUT: an entry this config variant takes from its base config "
                                     "(kernel_objects share_from): an edit that rescans it is an error (repeat).")
_REIMPORT = flags.DEFINE_string("reimport", "./bazel sync", "The command that re-imports the base and the variant.")
_REPORT = flags.DEFINE_string("report", None, "Where to write what was rescanned and copied (JSON).", required=True)
_JOBS = flags.DEFINE_integer("jobs", 2, "clang-scan-deps threads.")


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except (FileNotFoundError, NotADirectoryError):
        return None


def _scan_batch(cwd, items):
    """clang-scan-deps over items [(out, src, argv)] with unique sources -> {out: [deps]}."""
    by_src = {src: out for out, src, _ in items}
    db = [{"directory": cwd, "file": src, "arguments": argv, "output": out} for out, src, argv in items]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(db, f)
    try:
        proc = subprocess.run([os.path.abspath(_SCAN_DEPS.value), "-compilation-database", f.name,
                               "-format", "experimental-full", "-j", str(_JOBS.value)],
                              cwd=cwd, capture_output=True, text=True, errors="surrogateescape", check=False)
    finally:
        os.unlink(f.name)
    try:
        result = json.loads(proc.stdout) if proc.stdout.strip() else {}
    except ValueError as e:
        # Not "this object does not compile" (its compile reports that) but a broken scanner:
        # empty directories would silently bring back the pre-scan header sets.
        err = (proc.stderr.strip().splitlines() or ["no stderr"])[-1]
        raise SystemExit(f"include_scan: clang-scan-deps (exit {proc.returncode}) printed no valid JSON ({e}): {err}")
    out = {}
    for tu in result.get("translation-units", []):
        for cmd in tu.get("commands", []):
            o = by_src.get(lib.normalize(cmd.get("input-file", ""), cwd))
            if o:
                out.setdefault(o, []).extend(cmd.get("file-deps", []))
    return out


def _clang_m(cwd, argv):
    """`clang -M` (linker scripts) -> deps, or None when it fails."""
    with tempfile.NamedTemporaryFile("r", suffix=".d") as d:
        proc = subprocess.run(argv + ["-M", "-MF", d.name], cwd=cwd, capture_output=True, check=False)
        if proc.returncode != 0:
            return None
        text = d.read().replace("\\\n", " ")
    return text.partition(":")[2].split()


def scan(cwd, items):
    """{out: deps} for items [(out, src, argv, is_lds)]; an object that fails is left out."""
    out = {}
    batches = []
    for it in [i for i in items if not i[3]]:
        for b in batches:
            if it[1] not in {x[1] for x in b}:
                b.append(it)
                break
        else:
            batches.append([it])
    for b in batches:
        out.update(_scan_batch(cwd, [(o, s, a) for o, s, a, _ in b]))
    lds = [i for i in items if i[3]]
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, _JOBS.value)) as pool:
        for (o, _, _, _), deps in zip(lds, pool.map(lambda i: _clang_m(cwd, i[2]), lds)):
            if deps is not None:
                out[o] = deps
    return out


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    cwd = os.getcwd()
    srctree, objtree = _SRCTREE.value.rstrip("/"), _OBJTREE.value.rstrip("/")
    dirs = {}
    for spec in _OBJECTS.value:
        out, sep, d = spec.partition("=")
        if not sep:
            raise app.UsageError(f"--object={spec}: expected OUT=DIR")
        dirs[out] = d
    extra, sources = {}, {}
    for spec in _EXTRA_FLAGS.value:
        out, sep, f = spec.partition("=")
        if not sep or out not in dirs:
            raise app.UsageError(f"--extra_flag={spec}: expected OUT=FLAG with OUT one of the --object entries")
        extra.setdefault(out, []).append(f)
    for spec in _SOURCES.value:
        out, sep, p = spec.partition("=")
        if not sep or out not in dirs or out in sources:
            raise app.UsageError(f"--source={spec}: expected OUT=PATH, once, with OUT one of the --object entries")
        sources[out] = p
    with open(_RECORD.value, encoding="utf-8") as f:
        record = json.load(f)
    with open(_PLAN.value, encoding="utf-8") as f:
        bplan = json.load(f)
    roots = {"$(srctree)": srctree, "$(objtree)": objtree, "$(CC_RESOURCE_DIR)": _RESOURCE_DIR.value}
    for d in dirs.values():  # each directory starts empty (Bazel makes them so: rarely any work)
        if os.path.isdir(d) and os.listdir(d):
            shutil.rmtree(d)
        os.makedirs(d, exist_ok=True)
    changed = lib.changed_files(record, lambda p: _read(os.path.join(srctree, p)))
    by_out = {e["out"]: e for e in lib.entries(bplan) if e["out"] in dirs}
    rescan = lib.entries_to_rescan(bplan, dirs, changed)
    stale = lib.stale_shared(rescan, _SHARED.value)
    if stale:
        # The base compiles it, with the base's config and header set after this edit: not
        # what this variant's config may read. The share keys (import time) no longer hold.
        raise SystemExit(f"include_scan: {stale[0]} (and {len(stale) - 1} more) read files whose #include/#if lines or "
                         f"CONFIG_ words changed since the import ({', '.join(sorted(changed)[:3])}), and this config "
                         f"variant takes it from its base config: re-import both: {_REIMPORT.value}")
    files = {out: lib.entry_files(bplan, by_out[out], srctree, objtree, sources.get(out)) for out in rescan}
    items = []
    for out in rescan:
        e, src = by_out[out], files[out][0]
        is_lds = out.endswith(".lds")
        argv = [os.path.abspath(_CLANG.value)] + lib.entry_flags(bplan, e, roots) + extra.get(out, []) + (
            ["-E", "-o", "/dev/null", src] if is_lds else ["-c", "-o", "/dev/null", src])
        if os.path.exists(src):
            items.append((out, src, argv, is_lds))
    deps = scan(cwd, items)
    report = {"changed": sorted(changed), "rescanned": rescan, "failed": [], "copied": {}, "unreachable": {},
              "full_config": {}}
    config_table = bplan["interned"].get("config")
    autoconf = os.path.join(objtree, "include/generated/autoconf.h")
    for out in rescan:
        if out not in deps:
            report["failed"].append(out)
            continue
        e = by_out[out]
        copy, unreachable = lib.extra_files((lib.normalize(p, cwd) for p in deps[out]), files[out][1],
                                            [srctree, objtree], lib.include_dirs(lib.entry_flags(bplan, e, roots)))
        for p in copy:
            dst = os.path.join(dirs[out], p)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(p, dst)
        if copy:
            report["copied"][out] = copy
        if config_table is not None and "config" in e:
            footprint = set(lib.interned_list(config_table, e["config"]))
            read_now = {lib.normalize(p, cwd) for p in deps[out]}
            edited = [p for p in read_now if p.startswith(srctree + "/") and p[len(srctree) + 1:] in changed]
            outside = lib.outside_footprint(edited + copy, footprint, _read)
            if outside:
                dst = os.path.join(dirs[out], "config/generated/autoconf.h")
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copyfile(autoconf, dst)
                report["full_config"][out] = outside
        if unreachable:
            report["unreachable"][out] = unreachable
    common.write_atomically(_REPORT.value, (json.dumps(report, indent=1, sort_keys=True) + "\n").encode())


if __name__ == "__main__":
    common.run(main, "include_scan")
