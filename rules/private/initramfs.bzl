"""kernel_initramfs: a deterministic initramfs with busybox-static and kernel modules.

The archive (newc cpio, written by tools/initramfs byte for byte as the kernel's
`usr/gen_init_cpio -t 0` would, every mtime 0) holds

    /bin/busybox (+ sh, insmod, echo, cat, mount, poweroff, ... links)   pinned busybox-static
    /init -> bin/busybox                 busybox's init: the first program must be an ELF
                                         (the kernels have no CONFIG_BINFMT_SCRIPT)
    /etc/inittab, /etc/init.sh           init runs the generated script through /bin/sh
    /lib/modules/<name>.ko               every .ko of `modules`, in dependency order
    /lib/modules/refused/<name>.ko       every .ko of `refused` (modules the kernel must refuse)

/etc/init.sh mounts proc, sysfs and devtmpfs (if the kernel has them), insmods each module
in the order its `.modinfo` `depends=` requires (ties by name), printing
`kernel_lto: insmod <name> ok` or `kernel_lto: insmod <name> FAILED <status>`, then insmods
each of `refused`, printing `kernel_lto: insmod <name> refused <status>` (or a FAILED marker
if it loads), then runs `commands` (one shell line each), then prints `kernel_lto: init done`, then `poweroff -f`.
kernel_boot_test(initramfs = ...) waits for that last line and fails on a FAILED one.
"""

KernelInitramfsInfo = provider(
    doc = "An initramfs built by kernel_initramfs.",
    fields = {
        "archive": "File: the newc cpio archive (QEMU -initrd).",
        "arch": "string: the guest architecture it is for (arm64, x86_64).",
        "expect_loaded": "File: names of the modules whose `insmod <name> ok` marker a boot must print, one a line.",
        "load_order": "File: the names of all packed modules in load order, one a line.",
    },
)

def _kernel_initramfs_impl(ctx):
    arch = ctx.attr.arch
    busybox = {"arm64": ctx.file._busybox_arm64, "x86_64": ctx.file._busybox_x86_64}[arch]
    kos = []
    for target in ctx.attr.modules:
        found = [f for f in target[DefaultInfo].files.to_list() if f.extension == "ko"]
        if not found:
            fail("{}: modules: {} provides no .ko file; list kernel_module targets (or .ko files)".format(ctx.label, target.label))
        kos += found
    refused = []
    for target in ctx.attr.refused:
        found = [f for f in target[DefaultInfo].files.to_list() if f.extension == "ko"]
        if not found:
            fail("{}: refused: {} provides no .ko file".format(ctx.label, target.label))
        refused += found
    archive = ctx.actions.declare_file(ctx.label.name + ".cpio")
    order = ctx.actions.declare_file(ctx.label.name + ".load_order.txt")
    expect = ctx.actions.declare_file(ctx.label.name + ".expect_loaded.txt")
    init = ctx.actions.declare_file(ctx.label.name + ".init.sh")
    args = ctx.actions.args()
    args.set_param_file_format("multiline")
    args.use_param_file("--flagfile=%s", use_always = True)
    args.add("--arch=" + arch)
    args.add(busybox, format = "--busybox=%s")
    args.add_all(kos, format_each = "--module=%s")
    args.add_all(refused, format_each = "--refused=%s")
    args.add_all(ctx.attr.expect_loaded, format_each = "--expect_loaded=%s")
    args.add_all(ctx.attr.commands, format_each = "--command=%s")
    if ctx.attr.shell:
        args.add("--shell")
    args.add(archive, format = "--out=%s")
    args.add(order, format = "--write_order=%s")
    args.add(expect, format = "--write_expect_loaded=%s")
    args.add(init, format = "--write_init=%s")
    ctx.actions.run(
        executable = ctx.executable._initramfs,
        arguments = [args],
        inputs = [busybox] + kos + refused,
        outputs = [archive, order, expect, init],
        mnemonic = "KernelInitramfs",
        progress_message = "Packing initramfs %{output}",
    )
    return [
        DefaultInfo(files = depset([archive]), runfiles = ctx.runfiles(files = [archive])),
        OutputGroupInfo(init = depset([init]), load_order = depset([order])),
        KernelInitramfsInfo(archive = archive, arch = arch, expect_loaded = expect, load_order = order),
    ]

kernel_initramfs = rule(
    implementation = _kernel_initramfs_impl,
    doc = "A deterministic initramfs (newc cpio): pinned busybox-static, and an init that " +
          "insmods `modules` in dependency order, prints a marker line per module, then powers off.",
    attrs = {
        "arch": attr.string(mandatory = True, values = ["arm64", "x86_64"], doc = "Guest architecture (picks the busybox)."),
        "modules": attr.label_list(
            allow_files = [".ko"],
            doc = "Targets whose DefaultInfo .ko files are packed as /lib/modules/<name>.ko and loaded. " +
                  "A module's `depends=` must name modules packed here too.",
        ),
        "refused": attr.label_list(
            allow_files = [".ko"],
            doc = "Targets whose .ko files the kernel must refuse to load (e.g. a `__versions` CRC " +
                  "that disagrees with the kernel's): packed as /lib/modules/refused/<name>.ko and " +
                  "insmod-ed after `modules`; a load prints a FAILED marker, which fails kernel_boot_test.",
        ),
        "expect_loaded": attr.string_list(
            doc = "Module names (.modinfo name=) whose `kernel_lto: insmod <name> ok` marker a " +
                  "kernel_boot_test requires; each must be packed. Empty: every packed module. A packed " +
                  "module left out (e.g. a driver whose device QEMU lacks) may fail to load: its marker " +
                  "is then `insmod <name> not loaded <status>`, not FAILED.",
        ),
        "commands": attr.string_list(
            doc = "Shell lines /etc/init.sh runs after loading the modules, before `kernel_lto: init done`, " +
                  "in order (e.g. mount debugfs and write an LKDTM crash type to provoke-crash/DIRECT). " +
                  "One line each; a command killed by an oops does not stop the script.",
        ),
        "shell": attr.bool(
            doc = "Interactive (`bazel run //:boot`): init does not power off but starts a login " +
                  "shell (prompt `kernel_lto # `) on the serial console's tty, respawned when it exits.",
        ),
        "_busybox_arm64": attr.label(default = "@kernel_busybox_arm64//:bin/busybox", allow_single_file = True),
        "_busybox_x86_64": attr.label(default = "@kernel_busybox_x86_64//:bin/busybox", allow_single_file = True),
        "_initramfs": attr.label(default = "//tools/initramfs", executable = True, cfg = "exec"),
    },
)
