/* The i386 calls strace-rs decodes itself or in the i386 ABI (gcc -m32), with fixed
 * arguments (buffers.h). */
#include "buffers.h"

int main(void) {
    map_buffers();
    char *file = at(0x100, "/tmp/fx-m32");
    int fd = syscall(SYS_open, file, O_RDWR | O_CREAT | O_TRUNC, 0644);
    syscall(SYS_write, fd, at(0x200, "hello, i386 decoders\n"), 21);
    syscall(SYS_pwrite64, fd, at(0x300, "HELLO"), 5, 0, 0);
    syscall(SYS_pread64, fd, B + 0x1000, 5, 7, 0);
    syscall(SYS_lseek, fd, -3, SEEK_END);
    syscall(SYS__llseek, fd, 0, 2, I(0x1100), SEEK_SET);
    syscall(SYS_stat64, file, B + 0x2000);
    syscall(SYS_lstat64, at(0x400, "/nonexistent"), B + 0x2000);
    syscall(SYS_fstat64, fd, B + 0x2000);
    syscall(SYS_fstatat64, AT_FDCWD, file, B + 0x2000, AT_SYMLINK_NOFOLLOW);
    struct iovec *iov = (struct iovec *)(B + 0x1200);
    iov[0].iov_base = at(0x500, "ab"); iov[0].iov_len = 2;
    iov[1].iov_base = at(0x580, "cdefg"); iov[1].iov_len = 5;
    syscall(SYS_writev, fd, iov, 2);
    syscall(SYS_lseek, fd, 0, SEEK_SET);
    iov[2].iov_base = B + 0x1400; iov[2].iov_len = 3;
    iov[3].iov_base = B + 0x1500; iov[3].iov_len = 8;
    syscall(SYS_readv, fd, iov + 2, 2);
    syscall(SYS_readv, -1, iov + 2, 2);
    syscall(SYS_fcntl64, fd, F_GETFL);
    syscall(SYS_fcntl64, fd, F_SETLK, B + 0x1600);
    syscall(SYS_getrusage, RUSAGE_CHILDREN, B + 0x2000);
    syscall(SYS_times, B + 0x2000);
    syscall(SYS_ugetrlimit, RLIMIT_STACK, B + 0x1700);
    syscall(SYS_getrlimit, RLIMIT_NOFILE, NULL);
    syscall(SYS_wait4, -1, I(0x1800), WNOHANG, B + 0x2000);
    syscall(SYS_futex, I(0x1900), FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    I(0x1a00)[0] = 0; I(0x1a00)[1] = 1000;
    syscall(SYS_nanosleep, I(0x1a00), I(0x1a10));
    syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, I(0x1a00), NULL);
    syscall(SYS_clock_gettime, CLOCK_REALTIME, NULL);
    syscall(SYS_clock_getres, CLOCK_MONOTONIC, I(0x1a20));
    syscall(SYS_gettimeofday, NULL, NULL);
    memset(B + 0x3000, 0, 64);
    I(0x3000)[0] = (int)(intptr_t)SIG_IGN;
    syscall(SYS_rt_sigaction, SIGUSR1, I(0x3000), I(0x3100), 8);
    syscall(SYS_execve, at(0x600, "/nonexistent"), NULL, NULL);
    syscall(SYS_unlink, file);
    syscall(SYS_exit_group, 0);
}
