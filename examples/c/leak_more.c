// build: -O0 -pthread
/* Leak-check victim: the roots and block histories that leak_roots.c does not cover, one per
 * mode (argv[1]), compared with valgrind --leak-check=full by tests/tests/leak.rs.
 *
 *   key      a 48-byte block held only by a pthread key of the main thread (its value lives
 *            in the thread's descriptor): still reachable
 *   stale    a 64-byte block whose only pointer is a word left in a finished call's frame,
 *            deep below the stack pointer at exit: definitely lost (neither checker scans
 *            below the stack pointer), and a 40-byte one left in a frame just below main's,
 *            which the exit path's own frames overwrite or not: the figures say which
 *   realloc  a block grown three times and kept by a global (reachable, its last size), one
 *            grown and dropped (definitely lost), one shrunk to 0 (freed by glibc)
 *   threads  100 threads, joined, each losing a block of 16 + i bytes and keeping one of
 *            8 bytes in a global array
 *   exited   4 threads, joined, each losing a 40-byte block whose start and interior (+8)
 *            are left in a dead 4 KiB frame of its stack, and keeping a 24-byte one in a
 *            __thread variable: glibc keeps a joined thread's stack mapped (its cache), stale
 *            frames and all, but only its TLS and descriptor are roots to memcheck (the
 *            rest lay below the thread's stack pointer): 4 definitely lost, 4 reachable
 *   unmap    a second thread mapping and unmapping memory in a loop while the check runs:
 *            it blocks every signal, so the check cannot stop it and reads the maps and
 *            scans beside it (mappings listed and gone by the time they are read): one
 *            24-byte block lost
 *   fork     the parent loses 16 bytes and keeps 40 in a global, forks; the child loses 32
 *            and leaves with _exit (its check: its own blocks, the inherited ones included),
 *            the parent waits and loses 48 more: each process's check at its own exit
 * Each mode also leaks one 8-byte block on purpose, so no run is leak-free.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static pthread_key_t key;
static void *grown;
static void *kept[100];
static volatile int spinning = 1;
static volatile int unmapping;
static void *kept_by_parent;

__attribute__((noinline)) static void lose(size_t n) {
    void *p = malloc(n);
    memset(p, 0, n);
}

/* Leaves `p` in the lowest word of a 4 KiB frame, then returns. */
__attribute__((noinline)) static void deep(void *p) {
    volatile void *frame[512];
    memset((void *)frame, 0, sizeof frame);
    frame[0] = p;
}

/* Leaves `p` in a small frame right below the caller's. */
__attribute__((noinline)) static void shallow(void *p) {
    volatile void *frame[2];
    frame[1] = p;
    frame[0] = 0;
}

static void *worker(void *arg) {
    long i = (long)arg;
    lose(16 + (size_t)i);
    kept[i] = malloc(8);
    return NULL;
}

static __thread void *thread_kept;

/* Leaves the start and an interior pointer of `p` in the lowest words of a 4 KiB frame. */
__attribute__((noinline)) static void deep_interior(char *p) {
    volatile char *frame[512];
    memset((void *)frame, 0, sizeof frame);
    frame[0] = p;
    frame[1] = p + 8;
}

static void *ending(void *arg) {
    (void)arg;
    char *p = malloc(40);
    memset(p, 0, 40);
    deep_interior(p);
    thread_kept = malloc(24);
    return NULL;
}

static void *unmapper(void *arg) {
    (void)arg;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    unmapping = 1;
    while (spinning) {
        void *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m != MAP_FAILED) {
            memset(m, 0x5a, 4096);
            munmap(m, 1 << 20);
        }
    }
    return NULL;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "key";
    lose(8);
    if (!strcmp(mode, "key")) {
        if (pthread_key_create(&key, NULL) != 0 || pthread_setspecific(key, calloc(1, 48)) != 0)
            return 1;
    } else if (!strcmp(mode, "stale")) {
        deep(calloc(1, 64));
        shallow(calloc(1, 40));
    } else if (!strcmp(mode, "realloc")) {
        grown = malloc(10);
        grown = realloc(grown, 100);
        grown = realloc(grown, 1000);
        grown = realloc(grown, 3000);
        void *lost = realloc(malloc(20), 200);
        memset(lost, 0, 200);
        lost = NULL;
        void *gone = malloc(50);
        gone = realloc(gone, 0);
        (void)gone;
    } else if (!strcmp(mode, "threads")) {
        pthread_t t[100];
        for (long i = 0; i < 100; i++)
            if (pthread_create(&t[i], NULL, worker, (void *)i) != 0)
                return 1;
        for (int i = 0; i < 100; i++)
            pthread_join(t[i], NULL);
    } else if (!strcmp(mode, "exited")) {
        pthread_t t[4];
        for (int i = 0; i < 4; i++)
            if (pthread_create(&t[i], NULL, ending, NULL) != 0 || pthread_join(t[i], NULL) != 0)
                return 1;
    } else if (!strcmp(mode, "unmap")) {
        pthread_t t;
        if (pthread_create(&t, NULL, unmapper, NULL) != 0)
            return 1;
        lose(24);
        while (!unmapping)
            usleep(1000);
        usleep(50000);
        /* exit() with the unmapper still running: the check runs beside it. */
        exit(0);
    } else if (!strcmp(mode, "fork")) {
        lose(16);
        kept_by_parent = calloc(1, 40);
        pid_t child = fork();
        if (child < 0)
            return 1;
        if (child == 0) {
            lose(32);
            _exit(0);
        }
        int status;
        if (waitpid(child, &status, 0) != child || status != 0)
            return 1;
        lose(48);
    }
    return 0;
}
