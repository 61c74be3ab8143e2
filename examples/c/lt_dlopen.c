// build: -O0 -ldl
/* dlopen's libm, looks up cos and calls it 3 times through the pointer; libm itself calls
 * nothing for cos. The program's own imports: dlopen 1, dlsym 1, dlclose 1, puts 1.
 * With a library's path as argument (lt_plug), also dlopens it and calls its plug_cos twice
 * (each calls libm's cos) and plug_len once (it calls strlen): dlopen 2, dlsym 3, dlclose 2. */
#include <dlfcn.h>
#include <stddef.h>
#include <stdio.h>

int main(int argc, char **argv) {
    void *h = dlopen("libm.so.6", RTLD_NOW);
    if (!h)
        return 1;
    double (*cosp)(double) = (double (*)(double))dlsym(h, "cos");
    double t = 0;
    for (int i = 0; i < 3; i++)
        t += cosp(0.5 * i);
    if (argc > 1) {
        void *p = dlopen(argv[1], RTLD_NOW);
        if (!p)
            return 2;
        double (*plug_cos)(double) = (double (*)(double))dlsym(p, "plug_cos");
        size_t (*plug_len)(const char *) = (size_t (*)(const char *))dlsym(p, "plug_len");
        for (int i = 0; i < 2; i++)
            t += plug_cos(0.25 * i);
        t += (double)plug_len(argv[1]);
        dlclose(p);
    }
    puts(t > 0 ? "cos ok" : "cos bad");
    dlclose(h);
    return 0;
}
