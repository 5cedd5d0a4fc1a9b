"""Reads and rewrites REAPI ActionResult entries of an HTTP cache (tests/remote_cache/trust.sh).

    python3 ac_entry.py list AC_DIR                 # "AC_KEY HASH SIZE PATH" per output file
    python3 ac_entry.py swap ENTRY PATH HASH SIZE   # ENTRY with PATH's digest replaced, to stdout

AC_DIR holds one file per action-cache entry, named by the action's digest (an nginx
WebDAV cache's ac/ directory); each is a serialized build.bazel.remote.execution.v2
ActionResult. `swap` keeps every other field as it was: it is what someone who can write to
the cache would do to make an action's output another blob of the CAS. Standard library
only: the wire format is tools/common/protowire.py's (the persistent workers' too).
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from tools.common import protowire  # noqa: E402 - after the checkout's root is on the path

# ActionResult.output_files = 2; OutputFile.path = 1, .digest = 2; Digest.hash = 1, .size_bytes = 2.
OUTPUT_FILES, PATH, DIGEST, HASH, SIZE = 2, 1, 2, 1, 2


parse = protowire.parse
serialize = protowire.serialize


def output_files(entry):
    """[(path, hash, size)] of an ActionResult."""
    result = []
    for field, wt, value in parse(entry):
        if field == OUTPUT_FILES and wt == 2:
            of = parse(value)
            path = next((v.decode() for f, w, v in of if f == PATH and w == 2), "")
            digest = next((parse(v) for f, w, v in of if f == DIGEST and w == 2), [])
            h = next((v.decode() for f, w, v in digest if f == HASH and w == 2), "")
            size = next((v for f, w, v in digest if f == SIZE and w == 0), 0)
            result.append((path, h, size))
    return result


def swap(entry, path, new_hash, new_size):
    fields, swapped = [], 0
    for field, wt, value in parse(entry):
        if field == OUTPUT_FILES and wt == 2:
            of = parse(value)
            if any(f == PATH and v.decode() == path for f, w, v in of):
                digest = serialize([(HASH, 2, new_hash.encode()), (SIZE, 0, new_size)])
                of = [(f, w, digest if f == DIGEST else v) for f, w, v in of]
                value = serialize(of)
                swapped += 1
        fields.append((field, wt, value))
    if swapped != 1:
        sys.exit(f"ac_entry.py: {path} is among the entry's output files {swapped} times, want 1")
    return serialize(fields)


def main(argv):
    if len(argv) == 3 and argv[1] == "list":
        for key in sorted(os.listdir(argv[2])):
            with open(os.path.join(argv[2], key), "rb") as f:
                data = f.read()
            try:
                outs = output_files(data)
            except (ValueError, UnicodeDecodeError) as e:
                print(f"ac_entry.py: {key}: not an ActionResult ({e}); skipped", file=sys.stderr)
                continue
            for path, h, size in outs:
                print(key, h, size, path)
    elif len(argv) == 6 and argv[1] == "swap":
        with open(argv[2], "rb") as f:
            data = f.read()
        out = swap(data, argv[3], argv[4], int(argv[5]))
        # The rewritten entry must read back as the same entry but for the one digest.
        want = [(p, argv[4], int(argv[5])) if p == argv[3] else (p, h, s) for p, h, s in output_files(data)]
        assert output_files(out) == want
        sys.stdout.buffer.write(out)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
