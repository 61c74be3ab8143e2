/* A thread, a child, a signal handler and a failing execve, for the x86_64 clone, clone3,
 * wait4, rt_sigreturn and execve lines. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void *worker(void *arg) { return arg; }
static void on_usr1(int sig) { (void)sig; }

int main(void) {
    pthread_t th;
    pthread_create(&th, NULL, worker, NULL);
    pthread_join(th, NULL);
    signal(SIGUSR1, on_usr1);
    sigset_t blocked;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGHUP);
    sigprocmask(SIG_BLOCK, &blocked, NULL);
    raise(SIGUSR1);
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = {"prog", "x", NULL};
        execv("/nonexistent/prog", argv);
        _exit(3);
    }
    int status;
    waitpid(pid, &status, 0);
    return 0;
}
