from absl.testing import absltest

from tools.kconfig_edit import lib

_BASE_MIN = "CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_LTO_NONE=y\n"
_EDITED_MIN = "CONFIG_A=y\nCONFIG_B=y\nCONFIG_C=m\nCONFIG_LTO_CLANG_THIN=y\n"
_EDITED_FULL = ("CONFIG_A=y\nCONFIG_B=y\nCONFIG_C=m\n# CONFIG_D is not set\nCONFIG_E=y\nCONFIG_LTO_CLANG_THIN=y\n"
                "# CONFIG_LTO_NONE is not set\n")


class ChangesTest(absltest.TestCase):

    def test_differences_in_savedefconfig_order_without_lto(self):
        self.assertEqual(lib.changes(_BASE_MIN, _EDITED_MIN, _EDITED_FULL), {"CONFIG_B": "y", "CONFIG_C": "m"})

    def test_back_to_default_takes_the_full_value(self):
        # D was listed in the base (non-default) and no longer is: its edited value is written.
        self.assertEqual(lib.changes("CONFIG_D=y\n", "", _EDITED_FULL), {"CONFIG_D": "n"})

    def test_listed_only(self):
        self.assertEqual(lib.changes("CONFIG_D=y\n", "CONFIG_B=y\n", _EDITED_FULL, listed_only=True), {"CONFIG_B": "y"})

    def test_symbol_gone_from_config_is_not_written(self):
        self.assertEqual(lib.changes("CONFIG_GONE=y\n", "", _EDITED_FULL), {})


class MergeFragmentTest(absltest.TestCase):

    def test_update_in_place_append_drop_and_keep_comments(self):
        text = "# my fragment\n# CONFIG_B is not set\nCONFIG_E=y\nCONFIG_GONE=y\nCONFIG_LTO_NONE=y\n"
        new, report = lib.merge_fragment(text, {"CONFIG_B": "y", "CONFIG_C": "m"}, _EDITED_FULL)
        self.assertEqual(new, "# my fragment\nCONFIG_B=y\nCONFIG_E=y\nCONFIG_LTO_NONE=y\nCONFIG_C=m\n")
        self.assertEqual(report, ["CONFIG_B: n -> y", "CONFIG_GONE: y -> dropped (its dependencies are not met)",
                                  "CONFIG_C: -> m"])

    def test_minimal_drops_lines_that_change_nothing(self):
        new, report = lib.merge_fragment("CONFIG_E=y\nCONFIG_B=y\n", {"CONFIG_B": "y"}, _EDITED_FULL, minimal=True)
        self.assertEqual(new, "CONFIG_B=y\n")
        self.assertEqual(report, ["CONFIG_E: y -> dropped (the rest of the config gives it)"])

    def test_no_change_is_the_same_text(self):
        text = "# c\nCONFIG_E=y\n\n"
        self.assertEqual(lib.merge_fragment(text, {}, _EDITED_FULL), (text, []))


class DefconfigTest(absltest.TestCase):

    def test_lto_lines_of_the_old_file_are_kept(self):
        self.assertEqual(lib.defconfig_text(_EDITED_MIN, "CONFIG_A=y\nCONFIG_LTO_NONE=y\n"),
                         "CONFIG_A=y\nCONFIG_B=y\nCONFIG_C=m\nCONFIG_LTO_NONE=y\n")

    def test_missing_assignments(self):
        self.assertEqual(lib.missing_assignments(_EDITED_FULL, "CONFIG_A=y\nCONFIG_B=m\nCONFIG_X=y\n"),
                         {"CONFIG_B": "y"})

    def test_mismatches(self):
        self.assertEqual(lib.mismatches("CONFIG_A=y\n", "CONFIG_A=m\nCONFIG_B=y\n"),
                         ["CONFIG_A: y vs m", "CONFIG_B: None vs y"])


if __name__ == "__main__":
    absltest.main()
