"""A ThinLTO cache for lld's in-process `thin` links that cannot reuse a stale object.

lld's `--thinlto-cache-dir` keys an entry on the module's bitcode hash, its imports and
the LTO configuration. It does not see what a module's inline assembly pulls in with
`.incbin` (the kernel's config_data.gz behind CONFIG_IKCONFIG, kheaders): upstream Kbuild
removed its ThinLTO cache in 2024 because a changed .config kept the old copy in vmlinux.
Nor does it see -mllvm options or the lld binary beyond its version string.

So every link gets its own namespace: a directory named by the sha256 of

    the toolchain (ld.lld and the libraries beside it, by content),
    the link's whole command line (flags, inputs, linker script; not the output path),
    every .incbin file of the link's bitcode objects, by name and content,

and lld's own key decides within it. A changed included file is another namespace: a
stale object cannot be found, only a cold one made.

Layout of the cache root (outside the source tree and the execution root):

    policy.json           present = enabled; {"max_size_bytes": N, "max_age_seconds": N}
    lock                  flock: links hold it shared, prune/clear exclusive
    stats.json            {"hits": N, "misses": N, "links": N, "corrupt": N}
    ns/<namespace>/llvmcache-<key>          lld's entries
    ns/<namespace>/llvmcache-<key>.sha256   our checksum of each, written after the link

An entry's mtime is its last use (the wrapper sets it on a hit); prune removes entries
unused for max_age, then the least recently used until the root is under max_size.
Hits are the entries lld read: their atime is reset before the link and compared after
(ext4 relatime updates an atime older than the mtime on the next read).
"""

import contextlib
import dataclasses
import errno
import fcntl
import hashlib
import json
import os
import shlex
import shutil
import time

# The one place the cache lives. Not a flag: whatever reaches the link action (argv, env,
# inputs) is part of its key, and whether or where a cache is must not change the key.
# Sandboxed links see it writable only with --sandbox_writable_path (--config=thinlto-cache).
DEFAULT_ROOT = "/var/tmp/rules_kernel_lto/thinlto-cache"
NAMESPACE_VERSION = b"rules_kernel_lto thinlto_cache 1\n"
ENTRY_PREFIX = "llvmcache-"
SUM_SUFFIX = ".sha256"
# lld prunes by atime (which we reset) when any limit is set: turn its pruner off.
LLD_POLICY = "prune_after=0s:cache_size=0%:cache_size_bytes=0:cache_size_files=0"


class CacheError(Exception):
    """A cache problem the user must fix (one line)."""


@dataclasses.dataclass(frozen=True)
class Policy:
    max_size_bytes: int = 4 << 30
    max_age_seconds: int = 14 * 86400

    @staticmethod
    def parse(path, text):
        try:
            d = json.loads(text)
        except ValueError as e:
            raise CacheError(f"{path}: not JSON ({e}); run `bazel run //tools:thinlto_cache -- enable`") from None
        if not isinstance(d, dict) or set(d) - {"max_size_bytes", "max_age_seconds"}:
            raise CacheError(f"{path}: expected an object with max_size_bytes and max_age_seconds")
        p = Policy(**d)
        for k in ("max_size_bytes", "max_age_seconds"):
            v = getattr(p, k)
            if not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise CacheError(f"{path}: {k} must be a non-negative integer, got {v!r}")
        return p

    def text(self):
        return json.dumps(dataclasses.asdict(self), sort_keys=True) + "\n"


def parse_size(text):
    """'512M', '4G', '100000' -> bytes."""
    units = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
    t = text.strip().lower().rstrip("b")
    mult = units.get(t[-1:], 1)
    if t[-1:] in units:
        t = t[:-1]
    if not t.isdigit():
        raise CacheError(f"size {text!r}: expected a number with an optional K/M/G/T suffix")
    return int(t) * mult


def parse_age(text):
    """'14d', '12h', '30m', '3600' (seconds) -> seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    t = text.strip().lower()
    mult = units.get(t[-1:], 1)
    if t[-1:] in units:
        t = t[:-1]
    if not t.isdigit():
        raise CacheError(f"age {text!r}: expected a number with an optional s/m/h/d suffix")
    return int(t) * mult


def sha256_file(path, h=None):
    h = h or hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h


def toolchain_files(ld):
    """ld.lld and every file of the lib/ directory beside its bin/ (libLLVM, libc++...), sorted."""
    real = os.path.realpath(ld)
    libdir = os.path.join(os.path.dirname(os.path.dirname(real)), "lib")
    files = [real]
    if os.path.isdir(libdir):
        for d, _, names in os.walk(libdir):
            files += [os.path.join(d, n) for n in names if os.path.isfile(os.path.join(d, n))]
    return sorted(set(files))


def toolchain_digest(files, memo):
    """sha256 over FILES' contents; MEMO (dict) caches per-file digests by (path, size, mtime, inode)."""
    h = hashlib.sha256()
    for path in files:
        st = os.stat(path)
        key = f"{path}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ino}"
        d = memo.get(key)
        if d is None:
            d = memo[key] = sha256_file(path).hexdigest()
        h.update(f"{os.path.basename(path)} {d}\n".encode())
    return h.hexdigest()


