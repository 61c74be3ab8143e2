// build: -O1
/* Pipes, fork, wait, execve of a helper, vfork, and exit statuses. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    int p[2];
    pipe2(p, O_CLOEXEC);
    pid_t c = fork();
    if (c == 0) {
        close(p[0]);
        write(p[1], "from child", 10);
        _exit(3);
    }
    close(p[1]);
    char buf[32];
    read(p[0], buf, sizeof buf);
    int st;
    wait4(c, &st, 0, NULL);
    close(p[0]);
    c = fork();
    if (c == 0) {
        execl("/bin/true", "true", (char *)NULL);
        _exit(127);
    }
    waitpid(c, &st, 0);
    c = vfork();
    if (c == 0) _exit(7);
    waitpid(c, &st, 0);
    int ready[2];
    pipe(ready);
    c = fork();
    if (c == 0) {
        write(ready[1], "r", 1);
        pause();
        _exit(0);
    }
    read(ready[0], buf, 1);
    usleep(100000);
    kill(c, SIGTERM);
    waitpid(c, &st, 0);
    return 0;
}
