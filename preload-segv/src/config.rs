//! What the handler needs, decided once at load time (environment, descriptors), so the
//! handler only reads it.
//!
//! Loading must cost next to nothing, so this reads the environment with `getenv` (no
//! allocation, no lock), fills a static in place (its pages are touched only for what is set)
//! and leaves everything that can wait to the crash: the symbolizer's path is found in
//! `/proc/self/maps` by the handler ([`Config::symbolizer`]).

use core::cell::UnsafeCell;
use core::ffi::{c_int, CStr};
use core::sync::atomic::{AtomicBool, Ordering};

use crate::{describe, maps, sys};

/// Longest path kept (with its NUL).
pub const PATH_CAP: usize = 4096;

/// A NUL-terminated path in a fixed buffer (so the configuration never allocates).
pub struct CPath {
    len: usize,
    buf: [u8; PATH_CAP],
}

impl core::fmt::Debug for CPath {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "\"{}\"", crate::out::Text(self.bytes()))
    }
}

impl CPath {
    /// None.
    pub const fn empty() -> CPath {
        CPath {
            len: 0,
            buf: [0; PATH_CAP],
        }
    }

    /// None when empty, too long, or holding a NUL.
    pub fn new(p: &[u8]) -> Option<CPath> {
        let mut c = CPath::empty();
        c.set(p).then_some(c)
    }

    /// Replaces the path in place; false (and empty) when `p` is empty, too long or has a NUL.
    pub fn set(&mut self, p: &[u8]) -> bool {
        self.len = 0;
        if p.is_empty() || p.len() >= PATH_CAP || p.contains(&0) {
            return false;
        }
        self.buf[..p.len()].copy_from_slice(p);
        self.buf[p.len()] = 0;
        self.len = p.len();
        true
    }

    /// Some when set.
    pub fn get(&self) -> Option<&CPath> {
        (self.len > 0).then_some(self)
    }

    /// Without the NUL.
    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// With the NUL.
    pub fn with_nul(&self) -> &[u8] {
        &self.buf[..self.len + 1]
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
    /// Panic inside the handler (the `no_std` build's panic handler, see `nostd.rs`).
    Panic,
}

/// Everything decided at load.
#[derive(Debug)]
pub struct Config {
    /// Which signals we handle, by number.
    pub signals: [bool; 65],
    /// A duplicate of stderr made at load (-1 if none).
    pub stderr_fd: c_int,
    /// `TRACEKIT_SEGV_OUTPUT`: also write the report here.
    pub output: CPath,
    /// `TRACEKIT_LOG`: append a crash event here (`%p` becomes the pid).
    pub log: CPath,
    /// False when `TRACEKIT_SEGV_SYMBOLIZE=0`.
    pub symbolize: bool,
    /// `TRACEKIT_SEGV_SYMBOLIZER`, if set (otherwise `tracekit` next to this library).
    pub symbolizer_env: CPath,
    /// How long the symbolizer may take, in ms (`TRACEKIT_SEGV_TIMEOUT_MS`, default 1500).
    pub timeout_ms: u64,
    /// Address of glibc's `__abort_msg` pointer, 0 when absent.
    pub abort_msg: usize,
    /// Test hook (`TRACEKIT_SEGV_TEST_FAIL`): `fault` makes the handler fault, `hang` makes it
    /// hang, `panic` makes it panic, after the report's first lines, to prove the process
    /// still dies of its signal.
    pub test_fail: TestFail,
    /// Process start, wall clock (ns since the epoch); taken only when `log` is set.
    pub start_unix_ns: u64,
    /// Process start, `CLOCK_MONOTONIC`; taken only when `log` is set.
    pub start_mono_ns: u64,
}

impl Config {
    /// Nothing configured (all zero, so the static stays in `.bss`).
    pub const fn empty() -> Config {
        Config {
            signals: [false; 65],
            stderr_fd: 0,
            output: CPath::empty(),
            log: CPath::empty(),
            symbolize: false,
            symbolizer_env: CPath::empty(),
            timeout_ms: 0,
            abort_msg: 0,
            test_fail: TestFail::None,
            start_unix_ns: 0,
            start_mono_ns: 0,
        }
    }

    /// The program that symbolizes frames: `TRACEKIT_SEGV_SYMBOLIZER`, or `tracekit` in the
    /// directory of the file that holds this code (found in `maps`, the `/proc/self/maps`
    /// text), if it is executable. Async-signal-safe: `out` is the caller's buffer.
    pub fn symbolizer<'a>(&'a self, maps_text: &[u8], out: &'a mut CPath) -> Option<&'a CPath> {
        if !self.symbolize {
            return None;
        }
        if let Some(p) = self.symbolizer_env.get() {
            return Some(p);
        }
        let here = get as *const () as u64;
        let own = maps::find(maps_text, here).filter(|m| m.is_file())?;
        let dir = &own.path[..own.path.iter().rposition(|&b| b == b'/')? + 1];
        const NAME: &[u8] = b"tracekit";
        if dir.len() + NAME.len() >= PATH_CAP {
            return None;
        }
        let mut p = [0u8; PATH_CAP];
        p[..dir.len()].copy_from_slice(dir);
        p[dir.len()..dir.len() + NAME.len()].copy_from_slice(NAME);
        out.set(&p[..dir.len() + NAME.len()]);
        let c = out.get()?;
        sys::is_executable(c.with_nul()).then_some(c)
    }
}

struct Slot(UnsafeCell<Config>);

// SAFETY: the configuration is written only by `load_from_env`, at load, before `READY` is
// set (Release); after that it is only read, by threads that saw `READY` (Acquire).
unsafe impl Sync for Slot {}

static CONFIG: Slot = Slot(UnsafeCell::new(Config::empty()));
static READY: AtomicBool = AtomicBool::new(false);

/// The configuration, once loading finished.
pub fn get() -> Option<&'static Config> {
    // SAFETY: READY means the writer finished and never writes again.
    READY
        .load(Ordering::Acquire)
        .then(|| unsafe { &*CONFIG.0.get() })
}

