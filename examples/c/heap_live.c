// build: -O0
/* For the live view (`tracekit heap --live`, `tracekit top`): 30 blocks of 100000 bytes kept
 * (3 000 000 live), 10 blocks of 100000 allocated and freed after them (peak 4 000 000), then
 * waits, still running, until the file argv[1] exists. Its pid goes to the file argv[2].
 * No stdio: nothing else allocates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

__attribute__((noinline)) void *kept_block(void) { return malloc(100000); }
__attribute__((noinline)) void *passing_block(void) { return malloc(100000); }

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    void *kept[30], *passing[10];
    for (int i = 0; i < 30; i++) memset(kept[i] = kept_block(), 1, 100000);
    for (int i = 0; i < 10; i++) memset(passing[i] = passing_block(), 2, 100000);
    for (int i = 0; i < 10; i++) free(passing[i]);
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%d\n", (int)getpid());
    FILE *f = fopen(argv[2], "w"); /* fopen's buffer: one more block, 472 bytes, freed */
    if (f) { fwrite(pid, 1, (size_t)n, f); fclose(f); }
    for (int i = 0; i < 6000 && access(argv[1], F_OK) != 0; i++) usleep(10000);
    for (int i = 0; i < 30; i++) free(kept[i]);
    return 0;
}
