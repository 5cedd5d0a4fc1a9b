"""KernelCompile's command: clang (then objtool), with diagnostics that name the user's file.

A compile sees exactly the headers the import's clang-scan-deps recorded for its object
(kernel_objects.bzl), so an `#include` added after the import fails. Run bare, clang then
says `external/linux/init/main.c:710:10: fatal error: 'linux/zutil.h' file not found`: a
sandbox path, and wrong when the header exists in the tree. Here the compile runs under the
toolchain's pinned `sh` (actions/shell.bzl), which keeps clang's stderr and, only if there
is any:
  - rewrites the source and object tree prefixes (and any absolute `.../execroot/<ws>/`,
    a header's copy in the object's extra-headers directory (actions/include_scan.bzl),
    and a config slice's bazel-out/.../config/<key>/generated/ as include/generated/) so
    every path is relative to the kernel tree, as Kbuild prints it;
  - on a missing header, replaces clang's "file not found" with one line naming the
    including file and line, and the re-import command: with the tree's real directory (the
    action's source is a symlink into it; looked up only after the failure) it says whether
    the header exists there and, for a `LINUX_SRC` tree, gives `--repo_env=LINUX_SRC=<dir>`.
    A header that exists nowhere keeps clang's message.
On success with no output the wrapper costs one `sh` start and a pipe (measured in the
commit). Nothing here reaches an output: the rewritten text is stderr only.
"""

load("//rules/private/actions:shell.bzl", "run_shell")

# $1 srctree prefix, $2 objtree prefix, $3 repository, $4 object, $5 source, $6 objtool (or
# ""), $7 objtool's flags, $8 the output; then the compile command.
_SCRIPT = r"""s=$1 o=$2 r=$3 n=$4 src=$5 ot=$6 of=$7 out=$8
shift 8
e=$("$@" 2>&1)
rc=$?
if [ -n "$e" ]; then
  e=$(printf '%s\n' "$e" | sed -e 's#/[^ :]*/execroot/[^/ ]*/##g' -e 's#bazel-out/[^ :]*/extra_hdrs/[^ :]*/\(external/\)#\1#g' -e 's#bazel-out/[^ :]*/config/[0-9a-zA-Z_]*/generated/#include/generated/#g' -e "s#$o/##g" -e "s#$s/##g")
fi
if [ $rc -ne 0 ]; then
  m=$(printf '%s\n' "$e" | sed -n "s#^\([^ :]*\):\([0-9]*\):[0-9]*: fatal error: '\([^']*\)' file not found\$#\1 \2 \3#p" | head -n 1)
  if [ -n "$m" ]; then
    dirs= p=
    for a in "$@"; do
      [ "$p" = -I ] && a=-I$a
      p=$a
      case $a in -I"$s") dirs="$dirs .";; -I"$s"/*) dirs="$dirs ${a#-I$s/}";; esac
    done
    set -- $m
    f=$1 l=$2 h=$3 root= found=
    rel=${src#$s/}
    abs=$(readlink -f "$src" 2>/dev/null)
    case $abs in */"$rel") root=${abs%/$rel};; esac
    cmd="./bazel sync --only=$r"
    if [ -n "$root" ]; then
      for d in "${f%/*}" $dirs; do
        if [ -e "$root/$d/$h" ]; then found=${d#./}/$h; found=${found#./}; break; fi
      done
      case $root in */external/"${s##*/}") ;; *) cmd="$cmd --repo_env=LINUX_SRC=$root" f=$root/$f;; esac
    fi
    line=
    if [ -n "$found" ]; then
      line="$f:$l: $h is in the kernel tree ($found) but not among the headers @$r's import recorded for $n (header sets are fixed at import); re-import: $cmd"
    elif [ -z "$root" ]; then
      line="$f:$l: $h is not among the headers @$r's import recorded for $n (header sets are fixed at import); if it is in the kernel tree, re-import: $cmd (with --repo_env=LINUX_SRC=<your tree> for your own tree)"
    fi
    if [ -n "$line" ]; then
      e=$(printf '%s\n' "$e" | awk -v line="$line" '!d && /: fatal error: .* file not found$/ {print line; d=1; k=1; next} k && /^ *[0-9]* *\|/ {next} {k=0; print}')
    fi
  fi
  printf '%s\n' "$e" >&2
  exit $rc
fi
[ -z "$e" ] || printf '%s\n' "$e" >&2
[ -z "$ot" ] || exec $ot $of $out
"""

def compile_script():
    """The wrapper's text, for tests (tests/include_edit)."""
    return _SCRIPT

def run_compile(ctx, *, executable, arguments, inputs, out, objtool, objtool_flags, srctree, objtree, repo, name, source, **kwargs):
    """Declares one compile: `executable arguments...`, then `objtool FLAGS out` if flags != None.

    Args:
      ctx: rule context (declares the kernel toolchain).
      executable: File (clang), or the FilesToRunProvider of a tool with runfiles.
      arguments: list of Args/strings.
      inputs: depset[File].
      out: File, the object.
      objtool: File or None; objtool_flags: list[string] or None (no objtool step).
      srctree: string, the source tree's exec path (external/linux).
      objtree: string, the object tree's exec path (external/<repo>/obj).
      repo: string, the import's repository (for `./bazel sync --only=<repo>`).
      name: string, the object's tree-relative path (init/main.o).
      source: File, the compiled source.
      **kwargs: mnemonic, progress_message, ...
    """
    if type(executable) == "File":
        path, direct, tools = executable.path, [executable], []
    else:
        path, direct, tools = executable.executable.path, [], [executable]
    run_after = objtool_flags != None
    if run_after:
        direct.append(objtool)
    run_shell(
        ctx,
        command = _SCRIPT,
        arguments = [
            srctree,
            objtree,
            repo,
            name,
            source.path,
            objtool.path if run_after else "",
            " ".join(objtool_flags) if run_after else "",
            out.path,
            path,
        ] + arguments,
        inputs = depset(direct, transitive = [inputs]),
        tools = tools,
        outputs = [out],
        **kwargs
    )
