// build: -O1
/* Netlink messages of the families strace names from elsewhere than the route and sock_diag
 * tables: NETLINK_GENERIC (the family's name from a CTRL_CMD_GETFAMILY dump the tracer makes
 * itself), NETLINK_NETFILTER (subsystem<<8|message, nfgenmsg, flags by message kind) and
 * NETLINK_SELINUX; then nested attributes of route and sock_diag messages (link info by
 * kind, XDP, IPv6 protocol info, nexthop groups, tc statistics, MDB router ports, SMC and
 * inet diag answers) sent from one socket of the program to another, so that the kernel
 * never acts on them. Nothing is changed in the system: the requests are gets, or rejected. */
#include <linux/genetlink.h>
#include <linux/gen_stats.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <linux/inet_diag.h>
#include <linux/nexthop.h>
#include <linux/rtnetlink.h>
#include <linux/smc_diag.h>
#include <linux/sock_diag.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <linux/selinux_netlink.h>
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <unistd.h>

static char buf[4096] __attribute__((aligned(4)));

/* A netlink socket of `proto`, bound (its protocol then shows in /proc/net/netlink). */
static int nl_socket(int proto) {
    int fd = socket(AF_NETLINK, SOCK_RAW, proto);
    struct sockaddr_nl self = {.nl_family = AF_NETLINK};
    if (fd >= 0)
        bind(fd, (struct sockaddr *)&self, sizeof self);
    return fd;
}

/* One message: a header of `type`/`flags`, `hlen` bytes of `hdr`, then an attribute of
 * `atype` holding the string `s` (none when `s` is NULL). Returns its length. */
static size_t msg(unsigned short type, unsigned short flags, const void *hdr, size_t hlen,
                  unsigned short atype, const char *s) {
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    memset(buf, 0, sizeof buf);
    h->nlmsg_type = type;
    h->nlmsg_flags = flags;
    h->nlmsg_seq = 9;
    memcpy(NLMSG_DATA(h), hdr, hlen);
    size_t end = NLMSG_SPACE(hlen);
    if (s) {
        struct nlattr *a = (struct nlattr *)(buf + end);
        a->nla_len = NLA_HDRLEN + strlen(s) + 1;
        a->nla_type = atype;
        memcpy(buf + end + NLA_HDRLEN, s, strlen(s) + 1);
        end += NLA_ALIGN(a->nla_len);
    }
    h->nlmsg_len = end;
    return end;
}

/* Appends an attribute of `len` bytes of `data` at `off`; returns the aligned end. */
static size_t attr(size_t off, unsigned short type, const void *data, size_t len) {
    struct nlattr *a = (struct nlattr *)(buf + off);
    a->nla_len = NLA_HDRLEN + len;
    a->nla_type = type;
    memcpy(buf + off + NLA_HDRLEN, data, len);
    return off + NLA_ALIGN(a->nla_len);
}

/* Opens an attribute that nests the ones appended after it; `close_nest` sets its length. */
static size_t open_nest(size_t off, unsigned short type) {
    ((struct nlattr *)(buf + off))->nla_type = type;
    return off + NLA_HDRLEN;
}

static void close_nest(size_t start, size_t end) {
    ((struct nlattr *)(buf + start))->nla_len = end - start;
}

/* Starts a message of `type`/`flags` with `hlen` bytes of `hdr`; returns the aligned end. */
static size_t start(unsigned short type, unsigned short flags, const void *hdr, size_t hlen) {
    memset(buf, 0, sizeof buf);
    struct nlmsghdr *h = (struct nlmsghdr *)buf;
    h->nlmsg_type = type;
    h->nlmsg_flags = flags;
    h->nlmsg_seq = 9;
    memcpy(NLMSG_DATA(h), hdr, hlen);
    return NLMSG_SPACE(hlen);
}

/* Sends the message that ends at `end` from `from` to its connected peer `to`, which
 * receives it. */
static void pass(int from, int to, size_t end) {
    char reply[4096];
    ((struct nlmsghdr *)buf)->nlmsg_len = end;
    send(from, buf, end, MSG_DONTWAIT);
    recvfrom(to, reply, sizeof reply, MSG_DONTWAIT, NULL, NULL);
}

/* Two bound sockets of `proto`, the first connected to the second. */
static void pair(int proto, int *from, int *to) {
    struct sockaddr_nl a = {.nl_family = AF_NETLINK};
    socklen_t alen = sizeof a;
    *from = nl_socket(proto);
    *to = nl_socket(proto);
    getsockname(*to, (struct sockaddr *)&a, &alen);
    connect(*from, (struct sockaddr *)&a, sizeof a);
}

