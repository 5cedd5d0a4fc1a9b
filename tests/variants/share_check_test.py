"""A config variant's share check (kernel_objects share_from, tools/kbuild_import/share.py).

The stamp exists only if every object the variant takes from its base is byte-identical to
the variant's own compile of it (a difference fails the build, naming the object). Here:
enough objects were compared, and the objects the variant compiled itself, of those a
variant may share, are exactly the ones whose sources or headers mention the symbols the
variant's overlay changes (--compiled_here).
"""

from absl import flags
from absl.testing import absltest

_STAMP = flags.DEFINE_string("stamp", None, "The share_check stamp (runfiles path).", required=True)
_MIN = flags.DEFINE_integer("min", 1, "Fewest objects compared.")
_COMPILED_HERE = flags.DEFINE_list("compiled_here", [], "The shareable objects the variant must compile itself.")


def parse(text):
    """(objects compared, sorted objects compiled here) of a share_check stamp."""
    lines = text.splitlines()
    if len(lines) != 2 or not lines[0].endswith(" objects identical") or not lines[1].startswith("compiled here:"):
        raise ValueError(f"not a share_check stamp: {text!r}")
    return int(lines[0].split()[0]), sorted(lines[1][len("compiled here:"):].split())


class ShareCheckTest(absltest.TestCase):
    def test_parse(self):
        self.assertEqual(parse("3 objects identical\ncompiled here: b.o a.o\n"), (3, ["a.o", "b.o"]))
        self.assertEqual(parse("0 objects identical\ncompiled here: \n"), (0, []))
        with self.assertRaises(ValueError):
            parse("3 objects identical\n")

    def test_stamp(self):
        with open(_STAMP.value, encoding="utf-8") as f:
            compared, here = parse(f.read())
        self.assertGreaterEqual(compared, _MIN.value, "too few shared objects: does the variant share with its base?")
        self.assertEqual(here, sorted(_COMPILED_HERE.value),
                         "the variant compiled other shareable objects than those reading its changed symbols")


if __name__ == "__main__":
    absltest.main()
