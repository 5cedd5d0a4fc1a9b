// SPDX-License-Identifier: GPL-2.0
/* No MODULE_LICENSE(). */
#include <linux/module.h>
#include <linux/init.h>

static int __init nolicense_init(void) { return 0; }
module_init(nolicense_init);
MODULE_DESCRIPTION("missing its license");
