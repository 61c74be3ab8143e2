//! The i386 decoders: lines of `m32.strace` (`strace -o m32.strace ./m32`, from `m32.c`
//! built with `gcc -m32`), and of the 32-bit program of the end-to-end tests
//! (`tests/tests/strace.rs`'s `M32_SOURCE`, `strace -f -o m32e2e.strace ./m32e2e DIR`).
//! Arguments are as the tracer sees an i386 call's registers: 32 bits, zero-extended.

use libc::*;

use super::{at, call32, check, Recorded};

fn c(v: i32) -> u64 {
    u64::from(v as u32)
}

const MINUS1: u64 = 0xffff_ffff;

#[test]
fn mmap2() {
    let flags = c(MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE);
    check(
        call32("mmap2", &[at(0), 0x10000, c(PROT_READ | PROT_WRITE), flags, MINUS1, 0])
            .returns(at(0) as i64),
        "mmap2(0x10000000, 65536, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE, -1, 0) = 0x10000000",
    );
}

#[test]
fn pread64_and_pwrite64_join_the_offset_halves() {
    check(
        call32("pwrite64", &[3, at(0x300), 5, 0, 0])
            .returns(5)
            .memory(Recorded::default().cstr(at(0x300), "HELLO")),
        "pwrite64(3, \"HELLO\", 5, 0)              = 5",
    );
    check(
        call32("pread64", &[3, at(0x1000), 5, 7, 0])
            .returns(5)
            .memory(Recorded::default().bytes(at(0x1000), b"i386 ")),
        "pread64(3, \"i386 \", 5, 7)               = 5",
    );
}

#[test]
fn lseek_and_llseek() {
    check(
        call32("lseek", &[3, c(-3), c(SEEK_END)]).returns(18),
        "lseek(3, -3, SEEK_END)                  = 18",
    );
    check(
        call32("_llseek", &[3, 0, 2, at(0x1100), c(SEEK_SET)])
            .returns(0)
            .memory(Recorded::default().u64s(at(0x1100), &[2])),
        "_llseek(3, 2, [2], SEEK_SET)            = 0",
    );
}

/// An i386 `struct stat64` of a regular file: mode at byte 16, size at 44.
fn stat64(mode: u32, size: u64) -> Vec<u8> {
    let mut b = vec![0u8; 96];
    b[16..20].copy_from_slice(&mode.to_ne_bytes());
    b[44..52].copy_from_slice(&size.to_ne_bytes());
    b
}

#[test]
fn stat64_lstat64_fstat64_fstatat64() {
    let m = Recorded::default()
        .cstr(at(0x100), "/tmp/fx-m32")
        .cstr(at(0x400), "/nonexistent")
        .bytes(at(0x2000), &stat64(S_IFREG | 0o644, 21));
    check(
        call32("stat64", &[at(0x100), at(0x2000)])
            .returns(0)
            .memory(m.clone()),
        "stat64(\"/tmp/fx-m32\", {st_mode=S_IFREG|0644, st_size=21, ...}) = 0",
    );
    check(
        call32("lstat64", &[at(0x400), at(0x2000)])
            .fails(ENOENT)
            .memory(m.clone()),
        "lstat64(\"/nonexistent\", 0x10002000)     = -1 ENOENT (No such file or directory)",
    );
    check(
        call32("fstat64", &[3, at(0x2000)])
            .returns(0)
            .memory(m.clone()),
        "fstat64(3, {st_mode=S_IFREG|0644, st_size=21, ...}) = 0",
    );
    check(
        call32(
            "fstatat64",
            &[c(AT_FDCWD), at(0x100), at(0x2000), c(AT_SYMLINK_NOFOLLOW)],
        )
        .returns(0)
        .memory(m),
        "fstatat64(AT_FDCWD, \"/tmp/fx-m32\", {st_mode=S_IFREG|0644, st_size=21, ...}, AT_SYMLINK_NOFOLLOW) = 0",
    );
}

