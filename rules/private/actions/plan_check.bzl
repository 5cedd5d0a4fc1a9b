"""KernelPlanCheck: is an imported Kbuild plan older than its source tree?

The import (a repository rule) records the sha256 of what it read (tools/plan_check/lib.py);
this action hashes the same files of the build and fails with one line naming the first
difference and the re-import command. Its output, the stamp, is the same bytes for every
current plan, so a re-import that changes nothing else rebuilds nothing; every
KernelCompile reads it (kernel_objects.bzl), so a stale plan compiles and links nothing.
"""

load("//rules/private:kbuild_inputs.bzl", "KBUILD_INPUTS")

def _emit(ctx, *, tool, record, root, tree, built_from, config_inputs, clang, out):
    """Declares the KernelPlanCheck action.

    Args:
      ctx: rule context.
      tool: FilesToRunProvider of //tools/plan_check.
      record: File, the import's plan_sources.json.
      root: string, the source tree's directory (exec path: external/linux).
      tree: list[File], the tree's files that KBUILD_INPUTS matches (@linux//:kbuild_inputs).
      built_from: list[File], the other tree files the import recorded by name.
      config_inputs: list[File], the import's .config and fragments, in its order.
      clang: File, the toolchain's clang (the import recorded its sha256).
      out: File, the stamp.
    """
    args = ctx.actions.args()
    args.use_param_file("--flagfile=%s", use_always = True)
    args.set_param_file_format("multiline")
    args.add("--record", record)
    args.add("--root", root)
    args.add_all(KBUILD_INPUTS.include, format_each = "--include=%s")
    args.add_all(KBUILD_INPUTS.exclude, format_each = "--exclude=%s")
    args.add_all(tree, format_each = "--file=%s")
    args.add_all(built_from, format_each = "--built_from=%s")
    args.add_all(config_inputs, format_each = "--fragment=%s")
    args.add(clang, format = "--tool=clang=%s")
    args.add("--out", out)
    ctx.actions.run(
        executable = tool,
        arguments = [args],
        inputs = depset([record, clang] + tree + built_from + config_inputs),
        outputs = [out],
        mnemonic = "KernelPlanCheck",
        # It reads only the files its flags name, so the sandbox guards nothing here, and
        # building one of ~6,500 symlinks took 2 of its 3.5 s (measured under load).
        execution_requirements = {"no-sandbox": "1"},
        progress_message = "Checking the plan against {} source-tree files ({})".format(len(tree) + len(built_from), ctx.label),
    )

plan_check_actions = struct(emit = _emit)
