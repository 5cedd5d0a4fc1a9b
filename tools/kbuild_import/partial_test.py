"""Tests for tools/kbuild_import/partial.py: arm64 KVM nVHE's kvm_nvhe.o chain (testdata/nvhe_dry_run.txt)."""

import dataclasses

from absl.testing import absltest

from tools.kbuild_import.analysis import analyze
from tools.kbuild_import.common import KbuildImportError
from tools.kbuild_import.partial import chains, generated_sources, host_targets, parse_host_run, parse_partial_ld, parts_of
from tools.kbuild_import.test_util import LDS, TOOLS, dry_run_steps, find_step

_NVHE = "arch/arm64/kvm/hyp/nvhe"
_FINAL = f"{_NVHE}/kvm_nvhe.o"


class PartialTest(absltest.TestCase):
    def setUp(self):
        super().setUp()
        self.steps = dry_run_steps("nvhe_dry_run.txt")
        self.analysis = analyze(self.steps + dry_run_steps("mini_dry_run.txt"), TOOLS, LDS)

    def test_the_chain_in_kbuild_order(self):
        p = self.analysis.partials
        self.assertEqual([(s.tag, s.out, s.kind) for s in p.steps], [
            ("LD", f"{_NVHE}/kvm_nvhe.tmp.o", "ld"),
            ("HYPREL", f"{_NVHE}/hyp-reloc.S", "run"),
            ("AS", f"{_NVHE}/hyp-reloc.o", "compile"),
            ("LD", f"{_NVHE}/kvm_nvhe.rel.o", "ld"),
            ("HYPCOPY", _FINAL, "objcopy"),
        ])
        self.assertEqual(list(p.lds), [f"{_NVHE}/hyp.lds"])
        # HYPREL is a partial step now, not a generator the import runs for real.
        self.assertNotIn(f"{_NVHE}/hyp-reloc.S", [s.target for s in self.analysis.build_steps])

    def test_inputs_normalized_with_the_script_first(self):
        tmp = self.analysis.partials.steps[0]
        self.assertEqual(tmp.inputs[0], f"{_NVHE}/hyp.lds")
        self.assertIn("arch/arm64/kvm/hyp/vgic-v3-sr.nvhe.o", tmp.inputs)  # nvhe/../ normalized
        self.assertIn("arch/arm64/lib/memset.nvhe.o", tmp.inputs)
        self.assertIn("arch/arm64/lib/memset.nvhe.o", self.analysis.compiles)
        hyprel = self.analysis.partials.steps[1]
        self.assertEqual((hyprel.inputs, hyprel.host), ((f"{_NVHE}/kvm_nvhe.tmp.o",), (f"{_NVHE}/gen-hyprel",)))

    def test_chain_parts_and_generated_source(self):
        c = chains(self.analysis.partials.steps, self.analysis.compiles)
        self.assertEqual(list(c), [_FINAL])
        parts = parts_of(c[_FINAL], self.analysis.compiles)
        self.assertEqual(parts[0], f"{_NVHE}/timer-sr.nvhe.o")
        self.assertEqual(parts[-1], f"{_NVHE}/hyp-reloc.o")
        self.assertEqual(generated_sources(self.analysis.partials.steps), {f"{_NVHE}/hyp-reloc.S"})
        self.assertEqual(host_targets(self.analysis.partials.steps, self.analysis.hosts),
                         [(_NVHE, [f"{_NVHE}/gen-hyprel"])])

    def test_ld_shapes(self):
        s = find_step(self.steps, f"{_NVHE}/kvm_nvhe.rel.o")
        self.assertEqual(parse_partial_ld(s, TOOLS["ld"]), ([f"{_NVHE}/kvm_nvhe.tmp.o", f"{_NVHE}/hyp-reloc.o"], None))
        for old, new, message in [
            (" -r ", " ", "a link without -r"),
            (TOOLS["ld"], "/usr/bin/ld.bfd", "not one `ld -r` command of the import's --ld"),
            (f"-o {_NVHE}/kvm_nvhe.rel.o", f"-o {_NVHE}/other.o", "writes"),
        ]:
            with self.subTest(new=new):
                self.assertIn(old, s.cmd)
                with self.assertRaisesRegex(KbuildImportError, f"^LD {_NVHE}/kvm_nvhe.rel.o: .*{message}"):
                    parse_partial_ld(dataclasses.replace(s, cmd=s.cmd.replace(old, new, 1)), TOOLS["ld"])

    def test_host_run_shape(self):
        s = find_step(self.steps, f"{_NVHE}/hyp-reloc.S")
        self.assertEqual(parse_host_run(s), (f"{_NVHE}/gen-hyprel", [f"{_NVHE}/kvm_nvhe.tmp.o"]))
        self.assertIsNone(parse_host_run(dataclasses.replace(s, cmd=s.cmd + " | cat")))

    def test_link_of_an_unknown_file_is_one_line(self):
        s = find_step(self.steps, f"{_NVHE}/kvm_nvhe.rel.o")
        bad = dataclasses.replace(s, cmd=s.cmd.replace(f"{_NVHE}/hyp-reloc.o", f"{_NVHE}/nowhere.o"))
        steps = [bad if x is s else x for x in self.steps]
        with self.assertRaisesRegex(KbuildImportError, f"^LD {_NVHE}/kvm_nvhe.rel.o: links {_NVHE}/nowhere.o, "
                                                       "which the dry run neither compiles nor makes"):
            analyze(steps + dry_run_steps("mini_dry_run.txt"), TOOLS, LDS)

    def test_objcopy_of_an_unknown_file_is_one_line(self):
        s = find_step(self.steps, _FINAL)
        bad = dataclasses.replace(s, cmd=s.cmd.replace(f"{_NVHE}/kvm_nvhe.rel.o", f"{_NVHE}/nowhere.o"))
        steps = [bad if x is s else x for x in self.steps]
        with self.assertRaisesRegex(KbuildImportError, f"^HYPCOPY {_FINAL}: made from {_NVHE}/nowhere.o"):
            analyze(steps + dry_run_steps("mini_dry_run.txt"), TOOLS, LDS)


if __name__ == "__main__":
    absltest.main()
