// SPDX-License-Identifier: GPL-2.0
/* Exports one symbol of each kind, used by the other fault modules. */
#include <linux/module.h>
#include <linux/init.h>

int fault_plain(int x) { return x + 1; }
EXPORT_SYMBOL(fault_plain);

int fault_gpl(int x) { return x + 2; }
EXPORT_SYMBOL_GPL(fault_gpl);

int fault_ns(int x) { return x + 3; }
EXPORT_SYMBOL_NS(fault_ns, FAULT_NS);

int fault_ns_gpl(int x) { return x + 4; }
EXPORT_SYMBOL_NS_GPL(fault_ns_gpl, FAULT_NS_GPL);

static int __init exporter_init(void) { return 0; }
static void __exit exporter_exit(void) { }
module_init(exporter_init);
module_exit(exporter_exit);
MODULE_LICENSE("GPL");
