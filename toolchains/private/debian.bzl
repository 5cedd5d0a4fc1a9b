"""Fetching Debian packages pinned in a lock file (see tools/relock)."""

RELOCK_HINT = "relock with `python3 tools/relock/relock.py` in rules_kernel_lto and commit the new lock"

_LOCK_FORMAT = 1
_FIELDS = ["name", "version", "arch", "archive", "path", "size", "sha256"]
_HEX = "0123456789abcdef"

def parse_debian_lock(content, path):
    """Parses and validates a Debian lock (JSON text).

    Args:
      content: string, the lock file's text.
      path: string, the lock's name in error messages.

    Returns:
      struct(packages = list of dicts, error = None) or struct(packages = None, error = string).
      Starlark cannot catch fail(), so errors are returned for the caller (and tests).
    """
    if not content.strip().startswith("{"):
        return struct(packages = None, error = "{}: not a JSON object; {}".format(path, RELOCK_HINT))
    problem = _json_structure_problem(content)
    if problem:
        return struct(packages = None, error = "{}: not valid JSON ({}); {}".format(path, problem, RELOCK_HINT))
    lock = json.decode(content)
    if type(lock) != "dict" or lock.get("format") != _LOCK_FORMAT:
        return struct(packages = None, error = "{}: lock format is not {}; {}".format(path, _LOCK_FORMAT, RELOCK_HINT))
    packages = lock.get("packages")
    if type(packages) != "list" or not packages:
        return struct(packages = None, error = "{}: no \"packages\" list; {}".format(path, RELOCK_HINT))
    for i, pkg in enumerate(packages):
        if type(pkg) != "dict":
            return struct(packages = None, error = "{}: packages[{}] is not an object; {}".format(path, i, RELOCK_HINT))
        for field in _FIELDS:
            if field not in pkg:
                return struct(packages = None, error = "{}: packages[{}] ({}) has no \"{}\"; {}".format(
                    path,
                    i,
                    pkg.get("name", "?"),
                    field,
                    RELOCK_HINT,
                ))
        sha = pkg["sha256"]
        if type(sha) != "string" or len(sha) != 64 or [c for c in sha.elems() if c not in _HEX]:
            return struct(packages = None, error = "{}: {} has a malformed sha256 {}; {}".format(
                path,
                pkg["name"],
                repr(sha),
                RELOCK_HINT,
            ))
        for field in ["name", "version", "archive", "path"]:
            if type(pkg[field]) != "string":
                return struct(packages = None, error = "{}: packages[{}].{} is not a string; {}".format(path, i, field, RELOCK_HINT))
        if not pkg["path"].startswith("pool/") or ".." in pkg["path"].split("/"):
            return struct(packages = None, error = "{}: {} has a malformed path {}; {}".format(
                path,
                pkg["name"],
                repr(pkg["path"]),
                RELOCK_HINT,
            ))
    return struct(packages = packages, error = None)

def _json_structure_problem(text):
    """Why TEXT cannot be JSON (unbalanced brackets, open string, truncation), or None.

    json.decode() fails the whole fetch with a message that names neither the file nor
    the fix; this catches the usual damage (a truncated or hand-edited lock) first.
    """
    stack = []
    in_string = False
    escaped = False
    closed_at = -1
    for i in range(len(text)):
        c = text[i]
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == "\"":
                in_string = False
            continue
        if closed_at >= 0 and c not in " \t\r\n":
            return "text after the closing brace at offset {}".format(closed_at)
        if c == "\"":
            in_string = True
        elif c in "{[":
            stack.append(c)
        elif c in "}]":
            if not stack or {"}": "{", "]": "["}[c] != stack[-1]:
                return "unbalanced {} at offset {}".format(repr(c), i)
            stack.pop()
            if not stack:
                closed_at = i
    if in_string or stack:
        return "truncated: it ends inside {}".format("a string" if in_string else "an open " + repr(stack[-1]))
    return None

def _words(s):
    return [w for w in s.replace("\t", " ").split(" ") if w]

