"""Providers of rules_kernel_lto."""

KernelLtoInfo = provider(
    doc = "The stages of a distributed ThinLTO link, for tests and later stages.",
    fields = {
        "bitcode": "list[File]: the bitcode objects, in link order.",
        "indexes": "list[File]: per bitcode object, the tree the thin-link wrote for its backend (index, imports list, imported objects).",
        "natives": "list[File]: per bitcode object, the native object its backend wrote, in link order.",
    },
)
