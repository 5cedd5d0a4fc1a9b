"""The .config: parsing, the LTO mode, toolchain facts and kallsyms options."""

import re
from typing import Mapping


def parse_config(text: str) -> dict[str, str]:
    """A .config -> {CONFIG_FOO: value}; `# CONFIG_FOO is not set` -> "n"."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"^(CONFIG_\w+)=(.*)$", line)
        if m:
            out[m.group(1)] = m.group(2)
            continue
        m = re.match(r"^# (CONFIG_\w+) is not set$", line)
        if m:
            out[m.group(1)] = "n"
    return out


def lto_mode(config: Mapping[str, str]) -> str:
    if config.get("CONFIG_LTO_CLANG_THIN") == "y":
        return "thin"
    if config.get("CONFIG_LTO_CLANG_FULL") == "y":
        return "full"
    return "none"


LTO_FRAGMENT = {
    "none": "CONFIG_LTO_NONE=y\n",
    "thin": "CONFIG_LTO_CLANG_THIN=y\n",
    "full": "CONFIG_LTO_CLANG_FULL=y\n",
}


# The LTO choice's symbols: --lto overrides what fragments say about them.
LTO_CHOICE = frozenset({"CONFIG_LTO_NONE", "CONFIG_LTO_CLANG_THIN", "CONFIG_LTO_CLANG_FULL"})


def _unquote(s: str) -> str:
    return s[1:-1] if len(s) >= 2 and s[0] == s[-1] == '"' else s


def toolchain_info(config: Mapping[str, str]) -> dict[str, str]:
    return {
        "cc_version_text": _unquote(config.get("CONFIG_CC_VERSION_TEXT", "")),
        "clang_version": config.get("CONFIG_CLANG_VERSION", "0"),
        "lld_version": config.get("CONFIG_LLD_VERSION", "0"),
    }


def kallsyms_args(config: Mapping[str, str]) -> list[str] | None:
    """scripts/kallsyms arguments as Linux 6.1 scripts/link-vmlinux.sh computes them."""
    if config.get("CONFIG_KALLSYMS") != "y":
        return None
    args = []
    if config.get("CONFIG_KALLSYMS_ALL") == "y":
        args.append("--all-symbols")
    if config.get("CONFIG_KALLSYMS_ABSOLUTE_PERCPU") == "y":
        args.append("--absolute-percpu")
    if config.get("CONFIG_KALLSYMS_BASE_RELATIVE") == "y":
        args.append("--base-relative")
    if config.get("CONFIG_LTO_CLANG") == "y":
        args.append("--lto-clang")
    return args
