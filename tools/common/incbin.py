"""Files a bitcode object's inline assembly `.incbin`s, in reach of the tool that generates
its code.

Kbuild compiles and links in the object tree, so `.incbin "kernel/config_data.gz"`
(CONFIG_IKCONFIG, kheaders, certificates) resolves against the working directory of clang
or lld. In an action the file is an input somewhere under bazel-out/: the tool runs in a
directory that mirrors its own working directory (a symlink per entry) plus each NAME as a
symlink to its FILE, so the command line's relative paths and NAME both resolve. Used by
the in-process LTO links (tools/thinlto_cache/link.py) and the distributed ThinLTO
backends (tools/thinlto).
"""

import os


class IncbinError(Exception):
    """A malformed --incbin=NAME=FILE."""


def parse(spec):
    """'kernel/config_data.gz=bazel-out/.../kernel/config_data.gz' -> (name, file)."""
    name, sep, path = spec.partition("=")
    if not sep or not name or not path or os.path.isabs(name) or ".." in name.split("/"):
        raise IncbinError(f"--incbin={spec}: expected NAME=FILE with NAME relative (the path .incbin names)")
    return name, path


def parse_all(specs):
    """Every --incbin spec parsed, each FILE an existing file (an input of the action)."""
    incbins = [parse(s) for s in specs]
    for name, path in incbins:
        if not os.path.isfile(path):
            raise IncbinError(f"--incbin={name}={path}: no such file (an input of this action?)")
    return incbins


def mirror(tmp, cwd, incbins):
    """Makes TMP look like CWD (a symlink per top-level entry) plus each .incbin NAME -> FILE.

    Outputs must be under a directory CWD has (bazel-out/), or they land in TMP. A name
    under a directory CWD also has becomes a real directory of symlinks to CWD's entries.

    Args:
      tmp: an empty directory.
      cwd: the absolute directory the command line's relative paths are relative to.
      incbins: list[(name, file)]; a relative FILE is relative to the caller's working directory.
    """
    for entry in sorted(os.listdir(cwd)):
        os.symlink(os.path.join(cwd, entry), os.path.join(tmp, entry))
    for name, path in incbins:
        parts = name.split("/")
        here, there = tmp, cwd
        for comp in parts[:-1]:
            here, there = os.path.join(here, comp), os.path.join(there, comp)
            if os.path.islink(here):  # a directory CWD has: open it up
                os.unlink(here)
                os.mkdir(here)
                for entry in sorted(os.listdir(there)):
                    os.symlink(os.path.join(there, entry), os.path.join(here, entry))
            elif not os.path.isdir(here):
                os.mkdir(here)
        leaf = os.path.join(here, parts[-1])
        if os.path.lexists(leaf):
            os.unlink(leaf)
        os.symlink(os.path.abspath(path), leaf)
