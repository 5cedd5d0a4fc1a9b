// SPDX-License-Identifier: GPL-2.0
/* A module name of 56 characters or more: "module name is too long". */
#include <linux/module.h>
#include <linux/init.h>

static int __init long_init(void) { return 0; }
module_init(long_init);
MODULE_LICENSE("GPL");
