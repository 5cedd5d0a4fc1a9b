"""The pinned @kernel_boot_tools as tools/boot_step runs them (not the unit tests' host tools).

perl reads its own modules alone: @INC is lib/perl5 and nothing of the machine's, so a
module perl-base lacks (Benchmark, which Debian's perl-modules has) fails the step instead
of being read from the host (as Kbuild runs perl: `perl SCRIPT ...`; a `-M` on the command
line itself would load before PERL5OPT's); awk is mawk; sh runs the command.
"""

import os
import tempfile

from absl import flags
from absl.testing import absltest

from tools.boot_step import lib

_TOOLS_DIR = flags.DEFINE_string("tools_dir", None, "@kernel_boot_tools (runfiles path of bin/sh's top).", required=True)


class PinnedToolsTest(absltest.TestCase):
    def setUp(self):
        super().setUp()
        self.dir = tempfile.mkdtemp(dir=absltest.TEST_TMPDIR.value)
        self.shell, self.path, self.lib_path = lib.tools_paths(_TOOLS_DIR.value)

    def _step(self, cmd):
        out = os.path.join(self.dir, "out.txt")
        lib.run_step(cmd=cmd, srctree=".", tools={}, inputs={}, out_rel="o/out.txt", out=out,
                     workdir=os.path.join(self.dir, "w"), path=self.path, shell=self.shell, lib_path=self.lib_path)
        with open(out) as f:
            return f.read()

    def test_perl_reads_only_its_pinned_modules(self):
        inc = self._step("perl -e 'use strict; print join(qq(\\n), @INC), qq(\\n)' > o/out.txt")
        self.assertEqual(inc.split(), [os.path.join(self.lib_path, lib.PERL_MODULES)])
        with self.assertRaisesRegex(lib.StepError, r"o/out.txt: the step failed \(exit 2\): .*Can't locate Benchmark.pm"):
            self._step("echo 'use Benchmark;' > o/x.pl; perl o/x.pl > o/out.txt")

    def test_perl_runs_a_kbuild_style_script(self):
        self.assertEqual(self._step("perl -w -e 'my @a = (1, 2); printf(qq(%d\\n), scalar @a)' > o/out.txt"), "2\n")

    def test_awk_and_sh(self):
        self.assertEqual(self._step("echo 3 4 | awk '{ print $1 * $2 }' > o/out.txt"), "12\n")


if __name__ == "__main__":
    absltest.main()
