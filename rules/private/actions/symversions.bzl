"""KernelSymversions: CONFIG_MODVERSIONS' genksyms step for one object (Kbuild 6.1).

scripts/Makefile.build runs it after the compile of every object (gen_symversions):
if `$(NM) X.o` shows a __ksymtab symbol, genksyms reads the object's source preprocessed
with -D__GENKSYMS__ (cmd_gensymtypes_c; for .S objects, cmd_gensymtypes_S: the source's
EXPORT_SYMBOL names after <linux/kernel.h> and <asm/asm-prototypes.h>) and prints one
`#SYMVER <symbol> 0x<crc>` line per export, which Kbuild appends to `.X.o.cmd` and
modpost -m reads. This action writes those lines (nothing for an object that exports
nothing) to its own file; the plan entry is the object's `symversions`
(tools/kbuild_import/symversions.py).
"""

load("//rules/private/actions:shell.bzl", "run_shell")

# Positional: nm obj genksyms out cc kind, then the cpp flags (and for asm the source's
# own flags, `--`, then the c_flags). The gate is Kbuild's, without pipefail (grep -q
# exits at the first match and nm then dies of SIGPIPE: with pipefail a big object would
# look like one that exports nothing). After it, pipefail: a failing preprocessor is an
# error, not an empty CRC list. The asm grep may match nothing (then sed prints nothing).
# POSIX sh (the toolchain's busybox, rules/private/actions/shell.bzl; no bash on a remote
# worker): before/after run a command with the arguments before/after `--`, each keeping
# its part of "$@" by rotating the positional parameters in a subshell.
_SCRIPT = r"""set -eu
nm="$1"; obj="$2"; genksyms="$3"; out="$4"; cc="$5"; kind="$6"; shift 6
before() ( seen=0; for a do shift; if [ "$a" = -- ]; then seen=1; elif [ $seen = 0 ]; then set -- "$@" "$a"; fi; done; "$cc" -E "$@" )
after() ( seen=0; for a do shift; if [ "$a" = -- ]; then seen=1; elif [ $seen = 1 ]; then set -- "$@" "$a"; fi; done; "$cc" -E -D__GENKSYMS__ "$@" -xc - )
if "$nm" "$obj" 2>/dev/null | grep -q __ksymtab; then
  set -o pipefail
  if [ "$kind" = c ]; then
    "$cc" -E -D__GENKSYMS__ "$@" | "$genksyms" -r /dev/null > "$out"
  else
    { echo "#include <linux/kernel.h>" ; echo "#include <asm/asm-prototypes.h>" ;
      before "$@" | { grep "\<___EXPORT_SYMBOL\>" || true; } |
        sed 's/.*___EXPORT_SYMBOL[[:space:]]*\([a-zA-Z0-9_]*\)[[:space:]]*,.*/EXPORT_SYMBOL(\1);/' ; } |
      after "$@" | "$genksyms" -r /dev/null > "$out"
  fi
else
  : > "$out"
fi
"""

def _substitute(flag, roots):
    for placeholder, value in roots.items():
        flag = flag.replace(placeholder, value)
    return flag

def _emit(ctx, *, tc, genksyms, path, obj, source, entry, flags, roots, inputs, out):
    """Declares the KernelSymversions action of one object.

    Args:
      ctx: rule context.
      tc: KernelToolchainInfo (clang, llvm_nm, all_files).
      genksyms: File, scripts/genksyms/genksyms (built by the import).
      path: string, the object's Kbuild path (for messages).
      obj: File, the compiled object (its __ksymtab symbols decide).
      source: File, its source.
      entry: dict, the plan object's "symversions" ({"kind": "c"} or {"kind": "asm", "c_flags"}).
      flags: list[string], the object's compile flags (substituted).
      roots: dict[string, string], the plan's placeholders -> exec paths.
      inputs: depset[File], what the preprocessor reads (the compile's headers; for asm
        also those of <linux/kernel.h> and <asm/asm-prototypes.h>).
      out: File, the `#SYMVER` lines.
    """
    kind = entry.get("kind")
    args = ctx.actions.args()
    args.add_all([tc.llvm_nm, obj, genksyms, out, tc.clang, kind])
    if kind == "c":
        args.add_all(flags)
        args.add(source)
    elif kind == "asm":
        args.add_all(flags)
        args.add(source)
        args.add("--")
        args.add_all([_substitute(f, roots) for f in entry["c_flags"]])
    else:
        fail("{}: unknown symversions kind {}; re-import".format(path, kind))
    run_shell(
        ctx,
        command = _SCRIPT,
        arguments = [args],
        inputs = depset([obj, source, genksyms], transitive = [inputs, tc.all_files]),
        outputs = [out],
        mnemonic = "KernelSymversions",
        progress_message = "genksyms {}".format(path),
    )

symversions_actions = struct(emit = _emit)