/// The 32-bit `iovec`s of `m32.c`: two written ("ab", "cdefg") at 0x10001200, two read
/// into at 0x10001210.
fn iovecs() -> Recorded {
    Recorded::default()
        .u32s(at(0x1200), &[at(0x500) as u32, 2, at(0x580) as u32, 5])
        .u32s(at(0x1210), &[at(0x1400) as u32, 3, at(0x1500) as u32, 8])
        .cstr(at(0x500), "ab")
        .cstr(at(0x580), "cdefg")
}

#[test]
fn writev() {
    check(
        call32("writev", &[3, at(0x1200), 2])
            .returns(7)
            .memory(iovecs()),
        "writev(3, [{iov_base=\"ab\", iov_len=2}, {iov_base=\"cdefg\", iov_len=5}], 2) = 7",
    );
}

#[test]
fn readv() {
    let filled = iovecs()
        .bytes(at(0x1400), b"HEa")
        .bytes(at(0x1500), b"bcdefg86");
    check(
        call32("readv", &[3, at(0x1210), 2])
            .returns(11)
            .memory(filled),
        "readv(3, [{iov_base=\"HEa\", iov_len=3}, {iov_base=\"bcdefg86\", iov_len=8}], 2) = 11",
    );
    check(
        call32("readv", &[MINUS1, at(0x1210), 2])
            .fails(EBADF)
            .memory(iovecs()),
        "readv(-1, [{iov_base=0x10001400, iov_len=3}, {iov_base=0x10001500, iov_len=8}], 2) = -1 EBADF (Bad file descriptor)",
    );
}

#[test]
fn fcntl64() {
    check(
        call32("fcntl64", &[3, c(F_GETFL)]).returns(2),
        "fcntl64(3, F_GETFL)                     = 0x2 (flags O_RDWR)",
    );
}

#[test]
fn getrusage() {
    check(
        call32("getrusage", &[c(RUSAGE_CHILDREN), at(0x2000)])
            .returns(0)
            .memory(Recorded::default().u32s(at(0x2000), &[0; 18])),
        "getrusage(RUSAGE_CHILDREN, {ru_utime={tv_sec=0, tv_usec=0}, ru_stime={tv_sec=0, tv_usec=0}, ...}) = 0",
    );
}

#[test]
fn times() {
    check(
        call32("times", &[at(0x2000)])
            .returns(1719078709)
            .memory(Recorded::default().u32s(at(0x2000), &[0; 4])),
        "times({tms_utime=0, tms_stime=0, tms_cutime=0, tms_cstime=0}) = 1719078709",
    );
}

#[test]
fn ugetrlimit_and_getrlimit() {
    check(
        call32("ugetrlimit", &[c(RLIMIT_STACK as i32), at(0x1700)])
            .returns(0)
            .memory(Recorded::default().u32s(at(0x1700), &[8192 * 1024, u32::MAX])),
        "ugetrlimit(RLIMIT_STACK, {rlim_cur=8192*1024, rlim_max=RLIM_INFINITY}) = 0",
    );
    check(
        call32("getrlimit", &[c(RLIMIT_NOFILE as i32), 0]).fails(EFAULT),
        "getrlimit(RLIMIT_NOFILE, NULL)          = -1 EFAULT (Bad address)",
    );
}

#[test]
fn wait4() {
    check(
        call32("wait4", &[MINUS1, at(0x1800), c(WNOHANG), at(0x2000)]).fails(ECHILD),
        "wait4(-1, 0x10001800, WNOHANG, 0x10002000) = -1 ECHILD (No child processes)",
    );
}

#[test]
fn futex() {
    check(
        call32(
            "futex",
            &[at(0x1900), c(FUTEX_WAKE | FUTEX_PRIVATE_FLAG), 1, 0, 0, 0],
        )
        .returns(0),
        "futex(0x10001900, FUTEX_WAKE_PRIVATE, 1) = 0",
    );
}

