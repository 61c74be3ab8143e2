//! Signal names as strace prints them (`SIGSEGV`, `SIGRTMIN`, `SIGRT_3`): strace-rs's decoders
//! and tracekit's report (a process killed by a signal) spell them the same way.

const NAMES: [&str; 32] = [
    "0",
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
];

/// `SIGSEGV`, `SIGRTMIN`, `SIGRT_3`, or the number for out-of-range values.
pub fn name(sig: i64) -> String {
    match sig {
        1..=31 => NAMES[sig as usize].to_owned(),
        32 => "SIGRTMIN".to_owned(),
        33..=64 => format!("SIGRT_{}", sig - 32),
        _ => sig.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::name;

    #[test]
    fn names_as_strace_spells_them() {
        assert_eq!(name(11), "SIGSEGV");
        assert_eq!(name(31), "SIGSYS");
        assert_eq!(name(32), "SIGRTMIN");
        assert_eq!(name(35), "SIGRT_3");
        assert_eq!(name(0), "0");
        assert_eq!(name(65), "65");
    }
}
