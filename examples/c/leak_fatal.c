// build: -O0 -pthread
/* Leak-check victim: a program that dies of a fatal signal, one per mode (argv[1]), compared
 * with valgrind --leak-check=full (which checks at the end of the process whatever ended it)
 * by tests/tests/leak.rs. Before dying each mode loses a list of a 24-byte head and three
 * 32-byte nodes (1 block definitely lost, 3 indirectly), keeps a 48-byte block from a global
 * (still reachable) and a 40-byte one only from a local of main (reachable while main's frame
 * lives), and loses one 8-byte block:
 *
 *   segv     writes through a null pointer (SIGSEGV, a fault that repeats)
 *   abort    abort() (SIGABRT, raised)
 *   term     kill(getpid(), SIGTERM) (a terminating signal sent to the process)
 *   thread   a second thread writes through a null pointer while main waits in
 *            pthread_join: main's stack (its local) is scanned as a stopped thread's
 *   handled  the program's own SIGSEGV handler, which calls _exit(3): no fatal signal,
 *            one check at _exit
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct node {
    struct node *next;
    char pad[24];
};

static void *kept;
static volatile int *volatile nowhere;

__attribute__((noinline)) static void lose(size_t n) {
    void *p = malloc(n);
    memset(p, 0, n);
}

__attribute__((noinline)) static void lose_list(void) {
    struct node *head = calloc(1, 24);
    struct node *n = head;
    for (int i = 0; i < 3; i++) {
        n->next = calloc(1, sizeof *n);
        n = n->next;
    }
}

__attribute__((noinline)) static void fault(void) {
    *nowhere = 1;
}

static void *faulting(void *arg) {
    (void)arg;
    fault();
    return NULL;
}

static void on_segv(int sig) {
    (void)sig;
    _exit(3);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "segv";
    volatile void *local = calloc(1, 40);
    lose(8);
    lose_list();
    kept = calloc(1, 48);
    if (!strcmp(mode, "segv")) {
        fault();
    } else if (!strcmp(mode, "abort")) {
        abort();
    } else if (!strcmp(mode, "term")) {
        kill(getpid(), SIGTERM);
    } else if (!strcmp(mode, "thread")) {
        pthread_t t;
        if (pthread_create(&t, NULL, faulting, NULL) != 0)
            return 1;
        pthread_join(t, NULL);
    } else if (!strcmp(mode, "handled")) {
        signal(SIGSEGV, on_segv);
        fault();
    }
    (void)local;
    return 0;
}
