//! Processes, memory, time and limits: lines of `proc.strace` (`strace -o proc.strace
//! ./proc`, from `proc.c`).

use libc::*;

use super::{at, call, check, neg, Recorded};

fn c(v: i32) -> u64 {
    v as u64
}

const MINUS1: u64 = 0xffff_ffff;

#[test]
fn mmap() {
    let flags = c(MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE);
    check(
        call("mmap", &[at(0), 0x10000, c(PROT_READ | PROT_WRITE), flags, neg(-1), 0])
            .returns(at(0) as i64),
        "mmap(0x10000000, 65536, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE, -1, 0) = 0x10000000",
    );
}

#[test]
fn mprotect_and_pkey_mprotect() {
    check(
        call("mprotect", &[at(0x8000), 4096, c(PROT_READ)]).returns(0),
        "mprotect(0x10008000, 4096, PROT_READ)   = 0",
    );
    check(
        call("mprotect", &[at(0x8000), 4096, c(PROT_NONE)]).returns(0),
        "mprotect(0x10008000, 4096, PROT_NONE)   = 0",
    );
    check(
        call(
            "pkey_mprotect",
            &[at(0x8000), 4096, c(PROT_READ | PROT_WRITE), neg(-1)],
        )
        .returns(0),
        "pkey_mprotect(0x10008000, 4096, PROT_READ|PROT_WRITE, -1) = 0",
    );
}

#[test]
fn madvise_msync_mlockall() {
    check(
        call("madvise", &[at(0x8000), 4096, c(MADV_DONTNEED)]).returns(0),
        "madvise(0x10008000, 4096, MADV_DONTNEED) = 0",
    );
    check(
        call("msync", &[at(0), 4096, c(MS_ASYNC)]).returns(0),
        "msync(0x10000000, 4096, MS_ASYNC)       = 0",
    );
    check(
        call("mlockall", &[c(MCL_CURRENT | MCL_FUTURE)]).returns(0),
        "mlockall(MCL_CURRENT|MCL_FUTURE)        = 0",
    );
}

#[test]
fn addr_len() {
    check(
        call("mlock", &[at(0), 4096]).returns(0),
        "mlock(0x10000000, 4096)                 = 0",
    );
    check(
        call("munlock", &[at(0), 4096]).returns(0),
        "munlock(0x10000000, 4096)               = 0",
    );
    check(
        call("munmap", &[0x2000_0000, 8192]).returns(0),
        "munmap(0x20000000, 8192)                = 0",
    );
    check(
        call("set_robust_list", &[0, 0]).fails(EINVAL),
        "set_robust_list(NULL, 0)                = -1 EINVAL (Invalid argument)",
    );
}

#[test]
fn mremap() {
    check(
        call(
            "mremap",
            &[
                at(0x8000),
                4096,
                8192,
                c(MREMAP_MAYMOVE | MREMAP_FIXED),
                0x2000_0000,
            ],
        )
        .returns(0x2000_0000),
        "mremap(0x10008000, 4096, 8192, MREMAP_MAYMOVE|MREMAP_FIXED, 0x20000000) = 0x20000000",
    );
}

#[test]
fn brk() {
    check(
        call("brk", &[0]).returns(0x55af5e1b7000),
        "brk(NULL)                               = 0x55af5e1b7000",
    );
}

#[test]
fn no_arguments() {
    check(
        call("getpid", &[]).returns(11189),
        "getpid()                                = 11189",
    );
    check(
        call("munlockall", &[]).returns(0),
        "munlockall()                            = 0",
    );
}

#[test]
fn one_int_and_one_uint() {
    check(
        call("alarm", &[0]).returns(0),
        "alarm(0)                                = 0",
    );
    check(
        call("timer_delete", &[0]).returns(0),
        "timer_delete(0)                         = 0",
    );
    check(
        call("setpgid", &[0, 0]).returns(0),
        "setpgid(0, 0)                           = 0",
    );
}

