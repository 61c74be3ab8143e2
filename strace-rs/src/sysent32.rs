//! The i386 system call names (for `int $0x80` calls and 32-bit tracees), and which of them
//! the x86_64 decoders can print correctly (integer, descriptor and byte-buffer arguments
//! only; 32-bit structure layouts are not decoded).

const NAMES: &str = "restart_syscall exit fork read write open close waitpid creat link unlink execve chdir time mknod chmod lchown break oldstat lseek getpid mount umount setuid getuid stime ptrace alarm oldfstat pause utime stty gtty access nice ftime sync kill rename mkdir rmdir dup pipe times prof brk setgid getgid signal geteuid getegid acct umount2 lock ioctl fcntl mpx setpgid ulimit oldolduname umask chroot ustat dup2 getppid getpgrp setsid sigaction sgetmask ssetmask setreuid setregid sigsuspend sigpending sethostname setrlimit getrlimit getrusage gettimeofday settimeofday getgroups setgroups select symlink oldlstat readlink uselib swapon reboot readdir mmap munmap truncate ftruncate fchmod fchown getpriority setpriority profil statfs fstatfs ioperm socketcall syslog setitimer getitimer stat lstat fstat olduname iopl vhangup idle vm86old wait4 swapoff sysinfo ipc fsync sigreturn clone setdomainname uname modify_ldt adjtimex mprotect sigprocmask create_module init_module delete_module get_kernel_syms quotactl getpgid fchdir bdflush sysfs personality afs_syscall setfsuid setfsgid _llseek getdents _newselect flock msync readv writev getsid fdatasync _sysctl mlock munlock mlockall munlockall sched_setparam sched_getparam sched_setscheduler sched_getscheduler sched_yield sched_get_priority_max sched_get_priority_min sched_rr_get_interval nanosleep mremap setresuid getresuid vm86 query_module poll nfsservctl setresgid getresgid prctl rt_sigreturn rt_sigaction rt_sigprocmask rt_sigpending rt_sigtimedwait rt_sigqueueinfo rt_sigsuspend pread64 pwrite64 chown getcwd capget capset sigaltstack sendfile getpmsg putpmsg vfork ugetrlimit mmap2 truncate64 ftruncate64 stat64 lstat64 fstat64 lchown32 getuid32 getgid32 geteuid32 getegid32 setreuid32 setregid32 getgroups32 setgroups32 fchown32 setresuid32 getresuid32 setresgid32 getresgid32 chown32 setuid32 setgid32 setfsuid32 setfsgid32 pivot_root mincore madvise getdents64 fcntl64";

/// The i386 name of `nr`.
pub fn name(nr: u64) -> String {
    let extra = match nr {
        224 => Some("gettid"),
        243 => Some("set_thread_area"),
        252 => Some("exit_group"),
        258 => Some("set_tid_address"),
        265 => Some("clock_gettime"),
        295 => Some("openat"),
        311 => Some("set_robust_list"),
        355 => Some("getrandom"),
        384 => Some("arch_prctl"),
        386 => Some("rseq"),
        _ => None,
    };
    if let Some(n) = extra {
        return n.to_owned();
    }
    match NAMES.split(' ').nth(nr as usize) {
        Some(n) => n.to_owned(),
        None => format!("syscall_{nr:#x}"),
    }
}

/// True when the x86_64 decoder of `name` prints the i386 call correctly.
pub fn decodable(name: &str) -> bool {
    matches!(
        name,
        "read"
            | "write"
            | "open"
            | "close"
            | "creat"
            | "link"
            | "unlink"
            | "chdir"
            | "chmod"
            | "getpid"
            | "access"
            | "kill"
            | "rename"
            | "mkdir"
            | "rmdir"
            | "dup"
            | "dup2"
            | "brk"
            | "exit"
            | "exit_group"
            | "getuid"
            | "getgid"
            | "geteuid"
            | "getegid"
            | "umask"
            | "chroot"
            | "setuid"
            | "setgid"
            | "fsync"
            | "fchdir"
            | "fchmod"
            | "getppid"
            | "getpgrp"
            | "setsid"
            | "gettid"
            | "sched_yield"
            | "pause"
            | "alarm"
            | "sync"
            | "symlink"
            | "readlink"
            | "pipe"
            | "openat"
            | "fork"
            | "vfork"
            | "getuid32"
            | "getgid32"
            | "geteuid32"
            | "getegid32"
    )
}

/// Number of arguments printed raw for undecoded i386 calls.
pub const RAW_ARGS: usize = 6;

#[cfg(test)]
mod tests {
    #[test]
    fn numbers() {
        assert_eq!(super::name(4), "write");
        assert_eq!(super::name(20), "getpid");
        assert_eq!(super::name(45), "brk");
        assert_eq!(super::name(102), "socketcall");
        assert_eq!(super::name(192), "mmap2");
        assert_eq!(super::name(221), "fcntl64");
        assert_eq!(super::name(252), "exit_group");
    }
}
