// build: -O2
/* The kernel's floor under any guard-page allocator (bench/efence.sh): the CPU time, in
 * nanoseconds per pair, of the cheapest ways to make one page accessible for a block and
 * inaccessible again at its free, on 16384 slots of one page and a guard page each, cycled
 * as a quarantine cycles them. No allocator runs: each mode is the system calls and page
 * faults alone.
 *   mprotect: two mprotect calls a pair (each splits or merges a kernel mapping), the page kept;
 *   markers:  one MADV_GUARD_INSTALL a pair (Linux 6.13+) and the fault of a fresh page, slots
 *             unmarked 64 at a time by process_madvise (the scheme of libpreload_efence.so);
 *   discard:  one MADV_DONTNEED a pair and the fault of a fresh page, no protection at all
 *             (below any scheme that drops the page).
 * Usage: efence_floor N (pairs per mode). Prints `MODE ns_per_pair` lines; a mode the kernel
 * refuses prints `MODE unsupported`. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096L
#define SLOTS 16384L
#define BATCH 64
#define GUARD_INSTALL 102
#define GUARD_REMOVE 103
#define PIDFD_SELF_ (-10000)

static double cpu_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static char *slots(int prot) {
    char *p = mmap(NULL, SLOTS * 2 * PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        exit(1);
    }
    return p;
}

static int unmark(char *base, long first, int n) {
    struct iovec iov[BATCH];
    for (int j = 0; j < n; j++) {
        iov[j].iov_base = base + ((first + j) % SLOTS) * 2 * PAGE;
        iov[j].iov_len = PAGE;
    }
    if (syscall(SYS_process_madvise, PIDFD_SELF_, iov, n, GUARD_REMOVE, 0) >= 0)
        return 0;
    for (int j = 0; j < n; j++)
        if (madvise(iov[j].iov_base, PAGE, GUARD_REMOVE) != 0)
            return -1;
    return 0;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 100000;
    volatile char sink = 0;

    /* mprotect: slots inaccessible, guard pages too (as libefence and DUMA lay them out). */
    char *b = slots(PROT_NONE);
    double t = cpu_ns();
    for (long k = 0; k < n; k++) {
        char *s = b + (k % SLOTS) * 2 * PAGE;
        if (mprotect(s, PAGE, PROT_READ | PROT_WRITE) != 0)
            return 1;
        s[PAGE - 32] = (char)k;
        mprotect(s, PAGE, PROT_NONE);
    }
    printf("mprotect %.0f\n", (cpu_ns() - t) / n);
    munmap(b, SLOTS * 2 * PAGE);

    /* markers: guard pages marked once; a freed slot marked, unmarked in batches later. */
    b = slots(PROT_READ | PROT_WRITE);
    int ok = 1;
    for (long i = 0; i < SLOTS && ok; i++)
        ok = madvise(b + i * 2 * PAGE + PAGE, PAGE, GUARD_INSTALL) == 0;
    if (!ok) {
        printf("markers unsupported\n");
    } else {
        t = cpu_ns();
        for (long k = 0; k < n; k++) {
            char *s = b + (k % SLOTS) * 2 * PAGE;
            s[PAGE - 32] = (char)k;
            madvise(s, PAGE, GUARD_INSTALL);
            if (k % BATCH == BATCH - 1 && unmark(b, (k - BATCH + 1) % SLOTS, BATCH) != 0)
                return 1;
        }
        printf("markers %.0f\n", (cpu_ns() - t) / n);
    }
    munmap(b, SLOTS * 2 * PAGE);

    /* discard: the page dropped and faulted in again, nothing protected. */
    b = slots(PROT_READ | PROT_WRITE);
    t = cpu_ns();
    for (long k = 0; k < n; k++) {
        char *s = b + (k % SLOTS) * 2 * PAGE;
        s[PAGE - 32] = (char)k;
        sink += s[0];
        madvise(s, PAGE, MADV_DONTNEED);
    }
    printf("discard %.0f\n", (cpu_ns() - t) / n);
    return sink == 42 ? 0 : 0;
}
