// build: -O0
/* A crash inside libc: strlen(NULL). */
#include <stdio.h>
#include <string.h>

__attribute__((noinline)) size_t name_length(const char *name) {
    return strlen(name);
}

int main(int argc, char **argv) {
    const char *name = argc > 5 ? argv[1] : NULL;
    printf("%zu\n", name_length(name));
    return 0;
}
