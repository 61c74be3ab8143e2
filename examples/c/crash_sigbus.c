// build: -O0
/* SIGBUS: a file mapped for two pages, then truncated, then read past its new end. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

__attribute__((noinline)) int read_byte(volatile const char *p) {
    return p[0];
}

int main(void) {
    char path[] = "/tmp/crash_sigbus_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || ftruncate(fd, 8192) != 0) {
        perror("setup");
        return 1;
    }
    char *map = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    unlink(path);
    if (ftruncate(fd, 100) != 0) {
        perror("ftruncate");
        return 1;
    }
    printf("%d\n", read_byte(map + 4096));
    return 0;
}
