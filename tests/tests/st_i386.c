/* i386 calls with 32-bit-only layouts (issue 12): old select (one pointer to its five
   arguments), pselect6, preadv/pwritev and preadv2/pwritev2 (offsets in two registers),
   sendmmsg/recvmmsg (direct and through socketcall), the ipc multiplexer's subcalls and the
   C library's System V IPC calls. Built with cc -m32 by i386_layouts_match_strace
   (tests/tests/strace.rs); argv[1] is a directory for its file. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

struct t32 { int sec, sub; };
struct sel_args { unsigned n; fd_set *in, *out, *ex; struct t32 *tv; };
struct iov32 { unsigned base, len; };
struct msghdr32 { unsigned name, namelen, iov, iovlen, control, controllen, flags; };
struct mmsghdr32 { struct msghdr32 hdr; unsigned len; };

int main(int argc, char **argv) {
    char path[4096];
    snprintf(path, sizeof path, "%s/i386file", argc > 1 ? argv[1] : "/tmp");
    int p[2];
    pipe(p);
    write(p[1], "x", 1);
    fd_set rd, wr;
    FD_ZERO(&rd); FD_ZERO(&wr);
    FD_SET(p[0], &rd); FD_SET(p[1], &wr);
    struct t32 tv = {0, 0};
    struct sel_args sa = {p[1] + 1, &rd, &wr, 0, &tv};
    syscall(82, &sa);
    FD_ZERO(&rd); FD_SET(p[0], &rd);
    sa.out = 0;
    syscall(82, &sa);
    syscall(82, (void *)1);
    /* pselect6 with a 32-bit timespec and {sigset *, size} */
    FD_ZERO(&rd); FD_SET(p[0], &rd);
    struct t32 ts = {0, 500};
    unsigned long long mask = 1ULL << (SIGUSR1 - 1);
    struct { unsigned ss, len; } sm = {(unsigned)&mask, 8};
    syscall(SYS_pselect6, p[0] + 1, &rd, 0, 0, &ts, &sm);
    char c;
    read(p[0], &c, 1);
    FD_ZERO(&rd); FD_SET(p[0], &rd);
    syscall(SYS_pselect6, p[0] + 1, &rd, 0, 0, &ts, 0);
    /* preadv/pwritev and the v2 calls: offsets in two registers */
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    struct iovec wv[2] = {{"abcd", 4}, {"efghij", 6}};
    syscall(SYS_pwritev, fd, wv, 2, 3, 0);
    syscall(SYS_pwritev2, fd, wv, 1, 0x100000000LL & 0xffffffff, 0, 0);
    char b1[3], b2[8];
    struct iovec rv[2] = {{b1, 3}, {b2, 8}};
    syscall(SYS_preadv, fd, rv, 2, 1, 0);
    syscall(SYS_preadv2, fd, rv, 2, 0, 0, RWF_NOWAIT);
    syscall(SYS_preadv2, fd, rv, 1, -1, -1, RWF_HIPRI);
    syscall(SYS_preadv, fd, rv, 2, 1, 1);
    /* sendmmsg/recvmmsg (direct calls) */
    int sv[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    struct iov32 m1[1] = {{(unsigned)"one", 3}};
    struct iov32 m2[2] = {{(unsigned)"tw", 2}, {(unsigned)"o!", 2}};
    struct mmsghdr32 mm[2];
    memset(mm, 0, sizeof mm);
    mm[0].hdr.iov = (unsigned)m1; mm[0].hdr.iovlen = 1;
    mm[1].hdr.iov = (unsigned)m2; mm[1].hdr.iovlen = 2;
    syscall(SYS_sendmmsg, sv[0], mm, 2, MSG_DONTWAIT);
    char r1[8], r2[8];
    struct iov32 q1 = {(unsigned)r1, sizeof r1}, q2 = {(unsigned)r2, sizeof r2};
    struct mmsghdr32 rm[2];
    memset(rm, 0, sizeof rm);
    rm[0].hdr.iov = (unsigned)&q1; rm[0].hdr.iovlen = 1;
    rm[1].hdr.iov = (unsigned)&q2; rm[1].hdr.iovlen = 1;
    struct t32 rt = {1, 0};
    syscall(SYS_recvmmsg, sv[1], rm, 2, MSG_DONTWAIT, &rt);
    syscall(SYS_recvmmsg, sv[1], rm, 2, MSG_DONTWAIT, 0);
    /* the same through socketcall */
    unsigned sc[5] = {sv[0], (unsigned)mm, 1, 0, 0};
    syscall(SYS_socketcall, 20, sc);
    unsigned rc[5] = {sv[1], (unsigned)rm, 1, 0, 0};
    syscall(SYS_socketcall, 19, rc);
    /* ipc(call, first, second, third, ptr, fifth): the multiplexer strace splits */
    int sem = syscall(SYS_ipc, 2 /* SEMGET */, IPC_PRIVATE, 1, IPC_CREAT | 0600);
    struct sembuf sops[2] = {{0, 1, SEM_UNDO}, {0, -1, IPC_NOWAIT}};
    syscall(SYS_ipc, 1 /* SEMOP */, sem, 2, 0, sops);
    struct t32 st = {0, 1000};
    syscall(SYS_ipc, 4 /* SEMTIMEDOP */, sem, 1, 0, sops, &st);
    int val = 5;
    syscall(SYS_ipc, 3 /* SEMCTL */, sem, 0, SETVAL, &val);
    syscall(SYS_ipc, 3, sem, 0, GETVAL, &val);
    static char sds[128];
    void *sdp = sds;
    syscall(SYS_ipc, 3, sem, 0, IPC_STAT | 0x100, &sdp);
    syscall(SYS_ipc, 3, sem, 0, SEM_INFO, &sdp);
    syscall(SYS_ipc, 3, sem, 0, IPC_RMID, &sdp);
    int q = syscall(SYS_ipc, 13 /* MSGGET */, IPC_PRIVATE, IPC_CREAT | 0600);
    struct { int mtype; char text[8]; } m = {3, "hello"}, r;
    syscall(SYS_ipc, 11 /* MSGSND */, q, 5, IPC_NOWAIT, &m);
    struct { void *msgp; int msgtyp; } kludge = {&r, 0};
    syscall(SYS_ipc, 12 /* MSGRCV */, q, 8, IPC_NOWAIT, &kludge);
    syscall(SYS_ipc, 12 | (1 << 16), q, 8, IPC_NOWAIT, &r, 7);
    static char mds[128];
    syscall(SYS_ipc, 14 /* MSGCTL */, q, IPC_STAT | 0x100, 0, mds);
    syscall(SYS_ipc, 14, q, MSG_INFO, 0, mds);
    syscall(SYS_ipc, 14, q, IPC_RMID, 0, 0);
    int s = syscall(SYS_ipc, 23 /* SHMGET */, IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    unsigned raddr = 0;
    syscall(SYS_ipc, 21 /* SHMAT */, s, SHM_RDONLY, &raddr, 0);
    static char shds[128];
    syscall(SYS_ipc, 24 /* SHMCTL */, s, IPC_STAT | 0x100, 0, shds);
    syscall(SYS_ipc, 24, s, IPC_INFO | 0x100, 0, shds);
    syscall(SYS_ipc, 24, s, SHM_INFO, 0, shds);
    syscall(SYS_ipc, 22 /* SHMDT */, 0, 0, 0, raddr);
    syscall(SYS_ipc, 24, s, IPC_RMID, 0, 0);
    syscall(SYS_ipc, 99, 1, 2, 3, 4, 5);
    /* the same calls direct (i386 numbers 393-402 and semtimedop_time64) */
    sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0400);
    semctl(sem, 0, IPC_STAT, sds);
    semctl(sem, 0, IPC_RMID);
    q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    msgsnd(q, &m, 5, 0);
    msgrcv(q, &r, 8, 3, MSG_NOERROR);
    msgctl(q, IPC_STAT, (void *)mds);
    msgctl(q, IPC_RMID, 0);
    s = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0640);
    void *at = shmat(s, 0, 0);
    shmctl(s, IPC_STAT, (void *)shds);
    shmdt(at);
    shmctl(s, IPC_RMID, 0);
    close(fd);
    unlink(path);
    return 0;
}
