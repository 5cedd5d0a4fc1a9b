"""Providers of rules_kernel_lto."""

KernelLtoInfo = provider(
    doc = "The stages of a distributed ThinLTO link, for tests and later stages.",
    fields = {
        "bitcode": "list[File]: the bitcode objects, in link order.",
        "indexes": "list[File]: per bitcode object, the tree (or bundle, `.thinlto.tar`) the thin-link wrote for its backend (index, imports list, imported objects).",
        "natives": "list[File]: per bitcode object, the native object its backend wrote, in link order.",
    },
)

KernelObjectsInfo = provider(
    doc = "The compiled objects of an imported kernel config, and what linking them needs.",
    fields = {
        "arch": "string: kernel ARCH.",
        "lto": "string: the config's LTO setting: \"none\", \"thin\" or \"full\".",
        "objects": "dict[string, File]: every compiled object and every object derived from one (KernelObjcopy), by its Kbuild path (e.g. \"init/main.o\").",
        "bitcode": "dict[string, bool]: Kbuild path -> whether that object is LLVM bitcode.",
        "incbin": "dict[string, list[(string, File)]]: bitcode object's Kbuild path -> the files its `.incbin` directives read (objtree-relative name, File); in-process LTO links need them (tools/thinlto_cache link).",
        "vmlinux_members": "list[string]: members of vmlinux.a, in link order (head objects first).",
        "lib_members": "list[string]: members of KBUILD_VMLINUX_LIBS archives (lazy), in order.",
        "link_objects": "list[File]: objects the final link adds after vmlinux.o (init/version-timestamp.o).",
        "lds": "File: the preprocessed vmlinux linker script.",
        "link": "dict: the plan's `link` section (ldflags, ldflags_vmlinux, kallsyms args, sorttable, ...).",
        "host_programs": "dict[string, File]: host programs built at import (scripts/kallsyms, scripts/sorttable).",
        "objtool": "File or None: tools/objtool/objtool as built at import (x86_64), static.",
        "asflags": "list[string]: flags to assemble the kallsyms .S like Kbuild (those of vmlinux.a's first assembly object).",
        "asm_inputs": "depset[File]: headers the assembly objects read (covers the kallsyms .S).",
        "modules": "dict or None: the plan's `modules` section (None: CONFIG_MODULES is off).",
        "part_compiles": "dict[string, struct]: module part Kbuild path -> struct(source = File, inputs = depset[File] (its source, headers and generated inputs, no toolchain), flags = list[string] (its compile flags, placeholders substituted, without -c/-o)): what its KernelCompile ran, for srcversion's depfiles.",
        "module_lds": "File or None: scripts/module.lds, preprocessed.",
        "mod_c_inputs": "depset[File]: the headers every *.mod.c compile reads (without autoconf.h when `autoconf` is set).",
        "autoconf": "File or None: the whole autoconf.h when compiles read config slices (each *.mod.c compile then reads its scan slice: config_slice_actions.scan); None: it is in mod_c_inputs.",
        "roots": "dict[string, string]: plan placeholder ($(srctree), $(objtree), $(CC_RESOURCE_DIR)) -> exec path.",
        "objtree_headers": "depset[File]: the import's generated headers (the object tree's include/ and arch/*/include/ .h files), for out-of-tree modules.",
        "symversions": "dict[string, File]: CONFIG_MODVERSIONS: object Kbuild path -> its genksyms `#SYMVER` lines (KernelSymversions; empty if it exports nothing). Empty without MODVERSIONS.",
        "export_o_inputs": "depset[File]: the headers the .vmlinux.export.o compile reads (plan link.export_o; empty without CONFIG_MODVERSIONS).",
        "boot": "struct or None: the x86_64 bzImage steps (kernel_bzimage.bzl: image, steps, made = outputs of the steps before vmlinux, srctree); None without a boot plan.",
        "repo": "string: the import repository these objects come from (for re-import commands).",
        "share_keys": "dict[string, string]: Kbuild path -> share key (tools/kbuild_import/share.py) of each object this target compiled itself that a config variant may take (kernel_objects share_from).",
    },
)

KernelModulesInfo = provider(
    doc = "A kernel's loadable modules, and what out-of-tree modules (kernel_module) build against.",
    fields = {
        "arch": "string: kernel ARCH.",
        "mode": "string: the link mode (none, full, thin, thin_dist) the modules were built in.",
        "kos": "dict[string, File]: every in-tree .ko, by its Kbuild path (\"lib/test_module.ko\").",
        "order": "list[string]: modules.order (Kbuild paths of the .ko files).",
        "symvers": "File: Module.symvers of vmlinux and the in-tree modules.",
        "vmlinux_o": "File: the vmlinux.o modpost read.",
        "module_lds": "File: scripts/module.lds, preprocessed for this config.",
        "extmod": "dict or None: the plan's out-of-tree templates (c_flags, link, ko, modpost, ...).",
        "roots": "dict[string, string]: plan placeholder ($(srctree), $(objtree), ...) -> exec path.",
        "hdrs": "depset[File]: every header an out-of-tree module may include (kernel include dirs, generated headers).",
        "mod_c_inputs": "depset[File]: the headers a *.mod.c compile reads.",
        "objtool": "File or None: tools/objtool/objtool (x86_64).",
        "genksyms": "File or None: scripts/genksyms/genksyms (CONFIG_MODVERSIONS: out-of-tree modules' KernelSymversions).",
    },
)

KernelModuleInfo = provider(
    doc = "An out-of-tree module built by kernel_module.",
    fields = {
        "name": "string: modpost's name of the module (package path + name, e.g. \"tests/modules/pair\").",
        "ko": "File: the .ko.",
        "symvers": "File: its Module.symvers (its own exports, for modules that depend on it).",
        "symvers_deps": "depset[File]: the Module.symvers of this module and of every module it depends on.",
        "kos": "depset[File]: this .ko and those of its deps, for an initramfs.",
    },
)