def parse_apt_sources(texts):
    """Maps archive names ("debian", "debian-security") to mirror base URLs.

    Args:
      texts: list of strings, apt source files (one-line or deb822 format).

    Returns:
      dict string -> string, e.g. {"debian": "http://host/debian"}.
    """
    mirrors = {}
    for text in texts:
        for line in text.splitlines():
            line = line.strip()
            uris = []
            if line.lower().startswith("uris:"):
                uris = _words(line[len("uris:"):])
            elif line.startswith("deb "):
                uris = [w for w in _words(line)[1:] if "://" in w][:1]
            for uri in uris:
                base = uri.rstrip("/")
                if base.startswith("mirror+"):
                    continue  # a mirror list file, not a base URL
                archive = base.split("/")[-1]
                if archive and archive not in mirrors:
                    mirrors[archive] = base
    return mirrors

def _mirrors(rctx):
    override = rctx.os.environ.get("KERNEL_LTO_DEBIAN_MIRROR", "")
    if override:
        # One base that serves every archive: BASE/debian, BASE/debian-security.
        return struct(lookup = {"*": override.rstrip("/")}, source = "KERNEL_LTO_DEBIAN_MIRROR")
    texts = []
    for f in ["/etc/apt/sources.list"]:
        p = rctx.path(f)
        if p.exists:
            texts.append(rctx.read(p))
    d = rctx.path("/etc/apt/sources.list.d")
    if d.exists:
        for p in d.readdir():
            if p.basename.endswith(".list") or p.basename.endswith(".sources"):
                texts.append(rctx.read(p))
    return struct(lookup = parse_apt_sources(texts), source = "/etc/apt/sources.list*")

def _url(mirrors, pkg):
    base = mirrors.lookup.get(pkg["archive"])
    if not base and "*" in mirrors.lookup:
        base = mirrors.lookup["*"] + "/" + pkg["archive"]
    if not base:
        return None
    return base + "/" + pkg["path"]

def fetch_debian_packages(rctx, lock, dest, arch = None):
    """Downloads (cached by sha256) and unpacks every package of `lock` into `dest`.

    Args:
      rctx: repository_ctx.
      lock: Label of the lock file.
      dest: string, directory inside the repository to unpack into.
      arch: optional string, a Debian architecture ("arm64"): unpack only the packages
        of that architecture (a lock may pin one package for several).

    Returns:
      list of dicts, the packages unpacked.
    """
    lock_path = rctx.path(lock)
    shown = "{}/{}".format(lock.package, lock.name) if lock.package else lock.name
    parsed = parse_debian_lock(rctx.read(lock_path), shown)
    if parsed.error:
        fail(parsed.error)
    packages = parsed.packages
    if arch != None:
        packages = [p for p in packages if p["arch"] == arch]
        if not packages:
            fail("{}: pins no package for architecture {}; add `NAME:{}` to its .packages list and {}".format(
                shown,
                arch,
                arch,
                RELOCK_HINT,
            ))
    mirrors = _mirrors(rctx)
    for pkg in packages:
        url = _url(mirrors, pkg)
        if not url:
            fail("{}: no mirror for Debian archive \"{}\" of {} in {}; add it to apt's sources or set --repo_env=KERNEL_LTO_DEBIAN_MIRROR=http://mirror".format(
                shown,
                pkg["archive"],
                pkg["name"],
                mirrors.source,
            ))
        deb = "_debs/{}.deb".format(pkg["name"])
        rctx.report_progress("Fetching {} {}".format(pkg["name"], pkg["version"]))
        got = rctx.download(url = url, output = deb, sha256 = pkg["sha256"], allow_fail = True)
        if not got.success:
            # Tell a changed file from a vanished one: fetch again without the pin.
            again = rctx.download(url = url, output = deb + ".unpinned", allow_fail = True)
            if again.success:
                fail("{}: {} {} from {} has sha256 {}, the lock pins {}; the mirror's file changed: {}".format(
                    shown,
                    pkg["name"],
                    pkg["version"],
                    url,
                    again.sha256,
                    pkg["sha256"],
                    RELOCK_HINT,
                ))
            fail("{}: {} {} could not be downloaded from {} (vanished from the mirror, or no network); {}".format(
                shown,
                pkg["name"],
                pkg["version"],
                url,
                RELOCK_HINT,
            ))
        res = rctx.execute(["dpkg-deb", "-x", deb, dest])
        if res.return_code != 0:
            fail("{}: cannot unpack {} with dpkg-deb: {}".format(shown, pkg["name"], res.stderr.strip()))
    rctx.delete("_debs")
    return packages
