usr/initramfs_data.o: /work/scratch-kbuild/src/usr/initramfs_data.S \
  /work/scratch-kbuild/src/include/linux/compiler-version.h \
  /work/scratch-kbuild/src/include/linux/kconfig.h \
  include/generated/autoconf.h
