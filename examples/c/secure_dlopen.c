// build: -ldl
/* Loads a preload library with dlopen (which a setuid program may do, as one listed in
 * /etc/ld.so.preload is loaded), then allocates through the library's own malloc and free
 * (the calls an interposing library in /etc/ld.so.preload receives, with LD_PRELOAD unset)
 * or crashes: the secure-execution tests run a setuid copy of it.
 * Usage: secure_dlopen LIBRARY alloc|crash */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3)
        return 2;
    void *lib = dlopen(argv[1], RTLD_NOW);
    if (!lib) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 3;
    }
    printf("uid %d euid %d\n", (int)getuid(), (int)geteuid());
    fflush(stdout);
    if (!strcmp(argv[2], "alloc")) {
        void *(*lib_malloc)(size_t) = (void *(*)(size_t))dlsym(lib, "malloc");
        void (*lib_free)(void *) = (void (*)(void *))dlsym(lib, "free");
        if (!lib_malloc || !lib_free)
            lib_malloc = malloc, lib_free = free;
        for (int i = 0; i < 100; i++)
            lib_free(lib_malloc(100 + i));
        return 0;
    }
    if (!strcmp(argv[2], "crash")) {
        volatile int *p = NULL;
        *p = 1;
    }
    return 0;
}
