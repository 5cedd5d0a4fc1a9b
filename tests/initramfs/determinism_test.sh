#!/bin/sh
# determinism_test.sh BUSYBOX [ARCH A B SHA256FILE]...: A and B (two builds of the same
# kernel_initramfs) are identical, their sha256 is the one in SHA256FILE, and busybox's
# cpio lists the tree kernel_initramfs packs.
set -eu
busybox=$1; shift
fail() { echo "determinism_test: $*" >&2; exit 1; }
[ $# -gt 0 ] && [ $(($# % 4)) -eq 0 ] || fail "usage: BUSYBOX [ARCH A B SHA256FILE]..."
while [ $# -gt 0 ]; do
  arch=$1 a=$2 b=$3 want_file=$4
  shift 4
  cmp -s "$a" "$b" || fail "$arch: $a and $b differ: the initramfs is not deterministic"
  got=$(sha256sum "$a" | cut -d' ' -f1)
  want=$(cut -d' ' -f1 "$want_file")
  [ "$got" = "$want" ] || fail "$arch: $a has sha256 $got, $want_file says $want (a changed busybox pin or tools/initramfs: update the file if intended)"
  list=$("$busybox" cpio -t < "$a" 2>/dev/null | tr '\n' ' ')
  for path in init bin/busybox bin/sh bin/insmod bin/poweroff etc/inittab etc/init.sh dev/console lib/modules; do
    case " $list" in *" $path "*) ;; *) fail "$arch: $a lacks $path (it has: $list)" ;; esac
  done
  echo "determinism_test: $arch: $got"
done
