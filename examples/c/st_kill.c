// build: -O1
/* Death by signal: a child killed by SIGKILL, then a segfault with a core dump request. */
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int ready[2];
    char b;
    pipe(ready);
    pid_t c = fork();
    if (c == 0) {
        write(ready[1], "r", 1);
        for (;;) pause();
    }
    read(ready[0], &b, 1);
    usleep(100000);
    kill(c, SIGKILL);
    int st;
    waitpid(c, &st, 0);
    if (argc > 1) {
        struct rlimit r = {RLIM_INFINITY, RLIM_INFINITY};
        setrlimit(RLIMIT_CORE, &r);
        *(volatile int *)0 = 1;
    }
    return 0;
}
