"""Rewrites Debian package locks from the package registry.

    python3 tools/relock/relock.py                      # every toolchains/locks/*.packages
    python3 tools/relock/relock.py toolchains/locks/llvm.packages

Reads each `NAME.packages` list and writes `NAME.lock.json` beside it with the version,
archive path, size and sha256 that apt resolves now; reads `wheels.in` (NAME==VERSION)
and writes `wheels.lock.txt`, a pip `--require-hashes` file. It uses only the standard library
and the host's apt-get on purpose: it must run when the pinned interpreter and wheels
(which are themselves locked) can no longer be fetched.
"""

import glob
import hashlib
import os
import subprocess
import sys
import tempfile

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from tools.common import lib as common  # noqa: E402
from tools.relock import lib  # noqa: E402


def _apt(args, cwd, what):
    proc = subprocess.run(["apt-get", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        err = " ".join(l for l in proc.stderr.splitlines() if l.startswith("E:"))
        raise lib.RelockError(f"apt-get {what} failed: {err or proc.stderr.strip()}")
    return proc.stdout


def _native_arch():
    proc = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=False)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise lib.RelockError("dpkg --print-architecture failed; relock needs Debian's dpkg and apt")
    return proc.stdout.strip()


def _print_uris(names):
    with tempfile.TemporaryDirectory() as tmp:
        opts = []
        foreign = lib.foreign_archs(names, _native_arch())
        if foreign:
            # `name:arm64` on an amd64 host: apt resolves it only with arm64 enabled. Rather
            # than `dpkg --add-architecture` (a change to the host), read the host's apt
            # sources for both architectures into a private, throwaway state directory.
            for d in ("lists/partial", "cache/archives/partial"):
                os.makedirs(os.path.join(tmp, d))
            opts = [
                "-o", f"Dir::State::Lists={tmp}/lists",
                "-o", f"Dir::Cache={tmp}/cache",
                "-o", "APT::Architectures=" + ",".join([_native_arch(), *foreign]),
                "-o", "Acquire::Languages=none",
            ]
            if os.geteuid() == 0:
                opts += ["-o", "APT::Sandbox::User=root"]  # _apt cannot write the temp dir.
            _apt(["-qq", *opts, "update"], tmp, f"update (for {', '.join(foreign)} packages)")
        return _apt([*opts, "download", "--print-uris", *names], tmp, "download --print-uris")


def _relock_wheels(path, shown):
    with open(path, "rb") as f:
        pins = lib.parse_wheel_pins(shown, lib.decode_text(shown, f.read()))
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--isolated", "--no-deps",
             "--only-binary=:all:", "--python-version", "3.11", "--platform", "any",
             "-d", tmp] + [f"{n}=={v}" for n, v in pins],
            capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise lib.RelockError(f"{shown}: pip download failed: {proc.stderr.strip().splitlines()[-1:]}")
        hashes = {}
        for name in os.listdir(tmp):
            with open(os.path.join(tmp, name), "rb") as f:
                hashes[name] = hashlib.sha256(f.read()).hexdigest()
    out = path[: -len(".in")] + ".lock.txt"
    _write_atomically(out, lib.make_wheel_lock(shown, pins, hashes))
    return out


def _write_atomically(path, text):
    """An interrupted relock must not leave a truncated lock behind."""
    common.write_atomically(path, text.encode())


def main(argv=None):
    parser = common.ArgumentParser(prog="relock", description=__doc__.splitlines()[0])
    parser.add_argument("lists", nargs="*", help="NAME.packages or wheels.in files (default: all in toolchains/locks)")
    parser.add_argument("--update", action="store_true", help="run `apt-get update` first")
    args = parser.parse_args(argv)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    locks = os.path.join(root, "toolchains", "locks")
    lists = args.lists or sorted(glob.glob(os.path.join(locks, "*.packages")) + glob.glob(os.path.join(locks, "*.in")))
    try:
        if args.update:
            subprocess.run(["apt-get", "update", "-qq"], check=True)
        for path in lists:
            shown = os.path.relpath(path, root) if os.path.isabs(path) else path
            if path.endswith(".in"):
                print(f"relock: wrote {os.path.relpath(_relock_wheels(path, shown), root)}")
                continue
            with open(path, "rb") as f:
                names = lib.parse_package_list(shown, lib.decode_text(shown, f.read()))
            text = lib.make_lock(shown, names, lib.parse_print_uris(_print_uris(names)))
            _write_atomically(lib.lock_path_for(path), text)
            print(f"relock: wrote {lib.lock_path_for(shown)} ({len(names)} packages)")
    except (lib.RelockError, subprocess.CalledProcessError) as e:
        sys.exit(f"relock: {e}")
    except OSError as e:
        sys.exit(f"relock: {common.os_error_message(e)}")


if __name__ == "__main__":
    common.run_plain(main, "relock")
