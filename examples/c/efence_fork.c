/* fork and exec under the fence allocator: the child allocates and frees (and frees a block
 * the parent allocated before the fork), the parent does too, then the child execs
 * `/bin/echo` (argv[1] == "exec") or exits. Prints what each side did.
 * argv[1] == "uaf": the child also says how many userfaultfd descriptors it has (the
 * allocator's), then reads a block it freed (which must fault); the parent goes on.
 * argv[1] == "closefds": no fork; closes every descriptor from 3 up (as daemons do, taking
 * the allocator's userfaultfd with it), allocates and frees, then reads a freed block. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Where churn's blocks escape to, so that the compiler cannot elide their malloc and free. */
static char *volatile escaped;

static unsigned long churn(int rounds) {
    unsigned long sum = 0;
    for (int i = 0; i < rounds; i++) {
        char *p = malloc(10 + i % 100);
        escaped = p;
        memset(p, 'a', 10);
        sum += (unsigned char)p[9];
        free(p);
    }
    return sum;
}

int main(int argc, char **argv) {
    int do_exec = argc > 1 && strcmp(argv[1], "exec") == 0;
    int do_uaf = argc > 1 && strcmp(argv[1], "uaf") == 0;
    if (argc > 1 && strcmp(argv[1], "closefds") == 0) {
        unsigned long before_close = churn(10);
        syscall(SYS_close_range, 3, ~0U, 0);
        printf("churn %lu, closed, churn %lu\n", before_close, churn(1000));
        fflush(stdout);
        char *p = malloc(40);
        memset(p, 'c', 40);
        free(p);
        printf("read after free %d\n", ((volatile char *)p)[8]); /* X:closefds_uaf */
        return 0;
    }
    char *before = strdup("allocated before fork");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        unsigned long s = churn(1000);
        printf("child: %s, churn %lu\n", before, s);
        free(before);
        fflush(stdout);
        if (do_uaf) {
            int uffds = 0;
            for (int fd = 3; fd < 4096; fd++) {
                char path[64], link[64] = "";
                snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
                if (readlink(path, link, sizeof link - 1) > 0 &&
                    strcmp(link, "anon_inode:[userfaultfd]") == 0)
                    uffds++;
            }
            printf("child: %d userfaultfd\n", uffds);
            fflush(stdout);
            char *p = malloc(40);
            memset(p, 'b', 40);
            free(p);
            printf("child: read after free %d\n", ((volatile char *)p)[8]); /* X:child_uaf */
            _exit(0);
        }
        if (do_exec) {
            execl("/bin/echo", "echo", "child exec'd echo", (char *)NULL);
            _exit(127);
        }
        _exit(0);
    }
    unsigned long s = churn(1000);
    int status = 0;
    waitpid(pid, &status, 0);
    if (do_uaf)
        printf("parent: %s, churn %lu, child signal %d\n", before, s,
               WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    else
        printf("parent: %s, churn %lu, child status %d\n", before, s,
               WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    free(before);
    return 0;
}
