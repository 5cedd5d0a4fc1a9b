"""Tests of tools/relock/lib.py: package lists, apt-get --print-uris output, lock files."""

import json

from absl.testing import absltest

from tools.relock import lib

_SHA_A = "ba4f88f73dbc3ae9055f3c20f4523bfdbaf1ad13ff95e258924f77d20b4fbedf"
_SHA_B = "81ccd29130f75a9e3adabc80e61921abff42f76761e1f792fa2d1bb69af7f52f"
_SHA_C = "e27b3d655fa6fadd7a56f706687e94573c0af68b7d6df394a32a381a3a6c6d8b"

# Lines as `apt-get download --print-uris` writes them on bookworm: the URL is
# percent-encoded ('+' -> %2b), the file name encodes the epoch colon as %3a.
_PRINT_URIS = (
    "'http://deb.debian.org/debian/pool/main/g/glibc/libc6_2.36-9%2bdeb12u14_amd64.deb' "
    f"libc6_2.36-9+deb12u14_amd64.deb 2759320 SHA256:{_SHA_A}\n"
    "'http://deb.debian.org/debian/pool/main/libx/libxcrypt/libcrypt-dev_4.4.33-2_amd64.deb' "
    f"libcrypt-dev_1%3a4.4.33-2_amd64.deb 118144 SHA256:{_SHA_B}\n"
    "'http://deb.debian.org/debian-security/pool/updates/main/b/brotli/libbrotli1_1.0.9-2%2bdeb12u1_amd64.deb' "
    f"libbrotli1_1.0.9-2%2bdeb12u1_amd64.deb 274704 SHA256:{_SHA_C}\n"
)


class ParsePackageListTest(absltest.TestCase):

    def test_names_in_file_order_without_comments_or_blanks(self):
        text = "# the sysroot\nlibc6\n\n  libelf-dev   # for objtool\nlibstdc++-12-dev\nzlib1g.dev\n"
        self.assertEqual(lib.parse_package_list("x.packages", text),
                         ["libc6", "libelf-dev", "libstdc++-12-dev", "zlib1g.dev"])

    def test_duplicate_names_the_line(self):
        with self.assertRaisesRegex(lib.RelockError, r"^x\.packages:3: libc6 is listed twice$"):
            lib.parse_package_list("x.packages", "libc6\nlibelf1\nlibc6 # again\n")

    def test_bad_names(self):
        for bad, lineno in [("LibC6", 1), ("libc6:", 1), ("libc6:AMD64", 1), ("libc6:arm64:x", 1), ("-foo", 1), ("a", 1), ("libc6 libelf1", 1),
                            ("lib_c6", 1)]:
            with self.subTest(bad=bad):
                with self.assertRaisesRegex(lib.RelockError, rf"^x\.packages:{lineno}: .* is not a Debian package name$"):
                    lib.parse_package_list("x.packages", bad + "\n")

    def test_bad_name_reports_its_line(self):
        with self.assertRaisesRegex(lib.RelockError, r"^x\.packages:3: 'Bad' "):
            lib.parse_package_list("x.packages", "libc6\n# c\nBad\n")

    def test_empty(self):
        for text in ["", "\n\n", "# only a comment\n   # and another\n"]:
            with self.subTest(text=text):
                with self.assertRaisesRegex(lib.RelockError, r"^x\.packages: lists no packages$"):
                    lib.parse_package_list("x.packages", text)


    def test_arch_qualified_names(self):
        text = "busybox-static:amd64\nbusybox-static:arm64\n"
        self.assertEqual(lib.parse_package_list("x.packages", text), ["busybox-static:amd64", "busybox-static:arm64"])
        with self.assertRaisesRegex(lib.RelockError, r"^x\.packages:2: busybox-static:arm64 is listed twice$"):
            lib.parse_package_list("x.packages", "busybox-static:arm64\nbusybox-static:arm64\n")

    def test_split_arch_and_foreign_archs(self):
        self.assertEqual(lib.split_arch("busybox-static:arm64"), ("busybox-static", "arm64"))
        self.assertEqual(lib.split_arch("libc6"), ("libc6", None))
        self.assertEqual(lib.foreign_archs(["a:arm64", "b", "c:amd64", "d:riscv64", "e:arm64"], "amd64"),
                         ["arm64", "riscv64"])
        self.assertEqual(lib.foreign_archs(["a", "b:amd64"], "amd64"), [])


