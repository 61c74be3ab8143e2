//! What the handler needs, decided once at load time (environment, descriptors), so the
//! handler only reads it.
//!
//! Loading must cost next to nothing, so this reads the environment in one pass over the
//! array glibc hands to `.init_array` functions (no `getenv` per variable, no allocation, no
//! lock), fills a static in place (its pages are touched only for what is set) and leaves
//! everything that can wait to the crash: the symbolizer's path is found in
//! `/proc/self/maps` by the handler ([`Config::symbolizer`]), glibc's `__abort_msg` in libc's
//! dynamic symbols (see `report`).

use core::cell::UnsafeCell;
use core::ffi::{c_char, c_int};
use core::sync::atomic::{AtomicBool, Ordering};

use tracekit_preload_core::env;

use crate::{describe, maps, sys};

/// Longest path kept (with its NUL).
pub const PATH_CAP: usize = 4096;

/// Longest environment entry read (a longer one is cut, and a path that long, or a signal
/// list, is refused anyway).
const ENTRY_MAX: usize = PATH_CAP + 64;

/// A NUL-terminated path in a fixed buffer (so the configuration never allocates).
pub struct CPath {
    len: usize,
    buf: [u8; PATH_CAP],
}

impl core::fmt::Debug for CPath {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "\"{}\"", tracekit_preload_core::fmt::Text(self.bytes()))
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

/// The actions that were installed before ours, one per signal, written by the kernel as it
/// installs ours (one `rt_sigaction` per signal, see `handler::install`). All zero
/// (`SIG_DFL`) for signals we did not take.
pub struct Previous([UnsafeCell<libc::sigaction>; 65]);

// SAFETY: each entry is written once, by the kernel, in the `sigaction` call that installs our
// handler for that signal, before the handler can run for it; afterwards it is only read.
unsafe impl Sync for Previous {}

impl Previous {
    const fn new() -> Previous {
        // SAFETY: an all-zero sigaction is SIG_DFL with an empty mask.
        Previous([const { UnsafeCell::new(unsafe { core::mem::zeroed() }) }; 65])
    }

    /// Where the kernel is to write the action `sig` had before ours.
    pub fn slot(&self, sig: c_int) -> Option<*mut libc::sigaction> {
        self.0.get(usize::try_from(sig).ok()?).map(UnsafeCell::get)
    }

    /// The action that was there before ours for `sig` (`SIG_DFL` if we never took it).
    pub fn get(&self, sig: c_int) -> libc::sigaction {
        match self.slot(sig) {
            // SAFETY: see `Previous`; a volatile read of a plain value the kernel wrote.
            Some(p) => unsafe { core::ptr::read_volatile(p) },
            None => sys::default_action(),
        }
    }
}

impl core::fmt::Debug for Previous {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Previous { .. }")
    }
}

/// Everything decided at load.
///
/// `repr(C)`, in this order, because every program that loads us pays for each page loading
/// writes: what is written at load (the small fields, and the previous actions of the
/// default signals, which sit in the first 2 KiB of `previous`) comes first, so that it
/// shares a page with the flags (see `Slot`); the paths, 4 KiB each, come last and are
/// touched only when set.
#[derive(Debug)]
#[repr(C)]
pub struct Config {
    /// A duplicate of stderr made at load (-1 if none).
    pub stderr_fd: c_int,
    /// False when `TRACEKIT_SEGV_SYMBOLIZE=0`.
    pub symbolize: bool,
    /// Test hook (`TRACEKIT_SEGV_TEST_FAIL`): `fault` makes the handler fault, `hang` makes it
    /// hang, `panic` makes it panic, after the report's first lines, to prove the process
    /// still dies of its signal.
    pub test_fail: TestFail,
    /// How long the symbolizer may take, in ms (`TRACEKIT_SEGV_TIMEOUT_MS`, default 1500).
    pub timeout_ms: u64,
    /// Process start, wall clock (ns since the epoch); taken only when `log` is set.
    pub start_unix_ns: u64,
    /// Process start, `CLOCK_MONOTONIC`; taken only when `log` is set.
    pub start_mono_ns: u64,
    /// Which signals we handle, by number.
    pub signals: [bool; 65],
    /// The actions our handlers replaced (the kernel writes them as we install ours).
    pub previous: Previous,
    /// `TRACEKIT_SEGV_OUTPUT`: also write the report here.
    pub output: CPath,
    /// `TRACEKIT_LOG`: append a crash event here (`%p` becomes the pid).
    pub log: CPath,
    /// `TRACEKIT_SEGV_SYMBOLIZER`, if set (otherwise `tracekit` next to this library).
    pub symbolizer_env: CPath,
}

