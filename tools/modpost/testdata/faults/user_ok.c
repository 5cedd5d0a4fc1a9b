// SPDX-License-Identifier: GPL-2.0
/* Uses every export of exporter.ko correctly: no diagnostics. */
#include <linux/module.h>
#include <linux/init.h>

int fault_plain(int x);
int fault_gpl(int x);
int fault_ns(int x);
int fault_ns_gpl(int x);

static int __init user_ok_init(void)
{
	pr_info("user_ok: %d\n", fault_plain(1) + fault_gpl(2) + fault_ns(3) + fault_ns_gpl(4));
	return 0;
}
module_init(user_ok_init);
MODULE_IMPORT_NS(FAULT_NS);
MODULE_IMPORT_NS(FAULT_NS_GPL);
MODULE_LICENSE("Dual BSD/GPL");
