"""Checks a kernel_thinlto_binary: right machine, and that its code came through ThinLTO backends."""

import os
import subprocess

from absl import flags
from absl.testing import absltest

from tools.elfinfo import lib as elfinfo

_MACHINE = flags.DEFINE_string("machine", None, "Expected e_machine.", required=True)
_PROGRAM = flags.DEFINE_string("program", None, "The linked program (runfiles path).", required=True)
_RUN = flags.DEFINE_bool("run", False, "Also run the program here (host-native targets only).")

_UNITS = ["start", "main", "helper"]


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _describe(path):
    with open(path, "rb") as f:
        return elfinfo.describe(path, f)


class SmokeTest(absltest.TestCase):

    def setUp(self):
        self.lto = _PROGRAM.value + ".lto"

    def test_program_is_a_static_executable_for_the_target(self):
        info = _describe(_PROGRAM.value)
        self.assertEqual(info["machine"], _MACHINE.value)
        self.assertEqual(info["type"], "ET_EXEC")
        self.assertIn("_start", info["defined"])
        self.assertEqual(info["undefined"], [])

    def test_compiles_wrote_bitcode_and_backends_wrote_native_objects(self):
        for unit in _UNITS:
            self.assertEqual(elfinfo.kind(_read(f"{self.lto}/{unit}.o")), "bitcode", unit)
            native = f"{self.lto}/{unit}.native.o"
            self.assertEqual(_describe(native)["machine"], _MACHINE.value, unit)

    def test_thin_link_imported_helper_into_main(self):
        tree = f"{self.lto}/main.o.inputs"
        with open(f"{tree}/imports") as f:
            imports = f.read().split()
        self.assertEqual([os.path.basename(m) for m in imports], ["helper.o"])
        # The tree holds exactly main.o and what it imports, at the thin-link's paths.
        staged = sorted(os.path.relpath(os.path.join(d, n), f"{tree}/files")
                        for d, _, names in os.walk(f"{tree}/files") for n in names)
        self.assertEqual([os.path.basename(p) for p in staged], ["helper.o", "main.o"])
        self.assertIn(imports[0], staged)

    def test_backend_inlined_the_imported_function(self):
        native = _describe(f"{self.lto}/main.native.o")
        self.assertIn("smoke_main", native["defined"])
        self.assertNotIn("helper_scale", native["undefined"])

    def test_runs(self):
        if not _RUN.value:
            self.skipTest("not a host-native target")
        proc = subprocess.run([_PROGRAM.value], check=False)
        self.assertEqual(proc.returncode, 7 * 3 + 1)


if __name__ == "__main__":
    absltest.main()