#[test]
fn set_ids() {
    check(
        call("setreuid", &[MINUS1, MINUS1]).returns(0),
        "setreuid(-1, -1)                        = 0",
    );
    check(
        call("setresuid", &[MINUS1, MINUS1, MINUS1]).returns(0),
        "setresuid(-1, -1, -1)                   = 0",
    );
}

#[test]
fn getresuid() {
    check(
        call("getresuid", &[at(0x1000), at(0x1004), at(0x1008)])
            .returns(0)
            .memory(Recorded::default().u32s(at(0x1000), &[0, 0, 0])),
        "getresuid([0], [0], [0])                = 0",
    );
}

#[test]
fn getgroups_and_setgroups() {
    check(
        call("getgroups", &[0, 0]).returns(0),
        "getgroups(0, NULL)                      = 0",
    );
    check(
        call("getgroups", &[4, at(0x1000)]).returns(0),
        "getgroups(4, [])                        = 0",
    );
    check(
        call("setgroups", &[0, at(0x1000)]).returns(0),
        "setgroups(0, [])                        = 0",
    );
}

#[test]
fn getpriority_and_setpriority() {
    check(
        call("getpriority", &[c(PRIO_PROCESS as i32), 0]).returns(20),
        "getpriority(PRIO_PROCESS, 0)            = 20",
    );
    check(
        call("setpriority", &[c(PRIO_PROCESS as i32), 0, 0]).returns(0),
        "setpriority(PRIO_PROCESS, 0, 0)         = 0",
    );
}

#[test]
fn getrusage() {
    let mut ru = [0u64; 18];
    ru[1] = 2083;
    check(
        call("getrusage", &[c(RUSAGE_SELF), at(0x2000)])
            .returns(0)
            .memory(Recorded::default().u64s(at(0x2000), &ru)),
        "getrusage(RUSAGE_SELF, {ru_utime={tv_sec=0, tv_usec=2083}, ru_stime={tv_sec=0, tv_usec=0}, ...}) = 0",
    );
    check(
        call("getrusage", &[7, at(0x2000)]).fails(EINVAL),
        "getrusage(0x7 /* RUSAGE_??? */, 0x10002000) = -1 EINVAL (Invalid argument)",
    );
}

#[test]
fn times() {
    check(
        call("times", &[0]).returns(1719078708),
        "times(NULL)                             = 1719078708",
    );
}

#[test]
fn getrlimit_setrlimit_prlimit64() {
    check(
        call("getrlimit", &[c(RLIMIT_NOFILE as i32), at(0x1100)])
            .returns(0)
            .memory(Recorded::default().u64s(at(0x1100), &[20000, 20000])),
        "getrlimit(RLIMIT_NOFILE, {rlim_cur=20000, rlim_max=20000}) = 0",
    );
    let core = Recorded::default()
        .u64s(at(0x1100), &[1024, u64::MAX])
        .u64s(at(0x1200), &[1024, u64::MAX]);
    check(
        call("setrlimit", &[c(RLIMIT_CORE as i32), at(0x1100)])
            .returns(0)
            .memory(core.clone()),
        "setrlimit(RLIMIT_CORE, {rlim_cur=1024, rlim_max=RLIM64_INFINITY}) = 0",
    );
    check(
        call("prlimit64", &[0, c(RLIMIT_CORE as i32), at(0x1100), at(0x1200)])
            .returns(0)
            .memory(core),
        "prlimit64(0, RLIMIT_CORE, {rlim_cur=1024, rlim_max=RLIM64_INFINITY}, {rlim_cur=1024, rlim_max=RLIM64_INFINITY}) = 0",
    );
    check(
        call("prlimit64", &[0, c(RLIMIT_STACK as i32), 0, at(0x1200)])
            .returns(0)
            .memory(Recorded::default().u64s(at(0x1200), &[8192 * 1024, u64::MAX])),
        "prlimit64(0, RLIMIT_STACK, NULL, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}) = 0",
    );
}

