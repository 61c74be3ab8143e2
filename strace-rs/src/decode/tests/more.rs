//! The calls of `more.strace` (`strace -o more.strace ./more`, from `more.c`): identity,
//! scheduling, sync, xattrs through links, signals sent with siginfo or waited for, and
//! decoders with their own logic that the other programs leave out.

use libc::*;

use super::{at, call, check, neg, Recorded};

fn c(v: i32) -> u64 {
    v as u64
}

const MINUS1: u64 = 0xffff_ffff;

#[test]
fn paths_and_descriptors_alone() {
    let m = Recorded::default()
        .cstr(at(0x100), "/tmp")
        .cstr(at(0x180), "/nonexistent");
    check(
        call("chdir", &[at(0x100)]).returns(0).memory(m.clone()),
        "chdir(\"/tmp\")                           = 0",
    );
    check(
        call("fchdir", &[3]).returns(0),
        "fchdir(3)                               = 0",
    );
    for name in ["chroot", "acct", "swapoff"] {
        let line = format!("{name}(\"/nonexistent\") = -1 ENOENT (No such file or directory)");
        check(
            call(name, &[at(0x180)]).fails(ENOENT).memory(m.clone()),
            &line,
        );
    }
    check(
        call("pivot_root", &[at(0x180), at(0x180)])
            .fails(ENOENT)
            .memory(m),
        "pivot_root(\"/nonexistent\", \"/nonexistent\") = -1 ENOENT (No such file or directory)",
    );
    check(call("sync", &[]).returns(0), "sync() = 0");
    check(call("syncfs", &[3]).returns(0), "syncfs(3) = 0");
    check(call("fdatasync", &[3]).returns(0), "fdatasync(3) = 0");
}

#[test]
fn getdents_counts_entries() {
    // 108 records (`d_reclen` at byte 16) in the 4088 bytes returned.
    let mut buf = Vec::new();
    for k in 0..108u16 {
        let reclen: u16 = if k < 92 { 38 } else { 37 };
        let mut rec = vec![0u8; reclen as usize];
        rec[16..18].copy_from_slice(&reclen.to_ne_bytes());
        buf.extend(rec);
    }
    assert_eq!(buf.len(), 4088);
    check(
        call("getdents", &[3, at(0x3000), 4096])
            .returns(4088)
            .memory(Recorded::default().bytes(at(0x3000), &buf)),
        "getdents(3, 0x10003000 /* 108 entries */, 4096) = 4088",
    );
}

#[test]
fn identity() {
    for name in ["getuid", "geteuid", "getgid", "getegid", "sched_yield"] {
        check(call(name, &[]).returns(0), &format!("{name}() = 0"));
    }
    check(call("gettid", &[]).returns(11364), "gettid() = 11364");
    check(call("getpgrp", &[]).returns(11360), "getpgrp() = 11360");
    check(call("getpgid", &[0]).returns(11360), "getpgid(0) = 11360");
    check(call("getsid", &[0]).returns(24273), "getsid(0) = 24273");
    check(call("setsid", &[]).returns(11364), "setsid() = 11364");
    for name in ["setuid", "setgid", "setfsuid", "setfsgid"] {
        check(call(name, &[0]).returns(0), &format!("{name}(0) = 0"));
    }
    check(
        call("setregid", &[MINUS1, MINUS1]).returns(0),
        "setregid(-1, -1)                        = 0",
    );
    check(
        call("setresgid", &[MINUS1, MINUS1, MINUS1]).returns(0),
        "setresgid(-1, -1, -1)                   = 0",
    );
    check(
        call("getresgid", &[at(0x1000), at(0x1004), at(0x1008)])
            .returns(0)
            .memory(Recorded::default().u32s(at(0x1000), &[0, 0, 0])),
        "getresgid([0], [0], [0])                = 0",
    );
}

#[test]
fn sched_get_priority_min() {
    check(
        call("sched_get_priority_min", &[c(SCHED_RR)]).returns(1),
        "sched_get_priority_min(SCHED_RR)        = 1",
    );
}

#[test]
fn timer_getoverrun() {
    check(
        call("timer_getoverrun", &[7]).fails(EINVAL),
        "timer_getoverrun(7)                     = -1 EINVAL (Invalid argument)",
    );
}

#[test]
fn membarrier() {
    check(
        call("membarrier", &[8, 0, 0]).fails(EPERM),
        "membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0) = -1 EPERM (Operation not permitted)",
    );
}

#[test]
fn uname() {
    let mut u = vec![0u8; 65 * 6];
    u[..5].copy_from_slice(b"Linux");
    u[65..67].copy_from_slice(b"vm");
    check(
        call("uname", &[at(0x2000)])
            .returns(0)
            .memory(Recorded::default().bytes(at(0x2000), &u)),
        "uname({sysname=\"Linux\", nodename=\"vm\", ...}) = 0",
    );
}

