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
