"""The system keyring's certificates: the plan's `certs` steps (tools/kbuild_import/certs.py) as actions.

Linux 6.1 certs/Makefile with CONFIG_SYSTEM_TRUSTED_KEYRING (x86_64 and arm64 defconfig):
  CERT  KernelCert  certs/x509_certificate_list  certs/extract-cert "<CONFIG_SYSTEM_TRUSTED_KEYS>" certs/x509_certificate_list
  CERT  KernelCert  certs/signing_key.x509       certs/extract-cert "<CONFIG_MODULE_SIG_KEY>" certs/signing_key.x509
Each is Kbuild's own command, replayed by tools/boot_step (as the vDSO's steps, vdso.bzl) in a
directory holding exactly its inputs: the import-built host program certs/extract-cert and
the key file if the option names one (a source-tree file by a relative `$(srctree)/...`
path, or a file the import made). extract-cert writes an empty file for an empty option and
the DER certificates of a PEM file otherwise: boot_step fails naming the output if the step
exits non-zero, writes nothing, or, given a key file, writes 0 bytes. The outputs take the
place of the import's object-tree files (the import removed those): certs/system_certificates.S
`.incbin`s both (kernel_objects passes -Wa,-I<the outputs' root>).
"""

load("//rules/private/actions:kbuild_tools.bzl", "boot_step_args", "boot_tools", "step_inputs")

def _emit(ctx, *, tc, tool, plan, src, obj, stamp, srctree):
    """One KernelCert action per step of the plan's certs section.

    Args:
      ctx: rule context (kernel_objects).
      tc: the kernel toolchain.
      tool: FilesToRunProvider of //tools/boot_step.
      plan: the plan (its optional `certs` section).
      src: dict srctree-relative path -> File.
      obj: dict objtree-relative path -> File (the import's object tree: extract-cert).
      stamp: File: KernelPlanCheck's stamp (every step reads it).
      srctree: the source tree's directory.

    Returns:
      dict objtree path -> File of every step's output (system_certificates.o's .incbin inputs).
    """
    section = plan.get("certs")
    if not section:
        return {}
    tools = boot_tools(ctx)
    made = {}
    for e in section["steps"]:
        where = "{}: CERT {}".format(ctx.label, e["out"])
        inputs, srcs = step_inputs(where, e, obj = obj, src = src, made = made, what = "CERT")
        srcs = [stamp] + srcs
        out = ctx.actions.declare_file("{}/{}".format(ctx.label.name, e["out"]))
        args = boot_step_args(
            ctx,
            tc,
            tools,
            cmd = e["cmd"],
            srctree = srctree,
            inputs = inputs,
            out_rel = e["out"],
            out = out,
            dirs = section.get("dirs", []),
            nonempty = e["key"] != "",
        )
        ctx.actions.run(
            executable = tool,
            arguments = [args],
            inputs = depset(srcs + inputs.values(), transitive = [tools.files]),
            outputs = [out],
            mnemonic = "KernelCert",
            progress_message = "CERT {} ({})".format(e["out"], ctx.label),
        )
        made[e["out"]] = out
    for p in section["outputs"]:
        if p not in made:
            fail("{}: the plan's certs outputs name {}, which no CERT step makes; re-import".format(ctx.label, p))
    return made

cert_actions = struct(
    emit = _emit,
)
