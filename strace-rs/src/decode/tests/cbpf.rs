//! Classic BPF programs of `cbpf.rs` (seccomp filters, socket filters); expected lines as
//! strace 6.1 prints them (from strace's own `tests/seccomp-filter-v.c` and
//! `tests/sock_filter-v.c` runs).

use super::{at, call, check, Recorded};
use crate::decode::DecodeOpts;

fn verbose() -> DecodeOpts {
    DecodeOpts {
        verbose: true,
        ..DecodeOpts::default()
    }
}

/// `struct sock_fprog` at 0x100 pointing at `insns` at 0x200.
fn program(insns: &[(u16, u8, u8, u32)]) -> Recorded {
    let mut fprog = vec![0u8; 16];
    fprog[0..2].copy_from_slice(&(insns.len() as u16).to_ne_bytes());
    fprog[8..16].copy_from_slice(&at(0x200).to_ne_bytes());
    let mut code = Vec::new();
    for &(c, jt, jf, k) in insns {
        code.extend(c.to_ne_bytes());
        code.extend([jt, jf]);
        code.extend(k.to_ne_bytes());
    }
    Recorded::default()
        .bytes(at(0x100), &fprog)
        .bytes(at(0x200), &code)
}

#[test]
fn seccomp_filter_prints_its_instructions_with_v() {
    let p = || {
        program(&[
            (0x20, 0, 0, 0),
            (0x15, 0, 1, 0x3c),
            (0x06, 0, 0, 0x0005_0010),
        ])
    };
    check(
        call("seccomp", &[1, 0, at(0x100)]).returns(0).memory(p()).opts(verbose()),
        "seccomp(SECCOMP_SET_MODE_FILTER, 0, {len=3, filter=[BPF_STMT(BPF_LD|BPF_W|BPF_ABS, 0), BPF_JUMP(BPF_JMP|BPF_K|BPF_JEQ, 0x3c, 0, 0x1), BPF_STMT(BPF_RET|BPF_K, SECCOMP_RET_ERRNO|0x10)]}) = 0",
    );
    // Without -v the program is its address.
    check(
        call("seccomp", &[1, 0, at(0x100)]).returns(0).memory(p()),
        "seccomp(SECCOMP_SET_MODE_FILTER, 0, {len=3, filter=0x10000200}) = 0",
    );
}

#[test]
fn socket_filter_names_the_special_offsets() {
    let p = program(&[(0x30, 0, 0, 0xffe0_0004), (0x30, 0, 0, 0xffff_f000)]);
    check(
        call("setsockopt", &[3, 1, 26, at(0x100), 16]).returns(0).memory(p).opts(verbose()),
        "setsockopt(3, SOL_SOCKET, SO_ATTACH_FILTER, {len=2, filter=[BPF_STMT(BPF_LD|BPF_B|BPF_ABS, SKF_LL_OFF+4), BPF_STMT(BPF_LD|BPF_B|BPF_ABS, SKF_AD_OFF+SKF_AD_PROTOCOL)]}, 16) = 0",
    );
}
