// build: -O0 -pthread
/* Leak-check victim: blocks kept only by one kind of root each (argv[1]), beside a lost one,
 * compared with valgrind --leak-check=full by tests/tests/leak.rs.
 *
 *   tls     a 72-byte block held by a __thread variable of the main thread
 *   thread  a 56-byte block held only by a local of a second thread that is still blocked
 *           in read() when main returns, and a 40-byte block held in its callee-saved
 *           register (the thread's own start-up blocks come with it: its DTV)
 *   lost    two more blocks dropped, of 16 and 24 bytes: definitely lost
 * Each mode also leaks one 8-byte block on purpose, so no run is leak-free.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__thread void *tls_kept;
static int block_fds[2];
static volatile int started;

__attribute__((noinline)) static void lose(size_t n) {
    void *p = malloc(n);
    memset(p, 0, n);
}

__attribute__((noinline)) static void *waiter(void *arg) {
    (void)arg;
    void *volatile on_stack = calloc(1, 56);
    register void *in_reg __asm__("rbx") = calloc(1, 40);
    __asm__ volatile("" : "+r"(in_reg));
    started = 1;
    char c;
    /* Blocks until the process exits (nobody writes). */
    ssize_t n = read(block_fds[0], &c, 1);
    __asm__ volatile("" ::"r"(in_reg));
    return (void *)(on_stack == NULL ? n : 0);
}

__attribute__((noinline)) static void scrub(void) {
    volatile char buf[16384];
    memset((char *)buf, 0, sizeof buf);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "lost";
    lose(8);
    if (!strcmp(mode, "tls")) {
        tls_kept = calloc(1, 72);
    } else if (!strcmp(mode, "thread")) {
        pthread_t t;
        if (pipe(block_fds) != 0 || pthread_create(&t, NULL, waiter, NULL) != 0)
            return 1;
        while (!started)
            usleep(1000);
        usleep(20000);
    } else {
        lose(16);
        lose(24);
    }
    scrub();
    return 0;
}
