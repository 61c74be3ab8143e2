// build: -O0
/* Leak-check victim: one shape of lost or kept memory per mode (argv[1]), each built in
 * functions that return before the program exits, so no pointer to it is left in a live
 * frame or a callee-saved register: the figures depend only on where the program keeps its
 * pointers. Compared with valgrind --leak-check=full by tests/tests/leak.rs.
 *
 *   list      a list of 4 nodes (24 bytes) whose head is dropped: 1 definite, 3 indirect
 *   tree      a binary tree of 7 nodes (40 bytes) whose root is dropped: 1 definite, 6 indirect
 *   cycle     3 blocks (32 bytes) in a ring, dropped: 1 definite, 2 indirect
 *   interior  a 100-byte block held only by a pointer 10 bytes in: possibly lost, with the
 *             48-byte block it points to
 *   global    a 64-byte block held by a global, and one it points to: still reachable
 *   unaligned a 48-byte block whose address is stored at an odd offset: definitely lost
 *   mixed     all of the above at once
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
    struct node *next;
    struct node *left;
    long pad;
};

struct tnode {
    struct tnode *left, *right;
    long pad[3];
};

void *kept_global;
char *kept_interior;
unsigned char odd_bytes[64];

__attribute__((noinline)) static void make_list(void) {
    struct node *head = NULL;
    for (int i = 0; i < 4; i++) {
        struct node *n = calloc(1, sizeof *n);
        n->next = head;
        head = n;
    }
}

__attribute__((noinline)) static struct tnode *tree(int depth) {
    struct tnode *t = calloc(1, sizeof *t);
    if (depth > 1) {
        t->left = tree(depth - 1);
        t->right = tree(depth - 1);
    }
    return t;
}

__attribute__((noinline)) static void make_tree(void) {
    tree(3);
}

__attribute__((noinline)) static void make_cycle(void) {
    void **a = malloc(32), **b = malloc(32), **c = malloc(32);
    memset(a, 0, 32);
    memset(b, 0, 32);
    memset(c, 0, 32);
    a[0] = b;
    b[0] = c;
    c[0] = a;
}

__attribute__((noinline)) static void make_interior(void) {
    char *p = calloc(1, 100);
    void *child = calloc(1, 48);
    memcpy(p + 16, &child, sizeof child);
    kept_interior = p + 10;
}

__attribute__((noinline)) static void make_global(void) {
    void **p = calloc(1, 64);
    p[1] = calloc(1, 16);
    kept_global = p;
}

__attribute__((noinline)) static void make_unaligned(void) {
    void *p = calloc(1, 48);
    memcpy(odd_bytes + 3, &p, sizeof p);
}

/* Overwrites the dead stack below main's frame and the scratch registers, so no stale copy
 * of a pointer stays where either checker would find it. */
__attribute__((noinline)) static void scrub(void) {
    volatile char buf[16384];
    memset((char *)buf, 0, sizeof buf);
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "mixed";
    int all = strcmp(mode, "mixed") == 0;
    if (all || !strcmp(mode, "list")) make_list();
    if (all || !strcmp(mode, "tree")) make_tree();
    if (all || !strcmp(mode, "cycle")) make_cycle();
    if (all || !strcmp(mode, "interior")) make_interior();
    if (all || !strcmp(mode, "global")) make_global();
    if (all || !strcmp(mode, "unaligned")) make_unaligned();
    scrub();
    return 0;
}
