// build: -O0 -ldl
/* `heap_dlopen LIB`: dlopens LIB (heap_dlib), calls its lib_alloc() three times, frees
 * the blocks, dlcloses it. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    void *h = dlopen(argv[1], RTLD_NOW);
    if (!h) {
        fprintf(stderr, "%s\n", dlerror());
        return 1;
    }
    void *(*lib_alloc)(void) = (void *(*)(void))dlsym(h, "lib_alloc");
    void *p[3];
    for (int i = 0; i < 3; i++) p[i] = lib_alloc();
    for (int i = 0; i < 3; i++) free(p[i]);
    dlclose(h);
    printf("done\n");
    return 0;
}
