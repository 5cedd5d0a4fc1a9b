/* Synthetic test input (written for rules_kernel_lto, shaped like an initramfs
 * wrapper): the comment mentions that .incbin was introduced long ago, and the
 * directive below is the one find_incbins must report. */
	.section .init.ramfs,"a"
__irf_start:
.incbin "usr/initramfs_inc_data"
__irf_end:
