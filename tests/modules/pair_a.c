// SPDX-License-Identifier: GPL-2.0
/* Part one of a two-object out-of-tree module that uses hello.ko's export. */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>
#include "pair.h"

static int __init pair_init(void)
{
	int v = pair_twice(hello_value(7));

	pr_info("kernel_lto_pair: loaded, pair_twice(hello_value(7)) = %d\n", v);
	return v == 86 ? 0 : -EINVAL;
}

static void __exit pair_exit(void)
{
	pr_info("kernel_lto_pair: unloaded\n");
}

module_init(pair_init);
module_exit(pair_exit);
MODULE_DESCRIPTION("rules_kernel_lto out-of-tree example: two objects, uses hello_value");
MODULE_LICENSE("GPL");
/* MODULE_VERSION: modpost adds a srcversion (a hash of the sources), checked against Kbuild. */
MODULE_VERSION("1.0");
