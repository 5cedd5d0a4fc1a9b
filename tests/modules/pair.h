/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KERNEL_LTO_PAIR_H
#define KERNEL_LTO_PAIR_H

int hello_value(int x); /* exported by hello.ko */
int pair_twice(int x);  /* pair_b.c */

#endif