/// A 32-bit `{tv_sec=0, tv_nsec=1000}` at 0x10001a00.
fn one_microsecond() -> Recorded {
    Recorded::default().u32s(at(0x1a00), &[0, 1000])
}

#[test]
fn nanosleep_and_clock_nanosleep() {
    check(
        call32("nanosleep", &[at(0x1a00), at(0x1a10)])
            .returns(0)
            .memory(one_microsecond()),
        "nanosleep({tv_sec=0, tv_nsec=1000}, 0x10001a10) = 0",
    );
    check(
        call32("clock_nanosleep", &[c(CLOCK_MONOTONIC), 0, at(0x1a00), 0])
            .returns(0)
            .memory(one_microsecond()),
        "clock_nanosleep(CLOCK_MONOTONIC, 0, {tv_sec=0, tv_nsec=1000}, NULL) = 0",
    );
}

#[test]
fn clock_gettime_and_getres() {
    check(
        call32("clock_gettime", &[c(CLOCK_REALTIME), 0]).fails(EFAULT),
        "clock_gettime(CLOCK_REALTIME, NULL)     = -1 EFAULT (Bad address)",
    );
    check(
        call32("clock_getres", &[c(CLOCK_MONOTONIC), at(0x1a20)])
            .returns(0)
            .memory(Recorded::default().u32s(at(0x1a20), &[0, 1])),
        "clock_getres(CLOCK_MONOTONIC, {tv_sec=0, tv_nsec=1}) = 0",
    );
}

#[test]
fn gettimeofday() {
    check(
        call32("gettimeofday", &[0, 0]).returns(0),
        "gettimeofday(NULL, NULL)                = 0",
    );
}

#[test]
fn rt_sigaction() {
    // handler, flags, restorer, mask (two words).
    let m = Recorded::default()
        .u32s(at(0x3000), &[1, 0, 0, 0, 0])
        .u32s(at(0x3100), &[0; 5]);
    check(
        call32("rt_sigaction", &[c(SIGUSR1), at(0x3000), at(0x3100), 8])
            .returns(0)
            .memory(m),
        "rt_sigaction(SIGUSR1, {sa_handler=SIG_IGN, sa_mask=[], sa_flags=0}, {sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}, 8) = 0",
    );
}

#[test]
fn execve() {
    check(
        call32("execve", &[at(0x600), 0, 0])
            .fails(ENOENT)
            .memory(Recorded::default().cstr(at(0x600), "/nonexistent")),
        "execve(\"/nonexistent\", NULL, NULL)      = -1 ENOENT (No such file or directory)",
    );
    // m32e2e: argv and envp are arrays of 32-bit pointers.
    let envp = 0xffba43d0;
    let mut env = vec![0x1234u32; 35];
    env.push(0);
    let m = Recorded::default()
        .u32s(envp, &env)
        .u32s(
            envp + 0x1000,
            &[envp as u32 + 0x2000, envp as u32 + 0x2010, 0],
        )
        .cstr(envp + 0x2000, "prog")
        .cstr(envp + 0x2010, "x")
        .cstr(envp + 0x3000, "/nonexistent/prog");
    check(
        call32("execve", &[envp + 0x3000, envp + 0x1000, envp])
            .fails(ENOENT)
            .memory(m),
        "execve(\"/nonexistent/prog\", [\"prog\", \"x\"], 0xffba43d0 /* 35 vars */) = -1 ENOENT (No such file or directory)",
    );
}

/// The `user_desc` glibc gives a thread: `entry`, `base`, a 4 GiB limit in pages, 32-bit,
/// usable.
fn user_desc(entry: u32, base: u32) -> [u32; 4] {
    [entry, base, 0xfffff, 1 | 1 << 4 | 1 << 6]
}

