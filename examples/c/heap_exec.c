// build: -O0
/* `heap_exec execv|execl|execvp|chdir`: 5 x malloc(111), then re-executes itself as
 * `heap_exec child`, which does 7 x malloc(222) and exits 3. `chdir` changes to / first
 * (then execv), to check that a relative log path still finds its log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void churn(int n, size_t size) {
    void *p[16];
    for (int i = 0; i < n; i++) p[i] = malloc(size);
    for (int i = 0; i < n; i++) free(p[i]);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "child") == 0) {
        churn(7, 222);
        return 3;
    }
    churn(5, 111);
    const char *how = argc > 1 ? argv[1] : "execv";
    char *args[] = {argv[0], "child", NULL};
    if (strcmp(how, "chdir") == 0 && chdir("/") != 0) return 1;
    if (strcmp(how, "execl") == 0)
        execl("/proc/self/exe", argv[0], "child", (char *)NULL);
    else if (strcmp(how, "execvp") == 0)
        execvp("/proc/self/exe", args);
    else
        execv("/proc/self/exe", args);
    perror("exec");
    return 1;
}
