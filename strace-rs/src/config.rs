//! The tracer's configuration: what the command line asked for, already validated.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::decode::DecodeOpts;
use crate::summary::SortBy;

/// A set of syscall numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyscallSet {
    bits: Vec<bool>,
}

impl SyscallSet {
    /// Every syscall (or none).
    pub fn all(on: bool) -> SyscallSet {
        SyscallSet {
            bits: vec![on; crate::sysent::max_nr().max(512)],
        }
    }

    /// True when `nr` is in the set (numbers beyond the table count as "all" members when
    /// the set was built from `all`).
    pub fn contains(&self, nr: u64) -> bool {
        self.bits
            .get(nr as usize)
            .copied()
            .unwrap_or_else(|| self.bits.last().copied().unwrap_or(false))
    }

    /// Adds or removes `nr`.
    pub fn set(&mut self, nr: u32, on: bool) {
        if let Some(b) = self.bits.get_mut(nr as usize) {
            *b = on;
        }
    }

    /// True when every known syscall is in the set.
    pub fn is_all(&self) -> bool {
        crate::sysent::table()
            .iter()
            .flatten()
            .all(|s| self.contains(s.nr as u64))
    }

    /// The known syscall numbers in the set.
    pub fn numbers(&self) -> Vec<u32> {
        crate::sysent::table()
            .iter()
            .flatten()
            .filter(|s| self.contains(s.nr as u64))
            .map(|s| s.nr)
            .collect()
    }
}

/// What `--summary-by` groups the `-c` table by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SummaryBy {
    /// Thread id.
    Tid,
    /// Process id.
    Pid,
    /// The descriptor a call works on (its first descriptor argument).
    Fd,
    /// The file a call works on: its path argument, or the path of its descriptor.
    Path,
}

/// A set of non-negative numbers as strace's `qualify_tokens` builds it (`-e trace-fds=`):
/// the numbers listed, or all but them (`!`, `all`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NumberSet {
    /// The numbers named.
    pub numbers: Vec<u32>,
    /// The set is every number except those named.
    pub inverted: bool,
}

impl NumberSet {
    /// True when `n` is in the set.
    pub fn contains(&self, n: i64) -> bool {
        n >= 0 && u32::try_from(n).is_ok_and(|n| self.numbers.contains(&n)) != self.inverted
    }
}

/// `-I`: when fatal signals (SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTERM) may stop the tracer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Interruptible {
    /// `-I 1`/`anywhere`: none is caught; the signal's default action kills the tracer
    /// (the kernel detaches the tracees).
    Anywhere,
    /// `-I 2`/`waiting` (the default): the tracer detaches and ends between two stops.
    #[default]
    Waiting,
    /// `-I 3`/`never`: ignored (the default for `-o FILE PROG`).
    Never,
    /// `-I 4`/`never_tstp`: ignored, and SIGTSTP too (the default for `-D`).
    NeverTstp,
}

/// Which return statuses are printed (`-e status=`, `-z`, `-Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusSet {
    /// Returned without error.
    pub successful: bool,
    /// Returned an error.
    pub failed: bool,
    /// Never returned (`= ?`).
    pub unfinished: bool,
    /// Return value not available.
    pub unavailable: bool,
    /// The tracer detached.
    pub detached: bool,
}

impl StatusSet {
    /// All statuses (the default: no filtering, no staging).
    pub const ALL: StatusSet = StatusSet {
        successful: true,
        failed: true,
        unfinished: true,
        unavailable: true,
        detached: true,
    };

    /// True when every status is printed.
    pub fn is_all(&self) -> bool {
        *self == StatusSet::ALL
    }
}

/// What an injection does to a call's return (strace's `error=`/`retval=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InjectReturn {
    /// Fail with this errno (1..=4095).
    Error(u16),
    /// Return this value (the call does not run).
    Retval(u64),
}

/// One `poke_enter=`/`poke_exit=` item: bytes written where argument `arg` points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Poke {
    /// The argument (1..=7) holding the address.
    pub arg: u8,
    /// The bytes.
    pub data: Vec<u8>,
}

/// `when=`'s "no last call" (strace's `INJECT_LAST_INF`).
pub const INJECT_LAST_INF: u16 = u16::MAX;

