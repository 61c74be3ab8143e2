//! `tracekit heap -p PID`: attaching to a running, threaded program (through the PLT and
//! built with `-fno-plt`), the per-site counts of the attached interval against the program's
//! own counters, the program going on to its normal end; attaching again after a detach; a
//! process in another mount namespace; a process that exits while attached, or in the middle
//! of the attach; and the refusals (no such process, a statically linked program, a musl program, no permission),
//! each leaving the target running.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Output, Stdio};
use std::time::Duration;

use serde_json::Value;
use tracekit_e2e::{example, run_limited, stderr, tempdir, tracekit};

/// `examples/c/heap_attach.c`'s sites, in the order it prints its counters.
const SITES: [&str; 5] = [
    "site_malloc",
    "site_calloc",
    "site_realloc",
    "site_aligned",
    "site_posix",
];

/// A running `heap_attach` driven through its stdin; killed if a test fails.
struct Victim {
    child: Child,
    stdin: Option<ChildStdin>,
    out: BufReader<ChildStdout>,
}

impl Victim {
    fn start(cmd: &mut Command) -> Victim {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the victim");
        let stdin = child.stdin.take();
        let out = BufReader::new(child.stdout.take().unwrap());
        let mut v = Victim { child, stdin, out };
        let ready = v.line();
        assert!(ready.starts_with("ready"), "victim said {ready:?}");
        v
    }

    fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    fn line(&mut self) -> String {
        let mut s = String::new();
        self.out
            .read_line(&mut s)
            .expect("read the victim's output");
        s.trim_end().to_owned()
    }

    fn say(&mut self, what: &str) {
        let w = self.stdin.as_mut().expect("stdin open");
        writeln!(w, "{what}")
            .and_then(|()| w.flush())
            .expect("write to the victim");
    }

    /// Pauses the workers; their calls per site so far.
    fn pause(&mut self) -> [u64; 5] {
        self.say("pause");
        let l = self.line();
        let n: Vec<u64> = l
            .strip_prefix("paused ")
            .unwrap_or_else(|| panic!("victim said {l:?}"))
            .split(' ')
            .map(|x| x.parse().unwrap())
            .collect();
        n.try_into().unwrap()
    }

    /// Lets the workers run a while, then pauses them again (so that some calls happen).
    fn run_a_while(&mut self) -> [u64; 5] {
        self.say("resume");
        std::thread::sleep(Duration::from_millis(300));
        self.pause()
    }

    /// Ends the program: its last line and exit status.
    fn quit(mut self) -> (String, Option<i32>) {
        self.say("quit");
        drop(self.stdin.take());
        let last = self.line();
        let status = self.child.wait().expect("wait for the victim");
        (last, status.code())
    }

    /// Its state letter in /proc (`t`: stopped by a tracer).
    fn state(&self) -> char {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap();
        let after = stat.rsplit_once(") ").unwrap().1;
        after.chars().next().unwrap()
    }
}

impl Drop for Victim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `tracekit heap -p PID --json` running; returns once it says it attached.
struct Attached {
    child: Child,
    err: BufReader<std::process::ChildStderr>,
    said: String,
}

fn attach(pid: i32, dir: &std::path::Path) -> Attached {
    let mut child = tracekit()
        .args(["heap", "--json", "-p", &pid.to_string()])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start tracekit heap -p");
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut said = String::new();
    loop {
        let mut l = String::new();
        if err.read_line(&mut l).unwrap() == 0 {
            let _ = child.wait();
            panic!("tracekit heap -p ended before attaching: {said}");
        }
        said.push_str(&l);
        if l.contains("attached to process") {
            break;
        }
    }
    Attached { child, err, said }
}

impl Attached {
    /// Ctrl-C (or nothing, when the process exits by itself): its report and messages.
    fn finish(mut self, interrupt: bool) -> (Value, String, Option<i32>) {
        if interrupt {
            // SAFETY: kill with a pid of our own child and a signal number.
            unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        }
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut self.err, &mut rest).unwrap();
        let out = self.child.wait_with_output().expect("wait for tracekit");
        let said = self.said + &rest;
        let report = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("no JSON report ({e}); tracekit said: {said}"));
        (report, said, out.status.code())
    }
}