#[test]
fn arch_prctl() {
    check(
        call("arch_prctl", &[0x1001, 0]).returns(0),
        "arch_prctl(ARCH_SET_GS, 0)              = 0",
    );
    check(
        call("arch_prctl", &[0x1004, at(0x1300)])
            .returns(0)
            .memory(Recorded::default().u64s(at(0x1300), &[0])),
        "arch_prctl(ARCH_GET_GS, [NULL])         = 0",
    );
    check(
        call("arch_prctl", &[0x1002, 0x7f86f533c740]).returns(0),
        "arch_prctl(ARCH_SET_FS, 0x7f86f533c740) = 0",
    );
}

#[test]
fn prctl() {
    let m = Recorded::default()
        .cstr(at(0x400), "decoders")
        .cstr(at(0x1400), "decoders")
        .u32s(at(0x1500), &[SIGTERM as u32]);
    check(
        call("prctl", &[c(PR_SET_NAME), at(0x400), 0, 0, 0])
            .returns(0)
            .memory(m.clone()),
        "prctl(PR_SET_NAME, \"decoders\")          = 0",
    );
    check(
        call("prctl", &[c(PR_GET_NAME), at(0x1400), 0, 0, 0])
            .returns(0)
            .memory(m.clone()),
        "prctl(PR_GET_NAME, \"decoders\")          = 0",
    );
    check(
        call("prctl", &[c(PR_GET_DUMPABLE), 0, 0, 0, 0]).returns(1),
        "prctl(PR_GET_DUMPABLE)                  = 1 (SUID_DUMP_USER)",
    );
    check(
        call("prctl", &[c(PR_SET_PDEATHSIG), c(SIGTERM), 0, 0, 0]).returns(0),
        "prctl(PR_SET_PDEATHSIG, SIGTERM)        = 0",
    );
    check(
        call("prctl", &[c(PR_GET_PDEATHSIG), at(0x1500), 0, 0, 0])
            .returns(0)
            .memory(m),
        "prctl(PR_GET_PDEATHSIG, [SIGTERM])      = 0",
    );
    check(
        call("prctl", &[c(PR_SET_NO_NEW_PRIVS), 1, 0, 0, 0]).returns(0),
        "prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)  = 0",
    );
    check(
        call("prctl", &[c(PR_CAPBSET_READ), 21, 0, 0, 0]).returns(1),
        "prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN)   = 1",
    );
}

#[test]
fn getrandom() {
    check(
        call("getrandom", &[at(0x1600), 4, c(GRND_NONBLOCK as i32)])
            .returns(4)
            .memory(Recorded::default().bytes(at(0x1600), &[0xd7, 0xa8, 0x9d, 0xe8])),
        "getrandom(\"\\xd7\\xa8\\x9d\\xe8\", 4, GRND_NONBLOCK) = 4",
    );
}

#[test]
fn futex() {
    check(
        call(
            "futex",
            &[at(0x1700), c(FUTEX_WAKE | FUTEX_PRIVATE_FLAG), 1, 0, 0, 0],
        )
        .returns(0),
        "futex(0x10001700, FUTEX_WAKE_PRIVATE, 1) = 0",
    );
    check(
        call("futex", &[at(0x1700), c(FUTEX_WAIT | FUTEX_PRIVATE_FLAG), 1, 0, 0, 0])
            .fails(EAGAIN),
        "futex(0x10001700, FUTEX_WAIT_PRIVATE, 1, NULL) = -1 EAGAIN (Resource temporarily unavailable)",
    );
}

/// `{tv_sec=0, tv_nsec=1000}` at 0x10001800.
fn one_microsecond() -> Recorded {
    Recorded::default().u64s(at(0x1800), &[0, 1000])
}

#[test]
fn nanosleep_and_clock_nanosleep() {
    check(
        call("nanosleep", &[at(0x1800), at(0x1810)])
            .returns(0)
            .memory(one_microsecond()),
        "nanosleep({tv_sec=0, tv_nsec=1000}, 0x10001810) = 0",
    );
    check(
        call("clock_nanosleep", &[c(CLOCK_MONOTONIC), 0, at(0x1800), 0])
            .returns(0)
            .memory(one_microsecond()),
        "clock_nanosleep(CLOCK_MONOTONIC, 0, {tv_sec=0, tv_nsec=1000}, NULL) = 0",
    );
}

