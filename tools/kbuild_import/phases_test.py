"""The import's phases: progress lines, and the state handed from one process to the next."""

import os

from absl.testing import absltest

from tools.kbuild_import import run
from tools.kbuild_import.common import KbuildImportError


class TimerProgressTest(absltest.TestCase):

    def test_one_line_per_phase_start_and_note(self):
        lines = []
        timer = run.Timer(progress=lines.append)
        timer.run("total", lambda: timer.run("config", lambda: None))
        timer.run("parse", lambda: None)
        timer.run("parse", lambda: None)  # the same phase again: no new line
        timer.note("dry run: 3 commands, 2 compiles")
        self.assertEqual(lines, ["config", "parse", "dry run: 3 commands, 2 compiles"])
        self.assertEqual(sorted(timer.times), ["config", "parse", "total"])

    def test_progress_writer_appends_lines(self):
        path = os.path.join(self.create_tempdir().full_path, "progress")
        write = run.progress_writer(path)
        write("config")
        write("two\nlines")
        with open(path) as f:
            self.assertEqual(f.read(), "config\ntwo lines\n")


class StateTest(absltest.TestCase):

    def test_round_trip(self):
        path = os.path.join(self.create_tempdir().full_path, "state")
        state = {"config_text": "CONFIG_A=y\n", "prepared": {"include/generated/autoconf.h": True}}
        run.save_state(path, state)
        self.assertEqual(run.load_state(path), state)

    def test_missing_state_names_the_order(self):
        with self.assertRaisesRegex(KbuildImportError, "run the phases in order: config, prepare, dryrun, finish"):
            run.load_state(os.path.join(self.create_tempdir().full_path, "absent"))

    def test_phases_are_the_whole_import(self):
        self.assertEqual(run.PHASES, ("config", "prepare", "dryrun", "finish"))


if __name__ == "__main__":
    absltest.main()
