"""How much bitcode each distributed ThinLTO backend reads, vs all the bitcode.

    python3 bench/backend_inputs.py OBJECTS_DIR

OBJECTS_DIR is a kernel_objects output directory of a thin_dist build, e.g.
bazel-out/<cfg>/bin/external/linux_arm64_thin/objects. Each bitcode object X.o there has
a backend input bundle X.o.thinlto.tar (or, from older builds and the toolchain tests'
programs, a tree X.o.inputs/), written by KernelThinLink: its own module, the modules it
imports, its index. A backend action's only bitcode inputs are its files/.
Prints count and bytes of bitcode per backend (median, p90, max) against all bitcode.
Exits 1 if any tree reads every bitcode object (the property the trees exist for).
"""

import os
import statistics
import sys
import tarfile


def _files(path):
    """(count, bytes) of the files/ entries of a bundle or tree."""
    if path.endswith(".tar"):
        with tarfile.open(path) as tar:
            members = [m for m in tar.getmembers() if m.name.startswith("files/")]
        return len(members), sum(m.size for m in members)
    n = size = 0
    for root, _, files in os.walk(os.path.join(path, "files")):
        for f in files:
            n += 1
            size += os.path.getsize(os.path.join(root, f))
    return n, size


def main(objects_dir):
    trees = []
    for root, dirs, files in os.walk(objects_dir):
        for d in list(dirs):
            if d.endswith(".o.inputs"):
                trees.append((os.path.join(root, d), os.path.join(root, d[: -len(".inputs")])))
                dirs.remove(d)
        trees += [(os.path.join(root, f), os.path.join(root, f[: -len(".thinlto.tar")]))
                  for f in files if f.endswith(".o.thinlto.tar")]
    if not trees:
        sys.exit(f"{objects_dir}: no *.o.thinlto.tar bundles or *.o.inputs trees "
                 "(not a thin_dist build's objects directory?)")
    total_n = len(trees)
    total_bytes = sum(os.path.getsize(obj) for _, obj in trees)
    per = [_files(t) for t, _ in trees]
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
