"""Analysis tests of KernelPlanCheck (rules/private/actions/plan_check.bzl)."""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts")
load("//rules/private/actions:plan_check.bzl", "plan_check_actions")

def _subject_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + "/plan_check.stamp")
    plan_check_actions.emit(
        ctx,
        tool = ctx.attr._plan_check[DefaultInfo].files_to_run,
        record = ctx.file.record,
        root = ctx.label.package + "/plan_check_tree",
        tree = ctx.files.tree,
        built_from = ctx.files.built_from,
        config_inputs = ctx.files.config_inputs,
        clang = ctx.file.clang,
        out = out,
    )
    return [DefaultInfo(files = depset([out]))]

plan_check_subject = rule(
    implementation = _subject_impl,
    doc = "Emits one KernelPlanCheck over hand-made files.",
    attrs = {
        "record": attr.label(allow_single_file = True),
        "tree": attr.label_list(allow_files = True),
        "built_from": attr.label_list(allow_files = True),
        "config_inputs": attr.label_list(allow_files = True),
        "clang": attr.label(allow_single_file = True),
        "_plan_check": attr.label(default = "//tools/plan_check", executable = True, cfg = "exec"),
    },
)

def _inputs_impl(ctx):
    env = analysistest.begin(ctx)
    actions = [a for a in analysistest.target_actions(env) if a.mnemonic == "KernelPlanCheck"]
    asserts.equals(env, 1, len(actions), "one KernelPlanCheck")
    inputs = [f.path for f in actions[0].inputs.to_list()]
    tree = "tests/kernel/plan_check_tree/"
    for p in ["Makefile", "kernel/Makefile", "kernel/bounds.c", "x.config", "plan_sources.json", "clang"]:
        asserts.true(env, tree + p in inputs, "KernelPlanCheck does not read " + p)
    asserts.equals(env, ["plan_check.stamp"], [f.basename for f in actions[0].outputs.to_list()])

    # Every path in the command is relative (the same on every machine).
    for a in actions[0].argv:
        asserts.false(env, a.startswith("/"), "absolute path in argv: " + a)
    return analysistest.end(env)

plan_check_inputs_test = analysistest.make(_inputs_impl)
