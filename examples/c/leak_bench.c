// build: -O2
/* The leak check's benchmark workload (bench/leak.sh): N live 32-byte blocks at exit, held
 * in one of three ways (argv[1]):
 *   list     a linked list from a global: every block still reachable
 *   array    an array of N pointers (one more block) from a global: every block reachable
 *   dropped  a linked list whose head was dropped: one block definitely lost, the rest
 *            indirectly lost (or possibly lost, when a stray word points inside a node)
 * Usage: leak_bench list|array|dropped [N]   (default 1000000) */
#include <stdlib.h>
#include <string.h>

struct node {
    struct node *next;
    long pad[3];
};

struct node *list_head;
struct node **array;

__attribute__((noinline)) static struct node *build(long n) {
    struct node *head = NULL;
    for (long i = 0; i < n; i++) {
        struct node *x = malloc(sizeof *x);
        x->next = head;
        x->pad[0] = i;
        head = x;
    }
    return head;
}

__attribute__((noinline)) static void scrub(void) {
    volatile char buf[16384];
    memset((char *)buf, 0, sizeof buf);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "list";
    long n = argc > 2 ? atol(argv[2]) : 1000000;
    if (!strcmp(mode, "array")) {
        array = malloc((size_t)n * sizeof *array);
        for (long i = 0; i < n; i++)
            array[i] = calloc(1, sizeof(struct node));
    } else if (!strcmp(mode, "dropped")) {
        struct node *volatile head = build(n);
        head = NULL;
        (void)head;
    } else {
        list_head = build(n);
    }
    scrub();
    return 0;
}
