"""Writes the config slices of an imported plan (KernelConfigSlice, kernel_objects.bzl).

    config_slice.py --autoconf=include/generated/autoconf.h --table=config_table.json \\
        --slice=12:out/12/generated/autoconf.h --slice=-1:out/-1/generated/autoconf.h ...

table: plan_bazel.json's interned["config"] (tools/kbuild_import/footprint.py); each
--slice writes autoconf.h's lines of one node's symbols (lib.py). --pad: each slice has
autoconf.h's size (lib.pad).

    config_slice.py --autoconf=include/generated/autoconf.h --scan_out=slice/generated/autoconf.h \
        --scan=arch/arm64/kernel/vdso/vgettimeofday.c --scan=include/linux/kconfig.h ...

--scan_out: one slice of the symbols the --scan files mention (lib.config_words, fixdep's
scan), after autoconf.h's leading comment (lib.preamble), for a step the import records no
footprint for (the vDSO's compiles, vdso.bzl): its inputs are exactly what the step reads,
so the slice holds every symbol fixdep would find.
"""

import json
import sys

from absl import app, flags

from tools.common import lib as common
from tools.config_slice import lib

_AUTOCONF = flags.DEFINE_string("autoconf", None, "The full include/generated/autoconf.h.", required=True)
_TABLE = flags.DEFINE_string("table", None, "The interned symbol sets (JSON); with --slice.")
_PAD = flags.DEFINE_bool("pad", False, "Pad each slice with newlines to autoconf.h's size (lib.pad).")
_SLICES = flags.DEFINE_multi_string("slice", [], "NODE:PATH, a slice to write (repeat).")
_SCAN = flags.DEFINE_multi_string("scan", [], "A file whose CONFIG_ words --scan_out holds (repeat).")
_SCAN_OUT = flags.DEFINE_string("scan_out", None, "The slice of the --scan files' symbols.")


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {argv[1:]}")
    if _SLICES.value and not _TABLE.value:
        raise app.UsageError("--slice needs --table")
    if _SCAN.value and not _SCAN_OUT.value:
        raise app.UsageError("--scan needs --scan_out")
    try:
        slices = [lib.parse_slice_flag(v) for v in _SLICES.value]
        table = {}
        if _TABLE.value:
            with open(_TABLE.value, encoding="utf-8") as f:
                table = json.load(f)
        with open(_AUTOCONF.value, encoding="utf-8") as f:
            full = f.read()
        lines = lib.defines(full, _AUTOCONF.value)
        texts = [lib.slice_text(lines, lib.expand(table, node)) for node, _ in slices]
        if _SCAN_OUT.value:
            words = set()
            for path in _SCAN.value:
                with open(path, "rb") as f:
                    words |= lib.config_words(f.read())
            slices.append((None, _SCAN_OUT.value))
            texts.append(lib.preamble(full) + lib.slice_text(lines, words))
        if _PAD.value:
            texts = [lib.pad(t, len(full.encode())) for t in texts]
    except lib.SliceError as e:
        sys.exit(f"config_slice: {e}")
    for (_, path), text in zip(slices, texts):
        with common.atomic_output(path, "w", encoding="utf-8") as out:
            out.write(text)


if __name__ == "__main__":
    common.run(main, "config_slice")
