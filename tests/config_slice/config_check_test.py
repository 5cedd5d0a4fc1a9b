"""The KernelConfigCheck stamps of a kernel exist (each is an object whose preprocessing
with its config slice equals that with the full autoconf.h; a difference fails the build)."""

import os

from absl import flags
from absl.testing import absltest

_MIN = flags.DEFINE_integer("min", 1, "Fewest objects expected.")


class ConfigCheckTest(absltest.TestCase):
    def test_every_object_checked(self):
        stamps = []
        for d, _, files in os.walk(os.environ["TEST_SRCDIR"], followlinks=True):
            if "/config_check" in d:
                stamps += [os.path.join(d, f) for f in files if f.endswith(".ok")]
        self.assertGreaterEqual(len(stamps), _MIN.value, "too few KernelConfigCheck stamps: is the plan sliced?")


if __name__ == "__main__":
    absltest.main()
