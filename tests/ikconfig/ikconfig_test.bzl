"""ikconfig_test: the kernel carries its own .config (CONFIG_IKCONFIG), read back by the
kernel's scripts/extract-ikconfig from the boot image, equals the import's .config.

kernel/configs.o is a bitcode object whose inline assembly `.incbin`s
kernel/config_data.gz: each LTO mode generates that assembly somewhere else (lld's
in-process link, a distributed backend), and each must find the file and embed this
.config, not a stale one. The kernel is reached like the boot tests reach it (to_transit).
"""

load("//rules/private:platform_transition.bzl", "to_transit")

_SCRIPT = """#!/bin/sh
set -eu
fail() {{ echo "{label}: $*" >&2; exit 1; }}
out=${{TEST_TMPDIR:-/tmp}}/extracted.config
sh "{extract}" "{image}" > "$out" || fail "scripts/extract-ikconfig found no config in {image}"
cmp -s "$out" "{config}" || fail "the config in {image} is not {config} ($(wc -l < "$out") vs $(wc -l < "{config}") lines)"
echo "{label}: {image} carries {config} ($(wc -l < "$out") lines)"
"""

def _only(files, suffix, what):
    found = [f for f in files if f.short_path.endswith(suffix)]
    if len(found) != 1:
        fail("{}: {} files end in {}, expected 1".format(what, len(found), suffix))
    return found[0]

def _ikconfig_test_impl(ctx):
    image = ctx.attr.kernel[0][OutputGroupInfo].image.to_list()[0]
    extract = _only(ctx.files.kbuild_inputs, "/scripts/extract-ikconfig", str(ctx.attr.kbuild_inputs.label))
    config = _only(ctx.files.objtree, "/obj/.config", str(ctx.attr.objtree.label))
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(script, _SCRIPT.format(
        label = str(ctx.label),
        extract = extract.short_path,
        image = image.short_path,
        config = config.short_path,
    ), is_executable = True)
    return [DefaultInfo(executable = script, runfiles = ctx.runfiles(files = [image, extract, config]))]

ikconfig_test = rule(
    implementation = _ikconfig_test_impl,
    doc = "Checks with scripts/extract-ikconfig that a CONFIG_IKCONFIG kernel's image carries its .config.",
    attrs = {
        "kernel": attr.label(mandatory = True, cfg = to_transit, doc = "A kernel_vmlinux target."),
        "objtree": attr.label(mandatory = True, allow_files = True, doc = "The import's objtree filegroup (obj/.config)."),
        "kbuild_inputs": attr.label(default = "@linux//:kbuild_inputs", allow_files = True, doc = "Holds scripts/extract-ikconfig."),
        "_allowlist_function_transition": attr.label(default = "@bazel_tools//tools/allowlists/function_transition_allowlist"),
    },
    test = True,
)
