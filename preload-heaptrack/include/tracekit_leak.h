/* tracekit_leak.h: ask tracekit's heap tracker for a leak check now, from the program, as
 * valgrind's VALGRIND_DO_LEAK_CHECK or LeakSanitizer's __lsan_do_recoverable_leak_check do.
 *
 *     #include "tracekit_leak.h"
 *     ...
 *     TRACEKIT_DO_LEAK_CHECK();
 *
 * Under `tracekit heap --leak-check=...` (or LD_PRELOAD=libpreload_heaptrack.so with
 * TRACEKIT_LEAK_CHECK=full) the blocks live at that moment are classified as memcheck does
 * and written to the log as a check of their own; `tracekit report` prints each check. The
 * program goes on. Without the tracker the call does nothing: the function is a weak
 * reference, null unless the tracker's library is loaded, so the program links and runs
 * anywhere (no library to link, no dlopen).
 */
#ifndef TRACEKIT_LEAK_H
#define TRACEKIT_LEAK_H

#ifdef __cplusplus
extern "C" {
#endif

extern void tracekit_do_leak_check(void) __attribute__((weak));

static inline void TRACEKIT_DO_LEAK_CHECK(void) {
    if (tracekit_do_leak_check)
        tracekit_do_leak_check();
}

#ifdef __cplusplus
}
#endif

#endif
