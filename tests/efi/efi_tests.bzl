"""efi_image_test: a kernel_vmlinux target's Image carries the arm64 EFI stub.

Passes when the Image starts with the PE/COFF "MZ" magic, its PE header ("PE\\0\\0" at
the offset stored at 0x3c) is there, and System.map has the stub's entry point
(__efistub_efi_pe_entry: libstub's efi-stub.stub.o, prefixed by STUBCPY, resolved from
drivers/firmware/efi/libstub/lib.a) and efi-entry.stub.o's __efistub_efi_enter_kernel
(OBJCOPY --prefix-symbols). The kernel is reached like the boot tests reach it (to_transit),
so it is built once for both.
"""

load("//rules/private:platform_transition.bzl", "to_transit")

_SCRIPT = """#!/bin/sh
set -eu
image="{image}" map="{system_map}"
fail() {{ echo "{label}: $*" >&2; exit 1; }}
[ "$(head -c 2 "$image")" = MZ ] || fail "$image does not start with MZ (no EFI stub header)"
off=$(od -An -tu4 -j 60 -N 4 "$image" | tr -d ' ')
[ "$(dd if="$image" bs=1 skip="$off" count=4 2>/dev/null | od -An -c | tr -d ' ')" = 'PE\\0\\0' ] ||
  fail "$image has no PE signature at offset $off (the value at 0x3c)"
for sym in {symbols}; do
  grep -q " $sym\\$" "$map" || fail "$map has no $sym (EFI stub objects not linked)"
done
echo "{label}: EFI stub present (PE header at $off; {symbols})"
"""

def _efi_image_test_impl(ctx):
    groups = ctx.attr.kernel[0][OutputGroupInfo]
    image = groups.image.to_list()[0]
    system_map = groups.system_map.to_list()[0]
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(script, _SCRIPT.format(
        label = str(ctx.label),
        image = image.short_path,
        system_map = system_map.short_path,
        symbols = " ".join(ctx.attr.symbols),
    ), is_executable = True)
    return [DefaultInfo(executable = script, runfiles = ctx.runfiles(files = [image, system_map]))]

efi_image_test = rule(
    implementation = _efi_image_test_impl,
    doc = "Checks that an arm64 kernel's Image has the EFI stub (PE header, stub symbols).",
    attrs = {
        "kernel": attr.label(mandatory = True, cfg = to_transit, doc = "A kernel_vmlinux target (arm64)."),
        "symbols": attr.string_list(
            default = ["__efistub_efi_pe_entry", "__efistub_efi_enter_kernel"],
            doc = "System.map symbols that must be present.",
        ),
        "_allowlist_function_transition": attr.label(default = "@bazel_tools//tools/allowlists/function_transition_allowlist"),
    },
    test = True,
)

_BZIMAGE_SCRIPT = """#!/bin/sh
set -eu
image="{image}" zoffset="{zoffset}"
fail() {{ echo "{label}: $*" >&2; exit 1; }}
check() {{
  u32() {{ od -An -tu4 -j "$1" -N 4 "$image" | tr -d ' '; }}
  u16x() {{ od -An -tx2 -j "$1" -N 2 "$image" | tr -d ' '; }}
  [ "$(head -c 2 "$image")" = MZ ] || fail "$image does not start with MZ (no EFI stub header: header.S without CONFIG_EFI_STUB)"
  pe=$(u32 60)
  [ "$(dd if="$image" bs=1 skip="$pe" count=4 2>/dev/null | od -An -c | tr -d ' ')" = 'PE\\0\\0' ] ||
    fail "$image has no PE signature at offset $pe (the value at 0x3c)"
  [ "$(u16x $((pe + 4)))" = 8664 ] || fail "$image: PE machine $(u16x $((pe + 4))), not AMD64 (8664)"
  [ "$(u16x $((pe + 24)))" = 020b ] || fail "$image: optional header magic $(u16x $((pe + 24))), not PE32+ (020b)"
  # header.S: AddressOfEntryPoint = setup_size + ZO_efi_pe_entry, the stub's PE entry in the
  # compressed vmlinux (libstub's x86-stub.stub.o, linked from lib.a by -u efi_pe_entry).
  zo=$(sed -n 's/^#define ZO_efi_pe_entry \\(0x[0-9a-fA-F]*\\)$/\\1/p' "$zoffset")
  [ -n "$zo" ] || fail "$zoffset has no ZO_efi_pe_entry (the EFI stub is not linked into compressed/vmlinux)"
  setup_sects=$(od -An -tu1 -j 497 -N 1 "$image" | tr -d ' ')
  setup_size=$(( (setup_sects + 1) * 512 ))
  entry=$(u32 $((pe + 40)))
  [ "$entry" = $((setup_size + zo)) ] ||
    fail "$image: PE AddressOfEntryPoint $entry != setup size $setup_size + ZO_efi_pe_entry $zo"
  size=$(wc -c < "$image")
  [ "$entry" -lt "$size" ] || fail "$image: PE entry point $entry beyond the file ($size bytes)"
  echo "PE header at $pe, entry $entry = $setup_size + efi_pe_entry $zo"
}}
if [ "{expect_stub}" = True ]; then
  out=$(check)
  echo "{label}: $out"
else
  if out=$( (check) 2>&1); then fail "expected no EFI stub, but: $out"; fi
  echo "{label}: no EFI stub, as expected ($out)"
fi
"""

def _bzimage_pe_test_impl(ctx):
    groups = ctx.attr.kernel[0][OutputGroupInfo]
    image = groups.image.to_list()[0]
    zoffset = [f for f in groups.boot.to_list() if f.path.endswith("/arch/x86/boot/zoffset.h")]
    if len(zoffset) != 1:
        fail("{}: {} has no arch/x86/boot/zoffset.h in its `boot` output group (not an x86_64 kernel?)".format(ctx.label, ctx.attr.kernel[0].label))
    script = ctx.actions.declare_file(ctx.label.name + ".sh")
    ctx.actions.write(script, _BZIMAGE_SCRIPT.format(
        label = str(ctx.label),
        image = image.short_path,
        zoffset = zoffset[0].short_path,
        expect_stub = str(ctx.attr.expect_stub),
    ), is_executable = True)
    return [DefaultInfo(executable = script, runfiles = ctx.runfiles(files = [image, zoffset[0]]))]

bzimage_pe_test = rule(
    implementation = _bzimage_pe_test_impl,
    doc = """Checks that an x86_64 kernel's bzImage has the EFI stub.

Passes when the bzImage starts with "MZ", has "PE\\0\\0" at the offset stored at 0x3c, an
AMD64 PE32+ header, and its AddressOfEntryPoint is the setup size plus ZO_efi_pe_entry of
zoffset.h (nm of the compressed vmlinux: the stub's entry, linked from libstub's lib.a).
With expect_stub = False it passes only when that check fails (a kernel without EFI_STUB).""",
    attrs = {
        "kernel": attr.label(mandatory = True, cfg = to_transit, doc = "A kernel_vmlinux target (x86_64)."),
        "expect_stub": attr.bool(default = True, doc = "bool: whether the bzImage must have the stub (False: must not)."),
        "_allowlist_function_transition": attr.label(default = "@bazel_tools//tools/allowlists/function_transition_allowlist"),
    },
    test = True,
)