impl Config {
    /// Nothing configured (all zero, so the static stays in `.bss`).
    pub const fn empty() -> Config {
        Config {
            stderr_fd: 0,
            symbolize: false,
            test_fail: TestFail::None,
            timeout_ms: 0,
            start_unix_ns: 0,
            start_mono_ns: 0,
            signals: [false; 65],
            previous: Previous::new(),
            output: CPath::empty(),
            log: CPath::empty(),
            symbolizer_env: CPath::empty(),
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

/// The configuration and its flags, together so that what loading writes (the flags and the
/// start of the `repr(C)` configuration, under 2 KiB) shares a page or two: each page written
/// at load is a page fault in every program that loads us. (Not page-aligned: that would
/// align all of `.bss`, and move the C runtime's own flag onto a page of its own.)
#[repr(C)]
struct Slot {
    /// Set by the first (only) call of `load_from_env`. Its first access is this write: a
    /// read first would map the shared zero page, and the write then fault a second time.
    loading: AtomicBool,
    ready: AtomicBool,
    config: UnsafeCell<Config>,
}

// SAFETY: the configuration is written only by `load_from_env`, at load, before `ready` is
// set (Release); after that it is only read, by threads that saw `ready` (Acquire), except
// for `previous`, which has its own rule (see `Previous`).
unsafe impl Sync for Slot {}

static CONFIG: Slot = Slot {
    loading: AtomicBool::new(false),
    ready: AtomicBool::new(false),
    config: UnsafeCell::new(Config::empty()),
};

/// The configuration, once loading finished.
pub fn get() -> Option<&'static Config> {
    // SAFETY: `ready` means the writer finished and never writes again.
    CONFIG
        .ready
        .load(Ordering::Acquire)
        .then(|| unsafe { &*CONFIG.config.get() })
}

/// Our variables' values (empty values count as unset), found in one pass over the
/// environment: cheaper at load than a `getenv` per variable, each of which scans it all.
#[derive(Debug, Default, PartialEq, Eq)]
struct Vars<'e> {
    signals: Option<&'e [u8]>,
    output: Option<&'e [u8]>,
    log: Option<&'e [u8]>,
    symbolize: Option<&'e [u8]>,
    symbolizer: Option<&'e [u8]>,
    timeout_ms: Option<&'e [u8]>,
    test_fail: Option<&'e [u8]>,
}

impl<'e> Vars<'e> {
    /// Picks ours out of `NAME=value` entries; the first of a name counts, as for `getenv`.
    fn pick(entries: impl Iterator<Item = &'e [u8]>) -> Vars<'e> {
        let mut v = Vars::default();
        for e in entries {
            let Some((name, value)) = env::split_entry(e) else {
                continue;
            };
            let slot = match name {
                b"TRACEKIT_SEGV_SIGNALS" => &mut v.signals,
                b"TRACEKIT_SEGV_OUTPUT" => &mut v.output,
                b"TRACEKIT_LOG" => &mut v.log,
                b"TRACEKIT_SEGV_SYMBOLIZE" => &mut v.symbolize,
                b"TRACEKIT_SEGV_SYMBOLIZER" => &mut v.symbolizer,
                b"TRACEKIT_SEGV_TIMEOUT_MS" => &mut v.timeout_ms,
                b"TRACEKIT_SEGV_TEST_FAIL" => &mut v.test_fail,
                _ => continue,
            };
            if slot.is_none() && !value.is_empty() {
                *slot = Some(value);
            }
        }
        v
    }
}

fn parse_u64(v: &[u8]) -> Option<u64> {
    tracekit_preload_core::env::parse_u64(v.trim_ascii())
}

/// Reads the environment `envp` and fills the configuration in place (call once, at load,
/// before any handler is installed); returns it, published.
///
/// # Safety
/// `envp` is NULL or the process's environment array (what glibc passes to `.init_array`
/// functions, and `environ`), not changed meanwhile.
pub unsafe fn load_from_env(envp: *const *const c_char) -> &'static Config {
    if CONFIG.loading.swap(true, Ordering::AcqRel) {
        // Loaded already (or being loaded: then wait for it).
        loop {
            if let Some(c) = get() {
                return c;
            }
            core::hint::spin_loop();
        }
    }
    // SAFETY: per the contract; the values are copied or parsed before this returns.
    let vars = Vars::pick(unsafe { env::entries_with_prefix(envp, b"TRACEKIT_", ENTRY_MAX) });
    // SAFETY: not published yet (`ready` is false), and only the one caller that set
    // `loading` gets here, so nothing else reads or writes the configuration meanwhile.
    let c = unsafe { &mut *CONFIG.config.get() };
    fill(c, &vars);
    CONFIG.ready.store(true, Ordering::Release);
    // SAFETY: published; from now on only read.
    unsafe { &*CONFIG.config.get() }
}

fn fill(c: &mut Config, env: &Vars<'_>) {
    match env.signals.and_then(|v| core::str::from_utf8(v).ok()) {
        Some(spec) if !spec.trim().is_empty() => {
            if let Err(bad) = describe::parse_signals(spec, &mut c.signals) {
                tracekit_preload_core::stderr::say_as(
                    "tracekit segv",
                    format_args!("TRACEKIT_SEGV_SIGNALS: unknown signal {bad:?} (ignored)"),
                );
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
    c.stderr_fd = sys::dup_cloexec(2, 100)
        .or_else(|_| sys::dup_cloexec(2, 3))
        .unwrap_or(2);
    c.timeout_ms = env.timeout_ms.and_then(parse_u64).unwrap_or(1500);
    if let Some(p) = env.output {
        c.output.set(p);
    }
    if let Some(p) = env.log {
        if c.log.set(p) {
            c.start_unix_ns = sys::clock_ns(libc::CLOCK_REALTIME);
            c.start_mono_ns = sys::clock_ns(libc::CLOCK_MONOTONIC);
        }
    }
    c.symbolize = env.symbolize != Some(b"0");
    if let Some(p) = env.symbolizer {
        c.symbolizer_env.set(p);
    }
    c.test_fail = match env.test_fail {
        Some(b"fault") => TestFail::Fault,
        Some(b"hang") => TestFail::Hang,
        Some(b"panic") => TestFail::Panic,
        _ => TestFail::None,
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::ffi::CStr;

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
    fn environment_is_read_in_one_pass_first_value_wins_empty_is_unset() {
        let entries: [&[u8]; 7] = [
            b"PATH=/bin",
            b"TRACEKIT_SEGV_OUTPUT=/tmp/a",
            b"TRACEKIT_SEGV_OUTPUT=/tmp/b",
            b"TRACEKIT_LOG=",
            b"TRACEKIT_SEGV_SIGNALS_X=1",
            b"TRACEKIT_SEGV_TIMEOUT_MS=250",
            b"TRACEKIT_SEGV_SYMBOLIZE",
        ];
        let v = Vars::pick(entries.into_iter());
        assert_eq!(
            v,
            Vars {
                output: Some(b"/tmp/a"),
                timeout_ms: Some(b"250"),
                ..Vars::default()
            }
        );
    }

    #[test]
    fn only_tracekit_entries_of_a_c_environment_are_taken() {
        let strings: [&CStr; 4] = [
            c"HOME=/root",
            c"TRACEKIT",
            c"TRACEKIT_LOG=/tmp/x.trk",
            c"TRACEKIT_SEGV_TEST_FAIL=hang",
        ];
        let mut envp: Vec<*const c_char> = strings.iter().map(|s| s.as_ptr()).collect();
        envp.push(std::ptr::null());
        // SAFETY: a NULL-terminated array of NUL-terminated strings that outlive the calls.
        let got: Vec<&[u8]> =
            unsafe { env::entries_with_prefix(envp.as_ptr(), b"TRACEKIT_", ENTRY_MAX) }.collect();
        assert_eq!(
            got,
            [
                &b"TRACEKIT_LOG=/tmp/x.trk"[..],
                b"TRACEKIT_SEGV_TEST_FAIL=hang"
            ]
        );
        // SAFETY: NULL is allowed.
        let none = unsafe { env::entries_with_prefix(std::ptr::null(), b"TRACEKIT_", ENTRY_MAX) };
        assert_eq!(none.count(), 0);
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
