"""Flags the rules add to a compile that asks for debug information, so it stays path-free."""

# Clang records the compile's working directory as DW_AT_comp_dir in every object built
# with -g. In Bazel's sandbox that is an absolute path under the output base (or the
# sandbox base), so a -g object, and everything linked from it, would differ between
# machines and output bases: no remote cache hit, no reproducible vmlinux. Kbuild runs in
# its object tree and records that path; we record ".", the execution root, against which
# every source and include path of our compiles is already relative.
_COMP_DIR = "-fdebug-compilation-dir=."

def _asks_for_debug_info(flag):
    if flag.startswith("-Wa,"):
        return flag.startswith("-Wa,-g") or flag.startswith("-Wa,--gdwarf")
    return flag.startswith("-g") and flag != "-g0"

def debug_info_flags(flags):
    """["-fdebug-compilation-dir=."] when FLAGS ask for debug info (-g, -gdwarf-N, -Wa,-g...), else [].

    Only such compiles get the flag, so the keys of every other compile stay as they were.

    Args:
      flags: list[string], a compile's flags.

    Returns:
      list[string], the flags to add after FLAGS.
    """
    for f in flags:
        if _asks_for_debug_info(f):
            return [_COMP_DIR]
    return []
