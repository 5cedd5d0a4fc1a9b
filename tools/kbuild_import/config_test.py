"""Tests for tools/kbuild_import: the .config (testdata: see test_util.py)"""

from absl.testing import absltest

from tools.kbuild_import.config import kallsyms_args, lto_mode, parse_config, toolchain_info
from tools.kbuild_import.test_util import CONFIG


class ConfigTest(absltest.TestCase):
    def test_parse_and_lto(self):
        c = parse_config(CONFIG)
        self.assertEqual((c["CONFIG_LTO_NONE"], c["CONFIG_LOG_BUF_SHIFT"]), ("n", "17"))
        self.assertEqual(lto_mode(c), "thin")
        self.assertEqual(lto_mode({"CONFIG_LTO_CLANG_FULL": "y"}), "full")
        self.assertEqual(lto_mode({}), "none")
        self.assertEqual(toolchain_info(c)["cc_version_text"], "Debian clang version 19.1.7 (3~deb12u1)")
        self.assertEqual(kallsyms_args(c), ["--base-relative", "--lto-clang"])
        self.assertIsNone(kallsyms_args({}))


if __name__ == "__main__":
    absltest.main()
