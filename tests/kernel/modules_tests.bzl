"""Unit tests of rules/private/actions/modules.bzl: plan argv handling for module links."""

load("@bazel_skylib//lib:unittest.bzl", "asserts", "unittest")
load("//rules/private/actions:modules.bzl", "modules_actions")

_LTO_SINGLE = ["$(LD)", "-EL", "-maarch64elf", "-z", "norelro", "-mllvm", "-import-instr-limit=5", "-r", "-o", "lib/m.o", "lib/m.o"]

def _link_flags_impl(ctx):
    env = unittest.begin(ctx)

    # The output (also the single part's name) and the inputs go; every flag stays, in order.
    asserts.equals(
        env,
        ["-EL", "-maarch64elf", "-z", "norelro", "-mllvm", "-import-instr-limit=5", "-r"],
        modules_actions.link_flags(_LTO_SINGLE, {"lib/m.o": True}, {}),
    )
    asserts.equals(
        env,
        ["-r", "-T", "X/scripts/module.lds"],
        modules_actions.link_flags(["$(LD)", "-r", "-T", "$(objtree)/scripts/module.lds", "-o", "a.ko", "a.o"], {"a.o": True}, {"$(objtree)": "X"}),
    )
    return unittest.end(env)

link_flags_test = unittest.make(_link_flags_impl)

def _ld_argv_impl(ctx):
    env = unittest.begin(ctx)

    # An out-of-tree template (as the import records it from its probe module).
    values = {"$(M)": "pkg", "$(NAME)": "pair"}
    asserts.equals(
        env,
        ["$(LD)", "-r", "-m", "elf_x86_64", "-T", "scripts/module.lds", "-o", "pkg/pair.ko", "pkg/pair.o", "pkg/pair.mod.o"],
        modules_actions.ld_argv(["$(LD)", "-r", "-m", "elf_x86_64", "-T", "scripts/module.lds", "-o", "$(M)/$(NAME).ko", "$(M)/$(NAME).o", "$(M)/$(NAME).mod.o"], values),
    )
    asserts.equals(
        env,
        ["$(LD)", "-r", "-o", "pkg/pair.o", "pkg/a.o", "pkg/b.o"],
        modules_actions.ld_argv(["$(LD)", "-r", "-o", "$(M)/$(NAME).o", "$(PARTS)"], values, ["pkg/a.o", "pkg/b.o"]),
    )
    return unittest.end(env)

ld_argv_test = unittest.make(_ld_argv_impl)

def modules_test_suite(name):
    unittest.suite(name, link_flags_test, ld_argv_test)