class SplitArchiveUrlTest(absltest.TestCase):

    def test_main_archive(self):
        self.assertEqual(lib.split_archive_url("http://deb.debian.org/debian/pool/main/g/glibc/libc6_2.36_amd64.deb"),
                         ("debian", "pool/main/g/glibc/libc6_2.36_amd64.deb"))

    def test_security_archive_below_a_path(self):
        self.assertEqual(
            lib.split_archive_url("https://mirror.example/pub/debian-security/pool/updates/main/l/linux/x.deb"),
            ("debian-security", "pool/updates/main/l/linux/x.deb"))

    def test_percent_encoding_is_kept_in_the_path(self):
        # The lock's path is appended to a mirror URL as is, so it must stay URL-encoded.
        self.assertEqual(lib.split_archive_url("http://h/debian/pool/main/x/x_1%2bb1_all.deb"),
                         ("debian", "pool/main/x/x_1%2bb1_all.deb"))

    def test_file_url(self):
        self.assertEqual(lib.split_archive_url("file:///srv/mirror/debian/pool/main/x/x.deb"),
                         ("debian", "pool/main/x/x.deb"))

    def test_no_archive_part(self):
        for url in ["http://h/pool/main/x/x.deb", "http://h/debian/dists/bookworm/x.deb", "x.deb"]:
            with self.subTest(url=url):
                with self.assertRaisesRegex(lib.RelockError, r"has no '<archive>/pool/' part"):
                    lib.split_archive_url(url)


class ParsePrintUrisTest(absltest.TestCase):

    def test_real_lines(self):
        entries = lib.parse_print_uris(_PRINT_URIS)
        self.assertEqual(sorted(entries), ["libbrotli1:amd64", "libc6:amd64", "libcrypt-dev:amd64"])
        self.assertEqual(entries["libc6:amd64"], {
            "name": "libc6",
            "version": "2.36-9+deb12u14",
            "arch": "amd64",
            "archive": "debian",
            "path": "pool/main/g/glibc/libc6_2.36-9%2bdeb12u14_amd64.deb",
            "size": 2759320,
            "sha256": _SHA_A,
        })

    def test_epoch_is_decoded(self):
        entry = lib.parse_print_uris(_PRINT_URIS)["libcrypt-dev:amd64"]
        self.assertEqual(entry["version"], "1:4.4.33-2")
        self.assertEqual(entry["size"], 118144)
        self.assertIsInstance(entry["size"], int)

    def test_plus_encoded_in_file_name_is_decoded(self):
        entry = lib.parse_print_uris(_PRINT_URIS)["libbrotli1:amd64"]
        self.assertEqual(entry["version"], "1.0.9-2+deb12u1")
        self.assertEqual(entry["archive"], "debian-security")
        self.assertEqual(entry["path"], "pool/updates/main/b/brotli/libbrotli1_1.0.9-2%2bdeb12u1_amd64.deb")

    def test_blank_lines_and_surrounding_space_are_ignored(self):
        first = _PRINT_URIS.splitlines()[0]
        self.assertEqual(list(lib.parse_print_uris(f"\n  {first}  \n\n")), ["libc6:amd64"])

    def test_empty_output(self):
        self.assertEqual(lib.parse_print_uris(""), {})

    def test_malformed_lines(self):
        first = _PRINT_URIS.splitlines()[0]
        bad_lines = [
            "E: Unable to locate package nosuchpackage",
            first.replace("SHA256:", "MD5Sum:"),
            first.replace(_SHA_A, _SHA_A[:-1]),
            first.replace(_SHA_A, _SHA_A.upper()),
            first.replace(" 2759320 ", " big "),
            first.replace("'", ""),
        ]
        for bad in bad_lines:
            with self.subTest(bad=bad):
                with self.assertRaisesRegex(lib.RelockError, r"^apt-get output line 2: cannot parse "):
                    lib.parse_print_uris(first + "\n" + bad + "\n")

    def test_file_name_not_name_version_arch(self):
        first = _PRINT_URIS.splitlines()[0]
        for name in ["libc6_2.36_amd64.udeb", "libc6_amd64.deb", "libc6_2.36_amd64_x.deb"]:
            with self.subTest(name=name):
                with self.assertRaisesRegex(lib.RelockError, r"^apt-get output line 1: .* is not NAME_VERSION_ARCH\.deb$"):
                    lib.parse_print_uris(first.replace("libc6_2.36-9+deb12u14_amd64.deb", name))

    def test_url_without_archive(self):
        line = f"'http://h/pool/main/x/x_1_all.deb' x_1_all.deb 10 SHA256:{_SHA_A}"
        with self.assertRaisesRegex(lib.RelockError, "has no '<archive>/pool/' part"):
            lib.parse_print_uris(line)


