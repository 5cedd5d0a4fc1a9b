"""`bazel run //:dist -- --dist_dir=...` as a person uses it, and kmod reading the result.

Runs the dist launcher (kernel_dist) into two directories and once with a relative
--dist_dir (BUILD_WORKSPACE_DIRECTORY set, as `bazel run` does), then checks:
- the two copies are byte-identical (nothing in them records a time or a place);
- MANIFEST lists every file, and each sha256 matches (as `sha256sum -c` would);
- modules_install/lib/modules/<release>/modules.dep lists every module of modules.order;
- kmod accepts the tree (differential: the pinned kmod's own readers, not our parser):
  `modinfo -b ROOT -k RELEASE NAME` finds each module at its installed path, and
  `modprobe -d ROOT -S RELEASE --show-depends NAME` resolves each one's depends= chain
  from modules.dep.bin, ending with the module itself.
"""

import filecmp
import hashlib
import os
import subprocess

from absl import flags
from absl.testing import absltest

_DIST = flags.DEFINE_string("dist", None, "The kernel_dist launcher (runfiles path).")
_MODINFO = flags.DEFINE_string("modinfo", None, "kmod's modinfo.")
_MODPROBE = flags.DEFINE_string("modprobe", None, "kmod's modprobe.")


def _env():
    env = dict(os.environ)
    env.setdefault("RUNFILES_DIR", os.environ["TEST_SRCDIR"])
    return env


def _run_dist(dist_dir, cwd=None, env=None):
    proc = subprocess.run([os.path.abspath(_DIST.value), f"--dist_dir={dist_dir}"], cwd=cwd,
                          env=env or _env(), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"dist exited {proc.returncode}: {proc.stderr.strip()}")
    return proc.stderr


def _files(root):
    out = []
    for d, _, names in os.walk(root):
        out += [os.path.relpath(os.path.join(d, n), root) for n in names]
    return sorted(out)


class DistTest(absltest.TestCase):
    @classmethod
    def setUpClass(cls):
        tmp = absltest.get_default_test_tmpdir()
        cls.a = os.path.join(tmp, "a")
        cls.b = os.path.join(tmp, "b")
        cls.ws = os.path.join(tmp, "ws")
        os.makedirs(cls.ws)
        _run_dist(cls.a)
        _run_dist(cls.b)
        _run_dist("out/dist/", cwd=tmp, env=dict(_env(), BUILD_WORKSPACE_DIRECTORY=cls.ws))
        mods = os.path.join(cls.a, "modules_install", "lib", "modules")
        releases = os.listdir(mods)
        assert len(releases) == 1, releases
        cls.release = releases[0]
        cls.root = os.path.join(cls.a, "modules_install")
        cls.moddir = os.path.join(mods, cls.release)
        with open(os.path.join(cls.a, "modules.order")) as f:
            cls.order = f.read().split()

    def test_identical_copies(self):
        files = _files(self.a)
        self.assertEqual(files, _files(self.b))
        self.assertEqual(files, _files(os.path.join(self.ws, "out", "dist")))
        _, mismatch, errors = filecmp.cmpfiles(self.a, self.b, files, shallow=False)
        self.assertEqual((mismatch, errors), ([], []))

    def test_manifest(self):
        with open(os.path.join(self.a, "MANIFEST")) as f:
            lines = f.read().splitlines()
        listed = {}
        for line in lines:
            digest, path = line.split("  ", 1)
            listed[path] = digest
        self.assertEqual(sorted(listed), [p for p in _files(self.a) if p != "MANIFEST"])
        self.assertEqual([l.split("  ", 1)[1] for l in lines], sorted(listed))
        for path, digest in listed.items():
            with open(os.path.join(self.a, path), "rb") as f:
                self.assertEqual(hashlib.sha256(f.read()).hexdigest(), digest, path)
        image = "Image" if "Image" in listed else "bzImage"
        for name in ["vmlinux", image, "System.map", ".config", "initramfs.cpio", "Module.symvers",
                     "modules.order", "modules.builtin", "modules.builtin.modinfo"]:
            self.assertIn(name, listed)
        for ko in self.order:
            self.assertIn(os.path.basename(ko), listed)
            self.assertIn(f"modules_install/lib/modules/{self.release}/kernel/{ko}", listed)

    def test_depmod_files_list_every_module(self):
        self.assertNotEmpty(self.order)
        with open(os.path.join(self.moddir, "modules.dep")) as f:
            deps = {line.split(":", 1)[0] for line in f if line.strip()}
        self.assertEqual(deps, {"kernel/" + ko for ko in self.order})
        with open(os.path.join(self.moddir, "modules.order")) as f:
            self.assertEqual(f.read().split(), ["kernel/" + ko for ko in self.order])
        for name in ["modules.dep.bin", "modules.alias", "modules.symbols", "modules.builtin.bin"]:
            self.assertTrue(os.path.isfile(os.path.join(self.moddir, name)), name)

    def test_kmod_reads_the_tree(self):
        for ko in self.order:
            name = os.path.basename(ko)[:-3]
            proc = subprocess.run([_MODINFO.value, "-b", self.root, "-k", self.release, "-F", "filename", name],
                                  capture_output=True, text=True, check=False)
            self.assertEqual(proc.returncode, 0, f"modinfo {name}: {proc.stderr}")
            self.assertEqual(os.path.realpath(proc.stdout.strip()),
                             os.path.realpath(os.path.join(self.moddir, "kernel", ko)), name)
            depends = subprocess.run([_MODINFO.value, "-b", self.root, "-k", self.release, "-F", "depends", name],
                                     capture_output=True, text=True, check=True).stdout.strip()
            proc = subprocess.run([_MODPROBE.value, "-d", self.root, "-S", self.release, "--show-depends", name],
                                  capture_output=True, text=True, check=False)
            self.assertEqual(proc.returncode, 0, f"modprobe --show-depends {name}: {proc.stderr}")
            chain = [os.path.basename(l.split()[1]) for l in proc.stdout.splitlines() if l.startswith("insmod ")]
            self.assertEqual(chain[-1], os.path.basename(ko), proc.stdout)
            for dep in filter(None, depends.split(",")):
                self.assertIn(dep.replace("_", "-") + ".ko", [c.replace("_", "-") for c in chain[:-1]], (name, proc.stdout))


if __name__ == "__main__":
    absltest.main()
