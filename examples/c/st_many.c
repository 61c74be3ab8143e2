// build: -O1
/* Many cheap syscalls with a few openat calls among them, for the filtered benchmark. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 100000;
    for (int i = 0; i < n; i++) {
        getppid();
        if (i % 1000 == 0) {
            int fd = openat(AT_FDCWD, "/dev/null", O_RDONLY);
            close(fd);
        }
    }
    return 0;
}