/// `getenv`, as bytes (empty values count as unset).
fn env(name: &CStr) -> Option<&'static [u8]> {
    // SAFETY: getenv with a NUL-terminated name; the result, when not NULL, is a NUL-terminated
    // string in the environment, which we copy or parse before the constructor returns.
    let p = unsafe { libc::getenv(name.as_ptr()) };
    if p.is_null() {
        return None;
    }
    // SAFETY: non-NULL getenv results are NUL-terminated.
    let v = unsafe { CStr::from_ptr(p) }.to_bytes();
    (!v.is_empty()).then_some(v)
}

fn parse_u64(v: &[u8]) -> Option<u64> {
    core::str::from_utf8(v).ok()?.trim().parse().ok()
}

fn abort_msg_addr() -> usize {
    // SAFETY: dlsym with a NUL-terminated name; RTLD_DEFAULT searches the global scope.
    unsafe { libc::dlsym(libc::RTLD_DEFAULT, c"__abort_msg".as_ptr()) as usize }
}

/// Reads the environment and fills the configuration in place (call once, at load, before
/// any handler is installed); returns it, published.
pub fn load_from_env() -> &'static Config {
    if let Some(c) = get() {
        return c;
    }
    // SAFETY: not published yet (READY is false), and loading runs once, on one thread, so
    // nothing else reads or writes the configuration meanwhile.
    let c = unsafe { &mut *CONFIG.0.get() };
    fill(c);
    READY.store(true, Ordering::Release);
    // SAFETY: published; from now on only read.
    unsafe { &*CONFIG.0.get() }
}

fn fill(c: &mut Config) {
    match env(c"TRACEKIT_SEGV_SIGNALS").and_then(|v| core::str::from_utf8(v).ok()) {
        Some(spec) if !spec.trim().is_empty() => {
            if let Err(bad) = describe::parse_signals(spec, &mut c.signals) {
                let mut msg = crate::out::Small::<256>::new();
                let _ = core::fmt::Write::write_fmt(
                    &mut msg,
                    format_args!(
                        "tracekit segv: TRACEKIT_SEGV_SIGNALS: unknown signal {bad:?} (ignored)\n"
                    ),
                );
                sys::write_all(2, msg.as_bytes());
            }
        }
        _ => {
            for &s in describe::DEFAULT_SIGNALS {
                c.signals[s as usize] = true;
            }
        }
    }
    // A descriptor well above the ones programs use, so closing or reusing fd 2 leaves
    // the report its destination.
    c.stderr_fd = sys::dup_cloexec_above(2, 100)
        .or_else(|_| sys::dup_cloexec_above(2, 3))
        .unwrap_or(2);
    c.timeout_ms = env(c"TRACEKIT_SEGV_TIMEOUT_MS")
        .and_then(parse_u64)
        .unwrap_or(1500);
    if let Some(p) = env(c"TRACEKIT_SEGV_OUTPUT") {
        c.output.set(p);
    }
    if let Some(p) = env(c"TRACEKIT_LOG") {
        if c.log.set(p) {
            c.start_unix_ns = sys::clock_ns(libc::CLOCK_REALTIME);
            c.start_mono_ns = sys::clock_ns(libc::CLOCK_MONOTONIC);
        }
    }
    c.symbolize = env(c"TRACEKIT_SEGV_SYMBOLIZE") != Some(b"0");
    if let Some(p) = env(c"TRACEKIT_SEGV_SYMBOLIZER") {
        c.symbolizer_env.set(p);
    }
    c.abort_msg = abort_msg_addr();
    c.test_fail = match env(c"TRACEKIT_SEGV_TEST_FAIL") {
        Some(b"fault") => TestFail::Fault,
        Some(b"hang") => TestFail::Hang,
        Some(b"panic") => TestFail::Panic,
        _ => TestFail::None,
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpath_keeps_a_nul_terminated_copy() {
        let p = CPath::new(b"/a/b").unwrap();
        assert_eq!(p.bytes(), b"/a/b");
        assert_eq!(p.with_nul(), b"/a/b\0");
        assert!(CPath::new(b"").is_none());
        assert!(CPath::new(b"a\0b").is_none());
        assert!(CPath::new(&[b'a'; PATH_CAP]).is_none());
        assert!(CPath::empty().get().is_none());
    }

    #[test]
    fn symbolizer_is_found_next_to_the_module_that_holds_this_code() {
        let mut buf = vec![0u8; maps::MAPS_CAP];
        let n = maps::read_self(&mut buf);
        let mut cfg = Config::empty();
        cfg.symbolize = true;
        let mut out = CPath::empty();
        // The test binary's directory holds no `tracekit` of that name... unless it does:
        // either way the candidate is `<dir of the test binary>/tracekit`.
        let found = cfg.symbolizer(&buf[..n], &mut out).is_some();
        let exe = std::fs::read_link("/proc/self/exe").unwrap();
        let want = exe.parent().unwrap().join("tracekit");
        assert_eq!(found, want.exists());
        assert_eq!(out.bytes(), want.as_os_str().as_encoded_bytes());
        cfg.symbolizer_env.set(b"/x/y");
        assert_eq!(
            cfg.symbolizer(&buf[..n], &mut out).unwrap().bytes(),
            b"/x/y"
        );
        cfg.symbolize = false;
        assert!(cfg.symbolizer(&buf[..n], &mut out).is_none());
    }
}
