// build: -O1
/* bpf commands whose printed results are the same on every run: an array map created, updated,
 * read, iterated and frozen, a two-instruction socket filter loaded with a log buffer, queries
 * and lookups of objects that do not exist, batch and link requests the kernel rejects, an
 * attribute with nonzero bytes past its layout, and an unknown command. Where bpf is not
 * permitted every call fails the same way under both tracers. */
#include <linux/bpf.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long sys_bpf(int cmd, union bpf_attr *attr, unsigned size) {
    return syscall(SYS_bpf, cmd, attr, size);
}

static uint64_t ptr(const void *p) {
    return (uint64_t)(uintptr_t)p;
}

int main(void) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.map_type = BPF_MAP_TYPE_ARRAY;
    a.key_size = 4;
    a.value_size = 8;
    a.max_entries = 4;
    strcpy(a.map_name, "st_bpf_map");
    int map = sys_bpf(BPF_MAP_CREATE, &a, sizeof a);

    uint32_t key = 1, next = 0;
    uint64_t value = 42;
    memset(&a, 0, sizeof a);
    a.map_fd = map;
    a.key = ptr(&key);
    a.value = ptr(&value);
    a.flags = BPF_ANY;
    sys_bpf(BPF_MAP_UPDATE_ELEM, &a, sizeof a);
    sys_bpf(BPF_MAP_LOOKUP_ELEM, &a, sizeof a);
    memset(&a, 0, sizeof a);
    a.map_fd = map;
    a.key = ptr(&key);
    a.next_key = ptr(&next);
    sys_bpf(BPF_MAP_GET_NEXT_KEY, &a, sizeof a);
    memset(&a, 0, sizeof a);
    a.map_fd = map;
    a.key = ptr(&key);
    sys_bpf(BPF_MAP_DELETE_ELEM, &a, sizeof a);

    uint32_t keys[2], vals[4], count = 2;
    memset(&a, 0, sizeof a);
    a.batch.keys = ptr(keys);
    a.batch.values = ptr(vals);
    a.batch.count = count;
    a.batch.map_fd = -1;
    sys_bpf(BPF_MAP_LOOKUP_BATCH, &a, sizeof a);

    memset(&a, 0, sizeof a);
    a.map_fd = map;
    sys_bpf(BPF_MAP_FREEZE, &a, sizeof a);

    struct bpf_insn insns[2] = {
        {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
        {.code = BPF_JMP | BPF_EXIT},
    };
    static char log[256];
    memset(&a, 0, sizeof a);
    a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
    a.insn_cnt = 2;
    a.insns = ptr(insns);
    a.license = ptr("GPL");
    a.log_level = 1;
    a.log_size = sizeof log;
    a.log_buf = ptr(log);
    strcpy(a.prog_name, "st_bpf_prog");
    /* The layout strace knows for BPF_PROG_LOAD ends at fd_array. */
    int prog = sys_bpf(BPF_PROG_LOAD, &a, 128);

    memset(&a, 0, sizeof a);
    a.query.target_fd = -1;
    a.query.attach_type = BPF_CGROUP_INET_INGRESS;
    sys_bpf(BPF_PROG_QUERY, &a, sizeof a);

    memset(&a, 0, sizeof a);
    a.btf_id = 0x7ffffff0;
    sys_bpf(BPF_BTF_GET_FD_BY_ID, &a, sizeof a);
    memset(&a, 0, sizeof a);
    a.prog_id = 0x7ffffff0;
    a.open_flags = BPF_F_RDONLY;
    sys_bpf(BPF_PROG_GET_FD_BY_ID, &a, sizeof a);

    memset(&a, 0, sizeof a);
    a.link_create.prog_fd = prog;
    a.link_create.target_fd = -1;
    a.link_create.attach_type = BPF_CGROUP_INET_EGRESS;
    sys_bpf(BPF_LINK_CREATE, &a, sizeof a);

    memset(&a, 0, sizeof a);
    a.pathname = ptr("/sys/fs/bpf/no/such/dir/st_bpf");
    a.bpf_fd = map;
    sys_bpf(BPF_OBJ_PIN, &a, sizeof a);

    /* Nonzero bytes past the attribute of BPF_MAP_FREEZE. */
    unsigned char big[64];
    memset(big, 0, sizeof big);
    memcpy(big, &map, sizeof map);
    big[40] = 1;
    syscall(SYS_bpf, BPF_MAP_FREEZE, big, sizeof big);

    sys_bpf(0x7fff, &a, sizeof a);
    close(prog);
    close(map);
    return 0;
}
