/* Every decoder's call with fixed arguments; buffers live in a mapping at a fixed address
 * (0x10000000) so the addresses strace prints are the same in every run. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/xattr.h>
#include <sys/sysmacros.h>
#include <stdio.h>

#define B ((char *)0x10000000)
static char *at(int off, const char *s) { strcpy(B + off, s); return B + off; }
#define L(off) ((long *)(B + (off)))
#define I(off) ((int *)(B + (off)))

int main(void) {
    mmap(B, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    chdir("/tmp");
    char *dir = at(0x100, "/tmp/fx-dir");
    char *file = at(0x200, "/tmp/fx-dir/file");
    char *other = at(0x300, "/tmp/fx-dir/other");
    char *rel = at(0x400, "file");
    char *rel2 = at(0x480, "link");
    syscall(SYS_mkdir, dir, 0755);
    long fd = syscall(SYS_open, file, O_RDWR | O_CREAT | O_TRUNC, 0644);
    syscall(SYS_write, fd, at(0x500, "hello, decoders\n"), 16);
    syscall(SYS_pwrite64, fd, at(0x580, "HELLO"), 5, 0);
    syscall(SYS_lseek, fd, 0, SEEK_SET);
    syscall(SYS_read, fd, B + 0x1000, 64);
    syscall(SYS_pread64, fd, B + 0x1000, 5, 7);
    syscall(SYS_read, -1, B + 0x1000, 64);
    long dfd = syscall(SYS_openat, AT_FDCWD, dir, O_RDONLY | O_DIRECTORY);
    syscall(SYS_openat, AT_FDCWD, at(0x600, "/nonexistent"), O_RDONLY);
    syscall(SYS_creat, other, 0600);
    syscall(SYS_stat, file, B + 0x2000);
    syscall(SYS_lstat, at(0x680, "/nonexistent"), B + 0x2000);
    syscall(SYS_fstat, fd, B + 0x2000);
    syscall(SYS_newfstatat, dfd, rel, B + 0x2000, AT_SYMLINK_NOFOLLOW);
    syscall(SYS_statx, dfd, rel, AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS, B + 0x2000);
    syscall(SYS_access, file, R_OK | W_OK);
    syscall(SYS_access, at(0x680, "/nonexistent"), F_OK);
    syscall(SYS_faccessat, dfd, rel, X_OK);
    syscall(SYS_faccessat2, dfd, rel, R_OK, AT_EACCESS);
    syscall(SYS_chmod, file, 0640);
    syscall(SYS_fchmod, fd, 0644);
    syscall(SYS_fchmodat, dfd, rel, 0600);
    syscall(SYS_mkdirat, dfd, at(0x700, "sub"), 0700);
    syscall(SYS_unlinkat, dfd, B + 0x700, AT_REMOVEDIR);
    syscall(SYS_symlinkat, rel, dfd, rel2);
    syscall(SYS_readlinkat, dfd, rel2, B + 0x1000, 64);
    syscall(SYS_readlink, at(0x780, "/tmp/fx-dir/link"), B + 0x1000, 64);
    syscall(SYS_unlink, B + 0x780);
    syscall(SYS_symlink, rel, B + 0x780);
    syscall(SYS_linkat, dfd, rel, dfd, at(0x800, "hard"), 0);
    syscall(SYS_renameat, dfd, B + 0x800, dfd, at(0x880, "hard2"));
    syscall(SYS_renameat2, dfd, B + 0x880, dfd, B + 0x800, RENAME_NOREPLACE);
    syscall(SYS_rename, other, at(0x900, "/tmp/fx-dir/other2"));
    syscall(SYS_link, B + 0x900, other);
    syscall(SYS_getcwd, B + 0x1000, 256);
    syscall(SYS_truncate, file, 10);
    syscall(SYS_ftruncate, fd, 12);
    syscall(SYS_getdents64, dfd, B + 0x3000, 4096);
    syscall(SYS_fcntl, fd, F_GETFD);
    syscall(SYS_fcntl, fd, F_SETFD, FD_CLOEXEC);
    syscall(SYS_fcntl, fd, F_GETFL);
    syscall(SYS_fcntl, fd, F_SETFL, O_RDWR | O_APPEND);
    syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 20);
    syscall(SYS_flock, fd, LOCK_EX | LOCK_NB);
    syscall(SYS_umask, 022);
    syscall(SYS_ioctl, fd, 0x5401 /* TCGETS */, B + 0x1000);
    syscall(SYS_ioctl, fd, 0x541b /* FIONREAD */, B + 0x1000);
    syscall(SYS_chown, file, -1, -1);
    syscall(SYS_fchown, fd, -1, -1);
    syscall(SYS_lchown, file, -1, -1);
    syscall(SYS_fchownat, dfd, rel, -1, -1, AT_SYMLINK_NOFOLLOW);
    syscall(SYS_pipe, I(0x1000));
    syscall(SYS_pipe2, I(0x1000), O_CLOEXEC | O_NONBLOCK);
    syscall(SYS_fadvise64, fd, 0, 100, POSIX_FADV_SEQUENTIAL);
    L(0x1100)[0] = 1; L(0x1100)[1] = 2; L(0x1100)[2] = 0; L(0x1100)[3] = UTIME_OMIT;
    syscall(SYS_utimensat, dfd, rel, L(0x1100), 0);
    syscall(SYS_utimensat, AT_FDCWD, file, NULL, AT_SYMLINK_NOFOLLOW);
    syscall(SYS_dup, fd);
    syscall(SYS_dup2, fd, 30);
    syscall(SYS_dup3, fd, 31, O_CLOEXEC);
    syscall(SYS_close_range, 30, 31, 0);
    syscall(SYS_eventfd2, 5, EFD_CLOEXEC | EFD_NONBLOCK);
    syscall(SYS_memfd_create, at(0x980, "decoders"), MFD_CLOEXEC | MFD_ALLOW_SEALING);
    L(0x1200)[0] = 2;
    syscall(SYS_sendfile, 1, fd, L(0x1200), 3);
    syscall(SYS_sendfile, -1, fd, NULL, 3);
    syscall(SYS_copy_file_range, fd, NULL, -1, NULL, 5, 0);
    syscall(SYS_fallocate, fd, FALLOC_FL_KEEP_SIZE, 0, 4096);
    syscall(SYS_statfs, at(0xa00, "/proc"), B + 0x2000);
    syscall(SYS_fstatfs, -1, B + 0x2000);
    syscall(SYS_mknod, at(0xa80, "/tmp/fx-dir/fifo"), S_IFIFO | 0644, 0);
    syscall(SYS_mknodat, dfd, at(0xb00, "chr"), S_IFCHR | 0600, makedev(1, 3));
    syscall(SYS_setxattr, file, at(0xb80, "user.k"), at(0xc00, "value"), 5, XATTR_CREATE);
    syscall(SYS_getxattr, file, B + 0xb80, B + 0x1000, 64);
    syscall(SYS_fgetxattr, fd, B + 0xb80, B + 0x1000, 64);
    syscall(SYS_listxattr, file, B + 0x1000, 64);
    syscall(SYS_flistxattr, fd, B + 0x1000, 64);
    syscall(SYS_removexattr, file, B + 0xb80);
    syscall(SYS_timerfd_create, CLOCK_MONOTONIC, TFD_CLOEXEC);
    struct iovec *iov = (struct iovec *)(B + 0x1300);
    iov[0].iov_base = at(0xc80, "ab"); iov[0].iov_len = 2;
    iov[1].iov_base = at(0xd00, "cdefg"); iov[1].iov_len = 5;
    syscall(SYS_writev, fd, iov, 2);
    syscall(SYS_pwritev, fd, iov, 2, 3);
    syscall(SYS_lseek, fd, -4, SEEK_END);
    iov[2].iov_base = B + 0x1400; iov[2].iov_len = 3;
    iov[3].iov_base = B + 0x1500; iov[3].iov_len = 8;
    syscall(SYS_readv, fd, iov + 2, 2);
    syscall(SYS_preadv, fd, iov + 2, 2, 0);
    syscall(SYS_fsync, fd);
    syscall(SYS_unlink, at(0xd80, "/tmp/fx-dir/nothing"));
    syscall(SYS_rmdir, at(0xe00, "/tmp/fx-dir/nodir"));
    syscall(SYS_close, fd);
    syscall(SYS_close, -1);
    syscall(SYS_exit_group, 0);
}
