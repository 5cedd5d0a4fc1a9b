// SPDX-License-Identifier: GPL-2.0
/* An out-of-tree module that exports a symbol (kernel_module example, tests/modules). */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>

int hello_value(int x)
{
	return x * 6 + 1;
}
EXPORT_SYMBOL_GPL(hello_value);

static int __init hello_init(void)
{
	pr_info("kernel_lto_hello: loaded, hello_value(7) = %d\n", hello_value(7));
	return 0;
}

static void __exit hello_exit(void)
{
	pr_info("kernel_lto_hello: unloaded\n");
}

module_init(hello_init);
module_exit(hello_exit);
MODULE_DESCRIPTION("rules_kernel_lto out-of-tree example: exports hello_value");
MODULE_LICENSE("GPL");