def expand_args(args, read):
    """ARGS with each @FILE response file replaced by its words (READ(path) -> text; Bazel
    writes them shell-quoted), without the output (-o X, --output=X): a link's namespace
    is the same whichever file it writes."""
    words = []
    for a in args:
        words += shlex.split(read(a[1:])) if a.startswith("@") else [a]
    out, skip = [], False
    for w in words:
        if skip:
            skip = False
        elif w in ("-o", "--output", "-output"):
            skip = True
        elif not (w.startswith("--output=") or w.startswith("-o")):
            out.append(w.encode())
    return out


def namespace(toolchain, args, incbins):
    """The namespace of one link: sha256 hex of the toolchain digest, the (expanded) link
    command line and each .incbin file's name and content digest.

    Args:
      toolchain: str, toolchain_digest().
      args: list[bytes], expand_args() of the lld command line.
      incbins: list[(name, sha256 hex)], any order.
    """
    h = hashlib.sha256(NAMESPACE_VERSION)
    h.update(f"toolchain {toolchain}\n".encode())
    for a in args:
        h.update(b"arg %d\n" % len(a) + a + b"\n")
    for name, digest in sorted(incbins):
        h.update(f"incbin {name} {digest}\n".encode())
    return h.hexdigest()


@dataclasses.dataclass
class Entry:
    path: str
    size: int
    mtime: float
    atime: float
    mtime_ns: int = 0


def list_entries(directory):
    """lld's entries (llvmcache-*, not the timestamp file nor our .sha256 sums) in DIRECTORY."""
    out = []
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return out
    for n in sorted(names):
        if not n.startswith(ENTRY_PREFIX) or n.endswith(SUM_SUFFIX) or n.endswith(".tmp"):
            continue
        p = os.path.join(directory, n)
        try:
            st = os.stat(p)
        except FileNotFoundError:
            continue
        out.append(Entry(p, st.st_size, st.st_mtime, st.st_atime, st.st_mtime_ns))
    return out


def all_entries(root):
    out = []
    ns = os.path.join(root, "ns")
    for d in sorted(os.listdir(ns)) if os.path.isdir(ns) else []:
        out += list_entries(os.path.join(ns, d))
    return out


def plan_prune(entries, now, policy):
    """Which entries to delete: unused (mtime) longer than max_age, then the least recently
    used until the rest fits max_size. Returns paths, oldest first."""
    doomed = [e for e in entries if now - e.mtime > policy.max_age_seconds]
    keep = sorted((e for e in entries if e not in doomed), key=lambda e: (e.mtime, e.path))
    size = sum(e.size for e in keep)
    for e in keep:
        if size <= policy.max_size_bytes:
            break
        doomed.append(e)
        size -= e.size
    return [e.path for e in sorted(doomed, key=lambda e: (e.mtime, e.path))]


def remove_entry(path):
    for p in (path, path + SUM_SUFFIX):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(p)


def prune_namespaces(root):
    """Removes namespace directories left without entries."""
    ns = os.path.join(root, "ns")
    for d in sorted(os.listdir(ns)) if os.path.isdir(ns) else []:
        p = os.path.join(ns, d)
        if not list_entries(p):
            shutil.rmtree(p, ignore_errors=True)


def write_atomic(path, data):
    tmp = f"{path}.{os.getpid()}.tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def reset_atimes(entries):
    """atime := 0 (mtime kept), so that a read by lld shows as a new atime (relatime)."""
    for e in entries:
        with contextlib.suppress(FileNotFoundError):
            os.utime(e.path, ns=(0, e.mtime_ns))


def classify(before, after):
    """(hits, misses): entries lld read (atime moved off 0) and entries it created."""
    old = {e.path for e in before}
    hits = [e for e in after if e.path in old and e.atime > 0]
    misses = [e for e in after if e.path not in old]
    return hits, misses


