// build: -O0 -rdynamic
/* A crash after corrupting the heap: a buffer underflow smashes a block's chunk header, and
 * free() detects it and aborts. The program's own malloc/free (which the crash handler would use if
 * it allocated, as the executable's definitions interpose libc's) exit with status 99 when
 * called after the corruption: the report must appear without them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static volatile int heap_corrupted;

static void refuse(const char *what) {
    static const char msg[] = "crash_heap: heap function called after the corruption: ";
    write(2, msg, sizeof msg - 1);
    write(2, what, strlen(what));
    write(2, "\n", 1);
    _exit(99);
}

void *malloc(size_t n) {
    if (heap_corrupted) refuse("malloc");
    return __libc_malloc(n);
}
void *calloc(size_t a, size_t b) {
    if (heap_corrupted) refuse("calloc");
    return __libc_calloc(a, b);
}
void *realloc(void *p, size_t n) {
    if (heap_corrupted) refuse("realloc");
    return __libc_realloc(p, n);
}
void free(void *p) {
    if (heap_corrupted) refuse("free");
    __libc_free(p);
}

__attribute__((noinline)) void underflow(char *buf, size_t n) {
    memset(buf - n, 'A', n);
}

int main(void) {
    char *b = malloc(24);
    underflow(b, 16); /* 16 bytes before b: its chunk header (prev_size, size) is garbage */
    heap_corrupted = 1;
    __libc_free(b);
    printf("unreachable\n");
    return 0;
}