#[test]
fn clock_gettime_getres_settime() {
    check(
        call("clock_gettime", &[c(CLOCK_BOOTTIME), at(0x1820)])
            .returns(0)
            .memory(Recorded::default().u64s(at(0x1820), &[11218, 48870649])),
        "clock_gettime(CLOCK_BOOTTIME, {tv_sec=11218, tv_nsec=48870649}) = 0",
    );
    check(
        call("clock_getres", &[c(CLOCK_MONOTONIC), at(0x1820)])
            .returns(0)
            .memory(Recorded::default().u64s(at(0x1820), &[0, 1])),
        "clock_getres(CLOCK_MONOTONIC, {tv_sec=0, tv_nsec=1}) = 0",
    );
    check(
        call("clock_settime", &[c(CLOCK_REALTIME), at(0x1800)])
            .fails(EINVAL)
            .memory(one_microsecond()),
        "clock_settime(CLOCK_REALTIME, {tv_sec=0, tv_nsec=1000}) = -1 EINVAL (Invalid argument)",
    );
}

#[test]
fn gettimeofday() {
    check(
        call("gettimeofday", &[0, 0]).returns(0),
        "gettimeofday(NULL, NULL)                = 0",
    );
}

#[test]
fn sched_affinity() {
    let cpus = Recorded::default().bytes(at(0x1900), &[3, 0, 0, 0, 0, 0, 0, 0]);
    check(
        call("sched_getaffinity", &[0, 8, at(0x1900)])
            .returns(8)
            .memory(cpus.clone()),
        "sched_getaffinity(0, 8, [0 1])          = 8",
    );
    check(
        call("sched_setaffinity", &[0, 8, at(0x1900)])
            .returns(0)
            .memory(cpus),
        "sched_setaffinity(0, 8, [0 1])          = 0",
    );
}

#[test]
fn setitimer_and_getitimer() {
    let zeros = Recorded::default()
        .u64s(at(0x1a00), &[0; 4])
        .u64s(at(0x1a40), &[0; 4]);
    check(
        call("setitimer", &[c(ITIMER_REAL), at(0x1a00), at(0x1a40)])
            .returns(0)
            .memory(zeros.clone()),
        "setitimer(ITIMER_REAL, {it_interval={tv_sec=0, tv_usec=0}, it_value={tv_sec=0, tv_usec=0}}, {it_interval={tv_sec=0, tv_usec=0}, it_value={tv_sec=0, tv_usec=0}}) = 0",
    );
    check(
        call("getitimer", &[c(ITIMER_VIRTUAL), at(0x1a40)])
            .returns(0)
            .memory(zeros),
        "getitimer(ITIMER_VIRTUAL, {it_interval={tv_sec=0, tv_usec=0}, it_value={tv_sec=0, tv_usec=0}}) = 0",
    );
}

#[test]
fn getcpu() {
    check(
        call("getcpu", &[0, 0, 0]).returns(0),
        "getcpu(NULL, NULL, NULL)                = 0",
    );
}

#[test]
fn sched_calls() {
    let param = Recorded::default().u32s(at(0x1b00), &[0]);
    check(
        call("sched_get_priority_max", &[c(SCHED_FIFO)]).returns(99),
        "sched_get_priority_max(SCHED_FIFO)      = 99",
    );
    check(
        call("sched_getscheduler", &[0]).returns(0),
        "sched_getscheduler(0)                   = 0 (SCHED_OTHER)",
    );
    check(
        call("sched_setscheduler", &[0, c(SCHED_OTHER), at(0x1b00)])
            .returns(0)
            .memory(param.clone()),
        "sched_setscheduler(0, SCHED_OTHER, [0]) = 0",
    );
    check(
        call("sched_getparam", &[0, at(0x1b00)])
            .returns(0)
            .memory(param.clone()),
        "sched_getparam(0, [0])                  = 0",
    );
    check(
        call("sched_setparam", &[0, at(0x1b00)])
            .returns(0)
            .memory(param),
        "sched_setparam(0, [0])                  = 0",
    );
}

