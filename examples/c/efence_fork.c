/* fork and exec under the fence allocator: the child allocates and frees (and frees a block
 * the parent allocated before the fork), the parent does too, then the child execs
 * `/bin/echo` (argv[1] == "exec") or exits. Prints what each side did. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned long churn(int rounds) {
    unsigned long sum = 0;
    for (int i = 0; i < rounds; i++) {
        char *p = malloc(10 + i % 100);
        memset(p, 'a', 10);
        sum += (unsigned char)p[9];
        free(p);
    }
    return sum;
}

int main(int argc, char **argv) {
    int do_exec = argc > 1 && strcmp(argv[1], "exec") == 0;
    char *before = strdup("allocated before fork");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        unsigned long s = churn(1000);
        printf("child: %s, churn %lu\n", before, s);
        free(before);
        fflush(stdout);
        if (do_exec) {
            execl("/bin/echo", "echo", "child exec'd echo", (char *)NULL);
            _exit(127);
        }
        _exit(0);
    }
    unsigned long s = churn(1000);
    int status = 0;
    waitpid(pid, &status, 0);
    printf("parent: %s, churn %lu, child status %d\n", before, s,
           WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    free(before);
    return 0;
}
