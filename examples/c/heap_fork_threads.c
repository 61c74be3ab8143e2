// build: -O1 -pthread
/* fork() while other threads allocate: 4 threads churn malloc/free until told to stop, the
 * main thread forks 20 children, each doing 10 x malloc(321) and exiting. Checks that the
 * tracker's locks survive fork (no deadlock in the child, nothing lost). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_int stop;

static void *churn(void *arg) {
    (void)arg;
    while (!atomic_load(&stop)) {
        char *volatile p = malloc(64 + rand() % 512);
        p[0] = 1;
        free(p);
    }
    return NULL;
}

int main(void) {
    pthread_t t[4];
    for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, churn, NULL);
    int ok = 0;
    for (int i = 0; i < 10; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            void *p[10];
            for (int j = 0; j < 10; j++) p[j] = malloc(321);
            for (int j = 0; j < 10; j++) free(p[j]);
            _exit(0);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        ok += WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
    printf("%d children ok\n", ok);
    return 0;
}