/// Calls per site of the report, by the site's innermost function.
fn site_calls(report: &Value, field: &str) -> [u64; 5] {
    let mut n = [0; 5];
    for s in report["sites"].as_array().unwrap() {
        let f = s["frames"][0]["function"].as_str().unwrap_or("");
        if let Some(i) = SITES.iter().position(|x| *x == f) {
            n[i] += match field {
                "calls" => s["calls"].as_u64().unwrap(),
                _ => s["leaked"]["blocks"].as_u64().unwrap(),
            };
        }
    }
    n
}

fn minus(a: [u64; 5], b: [u64; 5]) -> [u64; 5] {
    std::array::from_fn(|i| a[i] - b[i])
}

/// Attaches (the workers paused), lets them run, pauses them, detaches: checks that the
/// report's calls per site are exactly the program's own counts of that interval. Returns
/// the counters at the end.
fn one_interval(v: &mut Victim, before: [u64; 5], threads: u64) -> [u64; 5] {
    let dir = tempdir();
    let a = attach(v.pid(), dir.path());
    let after = v.run_a_while();
    let (report, said, status) = a.finish(true);
    assert_eq!(status, Some(0), "tracekit said: {said}");
    assert!(said.contains("detached from process"), "{said}");
    assert_ne!(v.state(), 't', "the program was left stopped");
    let counted = minus(after, before);
    assert!(
        counted.iter().all(|&c| c > 0),
        "the workers did not run: {counted:?}"
    );
    assert_eq!(
        site_calls(&report, "calls"),
        counted,
        "calls per site {SITES:?}; tracekit said: {said}"
    );
    // Each worker holds its last block of each site: allocated while attached, live at the
    // detach. Nothing allocated before the attach is counted as live.
    assert_eq!(site_calls(&report, "leaked"), [threads; 5]);
    // The first round after the attach released the blocks of the round before: four frees
    // and one realloc per worker, of blocks the log never saw allocated.
    assert_eq!(report["frees"]["untracked"].as_u64(), Some(5 * threads));
    let attached = &report["processes"][0]["attached"];
    assert!(attached["to_ns"].as_u64().unwrap() > attached["from_ns"].as_u64().unwrap());
    after
}

/// Attach while the workers are paused, let them run, pause, detach: the report's calls per
/// site are exactly the program's own counts of that interval; the program then finishes
/// with its normal output and status.
fn attach_counts_match(program: &str) {
    const THREADS: u64 = 4;
    let mut v = Victim::start(Command::new(example(program)).arg(THREADS.to_string()));
    // Blocks allocated before the attach, freed during it.
    let before = v.run_a_while();
    let after = one_interval(&mut v, before, THREADS);
    // The program goes on, unchanged, to its normal end.
    let end = v.run_a_while();
    assert!(
        end[0] > after[0],
        "the program stopped allocating after the detach"
    );
    let (last, code) = v.quit();
    assert_eq!(code, Some(0));
    assert!(last.starts_with("done "), "{last}");
}

/// Attach, detach, attach again, detach: the second log is a whole log of its own (its
/// threads, stacks and modules written again), and its counts are exactly the second
/// interval's; blocks of the first interval freed in the second are untracked frees there.
#[test]
fn attach_again_after_a_detach_counts_the_second_interval() {
    const THREADS: u64 = 4;
    let mut v = Victim::start(Command::new(example("heap_attach")).arg(THREADS.to_string()));
    let before = v.run_a_while();
    let first = one_interval(&mut v, before, THREADS);
    let between = v.run_a_while();
    assert!(
        between[0] > first[0],
        "the program stopped after the detach"
    );
    let second = one_interval(&mut v, between, THREADS);
    let again = v.run_a_while();
    let third = one_interval(&mut v, again, THREADS);
    assert!(third[0] > second[0]);
    let (last, code) = v.quit();
    assert_eq!(code, Some(0));
    assert!(last.starts_with("done "), "{last}");
}

