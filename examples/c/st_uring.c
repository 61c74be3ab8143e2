// build: -O1
/* io_uring_setup (the parameters the kernel fills), io_uring_register (a probe of the
 * operations, files, files update, a restriction list on a disabled ring, the worker limits,
 * buffers, a CPU affinity list) and io_uring_enter with a signal mask: calls whose results are
 * the same on every run on one machine. Where io_uring is disabled every call fails the same
 * way under both tracers. */
#include <linux/io_uring.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static long uring_setup(unsigned entries, struct io_uring_params *p) {
    return syscall(SYS_io_uring_setup, entries, p);
}

static long uring_register(int fd, unsigned op, void *arg, unsigned n) {
    return syscall(SYS_io_uring_register, fd, op, arg, n);
}

int main(void) {
    struct io_uring_params p;
    memset(&p, 0, sizeof p);
    int ring = uring_setup(4, &p);

    struct io_uring_probe *probe = calloc(1, sizeof *probe + 4 * sizeof probe->ops[0]);
    uring_register(ring, IORING_REGISTER_PROBE, probe, 4);

    int fds[2] = {0, 1};
    uring_register(ring, IORING_REGISTER_FILES, fds, 2);
    int upd[2] = {IORING_REGISTER_FILES_SKIP, 2};
    struct io_uring_files_update fu = {.offset = 0, .fds = (unsigned long)upd};
    uring_register(ring, IORING_REGISTER_FILES_UPDATE, &fu, 2);
    uring_register(ring, IORING_UNREGISTER_FILES, NULL, 0);

    unsigned workers[2] = {0, 0};
    uring_register(ring, IORING_REGISTER_IOWQ_MAX_WORKERS, workers, 2);

    static char b1[16], b2[32];
    struct iovec bufs[2] = {{b1, sizeof b1}, {b2, sizeof b2}};
    uring_register(ring, IORING_REGISTER_BUFFERS, bufs, 2);
    uring_register(ring, IORING_UNREGISTER_BUFFERS, NULL, 0);

    unsigned char cpus[8] = {0x1};
    uring_register(ring, IORING_REGISTER_IOWQ_AFF, cpus, sizeof cpus);
    uring_register(ring, IORING_UNREGISTER_IOWQ_AFF, NULL, 0);

    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    syscall(SYS_io_uring_enter, ring, 0, 0, IORING_ENTER_GETEVENTS, &mask, 8);
    close(ring);

    /* A ring created disabled takes restrictions. */
    memset(&p, 0, sizeof p);
    p.flags = IORING_SETUP_R_DISABLED;
    int disabled = uring_setup(2, &p);
    struct io_uring_restriction r[3] = {
        {.opcode = IORING_RESTRICTION_REGISTER_OP, .register_op = IORING_REGISTER_PROBE},
        {.opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_READV},
        {.opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED, .sqe_flags = IOSQE_FIXED_FILE},
    };
    uring_register(disabled, IORING_REGISTER_RESTRICTIONS, r, 3);
    uring_register(disabled, IORING_REGISTER_ENABLE_RINGS, NULL, 0);
    close(disabled);
    uring_register(-1, 0xdead, NULL, 0);
    return 0;
}
