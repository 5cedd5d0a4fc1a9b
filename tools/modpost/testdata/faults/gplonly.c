// SPDX-License-Identifier: GPL-2.0
/* A non-GPL module using GPL-only symbols (one from exporter.ko, one from vmlinux). */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/kernel.h>

int fault_plain(int x);
int fault_gpl(int x);

static int __init gplonly_init(void)
{
	return fault_plain(0) + fault_gpl(0);
}
module_init(gplonly_init);
MODULE_LICENSE("Proprietary");
