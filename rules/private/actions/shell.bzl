"""run_shell: ctx.actions.run_shell through the toolchain's declared, pinned shell.

Bazel's run_shell runs `/bin/bash -c` from the machine: on a remote-execution worker (issue
13, tests/remote_exec) there is none, and locally the result depends on the host's bash,
sed and tr. Here the command runs as `busybox sh -c COMMAND sh ARGS...` with the
toolchain's `sh` (Debian's busybox-static, pinned in toolchains/locks/busybox.lock.json) as
the executable, hence a declared input; its standalone shell runs sed, tr, grep, uniq, head,
... as its own applets. The command must be POSIX sh (busybox ash: `set -o pipefail` works,
bash arrays do not).
"""

_TOOLCHAIN = str(Label("//toolchains:toolchain_type"))

def run_shell(ctx, *, command, arguments = [], **kwargs):
    """ctx.actions.run_shell(command = ..., arguments = ..., **kwargs), hermetic.

    The calling rule must declare the kernel toolchain. `arguments` (strings and Args) are
    $1... of the command, as with run_shell.
    """
    sh = ctx.toolchains[_TOOLCHAIN].kernel.sh
    ctx.actions.run(
        executable = sh,
        arguments = ["sh", "-c", command, "sh"] + arguments,
        **kwargs
    )
