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
 *   fresh:    no slot reused until the whole region was: slots' data pages populated 64 at a
 *             time by one process_madvise(MADV_POPULATE_WRITE), guard pages marked once; free =
 *             one MADV_GUARD_INSTALL on the slot's page; slots unmarked 64 at a time when the
 *             region comes round again (no page fault at all, but the page still dropped at
 *             free and a new one allocated and zeroed for each block).
 *   fresh-mprotect: the same, free = mprotect(PROT_NONE) of the slot's page (the page kept,
 *             a mapping split off; the freed pages merge with their neighbours as the frees
 *             go by in order), made accessible again 64 slots at a time by one mprotect.
 *   uffd-move: the slots registered with a userfaultfd (UFFD_FEATURE_SIGBUS: a missing page
 *             faults at once, read or write, with no handler thread); guard pages are never
 *             populated; free = one UFFDIO_MOVE (Linux 6.8+) of the freed slot's page to a slot
 *             out of the quarantine, which is then ready: the page is never freed or zeroed,
 *             no mapping changes, no page fault.
 * Usage: efence_floor N (pairs per mode). Prints `MODE ns_per_pair` lines; a mode the kernel
 * refuses prints `MODE unsupported`. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
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
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
/* UFFDIO_MOVE (Linux 6.8), absent from older headers. */
struct uffdio_move_ {
    unsigned long long dst, src, len, mode;
    long long move;
};
#define UFFDIO_MOVE_ _IOWR(UFFDIO, 0x05, struct uffdio_move_)
#define UFFD_FEATURE_MOVE_ (1 << 16)

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

/* One process_madvise(advice) over the data pages of slots first..first+n-1 (mod SLOTS). */
static long data_pages(char *base, long first, int n, int advice) {
    struct iovec iov[BATCH];
    for (int j = 0; j < n; j++) {
        iov[j].iov_base = base + ((first + j) % SLOTS) * 2 * PAGE;
        iov[j].iov_len = PAGE;
    }
    return syscall(SYS_process_madvise, PIDFD_SELF_, iov, n, advice, 0);
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
    munmap(b, SLOTS * 2 * PAGE);

    /* fresh: guard pages marked once; data pages populated in batches, dropped by a marker at
     * free, unmarked in batches when the region comes round. */
    b = slots(PROT_READ | PROT_WRITE);
    for (long i = 0; i < SLOTS && ok; i++)
        ok = madvise(b + i * 2 * PAGE + PAGE, PAGE, GUARD_INSTALL) == 0;
    if (!ok || data_pages(b, 0, BATCH, MADV_POPULATE_WRITE) < 0) {
        printf("fresh unsupported\n");
    } else {
        t = cpu_ns();
        for (long k = 0; k < n; k++) {
            if (k % BATCH == 0) {
                if (k >= SLOTS && data_pages(b, k % SLOTS, BATCH, GUARD_REMOVE) < 0)
                    return 1;
                if (data_pages(b, k % SLOTS, BATCH, MADV_POPULATE_WRITE) < 0)
                    return 1;
            }
            char *s = b + (k % SLOTS) * 2 * PAGE;
            s[PAGE - 32] = (char)k;
            madvise(s, PAGE, GUARD_INSTALL);
        }
        printf("fresh %.0f\n", (cpu_ns() - t) / n);
    }
    munmap(b, SLOTS * 2 * PAGE);

    /* fresh-mprotect: as fresh, free = mprotect(PROT_NONE), pages kept; a batch of slots made
     * accessible again by one mprotect when the region comes round. */
    b = slots(PROT_READ | PROT_WRITE);
    for (long i = 0; i < SLOTS && ok; i++)
        ok = madvise(b + i * 2 * PAGE + PAGE, PAGE, GUARD_INSTALL) == 0;
    if (!ok) {
        printf("fresh-mprotect unsupported\n");
    } else {
        t = cpu_ns();
        for (long k = 0; k < n; k++) {
            if (k % BATCH == 0) {
                char *r = b + (k % SLOTS) * 2 * PAGE;
                if (k >= SLOTS && mprotect(r, BATCH * 2 * PAGE, PROT_READ | PROT_WRITE) != 0)
                    return 1;
                if (data_pages(b, k % SLOTS, BATCH, MADV_POPULATE_WRITE) < 0)
                    return 1;
            }
            char *s = b + (k % SLOTS) * 2 * PAGE;
            s[PAGE - 32] = (char)k;
            if (mprotect(s, PAGE, PROT_NONE) != 0)
                return 1;
        }
        printf("fresh-mprotect %.0f\n", (cpu_ns() - t) / n);
    }
    munmap(b, SLOTS * 2 * PAGE);

    /* uffd-move: the freed slot's page moved to the slot BATCH ahead (out of the quarantine). */
    int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
    struct uffdio_api api = {.api = UFFD_API, .features = UFFD_FEATURE_SIGBUS | UFFD_FEATURE_MOVE_};
    b = slots(PROT_READ | PROT_WRITE);
    madvise(b, SLOTS * 2 * PAGE, MADV_NOHUGEPAGE);
    struct uffdio_register reg = {.range = {(unsigned long)b, SLOTS * 2 * PAGE},
                                  .mode = UFFDIO_REGISTER_MODE_MISSING};
    static char zero[PAGE];
    ok = fd >= 0 && ioctl(fd, UFFDIO_API, &api) == 0 && ioctl(fd, UFFDIO_REGISTER, &reg) == 0;
    for (long i = 0; i < BATCH && ok; i++) {
        struct uffdio_copy c = {(unsigned long)(b + i * 2 * PAGE), (unsigned long)zero, PAGE, 0, 0};
        ok = ioctl(fd, UFFDIO_COPY, &c) == 0;
    }
    if (!ok) {
        printf("uffd-move unsupported\n");
    } else {
        t = cpu_ns();
        for (long k = 0; k < n; k++) {
            char *s = b + (k % SLOTS) * 2 * PAGE;
            s[PAGE - 32] = (char)k;
            struct uffdio_move_ m = {(unsigned long)(b + ((k + BATCH) % SLOTS) * 2 * PAGE),
                                     (unsigned long)s, PAGE, 1, 0};
            if (ioctl(fd, UFFDIO_MOVE_, &m) != 0)
                return 1;
        }
        printf("uffd-move %.0f\n", (cpu_ns() - t) / n);
    }
    return sink == 42 ? 0 : 0;
}
