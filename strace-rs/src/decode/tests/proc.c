/* Process, memory, signal and socket calls with fixed arguments; buffers live in a mapping
 * at a fixed address (0x10000000) so the addresses strace prints are the same in every run. */
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
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sys/select.h>
#include <linux/membarrier.h>
#include <time.h>
#include <unistd.h>
#include <stdint.h>
#include <sys/random.h>
#include <sys/signalfd.h>

#define B ((char *)0x10000000)
static char *at(int off, const char *s) { strcpy(B + off, s); return B + off; }
#define L(off) ((long *)(B + (off)))
#define I(off) ((int *)(B + (off)))

int main(void) {
    mmap(B, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    /* memory */
    syscall(SYS_mprotect, B + 0x8000, 4096, PROT_READ);
    syscall(SYS_mprotect, B + 0x8000, 4096, PROT_NONE);
    syscall(SYS_pkey_mprotect, B + 0x8000, 4096, PROT_READ | PROT_WRITE, -1);
    syscall(SYS_madvise, B + 0x8000, 4096, MADV_DONTNEED);
    syscall(SYS_msync, B, 4096, MS_ASYNC);
    syscall(SYS_mlock, B, 4096);
    syscall(SYS_munlock, B, 4096);
    syscall(SYS_mlockall, MCL_CURRENT | MCL_FUTURE);
    syscall(SYS_munlockall);
    syscall(SYS_mremap, B + 0x8000, 4096, 8192, MREMAP_MAYMOVE | MREMAP_FIXED, 0x20000000);
    syscall(SYS_munmap, 0x20000000, 8192);
    syscall(SYS_brk, 0);
    /* process */
    syscall(SYS_getpid);
    syscall(SYS_alarm, 0);
    syscall(SYS_setpgid, 0, 0);
    syscall(SYS_setreuid, -1, -1);
    syscall(SYS_setresuid, -1, -1, -1);
    syscall(SYS_getresuid, I(0x1000), I(0x1004), I(0x1008));
    syscall(SYS_getgroups, 0, NULL);
    syscall(SYS_getgroups, 4, I(0x1000));
    syscall(SYS_setgroups, 0, I(0x1000));
    syscall(SYS_getpriority, PRIO_PROCESS, 0);
    syscall(SYS_setpriority, PRIO_PROCESS, 0, 0);
    syscall(SYS_getrusage, RUSAGE_SELF, B + 0x2000);
    syscall(SYS_getrusage, 7, B + 0x2000);
    syscall(SYS_times, NULL);
    syscall(SYS_getrlimit, RLIMIT_NOFILE, L(0x1100));
    L(0x1100)[0] = 1024; L(0x1100)[1] = RLIM_INFINITY;
    syscall(SYS_setrlimit, RLIMIT_CORE, L(0x1100));
    syscall(SYS_prlimit64, 0, RLIMIT_CORE, L(0x1100), L(0x1200));
    syscall(SYS_prlimit64, 0, RLIMIT_STACK, NULL, L(0x1200));
    syscall(SYS_arch_prctl, 0x1001 /* ARCH_SET_GS */, 0);
    syscall(SYS_arch_prctl, 0x1004 /* ARCH_GET_GS */, L(0x1300));
    syscall(SYS_prctl, PR_SET_NAME, at(0x400, "decoders"), 0, 0, 0);
    syscall(SYS_prctl, PR_GET_NAME, B + 0x1400, 0, 0, 0);
    syscall(SYS_prctl, PR_GET_DUMPABLE, 0, 0, 0, 0);
    syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
    syscall(SYS_prctl, PR_GET_PDEATHSIG, I(0x1500), 0, 0, 0);
    syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    syscall(SYS_prctl, PR_CAPBSET_READ, 21, 0, 0, 0);
    syscall(SYS_getrandom, B + 0x1600, 4, GRND_NONBLOCK);
    syscall(SYS_futex, I(0x1700), FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    syscall(SYS_futex, I(0x1700), FUTEX_WAIT_PRIVATE, 1, NULL, NULL, 0);
    L(0x1800)[0] = 0; L(0x1800)[1] = 1000;
    syscall(SYS_nanosleep, L(0x1800), L(0x1810));
    syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, L(0x1800), NULL);
    syscall(SYS_clock_gettime, CLOCK_BOOTTIME, L(0x1820));
    syscall(SYS_clock_getres, CLOCK_MONOTONIC, L(0x1820));
    syscall(SYS_clock_settime, CLOCK_REALTIME, L(0x1800));
    syscall(SYS_gettimeofday, NULL, NULL);
    syscall(SYS_time, NULL);
    syscall(SYS_sched_getaffinity, 0, 8, L(0x1900));
    syscall(SYS_sched_setaffinity, 0, 8, L(0x1900));
    L(0x1a00)[0] = 0; L(0x1a00)[1] = 0; L(0x1a00)[2] = 0; L(0x1a00)[3] = 0;
    syscall(SYS_setitimer, ITIMER_REAL, L(0x1a00), L(0x1a40));
    syscall(SYS_getitimer, ITIMER_VIRTUAL, L(0x1a40));
    syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    syscall(SYS_personality, 0xffffffff);
    syscall(SYS_getcpu, NULL, NULL, NULL);
    syscall(SYS_sched_get_priority_max, SCHED_FIFO);
    syscall(SYS_sched_getscheduler, 0);
    I(0x1b00)[0] = 0;
    syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, I(0x1b00));
    syscall(SYS_sched_getparam, 0, I(0x1b00));
    syscall(SYS_sched_setparam, 0, I(0x1b00));
    syscall(SYS_ioprio_get, 1, 0);
    syscall(SYS_ioprio_set, 1, 0, (2 << 13) | 4);
    syscall(SYS_unshare, 0);
    syscall(SYS_set_tid_address, I(0x1c00));
    syscall(SYS_set_robust_list, NULL, 0);
    syscall(SYS_umask, 022);
    syscall(SYS_getppid);
    syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, I(0x1d00));
    syscall(SYS_timer_settime, 0, 0, L(0x1a00), NULL);
    syscall(SYS_timer_gettime, 0, L(0x1a40));
    syscall(SYS_timer_delete, 0);
    syscall(SYS_wait4, -1, I(0x1e00), WNOHANG, NULL);
    syscall(SYS_waitid, P_ALL, 0, B + 0x2000, WEXITED | WNOHANG, NULL);
    syscall(SYS_sysinfo, NULL);
    /* signals */
    memset(B + 0x3000, 0, 64);
    L(0x3000)[0] = (long)SIG_IGN;
    syscall(SYS_rt_sigaction, SIGUSR1, L(0x3000), L(0x3100), 8);
    syscall(SYS_rt_sigaction, SIGUSR2, NULL, L(0x3100), 8);
    L(0x3200)[0] = 1L << (SIGHUP - 1) | 1L << (SIGINT - 1);
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, L(0x3200), L(0x3210), 8);
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, L(0x3210), NULL, 8);
    syscall(SYS_rt_sigpending, L(0x3220), 8);
    syscall(SYS_kill, 0, 0);
    syscall(SYS_tkill, syscall(SYS_gettid), SIGUSR1);
    syscall(SYS_tgkill, syscall(SYS_getpid), syscall(SYS_gettid), SIGUSR1);
    syscall(SYS_sigaltstack, NULL, L(0x3300));
    syscall(SYS_rt_sigtimedwait, L(0x3200), NULL, L(0x1800), 8);
    syscall(SYS_signalfd4, -1, L(0x3200), 8, SFD_CLOEXEC);
    /* sockets */
    long s = syscall(SYS_socket, AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
    struct sockaddr_in *sin = (struct sockaddr_in *)(B + 0x4000);
    sin->sin_family = AF_INET; sin->sin_port = htons(0); sin->sin_addr.s_addr = htonl(0x7f000001);
    syscall(SYS_bind, s, sin, sizeof *sin);
    I(0x4100)[0] = sizeof *sin;
    syscall(SYS_getsockname, s, B + 0x4200, I(0x4100));
    I(0x4100)[0] = 128;
    syscall(SYS_getsockname, s, B + 0x4200, I(0x4100));
    I(0x4300)[0] = 1;
    syscall(SYS_setsockopt, s, SOL_SOCKET, SO_REUSEADDR, I(0x4300), 4);
    I(0x4304)[0] = 4;
    syscall(SYS_getsockopt, s, SOL_SOCKET, SO_TYPE, I(0x4300), I(0x4304));
    syscall(SYS_connect, s, B + 0x4200, sizeof *sin);
    syscall(SYS_sendto, s, at(0x4400, "ping"), 4, MSG_DONTWAIT, NULL, 0);
    I(0x4100)[0] = 128;
    syscall(SYS_recvfrom, s, B + 0x4500, 64, MSG_DONTWAIT, B + 0x4600, I(0x4100));
    syscall(SYS_recvfrom, s, B + 0x4500, 64, MSG_DONTWAIT, NULL, NULL);
    struct iovec *iov = (struct iovec *)(B + 0x4700);
    iov[0].iov_base = at(0x4800, "pong"); iov[0].iov_len = 4;
    struct msghdr *mh = (struct msghdr *)(B + 0x4900);
    memset(mh, 0, sizeof *mh);
    mh->msg_iov = iov; mh->msg_iovlen = 1;
    syscall(SYS_sendmsg, s, mh, 0);
    iov[1].iov_base = B + 0x4a00; iov[1].iov_len = 16;
    struct msghdr *mr = (struct msghdr *)(B + 0x4b00);
    memset(mr, 0, sizeof *mr);
    mr->msg_iov = iov + 1; mr->msg_iovlen = 1;
    syscall(SYS_recvmsg, s, mr, 0);
    syscall(SYS_shutdown, s, SHUT_RDWR);
    syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, I(0x4c00));
    long u = syscall(SYS_socket, AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un *sun = (struct sockaddr_un *)(B + 0x4d00);
    sun->sun_family = AF_UNIX; strcpy(sun->sun_path, "/tmp/fx-sock");
    unlink("/tmp/fx-sock");
    syscall(SYS_bind, u, sun, sizeof *sun);
    syscall(SYS_listen, u, 5);
    fcntl(u, F_SETFL, O_NONBLOCK);
    syscall(SYS_accept4, u, NULL, NULL, SOCK_NONBLOCK);
    syscall(SYS_accept, -1, NULL, NULL);
    struct pollfd *pfd = (struct pollfd *)(B + 0x5000);
    pfd[0].fd = 0; pfd[0].events = POLLIN; pfd[1].fd = s; pfd[1].events = POLLOUT;
    syscall(SYS_poll, pfd, 2, 0);
    L(0x5100)[0] = 0; L(0x5100)[1] = 0;
    syscall(SYS_ppoll, pfd, 2, L(0x5100), NULL, 8);
    L(0x5200)[0] = 1L << s;
    syscall(SYS_select, s + 1, NULL, L(0x5200), NULL, L(0x5100));
    syscall(SYS_pselect6, s + 1, NULL, L(0x5200), NULL, L(0x5100), NULL);
    long ep = syscall(SYS_epoll_create1, EPOLL_CLOEXEC);
    syscall(SYS_epoll_create, 1);
    struct epoll_event *ev = (struct epoll_event *)(B + 0x5300);
    ev->events = EPOLLOUT; ev->data.u64 = 7;
    syscall(SYS_epoll_ctl, ep, EPOLL_CTL_ADD, s, ev);
    syscall(SYS_epoll_wait, ep, B + 0x5400, 4, 0);
    syscall(SYS_epoll_pwait, ep, B + 0x5400, 4, 0, NULL, 8);
    syscall(SYS_epoll_ctl, ep, EPOLL_CTL_DEL, s, NULL);
    syscall(SYS_exit_group, 0);
}
