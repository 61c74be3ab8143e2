//! `ptrace` requests of `decode/ptrace.rs`; expected lines as strace 6.1 prints them (from
//! strace's own `tests/ptrace_syscall_info.c` runs).

use super::{at, call, check, Recorded};

const GET_SYSCALL_INFO: u64 = 0x420e;

#[test]
fn syscall_info_prints_as_much_as_both_lengths_cover() {
    // An entry stop: op, arch, ip, sp, then the call and its arguments.
    let mut b = vec![0u8; 80];
    b[0] = 1;
    b[4..8].copy_from_slice(&0xc000_003eu32.to_ne_bytes());
    b[8..16].copy_from_slice(&0x1234u64.to_ne_bytes());
    b[16..24].copy_from_slice(&0x5678u64.to_ne_bytes());
    b[24..32].copy_from_slice(&39u64.to_ne_bytes());
    let m = || Recorded::default().bytes(at(0x100), &b);
    check(
        call("ptrace", &[GET_SYSCALL_INFO, 42, 80, at(0x100)]).returns(80).memory(m()),
        "ptrace(PTRACE_GET_SYSCALL_INFO, 42, 80, {op=PTRACE_SYSCALL_INFO_ENTRY, arch=AUDIT_ARCH_X86_64, instruction_pointer=0x1234, stack_pointer=0x5678, entry={nr=__NR_getpid, args=[0, 0, 0, 0, 0, 0]}}) = 80",
    );
    // A buffer of 9 bytes holds the op and the arch only.
    check(
        call("ptrace", &[GET_SYSCALL_INFO, 42, 9, at(0x100)]).returns(80).memory(m()),
        "ptrace(PTRACE_GET_SYSCALL_INFO, 42, 9, {op=PTRACE_SYSCALL_INFO_ENTRY, arch=AUDIT_ARCH_X86_64}) = 80",
    );
}

#[test]
fn resuming_requests_name_the_signal_they_deliver() {
    check(
        call("ptrace", &[24, 42, 0, 10]).returns(0),
        "ptrace(PTRACE_SYSCALL, 42, NULL, SIGUSR1) = 0",
    );
    check(
        call("ptrace", &[0x4200, 42, 0, 1]).returns(0),
        "ptrace(PTRACE_SETOPTIONS, 42, NULL, PTRACE_O_TRACESYSGOOD) = 0",
    );
}
