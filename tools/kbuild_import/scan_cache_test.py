"""Tests for scan_cache.py: a scan result is reused only while everything it read holds."""

import os
import tempfile

from absl.testing import absltest

from tools.kbuild_import import footprint, scan_cache


def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


class ScanCacheTest(absltest.TestCase):
    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(dir=absltest.get_default_test_tmpdir())
        self.src, self.obj, self.cache = (os.path.join(self.dir, d) for d in ("src", "obj", "cache"))
        _write(os.path.join(self.src, "a.c"), '#include "h.h"\n')
        _write(os.path.join(self.src, "h.h"), "#ifdef CONFIG_A\n#endif\n")
        self._autoconf("#define CONFIG_A 1\n#define CONFIG_B 1\n")
        self.deps = [os.path.join(self.src, "a.c"), os.path.join(self.src, "h.h"), footprint.AUTOCONF]
        self.argv = ["clang", "-c", "-o", "a.o", os.path.join(self.src, "a.c")]

    def _autoconf(self, text):
        _write(os.path.join(self.obj, footprint.AUTOCONF), text)

    def _cache(self):
        return scan_cache.ScanCache(self.cache, self.obj, scan_cache.listing_digest(self.src, self.obj, "v1"))

    def test_reused_while_valid(self):
        self._cache().put(self.argv, self.deps)
        c = self._cache()
        self.assertEqual(c.get(self.argv), self.deps)
        self.assertIsNone(c.get(self.argv + ["-DX"]))  # another command line
        self.assertEqual((c.hits, c.misses), (1, 1))

    def test_a_changed_file(self):
        self._cache().put(self.argv, self.deps)
        _write(os.path.join(self.src, "h.h"), "#ifdef CONFIG_A\n#include <x.h>\n#endif\n")
        self.assertIsNone(self._cache().get(self.argv))

    def test_config_values_of_mentioned_symbols_only(self):
        self._cache().put(self.argv, self.deps)
        self._autoconf("#define CONFIG_A 1\n#define CONFIG_B 2\n#define CONFIG_C 1\n")  # B, C: not read
        self.assertEqual(self._cache().get(self.argv), self.deps)
        self._autoconf("#define CONFIG_B 1\n")  # A turned off
        self.assertIsNone(self._cache().get(self.argv))

    def test_a_new_file_anywhere_in_the_tree(self):
        self._cache().put(self.argv, self.deps)
        _write(os.path.join(self.src, "include", "h.h"), "")  # could shadow h.h
        self.assertIsNone(self._cache().get(self.argv))

    def test_listing(self):
        before = scan_cache.listing_digest(self.src, self.obj, "v1")
        self.assertNotEqual(before, scan_cache.listing_digest(self.src, self.obj, "v2"))  # another scanner
        _write(os.path.join(self.obj, "include", "config", "A"), "")  # one file per enabled symbol
        self.assertEqual(before, scan_cache.listing_digest(self.src, self.obj, "v1"))
        _write(os.path.join(self.obj, "arch", "x86", "include", "generated", "asm", "n.h"), "")
        self.assertNotEqual(before, scan_cache.listing_digest(self.src, self.obj, "v1"))

    def test_another_object_tree(self):
        # A variant's import: its own object tree, the same source tree; absolute object-tree
        # paths in the command line and the result are relocated.
        gen = os.path.join(self.obj, "include", "generated", "g.h")
        _write(gen, "CONFIG_B\n")
        argv = self.argv + ["-I" + os.path.join(self.obj, "include")]
        self._cache().put(argv, self.deps + [gen])
        other = os.path.join(self.dir, "obj2")
        _write(os.path.join(other, footprint.AUTOCONF), "#define CONFIG_A 1\n#define CONFIG_B 1\n")
        _write(os.path.join(other, "include", "generated", "g.h"), "CONFIG_B\n")
        c = scan_cache.ScanCache(self.cache, other, scan_cache.listing_digest(self.src, self.obj, "v1"))
        self.assertEqual(c.get(self.argv + ["-I" + os.path.join(other, "include")]),
                         self.deps + [os.path.join(other, "include", "generated", "g.h")])
        _write(os.path.join(other, "include", "generated", "g.h"), "CONFIG_A\n")  # other bytes there
        c = scan_cache.ScanCache(self.cache, other, scan_cache.listing_digest(self.src, self.obj, "v1"))
        self.assertIsNone(c.get(self.argv + ["-I" + os.path.join(other, "include")]))

    def test_corrupt_entry_is_a_miss(self):
        c = self._cache()
        c.put(self.argv, self.deps)
        key = scan_cache.ScanCache.key(self.argv)
        _write(os.path.join(self.cache, key[:2], key), "{not json")
        self.assertIsNone(self._cache().get(self.argv))

    def test_entry_is_small(self):
        # The state (a digest per file read) is kept as one digest: an entry grows with the
        # paths it lists, compressed, not with 64 hex digits per file.
        deps = [os.path.join(self.src, f"include/linux/h{i}.h") for i in range(600)]
        for d in deps:
            _write(d, "#ifdef CONFIG_A\n#endif\n")
        self._cache().put(self.argv, deps)
        key = scan_cache.ScanCache.key(self.argv)
        self.assertLess(os.path.getsize(os.path.join(self.cache, key[:2], key)), 8000)
        self.assertEqual(self._cache().get(self.argv), deps)
        _write(deps[300], "#ifdef CONFIG_B\n#endif\n")  # one of 600 changed
        self.assertIsNone(self._cache().get(self.argv))

    def test_prune_keeps_the_recently_used(self):
        c = self._cache()
        argvs = [self.argv + [f"-DN={i}"] for i in range(4)]
        for i, argv in enumerate(argvs):
            c.put(argv, self.deps)
            key = scan_cache.ScanCache.key(argv)
            os.utime(os.path.join(self.cache, key[:2], key), (1000 + i, 1000 + i))
        self.assertIsNotNone(self._cache().get(argvs[0]))  # used now: the newest
        size = sum(os.path.getsize(os.path.join(d, n)) for d, _, ns in os.walk(self.cache) for n in ns)
        deleted, left = scan_cache.prune(self.cache, max_bytes=size * 3 // 4 + 1)  # room for 3 of 4
        self.assertEqual(deleted, 1)
        self.assertLessEqual(left, size * 3 // 4 + 1)
        c = self._cache()
        self.assertIsNone(c.get(argvs[1]))  # the least recently used
        for argv in (argvs[0], argvs[2], argvs[3]):
            self.assertEqual(c.get(argv), self.deps)
        self.assertEqual(scan_cache.prune(self.cache, max_bytes=0)[1], 0)


if __name__ == "__main__":
    absltest.main()
