//! The ptrace layer on real processes: spawn, syscall stops with PTRACE_GET_SYSCALL_INFO,
//! memory reads and writes, seccomp filtering, fork following and exit statuses.
//!
//! One `#[test]` runs the scenarios in turn: a tracer is a thread, and `wait4(-1)` from
//! parallel test threads would take each other's tracees' stops.

use tracekit_ptrace::seccomp::Filter;
use tracekit_ptrace::{
    mem, resume, spawn, syscall_info, wait, Event, Options, Pid, Resume, SpawnOptions, Spin, Stop,
    SyscallInfo, Waiter,
};

/// Runs `argv` to the end, resuming with `how`; returns the syscall entries seen
/// `(pid, nr, first string argument when it is execve/write)` and the exit code.
fn trace(argv: &[&str], opts: Options, seccomp: Option<Filter>) -> (Vec<(Pid, u64, Vec<u8>)>, i32) {
    trace_with(argv, opts, seccomp, Spin::Off)
}

/// [`trace`], the stops waited for by a [`Waiter`] that polls as `spin` says.
fn trace_with(
    argv: &[&str],
    opts: Options,
    seccomp: Option<Filter>,
    spin: Spin,
) -> (Vec<(Pid, u64, Vec<u8>)>, i32) {
    let mut waiter = Waiter::new(spin);
    let mut cmd = SpawnOptions::new(argv[0], argv);
    let how = if seccomp.is_some() {
        Resume::Continue
    } else {
        Resume::Syscall
    };
    cmd.seccomp = seccomp;
    let child = spawn(&cmd, opts).expect("spawn");
    resume(child, how, 0).unwrap();
    let mut seen = Vec::new();
    let mut code = -1;
    let mut live = 1;
    while live > 0 {
        let (pid, stop, _) = waiter.wait(false).expect("wait");
        let mut next = how;
        match stop {
            Stop::Syscall | Stop::Event(Event::Seccomp) => {
                match syscall_info(pid).unwrap() {
                    SyscallInfo::Entry { nr, args, .. } | SyscallInfo::Seccomp { nr, args, .. } => {
                        let arg = match nr {
                            59 => mem::read_cstr(pid, args[0], 4096).unwrap().0,
                            1 => {
                                let mut b = vec![0; args[2] as usize];
                                mem::read_exact(pid, args[1], &mut b).unwrap();
                                b
                            }
                            _ => Vec::new(),
                        };
                        seen.push((pid, nr, arg));
                        if matches!(stop, Stop::Event(Event::Seccomp)) {
                            next = Resume::Syscall;
                        }
                    }
                    SyscallInfo::Exit { .. } => {}
                    SyscallInfo::None => panic!("a syscall stop without syscall info"),
                }
                resume(pid, next, 0).unwrap();
            }
            Stop::Event(Event::Fork(_) | Event::Clone(_) | Event::Vfork(_)) => {
                live += 1;
                resume(pid, how, 0).unwrap();
            }
            Stop::Signal(sig) => resume(pid, how, sig).unwrap(),
            Stop::Exited(c) => {
                live -= 1;
                if pid == child {
                    code = c;
                }
            }
            Stop::Killed { .. } => live -= 1,
            _ => resume(pid, how, 0).unwrap(),
        }
    }
    (seen, code)
}

fn syscall_stops_and_memory() {
    let (seen, code) = trace(
        &["/bin/sh", "-c", "echo hello; exit 3"],
        Options::default(),
        None,
    );
    assert_eq!(code, 3);
    let (_, nr, path) = &seen[0];
    assert_eq!(
        (*nr, path.as_slice()),
        (59, &b"/bin/sh"[..]),
        "execve is the first call seen"
    );
    assert!(
        seen.iter()
            .any(|(_, nr, data)| *nr == 1 && data == b"hello\n"),
        "the write and its buffer"
    );
    assert_eq!(seen.last().unwrap().1, 231, "ends with exit_group");
}

fn seccomp_filter_reports_only_chosen_calls() {
    let filter = Filter::trace_only(&[1, 59]);
    let opts = Options {
        seccomp: true,
        ..Options::default()
    };
    let (seen, code) = trace(&["/bin/sh", "-c", "echo filtered"], opts, Some(filter));
    assert_eq!(code, 0);
    assert!(
        seen.iter().all(|(_, nr, _)| *nr == 1 || *nr == 59),
        "{seen:?}"
    );
    assert!(
        seen.iter().any(|(_, nr, d)| *nr == 1 && d == b"filtered\n"),
        "{seen:?}"
    );
}

fn follows_forks() {
    let opts = Options {
        follow_forks: true,
        ..Options::default()
    };
    let (seen, code) = trace(
        &["/bin/sh", "-c", "/bin/true; /bin/echo x >/dev/null"],
        opts,
        None,
    );
    assert_eq!(code, 0);
    let execs: Vec<_> = seen
        .iter()
        .filter(|(_, nr, _)| *nr == 59)
        .map(|(p, _, a)| (*p, a.clone()))
        .collect();
    assert!(execs.iter().any(|(_, a)| a == b"/bin/true"), "{execs:?}");
    let pids: std::collections::HashSet<_> = seen.iter().map(|(p, _, _)| *p).collect();
    assert!(pids.len() >= 2, "children were traced too");
}

fn memory_write_round_trip() {
    // Stop a child at its first syscall and rewrite bytes of its stack.
    let cmd = SpawnOptions::new("/bin/true", ["true"]);
    let pid = spawn(&cmd, Options::default()).unwrap();
    resume(pid, Resume::Syscall, 0).unwrap();
    let (_, stop) = wait(Some(pid)).unwrap();
    assert_eq!(stop, Stop::Syscall);
    let SyscallInfo::Entry { sp, .. } = syscall_info(pid).unwrap() else {
        panic!("entry")
    };
    let addr = sp - 256;
    mem::write(pid, addr + 3, b"tracekit!").unwrap();
    let mut back = [0u8; 9];
    mem::read_exact(pid, addr + 3, &mut back).unwrap();
    assert_eq!(&back, b"tracekit!");
    tracekit_ptrace::kill(pid, libc::SIGKILL).unwrap();
    loop {
        if let (_, Stop::Killed { signal, .. }) = wait(Some(pid)).unwrap() {
            assert_eq!(signal, libc::SIGKILL);
            break;
        }
    }
}

/// Polling before blocking changes when the tracer sees a stop, never which stops it sees:
/// the same calls in the same order whether it polls always, never, or as it sees fit.
fn polling_waits_see_every_stop() {
    let argv = ["/bin/sh", "-c", "echo one; echo two >/dev/null; exit 4"];
    let calls = |spin| {
        let (seen, code) = trace_with(&argv, Options::default(), None, spin);
        assert_eq!(code, 4, "{spin:?}");
        seen.into_iter()
            .map(|(_, nr, a)| (nr, a))
            .collect::<Vec<_>>()
    };
    let blocking = calls(Spin::Off);
    assert!(blocking.iter().any(|(nr, a)| *nr == 1 && a == b"one\n"));
    assert_eq!(calls(Spin::Fixed(1000)), blocking);
    assert_eq!(calls(Spin::Auto), blocking);
}

#[test]
fn live_tracees() {
    syscall_stops_and_memory();
    seccomp_filter_reports_only_chosen_calls();
    follows_forks();
    memory_write_round_trip();
    polling_waits_see_every_stop();
}
