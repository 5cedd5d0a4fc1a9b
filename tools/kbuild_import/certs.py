"""The system keyring's certificates as planned steps (docs/defconfig-steps.md section 5).

Linux 6.1 certs/Makefile, with CONFIG_SYSTEM_TRUSTED_KEYRING (x86_64 and arm64 defconfig):

    HOSTCC  certs/extract-cert             (host program, -lcrypto: built by the import)
    CERT    certs/x509_certificate_list    certs/extract-cert "$(CONFIG_SYSTEM_TRUSTED_KEYS)" certs/x509_certificate_list
    CERT    certs/signing_key.x509         certs/extract-cert "$(CONFIG_MODULE_SIG_KEY)" certs/signing_key.x509
    AS      certs/system_certificates.o    .incbin "certs/signing_key.x509", .incbin "certs/x509_certificate_list"

(and CERT certs/x509_revocation_list with CONFIG_SYSTEM_REVOCATION_LIST). cmd_extract_certs
is `$(obj)/extract-cert "$(extract-cert-in)" $@`, extract-cert-in the rule's real
prerequisites but the host program: make finds a relative file name through VPATH, so the
dry run prints a key file of the source tree as its absolute path (normalized to
`$(srctree)/...`), an empty option as `""` (extract-cert then writes an empty file), a file
an earlier step made (MODULE_SIG_KEY=certs/signing_key.pem, made by GENKEY) as its objtree
path. A `pkcs11:` URI (a hardware key store) and a file outside both trees are not inputs
an action can name: one-line import errors.

The plan's `certs` section has the shape of `vdso` (vdso.py) so that the same rule code
replays it (tools/boot_step, a directory of exactly the step's inputs):
`{steps: [{tag, out, cmd, argv, key, srcs, objtree, inputs, host}], dirs, outputs, readers,
kbuild}`: argv is Kbuild's [host program, key, output] (key "" or a placeholder path), key
the key file's tree-relative path ("" for none), srcs/objtree the one key file by its root.
The import still runs the steps once (the dependency scan classifies system_certificates.o's
`.incbin`s as build inputs); `kbuild` records the sha256 of what its make wrote, then the
outputs leave `generated`, `build_steps` and the object tree.
"""

import posixpath
from typing import Callable, Iterable, Mapping, Sequence

from tools.kbuild_import import vdso as vdso_lib
from tools.kbuild_import.common import KbuildImportError
from tools.kbuild_import.dryrun import Step, norm_rel, shell_split
from tools.kbuild_import.placeholders import Roots, normalize_cmd, placeholder_path, split_placeholder

CERT_TAG = "CERT"
EXTRACT_CERT = "certs/extract-cert"
# Which Kconfig option names the key file of each output (for the errors).
_OPTION = {"certs/x509_certificate_list": "CONFIG_SYSTEM_TRUSTED_KEYS",
           "certs/signing_key.x509": "CONFIG_MODULE_SIG_KEY",
           "certs/x509_revocation_list": "CONFIG_SYSTEM_REVOCATION_KEYS"}


def select(build_steps: Sequence[Step]) -> list[Step]:
    """The CERT steps among the generators the import runs, in order (one per output)."""
    out, seen = [], set()
    for s in build_steps:
        if s.tag != CERT_TAG:
            continue
        t = norm_rel(s.target)
        if t not in seen:
            seen.add(t)
            out.append(s)
    return out


def _argv(s: Step) -> list[str]:
    """Kbuild's `certs/extract-cert KEY OUT` of a CERT step, checked."""
    out = norm_rel(s.target)
    cmds = shell_split(s.cmd)
    argv = cmds[0] if len(cmds) == 1 else []
    if len(argv) != 3 or norm_rel(argv[2]) != out or norm_rel(argv[0]) != EXTRACT_CERT:
        raise KbuildImportError(f"{CERT_TAG} {out}: expected `{EXTRACT_CERT} KEY {out}` "
                                f"(certs/Makefile cmd_extract_certs), got {s.cmd[:80]!r}")
    return argv


