//! Proof that recording call lines never allocates: this test's executable links the agent
//! (its own GOT slots of `strlen`, `snprintf` and `getenv` are redirected to the stubs, as a
//! preloaded agent does to a program's), exports a counting `malloc` family (every allocation
//! of the process goes through it, libc's included) and makes traced calls whose records copy
//! strings, a printf format and its `%s` argument: no `malloc` and no block of the agent's own
//! allocator in that window, and every call recorded.
//!
//! It re-runs itself with the agent's variables set (as ltrace-rs starts a program).

use std::ffi::c_void;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use preload_ltrace::wire::{self, op, Read};

const CHILD: &str = "TRACEKIT_LTRACE_NO_ALLOC_CHILD";
// Few enough that the records fit in one ring (nobody drains it here).
const ROUNDS: usize = 100;
const NAMES: [&str; 3] = ["strlen", "snprintf", "getenv"];

static MALLOCS: AtomicUsize = AtomicUsize::new(0);

extern "C" {
    fn __libc_malloc(n: usize) -> *mut c_void;
    fn __libc_calloc(n: usize, size: usize) -> *mut c_void;
    fn __libc_realloc(p: *mut c_void, n: usize) -> *mut c_void;
    fn __libc_memalign(align: usize, n: usize) -> *mut c_void;
}

/// Counts, then glibc's malloc.
#[no_mangle]
pub extern "C" fn malloc(n: usize) -> *mut c_void {
    MALLOCS.fetch_add(1, Ordering::Relaxed);
    // SAFETY: glibc's allocator, as the caller asked.
    unsafe { __libc_malloc(n) }
}

/// Counts, then glibc's calloc.
#[no_mangle]
pub extern "C" fn calloc(n: usize, size: usize) -> *mut c_void {
    MALLOCS.fetch_add(1, Ordering::Relaxed);
    // SAFETY: glibc's allocator, as the caller asked.
    unsafe { __libc_calloc(n, size) }
}

/// Counts, then glibc's realloc.
///
/// # Safety
/// `p` is null or a live block of glibc's allocator.
#[no_mangle]
pub unsafe extern "C" fn realloc(p: *mut c_void, n: usize) -> *mut c_void {
    MALLOCS.fetch_add(1, Ordering::Relaxed);
    // SAFETY: the caller's contract.
    unsafe { __libc_realloc(p, n) }
}

/// Counts, then glibc's memalign.
#[no_mangle]
pub extern "C" fn memalign(align: usize, n: usize) -> *mut c_void {
    MALLOCS.fetch_add(1, Ordering::Relaxed);
    // SAFETY: glibc's allocator, as the caller asked.
    unsafe { __libc_memalign(align, n) }
}

/// Writes plan `i` (its reads) into the events file's bytes.
fn plan(e: &mut [u8], i: usize, reads: &[Read]) {
    for (k, r) in reads.iter().enumerate() {
        let at = 64 + i * wire::PLAN + k * 16;
        let [a, b] = r.encode();
        e[at..at + 8].copy_from_slice(&a.to_le_bytes());
        e[at + 8..at + 16].copy_from_slice(&b.to_le_bytes());
    }
}

fn parent() {
    let dir = std::env::temp_dir().join(format!("ltrace-no-alloc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (counts, events) = (dir.join("counts"), dir.join("events"));
    let n = NAMES.len();
    let mut c = vec![0u8; 32 + 16 * n];
    c[..8].copy_from_slice(b"TKLTCNT1");
    c[8..16].copy_from_slice(&(n as u64).to_le_bytes());
    std::fs::write(&counts, &c).unwrap();
    let mut e = vec![0u8; wire::file_len(n)];
    e[..8].copy_from_slice(&wire::EV_MAGIC.to_le_bytes());
    e[8..16].copy_from_slice(&(n as u64).to_le_bytes());
    let cstr = |src: u8, at_exit: bool| Read {
        op: op::CSTR,
        src,
        at_exit,
        max: 32,
        ..Read::default()
    };
    plan(&mut e, 0, &[cstr(1, false)]);
    let format = Read {
        op: op::FORMAT,
        src: 3,
        elem: 3,
        max: 32,
        ..Read::default()
    };
    plan(&mut e, 1, &[format]);
    plan(&mut e, 2, &[cstr(1, false), cstr(0, true)]);
    std::fs::write(&events, &e).unwrap();
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .env(CHILD, "1")
        .env("TRACEKIT_LTRACE_FUNCS", NAMES.join(","))
        .env("TRACEKIT_LTRACE_COUNTS", &counts)
        .env("TRACEKIT_LTRACE_EVENTS", &events)
        .env("NO_ALLOC_HOME", "/home/nobody")
        .status()
        .unwrap();
    let data = std::fs::read(&events).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(status.success(), "child failed: {status:?}");
    let word = |at: usize| u64::from_le_bytes(data[at..at + 8].try_into().unwrap());
    // Header words: magic, functions, seq, threads, dropped.
    let (seq, dropped) = (word(16), word(32));
    assert_eq!(dropped, 0, "events dropped");
    assert!(
        seq >= (2 * 3 * ROUNDS) as u64,
        "every call's entry and return recorded: {seq}"
    );
    println!("no_alloc: ok ({seq} events)");
}

fn main() {
    if std::env::var_os(CHILD).is_none() {
        return parent();
    }
    preload_ltrace::init_now();
    let s = c"a string to measure";
    let fmt = c"%s and %d";
    let var = c"NO_ALLOC_HOME";
    let mut buf = [0u8; 64];
    let mut calls = || {
        // SAFETY: NUL-terminated strings and a buffer of the size given.
        let n = unsafe { libc::strlen(black_box(s.as_ptr())) };
        // SAFETY: as above; the format takes a string and an int.
        let m = unsafe {
            libc::snprintf(
                buf.as_mut_ptr().cast(),
                buf.len(),
                fmt.as_ptr(),
                s.as_ptr(),
                7,
            )
        };
        // SAFETY: a NUL-terminated name.
        let v = unsafe { libc::getenv(var.as_ptr()) };
        black_box((n, m, v));
    };
    for _ in 0..10 {
        calls();
    }
    let (m0, a0) = (
        MALLOCS.load(Ordering::Relaxed),
        preload_ltrace::arena::allocations(),
    );
    for _ in 0..ROUNDS {
        calls();
    }
    let (m1, a1) = (
        MALLOCS.load(Ordering::Relaxed),
        preload_ltrace::arena::allocations(),
    );
    assert_eq!(m1 - m0, 0, "malloc calls while recording");
    assert_eq!(a1 - a0, 0, "the agent's own allocations while recording");
    // The counting malloc does count (else the check above proves nothing).
    // SAFETY: a fresh block, freed at once.
    unsafe { libc::free(black_box(libc::malloc(black_box(24)))) };
    assert_eq!(MALLOCS.load(Ordering::Relaxed), m1 + 1, "malloc is counted");
}
