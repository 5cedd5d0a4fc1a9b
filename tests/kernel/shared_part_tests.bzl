"""Analysis test of a module part linked into two modules (plan `other_modules`, e.g. arm64
defconfig's sound/soc/codecs/wcd-clsh-v2.o): one compiled object feeds both module links;
in thin_dist each module's thin link and backend of it write their own files."""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts")
load("//rules/private/actions:modules.bzl", "modules_actions")

_SHARED = "snd/clsh.o"
_MODULES = {"snd/a.o": ["snd/clsh.o", "snd/a1.o"], "snd/b.o": ["snd/clsh.o", "snd/b1.o"]}

def _subject_impl(ctx):
    prefix = ctx.label.name
    files = {}
    for p in ["snd/clsh.o", "snd/a1.o", "snd/b1.o", "bin/ld.lld", "bin/clang", "bin/llvm-objcopy"]:
        files[p] = ctx.actions.declare_file("{}/in/{}".format(prefix, p))
        ctx.actions.write(files[p], "")
    tc = struct(
        ld_lld = files["bin/ld.lld"],
        clang = files["bin/clang"],
        llvm_objcopy = files["bin/llvm-objcopy"],
        all_files = depset(),
        target_triple = "aarch64-linux-gnu",
        builtin_include = "include",
        elf_machine = "aarch64",
        ld_emulation = ["-maarch64elf"],
    )
    outs = []
    for m in sorted(_MODULES):
        parts = _MODULES[m]
        made = modules_actions.emit_module_object(
            ctx,
            tc,
            ctx.attr.mode,
            m,
            [(p, files[p]) for p in parts],
            ["$(LD)", "-EL", "-maarch64elf", "-r", "-o", m] + parts,
            [],
            {},
            None,
            prefix,
            {_SHARED: True},
        )
        outs.append(made.obj)
    return [DefaultInfo(files = depset(outs))]

shared_part_subject = rule(
    implementation = _subject_impl,
    attrs = {
        "mode": attr.string(),
        "_thinlto": attr.label(default = "//tools/thinlto", executable = True, cfg = "exec"),
    },
)

def _thin_dist_impl(ctx):
    env = analysistest.begin(ctx)
    actions = analysistest.target_actions(env)
    links = [a for a in actions if a.mnemonic == "KernelModuleObject"]
    asserts.equals(env, 2, len(links), "one KernelModuleObject per module")
    backends = [a for a in actions if a.mnemonic == "KernelLtoBackend"]
    asserts.equals(env, 4, len(backends), "a backend per part of each module")
    shared = {}
    for a in backends:
        obj = a.argv[a.argv.index("--object") + 1]
        if obj.endswith("/in/" + _SHARED):
            shared[a.outputs.to_list()[0].path] = a
    asserts.equals(env, 2, len(shared), "the shared part has a backend in each module, at its own path")
    for m in sorted(_MODULES):
        want = [p for p in shared if "/natives/{}.parts/{}".format(m, _SHARED) in p]
        asserts.equals(env, 1, len(want), "{}'s backend of {}: {}".format(m, _SHARED, sorted(shared)))
        link = [a for a in links if a.outputs.to_list()[0].path.endswith("/" + m)][0]
        inputs = [f.path for f in link.inputs.to_list()]
        asserts.true(env, want and want[0] in inputs, "{} links its own native of {}".format(m, _SHARED))
    for a in [a for a in actions if a.mnemonic == "KernelThinLink"]:
        trees = [f.path for f in a.outputs.to_list()]
        asserts.equals(env, 2, len(trees))
    return analysistest.end(env)

shared_part_thin_dist_test = analysistest.make(_thin_dist_impl)

def _thin_impl(ctx):
    env = analysistest.begin(ctx)
    links = [a for a in analysistest.target_actions(env) if a.mnemonic == "KernelModuleObject"]
    asserts.equals(env, 2, len(links), "one KernelModuleObject per module")
    for a in links:
        inputs = [f.path for f in a.inputs.to_list()]
        asserts.equals(env, 1, len([p for p in inputs if p.endswith("/in/" + _SHARED)]), "links the one compiled " + _SHARED)
    return analysistest.end(env)

shared_part_thin_test = analysistest.make(_thin_impl)