#[test]
fn attach_to_threaded_program_counts_the_attached_interval() {
    attach_counts_match("heap_attach");
}

#[test]
fn attach_to_fno_plt_program_counts_the_attached_interval() {
    attach_counts_match("heap_attach_noplt");
}

/// The processes whose command line holds `heap -p PID` (a `tracekit heap -p PID`, or its
/// attach worker).
fn attachers_of(pid: i32) -> Vec<i32> {
    let want = ["heap", "-p", &pid.to_string()].join("\0");
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|p| {
            std::fs::read(format!("/proc/{p}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(&want))
        })
        .collect()
}

/// The tracer of process `pid` (its `TracerPid`; 0: none).
fn tracer_of(pid: i32) -> i32 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("TracerPid:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// `SIGKILL` to `tracekit heap -p` 0 to 20 ms after the program's threads were first seized,
/// most often in the middle of the attach (a breakpoint planted, a thread in our call): the
/// attach worker finishes the attach and detaches, so the program is never left with a
/// breakpoint, a thread returning to address 0 or a `SIGTRAP` to take; it is left untraced,
/// not stopped, its workers counting, and it ends normally. Killing the process that traces
/// instead (what a kill of tracekit was before it had a worker) killed the program in 23 of
/// 30 such rounds (bench/attach-kill.sh).
#[test]
fn sigkill_of_tracekit_during_the_attach_leaves_the_program_running() {
    const ROUNDS: u64 = 8;
    let dir = tempdir();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    let mut said = String::new();
    for round in 0..ROUNDS {
        let mut v = Victim::start(Command::new(example("heap_attach")).arg("8"));
        let pid = v.pid();
        // 0 to 20 ms after the seize, spread over the rounds.
        let delay = round * 2500 + (seed >> round) % 2500;
        let err_path = dir.path().join(format!("tk{round}.err"));
        let mut tk = tracekit()
            .args(["heap", "-p", &pid.to_string(), "--duration", "0.2"])
            .args(["-o", "logs/", "--report", "/dev/null"])
            .current_dir(dir.path())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&err_path).unwrap())
            .spawn()
            .expect("start tracekit heap -p");
        // Until the seize (or, when this thread missed the 10-20 ms the attach holds the
        // program, until tracekit says it attached: the kill then lands while it records).
        let attached =
            || std::fs::read_to_string(&err_path).is_ok_and(|e| e.contains("attached to process"));
        let mut in_attach = true;
        while tracer_of(pid) == 0 {
            if attached() {
                in_attach = false;
                break;
            }
            if let Some(status) = tk.try_wait().unwrap() {
                let err = std::fs::read_to_string(&err_path).unwrap();
                panic!("tracekit ended ({status}) before attaching: {err}");
            }
            std::thread::yield_now();
        }
        if in_attach {
            std::thread::sleep(Duration::from_micros(delay));
        }
        // SAFETY: kill with our own child's pid and a signal number.
        unsafe { libc::kill(tk.id() as i32, libc::SIGKILL) };
        let _ = tk.wait();
        // The worker goes on: it finishes the attach, detaches, finishes the log.
        let mut waited = 0;
        while !attachers_of(pid).is_empty() {
            assert!(
                waited < 6000,
                "tracekit heap -p {pid} still runs a minute after"
            );
            std::thread::sleep(Duration::from_millis(10));
            waited += 1;
        }
        let tk_said = std::fs::read_to_string(&err_path).unwrap();
        said += &format!(
            "round {round}, SIGKILL {}: {tk_said}\n",
            if in_attach {
                format!("{delay} us after the seize")
            } else {
                "after the attach".to_owned()
            }
        );
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
            .unwrap_or_else(|_| panic!("the program died; {said}"));
        assert!(
            status.lines().any(|l| l == "TracerPid:\t0"),
            "still traced: {status}; {said}"
        );
        let state = v.state();
        assert!(!"tTZX".contains(state), "state {state}; {said}");
        assert!(tk_said.contains("detached from process"), "{said}");
        let a = v.pause();
        let b = v.run_a_while();
        assert!(b[0] > a[0], "the program stopped counting; {said}");
        let (last, code) = v.quit();
        assert_eq!(code, Some(0), "{last}; {said}");
        assert!(last.starts_with("done "), "{last}; {said}");
    }
    eprintln!("{said}");
}

