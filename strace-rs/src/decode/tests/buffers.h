/* What the decoder test programs share: the headers their calls need, and their buffers,
 * in a mapping at a fixed address (0x10000000) so the addresses strace prints are the
 * same in every run. Each program maps it first: map_buffers(). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#define B ((char *)0x10000000)
#define L(off) ((long *)(B + (off)))
#define I(off) ((int *)(B + (off)))

/* The string `s` at B + off. */
static char *at(int off, const char *s) { strcpy(B + off, s); return B + off; }

/* The buffers' mapping (mmap2 on i386, so that strace shows the same call there too). */
static void map_buffers(void) {
#ifdef __i386__
    syscall(SYS_mmap2, B, 0x10000, PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
#else
    mmap(B, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
         -1, 0);
#endif
}
