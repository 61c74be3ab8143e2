// build: -O2
/* The workloads of bench/efence.sh. `pairs N`: N malloc/free pairs of 16-63 bytes.
 * `live L N`: L blocks live, then N operations each freeing a random live block and
 * allocating a new one in its place; prints the nanoseconds per operation (a free and a
 * malloc) of that steady phase, in CPU time (user and system) of the process: on a loaded
 * machine wall time measures the other processes too. `rss N`: N live 32-byte blocks, then prints the
 * process's peak RSS in KiB (VmHWM). Prints a checksum so nothing is optimized away. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Every block escapes through here, so the compiler cannot elide a malloc/free pair. */
static void *volatile escape;

static unsigned long rng = 88172645463325252UL;
static unsigned long next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static double cpu_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static long hwm_kib(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0) kib = atol(line + 6);
    if (f) fclose(f);
    return kib;
}

int main(int argc, char **argv) {
    unsigned long sum = 0;
    if (argc == 3 && strcmp(argv[1], "pairs") == 0) {
        long n = atol(argv[2]);
        for (long i = 0; i < n; i++) {
            char *p = malloc(16 + next() % 48);
            escape = p;
            p[0] = (char)i;
            sum += (unsigned char)p[0];
            free(p);
        }
    } else if (argc == 4 && strcmp(argv[1], "live") == 0) {
        long live = atol(argv[2]), n = atol(argv[3]);
        char **b = calloc((size_t)live, sizeof *b);
        for (long i = 0; i < live; i++) b[i] = malloc(16 + next() % 48);
        double t0 = cpu_ns();
        for (long i = 0; i < n; i++) {
            long k = (long)(next() % (unsigned long)live);
            free(b[k]);
            b[k] = malloc(16 + next() % 48);
            escape = b[k];
            b[k][0] = (char)i;
            sum += (unsigned char)b[k][0];
        }
        printf("ns_per_op %.0f\n", (cpu_ns() - t0) / (double)n);
        for (long i = 0; i < live; i++) free(b[i]);
        free(b);
    } else if (argc == 3 && strcmp(argv[1], "rss") == 0) {
        long n = atol(argv[2]);
        char **b = calloc((size_t)n, sizeof *b);
        for (long i = 0; i < n; i++) {
            b[i] = malloc(32);
            memset(b[i], 1, 32);
        }
        printf("%ld\n", hwm_kib());
        return 0;
    } else {
        fprintf(stderr, "usage: efence_bench pairs N | live L N | rss N\n");
        return 2;
    }
    printf("checksum %lu\n", sum);
    return 0;
}