/// A process that exits while attached: its exit ends the recording (the log has its exit
/// status), and tracekit reports without detaching.
#[test]
fn attached_process_exits() {
    let dir = tempdir();
    let mut v = Victim::start(Command::new(example("heap_attach")).arg("2"));
    v.pause();
    let a = attach(v.pid(), dir.path());
    let (last, code) = v.quit();
    assert_eq!(code, Some(0));
    assert!(last.starts_with("done "), "{last}");
    let (report, said, status) = a.finish(false);
    assert_eq!(status, Some(0), "{said}");
    assert!(said.contains("exited"), "{said}");
    assert_eq!(report["processes"][0]["exit"]["code"].as_i64(), Some(0));
    // Everything the workers held was freed before exit: nothing of theirs leaked.
    assert_eq!(site_calls(&report, "leaked"), [0; 5]);
}

/// A process in another mount namespace, where the library's path does not exist: the
/// library goes in through its `/tmp`, and its log comes back out.
#[test]
fn attach_into_another_mount_namespace() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: attaching into another mount namespace needs root (unshare -m)");
        return;
    }
    let dir = tempdir();
    // The program outside the directory that will be hidden, which holds the library.
    let victim = dir.path().join("victim");
    std::fs::copy(example("heap_attach"), &victim).unwrap();
    let lib_dir = tracekit_e2e::preload("preload-heaptrack")
        .parent()
        .unwrap()
        .to_path_buf();
    let script = format!(
        "mount -t tmpfs tmpfs '{}' && exec '{}' 2",
        lib_dir.display(),
        victim.display()
    );
    let mut v = Victim::start(Command::new("unshare").args([
        "-m",
        "--propagation",
        "private",
        "sh",
        "-c",
        &script,
    ]));
    let before = v.pause();
    // tracekit runs from a copy too: the library's directory is hidden only in the target.
    let a = attach(v.pid(), dir.path());
    assert!(a.said.contains("attached"), "{}", a.said);
    let after = v.run_a_while();
    let (report, said, status) = a.finish(true);
    assert_eq!(status, Some(0), "{said}");
    assert_eq!(site_calls(&report, "calls"), minus(after, before));
    let (_, code) = v.quit();
    assert_eq!(code, Some(0));
}

fn refused(args: &[&str], dir: &std::path::Path) -> Output {
    run_limited(
        tracekit().arg("heap").args(args).current_dir(dir),
        Duration::from_secs(60),
    )
}

#[test]
fn attach_to_no_such_process() {
    let dir = tempdir();
    let out = refused(&["-p", "2147483646"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out).trim(), "tracekit: no process 2147483646");
}

/// A statically linked program has no dynamic loader to load a library with: refused, in
/// one line, and the program runs on to its normal end.
#[test]
fn attach_to_static_program_is_refused() {
    let dir = tempdir();
    let mut v = Victim::start(&mut Command::new(example("heap_static")));
    let out = refused(&["-p", &v.pid().to_string()], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let msg = stderr(&out);
    assert!(msg.contains("statically linked"), "{msg}");
    assert_eq!(msg.trim().lines().count(), 1, "{msg}");
    assert_ne!(v.state(), 't');
    v.say("go");
    assert_eq!(v.line(), "bye");
    drop(v.stdin.take());
    assert_eq!(v.child.wait().unwrap().code(), Some(0));
}

/// Not allowed to trace the process (another user's): refused in one line, the process
/// untouched.
#[test]
fn attach_without_permission_is_refused() {
    use std::os::unix::process::CommandExt;
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: needs root to run tracekit as another user against a root process");
        return;
    }
    let dir = tempdir();
    std::fs::set_permissions(
        dir.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o777),
    )
    .unwrap();
    let mut v = Victim::start(Command::new(example("heap_attach")).arg("1"));
    let out = run_limited(
        tracekit()
            .args(["heap", "-p", &v.pid().to_string()])
            .current_dir(dir.path())
            .uid(65534)
            .gid(65534),
        Duration::from_secs(60),
    );
    assert_eq!(out.status.code(), Some(2));
    let msg = stderr(&out);
    assert!(msg.contains("cannot attach to process"), "{msg}");
    assert!(
        msg.contains("permission denied") || msg.contains("ptrace_scope"),
        "{msg}"
    );
    assert_eq!(msg.trim().lines().count(), 1, "{msg}");
    let a = v.pause();
    let b = v.run_a_while();
    assert!(b[0] > a[0], "the program does not run any more");
    let (_, code) = v.quit();
    assert_eq!(code, Some(0));
}

