"""Unit tests of kernel_config's argument checks, hub wiring and front-door errors."""

load("@bazel_skylib//lib:unittest.bzl", "asserts", "unittest")
load("//rules/private:flags.bzl", "front_door_error")
load("//rules/private:kernel_config.bzl", "check_kernel_config", "check_variants", "hub_kernels", "hub_objtrees")

def _hub_impl(ctx):
    env = unittest.begin(ctx)
    vmlinux, modules = hub_kernels("k", "x86_64", ["thin", "none"])
    asserts.equals(env, {
        "x86_64/thin": "@k_thin//:thin",
        "x86_64/thin_dist": "@k_thin//:thin_dist",
        "x86_64/none": "@k_none//:none",
    }, vmlinux)
    asserts.equals(env, "@k_thin//:modules_thin_dist", modules["x86_64/thin_dist"])
    asserts.equals(env, "@k_none//:modules_none", modules["x86_64/none"])
    asserts.equals(env, 3, len(modules))
    vmlinux, _ = hub_kernels("k", "arm64", ["full"])
    asserts.equals(env, {"arm64/full": "@k_full//:full"}, vmlinux)

    # :dist reads .config and kernel.release from the import of the selected mode.
    asserts.equals(env, {
        "x86_64/thin": "@k_thin//:objtree",
        "x86_64/thin_dist": "@k_thin//:objtree",
        "x86_64/none": "@k_none//:objtree",
    }, hub_objtrees("k", "x86_64", ["thin", "none"]))
    return unittest.end(env)

hub_test = unittest.make(_hub_impl)

def _checks_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(env, None, check_kernel_config("k", "x86_64", "defconfig", None, ["thin"]))
    asserts.equals(env, None, check_kernel_config("k", "arm64", None, "//:my_defconfig", ["none", "thin", "full"]))
    for args, want in [
        (("k", "riscv", "defconfig", None, ["thin"]), "arch = \"riscv\" is not supported"),
        (("k", "x86_64", "defconfig", "//:d", ["thin"]), "exactly one of defconfig_target"),
        (("k", "x86_64", None, None, ["thin"]), "exactly one of defconfig_target"),
        (("k", "x86_64", "defconfig", None, []), "lto is empty"),
        (("k", "x86_64", "defconfig", None, ["thin_dist"]), "\"thin_dist\" is not a Kconfig LTO choice"),
        (("k", "x86_64", "defconfig", None, ["thin", "thin"]), "names a choice twice"),
    ]:
        got = check_kernel_config(*args)
        asserts.true(env, got and got.startswith("kernel_config(k): ") and want in got, "{}: {} lacks {}".format(args, got, want))

    # Variants: NAME_<variant> must not be NAME_<lto choice> (an import repository's name).
    asserts.equals(env, None, check_variants("k", {}))
    asserts.equals(env, None, check_variants("k", {"debug": ["//:d.config"], "board_2": ["//:b.config"]}))
    for variants, want in [
        ({"thin": ["//:d.config"]}, "not an LTO choice"),
        ({"de-bug": ["//:d.config"]}, "letters, digits and _"),
        ({"": ["//:d.config"]}, "letters, digits and _"),
        ({"debug": []}, "non-empty list"),
        ({"debug": "//:d.config"}, "non-empty list"),
    ]:
        got = check_variants("k", variants)
        asserts.true(env, got and got.startswith("kernel_config(k): ") and want in got, "{}: {} lacks {}".format(variants, got, want))
    return unittest.end(env)

checks_test = unittest.make(_checks_impl)

def _front_door_error_impl(ctx):
    env = unittest.begin(ctx)
    got = front_door_error("@k//:vmlinux", ["x86_64/none", "x86_64/thin_dist", "x86_64/thin"])
    asserts.equals(
        env,
        "@k//:vmlinux is built for --platforms=@rules_kernel_lto//platforms:x86_64 with --@rules_kernel_lto//:lto=thin_dist|thin|none (the LTO modes imported for it); got another platform or mode",
        got,
    )
    got = front_door_error("//:vmlinux", ["arm64/full", "x86_64/full"])
    asserts.true(env, "platforms:arm64 or @rules_kernel_lto//platforms:x86_64 with --@rules_kernel_lto//:lto=full " in got, got)
    return unittest.end(env)

front_door_error_test = unittest.make(_front_door_error_impl)

def kernel_config_test_suite(name):
    unittest.suite(name, hub_test, checks_test, front_door_error_test)
