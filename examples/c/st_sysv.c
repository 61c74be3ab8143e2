// build: -O1
/* The decoders of issue 12 against strace: SysV IPC (message queues, semaphores, shared
 * memory with their *ctl structures), POSIX message queues, NUMA policy, mount/reboot/
 * syslog/sethostname refused by the kernel, page residency, file times, kcmp, personality,
 * socket options with structures. Nothing here changes the machine: every call that could
 * is made so the kernel refuses it (a bad magic, an oversized name, a missing path). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/kcmp.h>
#include <linux/reboot.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/personality.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>
#include <utime.h>

int main(void) {
    struct msqid_ds mds;
    int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    msgctl(q, IPC_STAT, &mds);
    msgctl(q, IPC_SET, &mds);
    struct msginfo mi;
    msgctl(q, IPC_INFO, (struct msqid_ds *)&mi);
    struct {
        long mtype;
        char mtext[8];
    } m = {1, "hello"};
    msgsnd(q, &m, 5, IPC_NOWAIT);
    msgrcv(q, &m, sizeof m.mtext, 0, IPC_NOWAIT);
    msgctl(q, IPC_RMID, NULL);

    int s = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
    struct semid_ds sds;
    semctl(s, 0, IPC_STAT, &sds);
    struct sembuf op = {0, 1, SEM_UNDO};
    semop(s, &op, 1);
    op.sem_op = -1;
    op.sem_flg = IPC_NOWAIT;
    semop(s, &op, 1);
    semctl(s, 0, IPC_RMID, NULL);

    int h = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    struct shmid_ds hds;
    shmctl(h, IPC_STAT, &hds);
    void *p = shmat(h, NULL, SHM_RDONLY);
    shmdt(p);
    shmctl(h, IPC_RMID, NULL);

    mqd_t mq = mq_open("/tracekit-st-sysv", O_RDWR | O_CREAT | O_EXCL, 0600, NULL);
    struct mq_attr ma;
    mq_getattr(mq, &ma);
    mq_close(mq);
    mq_unlink("/tracekit-st-sysv");

    syscall(SYS_set_mempolicy, 0, NULL, 0);
    int mode = -1;
    syscall(SYS_get_mempolicy, &mode, NULL, 0, NULL, 0);

    mount("none", "/nonexistent-tracekit", "tmpfs", MS_RDONLY | MS_NOSUID, "size=1m");
    syscall(SYS_reboot, 0, 0, LINUX_REBOOT_CMD_CAD_OFF, NULL);
    char name[80];
    memset(name, 'x', sizeof name);
    syscall(SYS_sethostname, name, sizeof name);
    syscall(SYS_syslog, 10, NULL, 0);

    long page = sysconf(_SC_PAGESIZE);
    unsigned char vec[4];
    void *area = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ((char *)area)[0] = 1;
    mincore(area, 4 * page, vec);
    munmap(area, 4 * page);

    struct utimbuf ub = {1492350678, 1492350678};
    utime("/nonexistent-tracekit", &ub);
    struct timeval tv[2] = {{1492356708, 567891}, {1492357086, 678902}};
    utimes("/nonexistent-tracekit", tv);

    pid_t me = getpid();
    syscall(SYS_kcmp, me, me, KCMP_FILE, 1, 1);
    syscall(SYS_kcmp, me, me, KCMP_VM, 0, 0);
    personality(0xffffffff);

    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    struct linger lg = {1, 5};
    setsockopt(sv[0], SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    socklen_t len = sizeof lg;
    getsockopt(sv[0], SOL_SOCKET, SO_LINGER, &lg, &len);
    struct ucred cr;
    len = sizeof cr;
    getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cr, &len);
    int one = 1;
    setsockopt(sv[0], SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
    close(sv[0]);
    close(sv[1]);
    return 0;
}