static void nested(void) {
    int from, to;
    pair(NETLINK_ROUTE, &from, &to);

    /* A bridge's link info, an XDP program, a protocol-down reason. */
    struct ifinfomsg ifi = {.ifi_family = AF_UNSPEC, .ifi_index = 1};
    size_t end = start(RTM_NEWLINK, NLM_F_REQUEST, &ifi, sizeof ifi);
    size_t info = end;
    end = open_nest(end, IFLA_LINKINFO);
    end = attr(end, IFLA_INFO_KIND, "bridge", 7);
    size_t data = end;
    end = open_nest(end, IFLA_INFO_DATA);
    unsigned int delay = 1500;
    end = attr(end, IFLA_BR_FORWARD_DELAY, &delay, sizeof delay);
    unsigned short vlan = htons(ETH_P_8021Q);
    end = attr(end, IFLA_BR_VLAN_PROTOCOL, &vlan, sizeof vlan);
    close_nest(data, end);
    close_nest(info, end);
    size_t xdp = end;
    end = open_nest(end, IFLA_XDP);
    int fd = -1;
    end = attr(end, IFLA_XDP_FD, &fd, sizeof fd);
    unsigned int xflags = XDP_FLAGS_SKB_MODE;
    end = attr(end, IFLA_XDP_FLAGS, &xflags, sizeof xflags);
    close_nest(xdp, end);
    size_t reason = end;
    end = open_nest(end, IFLA_PROTO_DOWN_REASON);
    unsigned int mask = 0xff;
    end = attr(end, IFLA_PROTO_DOWN_REASON_MASK, &mask, sizeof mask);
    close_nest(reason, end);
    pass(from, to, end);

    /* IPv6 protocol info: flags and two configuration values. */
    ifi.ifi_family = AF_INET6;
    end = start(RTM_NEWLINK, NLM_F_REQUEST, &ifi, sizeof ifi);
    size_t prot = end;
    end = open_nest(end, IFLA_PROTINFO);
    unsigned int i6flags = 0x80000000;
    end = attr(end, IFLA_INET6_FLAGS, &i6flags, sizeof i6flags);
    int conf[2] = {1, 64};
    end = attr(end, IFLA_INET6_CONF, conf, sizeof conf);
    close_nest(prot, end);
    pass(from, to, end);

    /* A nexthop group. */
    struct nhmsg nhm = {.nh_family = AF_INET};
    end = start(RTM_NEWNEXTHOP, NLM_F_REQUEST, &nhm, sizeof nhm);
    struct nexthop_grp grp[2] = {{.id = 1, .weight = 2}, {.id = 3, .weight = 4}};
    end = attr(end, NHA_GROUP, grp, sizeof grp);
    pass(from, to, end);

    /* A queueing discipline's basic statistics. */
    struct tcmsg tcm = {.tcm_family = AF_UNSPEC, .tcm_ifindex = 1};
    end = start(RTM_NEWQDISC, NLM_F_REQUEST, &tcm, sizeof tcm);
    size_t st = end;
    end = open_nest(end, TCA_STATS2);
    struct gnet_stats_basic basic = {.bytes = 1000, .packets = 10};
    end = attr(end, TCA_STATS_BASIC, &basic, 12);
    close_nest(st, end);
    pass(from, to, end);

    /* A multicast router port. */
    struct br_port_msg bpm = {.family = AF_BRIDGE, .ifindex = 1};
    end = start(RTM_NEWMDB, NLM_F_REQUEST, &bpm, sizeof bpm);
    size_t router = end;
    end = open_nest(end, MDBA_ROUTER);
    unsigned int port = 1;
    end = attr(end, MDBA_ROUTER_PORT, &port, sizeof port);
    close_nest(router, end);
    pass(from, to, end);
    close(from);
    close(to);

    pair(NETLINK_SOCK_DIAG, &from, &to);
    /* An SMC request, an SMC answer with shutdown and fallback attributes, an inet answer
     * with shutdown, protocol and ULP attributes. */
    struct smc_diag_req sreq = {.diag_family = AF_SMC, .diag_ext = 1 << (SMC_DIAG_CONNINFO - 1)};
    sreq.id.idiag_sport = htons(80);
    sreq.id.idiag_src[0] = htonl(0x7f000001);
    end = start(SOCK_DIAG_BY_FAMILY, NLM_F_REQUEST, &sreq, sizeof sreq);
    pass(from, to, end);
    struct smc_diag_msg smsg = {.diag_family = AF_SMC, .diag_state = 1, .diag_mode = 1,
                                .diag_uid = 1000, .diag_inode = 4242};
    end = start(SOCK_DIAG_BY_FAMILY, 0, &smsg, sizeof smsg);
    unsigned char shut = 3;
    end = attr(end, SMC_DIAG_SHUTDOWN, &shut, 1);
    struct smc_diag_fallback fb = {.reason = 0x3020000, .peer_diagnosis = 7};
    end = attr(end, SMC_DIAG_FALLBACK, &fb, sizeof fb);
    pass(from, to, end);
    struct inet_diag_msg imsg = {.idiag_family = AF_INET, .idiag_state = 10};
    end = start(SOCK_DIAG_BY_FAMILY, 0, &imsg, sizeof imsg);
    end = attr(end, INET_DIAG_SHUTDOWN, &shut, 1);
    unsigned char proto = IPPROTO_TCP;
    end = attr(end, INET_DIAG_PROTOCOL, &proto, 1);
    size_t ulp = end;
    end = open_nest(end, INET_DIAG_ULP_INFO);
    end = attr(end, INET_ULP_INFO_NAME, "tls", 4);
    close_nest(ulp, end);
    pass(from, to, end);
    close(from);
    close(to);
}