class MakeLockTest(absltest.TestCase):

    def setUp(self):
        super().setUp()
        self.entries = lib.parse_print_uris(_PRINT_URIS)

    def test_missing_package(self):
        with self.assertRaisesRegex(lib.RelockError,
                                    r"^toolchains/locks/x\.packages: apt did not resolve libelf1, zlib1g$"):
            lib.make_lock("toolchains/locks/x.packages", ["libc6", "libelf1", "zlib1g"], self.entries)

    def test_sorted_json(self):
        text = lib.make_lock("toolchains/locks/x.packages", ["libcrypt-dev", "libc6"], self.entries)
        self.assertTrue(text.endswith("}\n"))
        lock = json.loads(text)
        self.assertEqual(lock["format"], lib.LOCK_FORMAT)
        self.assertEqual(lock["generated_by"], "tools/relock/relock.py from toolchains/locks/x.packages")
        self.assertEqual([p["name"] for p in lock["packages"]], ["libc6", "libcrypt-dev"])
        # Only the listed packages, even if apt printed more.
        self.assertNotIn("libbrotli1", text)
        # Keys are sorted at every level.
        self.assertEqual(text, json.dumps(lock, indent=2, sort_keys=True) + "\n")
        self.assertLess(text.index('"format"'), text.index('"generated_by"'))
        self.assertLess(text.index('"arch"'), text.index('"version"'))

    def test_deterministic(self):
        a = lib.make_lock("x.packages", ["libcrypt-dev", "libc6", "libbrotli1"], self.entries)
        shuffled = dict(reversed(list(self.entries.items())))
        b = lib.make_lock("x.packages", ["libbrotli1", "libc6", "libcrypt-dev"], shuffled)
        self.assertEqual(a, b)

    def test_lock_path_for(self):
        self.assertEqual(lib.lock_path_for("toolchains/locks/llvm.packages"), "toolchains/locks/llvm.lock.json")
        with self.assertRaisesRegex(lib.RelockError, "must end in .packages"):
            lib.lock_path_for("toolchains/locks/llvm.txt")


    def test_one_package_for_two_architectures(self):
        uris = (
            "'http://deb.debian.org/debian/pool/main/b/busybox/busybox-static_1.35.0-4%2bdeb12u1%2bb1_amd64.deb' "
            f"busybox-static_1%3a1.35.0-4+deb12u1+b1_amd64.deb 928188 SHA256:{_SHA_A}\n"
            "'http://deb.debian.org/debian/pool/main/b/busybox/busybox-static_1.35.0-4%2bdeb12u1%2bb1_arm64.deb' "
            f"busybox-static_1%3a1.35.0-4+deb12u1+b1_arm64.deb 822236 SHA256:{_SHA_B}\n"
        )
        names = ["busybox-static:arm64", "busybox-static:amd64"]
        lock = json.loads(lib.make_lock("b.packages", names, lib.parse_print_uris(uris)))
        self.assertEqual([(p["name"], p["arch"], p["sha256"], p["version"]) for p in lock["packages"]], [
            ("busybox-static", "amd64", _SHA_A, "1:1.35.0-4+deb12u1+b1"),
            ("busybox-static", "arm64", _SHA_B, "1:1.35.0-4+deb12u1+b1"),
        ])
        with self.assertRaisesRegex(lib.RelockError, r"^b\.packages: apt did not resolve busybox-static:riscv64$"):
            lib.make_lock("b.packages", ["busybox-static:riscv64"], lib.parse_print_uris(uris))


