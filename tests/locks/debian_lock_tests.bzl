"""Unit tests of toolchains/private/debian.bzl: lock validation and apt sources parsing."""

load("@bazel_skylib//lib:unittest.bzl", "asserts", "unittest")
load("//toolchains/private:debian.bzl", "parse_apt_sources", "parse_debian_lock")

_RELOCK = "tools/relock/relock.py"
_SHA = "ba4f88f73dbc3ae9055f3c20f4523bfdbaf1ad13ff95e258924f77d20b4fbedf"

def _pkg(**overrides):
    pkg = {
        "arch": "amd64",
        "archive": "debian",
        "name": "libc6",
        "path": "pool/main/g/glibc/libc6_2.36-9%2bdeb12u14_amd64.deb",
        "sha256": _SHA,
        "size": 2759320,
        "version": "2.36-9+deb12u14",
    }
    for k, v in overrides.items():
        if v == None:
            pkg.pop(k)
        else:
            pkg[k] = v
    return pkg

def _lock(packages, format = 1):
    return json.encode({"format": format, "generated_by": "test", "packages": packages})

def _expect_error(env, content, fragments):
    """Asserts parse_debian_lock(content) fails naming the lock, each fragment and the relock command."""
    got = parse_debian_lock(content, "toolchains/locks/x.lock.json")
    asserts.equals(env, None, got.packages, "no packages on error")
    if got.error == None:
        unittest.fail(env, "expected an error for {}".format(repr(content)))
        return
    for want in ["toolchains/locks/x.lock.json: "] + fragments + [_RELOCK]:
        asserts.true(env, want in got.error, "error {} does not contain {}".format(repr(got.error), repr(want)))

def _not_an_object_impl(ctx):
    env = unittest.begin(ctx)
    for content in ["", "[]", "[{\"format\": 1}]", "\"format\"", "<<<<<<< HEAD\n{}\n"]:
        _expect_error(env, content, ["not a JSON object"])
    return unittest.end(env)

lock_not_an_object_test = unittest.make(_not_an_object_impl)

def _wrong_format_impl(ctx):
    env = unittest.begin(ctx)
    for content in [_lock([_pkg()], format = 2), _lock([_pkg()], format = "1"), json.encode({"packages": [_pkg()]})]:
        _expect_error(env, content, ["lock format is not 1"])
    return unittest.end(env)

lock_wrong_format_test = unittest.make(_wrong_format_impl)

def _no_packages_impl(ctx):
    env = unittest.begin(ctx)
    for content in [_lock([]), json.encode({"format": 1}), _lock({"libc6": _pkg()})]:
        _expect_error(env, content, ["no \"packages\" list"])
    _expect_error(env, _lock([_pkg(), "libc6"]), ["packages[1] is not an object"])
    return unittest.end(env)

lock_no_packages_test = unittest.make(_no_packages_impl)

def _missing_field_impl(ctx):
    env = unittest.begin(ctx)
    for field in ["name", "version", "arch", "archive", "path", "size", "sha256"]:
        overrides = {field: None}
        _expect_error(env, _lock([_pkg(name = "libc6-dev"), _pkg(**overrides)]), [
            "packages[1] ({}) has no \"{}\"".format("?" if field == "name" else "libc6", field),
        ])
    return unittest.end(env)

lock_missing_field_test = unittest.make(_missing_field_impl)

def _bad_sha256_impl(ctx):
    env = unittest.begin(ctx)
    for sha in [_SHA[:-1], _SHA + "0", _SHA.upper(), "z" + _SHA[1:], "", 42]:
        _expect_error(env, _lock([_pkg(sha256 = sha)]), ["libc6 has a malformed sha256 {}".format(repr(sha))])
    return unittest.end(env)

lock_bad_sha256_test = unittest.make(_bad_sha256_impl)

def _bad_path_impl(ctx):
    env = unittest.begin(ctx)
    for path in ["dists/bookworm/Release", "/pool/main/x.deb", "pool/../../etc/passwd", "pool/main/../../../x.deb", ""]:
        _expect_error(env, _lock([_pkg(path = path)]), ["libc6 has a malformed path {}".format(repr(path))])
    return unittest.end(env)

lock_bad_path_test = unittest.make(_bad_path_impl)

def _good_impl(ctx):
    env = unittest.begin(ctx)
    packages = [_pkg(), _pkg(name = "libcrypt-dev", version = "1:4.4.33-2", archive = "debian-security")]
    got = parse_debian_lock(_lock(packages), "x.lock.json")
    asserts.equals(env, None, got.error)
    asserts.equals(env, packages, got.packages)

    # The checked-in style: indented, sorted keys, trailing newline, leading space.
    text = "\n" + json.encode_indent(json.decode(_lock(packages)), indent = "  ") + "\n"
    got = parse_debian_lock(text, "x.lock.json")
    asserts.equals(env, None, got.error)
    asserts.equals(env, ["libc6", "libcrypt-dev"], [p["name"] for p in got.packages])
    asserts.equals(env, 2759320, got.packages[0]["size"])
    return unittest.end(env)

lock_good_test = unittest.make(_good_impl)

_DEB822 = """\
Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security/
Suites: bookworm-security
Components: main
"""

def _apt_sources_deb822_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(env, {
        "debian": "http://deb.debian.org/debian",
        "debian-security": "http://deb.debian.org/debian-security",
    }, parse_apt_sources([_DEB822]))

    # Several URIs in one field, tabs: each maps its own archive.
    asserts.equals(env, {
        "debian": "https://a.example/debian",
        "debian-ports": "https://b.example/mirror/debian-ports",
    }, parse_apt_sources(["Types: deb\nURIs:\thttps://a.example/debian  https://b.example/mirror/debian-ports/\n"]))
    return unittest.end(env)

apt_sources_deb822_test = unittest.make(_apt_sources_deb822_impl)

_ONE_LINE = """\
# deb http://commented.example/debian bookworm main
deb http://ftp.de.debian.org/debian bookworm main contrib
deb-src http://src.example/debian bookworm main
deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://security.debian.org/debian-security bookworm-security main
"""

def _apt_sources_one_line_impl(ctx):
    env = unittest.begin(ctx)
    asserts.equals(env, {
        "debian": "http://ftp.de.debian.org/debian",
        "debian-security": "http://security.debian.org/debian-security",
    }, parse_apt_sources([_ONE_LINE]))
    return unittest.end(env)

apt_sources_one_line_test = unittest.make(_apt_sources_one_line_impl)

def _apt_sources_first_wins_impl(ctx):
    env = unittest.begin(ctx)

    # sources.list first, then sources.list.d: the first file naming an archive wins.
    got = parse_apt_sources([
        "deb http://first.example/debian bookworm main\n",
        _DEB822,
    ])
    asserts.equals(env, {
        "debian": "http://first.example/debian",
        "debian-security": "http://deb.debian.org/debian-security",
    }, got)
    asserts.equals(env, {}, parse_apt_sources([]))
    asserts.equals(env, {}, parse_apt_sources(["# nothing here\n\n"]))
    return unittest.end(env)

apt_sources_first_wins_test = unittest.make(_apt_sources_first_wins_impl)