def _tree_key(out: str, arg: str, roots: Roots) -> tuple[str, str] | None:
    """(root, rel) of an absolute key path in the source or object tree; None if relative
    or empty. A PKCS#11 URI or a file outside both trees is an error."""
    option = _OPTION.get(out, "its key option")
    where = f"{CERT_TAG} {out}"
    if arg.startswith("pkcs11:"):
        raise KbuildImportError(f"{where}: {option} is a PKCS#11 URI ({arg[:40]}): a hardware key store is not "
                                "a file an action can read; name a PEM file in the source tree instead")
    if not posixpath.isabs(arg):
        return None
    try:
        root, rel = split_placeholder(placeholder_path(arg, roots))
    except KbuildImportError:
        root = None
    if root not in ("srctree", "objtree"):
        raise KbuildImportError(f"{where}: {option} names {arg}, outside the source tree; put the file in "
                                "the source tree and name it by a relative path")
    return root, rel


def check_keys(steps: Sequence[Step], roots: Roots) -> None:
    """Before the import runs the CERT steps (make would fail on a PKCS#11 URI with OpenSSL's
    lines): the one-line errors of cert_plan for a key no action can read."""
    for s in steps:
        _tree_key(norm_rel(s.target), _argv(s)[1], roots)


def _key(s: Step, out: str, arg: str, roots: Roots, is_src_file: Callable[[str], bool],
         import_made: Iterable[str]) -> tuple[str, str]:
    """(root, tree-relative path) of a CERT step's key argument; ("", "") for none."""
    option = _OPTION.get(out, "its key option")
    where = f"{CERT_TAG} {out}"
    if arg == "":
        return "", ""
    tree = _tree_key(out, arg, roots)
    if tree is not None:
        root, rel = tree
        if root == "srctree":
            if not is_src_file(rel):
                raise KbuildImportError(f"{where}: {option} names $(srctree)/{rel}, which is not a file")
            return root, rel
        arg = rel
    rel = norm_rel(arg)
    if rel not in set(import_made):
        raise KbuildImportError(f"{where}: {option} names {rel}, which is neither in the source tree nor made "
                                "by the import; name a file of the source tree")
    return "objtree", rel


def cert_plan(steps: Sequence[Step], *, tools: Mapping[str, str], roots: Roots, is_src_file: Callable[[str], bool],
              host: Sequence[str], import_made: Iterable[str], objects: Sequence[Mapping],
              kbuild: Mapping[str, str]) -> dict:
    """The plan's `certs` section (see the module docstring). host: the import's host programs;
    import_made: objtree files the import made (a key file GENKEY wrote); objects: the plan's
    objects (which outputs they read); kbuild: objtree path -> sha256 of what the import's make wrote."""
    import_made = set(import_made)
    entries = []
    for s in steps:
        out = norm_rel(s.target)
        argv = _argv(s)
        if EXTRACT_CERT not in host:
            raise KbuildImportError(f"{CERT_TAG} {out}: the import did not build the host program {EXTRACT_CERT}")
        root, rel = _key(s, out, argv[1], roots, is_src_file, import_made)
        key_arg = "" if not root else (f"$(srctree)/{rel}" if root == "srctree" else rel)
        entries.append({"tag": CERT_TAG, "out": out, "cmd": normalize_cmd(s.cmd, tools, roots),
                        "argv": [EXTRACT_CERT, key_arg, out], "key": rel,
                        "srcs": [rel] if root == "srctree" else [], "objtree": [rel] if root == "objtree" else [],
                        "inputs": [], "host": [EXTRACT_CERT]})
    read = vdso_lib.outputs_read(entries, objects)
    if entries and not read:
        raise KbuildImportError(f"{entries[-1]['out']}: no plan object reads what the CERT steps make")
    missing = [e["out"] for e in entries if e["out"] not in kbuild]
    if missing:
        raise KbuildImportError(f"{missing[0]}: a CERT step's output the import's make did not write")
    return {"steps": entries, "dirs": sorted({posixpath.dirname(e["out"]) for e in entries}), "env": {},
            "outputs": read, "readers": vdso_lib.readers(entries, objects),
            "kbuild": {e["out"]: kbuild[e["out"]] for e in entries}}
