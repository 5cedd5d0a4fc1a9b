"""Providers of rules_kernel_lto."""

KernelLtoInfo = provider(
    doc = "The stages of a distributed ThinLTO link, for tests and later stages.",
    fields = {
        "bitcode": "list[File]: the bitcode objects, in link order.",
        "indexes": "list[File]: per bitcode object, the tree the thin-link wrote for its backend (index, imports list, imported objects).",
        "natives": "list[File]: per bitcode object, the native object its backend wrote, in link order.",
    },
)

KernelObjectsInfo = provider(
    doc = "The compiled objects of an imported kernel config, and what linking them needs.",
    fields = {
        "arch": "string: kernel ARCH.",
        "lto": "string: the config's LTO setting: \"none\", \"thin\" or \"full\".",
        "objects": "dict[string, File]: every compiled object, by its Kbuild path (e.g. \"init/main.o\").",
        "bitcode": "dict[string, bool]: Kbuild path -> whether that object is LLVM bitcode.",
        "vmlinux_members": "list[string]: members of vmlinux.a, in link order (head objects first).",
        "lib_members": "list[string]: members of KBUILD_VMLINUX_LIBS archives (lazy), in order.",
        "link_objects": "list[File]: objects the final link adds after vmlinux.o (init/version-timestamp.o).",
        "lds": "File: the preprocessed vmlinux linker script.",
        "link": "dict: the plan's `link` section (ldflags, ldflags_vmlinux, kallsyms args, sorttable, ...).",
        "host_programs": "dict[string, File]: host programs built at import (scripts/kallsyms, scripts/sorttable).",
        "objtool": "File or None: tools/objtool/objtool as built at import (x86_64), static.",
        "asflags": "list[string]: flags to assemble the kallsyms .S like Kbuild (those of vmlinux.a's first assembly object).",
        "asm_inputs": "depset[File]: headers the assembly objects read (covers the kallsyms .S).",
    },
)
