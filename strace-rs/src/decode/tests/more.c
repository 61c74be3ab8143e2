/* The calls calls.c and proc.c leave out: identity, scheduling, sync, xattrs through links,
 * signals sent with siginfo or waited for, and a few decoders with their own logic
 * (buffers.h). */
#include "buffers.h"
#include <linux/rseq.h>

#define RSEQ_SIG 0x53053053

static void on_usr1(int sig) { (void)sig; }

int main(void) {
    map_buffers();
    syscall(SYS_chdir, at(0x100, "/tmp"));
    long dfd = syscall(SYS_open, B + 0x100, O_RDONLY | O_DIRECTORY);
    syscall(SYS_fchdir, dfd);
    syscall(SYS_chroot, at(0x180, "/nonexistent"));
    syscall(SYS_acct, B + 0x180);
    syscall(SYS_swapoff, B + 0x180);
    syscall(SYS_pivot_root, B + 0x180, B + 0x180);
    syscall(SYS_sync);
    syscall(SYS_syncfs, dfd);
    syscall(SYS_fdatasync, dfd);
    syscall(SYS_getdents, dfd, B + 0x3000, 4096);
    syscall(SYS_getuid);
    syscall(SYS_geteuid);
    syscall(SYS_getgid);
    syscall(SYS_getegid);
    syscall(SYS_gettid);
    syscall(SYS_getpgrp);
    syscall(SYS_getpgid, 0);
    syscall(SYS_getsid, 0);
    syscall(SYS_setsid);
    syscall(SYS_setuid, 0);
    syscall(SYS_setgid, 0);
    syscall(SYS_setfsuid, 0);
    syscall(SYS_setfsgid, 0);
    syscall(SYS_setregid, -1, -1);
    syscall(SYS_setresgid, -1, -1, -1);
    syscall(SYS_getresgid, I(0x1000), I(0x1004), I(0x1008));
    syscall(SYS_sched_yield);
    syscall(SYS_sched_get_priority_min, SCHED_RR);
    syscall(SYS_timer_getoverrun, 7);
    syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
    syscall(SYS_personality, 0);
    syscall(SYS_time, L(0x1100));
    syscall(SYS_uname, B + 0x2000);
    syscall(SYS_rseq, B + 0x4000, 32, 0, RSEQ_SIG);
    char *file = at(0x200, "/tmp/fx-more");
    long fd = syscall(SYS_open, file, O_RDWR | O_CREAT | O_TRUNC, 0644);
    syscall(SYS_lsetxattr, file, at(0x280, "user.k"), at(0x300, "value"), 5, 0);
    syscall(SYS_fsetxattr, fd, B + 0x280, B + 0x300, 5, XATTR_REPLACE);
    syscall(SYS_lgetxattr, file, B + 0x280, B + 0x1200, 64);
    syscall(SYS_llistxattr, file, B + 0x1200, 64);
    syscall(SYS_lremovexattr, file, B + 0x280);
    struct iovec *iov = (struct iovec *)(B + 0x1300);
    iov[0].iov_base = B + 0x1400; iov[0].iov_len = 3;
    iov[1].iov_base = B + 0x1500; iov[1].iov_len = 8;
    syscall(SYS_readv, -1, iov, 2);
    char *argv[] = {"prog", "x", NULL};
    syscall(SYS_execveat, dfd, at(0x380, "nonexistent"), argv, NULL, AT_SYMLINK_NOFOLLOW);
    signal(SIGUSR1, on_usr1);
    L(0x3200)[0] = 1L << (SIGUSR1 - 1);
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, L(0x3200), NULL, 8);
    syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1);
    L(0x3210)[0] = 0;
    syscall(SYS_rt_sigsuspend, L(0x3210), 8);
    memset(B + 0x3300, 0, 128);
    syscall(SYS_rt_sigqueueinfo, getpid(), 0, B + 0x3300);
    long s = syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
    I(0x4100)[0] = 110;
    syscall(SYS_getpeername, s, B + 0x4200, I(0x4100));
    syscall(SYS_unlink, file);
    syscall(SYS_exit_group, 0);
}