#[test]
fn ioprio() {
    check(
        call("ioprio_get", &[1, 0]).returns(0),
        "ioprio_get(IOPRIO_WHO_PROCESS, 0)       = 0 (IOPRIO_PRIO_VALUE(IOPRIO_CLASS_NONE, 0))",
    );
    check(
        call("ioprio_set", &[1, 0, 2 << 13 | 4]).returns(0),
        "ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO_PRIO_VALUE(IOPRIO_CLASS_BE, 4)) = 0",
    );
}

#[test]
fn unshare() {
    check(
        call("unshare", &[0]).returns(0),
        "unshare(0)                              = 0",
    );
}

#[test]
fn set_tid_address() {
    check(
        call("set_tid_address", &[at(0x1c00)]).returns(11189),
        "set_tid_address(0x10001c00)             = 11189",
    );
}

#[test]
fn timers() {
    let zeros = Recorded::default()
        .u64s(at(0x1a00), &[0; 4])
        .u64s(at(0x1a40), &[0; 4])
        .u32s(at(0x1d00), &[0]);
    check(
        call("timer_create", &[c(CLOCK_MONOTONIC), 0, at(0x1d00)])
            .returns(0)
            .memory(zeros.clone()),
        "timer_create(CLOCK_MONOTONIC, NULL, [0]) = 0",
    );
    check(
        call("timer_settime", &[0, 0, at(0x1a00), 0])
            .returns(0)
            .memory(zeros.clone()),
        "timer_settime(0, 0, {it_interval={tv_sec=0, tv_nsec=0}, it_value={tv_sec=0, tv_nsec=0}}, NULL) = 0",
    );
    check(
        call("timer_gettime", &[0, at(0x1a40)])
            .returns(0)
            .memory(zeros),
        "timer_gettime(0, {it_interval={tv_sec=0, tv_nsec=0}, it_value={tv_sec=0, tv_nsec=0}}) = 0",
    );
}

#[test]
fn wait4_and_waitid() {
    check(
        call("wait4", &[neg(-1), at(0x1e00), c(WNOHANG), 0]).fails(ECHILD),
        "wait4(-1, 0x10001e00, WNOHANG, NULL)    = -1 ECHILD (No child processes)",
    );
    check(
        call(
            "waitid",
            &[c(P_ALL as i32), 0, at(0x2000), c(WEXITED | WNOHANG), 0],
        )
        .fails(ECHILD),
        "waitid(P_ALL, 0, 0x10002000, WNOHANG|WEXITED, NULL) = -1 ECHILD (No child processes)",
    );
}

#[test]
fn sysinfo() {
    check(
        call("sysinfo", &[0]).fails(EFAULT),
        "sysinfo(NULL)                           = -1 EFAULT (Bad address)",
    );
}

/// `envp` of `count` pointers (their strings are not read without `-v`) at `addr`, with
/// `argv` (`"prog", "x"`) at `addr + 0x1000`.
fn argv_and_envp(addr: u64, count: usize) -> Recorded {
    let mut envp = vec![0x1234u64; count];
    envp.push(0);
    Recorded::default()
        .u64s(addr, &envp)
        .u64s(addr + 0x1000, &[addr + 0x2000, addr + 0x2010, 0])
        .cstr(addr + 0x2000, "prog")
        .cstr(addr + 0x2010, "x")
        .cstr(addr + 0x3000, "/nonexistent/prog")
}

/// `strace -f -o fork.strace ./fork` (fork.c); the line strace split at `<unfinished ...>`
/// joined.
#[test]
fn execve() {
    let envp = 0x7fffd3f20cc8;
    check(
        call("execve", &[envp + 0x3000, envp + 0x1000, envp])
            .fails(ENOENT)
            .memory(argv_and_envp(envp, 35)),
        "execve(\"/nonexistent/prog\", [\"prog\", \"x\"], 0x7fffd3f20cc8 /* 35 vars */) = -1 ENOENT (No such file or directory)",
    );
}

