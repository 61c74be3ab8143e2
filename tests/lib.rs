//! Shared helpers for the end-to-end tests in `tests/tests/*.rs`: where the built tools are,
//! running commands with a time limit, and skipping politely when an anchor tool is missing.
//!
//! The tests use the artifacts of the same profile as the test binary, so run
//! `cargo build --workspace && cargo test --workspace` (the README's test command).
//! `TRACEKIT_TEST_TARGET_DIR` points them at another profile's artifacts instead, e.g. the
//! release (`no_std`) crash handler: `TRACEKIT_TEST_TARGET_DIR=$PWD/target/release cargo test
//! -p tracekit-e2e --test segv` after `cargo build --release -p preload-segv -p tracekit -p
//! tracekit-examples`. (The C programs of `examples/` are the same in every profile: the
//! `example()` paths do not change.)

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub use tracekit_examples::path as example;

/// The cargo profile directory the tests were built in (`target/debug` or `target/release`),
/// or `TRACEKIT_TEST_TARGET_DIR` when set.
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("TRACEKIT_TEST_TARGET_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().expect("current_exe");
    // target/<profile>/deps/<test binary>
    exe.parent()
        .and_then(Path::parent)
        .expect("test binary lives in target/<profile>/deps")
        .to_path_buf()
}

fn artifact(name: &str) -> PathBuf {
    let p = target_dir().join(name);
    assert!(
        p.exists(),
        "{} is not built; run `cargo build --workspace` before `cargo test --workspace` (or \
         build the profile TRACEKIT_TEST_TARGET_DIR names)",
        p.display()
    );
    p
}

/// A binary of the workspace (`tracekit`, `strace-rs`, ...).
pub fn bin(name: &str) -> PathBuf {
    artifact(name)
}

/// A preload library of the workspace, by crate name (`preload-heaptrack`).
pub fn preload(crate_name: &str) -> PathBuf {
    artifact(&format!("lib{}.so", crate_name.replace('-', "_")))
}

/// True when `tool` is on PATH.
pub fn has_tool(tool: &str) -> bool {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|d| d.join(tool).is_file()))
        .unwrap_or(false)
}

/// Skips the rest of a test, saying why, when an anchor tool is not installed.
/// On CI (`CI` set) a missing anchor is a failure: `.ci/run` installs them.
#[macro_export]
macro_rules! require_tool {
    ($tool:expr) => {
        if !$crate::has_tool($tool) {
            if std::env::var_os("CI").is_some() {
                panic!("{} is not installed; .ci/run must install it", $tool);
            }
            eprintln!("SKIP: {} is not installed", $tool);
            return;
        }
    };
}

/// Starts `cmd`; an executable a test just copied can be "busy" (`ETXTBSY`) for a moment: a
/// child that another test thread forked meanwhile holds the copy's write descriptor until it
/// execs (the usual race of multithreaded test binaries), so that error is retried briefly.
pub fn spawn_retrying(cmd: &mut Command) -> std::process::Child {
    let mut tries = 0;
    loop {
        match cmd.spawn() {
            Ok(child) => return child,
            Err(e) if e.raw_os_error() == Some(libc::ETXTBSY) && tries < 100 => {
                tries += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("cannot start {cmd:?}: {e}"),
        }
    }
}

/// Runs `cmd` to completion, killing it after `limit`. Panics on timeout with what it printed.
/// stdout and stderr are drained while it runs, so a chatty command never blocks on a full pipe.
pub fn run_limited(cmd: &mut Command, limit: Duration) -> Output {
    use std::io::Read;
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = spawn_retrying(cmd);
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let _ = pipe.read_to_end(&mut buf);
            buf
        })
    };
    let out_thread = drain(Box::new(child.stdout.take().expect("piped stdout")));
    let err_thread = drain(Box::new(child.stderr.take().expect("piped stderr")));
    let start = Instant::now();
    let (status, timed_out) = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break (status, false);
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            break (child.wait().expect("wait"), true);
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    // A grandchild that inherited the pipes can keep them open: don't wait for it forever.
    let collect = |t: std::thread::JoinHandle<Vec<u8>>| {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !t.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        if t.is_finished() {
            t.join().unwrap_or_default()
        } else {
            b"<output still open>".to_vec()
        }
    };
    let out = Output {
        status,
        stdout: collect(out_thread),
        stderr: collect(err_thread),
    };
    if timed_out {
        panic!(
            "{cmd:?} did not finish within {limit:?}\nstdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out
}

/// A `tracekit` command of the build under test.
pub fn tracekit() -> Command {
    Command::new(bin("tracekit"))
}

/// Runs `cmd` with a one-minute limit.
pub fn run(cmd: &mut Command) -> Output {
    run_limited(cmd, Duration::from_secs(60))
}

/// stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `program ARGS` under `heaptrack -o DIR/ht`; returns heaptrack's data file (its name
/// ends in its compressor's extension).
pub fn heaptrack_record(dir: &Path, program: &Path, args: &[&str]) -> PathBuf {
    let data = dir.join("ht");
    let out = run(Command::new("heaptrack")
        .arg("-o")
        .arg(&data)
        .arg(program)
        .args(args));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("ht."))
        .expect("heaptrack's data file")
}

/// A fresh temporary directory, removed on drop.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

/// Reads every event of a log, panicking with the reader's message on damage.
pub fn read_log(path: &Path) -> Vec<tracekit_log::Event<'static>> {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("open {}: {e}", path.display()));
    tracekit_log::Reader::new(f)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What an attacker would plant at a predictable log name: `dir/victim` holding
/// `precious\n`, and a symlink to it named `link_name` in `dir`. Returns (victim, link).
pub fn planted_symlink(dir: &Path, link_name: &str) -> (PathBuf, PathBuf) {
    let victim = dir.join("victim");
    std::fs::write(&victim, "precious\n").expect("write the victim");
    let link = dir.join(link_name);
    std::os::unix::fs::symlink(&victim, &link).expect("plant the symlink");
    (victim, link)
}

/// The planted symlink's target was not written through.
pub fn assert_untouched(victim: &Path) {
    assert_eq!(
        std::fs::read_to_string(victim).expect("read the victim"),
        "precious\n",
        "{} was written through a symlink",
        victim.display()
    );
}

/// The permission bits of `path`.
pub fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}
