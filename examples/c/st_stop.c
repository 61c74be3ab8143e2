// build: -O1
/* A child stops itself with SIGSTOP; the parent continues it with SIGCONT. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    pid_t c = fork();
    if (c == 0) {
        raise(SIGSTOP);
        _exit(5);
    }
    int st;
    waitpid(c, &st, WUNTRACED);
    kill(c, SIGCONT);
    waitpid(c, &st, 0);
    return 0;
}
