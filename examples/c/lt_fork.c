// build: -O0
/* fork, then the child calls strlen twice and execs lt_calls (argv[1], or itself with
 * "child" when no argument: then it only calls puts once); the parent waits and calls puts. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "child") == 0) {
        puts("exec'd");
        return 0;
    }
    pid_t pid = fork();
    if (pid == 0) {
        size_t n = strlen(argv[0]) + strlen("child");
        if (argc > 1)
            execl(argv[1], argv[1], (char *)NULL);
        else
            execl(argv[0], argv[0], "child", (char *)NULL);
        _exit((int)n);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    puts("parent done");
    return WEXITSTATUS(status);
}