int main(void) {
    char reply[8192];

    /* NETLINK_GENERIC: the id of family "nlctrl" asked of nlctrl (type GENL_ID_CTRL), the
     * kernel's answer; then a request to an id no family has. */
    int genl = nl_socket(NETLINK_GENERIC);
    struct genlmsghdr g = {.cmd = CTRL_CMD_GETFAMILY, .version = 1};
    size_t n = msg(GENL_ID_CTRL, NLM_F_REQUEST, &g, sizeof g, CTRL_ATTR_FAMILY_NAME, "nlctrl");
    sendto(genl, buf, n, 0, NULL, 0);
    recvfrom(genl, reply, sizeof reply, MSG_DONTWAIT, NULL, NULL);
    n = msg(0xfff0, NLM_F_REQUEST | NLM_F_ACK, &g, sizeof g, 0, NULL);
    sendto(genl, buf, n, 0, NULL, 0);
    recvfrom(genl, reply, sizeof reply, MSG_DONTWAIT, NULL, NULL);
    close(genl);

    /* NETLINK_NETFILTER: a batch begin, a conntrack get of an unknown address family, a
     * table get by a name no table has (res_id in both byte orders), a subsystem that does
     * not exist; the answers to the last ones. */
    int nf = nl_socket(NETLINK_NETFILTER);
    if (nf >= 0) {
        struct nfgenmsg nfg = {.nfgen_family = AF_UNSPEC, .version = NFNETLINK_V0,
                               .res_id = htons(NFNL_SUBSYS_NFTABLES)};
        n = msg(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, &nfg, sizeof nfg, 0, NULL);
        sendto(nf, buf, n, MSG_DONTWAIT, NULL, 0);
        nfg.res_id = 0;
        nfg.nfgen_family = 99;
        n = msg(NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_GET, NLM_F_REQUEST | NLM_F_ACK,
                &nfg, sizeof nfg, 0, NULL);
        sendto(nf, buf, n, MSG_DONTWAIT, NULL, 0);
        recvfrom(nf, reply, sizeof reply, MSG_DONTWAIT, NULL, NULL);
        nfg.nfgen_family = AF_INET;
        nfg.res_id = NFNL_SUBSYS_NFTABLES;
        n = msg(NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETTABLE, NLM_F_REQUEST | NLM_F_ACK, &nfg,
                sizeof nfg, NFTA_TABLE_NAME, "no-such-table");
        sendto(nf, buf, n, MSG_DONTWAIT, NULL, 0);
        recvfrom(nf, reply, sizeof reply, MSG_DONTWAIT, NULL, NULL);
        n = msg(0xee << 8 | 3, NLM_F_REQUEST | NLM_F_ACK, &nfg, sizeof nfg, 0, NULL);
        sendto(nf, buf, n, MSG_DONTWAIT, NULL, 0);
        recvfrom(nf, reply, sizeof reply, MSG_DONTWAIT, NULL, NULL);
        close(nf);
    }

    /* NETLINK_SELINUX: the kernel only multicasts on it, so a send is refused. */
    int sel = nl_socket(NETLINK_SELINUX);
    if (sel >= 0) {
        struct selnl_msg_setenforce e = {.val = 1};
        n = msg(SELNL_MSG_SETENFORCE, NLM_F_REQUEST, &e, sizeof e, 0, NULL);
        sendto(sel, buf, n, MSG_DONTWAIT, NULL, 0);
        struct selnl_msg_policyload p = {.seqno = 42};
        n = msg(SELNL_MSG_POLICYLOAD, NLM_F_REQUEST, &p, sizeof p, 0, NULL);
        sendto(sel, buf, n, MSG_DONTWAIT, NULL, 0);
        close(sel);
    }
    nested();
    return 0;
}
