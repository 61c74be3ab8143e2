// build: -O1
/* Sockets on loopback: TCP and a UNIX socketpair, send/recv/sendmsg/recvmsg, poll/epoll;
 * then the other kinds -yy describes (UDP-Lite, whose kernel name "UDP-Lite" strace does not
 * know, raw, netlink) and one it does not (AF_ALG). */
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    int srv = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(srv, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(srv, (struct sockaddr *)&a, sizeof a);
    listen(srv, 4);
    socklen_t len = sizeof a;
    getsockname(srv, (struct sockaddr *)&a, &len);
    int cli = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
    connect(cli, (struct sockaddr *)&a, sizeof a);
    struct sockaddr_in peer;
    len = sizeof peer;
    int conn = accept(srv, (struct sockaddr *)&peer, &len);
    sendto(cli, "ping", 4, 0, NULL, 0);
    struct pollfd pf = {.fd = conn, .events = POLLIN};
    poll(&pf, 1, 1000);
    char buf[64];
    recvfrom(conn, buf, sizeof buf, 0, NULL, NULL);
    int err = 0;
    len = sizeof err;
    getsockopt(cli, SOL_SOCKET, SO_ERROR, &err, &len);
    shutdown(cli, SHUT_WR);
    close(cli);
    close(conn);
    close(srv);

    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    struct iovec iov = {"message", 7};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    sendmsg(sv[0], &m, 0);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 5};
    epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev);
    struct epoll_event out[4];
    epoll_wait(ep, out, 4, 1000);
    char rb[16];
    struct iovec riov = {rb, sizeof rb};
    struct msghdr rm = {.msg_iov = &riov, .msg_iovlen = 1};
    recvmsg(sv[1], &rm, 0);
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(sv[1], &rs);
    struct timeval tv = {0, 0};
    select(sv[1] + 1, &rs, NULL, NULL, &tv);
    close(ep);
    close(sv[0]);
    close(sv[1]);

    struct sockaddr_in la = {.sin_family = AF_INET};
    la.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int kinds[][3] = {{AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE},
                      {AF_INET, SOCK_RAW, IPPROTO_RAW},
                      {AF_NETLINK, SOCK_RAW, NETLINK_ROUTE},
                      {AF_ALG, SOCK_SEQPACKET, 0}};
    for (unsigned i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        int s = socket(kinds[i][0], kinds[i][1], kinds[i][2]);
        if (s < 0)
            continue;
        if (kinds[i][0] == AF_INET && kinds[i][1] == SOCK_DGRAM)
            bind(s, (struct sockaddr *)&la, sizeof la);
        if (kinds[i][0] == AF_NETLINK) {
            struct sockaddr_nl nl = {.nl_family = AF_NETLINK};
            bind(s, (struct sockaddr *)&nl, sizeof nl);
        }
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        getsockname(s, (struct sockaddr *)&ss, &sl);
        close(s);
    }
    return 0;
}
