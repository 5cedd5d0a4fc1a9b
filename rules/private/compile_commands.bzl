"""kernel_compile_commands: `bazel run` writes compile_commands.json for one Kbuild import.

Every kernel_kbuild_repository has one (`@linux_arm64_none//:compile_commands`); the front
doors `//:compile_commands` and `@NAME//:compile_commands` pick it by --platforms and
--//:lto. Nothing is built: the launcher hands tools/compile_commands the plan and three
runfiles it resolves to real directories at run time (the kernel source, the import's
object tree, the hermetic clang), so no action output holds an absolute path.
"""

load("//rules/private:launcher.bzl", "in_runfiles", "write_launcher")

def _kernel_compile_commands_impl(ctx):
    launcher = ctx.actions.declare_file(ctx.label.name)
    tool = ctx.attr._tool[DefaultInfo].files_to_run.executable
    objtree_rel = ctx.file.objtree.short_path.partition("/obj/")[2]
    if not objtree_rel:
        fail("{}: objtree must be a file below the import's obj/".format(ctx.label))
    write_launcher(ctx, launcher, rule = "kernel_compile_commands", tool = tool, args = [
        "--plan=" + in_runfiles(ctx, ctx.file.plan),
        "--srctree_file=" + in_runfiles(ctx, ctx.file.srctree),
        "--objtree_file=" + in_runfiles(ctx, ctx.file.objtree),
        "--objtree_rel=" + objtree_rel,
        "--clang=" + in_runfiles(ctx, ctx.file._clang),
    ])
    runfiles = ctx.runfiles(files = [ctx.file.plan, ctx.file.srctree, ctx.file.objtree, ctx.file._clang, tool])
    runfiles = runfiles.merge(ctx.attr._tool[DefaultInfo].default_runfiles)
    return [DefaultInfo(executable = launcher, runfiles = runfiles, files = depset([launcher]))]

kernel_compile_commands = rule(
    implementation = _kernel_compile_commands_impl,
    doc = "`bazel run` writes compile_commands.json (every KernelCompile of a Kbuild import) into the workspace.",
    executable = True,
    attrs = {
        "plan": attr.label(mandatory = True, allow_single_file = [".json"], doc = "The import's plan.json."),
        "srctree": attr.label(mandatory = True, allow_single_file = True, doc = "The kernel tree's top Makefile."),
        "objtree": attr.label(mandatory = True, allow_single_file = True, doc = "A file below the import's obj/ (include/config/auto.conf)."),
        "_clang": attr.label(default = "@kernel_llvm//:bin/clang", allow_single_file = True, cfg = "exec"),
        "_tool": attr.label(default = "//tools/compile_commands", executable = True, cfg = "exec"),
    },
)
