// build: -O1 -pthread -ldl
/* `heap_stress THREADS ALLOCS FORKS DLOPENS DLIB`: the heap tracker under load.
 *
 * THREADS threads each make ALLOCS posix_memalign(512, n)/free pairs (n from a per-thread
 * xorshift, a few blocks kept live at a time), while the main thread forks FORKS children
 * (each makes a few blocks of its own; every 8th forks a grandchild; children end alternately
 * with exit and _exit), and one more thread dlopens and dlcloses DLIB DLOPENS times,
 * allocating through its lib_aligned() while it is loaded.
 *
 * A child calls exit() only once the dlopen thread has finished: dlclose runs
 * __cxa_finalize, which holds glibc's lock of exit handlers, and a child forked meanwhile
 * inherits that lock held, so its exit() would wait forever, traced or not (exit() is not
 * async-signal-safe: POSIX does not allow it in the child of a multi-threaded process).
 *
 * posix_memalign with alignment 512 is the program's own mark: glibc's internals (stdio,
 * dlopen) never call it, so each process's posix_memalign calls and bytes as the tracker saw
 * them must equal what the process counted itself. Every process prints, with one write(2):
 *   pid PID ppid PPID calls CALLS bytes BYTES
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_ulong calls, bytes;
static atomic_int stop;
static atomic_int dl_done;

static void *aligned(size_t n) {
    void *p = NULL;
    if (posix_memalign(&p, 512, n) != 0) abort();
    atomic_fetch_add(&calls, 1);
    atomic_fetch_add(&bytes, n);
    return p;
}

static void report(void) {
    char line[128];
    int k = snprintf(line, sizeof line, "pid %d ppid %d calls %lu bytes %lu\n", (int)getpid(),
                     (int)getppid(), atomic_load(&calls), atomic_load(&bytes));
    if (write(1, line, (size_t)k) != k) abort();
}

static long allocs_per_thread;

static void *churn(void *arg) {
    uint64_t x = 88172645463325252ull ^ (uintptr_t)arg;
    void *keep[8] = {0};
    for (long i = 0; i < allocs_per_thread; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t n = 1 + x % 3000;
        int slot = (int)(x >> 40) % 8;
        free(keep[slot]);
        keep[slot] = aligned(n);
        ((volatile char *)keep[slot])[0] = 1;
    }
    for (int i = 0; i < 8; i++) free(keep[i]);
    return NULL;
}

static const char *dlib;
static long dlopens;

static void *dl_churn(void *arg) {
    (void)arg;
    for (long i = 0; i < dlopens && !atomic_load(&stop); i++) {
        void *h = dlopen(dlib, RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            fprintf(stderr, "%s\n", dlerror());
            abort();
        }
        void *(*lib_aligned)(size_t) = (void *(*)(size_t))dlsym(h, "lib_aligned");
        void *p = lib_aligned(100 + (size_t)i % 50);
        atomic_fetch_add(&calls, 1);
        atomic_fetch_add(&bytes, 100 + (size_t)i % 50);
        free(p);
        dlclose(h);
    }
    atomic_store(&dl_done, 1);
    return NULL;
}

/* A forked process: its counters start from zero (what it does itself). */
static void child(int depth, int i) {
    atomic_store(&calls, 0);
    atomic_store(&bytes, 0);
    void *p[5];
    for (int j = 0; j < 5; j++) p[j] = aligned(64 * (size_t)(j + 1) + (size_t)i);
    if (depth == 0 && i % 8 == 0) {
        pid_t g = fork();
        if (g == 0) child(1, i);
        if (g > 0) waitpid(g, NULL, 0);
    }
    for (int j = 0; j < 5; j++) free(p[j]);
    report();
    if (i % 2 || !atomic_load(&dl_done)) _exit(0);
    exit(0);
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: heap_stress THREADS ALLOCS FORKS DLOPENS DLIB\n");
        return 2;
    }
    int threads = atoi(argv[1]);
    allocs_per_thread = atol(argv[2]);
    int forks = atoi(argv[3]);
    dlopens = atol(argv[4]);
    dlib = argv[5];
    pthread_t t[256], d;
    if (threads > 256) threads = 256;
    for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, churn, (void *)(uintptr_t)(i + 1));
    pthread_create(&d, NULL, dl_churn, NULL);
    int ok = 0;
    for (int i = 0; i < forks; i++) {
        pid_t pid = fork();
        if (pid == 0) child(0, i);
        int status = 0;
        if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
            WEXITSTATUS(status) == 0)
            ok++;
    }
    for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
    atomic_store(&stop, 0);
    pthread_join(d, NULL);
    report();
    if (ok != forks) {
        fprintf(stderr, "%d of %d children failed\n", forks - ok, forks);
        return 1;
    }
    return 0;
}
