/* tracekit_heap.h: tell tracekit's heap tracker about memory it cannot see.
 *
 * A program with its own allocator or pool (or jemalloc, mimalloc, tcmalloc linked in) hands
 * out blocks that no malloc hook sees. Report them here and `tracekit heap` counts them as it
 * counts malloc's, with their backtraces (kind "custom alloc"):
 *
 *     void *p = pool_get(pool, n);
 *     TRACEKIT_HEAP_ALLOC(p, n);
 *     ...
 *     TRACEKIT_HEAP_FREE(p);          // before the pool may hand p out again
 *     pool_put(pool, p);
 *
 * Name what a thread does, for `tracekit heap --per-test` (a GoogleTest or ctest-style binary,
 * whose threads are not named after its tests):
 *
 *     TRACEKIT_TEST_BEGIN("Suite.Case");
 *     ... the test ...
 *     TRACEKIT_TEST_END();
 *
 * The functions are declared weak: in a run without the tracker each macro is one test of a
 * null pointer, and with -DTRACEKIT_HEAP_DISABLE they compile to nothing. (A weak reference
 * is bound at load time in a position-independent executable, gcc's default; a non-PIE
 * program needs `-Wl,-z,dynamic-undefined-weak` for the tracker to be found.)
 */
#ifndef TRACEKIT_HEAP_H
#define TRACEKIT_HEAP_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifdef TRACEKIT_HEAP_DISABLE

#define TRACEKIT_HEAP_ALLOC(ptr, size) ((void)0)
#define TRACEKIT_HEAP_FREE(ptr) ((void)0)
#define TRACEKIT_HEAP_REALLOC(old, new_ptr, size) ((void)0)
#define TRACEKIT_TEST_BEGIN(name) ((void)0)
#define TRACEKIT_TEST_END() ((void)0)

#else

/* Defined by libpreload_heaptrack.so; null when it is not loaded. */
extern void tracekit_heap_alloc(const void *ptr, size_t size) __attribute__((weak));
extern void tracekit_heap_free(const void *ptr) __attribute__((weak));
extern void tracekit_heap_realloc(const void *old_ptr, const void *new_ptr, size_t size)
    __attribute__((weak));
extern void tracekit_heap_region_begin(const char *name) __attribute__((weak));
extern void tracekit_heap_region_end(void) __attribute__((weak));

/* The allocator handed out `size` bytes at `ptr`. */
#define TRACEKIT_HEAP_ALLOC(ptr, size) \
    do { if (tracekit_heap_alloc) tracekit_heap_alloc((ptr), (size)); } while (0)
/* The allocator is about to take `ptr` back. */
#define TRACEKIT_HEAP_FREE(ptr) \
    do { if (tracekit_heap_free) tracekit_heap_free((ptr)); } while (0)
/* The block at `old` is now `size` bytes at `new_ptr`. */
#define TRACEKIT_HEAP_REALLOC(old, new_ptr, size) \
    do { if (tracekit_heap_realloc) tracekit_heap_realloc((old), (new_ptr), (size)); } while (0)
/* The calling thread's allocations belong to the test `name` until TRACEKIT_TEST_END(). */
#define TRACEKIT_TEST_BEGIN(name) \
    do { if (tracekit_heap_region_begin) tracekit_heap_region_begin(name); } while (0)
#define TRACEKIT_TEST_END() \
    do { if (tracekit_heap_region_end) tracekit_heap_region_end(); } while (0)

#endif

#ifdef __cplusplus
}
#endif

#endif /* TRACEKIT_HEAP_H */
