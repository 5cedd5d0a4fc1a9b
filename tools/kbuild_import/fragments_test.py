"""Tests for tools/kbuild_import/fragments.py (strict config fragments)."""

import os

from absl.testing import absltest

from tools.kbuild_import import fragments
from tools.kbuild_import.common import KbuildConfigError

_GOOD = """\
# Serial console and printk.
CONFIG_PRINTK=y
# CONFIG_FOO is not set

CONFIG_LOG_BUF_SHIFT=14
CONFIG_PHYS_OFFSET=0x40000000
CONFIG_CMDLINE="console=ttyAMA0 \\"quoted\\""
CONFIG_NEG=-1
CONFIG_M=m
"""


class ParseTest(absltest.TestCase):

    def test_good(self):
        self.assertEqual(fragments.parse_fragment("f.config", _GOOD), [
            (2, "CONFIG_PRINTK", "y"),
            (3, "CONFIG_FOO", "n"),
            (5, "CONFIG_LOG_BUF_SHIFT", "14"),
            (6, "CONFIG_PHYS_OFFSET", "0x40000000"),
            (7, "CONFIG_CMDLINE", '"console=ttyAMA0 \\"quoted\\""'),
            (8, "CONFIG_NEG", "-1"),
            (9, "CONFIG_M", "m"),
        ])

    def test_our_configs_parse(self):
        here = os.path.dirname(os.path.abspath(__file__))
        for arch in ("arm64", "x86_64"):
            path = os.path.join(here, "..", "..", "configs", arch + ".config")
            with open(path) as f:  # data of the test
                self.assertNotEmpty(fragments.parse_fragment(arch, f.read()))

    def test_bad_lines_are_one_error_naming_file_and_line(self):
        for text, want in [
            ("CONFIG_A=y\nCONFIG_PRINTK = y\n",
             r"^f\.config:2: 'CONFIG_PRINTK = y' is not an assignment Kconfig reads; write CONFIG_PRINTK=y \(no spaces\)$"),
            ("  CONFIG_PRINTK=y\n", r"^f\.config:1: .*write CONFIG_PRINTK=y"),
            ("garbage here\n", r"^f\.config:1: 'garbage here' is not a Kconfig assignment; a fragment has CONFIG_FOO=value"),
            ("PRINTK=y\n", r"^f\.config:1: 'PRINTK=y' is not a Kconfig assignment"),
            ("CONFIG_A=y \n", r"^f\.config:1: CONFIG_A='y ': not a Kconfig value \(trailing whitespace\)"),
            ("CONFIG_A=\n", r"^f\.config:1: CONFIG_A='': not a Kconfig value; use y"),
            ("CONFIG_A=hello world\n", r"^f\.config:1: CONFIG_A='hello world': not a Kconfig value \(quote strings"),
            ("CONFIG_A=y\r\n", r"^f\.config:1: ends in a carriage return"),
            ("CONFIG_A=y\n# caf\udce9\n", r"^f\.config:2: byte 0xe9 is not UTF-8"),
            ("CONFIG_A=y\nCONFIG_A=n\n", r"^f\.config:2: CONFIG_A=n contradicts f\.config:1 \(CONFIG_A=y\)$"),
        ]:
            with self.subTest(text=text):
                # KbuildConfigError: the repository reports it from its targets (EXIT_CONFIG).
                with self.assertRaisesRegex(KbuildConfigError, want) as cm:
                    fragments.parse_fragment("f.config", text)
                self.assertNotIn("\n", str(cm.exception))

    def test_same_value_twice_is_fine(self):
        self.assertLen(fragments.parse_fragment("f", "CONFIG_A=y\nCONFIG_A=y\n"), 2)


class EffectiveAndUnmetTest(absltest.TestCase):

    def test_later_fragment_wins_and_takes_the_blame(self):
        wanted = fragments.effective([("a.config", "CONFIG_X=y\nCONFIG_Y=y\n"), ("b.config", "\n# CONFIG_X is not set\n")])
        self.assertEqual(wanted, {"CONFIG_X": ("b.config", 2, "n"), "CONFIG_Y": ("a.config", 2, "y")})
        # X=y in the .config: the overriding line (b.config:2) is what did not hold.
        self.assertEqual(fragments.unmet(wanted, {"CONFIG_X": "y", "CONFIG_Y": "y"}, None),
                         ["b.config:2: CONFIG_X=n requested, .config has CONFIG_X=y"])

    def test_missing_symbol_unknown_or_unmet_dependencies(self):
        wanted = fragments.effective([("f.config", "CONFIG_DOES_NOT_EXIST=y\nCONFIG_NEEDS_PCI=y\nCONFIG_OFF=n\nCONFIG_K=y\n")])
        config = {"CONFIG_K": "n"}
        declared = fragments.kconfig_symbols(["config NEEDS_PCI\n\tbool\n", "menuconfig K\n", "config OFF\n"])
        self.assertEqual(declared, {"CONFIG_NEEDS_PCI", "CONFIG_K", "CONFIG_OFF"})
        self.assertEqual(fragments.unmet(wanted, config, declared), [
            "f.config:1: CONFIG_DOES_NOT_EXIST=y: no such symbol in this kernel's Kconfig files (a typo, or another kernel version?)",
            "f.config:2: CONFIG_NEEDS_PCI=y requested, but the .config does not have CONFIG_NEEDS_PCI: its dependencies are not met",
            "f.config:4: CONFIG_K=y requested, .config has CONFIG_K=n",
        ])
        self.assertEqual(fragments.unmet(wanted, config, declared, ignore={"CONFIG_K", "CONFIG_DOES_NOT_EXIST", "CONFIG_NEEDS_PCI"}), [])

    def test_met(self):
        wanted = fragments.effective([("f", "CONFIG_A=y\nCONFIG_B=\"x\"\n# CONFIG_C is not set\n")])
        self.assertEqual(fragments.unmet(wanted, {"CONFIG_A": "y", "CONFIG_B": '"x"', "CONFIG_C": "n"}, None), [])


if __name__ == "__main__":
    absltest.main()