/// A process that exits in the middle of the attach, at a point `TRACEKIT_ATTACH_FAULT`
/// chooses (no test could time it otherwise): one line saying so, no hang, nothing left in
/// the log directory; the process's own end is what it did (`_exit(71)` called inside the
/// injected call, or killed while its threads were held).
fn exits_during_the_attach(fault: &str) -> std::process::ExitStatus {
    let dir = tempdir();
    let mut v = Victim::start(Command::new(example("heap_attach")).arg("4"));
    let out = run_limited(
        tracekit()
            .args(["heap", "-p", &v.pid().to_string()])
            .env("TRACEKIT_ATTACH_FAULT", fault)
            .current_dir(dir.path()),
        Duration::from_secs(60),
    );
    let msg = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{msg}");
    assert_eq!(
        msg.trim(),
        format!("tracekit: process {} exited during the attach", v.pid())
    );
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "left in the log directory: {left:?}");
    v.child.wait().expect("wait for the victim")
}

#[test]
fn process_exiting_inside_the_attach_call_is_reported() {
    let status = exits_during_the_attach("exit-in-call");
    assert_eq!(status.code(), Some(71), "{status:?}");
}

#[test]
fn process_killed_while_stopped_for_the_attach_is_reported() {
    use std::os::unix::process::ExitStatusExt;
    let status = exits_during_the_attach("kill-when-stopped");
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
}

/// A program on musl (built with `musl-gcc`, from `musl-tools`, which `.ci/run` installs):
/// its loader is not glibc's, so refused in one line, and the program runs on to its end.
/// `/proc/PID/maps` names musl's one file `.../x86_64-linux-musl/libc.so`: the refusal does
/// not come from the name.
#[test]
fn attach_to_musl_program_is_refused() {
    let Ok(gcc) = Command::new("musl-gcc").arg("--version").output() else {
        eprintln!("skipped: no musl-gcc (apt-get install musl-tools)");
        return;
    };
    assert!(gcc.status.success());
    let dir = tempdir();
    let src = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/c/heap_static.c");
    let prog = dir.path().join("heap_musl");
    let built = Command::new("musl-gcc")
        .args(["-O1", "-o"])
        .arg(&prog)
        .arg(src)
        .output()
        .expect("run musl-gcc");
    assert!(built.status.success(), "{}", stderr(&built));
    let mut v = Victim::start(&mut Command::new(&prog));
    let maps = std::fs::read_to_string(format!("/proc/{}/maps", v.pid())).unwrap();
    assert!(maps.contains("musl"), "not a dynamic musl program:\n{maps}");
    let out = refused(&["-p", &v.pid().to_string()], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let msg = stderr(&out);
    assert!(
        msg.starts_with(&format!(
            "tracekit: process {} does not use glibc (musl: ",
            v.pid()
        )),
        "{msg}"
    );
    assert!(msg.contains("cannot load the heap tracker"), "{msg}");
    assert_eq!(msg.trim().lines().count(), 1, "{msg}");
    assert_ne!(v.state(), 't');
    v.say("go");
    assert_eq!(v.line(), "bye");
    drop(v.stdin.take());
    assert_eq!(v.child.wait().unwrap().code(), Some(0));
}
