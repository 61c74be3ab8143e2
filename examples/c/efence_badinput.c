/* Nonsense requests the fence allocator must refuse the way glibc does: NULL with ENOMEM
 * (EINVAL for a bad alignment), never a crash. Prints one line per request. */
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void say(const char *what, void *p, int err) {
    printf("%s: %s errno=%s\n", what, p ? "non-NULL" : "NULL",
           err == ENOMEM ? "ENOMEM" : err == EINVAL ? "EINVAL" : err == 0 ? "0" : "other");
}

int main(void) {
    void *p;
    errno = 0;
    p = malloc(SIZE_MAX);
    say("malloc(SIZE_MAX)", p, errno);
    errno = 0;
    p = malloc(SIZE_MAX / 2 + 1);
    say("malloc(SIZE_MAX/2+1)", p, errno);
    errno = 0;
    p = calloc(SIZE_MAX / 2, 3);
    say("calloc(SIZE_MAX/2, 3)", p, errno);
    errno = 0;
    char *q = malloc(8);
    p = realloc(q, SIZE_MAX);
    say("realloc(p, SIZE_MAX)", p, errno);
    free(q); /* realloc failed: the old block is still ours to free */
    errno = 0;
    p = reallocarray(NULL, SIZE_MAX / 4, 8);
    say("reallocarray(NULL, SIZE_MAX/4, 8)", p, errno);
    int rc = posix_memalign(&p, 3, 16);
    printf("posix_memalign(align 3): %s\n", rc == EINVAL ? "EINVAL" : "other");
    errno = 0;
    p = aligned_alloc(48, 96);
    say("aligned_alloc(48, 96)", p, errno);
    free(p);
    errno = 0;
    p = memalign(64, SIZE_MAX - 10);
    say("memalign(64, SIZE_MAX-10)", p, errno);
    errno = 0;
    p = malloc(0);
    say("malloc(0)", p, errno);
    free(p);
    return 0;
}
