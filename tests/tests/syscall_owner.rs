//! The preload libraries make system calls only through their one owner,
//! `crates/preload-sys`: no `libc::syscall`, no `syscall` instruction, and no libc wrapper of a
//! system call anywhere else in the preload crates' code (their unit tests aside). The
//! naked-function trampolines, the unwinder's register capture and the `no_std` entry glue
//! are assembly but make no system call, and stay where they are.

use std::path::{Path, PathBuf};

/// Crates whose code is loaded into traced programs, apart from the owner itself.
const PRELOAD_CRATES: &[&str] = &[
    "crates/preload-core",
    "crates/preload-rt",
    "crates/crash",
    "preload-heaptrack",
    "preload-segv",
    "preload-efence",
];

/// libc functions that are (thin wrappers of) system calls.
const SYSCALL_WRAPPERS: &[&str] = &[
    "access",
    "clock_getres",
    "clone",
    "close",
    "dup",
    "dup2",
    "dup3",
    "execve",
    "_exit",
    "faccessat",
    "fcntl",
    "fork",
    "fstat",
    "ftruncate",
    "futex",
    "getcwd",
    "getegid",
    "geteuid",
    "getgid",
    "getpid",
    "getppid",
    "getrlimit",
    "gettid",
    "getuid",
    "ioctl",
    "kill",
    "lseek",
    "lstat",
    "madvise",
    "mmap",
    "mprotect",
    "munmap",
    "nanosleep",
    "open",
    "openat",
    "pipe",
    "pipe2",
    "poll",
    "prctl",
    "pread",
    "prlimit",
    "process_vm_readv",
    "pwrite",
    "raise",
    "read",
    "readlink",
    "rt_sigprocmask",
    "sched_yield",
    "setitimer",
    "setrlimit",
    "sigaltstack",
    "sigprocmask",
    "sleep",
    "stat",
    "syscall",
    "tgkill",
    "unlink",
    "unlinkat",
    "usleep",
    "vfork",
    "wait4",
    "waitpid",
    "write",
];

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("tests.rs") {
            out.push(p);
        }
    }
}

/// The lines of a source file that ship: up to its unit-test module, without comments.
fn shipped_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .take_while(|(_, l)| l.trim() != "#[cfg(test)]")
        .map(|(i, l)| (i + 1, l.split("//").next().unwrap_or("")))
}

/// What a line does that only the owner may do.
fn offence(line: &str) -> Option<String> {
    if line.contains("\"syscall") || line.contains("sysenter") || line.contains("int 0x80") {
        return Some("a system call instruction".into());
    }
    SYSCALL_WRAPPERS.iter().find_map(|name| {
        let call = format!("libc::{name}(");
        line.contains(&call).then(|| format!("libc's {name}()"))
    })
}

fn offences() -> Vec<String> {
    let root = workspace();
    let mut files = Vec::new();
    for c in PRELOAD_CRATES {
        rust_files(&root.join(c).join("src"), &mut files);
    }
    assert!(files.len() > 20, "{files:?}");
    let mut found = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (n, line) in shipped_lines(&text) {
            if let Some(what) = offence(line) {
                found.push(format!(
                    "{}:{n}: {what}",
                    f.strip_prefix(&root).unwrap().display()
                ));
            }
        }
    }
    found
}

#[test]
fn only_the_owner_makes_system_calls() {
    let found = offences();
    assert!(
        found.is_empty(),
        "system calls outside crates/preload-sys:\n{}",
        found.join("\n")
    );
}

/// The check itself finds what it looks for (a check that cannot fail proves nothing).
#[test]
fn the_check_sees_a_system_call() {
    assert!(offence("    unsafe { libc::syscall(libc::SYS_getpid) };").is_some());
    assert!(offence(r#"    core::arch::asm!("syscall", inlateout("rax") nr => r);"#).is_some());
    assert!(offence("    let fd = unsafe { libc::open(p, 0) };").is_some());
    assert!(offence("    let t = unsafe { libc::pthread_self() };").is_none());
    // The owner has them, so the scan of it would find some.
    let mut owner = Vec::new();
    rust_files(&workspace().join("crates/preload-sys/src"), &mut owner);
    let hits = owner
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .filter(|t| shipped_lines(t).any(|(_, l)| offence(l).is_some()))
        .count();
    assert!(hits >= 1, "the owner's own calls are not seen");
}
