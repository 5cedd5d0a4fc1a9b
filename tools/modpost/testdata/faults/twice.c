// SPDX-License-Identifier: GPL-2.0
/* Exports a symbol vmlinux already exports: "exported twice". */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/kernel.h>

int kstrtoint(const char *s, unsigned int base, int *res) { *res = 0; return 0; }
EXPORT_SYMBOL(kstrtoint);

static int __init twice_init(void) { return 0; }
module_init(twice_init);
MODULE_LICENSE("GPL");
