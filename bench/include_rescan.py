#!/usr/bin/env python3
"""What an automatic include rescan would cost (issue 16 part 0; design: docs/header-sets.md).

    python3 bench/include_rescan.py OUTPUT_BASE REPO [OBJECT...]

Reads an import (OUTPUT_BASE/external/REPO/plan.json, the tree OUTPUT_BASE/external/linux,
the pinned clang-scan-deps in OUTPUT_BASE/external/kernel_llvm) and times the two steps a
KernelIncludeScan action would take on every source or header edit:
  1. hash the preprocessor directive lines (#include, #if..., #define, #undef) of every
     source and header some object reads (what the import would record as the baseline);
  2. re-scan the objects whose source or recorded headers changed directives: here OBJECT...
     (default: all), with the whole tree visible, as the import's scan does.
Also counts the objects where an added `#include <X>` would silently resolve to a later -I
directory's X (the earlier one exists in the tree but is not in the object's recorded set).
"""

import glob
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time

_DIRECTIVE = re.compile(rb"^[ \t]*#[ \t]*(?:include|if|ifdef|ifndef|elif|else|endif|define|undef)\b.*$", re.M)


def main(ob, repo, want):
    ext = os.path.join(ob, "external")
    plan = json.load(open(os.path.join(ext, repo, "plan.json")))
    roots = {"$(srctree)": os.path.join(ext, "linux"), "$(objtree)": os.path.join(ext, repo, "obj"),
             "$(CC_RESOURCE_DIR)": glob.glob(os.path.join(ext, "kernel_llvm/lib/clang/*"))[0]}

    def sub(f):
        for k, v in roots.items():
            f = f.replace(k, v)
        return f

    objs = [o for o in plan["objects"] if "hdrs" in o]
    files = sorted({o["src"] for o in objs if o["src_root"] == "srctree"} | {h for o in objs for h in o["hdrs"]})
    t, size, record = time.time(), 0, {}
    for f in files:
        data = open(os.path.join(roots["$(srctree)"], f), "rb").read()
        size += len(data)
        record[f] = hashlib.sha256(b"\n".join(m.group(0) for m in _DIRECTIVE.finditer(data))).hexdigest()
    print(f"directive hashes: {len(files)} files, {size / 1e6:.1f} MB, {time.time() - t:.2f} s; "
          f"record {len(json.dumps(record, sort_keys=True)) / 1e3:.0f} kB")

    shadowed = 0
    for o in objs:
        dirs = [f[2:] for f in o["flags"] if f.startswith("-I$(")]
        have = {"$(srctree)/" + h for h in o["hdrs"]} | {"$(objtree)/" + h for h in o["gen_inputs"]}
        if any(h.startswith(d + "/") and any(e + h[len(d):] not in have and os.path.exists(sub(e + h[len(d):]))
                                             for e in dirs[:j])
               for j, d in enumerate(dirs) for h in have):
            shadowed += 1
    print(f"silent resolution possible (a name in a later -I dir is read, an earlier one is not): "
          f"{shadowed} of {len(objs)} objects")

    sel = [o for o in objs if not want or o["out"] in want]
    clang = os.path.join(ext, "kernel_llvm/bin/clang")
    db = []
    for o in sel:
        src = sub(("$(srctree)/" if o["src_root"] == "srctree" else "$(objtree)/") + o["src"])
        db.append({"directory": roots["$(objtree)"], "file": src, "output": o["out"],
                   "arguments": [clang] + [sub(f) for f in o["flags"]] + ["-c", "-o", "/dev/null", src]})
    with tempfile.NamedTemporaryFile("w", suffix=".json") as fh:
        json.dump(db, fh)
        fh.flush()
        t = time.time()
        p = subprocess.run([os.path.join(ext, "kernel_llvm/bin/clang-scan-deps"), "-compilation-database", fh.name,
                            "-format", "experimental-full", "-j", "2"], capture_output=True, text=True)
    print(f"clang-scan-deps -j2 over {len(sel)} objects: {time.time() - t:.2f} s (exit {p.returncode}); "
          f"load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
