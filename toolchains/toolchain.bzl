"""The kernel toolchain: hermetic clang/lld for one target cpu, plus the host sysroot."""

KernelToolchainInfo = provider(
    doc = "What a kernel action needs from the toolchain (also returned inside ToolchainInfo as `kernel`).",
    fields = {
        "arch": "string: kernel ARCH name, \"arm64\" or \"x86_64\".",
        "target_triple": "string: clang --target, e.g. \"aarch64-linux-gnu\".",
        "elf_machine": "string: e_machine of target objects as pyelftools names it, e.g. \"EM_AARCH64\".",
        "ld_emulation": "list[string]: ld.lld flags selecting the target (Kbuild's KBUILD_LDFLAGS head).",
        "clang": "File: clang.",
        "ld_lld": "File: ld.lld.",
        "llvm_ar": "File: llvm-ar.",
        "llvm_nm": "File: llvm-nm.",
        "llvm_objcopy": "File: llvm-objcopy.",
        "llvm_strip": "File: llvm-strip.",
        "llvm_readelf": "File: llvm-readelf.",
        "llvm_objdump": "File: llvm-objdump.",
        "builtin_include": "string: execroot-relative dir of clang's builtin headers (stddef.h ...); use with -nostdinc -isystem.",
        "all_files": "depset[File]: every file the LLVM tools run with (binaries, their libraries, builtin headers).",
        "host_sysroot": "string: execroot-relative path of the pinned host sysroot (for --sysroot).",
        "host_sysroot_files": "depset[File]: the host sysroot's files.",
        "srcloc_plugin": "File or None: an LLVM pass plugin (toolchains/plugin/strip_srcloc.cc) that bitcode compiles load with -fpass-plugin: it takes the `!srcloc` byte offsets out (inline asm: dropped; calls: 1), so a comment added to a header changes no bitcode. None: no plugin (an LLVM without its headers).",
        "sh": "File: the shell of every shell command of the rules, run as `sh -c` (rules/private/actions/shell.bzl): the pinned statically linked busybox, a declared input, so no action needs the machine's /bin/sh, /bin/bash or /usr/bin (sed, tr, ... are its applets).",
    },
)

def _kernel_clang_toolchain_impl(ctx):
    headers = ctx.files.builtin_headers
    stddef = [f for f in headers if f.path.endswith("/include/stddef.h")]
    if not stddef:
        fail("{}: builtin_headers has no include/stddef.h".format(ctx.label))
    sysroot = ctx.attr.host_sysroot.label
    plugin = ctx.files.srcloc_plugin
    if len(plugin) > 1 or [f for f in plugin if f.extension != "so"]:
        fail("{}: srcloc_plugin {} provides {}; one .so (or nothing) expected".format(ctx.label, ctx.attr.srcloc_plugin.label, [f.basename for f in plugin]))
    info = KernelToolchainInfo(
        arch = ctx.attr.arch,
        target_triple = ctx.attr.target_triple,
        elf_machine = ctx.attr.elf_machine,
        ld_emulation = ctx.attr.ld_emulation,
        clang = ctx.file.clang,
        ld_lld = ctx.file.ld_lld,
        llvm_ar = ctx.file.llvm_ar,
        llvm_nm = ctx.file.llvm_nm,
        llvm_objcopy = ctx.file.llvm_objcopy,
        llvm_strip = ctx.file.llvm_strip,
        llvm_readelf = ctx.file.llvm_readelf,
        llvm_objdump = ctx.file.llvm_objdump,
        builtin_include = stddef[0].dirname,
        all_files = depset(transitive = [ctx.attr.all_files[DefaultInfo].files]),
        host_sysroot = (sysroot.workspace_root + "/" + sysroot.package).rstrip("/"),
        host_sysroot_files = ctx.attr.host_sysroot[DefaultInfo].files,
        srcloc_plugin = plugin[0] if plugin else None,
        sh = ctx.file.sh,
    )
    return [platform_common.ToolchainInfo(kernel = info), info]

def _tool(doc):
    return attr.label(mandatory = True, allow_single_file = True, executable = True, cfg = "exec", doc = doc)

kernel_clang_toolchain = rule(
    implementation = _kernel_clang_toolchain_impl,
    doc = "Hermetic clang/lld for one kernel target cpu. Register through toolchain().",
    attrs = {
        "arch": attr.string(mandatory = True, values = ["arm64", "x86_64"], doc = "Kernel ARCH."),
        "target_triple": attr.string(mandatory = True, doc = "clang --target."),
        "elf_machine": attr.string(mandatory = True, doc = "e_machine of target objects (pyelftools name)."),
        "ld_emulation": attr.string_list(mandatory = True, doc = "ld.lld target flags."),
        "clang": _tool("clang."),
        "ld_lld": _tool("ld.lld."),
        "llvm_ar": _tool("llvm-ar."),
        "llvm_nm": _tool("llvm-nm."),
        "llvm_objcopy": _tool("llvm-objcopy."),
        "llvm_strip": _tool("llvm-strip."),
        "llvm_readelf": _tool("llvm-readelf."),
        "llvm_objdump": _tool("llvm-objdump."),
        "builtin_headers": attr.label(mandatory = True, cfg = "exec", doc = "clang's builtin headers."),
        "all_files": attr.label(mandatory = True, cfg = "exec", doc = "Every file the tools need at run time."),
        "host_sysroot": attr.label(mandatory = True, cfg = "exec", doc = "all_files of the host sysroot repository (its root is the sysroot)."),
        "srcloc_plugin": attr.label(
            # Any files, checked in the implementation: with a file-type filter Bazel refuses a
            # target that provides none (an LLVM without the plugin's headers).
            allow_files = True,
            cfg = "exec",
            doc = "A kernel_llvm_plugin built from toolchains/plugin/strip_srcloc.cc, or one providing no file (no plugin).",
        ),
        # Remote execution (issue 13): a worker has no /bin/bash, which ctx.actions.run_shell
        # names. Debian's busybox-static (amd64, the exec platform of every toolchain here)
        # with its standalone shell runs sed, tr, grep, ... as applets, PATH or not.
        "sh": attr.label(
            default = "@kernel_busybox_x86_64//:busybox",
            allow_single_file = True,
            executable = True,
            cfg = "exec",
            doc = "A statically linked busybox: the shell (and sed, tr, ...) of the rules' shell commands.",
        ),
    },
)
