"""kernel_llvm_plugin: an LLVM pass plugin (a shared object clang loads), built by an action.

The plugin is built with the hermetic clang against the headers of the same pinned LLVM
(@kernel_llvm//:plugin_sdk) and the pinned host sysroot, so its bytes are the same on
every machine and output base. It links nothing: every symbol it uses is in the clang
process that loads it (libLLVM, libstdc++). With an LLVM that has no plugin SDK (source
"archive" or "local") the rule provides no file and the kernel rules load no plugin.
"""

def _kernel_llvm_plugin_impl(ctx):
    sdk = ctx.files.sdk
    if not sdk:
        return [DefaultInfo(files = depset())]
    include = [f for f in sdk if f.path.endswith("/plugin_sdk/include/llvm/Config/llvm-config.h")]
    if len(include) != 1:
        fail("{}: {} has no include/llvm/Config/llvm-config.h; re-fetch the LLVM repository".format(ctx.label, ctx.attr.sdk.label))
    root = include[0].path[:-len("/include/llvm/Config/llvm-config.h")]
    sysroot = ctx.attr.sysroot.label
    out = ctx.actions.declare_file(ctx.label.name + ".so")
    args = ctx.actions.args()
    args.add_all([
        "--driver-mode=g++",
        "--target=x86_64-linux-gnu",
        "-no-canonical-prefixes",
        "--sysroot=" + (sysroot.workspace_root + "/" + sysroot.package).rstrip("/"),
        "-nostdinc++",
        "-isystem",
        root + "/include/c++/12",
        "-isystem",
        root + "/include/x86_64-linux-gnu/c++/12",
        "-isystem",
        root + "/include",
        "-std=c++17",
        "-O2",
        "-fPIC",
        "-fno-rtti",
        "-fno-exceptions",
        "-DNDEBUG",
        "-D_GNU_SOURCE",
        "-D__STDC_CONSTANT_MACROS",
        "-D__STDC_FORMAT_MACROS",
        "-D__STDC_LIMIT_MACROS",
        "-Werror",
        "-shared",
        "-nostdlib",
        "-fuse-ld=lld",
        "-Wl,--build-id=none",
        "-o",
        out,
        ctx.file.src,
    ])
    ctx.actions.run(
        executable = ctx.executable.clang,
        arguments = [args],
        inputs = depset([ctx.file.src], transitive = [ctx.attr.sdk[DefaultInfo].files, ctx.attr.sysroot[DefaultInfo].files, ctx.attr.llvm[DefaultInfo].files]),
        outputs = [out],
        mnemonic = "KernelPlugin",
        progress_message = "Building the LLVM pass plugin {}".format(ctx.label),
    )
    return [DefaultInfo(files = depset([out]))]

kernel_llvm_plugin = rule(
    implementation = _kernel_llvm_plugin_impl,
    doc = "One LLVM pass plugin from one C++ source (see the .bzl's docstring).",
    attrs = {
        "src": attr.label(mandatory = True, allow_single_file = [".cc"], doc = "The plugin's source."),
        "clang": attr.label(default = "@kernel_llvm//:bin/clang", allow_single_file = True, executable = True, cfg = "exec"),
        "llvm": attr.label(default = "@kernel_llvm//:all_files", cfg = "exec", doc = "clang's run-time files (lld)."),
        "sdk": attr.label(default = "@kernel_llvm//:plugin_sdk", cfg = "exec", doc = "LLVM's and libstdc++'s headers."),
        "sysroot": attr.label(default = "@kernel_sysroot//:all_files", cfg = "exec", doc = "The host sysroot (libc headers)."),
    },
)
