// build: -O2
/* For symbolizer tests: `inner` is inlined into `outer`; `main` calls `outer`. */
static inline __attribute__((always_inline)) int inner(volatile int *p) { return *p * 7 + 1; }
__attribute__((noinline)) int outer(volatile int *p) { return inner(p) * 3; }
int main(int argc, char **argv) { (void)argv; volatile int a = argc; return outer(&a) == 0; }
