"""Tests of tools/thinlto_cache/lib.py: namespaces, pruning, hit/miss accounting, sums, locks."""

import os
import tempfile
import time

from absl.testing import absltest

from tools.thinlto_cache import lib


def _write(path, data):
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def _read(path):
    with open(path, "rb") as f:
        return f.read()


class NamespaceTest(absltest.TestCase):
    def test_incbin_content_changes_namespace(self):
        args = [b"-r", b"-o", b"vmlinux.o", b"init/main.o", b"kernel/configs.o"]
        a = lib.namespace("tc", args, [("kernel/config_data.gz", "11" * 32)])
        b = lib.namespace("tc", args, [("kernel/config_data.gz", "22" * 32)])
        self.assertNotEqual(a, b)

    def test_everything_else_changes_it_too(self):
        base = lib.namespace("tc", [b"-r", b"a.o"], [("x", "0")])
        self.assertNotEqual(base, lib.namespace("tc2", [b"-r", b"a.o"], [("x", "0")]))
        self.assertNotEqual(base, lib.namespace("tc", [b"-r", b"-mllvm", b"-import-instr-limit=5", b"a.o"], [("x", "0")]))
        self.assertNotEqual(base, lib.namespace("tc", [b"-r", b"a.o"], [("y", "0")]))
        self.assertNotEqual(base, lib.namespace("tc", [b"-r", b"a.o"], []))
        # Argument boundaries count: ["ab"] is not ["a", "b"].
        self.assertNotEqual(lib.namespace("tc", [b"ab"], []), lib.namespace("tc", [b"a", b"b"], []))

    def test_stable_and_order_free_in_incbins(self):
        a = lib.namespace("tc", [b"x"], [("a", "1"), ("b", "2")])
        self.assertEqual(a, lib.namespace("tc", [b"x"], [("b", "2"), ("a", "1")]))
        self.assertRegex(a, "^[0-9a-f]{64}$")

    def test_response_file_words_without_the_output(self):
        with tempfile.TemporaryDirectory() as d:
            _write(os.path.join(d, "p"), b"-r\n-o\n'bazel-out/k/vmlinux.o'\na.o\n")
            got = lib.expand_args(["--x", "@" + os.path.join(d, "p"), "--output=y", "-oz", "b.o"],
                                  lambda p: open(p).read())
        self.assertEqual(got, [b"--x", b"-r", b"a.o", b"b.o"])

    def test_toolchain_digest_follows_content(self):
        with tempfile.TemporaryDirectory() as d:
            _write(os.path.join(d, "bin/ld.lld"), b"lld")
            _write(os.path.join(d, "lib/libLLVM.so.19.1"), b"llvm")
            files = lib.toolchain_files(os.path.join(d, "bin/ld.lld"))
            self.assertEqual([os.path.relpath(f, d) for f in files], ["bin/ld.lld", "lib/libLLVM.so.19.1"])
            memo = {}
            a = lib.toolchain_digest(files, memo)
            self.assertLen(memo, 2)
            _write(os.path.join(d, "lib/libLLVM.so.19.1"), b"llvm, rebuilt")
            self.assertNotEqual(a, lib.toolchain_digest(files, memo))


