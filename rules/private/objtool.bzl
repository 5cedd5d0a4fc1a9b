"""Kbuild's post-compile/post-link steps (objtool on x86_64), run inside the same action.

Kbuild runs objtool on an object right after clang writes it (non-LTO x86_64) and on
vmlinux.o right after `ld -r` (LTO x86_64): objtool rewrites the file in place (ORC unwind
tables, static-call and retpoline sites, ...). A kernel built without it boots but is
silently different, so a plan step we do not understand fails the build.
"""

load("//rules/private/actions:shell.bzl", "run_shell")

_OBJTOOL = "./tools/objtool/objtool"

def parse_objtool(cmd, target):
    """Parses a normalized Kbuild command `./tools/objtool/objtool FLAGS... TARGET`.

    Returns:
      struct(flags = list[string] or None, error = string or None).
    """
    words = [w for w in cmd.split(" ") if w]
    if len(words) < 2 or words[0] != _OBJTOOL:
        return struct(flags = None, error = "only objtool is supported after a compile or link")
    if words[-1] != target:
        return struct(flags = None, error = "objtool must process {} itself, not {}".format(target, words[-1]))
    odd = [w for w in words if "'" in w or '"' in w or "$" in w or ";" in w or "|" in w or ">" in w or "<" in w]
    if odd:
        return struct(flags = None, error = "shell syntax in an objtool command: {}".format(odd[0]))
    return struct(flags = words[1:-1], error = None)

def objtool_flags(cmd, target, where):
    """parse_objtool, failing the build with one line on an unsupported command."""
    got = parse_objtool(cmd, target)
    if got.error:
        fail("{}: Kbuild runs `{}` after building {}: {}; re-import, or report the command".format(where, cmd, target, got.error))
    return got.flags

def run_then_objtool(ctx, executable, arguments, inputs, out, objtool, flags, extra_outputs = [], **kwargs):
    """ctx.actions.run(executable, arguments), then `objtool FLAGS out` if flags != None.

    executable: a File, or the FilesToRunProvider of a tool with runfiles (a py_tool).
    """
    if flags == None:
        ctx.actions.run(executable = executable, arguments = arguments, inputs = inputs, outputs = [out] + extra_outputs, **kwargs)
        return
    if type(executable) == "File":
        path, direct, tools = executable.path, [executable, objtool], []
    else:
        path, direct, tools = executable.executable.path, [objtool], [executable]
    run_shell(
        ctx,
        command = 'set -e\n"$@"\n{} {} {}'.format(objtool.path, " ".join(flags), out.path),
        arguments = [path] + arguments,
        inputs = depset(direct, transitive = [inputs]),
        tools = tools,
        outputs = [out] + extra_outputs,
        **kwargs
    )