/// One `-e inject=`/`-e fault=` rule, as strace's `inject_opts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectRule {
    /// Syscalls it applies to.
    pub syscalls: SyscallSet,
    /// The call (1-based, per thread and system call) of the first injection.
    pub first: u16,
    /// The last call injected into, counted from the first call ([`INJECT_LAST_INF`]: none).
    pub last: u16,
    /// Calls between two injections after the first (0: only the first).
    pub step: u16,
    /// `error=`/`retval=`.
    pub ret: Option<InjectReturn>,
    /// `signal=`: delivered when the call is entered.
    pub signal: Option<u32>,
    /// `syscall=`: the (pure) call run instead of the injected one.
    pub syscall: Option<u32>,
    /// `poke_enter=`.
    pub poke_enter: Vec<Poke>,
    /// `poke_exit=`.
    pub poke_exit: Vec<Poke>,
    /// `delay_enter=`.
    pub delay_enter: Option<std::time::Duration>,
    /// `delay_exit=`.
    pub delay_exit: Option<std::time::Duration>,
}

/// `-t`/`--absolute-timestamps`: the format of the time printed before each line, and its
/// precision in decimal digits after the second (0, 3, 6 or 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Timestamps {
    /// None.
    #[default]
    None,
    /// `-t` (`HH:MM:SS`, 0 digits), `-tt` (`HH:MM:SS.uuuuuu`, 6).
    Time(u8),
    /// `-ttt`: seconds since the epoch (6 digits).
    Unix(u8),
}

/// `-c`/`-C`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SummaryMode {
    /// No summary.
    #[default]
    None,
    /// `-c`: only the summary.
    Only,
    /// `-C`: trace and summary.
    Also,
}

/// Messages `-q`/`-e quiet=` suppress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Quiet {
    /// "Process N attached/detached".
    pub attach: bool,
    /// "+++ exited with N +++" and "+++ killed by ... +++".
    pub exit: bool,
    /// "+++ superseded by execve ... +++".
    pub thread_execve: bool,
    /// "[ Process PID=N runs in 32 bit mode. ]".
    pub personality: bool,
    /// "Requested path '...' resolved into '...'" (`-P`).
    pub path_resolution: bool,
}