def read_sum(path):
    """(sha256, size, mtime_ns) recorded for entry PATH, or None."""
    try:
        with open(path + SUM_SUFFIX) as f:
            words = f.read().split()
        return words[0], int(words[1]), int(words[2])
    except (FileNotFoundError, IndexError, ValueError):
        return None


def write_sum(path, digest=None):
    st = os.stat(path)
    digest = digest or sha256_file(path).hexdigest()
    write_atomic(path + SUM_SUFFIX, f"{digest} {st.st_size} {st.st_mtime_ns}\n".encode())


def changed(entries):
    """Before a link: entries whose size or mtime differ from their record (truncated,
    rewritten). An entry without a record (its link was killed before recording; lld
    renames whole entries into place) is recorded now."""
    bad = []
    for e in entries:
        rec = read_sum(e.path)
        try:
            st = os.stat(e.path)
        except FileNotFoundError:
            continue
        if rec is None:
            write_sum(e.path)
        elif (rec[1], rec[2]) != (st.st_size, st.st_mtime_ns):
            bad.append(e.path)
    return bad


def check_sums(entries):
    """After a link, for the entries it read: (bad paths, {path: sha256} of the good ones)."""
    bad, good = [], {}
    for e in entries:
        rec = read_sum(e.path)
        try:
            got = sha256_file(e.path).hexdigest()
        except FileNotFoundError:
            continue
        if rec is not None and got != rec[0]:
            bad.append(e.path)
        else:
            good[e.path] = got
    return bad, good


def record(entries, now, known=None):
    """After a link: each entry used or made gets mtime = now (last use) and its record."""
    known = known or {}
    for e in entries:
        try:
            os.utime(e.path, (now, now))
            write_sum(e.path, known.get(e.path))
        except FileNotFoundError:  # pruned or replaced by another link meanwhile
            continue


@contextlib.contextmanager
def locked(root, exclusive, blocking=True):
    """flock on ROOT/lock: links share it, prune and clear take it alone. Yields whether taken."""
    fd = os.open(os.path.join(root, "lock"), os.O_RDWR | os.O_CREAT, 0o666)
    try:
        op = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | (0 if blocking else fcntl.LOCK_NB)
        try:
            fcntl.flock(fd, op)
        except OSError as e:
            if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                yield False
                return
            raise
        yield True
    finally:
        os.close(fd)


def add_stats(root, **counts):
    """Adds COUNTS to ROOT/stats.json under its own short lock."""
    path = os.path.join(root, "stats.json")
    fd = os.open(os.path.join(root, "stats.lock"), os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        stats = read_stats(root)
        for k, v in counts.items():
            stats[k] = stats.get(k, 0) + v
        write_atomic(path, (json.dumps(stats, sort_keys=True) + "\n").encode())
    finally:
        os.close(fd)


def read_stats(root):
    try:
        with open(os.path.join(root, "stats.json")) as f:
            return json.load(f)
    except (FileNotFoundError, ValueError):
        return {}


def state(root):
    """(Policy, None) when the cache at ROOT is enabled and writable, else (None, reason)."""
    policy_path = os.path.join(root, "policy.json")
    try:
        with open(policy_path) as f:
            text = f.read()
    except FileNotFoundError:
        return None, "not enabled (no policy.json)"
    if not os.access(root, os.W_OK):
        return None, "read-only here (sandboxed without --config=thinlto-cache?)"
    return Policy.parse(policy_path, text), None


def summary(root):
    """stats for `thinlto_cache stats`: counters, entries, namespaces, bytes."""
    entries = all_entries(root)
    ns = os.path.join(root, "ns")
    policy, why = state(root)
    s = read_stats(root)
    out = {
        "root": root,
        "enabled": policy is not None,
        "hits": s.get("hits", 0),
        "misses": s.get("misses", 0),
        "links": s.get("links", 0),
        "corrupt": s.get("corrupt", 0),
        "pruned": s.get("pruned", 0),
        "entries": len(entries),
        "namespaces": len(os.listdir(ns)) if os.path.isdir(ns) else 0,
        "bytes": sum(e.size for e in entries),
    }
    if policy:
        out.update(max_size_bytes=policy.max_size_bytes, max_age_seconds=policy.max_age_seconds)
    else:
        out["why_off"] = why
    return out


def prune(root, policy, now=None):
    """Applies POLICY to ROOT (caller holds the exclusive lock). Returns entries removed."""
    doomed = plan_prune(all_entries(root), time.time() if now is None else now, policy)
    for p in doomed:
        remove_entry(p)
    prune_namespaces(root)
    return len(doomed)
