"""toggle_diff.py's pure functions: execution log and `make V=1` parsing, the comparison."""

from absl.testing import absltest

from tests.config_slice import toggle_diff as td

_TOP = {"kernel", "arch", "drivers", "include", "scripts"}


def _spawn(mnemonic, *outs, hit=False):
    return {"mnemonic": mnemonic, "listedOutputs": list(outs), "remoteCacheHit": hit}


class ToggleDiffTest(absltest.TestCase):
    def test_tree_path(self):
        b = "bazel-out/k8-fastbuild-ST-1/bin/external/linux_arm64_thin/"
        self.assertEqual(td.tree_path(b + "objects/kernel/printk/printk.o", _TOP), "kernel/printk/printk.o")
        # The target's name is skipped even when it is a tree directory's.
        self.assertEqual(td.tree_path(b + "kernel/kernel/fork.o", _TOP), "kernel/fork.o")
        self.assertEqual(td.tree_path(b + "objects/arch/arm64/kernel/vdso/note.o", _TOP),
                         "arch/arm64/kernel/vdso/note.o")
        self.assertIsNone(td.tree_path(b + "objects/elsewhere/x.o", _TOP))
        self.assertIsNone(td.tree_path("bazel-out/x/bin/tools/x.o", _TOP))

    def test_ours_recompiled(self):
        b = "bazel-out/k8/bin/external/linux_arm64_thin/objects/"
        got = td.ours_recompiled([
            _spawn("KernelCompile", b + "kernel/printk/printk.o", b + "kernel/printk/.printk.o.d"),
            _spawn("KernelVdsoCompile", b + "arch/arm64/kernel/vdso/vdso.lds", hit=True),
            _spawn("KernelLtoBackend", b + "thin/kernel/printk/printk.o"),
            _spawn("KernelCompile", "bazel-out/k8/bin/external/linux_arm64_thin/objects/odd/x.o"),
        ], _TOP)
        self.assertEqual(got["compiled"], {"kernel/printk/printk.o": "KernelCompile",
                                           "arch/arm64/kernel/vdso/vdso.lds": "KernelVdsoCompile"})
        self.assertEqual(got["counts"], {"KernelCompile": 2, "KernelVdsoCompile": 1, "KernelLtoBackend": 1})
        self.assertEqual(got["cache_hits"], 1)
        self.assertLen(got["unmapped"], 1)

    def test_kbuild_compiles(self):
        log = "\n".join([
            "make -f /src/scripts/Makefile.build obj=kernel/printk",
            "  /llvm/bin/clang -Wp,-MMD,kernel/printk/.printk.o.d -nostdinc -I./include "
            "-DKBUILD_MODFILE='\"kernel/printk/printk\"' -c -o kernel/printk/printk.o /src/kernel/printk/printk.c  ; "
            "./scripts/basic/fixdep kernel/printk/.printk.o.d kernel/printk/printk.o > x.cmd",
            "  /llvm/bin/clang -E -Wp,-MD,arch/arm64/kernel/.vmlinux.lds.d -P -o arch/arm64/kernel/vmlinux.lds "
            "/src/arch/arm64/kernel/vmlinux.lds.S",
            "  /llvm/bin/clang -E -P -o ./include/x.i /src/x.c",  # preprocessing only: not a compile
            "  /llvm/bin/ld.lld -r -o drivers/watchdog/watchdog.o drivers/watchdog/a.o",
            "+ /llvm/bin/clang -nostdinc -D__ASSEMBLY__ -c -o .tmp_vmlinux.kallsyms1.o .tmp_vmlinux.kallsyms1.S",
            "  /llvm/bin/clang -c -o drivers/watchdog/softdog.mod.o drivers/watchdog/softdog.mod.c",
            "echo 'clang -o unbalanced",
        ])
        got = td.kbuild_compiles(log)
        self.assertEqual(got, {"kernel/printk/printk.o", "arch/arm64/kernel/vmlinux.lds", ".tmp_vmlinux.kallsyms1.o",
                               "drivers/watchdog/softdog.mod.o"})
        self.assertEqual(sorted(p for p in got if td.is_link_stage(p)),
                         [".tmp_vmlinux.kallsyms1.o", "drivers/watchdog/softdog.mod.o"])

    def test_changed_symbols(self):
        before = "CONFIG_HZ_250=y\nCONFIG_HZ=250\n# CONFIG_HZ_1000 is not set\nCONFIG_A=y\n"
        after = "# CONFIG_HZ_250 is not set\nCONFIG_HZ_1000=y\nCONFIG_HZ=1000\nCONFIG_A=y\nCONFIG_NEW=y\n"
        self.assertEqual(td.changed_symbols(before, after), ["HZ", "HZ_1000", "HZ_250", "NEW"])

    def test_footprints_and_reasons(self):
        table = {"paths": ["PRINTK", "PRINTK_TIME", "HZ"], "nodes": [[-1, [0]], [0, [1]], [-1, [2]]]}
        bplan = {"interned": {"config": table},
                 "objects": [{"out": "kernel/printk/printk.o", "config": 1}, {"out": "kernel/time/x.o", "config": 2},
                             {"out": "kernel/gen.o"}],
                 "modules": {"lds": {"out": "scripts/module.lds", "config": -1}}}
        fps = td.footprints(bplan)
        self.assertEqual(fps, {"kernel/printk/printk.o": {"PRINTK", "PRINTK_TIME"}, "kernel/time/x.o": {"HZ"},
                               "kernel/gen.o": None, "scripts/module.lds": set()})
        self.assertIn("vDSO", td.extra_reason("arch/arm64/kernel/vdso/note.o", ["X"], "absent", None))
        self.assertIn(".mod.c", td.extra_reason("lib/x.mod.o", ["X"], "absent", None))
        self.assertIn("no config footprint", td.extra_reason("arch/arm64/kernel/vdso-wrap.o", ["X"], None, None))
        self.assertIn("scanned at build time", td.extra_reason("kernel/gen.o", ["X"], None, None))
        self.assertIn("none of the changed", td.extra_reason("kernel/time/x.o", ["PRINTK_TIME"], {"HZ"}, None))
        self.assertIn("fixdep lacks", td.extra_reason("kernel/time/x.o", ["HZ"], {"HZ"}, set()))
        self.assertIn("too", td.extra_reason("kernel/time/x.o", ["HZ"], {"HZ"}, {"HZ"}))

    def test_compare_and_table(self):
        missing, extra = td.compare(["a.o", "b.o"], {"b.o": "KernelCompile", "c.o": "KernelCompile"})
        self.assertEqual((missing, extra), (["a.o"], ["c.o"]))
        row = dict(toggle="CONFIG_X=y", changed=["X"], kbuild=["a.o", "b.o"], kbuild_link=[], ours=["b.o", "c.o"],
                   missing=missing, extra=extra, backends="1 of 9", ours_wall=1.0, revert_wall=2.0, kbuild_wall=3.0)
        self.assertIn("| CONFIG_X=y | X | 2 (+0) | 2 | a.o | 1 | 1 of 9 |", td.table([row]))


if __name__ == "__main__":
    absltest.main()