/// `strace -f -o fork.strace ./fork` (fork.c): `fork()` is `clone` with the child's
/// thread id pointer; the line joined from `<unfinished ...>` and `<... clone resumed>`.
#[test]
fn clone() {
    let flags = (CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID | SIGCHLD) as u64;
    check(
        call("clone", &[flags, 0, 0, 0x7fcefefe4a10, 0]).returns(11510),
        "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7fcefefe4a10) = 11510",
    );
}

/// The `struct clone_args` of a glibc thread (`pthread_create`), at `addr`.
pub(super) fn thread_clone_args(
    addr: u64,
    child_tid: u64,
    stack: u64,
    size: u64,
    tls: u64,
) -> Recorded {
    let flags = (CLONE_VM
        | CLONE_FS
        | CLONE_FILES
        | CLONE_SIGHAND
        | CLONE_THREAD
        | CLONE_SYSVSEM
        | CLONE_SETTLS
        | CLONE_PARENT_SETTID
        | CLONE_CHILD_CLEARTID) as u64;
    Recorded::default().u64s(
        addr,
        &[flags, 0, child_tid, child_tid, 0, stack, size, tls, 0, 0, 0],
    )
}

/// `strace -f -o fork.strace ./fork` (fork.c).
#[test]
fn clone3() {
    let args = 0x7ffc31b00000;
    let tid = 0x7fcefefe3990;
    let m = thread_clone_args(args, tid, 0x7fcefe7e3000, 0x7fff80, 0x7fcefefe36c0);
    check(
        call("clone3", &[args, 88])
            .returns(11509)
            .memory(m.clone())
            .exit_memory(m.u32s(tid, &[11509])),
        "clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, child_tid=0x7fcefefe3990, parent_tid=0x7fcefefe3990, exit_signal=0, stack=0x7fcefe7e3000, stack_size=0x7fff80, tls=0x7fcefefe36c0} => {parent_tid=[11509]}, 88) = 11509",
    );
}

/// `strace -f -o fork.strace ./fork` (fork.c), joined from `<unfinished ...>`.
#[test]
fn wait4_child_status() {
    let status = 0x7ffc31b00010;
    check(
        call("wait4", &[11510, status, 0, 0])
            .returns(11510)
            .memory(Recorded::default().u32s(status, &[3 << 8])),
        "wait4(11510, [{WIFEXITED(s) && WEXITSTATUS(s) == 3}], 0, NULL) = 11510",
    );
}

/// `strace -f -o fork.strace ./fork` (fork.c): the call ends the process, so it returns
/// nothing.
#[test]
fn exit_and_exit_group() {
    check(call("exit", &[0]), "exit(0)                           = ?");
    check(
        call("exit_group", &[3]),
        "exit_group(3)                     = ?",
    );
}

/// `strace -f -o fork.strace ./fork` (fork.c): the mask is read from the signal frame at
/// the stack pointer.
#[test]
fn rt_sigreturn() {
    let sp = 0x7ffc31b01000;
    check(
        call("rt_sigreturn", &[])
            .sp(sp)
            .returns(0)
            .memory(Recorded::default().u64s(sp + 296, &[1 << (SIGHUP - 1)])),
        "rt_sigreturn({mask=[HUP]})        = 0",
    );
}

/// `strace -o proc.strace ./proc`, the first line.
#[test]
fn execve_of_the_traced_program() {
    let envp = 0x7ffd1b8db5d0;
    let m = Recorded::default()
        .u64s(envp, &[0x1234; 35])
        .u64s(envp + 35 * 8, &[0])
        .u64s(envp + 0x1000, &[envp + 0x2000, 0])
        .cstr(envp + 0x2000, "./proc");
    check(
        call("execve", &[envp + 0x2000, envp + 0x1000, envp])
            .returns(0)
            .memory(m),
        "execve(\"./proc\", [\"./proc\"], 0x7ffd1b8db5d0 /* 35 vars */) = 0",
    );
}

