// build: -O0
/* Heap against RSS: 100 MiB mapped anonymously and every page touched (resident), beside a
 * heap of ten 100-byte blocks. Also a 4 MiB mapping with its second MiB unmapped, a 1 MiB one
 * grown to 2 MiB by mremap, and a file mapping (not anonymous: not counted). The mappings
 * stay until exit, so the recorder's last memory sample sees them. Prints what it mapped:
 * `mapped=BYTES peak=BYTES heap=BYTES`. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define MIB (1024L * 1024L)

__attribute__((noinline)) char *big_mapping(void) {
    return mmap(NULL, 100 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

__attribute__((noinline)) char *small_mapping(long len) {
    return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

int main(void) {
    char *big = big_mapping();
    if (big == MAP_FAILED) return 1;
    for (long i = 0; i < 100 * MIB; i += 4096) big[i] = 1;
    void *blocks[10];
    for (int i = 0; i < 10; i++) memset(blocks[i] = malloc(100), 2, 100);

    char *four = small_mapping(4 * MIB);
    if (four == MAP_FAILED || munmap(four + MIB, MIB) != 0) return 1;
    char *one = small_mapping(MIB);
    if (one == MAP_FAILED) return 1;
    char *two = mremap(one, MIB, 2 * MIB, MREMAP_MAYMOVE);
    if (two == MAP_FAILED) return 1;

    int fd = open("/proc/self/exe", O_RDONLY);
    void *file = fd >= 0 ? mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
    if (file != MAP_FAILED) munmap(file, 4096);
    if (fd >= 0) close(fd);

    long mapped = 100 * MIB + 3 * MIB + 2 * MIB;
    long peak = mapped; /* 104 MiB after the first mmaps, 103 after the munmap, 105 now */
    printf("mapped=%ld peak=%ld heap=%d\n", mapped, peak, 10 * 100);
    for (int i = 0; i < 10; i++) free(blocks[i]);
    return 0;
}
