// SPDX-License-Identifier: GPL-2.0
/* Exports modv_value with the prototype of the modv_api.h it is built with (api/ or
 * changed/): CONFIG_MODVERSIONS gives the export the CRC genksyms computes from it. */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/printk.h>
#include "modv_api.h"

modv_arg_t modv_value(modv_arg_t x)
{
	return x * 6 + 1;
}
EXPORT_SYMBOL_GPL(modv_value);

static int __init modv_provider_init(void)
{
	pr_info("kernel_lto_modv_provider: loaded, sizeof(modv_arg_t) = %zu\n", sizeof(modv_arg_t));
	return 0;
}

static void __exit modv_provider_exit(void)
{
}

module_init(modv_provider_init);
module_exit(modv_provider_exit);
MODULE_DESCRIPTION("rules_kernel_lto MODVERSIONS test: exports modv_value");
MODULE_LICENSE("GPL");