/// `strace -X verbose -e trace=open,fcntl,mmap -o xverbose.strace ./calls`.
#[test]
fn mmap_with_verbose_constants() {
    let opts = crate::decode::DecodeOpts {
        xlat: crate::text::XlatStyle::Verbose,
        ..Default::default()
    };
    let flags = c(MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE);
    check(
        call("mmap", &[at(0), 0x10000, c(PROT_READ | PROT_WRITE), flags, neg(-1), 0])
            .opts(opts)
            .returns(at(0) as i64),
        "mmap(0x10000000, 65536, 0x3 /* PROT_READ|PROT_WRITE */, 0x100022 /* MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE */, -1, 0) = 0x10000000",
    );
}

/// A query returns the commands supported, named after the return value.
#[test]
fn membarrier_query() {
    check(
        call("membarrier", &[0, 0, 0]).returns(0x3ff),
        "membarrier(MEMBARRIER_CMD_QUERY, 0)     = 0x3ff (MEMBARRIER_CMD_GLOBAL|MEMBARRIER_CMD_GLOBAL_EXPEDITED|MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED|MEMBARRIER_CMD_PRIVATE_EXPEDITED|MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED|MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE|MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE|MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ|MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ|0x200)",
    );
}

/// `strace -o restart.strace sleep 1`, stopped and continued during its sleep: the sleep is
/// interrupted (the time left shown), then resumed by `restart_syscall`.
#[test]
fn interrupted_sleep_and_restart_syscall() {
    check(
        call("clock_nanosleep", &[c(CLOCK_REALTIME), 0, at(0x1800), at(0x1810)])
            .fails(516)
            .memory(
                Recorded::default()
                    .u64s(at(0x1800), &[1, 0])
                    .u64s(at(0x1810), &[0, 759752220]),
            ),
        "clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=1, tv_nsec=0}, {tv_sec=0, tv_nsec=759752220}) = ? ERESTART_RESTARTBLOCK (Interrupted by signal)",
    );
    check(
        call("restart_syscall", &[]).after(230).returns(0),
        "restart_syscall(<... resuming interrupted clock_nanosleep ...>) = 0",
    );
}

/// capget/capset as strace's caps.test expects them (its lines, from caps.awk).
#[test]
fn capget_capset() {
    let v3 = Recorded::default()
        .u32s(at(0), &[0x2008_0522, 0])
        .u32s(at(0x100), &[2 | 4, 8, 0, 1 << 3, 1 << 4, 0]);
    check(
        call("capset", &[at(0), at(0x100)])
            .memory(v3)
            .fails(EPERM),
        "capset({version=_LINUX_CAPABILITY_VERSION_3, pid=0}, {effective=1<<CAP_DAC_OVERRIDE|1<<CAP_DAC_READ_SEARCH|1<<CAP_WAKE_ALARM, permitted=1<<CAP_FOWNER|1<<CAP_BLOCK_SUSPEND, inheritable=0}) = -1 EPERM (Operation not permitted)",
    );
    let odd = Recorded::default().u32s(at(0), &[0xbadc_0ded, 2_718_281_828]);
    check(
        call("capset", &[at(0), at(0x100)])
            .memory(odd)
            .fails(EINVAL),
        "capset({version=0xbadc0ded /* _LINUX_CAPABILITY_VERSION_??? */, pid=-1576685468}, 0x10000100) = -1 EINVAL (Invalid argument)",
    );
    let all = Recorded::default()
        .u32s(at(0), &[0x2008_0522, 0])
        .u32s(at(0x100), &[0, 0, 0, u32::MAX, 0, 0]);
    check(
        call("capget", &[at(0), at(0x100)])
            .memory(all)
            .returns(0),
        "capget({version=_LINUX_CAPABILITY_VERSION_3, pid=0}, {effective=1<<CAP_MAC_OVERRIDE|1<<CAP_MAC_ADMIN|1<<CAP_SYSLOG|1<<CAP_WAKE_ALARM|1<<CAP_BLOCK_SUSPEND|1<<CAP_AUDIT_READ|1<<CAP_PERFMON|1<<CAP_BPF|1<<CAP_CHECKPOINT_RESTORE|0xfffffe00, permitted=0, inheritable=0}) = 0",
    );
}
