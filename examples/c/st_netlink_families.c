// build: -O1
/* Netlink messages of the families strace names from elsewhere than the route and sock_diag
 * tables: NETLINK_GENERIC (the family's name from a CTRL_CMD_GETFAMILY dump the tracer makes
 * itself), NETLINK_NETFILTER (subsystem<<8|message, nfgenmsg, flags by message kind) and
 * NETLINK_SELINUX. Nothing is changed in the system: the requests are gets, or rejected. */
#include <linux/genetlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>
#include <linux/selinux_netlink.h>
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
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
    return 0;
}
