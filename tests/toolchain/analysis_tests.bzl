"""Analysis tests: toolchain resolution per platform and the shape of the ThinLTO graph."""

load("@bazel_skylib//lib:unittest.bzl", "analysistest", "asserts")
load("//rules:defs.bzl", "KernelLtoInfo")

def _actions(env, mnemonic):
    return [a for a in analysistest.target_actions(env) if a.mnemonic == mnemonic]

def _check(env, triple):
    compiles = _actions(env, "KernelCompile")
    asserts.equals(env, 3, len(compiles), "one KernelCompile per source")
    for a in compiles:
        asserts.true(env, "--target=" + triple in a.argv, "KernelCompile targets " + triple)
        asserts.true(env, "-flto=thin" in a.argv, "KernelCompile writes ThinLTO bitcode")
        asserts.true(env, "-nostdinc" in a.argv, "KernelCompile reads no host headers")
    asserts.equals(env, 1, len(_actions(env, "KernelThinLink")), "one KernelThinLink")
    backends = _actions(env, "KernelLtoBackend")
    asserts.equals(env, 3, len(backends), "one KernelLtoBackend per bitcode object")
    links = _actions(env, "KernelLink")
    asserts.equals(env, 1, len(links), "one KernelLink")
    info = analysistest.target_under_test(env)[KernelLtoInfo]
    natives = sorted([f.path for a in backends for f in a.outputs.to_list()])
    asserts.equals(env, sorted([f.path for f in info.natives]), natives)
    linked = sorted([f.path for f in links[0].inputs.to_list() if f.path.endswith(".o")])
    asserts.equals(env, natives, linked, "the link reads the backends' outputs and no bitcode")
    bitcode = [f.path for f in info.bitcode]
    for a in backends:
        inputs = [f.path for f in a.inputs.to_list()]
        asserts.false(env, [p for p in bitcode if p in inputs], "a backend reads its tree, not all bitcode")

def _arm64_impl(ctx):
    env = analysistest.begin(ctx)
    _check(env, "aarch64-linux-gnu")
    return analysistest.end(env)

def _x86_64_impl(ctx):
    env = analysistest.begin(ctx)
    _check(env, "x86_64-linux-gnu")
    return analysistest.end(env)

resolves_arm64_test = analysistest.make(
    _arm64_impl,
    config_settings = {"//command_line_option:platforms": str(Label("//platforms:arm64"))},
)

resolves_x86_64_test = analysistest.make(
    _x86_64_impl,
    config_settings = {"//command_line_option:platforms": str(Label("//platforms:x86_64"))},
)

def toolchain_analysis_tests(name):
    resolves_arm64_test(name = name + "_arm64_test", target_under_test = ":smoke")
    resolves_x86_64_test(name = name + "_x86_64_test", target_under_test = ":smoke")