#[test]
fn rseq() {
    check(
        call("rseq", &[at(0x4000), 32, 0, 0x53053053]).fails(EINVAL),
        "rseq(0x10004000, 0x20, 0, 0x53053053)   = -1 EINVAL (Invalid argument)",
    );
}

#[test]
fn xattrs_through_links_and_descriptors() {
    let m = Recorded::default()
        .cstr(at(0x200), "/tmp/fx-more")
        .cstr(at(0x280), "user.k")
        .cstr(at(0x300), "value")
        .bytes(at(0x1200), b"user.k\0");
    check(
        call("lsetxattr", &[at(0x200), at(0x280), at(0x300), 5, 0])
            .returns(0)
            .memory(m.clone()),
        "lsetxattr(\"/tmp/fx-more\", \"user.k\", \"value\", 5, 0) = 0",
    );
    check(
        call("fsetxattr", &[4, at(0x280), at(0x300), 5, 2])
            .returns(0)
            .memory(m.clone()),
        "fsetxattr(4, \"user.k\", \"value\", 5, XATTR_REPLACE) = 0",
    );
    check(
        call("lgetxattr", &[at(0x200), at(0x280), at(0x300), 64])
            .returns(5)
            .memory(m.clone()),
        "lgetxattr(\"/tmp/fx-more\", \"user.k\", \"value\", 64) = 5",
    );
    check(
        call("llistxattr", &[at(0x200), at(0x1200), 64])
            .returns(7)
            .memory(m.clone()),
        "llistxattr(\"/tmp/fx-more\", \"user.k\\0\", 64) = 7",
    );
    check(
        call("lremovexattr", &[at(0x200), at(0x280)])
            .returns(0)
            .memory(m),
        "lremovexattr(\"/tmp/fx-more\", \"user.k\")  = 0",
    );
}

/// A failed `readv` shows the buffers' addresses (the x86_64 decoder once showed only the
/// array's).
#[test]
fn readv_failed() {
    check(
        call("readv", &[neg(-1), at(0x1300), 2])
            .fails(EBADF)
            .memory(Recorded::default().u64s(at(0x1300), &[at(0x1400), 3, at(0x1500), 8])),
        "readv(-1, [{iov_base=0x10001400, iov_len=3}, {iov_base=0x10001500, iov_len=8}], 2) = -1 EBADF (Bad file descriptor)",
    );
}

#[test]
fn execveat() {
    let argv = 0x7ffc_0000_1000;
    check(
        call("execveat", &[3, at(0x380), argv, 0, c(AT_SYMLINK_NOFOLLOW)])
            .fails(ENOENT)
            .memory(
                Recorded::default()
                    .cstr(at(0x380), "nonexistent")
                    .u64s(argv, &[argv + 0x100, argv + 0x110, 0])
                    .cstr(argv + 0x100, "prog")
                    .cstr(argv + 0x110, "x"),
            ),
        "execveat(3, \"nonexistent\", [\"prog\", \"x\"], NULL, AT_SYMLINK_NOFOLLOW) = -1 ENOENT (No such file or directory)",
    );
}

/// Interrupted by the signal it waited for, so it returns `?`.
#[test]
fn rt_sigsuspend() {
    check(
        call("rt_sigsuspend", &[at(0x3210), 8])
            .fails(514)
            .memory(Recorded::default().u64s(at(0x3210), &[0])),
        "rt_sigsuspend([], 8)                    = ? ERESTARTNOHAND (To be restarted if no handler)",
    );
}

#[test]
fn getpeername_failed() {
    check(
        call("getpeername", &[5, at(0x4200), at(0x4100)])
            .fails(ENOTCONN)
            .memory(Recorded::default().u32s(at(0x4100), &[110])),
        "getpeername(5, 0x10004200, [110])       = -1 ENOTCONN (Transport endpoint is not connected)",
    );
}

/// The previous persona is named after the return value; `more.strace`, and
/// `proc.strace` for the query (`0xffffffff`).
#[test]
fn personality() {
    check(
        call("personality", &[0]).returns(0),
        "personality(PER_LINUX)                  = 0 (PER_LINUX)",
    );
    check(
        call("personality", &[0xffff_ffff]).returns(0),
        "personality(0xffffffff)                 = 0 (PER_LINUX)",
    );
}

/// A `siginfo_t` without a signal is `{}`.
#[test]
fn rt_sigqueueinfo() {
    check(
        call("rt_sigqueueinfo", &[11364, 0, at(0x3300)])
            .returns(0)
            .memory(Recorded::default().bytes(at(0x3300), &[0; 128])),
        "rt_sigqueueinfo(11364, 0, {})           = 0",
    );
}
