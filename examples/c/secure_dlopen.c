// build: -ldl
/* Loads a preload library with dlopen (which a setuid program may do, as one listed in
 * /etc/ld.so.preload is loaded), then allocates or crashes: the secure-execution tests run a
 * setuid copy of it. Usage: secure_dlopen LIBRARY alloc|crash */
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
        for (int i = 0; i < 100; i++)
            free(malloc(100 + i));
        return 0;
    }
    if (!strcmp(argv[2], "crash")) {
        volatile int *p = NULL;
        *p = 1;
    }
    return 0;
}
