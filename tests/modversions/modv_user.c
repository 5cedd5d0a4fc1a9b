// SPDX-License-Identifier: GPL-2.0
/* Uses modv_provider.ko's modv_value; its __versions entry holds the CRC of the provider it
 * was built against (the deps' Module.symvers). */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>
#include "modv_api.h"

static int __init modv_user_init(void)
{
	long v = modv_value(7);

	pr_info("%s: loaded, modv_value(7) = %ld\n", KBUILD_MODNAME, v);
	return v == 43 ? 0 : -EINVAL;
}

static void __exit modv_user_exit(void)
{
}

module_init(modv_user_init);
module_exit(modv_user_exit);
MODULE_DESCRIPTION("rules_kernel_lto MODVERSIONS test: uses modv_value");
MODULE_LICENSE("GPL");
