/* SPDX-License-Identifier: GPL-2.0 */
/* modv_api.h of a provider whose exported prototype changed (tests/modversions): the one
 * difference from ../api/modv_api.h is the typedef: modv_value(long) returns long. */
#ifndef KERNEL_LTO_MODV_API_H
#define KERNEL_LTO_MODV_API_H

typedef long modv_arg_t;

modv_arg_t modv_value(modv_arg_t x);

#endif
