/* Only format-specific definitions (llvm.compiler.used), as lib/zlib_inflate/inflate_syms.o. */
static int kept __attribute__((used, section(".discard.x"))) = 1;
