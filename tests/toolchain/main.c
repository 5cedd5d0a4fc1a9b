/* Freestanding smoke program: _start calls main, main calls helper_scale() from
 * helper.c. ThinLTO imports helper_scale into main's backend, so main's native object
 * must not reference it: the smoke test checks that. */
#include <stdint.h>

#include "helper.h"

int64_t smoke_main(int64_t x) {
	return helper_scale(x) + helper_bias;
}