class WheelTest(absltest.TestCase):

    def test_parse_wheel_pins(self):
        text = "# tools\nabsl-py==2.5.1\n\npyelftools==0.33  # ELF\nzope.interface==6.0\n"
        self.assertEqual(lib.parse_wheel_pins("wheels.in", text),
                         [("absl-py", "2.5.1"), ("pyelftools", "0.33"), ("zope.interface", "6.0")])

    def test_parse_wheel_pins_errors(self):
        for text, want in [("absl-py>=2\n", r"^wheels\.in:1: 'absl-py>=2' is not NAME==VERSION$"),
                           ("ok==1\nabsl-py\n", r"^wheels\.in:2: 'absl-py' is not NAME==VERSION$"),
                           ("x==1 --hash=sha256:00\n", r"^wheels\.in:1: "),
                           ("# nothing\n", r"^wheels\.in: pins no wheels$")]:
            with self.subTest(text=text):
                with self.assertRaisesRegex(lib.RelockError, want):
                    lib.parse_wheel_pins("wheels.in", text)

    def test_make_wheel_lock(self):
        pins = [("pyelftools", "0.33"), ("absl-py", "2.5.1"), ("bazel-runfiles", "2.4.6")]
        hashes = {
            "pyelftools-0.33-py3-none-any.whl": "1" * 64,
            "absl_py-2.5.1-py3-none-any.whl": "2" * 64,
            "bazel_runfiles-2.4.6-py3-none-any.whl": "3" * 64,
        }
        self.assertEqual(lib.make_wheel_lock("toolchains/locks/wheels.in", pins, hashes), (
            "# Generated by tools/relock/relock.py from toolchains/locks/wheels.in; do not edit.\n"
            f"absl-py==2.5.1 --hash=sha256:{'2' * 64}\n"
            f"bazel-runfiles==2.4.6 --hash=sha256:{'3' * 64}\n"
            f"pyelftools==0.33 --hash=sha256:{'1' * 64}\n"))

    def test_make_wheel_lock_needs_one_pure_wheel(self):
        cases = [
            ({}, "found 0"),
            ({"protobuf-7.36.2-cp311-abi3-manylinux2014_x86_64.whl": "1" * 64}, "found 0"),
            ({"absl_py-2.5.0-py3-none-any.whl": "1" * 64}, "found 0"),
            ({"absl_py-2.5.1-py2-none-any.whl": "1" * 64, "absl_py-2.5.1-py3-none-any.whl": "2" * 64}, "found 2"),
        ]
        for hashes, want in cases:
            with self.subTest(hashes=hashes):
                with self.assertRaisesRegex(
                        lib.RelockError,
                        rf"^wheels\.in: expected one pure-Python wheel for absl-py==2\.5\.1, {want}$"):
                    lib.make_wheel_lock("wheels.in", [("absl-py", "2.5.1")], hashes)

    def test_make_wheel_lock_unnormalized_wheel_file_name(self):
        # Many published wheels keep the project's spelling in their file name
        # (Jinja2-3.1.2-py3-none-any.whl, PyYAML-..., zope.interface-...): pip downloads
        # them under that name, and the pin must still find its wheel.
        hashes = {"Jinja2-3.1.2-py3-none-any.whl": "4" * 64}
        self.assertEqual(
            lib.make_wheel_lock("wheels.in", [("Jinja2", "3.1.2")], hashes).splitlines()[1],
            f"Jinja2==3.1.2 --hash=sha256:{'4' * 64}")


class DecodeTextTest(absltest.TestCase):

    def test_utf8(self):
        self.assertEqual(lib.decode_text("x.packages", b"clang-19\n"), "clang-19\n")

    def test_not_utf8_names_the_line(self):
        with self.assertRaises(lib.RelockError) as cm:
            lib.decode_text("toolchains/locks/llvm.packages", b"clang-19\nlld-19\xff\n")
        self.assertEqual(str(cm.exception), "toolchains/locks/llvm.packages:2: not UTF-8 text (byte 0xff); "
                                            "write package names and pins in plain ASCII")


if __name__ == "__main__":
    absltest.main()
