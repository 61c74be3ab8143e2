// build: -O0 -pthread
/* Heap bugs for the fence allocator (preload-efence), one per argument. Each allocation,
 * free and bad access sits on its own line with a marker comment (`A:name`, `F:name`,
 * `X:name`) so the tests find the line numbers the report must name. Without the allocator
 * most of these run to the end silently (or glibc aborts on the frees). */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile char sink;

__attribute__((noinline)) static void overflow13_write(void) {
    char *p = malloc(13); /* A:overflow13_write */
    p[13] = 'x'; /* X:overflow13_write */
    free(p); /* F:overflow13_write */
}

__attribute__((noinline)) static void overflow13_read(void) {
    char *p = malloc(13); /* A:overflow13_read */
    sink = p[13]; /* X:overflow13_read */
    free(p);
}

__attribute__((noinline)) static void overflow16_write(void) {
    char *p = malloc(16); /* A:overflow16_write */
    p[16] = 'x'; /* X:overflow16_write */
    free(p);
}

__attribute__((noinline)) static void overflow16_read(void) {
    char *p = malloc(16); /* A:overflow16_read */
    sink = p[16]; /* X:overflow16_read */
    free(p);
}

__attribute__((noinline)) static void memalign_write(void) {
    char *p = memalign(64, 100); /* A:memalign_write */
    p[100] = 'x'; /* X:memalign_write */
    free(p); /* F:memalign_write */
}

__attribute__((noinline)) static void memalign128_read(void) {
    char *p = memalign(64, 128); /* A:memalign128_read */
    sink = p[128]; /* X:memalign128_read */
    free(p);
}

__attribute__((noinline)) static void underflow_write(void) {
    char *p = malloc(32); /* A:underflow_write */
    p[-1] = 'x'; /* X:underflow_write */
    free(p); /* F:underflow_write */
}

__attribute__((noinline)) static void underflow_read(void) {
    char *p = malloc(32); /* A:underflow_read */
    sink = p[-1]; /* X:underflow_read */
    free(p);
}

__attribute__((noinline)) static void uaf_read(void) {
    char *p = malloc(40); /* A:uaf_read */
    memset(p, 1, 40);
    free(p); /* F:uaf_read */
    sink = p[8]; /* X:uaf_read */
}

__attribute__((noinline)) static void uaf_write(void) {
    char *p = malloc(40); /* A:uaf_write */
    free(p); /* F:uaf_write */
    p[20] = 'x'; /* X:uaf_write */
}

/* A hot site: one helper allocates and one frees for two callers' lines, the first taking
 * turns many times (its stacks are remembered), then the second once: the report must name
 * the second caller's lines, not the remembered first ones. */
__attribute__((noinline)) static char *hot_alloc(size_t n) { return malloc(n); }
__attribute__((noinline)) static void hot_free(char *p) { free(p); }

__attribute__((noinline)) static void uaf_hot(void) {
    for (int i = 0; i < 100; i++) {
        char *q = hot_alloc(40);
        q[0] = (char)i;
        hot_free(q);
    }
    char *p = hot_alloc(40); /* A:uaf_hot */
    hot_free(p); /* F:uaf_hot */
    sink = p[8]; /* X:uaf_hot */
}

__attribute__((noinline)) static void double_free(void) {
    char *p = malloc(24); /* A:double_free */
    free(p); /* F:double_free */
    free(p); /* X:double_free */
}

__attribute__((noinline)) static void free_stack(void) {
    char buf[32];
    snprintf(buf, sizeof buf, "on the stack");
    free(buf); /* X:free_stack */
}

__attribute__((noinline)) static void free_middle(void) {
    char *p = malloc(48); /* A:free_middle */
    free(p + 8); /* X:free_middle */
}

__attribute__((noinline)) static void strcpy_overflow(void) {
    const char *text = "seventeen bytes!"; /* 16 characters and the NUL */
    char *p = malloc(16); /* A:strcpy_overflow */
    strcpy(p, text); /* X:strcpy_overflow */
    puts(p);
    free(p);
}

static void *thread_body(void *arg) {
    (void)arg;
    char *p = malloc(64); /* A:thread */
    p[64] = 'x'; /* X:thread */
    free(p);
    return NULL;
}

__attribute__((noinline)) static void thread_overflow(void) {
    pthread_t t;
    pthread_create(&t, NULL, thread_body, NULL);
    pthread_join(t, NULL);
}

__attribute__((noinline)) static void realloc_stale(void) {
    char *p = malloc(16); /* A:realloc_stale */
    strcpy(p, "old");
    char *q = realloc(p, 4096); /* F:realloc_stale */
    q[0] = 'n';
    sink = p[0]; /* X:realloc_stale */
    free(q);
}

int main(int argc, char **argv) {
    static const struct {
        const char *name;
        void (*run)(void);
    } cases[] = {
        {"overflow13_write", overflow13_write}, {"overflow13_read", overflow13_read},
        {"overflow16_write", overflow16_write}, {"overflow16_read", overflow16_read},
        {"memalign_write", memalign_write},     {"memalign128_read", memalign128_read},
        {"underflow_write", underflow_write},   {"underflow_read", underflow_read},
        {"uaf_read", uaf_read},                 {"uaf_write", uaf_write},
        {"double_free", double_free},           {"free_stack", free_stack},
        {"free_middle", free_middle},           {"strcpy_overflow", strcpy_overflow},
        {"thread", thread_overflow},            {"realloc_stale", realloc_stale},
        {"uaf_hot", uaf_hot},
    };
    if (argc != 2) {
        fprintf(stderr, "usage: efence_bugs CASE\n");
        return 2;
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        if (strcmp(argv[1], cases[i].name) == 0) {
            cases[i].run();
            puts("efence_bugs: survived");
            return 0;
        }
    }
    fprintf(stderr, "efence_bugs: unknown case %s\n", argv[1]);
    return 2;
}
