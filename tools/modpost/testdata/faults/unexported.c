// SPDX-License-Identifier: GPL-2.0
/* Uses symbols nobody exports: "undefined!" (error, or warning with -w). */
#include <linux/module.h>
#include <linux/init.h>

void fault_nobody_exports_this(void);
extern int fault_nor_this;
extern void fault_weak_is_fine(void) __attribute__((weak));

static int __init unexported_init(void)
{
	fault_nobody_exports_this();
	if (fault_weak_is_fine)
		fault_weak_is_fine();
	return fault_nor_this;
}
module_init(unexported_init);
MODULE_LICENSE("GPL");
