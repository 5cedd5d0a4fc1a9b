"""Analysis tests of KernelSymversions (rules/private/actions/symversions.bzl): the
command Kbuild 6.1's gen_symversions runs, per kind, path-free, exact inputs."""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts")
load("//rules/private/actions:symversions.bzl", "symversions_actions")

def _subject_impl(ctx):
    # The parts of KernelToolchainInfo the action uses, as hand-made files.
    tc = struct(llvm_nm = ctx.file.nm, clang = ctx.file.clang, all_files = depset([ctx.file.nm, ctx.file.clang]))
    out = ctx.actions.declare_file(ctx.label.name + "/x.o.symversions")
    entry = {"kind": ctx.attr.kind}
    if ctx.attr.kind == "asm":
        entry["c_flags"] = ["-I$(srctree)/include", "-DKBUILD_MODNAME=\"y\""]
    symversions_actions.emit(
        ctx,
        tc = tc,
        genksyms = ctx.file.genksyms,
        path = "lib/x.o",
        obj = ctx.file.obj,
        source = ctx.file.src,
        entry = entry,
        flags = ["-nostdinc", "-Iexternal/linux/include"],
        roots = {"$(srctree)": "external/linux"},
        inputs = depset(ctx.files.hdrs),
        out = out,
    )
    return [DefaultInfo(files = depset([out]))]

symversions_subject = rule(
    implementation = _subject_impl,
    doc = "Emits one KernelSymversions over hand-made files.",
    attrs = {
        "kind": attr.string(values = ["c", "asm"]),
        "src": attr.label(allow_single_file = True),
        "obj": attr.label(allow_single_file = True),
        "genksyms": attr.label(allow_single_file = True),
        "hdrs": attr.label_list(allow_files = True),
        "nm": attr.label(allow_single_file = True),
        "clang": attr.label(allow_single_file = True),
    },
    # The action runs under the toolchain's pinned busybox sh (rules/private/actions/shell.bzl).
    toolchains = [str(Label("//toolchains:toolchain_type"))],
)

def _check(env, kind, src):
    actions = [a for a in analysistest.target_actions(env) if a.mnemonic == "KernelSymversions"]
    asserts.equals(env, 1, len(actions), "one KernelSymversions")
    a = actions[0]
    inputs = [f.path for f in a.inputs.to_list()]
    tree = "tests/kernel/symversions_tree/"
    for p in [src, src[:-2] + ".o", "genksyms", "h.h"]:
        asserts.true(env, tree + p in inputs, "KernelSymversions does not read " + p)
    asserts.equals(env, ["x.o.symversions"], [f.basename for f in a.outputs.to_list()])

    # argv: <toolchain sh> sh -c SCRIPT sh, then nm obj genksyms out cc kind flags... src
    # [-- c_flags...]: the pinned busybox, never the machine's /bin/bash (remote workers).
    argv = a.argv
    asserts.equals(env, ["sh", "-c"], argv[1:3], "not the toolchain's sh -c")
    asserts.false(env, argv[0].startswith("/"), "the shell is not a declared input: " + argv[0])
    i = argv.index(tree + src[:-2] + ".o")
    asserts.equals(env, tree + "llvm-nm", argv[i - 1])
    asserts.equals(env, tree + "genksyms", argv[i + 1])
    asserts.equals(env, tree + "clang", argv[i + 3])
    asserts.equals(env, kind, argv[i + 4])
    rest = argv[i + 5:]
    want = ["-nostdinc", "-Iexternal/linux/include", tree + src]
    if kind == "asm":
        want += ["--", "-Iexternal/linux/include", "-DKBUILD_MODNAME=\"y\""]
    asserts.equals(env, want, rest)
    script = argv[argv.index("-c") + 1] if "-c" in argv else ""
    for word in ["grep -q __ksymtab", "-D__GENKSYMS__", "-r /dev/null", "pipefail"]:
        asserts.true(env, word in script, "the script lacks " + word)
    if kind == "asm":
        for word in ["asm/asm-prototypes.h", "linux/kernel.h", "___EXPORT_SYMBOL", "-xc -"]:
            asserts.true(env, word in script, "the script lacks " + word)
    for w in argv:
        asserts.false(env, w.startswith("/"), "absolute path in argv: " + w)

def _c_impl(ctx):
    env = analysistest.begin(ctx)
    _check(env, "c", "x.c")
    return analysistest.end(env)

def _asm_impl(ctx):
    env = analysistest.begin(ctx)
    _check(env, "asm", "y.S")
    return analysistest.end(env)

symversions_c_test = analysistest.make(_c_impl)
symversions_asm_test = analysistest.make(_asm_impl)