/// Everything the tracer needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    /// The command to start (empty with only `-p`).
    pub command: Vec<OsString>,
    /// Processes to attach to.
    pub attach: Vec<i32>,
    /// `-f`.
    pub follow_forks: bool,
    /// `-ff` with `-o`: one file per process.
    pub output_separately: bool,
    /// `-o FILE`.
    pub output: Option<PathBuf>,
    /// `-A`: append to the output file.
    pub append: bool,
    /// `-c`/`-C`.
    pub summary: SummaryMode,
    /// `-w`: summarise wall-clock latency instead of system time.
    pub wallclock: bool,
    /// `-S`.
    pub sort_by: SortBy,
    /// Syscalls traced (`-e trace=`).
    pub trace: SyscallSet,
    /// True when `-e trace=` narrowed the set.
    pub trace_filtered: bool,
    /// `-P`: only calls touching these paths are traced (each as given and resolved).
    pub trace_paths: Vec<Vec<u8>>,
    /// Syscalls printed undecoded (`-e raw=`).
    pub raw: SyscallSet,
    /// Signals printed (bit `n-1` for signal `n`).
    pub signals: u64,
    /// Statuses printed.
    pub status: StatusSet,
    /// Descriptors whose reads are dumped (`-e read=`).
    pub read_fds: Vec<i32>,
    /// Descriptors whose writes are dumped (`-e write=`).
    pub write_fds: Vec<i32>,
    /// `-e read=all`, or `-e read=!N,...`: every descriptor but those in `read_fds`.
    pub read_all: bool,
    /// `-e write=all`, or `-e write=!N,...`: every descriptor but those in `write_fds`.
    pub write_all: bool,
    /// `-e inject=`.
    pub inject: Vec<InjectRule>,
    /// `-e abbrev=`: calls whose arrays and environment are abbreviated (all; none with -v).
    pub abbrev: SyscallSet,
    /// `-e verbose=`: calls whose structures are decoded (all by default).
    pub verbose_set: SyscallSet,
    /// Argument printing.
    pub decode: DecodeOpts,
    /// `-t`, `-tt`, `-ttt`.
    pub timestamps: Timestamps,
    /// `-T`.
    pub syscall_times: bool,
    /// `--syscall-times=`'s precision: digits after the second (0, 3, 6, 9).
    pub syscall_times_digits: u8,
    /// `-r`.
    pub relative: bool,
    /// `--relative-timestamps=`'s precision: digits after the second (0, 3, 6, 9).
    pub relative_digits: u8,
    /// `-i`.
    pub instruction_pointer: bool,
    /// `-d`: strace's debug messages (only "invalid syscall" so far).
    pub debug: bool,
    /// `-n`.
    pub syscall_number: bool,
    /// `-k`.
    pub stack_trace: bool,
    /// `-q`...
    pub quiet: Quiet,
    /// `-a`.
    pub acolumn: usize,
    /// `-E`: `(name, Some(value))` sets, `(name, None)` removes.
    pub env: Vec<(String, Option<String>)>,
    /// `-u`: `(uid, gid)`.
    pub user: Option<(u32, u32)>,
    /// Use a seccomp-bpf filter when the trace set allows it.
    pub seccomp: bool,
    /// `--seccomp-bpf` was given explicitly.
    pub seccomp_explicit: bool,
    /// `--log FILE`: the common event log.
    pub log: Option<PathBuf>,
    /// `--kill-on-exit`.
    pub kill_on_exit: bool,
    /// `--output-format=json`: one JSON object per event (`tracekit_log::strace`).
    pub json: bool,
    /// `--json-output FILE`: the JSON events also go to FILE, the text output stays as it is
    /// (one run gives both: `tracekit dump --strace-text FILE` equals the text).
    pub json_output: Option<PathBuf>,
    /// `-O`: subtracted from each call's time in the summary (ns).
    pub overhead_ns: u64,
    /// `--argv0`: the started command's `argv[0]`.
    pub argv0: Option<OsString>,
    /// `--wait-spin`: how the tracer waits for the next stop.
    pub wait_spin: tracekit_ptrace::Spin,
    /// `-b execve`: detach from a process when it calls execve.
    pub detach_on_execve: bool,
    /// `--summary-by`: one summary per thread or process.
    pub summary_by: Option<SummaryBy>,
    /// `-U`: the summary's columns.
    pub summary_columns: Vec<crate::summary::Column>,
    /// `-e trace-fds=`: only calls on these descriptors (with `-P`: or on those paths).
    pub trace_fds: Option<NumberSet>,
    /// `-I`.
    pub interruptible: Interruptible,
    /// `-D` (1), `-DD` (2: in a new process group), `-DDD` (3: in a new session): the
    /// tracer runs as a detached grandchild of the traced command, 0 when not.
    pub daemonize: u8,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            command: Vec::new(),
            attach: Vec::new(),
            follow_forks: false,
            output_separately: false,
            output: None,
            append: false,
            summary: SummaryMode::None,
            wallclock: false,
            sort_by: SortBy::Time,
            trace: SyscallSet::all(true),
            trace_filtered: false,
            trace_paths: Vec::new(),
            raw: SyscallSet::all(false),
            signals: u64::MAX,
            status: StatusSet::ALL,
            read_fds: Vec::new(),
            write_fds: Vec::new(),
            read_all: false,
            write_all: false,
            inject: Vec::new(),
            abbrev: SyscallSet::all(true),
            verbose_set: SyscallSet::all(true),
            decode: DecodeOpts::default(),
            timestamps: Timestamps::None,
            syscall_times: false,
            syscall_times_digits: 6,
            debug: false,
            relative_digits: 6,
            relative: false,
            instruction_pointer: false,
            syscall_number: false,
            stack_trace: false,
            quiet: Quiet::default(),
            acolumn: 40,
            env: Vec::new(),
            user: None,
            seccomp: true,
            seccomp_explicit: false,
            log: None,
            kill_on_exit: false,
            json: false,
            json_output: None,
            summary_by: None,
            detach_on_execve: false,
            overhead_ns: 0,
            argv0: None,
            wait_spin: tracekit_ptrace::Spin::Auto,
            summary_columns: crate::summary::Column::DEFAULT.to_vec(),
            trace_fds: None,
            interruptible: Interruptible::Waiting,
            daemonize: 0,
        }
    }
}
