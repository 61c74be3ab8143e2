//! What the handler needs, decided once at load time (environment, paths, descriptors, the
//! actions we replaced), so the handler only reads it.

use std::ffi::{c_int, CStr, OsStr};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::{describe, sys};

/// A NUL-terminated path, allocated at load (the handler only reads it).
#[derive(Clone)]
pub struct CPath {
    buf: Box<[u8]>,
}

impl std::fmt::Debug for CPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.bytes()))
    }
}

impl CPath {
    /// None when empty or too long.
    pub fn new(p: &[u8]) -> Option<CPath> {
        if p.is_empty() || p.len() >= 4096 || p.contains(&0) {
            return None;
        }
        let mut buf = Vec::with_capacity(p.len() + 1);
        buf.extend_from_slice(p);
        buf.push(0);
        Some(CPath {
            buf: buf.into_boxed_slice(),
        })
    }
    /// Without the NUL.
    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.buf.len() - 1]
    }
    /// With the NUL.
    pub fn with_nul(&self) -> &[u8] {
        &self.buf
    }
}

/// A deliberate failure inside the handler, for tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestFail {
    /// None (always, unless the test variable is set).
    None,
    /// Dereference NULL inside the handler.
    Fault,
    /// Sleep forever inside the handler.
    Hang,
}

/// Everything decided at load.
#[derive(Debug)]
pub struct Config {
    /// Which signals we handle, by number.
    pub signals: [bool; 65],
    /// A duplicate of stderr made at load (-1 if none).
    pub stderr_fd: c_int,
    /// `TRACEKIT_SEGV_OUTPUT`: also write the report here.
    pub output: Option<CPath>,
    /// `TRACEKIT_LOG`: append a crash event here (`%p` becomes the pid).
    pub log: Option<CPath>,
    /// The program that symbolizes frames (`tracekit` next to this library, or
    /// `TRACEKIT_SEGV_SYMBOLIZER`); None when there is none or `TRACEKIT_SEGV_SYMBOLIZE=0`.
    pub symbolizer: Option<CPath>,
    /// How long the symbolizer may take, in ms (`TRACEKIT_SEGV_TIMEOUT_MS`, default 1500).
    pub timeout_ms: u64,
    /// Address of glibc's `__abort_msg` pointer, 0 when absent.
    pub abort_msg: usize,
    /// The actions that were installed before ours.
    pub old: Box<[Option<libc::sigaction>; 65]>,
    /// Test hook (`TRACEKIT_SEGV_TEST_FAIL`): `fault` makes the handler fault, `hang` makes it
    /// hang, after the report's first lines, to prove the process still dies of its signal.
    pub test_fail: TestFail,
    /// Process start, wall clock (ns since the epoch).
    pub start_unix_ns: u64,
    /// Process start, `CLOCK_MONOTONIC`.
    pub start_mono_ns: u64,
}

// SAFETY: Config is written once before it is published through the OnceLock and only read
// afterwards; its raw parts (sigaction's function pointers) are plain values.
unsafe impl Sync for Config {}
// SAFETY: as above.
unsafe impl Send for Config {}

static CONFIG: OnceLock<Config> = OnceLock::new();

/// The configuration, once loading finished.
pub fn get() -> Option<&'static Config> {
    CONFIG.get()
}

/// Publishes the configuration (first call wins).
pub fn set(c: Config) -> &'static Config {
    let _ = CONFIG.set(c);
    CONFIG.get().expect("just set")
}

fn env_path(name: &str) -> Option<CPath> {
    std::env::var_os(name).and_then(|v| CPath::new(v.as_bytes()))
}

/// The directory of the file that holds this library's code.
fn own_dir() -> Option<PathBuf> {
    // SAFETY: Dl_info is plain data, filled by dladdr.
    let mut info: libc::Dl_info = unsafe { std::mem::zeroed() };
    // SAFETY: any address inside this library works; info is writable.
    let ok = unsafe { libc::dladdr(own_dir as *const libc::c_void, &mut info) };
    if ok == 0 || info.dli_fname.is_null() {
        return None;
    }
    // SAFETY: dladdr gives a NUL-terminated name that lives as long as the library.
    let name = unsafe { CStr::from_ptr(info.dli_fname) };
    let path = Path::new(OsStr::from_bytes(name.to_bytes()));
    let path = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::fs::canonicalize(path).ok()?
    };
    path.parent().map(Path::to_path_buf)
}

fn symbolizer() -> Option<CPath> {
    if std::env::var_os("TRACEKIT_SEGV_SYMBOLIZE").is_some_and(|v| v == "0") {
        return None;
    }
    if let Some(p) = env_path("TRACEKIT_SEGV_SYMBOLIZER") {
        return Some(p);
    }
    let candidate = own_dir()?.join("tracekit");
    let c = CPath::new(candidate.as_os_str().as_bytes())?;
    sys::is_executable(c.with_nul()).then_some(c)
}

fn abort_msg_addr() -> usize {
    // SAFETY: dlsym with a NUL-terminated name; RTLD_DEFAULT searches the global scope.
    unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"__abort_msg".as_ptr()) as usize }
}

/// Reads the environment and prepares everything; does not install anything yet.
pub fn from_env() -> Config {
    let mut signals = [false; 65];
    match std::env::var("TRACEKIT_SEGV_SIGNALS") {
        Ok(spec) if !spec.trim().is_empty() => {
            if let Err(bad) = describe::parse_signals(&spec, &mut signals) {
                let msg = format!(
                    "tracekit segv: TRACEKIT_SEGV_SIGNALS: unknown signal {bad:?} (ignored)\n"
                );
                sys::write_all(2, msg.as_bytes());
            }
        }
        _ => {
            for &s in describe::DEFAULT_SIGNALS {
                signals[s as usize] = true;
            }
        }
    }
    // A descriptor well above the ones programs use, so closing or reusing fd 2 leaves
    // the report its destination.
    let stderr_fd = sys::dup_cloexec_above(2, 100)
        .or_else(|_| sys::dup_cloexec_above(2, 3))
        .unwrap_or(2);
    let timeout_ms = std::env::var("TRACEKIT_SEGV_TIMEOUT_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1500);
    Config {
        signals,
        stderr_fd,
        output: env_path("TRACEKIT_SEGV_OUTPUT"),
        log: env_path("TRACEKIT_LOG"),
        symbolizer: symbolizer(),
        timeout_ms,
        abort_msg: abort_msg_addr(),
        old: Box::new([None; 65]),
        test_fail: match std::env::var("TRACEKIT_SEGV_TEST_FAIL").as_deref() {
            Ok("fault") => TestFail::Fault,
            Ok("hang") => TestFail::Hang,
            _ => TestFail::None,
        },
        start_unix_ns: sys::clock_ns(libc::CLOCK_REALTIME),
        start_mono_ns: sys::clock_ns(libc::CLOCK_MONOTONIC),
    }
}
