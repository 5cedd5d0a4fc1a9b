"""Analysis test of srcversion for in-tree modules (MODULE_VERSION; docs/defconfig-steps.md
7.4): each part of such a module gets a KernelSrcversionDeps action (its compile again with
Kbuild's -Wp,-MMD depfile), and KernelModpost reads the depfiles plus exactly the files
sumversion.c hashes (each part's source and its dependencies in the part's own directory),
staged at their Kbuild paths, with the exec root's tree prefixes stripped from the depfiles."""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts")
load("//rules/private/actions:modules.bzl", "modules_actions")

# Kbuild path -> root of each input file (the subject declares them under in/<root>/).
_FILES = {
    "lib/xz/xz_dec_syms.c": "linux",
    "lib/xz/xz_dec_stream.c": "linux",
    "lib/xz/xz_private.h": "linux",  # own directory: hashed
    "lib/xz/xz_gen.h": "obj",  # generated, own directory: hashed
    "include/linux/xz.h": "linux",  # elsewhere: not hashed
    "lib/xz/sub/inner.h": "linux",  # a subdirectory: not hashed (sumversion: "d" must end at the last '/')
    "drivers/lib/xz/odd.h": "linux",  # the part's directory later in the path: hashed, as sumversion's strstr
}
_PARTS = {
    "lib/xz/xz_dec_syms.o": ("lib/xz/xz_dec_syms.c", ["include/linux/xz.h"]),
    "lib/xz/xz_dec_stream.o": ("lib/xz/xz_dec_stream.c", ["lib/xz/xz_private.h", "lib/xz/xz_gen.h", "lib/xz/sub/inner.h", "drivers/lib/xz/odd.h", "include/linux/xz.h"]),
}
_MODS = [("lib/xz/xz_dec", ["lib/xz/xz_dec_syms.o", "lib/xz/xz_dec_stream.o"]), ("lib/xz/xz_dec_test", ["lib/xz/xz_dec_stream.o"])]

def _subject_impl(ctx):
    prefix = ctx.label.name
    files = {}
    for path, root in _FILES.items():
        files[path] = ctx.actions.declare_file("{}/in/{}/{}".format(prefix, root, path))
        ctx.actions.write(files[path], "")
    clang = ctx.actions.declare_file(prefix + "/in/bin/clang")
    ctx.actions.write(clang, "")
    base = files["include/linux/xz.h"].path[:-len("/linux/include/linux/xz.h")]
    roots = {"$(srctree)": base + "/linux", "$(objtree)": base + "/obj"}
    part_compiles = {}
    for p, (src, hdrs) in _PARTS.items():
        part_compiles[p] = struct(source = files[src], inputs = depset([files[src]] + [files[h] for h in hdrs]), flags = ["-DKBUILD_MODNAME=x", "-O2"])
    tc = struct(clang = clang, all_files = depset())
    sv = modules_actions.srcversion(ctx, tc, roots, _MODS, part_compiles, prefix + "/out")
    mp = modules_actions.emit_modpost(ctx, ctx.attr._modpost[DefaultInfo].files_to_run, ["-T", "-", "-o", "Module.symvers"], [], {}, None, [], prefix + "/out", [], srcversion = sv)
    return [DefaultInfo(files = depset([mp.symvers]))]

srcversion_subject = rule(
    implementation = _subject_impl,
    attrs = {"_modpost": attr.label(default = "//tools/modpost", executable = True, cfg = "exec")},
    # modpost runs through the toolchain's shell (rules/private/actions/shell.bzl).
    toolchains = [str(Label("//toolchains:toolchain_type"))],
)

def _test_impl(ctx):
    env = analysistest.begin(ctx)
    actions = analysistest.target_actions(env)
    deps = [a for a in actions if a.mnemonic == "KernelSrcversionDeps"]
    asserts.equals(env, 2, len(deps), "one depfile compile per part (a part of two modules once)")
    for a in deps:
        depfile = a.outputs.to_list()[0].path
        asserts.equals(env, "-Wp,-MMD," + depfile, a.argv[1], "Kbuild's -Wp,-MMD first")
        asserts.equals(env, ["-c", "-o", "/dev/null"], a.argv[-4:-1], "the object is discarded")
    mp = [a for a in actions if a.mnemonic == "KernelModpost"]
    asserts.equals(env, 1, len(mp))
    staged = sorted([f.path.partition("/out/")[2] for f in mp[0].inputs.to_list() if "/out/" in f.path and not f.path.endswith(".d") and not f.path.endswith("modules.order")])
    asserts.equals(env, sorted(["lib/xz/xz_dec_syms.c", "lib/xz/xz_dec_stream.c", "lib/xz/xz_private.h", "lib/xz/xz_gen.h", "drivers/lib/xz/odd.h"]), staged, "exactly what sumversion reads, at Kbuild paths")
    depfiles = [f for f in mp[0].inputs.to_list() if f.path.endswith(".d")]
    asserts.equals(env, 2, len(depfiles), "modpost reads both depfiles")
    argv = mp[0].argv
    strips = [argv[i + 1] for i, a in enumerate(argv) if a == "--strip"]
    asserts.equals(env, 2, len(strips), "srctree and objtree prefixes stripped")
    for s in strips:
        asserts.true(env, not s.startswith("/") and s.endswith("/"), "a relative exec path prefix: " + s)
    asserts.true(env, "--mod" in argv and "lib/xz/xz_dec" in argv, "M.mod written")
    return analysistest.end(env)

srcversion_test = analysistest.make(_test_impl)
