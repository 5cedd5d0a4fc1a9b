"""The toolchain reads nothing from the host but glibc.

- clang's include search path (kernel flags and host-sysroot flags) holds only
  relative directories inside the toolchain or the sysroot;
- every shared library the toolchain's executables load resolves inside the toolchain,
  except glibc's (checked with the dynamic loader's --list).
"""

import os
import re
import subprocess

from absl import flags
from absl.testing import absltest

_CLANG = flags.DEFINE_string("clang", None, "clang of the toolchain (runfiles path).", required=True)
_SYSROOT = flags.DEFINE_string("sysroot_file", None, "A file at the root of the host sysroot repository.", required=True)
_TOOLS = flags.DEFINE_multi_string("tool", [], "Executables of the toolchain to check.")

_GLIBC = {"libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1", "libresolv.so.2",
          "ld-linux-x86-64.so.2", "linux-vdso.so.1"}
_LOADER = "/lib64/ld-linux-x86-64.so.2"


def _search_dirs(args):
    proc = subprocess.run([_CLANG.value, "-no-canonical-prefixes", *args, "-E", "-v", "-x", "c", "/dev/null", "-o", "/dev/null"],
                          capture_output=True, text=True, check=True)
    lines = proc.stderr.splitlines()
    start = lines.index("#include <...> search starts here:")
    end = lines.index("End of search list.")
    return [l.strip() for l in lines[start + 1:end]]


class HermeticTest(absltest.TestCase):

    def test_kernel_include_path_is_the_builtin_headers_only(self):
        dirs = _search_dirs(["--target=aarch64-linux-gnu", "-nostdinc", "-isystem",
                             os.path.join(os.path.dirname(os.path.dirname(_CLANG.value)), "lib/clang/19/include")])
        self.assertLen(dirs, 1)
        self.assertFalse(os.path.isabs(dirs[0]), dirs)
        self.assertTrue(os.path.isfile(os.path.join(dirs[0], "stddef.h")), dirs)

    def test_host_include_path_stays_in_the_sysroot(self):
        sysroot = os.path.dirname(_SYSROOT.value)
        dirs = _search_dirs(["--target=x86_64-linux-gnu", f"--sysroot={sysroot}"])
        self.assertNotEmpty(dirs)
        toolchain = os.path.normpath(os.path.join(os.path.dirname(_CLANG.value), ".."))
        for d in dirs:
            self.assertFalse(os.path.isabs(d), f"absolute include dir {d}")
            norm = os.path.normpath(d)
            self.assertTrue(norm.startswith(os.path.normpath(sysroot) + "/") or norm.startswith(toolchain + "/"),
                            f"{d} is neither in the sysroot nor in the toolchain")
        self.assertTrue(any(os.path.isfile(os.path.join(d, "stdio.h")) for d in dirs), dirs)

    def test_tools_load_only_glibc_from_the_host(self):
        self.assertNotEmpty(_TOOLS.value)
        for tool in _TOOLS.value:
            proc = subprocess.run([_LOADER, "--list", tool], capture_output=True, text=True, check=True)
            toolchain = os.path.dirname(os.path.dirname(os.path.realpath(tool)))
            for line in proc.stdout.splitlines():
                m = re.match(r"\s*(\S+)(?: => (\S+))?", line)
                name, path = m.group(1), m.group(2)
                if os.path.basename(name) in _GLIBC:
                    continue
                self.assertIsNotNone(path, f"{tool}: {line.strip()}")
                self.assertTrue(os.path.realpath(path).startswith(toolchain + "/"),
                                f"{tool} loads {name} from {path}, outside the toolchain")


if __name__ == "__main__":
    absltest.main()
