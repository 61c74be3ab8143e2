// build: -O2
/* Leak-check victim: a list of N 32-byte nodes (argv[2], default 1000) whose head is dropped
 * right before main returns, built and last handled by the allocator in functions that keep
 * the list's pointer in a callee-saved register across the call (-O2): whatever the
 * allocator's code (a preload hook's frames, valgrind's replacement) saved of it is left
 * below the stack pointer, where glibc's exit then builds its frames. memcheck reads no slot
 * of those frames that they did not write, so for both modes (argv[1]) it reports the head
 * definitely lost and the other N - 1 nodes indirectly lost:
 *   malloc  the pointer last seen by the allocator in the list's last malloc
 *   free    then a scratch block malloc'd and freed while the list's head is held in a
 *           callee-saved register (used after the free) */
#include <stdlib.h>
#include <string.h>

struct node {
    struct node *next;
    long pad[3];
};

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

__attribute__((noinline)) static void touch(struct node *head) {
    void *scratch = malloc(64);
    memset(scratch, 1, 64);
    free(scratch);
    head->pad[1] = 1;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "malloc";
    long n = argc > 2 ? atol(argv[2]) : 1000;
    struct node *volatile head = build(n);
    if (!strcmp(mode, "free"))
        touch(head);
    head = NULL;
    (void)head;
    return 0;
}