/// m32e2e: the kernel picks the entry and writes it back.
#[test]
fn set_thread_area() {
    let desc = 0xffba4000;
    check(
        call32("set_thread_area", &[desc])
            .returns(0)
            .memory(Recorded::default().u32s(desc, &user_desc(u32::MAX, 0xf7f58580)))
            .exit_memory(Recorded::default().u32s(desc, &user_desc(12, 0xf7f58580))),
        "set_thread_area({entry_number=-1, base_addr=0xf7f58580, limit=0x0fffff, seg_32bit=1, contents=0, read_exec_only=0, limit_in_pages=1, seg_not_present=0, useable=1}) = 0 (entry_number=12)",
    );
}

/// m32e2e (`fork()`): i386 passes the TLS before the child's thread id pointer.
#[test]
fn clone() {
    let flags = (CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | SIGCHLD) as u64;
    check(
        call32("clone", &[flags, 0, 0, 0, 0xf7f585e8]).returns(11089),
        "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0xf7f585e8) = 11089",
    );
}

/// m32e2e (`pthread_create`): the TLS is a `user_desc`.
#[test]
fn clone3() {
    let (args, tid, tls) = (0xffba4100, 0xf7d24ba8, 0xf7d24b00);
    let m = super::process::thread_clone_args(args, tid, 0xf7524000, 0x800440, tls)
        .u32s(tls, &user_desc(12, 0xf7d24b40));
    check(
        call32("clone3", &[args, 88])
            .returns(11088)
            .memory(m.clone())
            .exit_memory(m.u32s(tid, &[11088])),
        "clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, child_tid=0xf7d24ba8, parent_tid=0xf7d24ba8, exit_signal=0, stack=0xf7524000, stack_size=0x800440, tls={entry_number=12, base_addr=0xf7d24b40, limit=0x0fffff, seg_32bit=1, contents=0, read_exec_only=0, limit_in_pages=1, seg_not_present=0, useable=1}} => {parent_tid=[11088]}, 88) = 11088",
    );
}

/// m32e2e: the mask of a handler without `SA_SIGINFO` (`sigreturn`, signals 1-32 in the
/// `sigcontext`, 33-64 after the FPU state) and with it (`rt_sigreturn`, the ucontext).
#[test]
fn sigreturn_and_rt_sigreturn() {
    let sp = 0xffba5000;
    check(
        call32("sigreturn", &[]).sp(sp).returns(0).memory(
            Recorded::default()
                .u32s(sp + 80, &[1 << (SIGHUP - 1)])
                .u32s(sp + 88 + 624, &[1 << (36 - 33)]),
        ),
        "sigreturn({mask=[HUP RT_4]})      = 0",
    );
    check(
        call32("rt_sigreturn", &[])
            .sp(sp)
            .returns(0)
            .memory(Recorded::default().u64s(sp + 248, &[1 << (SIGHUP - 1) | 1 << 35])),
        "rt_sigreturn({mask=[HUP RT_4]})   = 0",
    );
}

/// m32e2e: i386 glibc sends on a socket with `socketcall(SYS_SENDTO, args)`; strace shows
/// the subcall with the arguments read from the array.
#[test]
fn socketcall_is_shown_as_its_subcall() {
    let (array, dgram, sin) = (0xffba4200u64, 0xffba4300u64, 0xffba4400u64);
    let mut addr = vec![0u8; 16];
    addr[0..2].copy_from_slice(&(AF_INET as u16).to_ne_bytes());
    addr[2..4].copy_from_slice(&54080u16.to_be_bytes());
    addr[4..8].copy_from_slice(&[127, 0, 0, 1]);
    let m = Recorded::default()
        .u32s(array, &[5, dgram as u32, 5, 0, sin as u32, 16])
        .cstr(dgram, "dgram")
        .bytes(sin, &addr);
    let (nr, args) = crate::sysent32::subcall(&m, 102, [11, array, 0, 0, 0, 0]);
    assert_eq!(crate::sysent32::name(nr), "sendto");
    check(
        call32("sendto", &args).returns(5).memory(m),
        "sendto(5, \"dgram\", 5, 0, {sa_family=AF_INET, sin_port=htons(54080), sin_addr=inet_addr(\"127.0.0.1\")}, 16) = 5",
    );
}
