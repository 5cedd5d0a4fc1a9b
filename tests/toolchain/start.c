/* Entry point: exits with smoke_main(7) as status (22), via the raw exit syscall. */
#include <stdint.h>

#include "helper.h"

static volatile int64_t input = 7;

__attribute__((noreturn)) void _start(void) {
	int64_t status = smoke_main(input);
#if defined(__x86_64__)
	__asm__ volatile("syscall" : : "a"(60), "D"(status) : "rcx", "r11", "memory");
#elif defined(__aarch64__)
	register int64_t x0 __asm__("x0") = status;
	register int64_t x8 __asm__("x8") = 93;
	__asm__ volatile("svc #0" : : "r"(x0), "r"(x8) : "memory");
#endif
	for (;;) {
	}
}
