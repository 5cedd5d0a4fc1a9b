"""Analysis tests of KernelModpost with symbol CRCs (modpost -m, CONFIG_MODVERSIONS):
what emit_modpost stages for modpost (M.mod, .vmlinux.objs, each object's `#SYMVER`
lines in its .P.o.cmd) and that it reads every KernelSymversions output it names."""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts")
load("//rules/private/actions:modules.bzl", "modules_actions")

def _subject_impl(ctx):
    prefix = ctx.label.name
    m_o = ctx.actions.declare_file(prefix + "/drivers/m.o")
    vmlinux_o = ctx.actions.declare_file(prefix + "/in/vmlinux.o")
    sv = {p: ctx.actions.declare_file("{}/sv/{}.symversions".format(prefix, p)) for p in ["lib/a.o", "drivers/m.o"]}
    for f in [m_o, vmlinux_o] + sv.values():
        ctx.actions.write(f, "")
    crcs = struct(
        mods = [("drivers/m", ["drivers/m.o"])],
        symversions = sv.items(),
        vmlinux_objs = ["lib/a.o", "lib/b.o"],
    ) if ctx.attr.crcs else None
    mp = modules_actions.emit_modpost(
        ctx,
        ctx.attr._modpost[DefaultInfo].files_to_run,
        ["-m", "-E", "-o", "Module.symvers", "-T", "-", "vmlinux.o"] if ctx.attr.m else ["-E", "-o", "Module.symvers", "-T", "-", "vmlinux.o"],
        ["drivers/m.ko"],
        {"drivers/m.o": m_o},
        vmlinux_o,
        [],
        prefix,
        ["drivers/m.mod.c"],
        crcs = crcs,
    )
    export_c = modules_actions.emit_vmlinux_export_c(
        ctx,
        ctx.attr._modpost[DefaultInfo].files_to_run,
        vmlinux_o,
        struct(symversions = [("lib/a.o", sv["lib/a.o"])], vmlinux_objs = ["lib/a.o", "lib/b.o"]),
        prefix + "/export",
    ) if ctx.attr.crcs else None
    return [DefaultInfo(files = depset([mp.symvers] + ([export_c] if export_c else [])))]

modpost_crcs_subject = rule(
    implementation = _subject_impl,
    attrs = {
        "crcs": attr.bool(),
        "m": attr.bool(),
        "_modpost": attr.label(default = "//tools/modpost", executable = True, cfg = "exec"),
    },
    # modpost runs through the toolchain's shell (rules/private/actions/shell.bzl).
    toolchains = [str(Label("//toolchains:toolchain_type"))],
)

def _staging_impl(ctx):
    env = analysistest.begin(ctx)
    actions = [a for a in analysistest.target_actions(env) if a.mnemonic == "KernelModpost" and
                                                              [f for f in a.outputs.to_list() if f.basename == "Module.symvers"]]
    asserts.equals(env, 1, len(actions), "one KernelModpost writing Module.symvers")
    argv = actions[0].argv
    inputs = [f.path for f in actions[0].inputs.to_list()]
    staged = {argv[i + 1]: argv[i + 2] for i in range(len(argv)) if argv[i] == "--symvers"}
    asserts.equals(env, ["drivers/m.o", "lib/a.o"], sorted(staged.keys()))
    for p, f in staged.items():
        asserts.true(env, f.endswith("/sv/{}.symversions".format(p)), f)
        asserts.true(env, f in inputs, "KernelModpost does not read " + f)
    i = argv.index("--vmlinux_objs")
    asserts.equals(env, ["lib/a.o", "lib/b.o", "--"], argv[i + 1:i + 4])
    i = argv.index("--mod")
    asserts.equals(env, ["drivers/m", "drivers/m.o", "--"], argv[i + 1:i + 4])
    script = argv[argv.index("-c") + 1]  # sh -c SCRIPT (rules/private/actions/shell.bzl)
    asserts.true(env, "{ echo; cat" in script, "the #SYMVER lines need a newline before them (modpost looks for \\n#SYMVER)")
    asserts.true(env, "-m" in argv[argv.index("--"):], "modpost gets -m")
    return analysistest.end(env)

modpost_crcs_staging_test = analysistest.make(_staging_impl)

def _export_c_impl(ctx):
    env = analysistest.begin(ctx)
    actions = [a for a in analysistest.target_actions(env) if a.mnemonic == "KernelModpost" and
                                                              [f for f in a.outputs.to_list() if f.basename == ".vmlinux.export.c"]]
    asserts.equals(env, 1, len(actions), "one KernelModpost writing .vmlinux.export.c")
    a = actions[0]
    asserts.equals(env, [".vmlinux.export.c"], [f.basename for f in a.outputs.to_list()])
    argv = a.argv
    inputs = [f.path for f in a.inputs.to_list()]
    i = argv.index("--symvers")
    asserts.equals(env, "lib/a.o", argv[i + 1])
    asserts.true(env, argv[i + 2] in inputs, "does not read the #SYMVER lines of lib/a.o")
    i = argv.index("--vmlinux_objs")
    asserts.equals(env, ["lib/a.o", "lib/b.o", "--"], argv[i + 1:i + 4])
    asserts.true(env, "-m -T - vmlinux.o" in argv[argv.index("-c") + 1], "modpost -m over vmlinux.o alone")
    asserts.true(env, [p for p in inputs if p.endswith("/export/vmlinux.o")], "vmlinux.o staged beside it")
    return analysistest.end(env)

modpost_export_c_test = analysistest.make(_export_c_impl)

def _fails_impl(ctx):
    env = analysistest.begin(ctx)
    asserts.expect_failure(env, ctx.attr.want)
    return analysistest.end(env)

modpost_crcs_failure_test = analysistest.make(
    _fails_impl,
    expect_failure = True,
    attrs = {"want": attr.string()},
)
