// build: -O0
/* A NULL dereference a few frames deep: main -> walk -> visit -> set_value writes through a
 * NULL `next` pointer. */
#include <stdio.h>

struct node {
    int value;
    struct node *next;
};

__attribute__((noinline)) static void set_value(struct node *n, int v) {
    n->value = v; /* crash_null.c:12: n is NULL */
}

__attribute__((noinline)) static void visit(struct node *n, int depth) {
    set_value(n->next, depth);
}

__attribute__((noinline)) void walk(struct node *head) {
    visit(head, 1);
}

int main(void) {
    struct node head = {1, NULL};
    walk(&head);
    printf("unreachable\n");
    return 0;
}
