#!/usr/bin/env bash
# Differential test of KVM's nVHE hypervisor (issue 9): kvm_nvhe.o and everything Kbuild makes
# on the way (the 31 nVHE objects, hyp.lds, kvm_nvhe.tmp.o, hyp-reloc.S, hyp-reloc.o,
# kvm_nvhe.rel.o) as Bazel built them must equal, byte for byte, Kbuild's own make of the
# same .config with the same LLVM (tests/efi/kbuild_diff.sh does the work).
#
#   tests/kvm/kbuild_diff.sh [none|thin] [--work=DIR] [--keep]
#
# none: @linux_arm64_kvm_none (native parts); thin: @linux_arm64_kvm_thin (bitcode parts; the
# ld -r of kvm_nvhe.tmp.o runs their LTO in-process; thin_dist uses that same action).
set -euo pipefail
cd "$(dirname "$0")/../.."
mode=none
case "${1:-}" in none|thin) mode=$1; shift ;; esac
target=//tests/kvm:boot_arm64_${mode}_test  # its kernel links kvm_nvhe.o (thin: lld in-process)
extra=()
[ "$mode" = thin ] && extra=(--our_parts)  # bitcode parts differ in source_filename (see there)
exec tests/efi/kbuild_diff.sh --repo=linux_arm64_kvm_$mode --target=$target "${extra[@]}" "$@"
