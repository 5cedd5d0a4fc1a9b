/* SPDX-License-Identifier: GPL-2.0 */
/* The exported interface of modv_provider.ko (tests/modversions). changed/modv_api.h is the
 * same file with the argument and result type widened: genksyms gives modv_value another
 * CRC there, and a module built against that provider must be refused by this one. */
#ifndef KERNEL_LTO_MODV_API_H
#define KERNEL_LTO_MODV_API_H

typedef int modv_arg_t;

modv_arg_t modv_value(modv_arg_t x);

#endif
