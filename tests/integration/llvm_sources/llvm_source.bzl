"""The llvm_* arguments of rules_kernel_lto_dependencies(); run.sh rewrites this per case."""

# In place: the defaults (pinned Debian packages).
LLVM_SOURCE = "debian"
LLVM_URLS = []
LLVM_SHA256 = ""
LLVM_STRIP_PREFIX = ""
LLVM_PATH = ""
