// SPDX-License-Identifier: GPL-2.0
/*
 * Section mismatches: __init/__exit code and data referenced from normal code
 * and data, init <-> exit, an exported __init function, and two references
 * modpost's whitelist excuses (*_ops always, *driver unless W=1, i.e. -W).
 */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/compiler.h>

int __initdata fault_init_value = 7;
noinline int __init fault_init_helper(void) { return READ_ONCE(fault_init_value); }
noinline void __exit fault_exit_helper(void) { WRITE_ONCE(fault_init_value, 0); } /* exit -> init */

struct fault_holder { int (*fn)(void); void (*exit)(void); };
struct fault_holder fault_holder_plain = { fault_init_helper };          /* .data -> .init.text */
struct fault_holder fault_holder_ops = { fault_init_helper };            /* whitelisted: *_ops */
struct fault_holder fault_exit_driver = { .exit = fault_exit_helper };   /* reported only with -W */

/* .text -> .init.text and .init.data */
noinline int fault_normal_code(void)
{
	return fault_init_helper() + READ_ONCE(fault_init_value);
}
EXPORT_SYMBOL(fault_normal_code);

/* .text -> .exit.text */
noinline void fault_normal_exit_caller(void) { fault_exit_helper(); }
EXPORT_SYMBOL(fault_normal_exit_caller);

/* EXPORT_SYMBOL of an __init function */
noinline int __init fault_exported_init(void) { return 1; }
EXPORT_SYMBOL(fault_exported_init);

/* .init.text -> .exit.text */
static int __init secmismatch_init(void) { fault_exit_helper(); return fault_normal_code(); }
module_init(secmismatch_init);
MODULE_LICENSE("GPL");
