"""How much bitcode each distributed ThinLTO backend reads, vs all the bitcode.

    python3 bench/backend_inputs.py OBJECTS_DIR

OBJECTS_DIR is a kernel_objects output directory of a thin_dist build, e.g.
bazel-out/<cfg>/bin/external/linux_arm64_thin/objects. Each bitcode object X.o there has
a backend input tree X.o.inputs/ (written by KernelThinLink): its own module, the modules
it imports, its index. A backend action's only bitcode inputs are that tree's files/.
Prints count and bytes of bitcode per backend (median, p90, max) against all bitcode.
Exits 1 if any tree reads every bitcode object (the property the trees exist for).
"""

import os
import statistics
import sys


def main(objects_dir):
    trees = []
    for root, dirs, _ in os.walk(objects_dir):
        for d in list(dirs):
            if d.endswith(".o.inputs"):
                trees.append(os.path.join(root, d))
                dirs.remove(d)
    if not trees:
        sys.exit(f"{objects_dir}: no *.o.inputs trees (not a thin_dist build's objects directory?)")
    total_n = len(trees)
    total_bytes = sum(os.path.getsize(t[: -len(".inputs")]) for t in trees)
    per = []
    for t in trees:
        n = size = 0
        for root, _, files in os.walk(os.path.join(t, "files")):
            for f in files:
                n += 1
                size += os.path.getsize(os.path.join(root, f))
        per.append((n, size))
    counts = sorted(n for n, _ in per)
    sizes = sorted(s for _, s in per)

    def q(xs, p):
        return xs[min(len(xs) - 1, int(p * len(xs)))]

    print(f"backends: {total_n}; all bitcode: {total_n} objects, {total_bytes / 1e6:.1f} MB")
    print(f"bitcode objects per backend: median {statistics.median(counts):g}, p90 {q(counts, .9)}, max {counts[-1]}")
    print(f"bitcode bytes per backend:   median {statistics.median(sizes) / 1e3:.0f} kB "
          f"({100 * statistics.median(sizes) / total_bytes:.2f}% of all), p90 {q(sizes, .9) / 1e3:.0f} kB, "
          f"max {sizes[-1] / 1e3:.0f} kB ({100 * sizes[-1] / total_bytes:.1f}%)")
    if counts[-1] >= total_n:
        sys.exit("a backend reads every bitcode object")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else sys.exit(__doc__))
