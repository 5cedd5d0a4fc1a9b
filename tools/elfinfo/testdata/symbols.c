/* tools/elfinfo/testdata/symbols.bc: clang 19 --target=aarch64-linux-gnu -O2 -flto=thin -c symbols.c */
int data = 1;
int common_;
extern void undef_fn(void);
void global_fn(void) { undef_fn(); }
static void local_fn(void) {}
__attribute__((weak)) void weak_fn(void) { local_fn(); }
