"""Tests for tools/kbuild_import/certs.py (Linux 6.1 certs/Makefile's CERT commands as make -n prints them)."""

from absl.testing import absltest

from tools.kbuild_import import certs
from tools.kbuild_import.common import KbuildImportError
from tools.kbuild_import.dryrun import Step
from tools.kbuild_import.test_util import OBJ, ROOTS, SRC, TOOLS

_LIST = "certs/x509_certificate_list"
_SIGN = "certs/signing_key.x509"
_SC = "certs/system_certificates.o"


def _step(i, out, key):
    return Step(i, "build", "CERT", out, "certs", f'certs/extract-cert "{key}" {out}')


def _steps(key=""):
    return [Step(0, "build", "HOSTCC", "certs/extract-cert", "certs", "clang -o certs/extract-cert x.c -lcrypto"),
            _step(1, _LIST, key), Step(2, "build", "GEN", "lib/crc32table.h", "lib", "lib/gen_crc32table > x"),
            _step(3, _SIGN, ""), _step(4, _LIST, key)]


_OBJECTS = [{"out": _SC, "src": _SC[:-2] + ".S", "src_root": "srctree", "build_inputs": [_LIST, _SIGN],
             "gen_inputs": [], "incbin": [_SIGN, _LIST]},
            {"out": "certs/system_keyring.o", "src": "certs/system_keyring.c", "src_root": "srctree",
             "build_inputs": [], "gen_inputs": [], "incbin": []}]


def _plan(key="", *, made=(), host=("certs/extract-cert",), objects=None, kbuild=None, src_files=("certs/test.pem",)):
    steps = certs.select(_steps(key))
    return certs.cert_plan(steps, tools=TOOLS, roots=ROOTS, is_src_file=lambda rel: rel in src_files, host=list(host),
                           import_made=made, objects=_OBJECTS if objects is None else objects,
                           kbuild={_LIST: "1" * 64, _SIGN: "2" * 64} if kbuild is None else kbuild)


class CertsTest(absltest.TestCase):
    def test_select_keeps_each_cert_step_once_in_order(self):
        self.assertEqual([(s.tag, s.target) for s in certs.select(_steps())], [("CERT", _LIST), ("CERT", _SIGN)])

    def test_empty_keys_read_only_the_host_program(self):
        p = _plan()
        first = p["steps"][0]
        self.assertEqual(first, {"tag": "CERT", "out": _LIST, "cmd": f'certs/extract-cert "" {_LIST}',
                                 "argv": ["certs/extract-cert", "", _LIST], "key": "", "srcs": [], "objtree": [],
                                 "inputs": [], "host": ["certs/extract-cert"]})
        self.assertEqual(p["outputs"], [_SIGN, _LIST])
        self.assertEqual(p["readers"], {_SC: [_SIGN, _LIST]})
        self.assertEqual(p["kbuild"], {_LIST: "1" * 64, _SIGN: "2" * 64})
        self.assertEqual(p["dirs"], ["certs"])

    def test_a_source_tree_pem_is_a_source_input_by_a_relative_path(self):
        p = _plan(f"{SRC}/certs/test.pem")
        first = p["steps"][0]
        self.assertEqual(first["cmd"], f'certs/extract-cert "$(srctree)/certs/test.pem" {_LIST}')
        self.assertEqual(first["argv"], ["certs/extract-cert", "$(srctree)/certs/test.pem", _LIST])
        self.assertEqual((first["key"], first["srcs"], first["objtree"]), ("certs/test.pem", ["certs/test.pem"], []))
        self.assertEqual(p["steps"][1]["srcs"], [])

    def test_a_key_an_earlier_step_made_is_an_objtree_input(self):
        p = _plan("certs/signing_key.pem", made=["certs/signing_key.pem"])
        self.assertEqual((p["steps"][0]["objtree"], p["steps"][0]["srcs"]), (["certs/signing_key.pem"], []))
        p = _plan(f"{OBJ}/certs/signing_key.pem", made=["certs/signing_key.pem"])
        self.assertEqual(p["steps"][0]["argv"][1], "certs/signing_key.pem")

    def test_pkcs11_uri_is_one_line_error(self):
        with self.assertRaisesRegex(KbuildImportError, r"^CERT certs/x509_certificate_list: "
                                    r"CONFIG_SYSTEM_TRUSTED_KEYS is a PKCS#11 URI .*name a PEM file in the source tree"):
            _plan("pkcs11:token=t;object=o")

    def test_check_keys_before_make_runs_them(self):
        certs.check_keys(certs.select(_steps(f"{SRC}/certs/test.pem")), ROOTS)
        with self.assertRaisesRegex(KbuildImportError, r"^CERT certs/x509_certificate_list: CONFIG_SYSTEM_TRUSTED_KEYS is a PKCS#11"):
            certs.check_keys(certs.select(_steps("pkcs11:token=t")), ROOTS)
        with self.assertRaisesRegex(KbuildImportError, r"names /etc/x\.pem, outside the source tree"):
            certs.check_keys(certs.select(_steps("/etc/x.pem")), ROOTS)

    def test_a_file_outside_the_trees_is_one_line_error(self):
        with self.assertRaisesRegex(KbuildImportError, r"names /etc/keys/x\.pem, outside the source tree; put the file"):
            _plan("/etc/keys/x.pem")

    def test_a_missing_key_file_is_an_error(self):
        with self.assertRaisesRegex(KbuildImportError, r"names \$\(srctree\)/certs/gone\.pem, which is not a file"):
            _plan(f"{SRC}/certs/gone.pem")
        with self.assertRaisesRegex(KbuildImportError, "neither in the source tree nor made by the import"):
            _plan("certs/other.pem")

    def test_an_unexpected_command_is_refused(self):
        steps = [Step(0, "build", "CERT", _LIST, "certs", f"certs/extract-cert a b {_LIST}")]
        with self.assertRaisesRegex(KbuildImportError, r"^CERT certs/x509_certificate_list: expected `certs/extract-cert KEY"):
            certs.cert_plan(steps, tools=TOOLS, roots=ROOTS, is_src_file=lambda rel: True, host=["certs/extract-cert"],
                            import_made=(), objects=_OBJECTS, kbuild={})

    def test_without_the_host_program_or_readers_or_kbuild_outputs(self):
        with self.assertRaisesRegex(KbuildImportError, "did not build the host program certs/extract-cert"):
            _plan(host=())
        with self.assertRaisesRegex(KbuildImportError, "no plan object reads what the CERT steps make"):
            _plan(objects=_OBJECTS[1:])
        with self.assertRaisesRegex(KbuildImportError, "certs/x509_certificate_list: a CERT step's output the import"):
            _plan(kbuild={_SIGN: "2" * 64})


if __name__ == "__main__":
    absltest.main()
