// build: -O1
/* Netlink messages whose bytes are the same on every run: route requests (ifinfomsg with
 * attributes, ifaddrmsg, rtmsg, ndmsg), two messages in one buffer, sock_diag requests (inet
 * v2, unix), an audit request, a short buffer, and the error the kernel answers to a request
 * for an interface that does not exist (received with recvfrom and recvmsg). Nothing is
 * changed in the system: the requests are gets, or rejected. */
#include <net/if.h>
#include <linux/audit.h>
#include <linux/inet_diag.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static char buf[4096] __attribute__((aligned(4)));

/* Appends an attribute of `len` bytes at `off` of `buf`; returns the new aligned end. */
static size_t attr(size_t off, unsigned short type, const void *data, size_t len) {
    struct nlattr *a = (struct nlattr *)(buf + off);
    a->nla_len = NLA_HDRLEN + len;
    a->nla_type = type;
    memcpy(buf + off + NLA_HDRLEN, data, len);
    return off + NLA_ALIGN(a->nla_len);
}

/* A header of `type`/`flags` with `hdr` (`hlen` bytes) after it at offset `off`. */
static size_t msg(size_t off, unsigned short type, unsigned short flags, const void *hdr,
                  size_t hlen) {
    struct nlmsghdr *h = (struct nlmsghdr *)(buf + off);
    memset(h, 0, NLMSG_SPACE(hlen));
    h->nlmsg_type = type;
    h->nlmsg_flags = flags;
    h->nlmsg_seq = 7;
    memcpy(NLMSG_DATA(h), hdr, hlen);
    return off + NLMSG_SPACE(hlen);
}

/* A netlink socket of `proto`, bound (so that its protocol shows in /proc/net/netlink, where
 * both tracers look it up, from its first message on). */
static int nl_socket(int proto) {
    int fd = socket(AF_NETLINK, SOCK_RAW, proto);
    struct sockaddr_nl self = {.nl_family = AF_NETLINK};
    if (fd >= 0)
        bind(fd, (struct sockaddr *)&self, sizeof self);
    return fd;
}

static void finish(size_t start, size_t end) {
    ((struct nlmsghdr *)(buf + start))->nlmsg_len = end - start;
}

int main(void) {
    int rt = nl_socket(NETLINK_ROUTE);
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};

    /* RTM_GETLINK of an interface that does not exist: the kernel answers ENODEV. */
    struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = 0x7ffffff0,
                            .ifi_flags = IFF_UP, .ifi_change = 1};
    size_t end = msg(0, RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, &ifi, sizeof ifi);
    unsigned int mtu = 1500;
    end = attr(end, IFLA_IFNAME, "nosuchif0", 10);
    end = attr(end, IFLA_MTU, &mtu, sizeof mtu);
    finish(0, end);
    sendto(rt, buf, end, 0, (struct sockaddr *)&kernel, sizeof kernel);
    char reply[1024];
    recvfrom(rt, reply, sizeof reply, 0, NULL, NULL);

    /* The same request through sendmsg, its answer through recvmsg. */
    struct iovec iov = {.iov_base = buf, .iov_len = end};
    struct msghdr mh = {.msg_name = &kernel, .msg_namelen = sizeof kernel, .msg_iov = &iov,
                        .msg_iovlen = 1};
    sendmsg(rt, &mh, 0);
    struct iovec riov = {.iov_base = reply, .iov_len = sizeof reply};
    struct sockaddr_nl from;
    struct msghdr rmh = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &riov,
                         .msg_iovlen = 1};
    recvmsg(rt, &rmh, 0);

    /* Two messages in one buffer: an address dump request and a route request. The kernel
     * answers; nothing reads the answers (they depend on the machine). */
    struct ifaddrmsg ifa = {.ifa_family = AF_INET, .ifa_prefixlen = 8,
                            .ifa_scope = RT_SCOPE_HOST, .ifa_index = 1};
    end = msg(0, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, &ifa, sizeof ifa);
    struct in_addr lo = {htonl(INADDR_LOOPBACK)};
    end = attr(end, IFA_LOCAL, &lo, sizeof lo);
    end = attr(end, IFA_LABEL, "lo", 3);
    finish(0, end);
    size_t second = end;
    struct rtmsg rtm = {.rtm_family = AF_INET, .rtm_dst_len = 32, .rtm_table = RT_TABLE_MAIN,
                        .rtm_protocol = RTPROT_BOOT, .rtm_scope = RT_SCOPE_UNIVERSE,
                        .rtm_type = RTN_UNICAST};
    end = msg(second, RTM_GETROUTE, NLM_F_REQUEST, &rtm, sizeof rtm);
    unsigned int oif = 1;
    end = attr(end, RTA_DST, &lo, sizeof lo);
    end = attr(end, RTA_OIF, &oif, sizeof oif);
    finish(second, end);
    sendto(rt, buf, end, MSG_DONTWAIT, NULL, 0);

    /* A neighbour request, then a buffer too short for a header. */
    struct ndmsg nd = {.ndm_family = AF_INET, .ndm_ifindex = 1, .ndm_state = NUD_PERMANENT,
                       .ndm_type = RTN_UNICAST};
    end = msg(0, RTM_GETNEIGH, NLM_F_REQUEST, &nd, sizeof nd);
    end = attr(end, NDA_DST, &lo, sizeof lo);
    finish(0, end);
    sendto(rt, buf, end, MSG_DONTWAIT, NULL, 0);
    sendto(rt, buf, 10, MSG_DONTWAIT, NULL, 0);
    close(rt);

    int diag = nl_socket(NETLINK_SOCK_DIAG);
    struct inet_diag_req_v2 ireq = {.sdiag_family = AF_INET, .sdiag_protocol = IPPROTO_TCP,
                                    .idiag_states = 1 << TCP_LISTEN,
                                    .idiag_ext = 1 << (INET_DIAG_INFO - 1)};
    ireq.id.idiag_sport = htons(22);
    ireq.id.idiag_src[0] = htonl(INADDR_LOOPBACK);
    ireq.id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
    ireq.id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
    end = msg(0, SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, &ireq, sizeof ireq);
    finish(0, end);
    sendto(diag, buf, end, MSG_DONTWAIT, NULL, 0);
    struct unix_diag_req ureq = {.sdiag_family = AF_UNIX, .udiag_states = -1,
                                 .udiag_show = UDIAG_SHOW_NAME | UDIAG_SHOW_PEER};
    end = msg(0, SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST | NLM_F_DUMP, &ureq, sizeof ureq);
    finish(0, end);
    sendto(diag, buf, end, MSG_DONTWAIT, NULL, 0);
    close(diag);

    int audit = nl_socket(NETLINK_AUDIT);
    if (audit >= 0) {
        struct nlmsghdr h = {.nlmsg_len = sizeof h, .nlmsg_type = AUDIT_GET,
                             .nlmsg_flags = NLM_F_REQUEST};
        sendto(audit, &h, sizeof h, MSG_DONTWAIT, NULL, 0);
        close(audit);
    }
    return 0;
}
