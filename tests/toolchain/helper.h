#include <stdint.h>

int64_t helper_scale(int64_t x);
extern const int64_t helper_bias;
int64_t smoke_main(int64_t x);
