"""Prints what an object file is, as sorted JSON: ELF machine, type, symbols.

    elfinfo --file vmlinux [--expect_machine EM_AARCH64]
"""

import json
import sys

from absl import app, flags

from tools.common import lib as common
from tools.elfinfo import lib

_FILE = flags.DEFINE_string("file", None, "Object file to describe.", required=True)
_EXPECT_MACHINE = flags.DEFINE_string("expect_machine", None, "Fail unless e_machine is this (e.g. EM_AARCH64).")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    try:
        with open(_FILE.value, "rb") as f:
            info = lib.describe(_FILE.value, f)
    except lib.ElfInfoError as e:
        sys.exit(f"elfinfo: {e}")
    except OSError as e:
        sys.exit(f"elfinfo: {common.os_error_message(e)}")
    if _EXPECT_MACHINE.value and info["machine"] != _EXPECT_MACHINE.value:
        sys.exit(f"elfinfo: {_FILE.value}: machine is {info['machine']}, expected {_EXPECT_MACHINE.value}")
    json.dump(info, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    common.run(main, "elfinfo")
