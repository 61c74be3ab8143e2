// build: -O0 -ldl
/* dlopen's libm, looks up cos and calls it 3 times through the pointer; libm itself calls
 * nothing for cos. The program's own imports: dlopen 1, dlsym 1, dlclose 1, puts 1. */
#include <dlfcn.h>
#include <stdio.h>

int main(void) {
    void *h = dlopen("libm.so.6", RTLD_NOW);
    if (!h)
        return 1;
    double (*cosp)(double) = (double (*)(double))dlsym(h, "cos");
    double t = 0;
    for (int i = 0; i < 3; i++)
        t += cosp(0.5 * i);
    puts(t > 0 ? "cos ok" : "cos bad");
    dlclose(h);
    return 0;
}
