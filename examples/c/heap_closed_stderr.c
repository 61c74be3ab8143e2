// build: -O0
/* Closes stderr first thing (as `ls` does at exit), then 5 x malloc(444), one leaked. */
#include <stdlib.h>
#include <unistd.h>

void *volatile leak;

int main(void) {
    close(2);
    void *p[5];
    for (int i = 0; i < 5; i++) p[i] = malloc(444);
    for (int i = 0; i < 4; i++) free(p[i]);
    leak = p[4];
    return 0;
}
