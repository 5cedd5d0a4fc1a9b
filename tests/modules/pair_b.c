// SPDX-License-Identifier: GPL-2.0
/* Part two of the pair module: a helper the first part calls across objects (LTO may inline it). */
#include "pair.h"

int pair_twice(int x)
{
	return 2 * x;
}
