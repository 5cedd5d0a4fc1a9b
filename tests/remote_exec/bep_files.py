"""Prints `SHA256  PATH` for every file a build reported as a top-level output.

    python3 bep_files.py BEP.json    # a --build_event_json_file log (one JSON event a line)

PATH is the file's name below bazel-out/<config>/bin (so local and remote builds, whatever
their output base, compare). A local file (file:// URI) is hashed; a file the build left in
the remote CAS (bytestream://.../blobs/SHA256/SIZE, what Bazel reports with a remote
executor) is named by its digest, which Bazel checked on download. Sorted, one a line.
Standard library only (tests/remote_exec/run.sh).
"""

import hashlib
import json
import re
import sys
import urllib.parse


def files_of(events):
    """(name, sha256) of every file in the log's named sets."""
    for ev in events:
        for f in ev.get("namedSetOfFiles", {}).get("files", []):
            uri, name = f.get("uri", ""), f.get("name", "")
            if uri.startswith("file://"):
                with open(urllib.parse.unquote(uri[len("file://"):]), "rb") as fh:
                    yield name, hashlib.sha256(fh.read()).hexdigest()
            else:
                m = re.search(r"/blobs/([0-9a-f]{64})/[0-9]+$", uri)
                if not m:
                    sys.exit(f"bep_files: {name}: unexpected URI {uri}")
                yield name, m.group(1)


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    with open(argv[1]) as f:
        events = [json.loads(line) for line in f if line.strip()]
    for name, digest in sorted(set(files_of(events))):
        print(f"{digest}  {name}")


if __name__ == "__main__":
    main(sys.argv)