class PruneTest(absltest.TestCase):
    def test_age_then_size(self):
        now = 1000000
        e = [lib.Entry("old", 10, now - 100, 0), lib.Entry("a", 10, now - 50, 0),
             lib.Entry("b", 10, now - 40, 0), lib.Entry("c", 10, now - 1, 0)]
        self.assertEqual(lib.plan_prune(e, now, lib.Policy(max_size_bytes=1000, max_age_seconds=60)), ["old"])
        self.assertEqual(lib.plan_prune(e, now, lib.Policy(max_size_bytes=15, max_age_seconds=60)),
                         ["old", "a", "b"])
        self.assertEqual(lib.plan_prune(e, now, lib.Policy(max_size_bytes=0, max_age_seconds=10**9)),
                         ["old", "a", "b", "c"])

    def test_prune_on_disk(self):
        with tempfile.TemporaryDirectory() as root:
            now = time.time()
            for i, ns in enumerate(["n1", "n1", "n2"]):
                p = os.path.join(root, "ns", ns, f"llvmcache-{i}")
                _write(p, b"x" * 100)
                _write(p + lib.SUM_SUFFIX, b"s")
                os.utime(p, (now - 10 * (3 - i), now - 10 * (3 - i)))
            _write(os.path.join(root, "ns", "n1", "llvmcache.timestamp"), b"")
            self.assertEqual(lib.prune(root, lib.Policy(max_size_bytes=150, max_age_seconds=1000), now), 2)
            self.assertEqual(sorted(os.listdir(os.path.join(root, "ns"))), ["n2"])
            self.assertEqual(sorted(os.listdir(os.path.join(root, "ns", "n2"))),
                             ["llvmcache-2", "llvmcache-2.sha256"])

    def test_policy(self):
        p = lib.Policy.parse("p", '{"max_size_bytes": 5, "max_age_seconds": 6}')
        self.assertEqual(p, lib.Policy(5, 6))
        self.assertEqual(lib.Policy.parse("p", p.text()), p)
        for bad in ("{", "[]", '{"max_size_bytes": -1}', '{"color": 1}', '{"max_age_seconds": "1"}'):
            with self.assertRaises(lib.CacheError):
                lib.Policy.parse("p", bad)
        self.assertEqual(lib.parse_size("4G"), 4 << 30)
        self.assertEqual(lib.parse_size("512m"), 512 << 20)
        self.assertEqual(lib.parse_age("14d"), 14 * 86400)
        with self.assertRaises(lib.CacheError):
            lib.parse_size("lots")


class AccountingTest(absltest.TestCase):
    def test_hits_misses_and_sums(self):
        with tempfile.TemporaryDirectory() as d:
            _write(os.path.join(d, "llvmcache-a"), b"a")
            _write(os.path.join(d, "llvmcache-b"), b"b")
            lib.record(lib.list_entries(d), time.time())
            before = lib.list_entries(d)
            lib.reset_atimes(before)
            before = lib.list_entries(d)
            self.assertEqual([e.atime for e in before], [0, 0])
            _read(os.path.join(d, "llvmcache-a"))  # lld reads a: a hit
            _write(os.path.join(d, "llvmcache-c"), b"c")  # and writes c: a miss
            hits, misses = lib.classify(before, lib.list_entries(d))
            self.assertEqual([os.path.basename(e.path) for e in hits], ["llvmcache-a"])
            self.assertEqual([os.path.basename(e.path) for e in misses], ["llvmcache-c"])
            self.assertEqual(lib.check_sums(hits)[0], [])
            lib.record(hits + misses, time.time())
            self.assertEqual(lib.changed(lib.list_entries(d)), [])
            _write(os.path.join(d, "llvmcache-a"), b"AA")  # rewritten behind our back
            self.assertEqual(lib.changed(lib.list_entries(d)), [os.path.join(d, "llvmcache-a")])
            self.assertEqual(lib.check_sums(lib.list_entries(d))[0], [os.path.join(d, "llvmcache-a")])
            _write(os.path.join(d, "llvmcache-d"), b"d")  # no record yet: adopted, not corrupt
            self.assertEqual(lib.changed(lib.list_entries(d)), [os.path.join(d, "llvmcache-a")])
            self.assertIsNotNone(lib.read_sum(os.path.join(d, "llvmcache-d")))

    def test_stats_add_up(self):
        with tempfile.TemporaryDirectory() as root:
            lib.add_stats(root, hits=3, misses=1, links=1)
            lib.add_stats(root, hits=2, links=1)
            self.assertEqual(lib.read_stats(root), {"hits": 5, "misses": 1, "links": 2})

    def test_state(self):
        with tempfile.TemporaryDirectory() as root:
            self.assertIsNone(lib.state(root)[0])
            _write(os.path.join(root, "policy.json"), lib.Policy().text().encode())
            self.assertEqual(lib.state(root), (lib.Policy(), None))


class LockTest(absltest.TestCase):
    def test_prune_waits_for_links(self):
        with tempfile.TemporaryDirectory() as root:
            with lib.locked(root, exclusive=False) as a, lib.locked(root, exclusive=False) as b:
                self.assertTrue(a and b)  # two links at once
                with lib.locked(root, exclusive=True, blocking=False) as c:
                    self.assertFalse(c)  # no prune under them
            with lib.locked(root, exclusive=True, blocking=False) as c:
                self.assertTrue(c)


if __name__ == "__main__":
    absltest.main()
