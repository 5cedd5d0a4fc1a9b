"""Unit tests of rules/private/objtool.bzl: which Kbuild post-build commands we run."""

load("@bazel_skylib//lib:unittest.bzl", "asserts", "unittest")
load("//rules/private:objtool.bzl", "parse_objtool")

_OBJ = "arch/x86/entry/common.o"

def _flags_impl(ctx):
    env = unittest.begin(ctx)
    got = parse_objtool("./tools/objtool/objtool --hacks=jump_label --static-call  --uaccess " + _OBJ, _OBJ)
    asserts.equals(env, None, got.error)
    asserts.equals(env, ["--hacks=jump_label", "--static-call", "--uaccess"], got.flags)
    got = parse_objtool("./tools/objtool/objtool --orc --link vmlinux.o", "vmlinux.o")
    asserts.equals(env, ["--orc", "--link"], got.flags)
    return unittest.end(env)

flags_test = unittest.make(_flags_impl)

def _rejects_impl(ctx):
    env = unittest.begin(ctx)
    for cmd, target, want in [
        ("./scripts/other --x " + _OBJ, _OBJ, "only objtool"),
        ("./tools/objtool/objtool", _OBJ, "only objtool"),
        ("./tools/objtool/objtool --orc other.o", _OBJ, "must process " + _OBJ),
        ("./tools/objtool/objtool --orc $(X) " + _OBJ, _OBJ, "shell syntax"),
        ("./tools/objtool/objtool --orc > log " + _OBJ, _OBJ, "shell syntax"),
    ]:
        got = parse_objtool(cmd, target)
        asserts.equals(env, None, got.flags, cmd)
        asserts.true(env, got.error and want in got.error, "{}: error {} lacks {}".format(cmd, got.error, want))
    return unittest.end(env)

rejects_test = unittest.make(_rejects_impl)

def objtool_test_suite(name):
    unittest.suite(name, flags_test, rejects_test)
