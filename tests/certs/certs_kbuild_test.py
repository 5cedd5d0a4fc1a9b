"""The CERT actions' outputs equal what Kbuild's own make wrote for the same .config.

The import ran Kbuild's CERT steps once (system_certificates.o's `.incbin`s are classified
from them) and recorded the sha256 of each output as the plan's certs.kbuild, before removing
the files: each output of the plan's certs steps, as the actions built it (output group
`certs` of the objects target), must have exactly that hash. Besides: the step given the
test certificate (CONFIG_SYSTEM_TRUSTED_KEYS) wrote its DER bytes (the PEM's base64
decoded), the one given nothing (CONFIG_MODULE_SIG_KEY) an empty file.
tests/certs/kbuild_diff.sh compares against a fresh Kbuild build instead."""

import base64
import hashlib
import json
import os

from absl import flags
from absl.testing import absltest

_PLAN = flags.DEFINE_string("plan", None, "The import's plan.json (runfiles path).", required=True)
_PEM = flags.DEFINE_string("pem", None, "The test certificate CONFIG_SYSTEM_TRUSTED_KEYS names (runfiles path).", required=True)
_KEY = flags.DEFINE_string("key", "certs/rkl_test_cert.pem", "Its path in the kernel tree.")


def _runfile(path):
    full = os.path.join(os.environ["TEST_SRCDIR"], os.environ["TEST_WORKSPACE"], path)
    if not os.path.exists(full) and path.startswith("external/"):
        full = os.path.join(os.environ["TEST_SRCDIR"], path[len("external/"):])
    return full


def _der(pem_text):
    body = pem_text.split("-----BEGIN CERTIFICATE-----", 1)[1].split("-----END CERTIFICATE-----", 1)[0]
    return base64.b64decode("".join(body.split()))


class CertsKbuildTest(absltest.TestCase):
    def setUp(self):
        super().setUp()
        with open(_runfile(_PLAN.value)) as f:
            self.certs = json.load(f).get("certs")
        self.assertTrue(self.certs, f"{_PLAN.value}: the plan has no certs section")
        self.ours = {}
        for d, _, files in os.walk(os.environ["TEST_SRCDIR"], followlinks=True):
            if "/objects/" in d + "/":
                for name in files:
                    full = os.path.join(d, name)
                    rel = full.split("/objects/", 1)[1]
                    if rel in self.certs["kbuild"]:
                        with open(full, "rb") as f:
                            self.ours[rel] = f.read()

    def test_every_output_equals_kbuilds(self):
        self.assertEqual(sorted(self.ours), sorted(e["out"] for e in self.certs["steps"]))
        for rel, data in sorted(self.ours.items()):
            self.assertEqual(hashlib.sha256(data).hexdigest(), self.certs["kbuild"][rel],
                             f"{rel}: differs from Kbuild's (the import's make)")

    def test_the_certificate_and_the_empty_key(self):
        steps = {e["out"]: e for e in self.certs["steps"]}
        listed = steps["certs/x509_certificate_list"]
        self.assertEqual((listed["key"], listed["srcs"], listed["host"]), (_KEY.value, [_KEY.value], ["certs/extract-cert"]))
        with open(_runfile(_PEM.value)) as f:
            self.assertEqual(self.ours["certs/x509_certificate_list"], _der(f.read()))
        self.assertEqual(steps["certs/signing_key.x509"]["key"], "")
        self.assertEqual(self.ours["certs/signing_key.x509"], b"")


if __name__ == "__main__":
    absltest.main()
