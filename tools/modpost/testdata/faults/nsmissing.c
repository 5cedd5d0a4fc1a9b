// SPDX-License-Identifier: GPL-2.0
/* Uses namespaced symbols without MODULE_IMPORT_NS. */
#include <linux/module.h>
#include <linux/init.h>

int fault_ns(int x);
int fault_ns_gpl(int x);

static int __init nsmissing_init(void)
{
	return fault_ns(0) + fault_ns_gpl(0);
}
module_init(nsmissing_init);
MODULE_LICENSE("GPL");
