// build: -O0
/* Parent: 10 x malloc(100) before fork, 30 x malloc(300) after. Child: 20 x malloc(200),
 * then exit(0). Each process frees what it allocated. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void churn(int n, size_t size) {
    void *p[64];
    for (int i = 0; i < n; i++) p[i] = malloc(size);
    for (int i = 0; i < n; i++) free(p[i]);
}

int main(void) {
    churn(10, 100);
    pid_t pid = fork();
    if (pid == 0) {
        churn(20, 200);
        exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    churn(30, 300);
    printf("child %d exited with %d\n", (int)pid, WEXITSTATUS(status));
    return 0;
}
