"""same_plan.py A.json B.json: exit 0 if two Kbuild import plans agree, else print the keys.

Host programs embed their repository's path (external/<repo>/obj/...: debug info,
__FILE__), and two kernel_config imports are two repositories: they are compared by name
and kind, not by digest. So are the files a section's `kbuild_paths` names (the import's
make built them with this machine's paths: the -g realmode objects): their `kbuild` sha256.
Run with the host's python3 (stdlib only).
"""

import json
import sys


def load(path):
    with open(path) as f:
        plan = json.load(f)
    for group in plan.get("generated", {}).values():
        for entry in group.values():
            if entry.get("kind") == "host_program":
                entry.pop("sha256", None)
    for section in plan.values():
        if isinstance(section, dict) and "kbuild_paths" in section:
            for path in section["kbuild_paths"]:
                section.get("kbuild", {}).pop(path, None)
    return plan


def main(argv):
    a, b = load(argv[1]), load(argv[2])
    diff = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    print(" ".join(diff))
    return 1 if diff else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
