"""KernelObjcopy: an object Kbuild derives from a compiled object (the plan's `derived`).

Two kinds, as the import recognized them:
  objcopy   `$(OBJCOPY) FLAGS X.o OUT` (arm64: efi-entry.stub.o, pi/*.pi.o): llvm-objcopy.
  stubcopy  Kbuild 6.1's cmd_stubcopy (EFI libstub X.stub.o): tools/stubcopy strips a copy,
            rejects STUBCOPY_RELOC-y relocations with Kbuild's message, then llvm-objcopy.
Both read only the source object and the LLVM binaries; the output is native (derived
objects are made from native objects, so they bypass ThinLTO like other native members).
"""

_KINDS = ("objcopy", "stubcopy")

def _substitute(flag, roots):
    for placeholder, value in roots.items():
        flag = flag.replace(placeholder, value)
    return flag

def _emit(ctx, *, tc, stubcopy, name, entry, src, out, roots):
    """Declares the KernelObjcopy action making `out` from `src`.

    Args:
      ctx: rule context.
      tc: the kernel toolchain (llvm_objcopy, llvm_strip, llvm_objdump, all_files).
      stubcopy: FilesToRunProvider of //tools/stubcopy.
      name: string, the derived object's Kbuild path (for messages).
      entry: dict, its plan entry: kind (default objcopy), src, tool, flags, check.
      src: File, the compiled source object.
      out: File, the derived object.
      roots: dict, plan placeholder -> exec path.
    """
    kind = entry.get("kind", "objcopy")
    if kind not in _KINDS:
        fail("{}: derived object of unknown kind {} (known: {}); re-import with this version of rules_kernel_lto".format(
            name,
            kind,
            ", ".join(_KINDS),
        ))
    if entry.get("tool", "$(OBJCOPY)") != "$(OBJCOPY)":
        fail("{}: derived with {}, not $(OBJCOPY); re-import with this version of rules_kernel_lto".format(name, entry["tool"]))
    flags = [_substitute(f, roots) for f in entry["flags"]]
    args = ctx.actions.args()
    if kind == "objcopy":
        executable = tc.llvm_objcopy
        args.add_all(flags)
        args.add(src)
        args.add(out)
        what = "OBJCOPY"
    else:
        check = entry.get("check") or {}
        if not check.get("reject_reloc"):
            fail("{}: a stubcopy entry without check.reject_reloc; re-import".format(name))
        executable = stubcopy
        args.use_param_file("--flagfile=%s", use_always = True)
        args.set_param_file_format("multiline")
        args.add("--strip", tc.llvm_strip)
        args.add("--objdump", tc.llvm_objdump)
        args.add("--objcopy", tc.llvm_objcopy)
        args.add("--src", src)
        args.add("--out", out)
        args.add("--name", name)
        args.add_all(check.get("strip", []), format_each = "--strip_flag=%s")
        args.add("--reject_reloc", check["reject_reloc"])
        args.add_all(flags, format_each = "--objcopy_flag=%s")
        what = "STUBCPY"
    ctx.actions.run(
        executable = executable,
        arguments = [args],
        inputs = depset([src], transitive = [tc.all_files]),
        outputs = [out],
        mnemonic = "KernelObjcopy",
        progress_message = "{} {} ({})".format(what, name, ctx.label),
    )

objcopy_actions = struct(emit = _emit, kinds = _KINDS)
