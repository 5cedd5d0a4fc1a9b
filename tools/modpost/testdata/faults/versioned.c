// SPDX-License-Identifier: GPL-2.0
/* MODULE_VERSION: srcversion even without CONFIG_MODULE_SRCVERSION_ALL; a local header. */
#include <linux/module.h>
#include <linux/init.h>
#include "versioned.h"

static int __init versioned_init(void)
{
	/* a "string with /* no comment" and an escaped \" quote */
	return VERSIONED_ANSWER - 42;
}
module_init(versioned_init);
MODULE_VERSION("1.2.3");
MODULE_ALIAS("fault-versioned");
MODULE_LICENSE("GPL v2");
