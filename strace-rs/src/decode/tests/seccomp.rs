//! The seccomp user notification requests of `ioctl/seccomp.rs`; expected lines as strace
//! 6.1 prints them (from strace's own `tests/ioctl_seccomp.c` runs).

use libc::EBADF;

use super::{at, call, check, Recorded};

const NOTIF_RECV: u64 = 0xc050_2100;
const NOTIF_SEND: u64 = 0xc018_2101;

fn notif(nr: u32, arch: u32) -> Vec<u8> {
    let mut b = vec![0u8; 80];
    b[8..12].copy_from_slice(&42i32.to_ne_bytes());
    b[16..20].copy_from_slice(&nr.to_ne_bytes());
    b[20..24].copy_from_slice(&arch.to_ne_bytes());
    b
}

#[test]
fn received_notification_names_the_call_in_its_architecture() {
    // x86_64's own gettid: `__NR_gettid`; i386's (another personality): a comment.
    check(
        call("ioctl", &[3, NOTIF_RECV, at(0x100)])
            .fails(EBADF)
            .memory(Recorded::default().bytes(at(0x100), &notif(186, 0xc000_003e))),
        "ioctl(3, SECCOMP_IOCTL_NOTIF_RECV, {id=0, pid=42, flags=0, data={nr=__NR_gettid, arch=AUDIT_ARCH_X86_64, instruction_pointer=NULL, args=[0, 0, 0, 0, 0, 0]}} => 0x10000100) = -1 EBADF (Bad file descriptor)",
    );
    check(
        call("ioctl", &[3, NOTIF_RECV, at(0x100)])
            .fails(EBADF)
            .memory(Recorded::default().bytes(at(0x100), &notif(224, 0x4000_0003))),
        "ioctl(3, SECCOMP_IOCTL_NOTIF_RECV, {id=0, pid=42, flags=0, data={nr=224 /* gettid */, arch=AUDIT_ARCH_I386, instruction_pointer=NULL, args=[0, 0, 0, 0, 0, 0]}} => 0x10000100) = -1 EBADF (Bad file descriptor)",
    );
}

#[test]
fn response_error_is_named_when_negative() {
    let mut b = vec![0u8; 24];
    b[16..20].copy_from_slice(&(-libc::ENOSR).to_ne_bytes());
    b[20..24].copy_from_slice(&1u32.to_ne_bytes());
    check(
        call("ioctl", &[3, NOTIF_SEND, at(0x100)])
            .fails(EBADF)
            .memory(Recorded::default().bytes(at(0x100), &b)),
        "ioctl(3, SECCOMP_IOCTL_NOTIF_SEND, {id=0, val=0, error=-ENOSR, flags=SECCOMP_USER_NOTIF_FLAG_CONTINUE}) = -1 EBADF (Bad file descriptor)",
    );
}
