//! Compressing the log with zstd, mostly on a helper thread, without giving up crash safety.
//!
//! While the program runs, records go to the file uncompressed (through the shared map, so
//! a crash loses nothing). A helper thread, started once there is enough to compress,
//! reads the finished part of the records back, cut at record boundaries, and compresses it
//! into zstd chunks kept in memory. When the process ends (or `exec`s), the rest is
//! compressed and the log is replaced, atomically, by a copy in which this process's part
//! holds the chunks instead of the raw records (see `LogFile::finish`). A process that dies
//! first, even in the middle of that, leaves its records uncompressed, which is just as
//! readable.
//!
//! The chunks wait in an unnamed file next to the log (`O_TMPFILE`, the spill), not in the
//! program's memory, where they would grow with the log (12 MiB on a 2.4M-allocation C++
//! run) and count in its resident set; where no such file can be made they are kept in
//! memory. A process that dies leaves no spill behind: the file has no name.
//!
//! The helper thread blocks every signal, holds the reentrancy guard for good (its own
//! allocations, zstd's included, pass straight to glibc) and never takes the session lock.

use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, Ordering};

use tracekit_log::{chunk_header, Codec, CHUNK_BIT};

use crate::lock::SpinLock;
use crate::sys;

/// Raw bytes per chunk, at most. Its buffers (twice this) stay resident in the helper
/// thread; zstd level 1 matches within 512 KiB, so larger pieces would barely compress better.
const PIECE: usize = 512 << 10;
/// The helper starts on a piece once this much is ready.
pub const MIN_PIECE: u64 = 512 << 10;

/// The zstd level. Measured on `bench/heap.sh`'s log (8.9 MB of batched heap events):
/// level 1 makes 7.57 MB at ~420 MB/s, level 2 7.56 MB at ~290 MB/s, level 3 barely less
/// for half the speed (heaptrack's raw file for the same run: 8.8-9.0 MB).
/// `TRACEKIT_ZSTD_LEVEL` overrides it.
pub const LEVEL: i32 = 1;
/// zstd's minimum match length; 0 leaves the level's own.
pub const MIN_MATCH: u32 = 0;

/// The zstd level: [`LEVEL`], or `TRACEKIT_ZSTD_LEVEL`.
fn level() -> i32 {
    crate::env::number("TRACEKIT_ZSTD_LEVEL", LEVEL as u64).min(22) as i32
}

/// Up to this level a piece compresses in a few ms (level 1: ~1.3 ms for MIN_PIECE), within
/// the coarse clock's tick: the clock published before it stays good enough meanwhile.
const QUICK_LEVEL: i32 = 3;

/// A compressor with [`LEVEL`] and [`MIN_MATCH`], or `TRACEKIT_ZSTD_LEVEL` and
/// `TRACEKIT_ZSTD_MIN_MATCH` (3 to 7) when set.
fn compressor() -> Option<zstd::bulk::Compressor<'static>> {
    let level = level();
    let min_match = crate::env::number("TRACEKIT_ZSTD_MIN_MATCH", u64::from(MIN_MATCH)) as u32;
    let mut c = tracekit_log::zstd_compressor(level, crate::logfile::BATCH_LIMIT as u32).ok()?;
    if (3..=7).contains(&min_match) {
        c.set_parameter(zstd::zstd_safe::CParameter::MinMatch(min_match))
            .ok()?;
    }
    Some(c)
}

/// State shared by the writer and the helper thread (one log per process at a time).
#[derive(Debug)]
struct Shared {
    fd: AtomicI32,
    /// Raw records up to here are complete (published by the writer).
    sealed: AtomicU64,
    /// Raw records up to here are compressed into `chunks`.
    done: AtomicU64,
    running: AtomicBool,
    stop: AtomicBool,
    /// `CLOCK_MONOTONIC_COARSE` as of the helper's last round; 0 when it is not running.
    clock: AtomicU64,
    /// The helper thread's id while it runs, else 0.
    tid: AtomicU32,
    /// The chunks made so far, when there is no spill.
    chunks: SpinLock<Vec<u8>>,
    /// The spill (-1: none): the chunks made so far, `spilled` bytes of them; its (device,
    /// inode) is checked before each use (the program may close our descriptors).
    spill: AtomicI32,
    spilled: AtomicU64,
    spill_id: SpinLock<(u64, u64)>,
    /// A chunk could not be spilled: the log keeps its raw records.
    spill_failed: AtomicBool,
}

static BG: Shared = Shared {
    fd: AtomicI32::new(-1),
    sealed: AtomicU64::new(0),
    done: AtomicU64::new(0),
    running: AtomicBool::new(false),
    stop: AtomicBool::new(false),
    clock: AtomicU64::new(0),
    tid: AtomicU32::new(0),
    chunks: SpinLock::new(Vec::new()),
    spill: AtomicI32::new(-1),
    spilled: AtomicU64::new(0),
    spill_id: SpinLock::new((0, 0)),
    spill_failed: AtomicBool::new(false),
};

/// The clock as the helper thread last read it (`CLOCK_MONOTONIC_COARSE`, ns), or 0 when it
/// is not running, or compressing at a slow level. It reads it every round: a few ms apart
/// at most (the coarse clock's own tick).
#[inline]
pub fn published_clock_ns() -> u64 {
    BG.clock.load(Ordering::Relaxed)
}

/// The helper thread's id, or 0 when it is not running.
pub fn helper_tid() -> u32 {
    BG.tid.load(Ordering::Acquire)
}

/// Starts compressing a new log's records from file offset `start`, keeping the chunks in
/// `spill` (an unnamed file of ours, given to this module; -1: in memory).
pub fn reset(fd: c_int, start: u64, spill: c_int) {
    stop_helper();
    BG.fd.store(fd, Ordering::Release);
    BG.sealed.store(start, Ordering::Release);
    BG.done.store(start, Ordering::Release);
    BG.chunks.lock().clear();
    set_spill(spill);
}

/// Makes `spill` the chunks' file (closing the one before, if it is still ours).
fn set_spill(spill: c_int) {
    let old = BG.spill.swap(spill, Ordering::AcqRel);
    let mut id = BG.spill_id.lock();
    if old >= 0 && sys::file_id(old) == Some(*id) {
        sys::close(old);
    }
    *id = if spill >= 0 {
        sys::file_id(spill).unwrap_or((0, 0))
    } else {
        (0, 0)
    };
    BG.spilled.store(0, Ordering::Release);
    BG.spill_failed.store(false, Ordering::Release);
}

/// Keeps a chunk: appended to the spill, or in memory when there is none.
fn keep(chunk: &[u8]) {
    let spill = BG.spill.load(Ordering::Acquire);
    if spill < 0 {
        BG.chunks.lock().extend_from_slice(chunk);
        return;
    }
    let at = BG.spilled.load(Ordering::Acquire);
    let ours = sys::file_id(spill) == Some(*BG.spill_id.lock());
    if ours && sys::pwrite_all(spill, chunk, at).is_ok() {
        BG.spilled.store(at + chunk.len() as u64, Ordering::Release);
    } else {
        BG.spill_failed.store(true, Ordering::Release);
    }
}

/// The chunks that stand for a process's records, as [`finish`] hands them over: the
/// spilled ones first (`spill`, `spilled` bytes, or none), then `tail`.
#[derive(Debug)]
pub struct Chunks {
    /// The spill and how many bytes of chunks it holds (the caller closes it).
    pub spill: Option<(c_int, u64)>,
    /// The chunks after those.
    pub tail: Vec<u8>,
}

impl Chunks {
    /// Their length in bytes.
    pub fn len(&self) -> u64 {
        self.spill.map_or(0, |s| s.1) + self.tail.len() as u64
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes them to `to` from offset `at` (the spill copied a piece at a time).
    pub fn write_to(&self, to: c_int, at: u64) -> sys::SysResult<()> {
        let mut done = 0;
        if let Some((spill, len)) = self.spill {
            let mut buf = vec![0u8; (len as usize).clamp(1, 1 << 20)];
            while done < len {
                let n = ((len - done) as usize).min(buf.len());
                if sys::pread_full(spill, &mut buf[..n], done)? != n {
                    return Err(sys::Errno(libc::EIO));
                }
                sys::pwrite_all(to, &buf[..n], at + done)?;
                done += n as u64;
            }
        }
        sys::pwrite_all(to, &self.tail, at + done)
    }
}

/// The writer says: raw records up to `pos` are complete. Returns true when the helper
/// thread should be started (do that without holding the session lock: [`spawn`]).
#[inline]
pub fn seal(pos: u64) -> bool {
    BG.sealed.store(pos, Ordering::Release);
    // Started at the first seal: besides compressing, it readies the log's pages ahead of
    // the writer.
    !BG.running.load(Ordering::Acquire)
}

/// Starts the helper thread, if it is not running.
pub fn spawn() {
    if BG
        .running
        .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return;
    }
    BG.stop.store(false, Ordering::Release);
    // The thread inherits the all-blocked mask; ours is restored right after.
    let old = sys::set_thread_sigmask(&sys::full_sigset());
    let mut t: libc::pthread_t = 0;
    // SAFETY: t is writable; default attributes; `helper` takes no argument.
    let r = unsafe { libc::pthread_create(&mut t, std::ptr::null(), helper, std::ptr::null_mut()) };
    sys::set_thread_sigmask(&old);
    if r == 0 {
        // SAFETY: t is the thread just created, never joined.
        unsafe { libc::pthread_detach(t) };
    } else {
        BG.running.store(false, Ordering::Release);
    }
}

extern "C" fn helper(_: *mut c_void) -> *mut c_void {
    crate::guard::Guard::hold_forever();
    BG.tid.store(sys::gettid(), Ordering::Release);
    let _ = sys::set_thread_name(b"tracekit-zstd\0");
    let mut comp = compressor();
    let quick = level() <= QUICK_LEVEL;
    let mut input = vec![0u8; PIECE];
    let mut out = vec![0u8; zstd::zstd_safe::compress_bound(PIECE) + 32];
    let mut sampled = 0u64;
    while !BG.stop.load(Ordering::Acquire) {
        let now = sys::mono_coarse_ns();
        BG.clock.store(now, Ordering::Relaxed);
        let every = crate::session::memory_interval_ns();
        if every != 0 && now.saturating_sub(sampled) >= every {
            crate::session::sample_memory();
            sampled = now;
        }
        let done = BG.done.load(Ordering::Acquire);
        let sealed = BG.sealed.load(Ordering::Acquire);
        let fd = BG.fd.load(Ordering::Acquire);
        let Some(comp) = comp.as_mut() else { break };
        // First keep the writer's window ready ahead of it (the pages it will write next).
        crate::logfile::ready_ahead(sealed);
        BG.clock.store(sys::mono_coarse_ns(), Ordering::Relaxed);
        if fd < 0 || sealed < done + MIN_PIECE {
            sys::sleep_us(2000);
            continue;
        }
        // At a high TRACEKIT_ZSTD_LEVEL compressing a piece takes long (most of a second at
        // 19): meanwhile events read the clock themselves.
        if !quick {
            BG.clock.store(0, Ordering::Relaxed);
        }
        match piece(fd, done, sealed, comp, &mut input, &mut out) {
            Some((consumed, n)) => {
                // The log may have been reset (exec, fork) while we worked: `reset` stops
                // this thread first, so a reset log is seen here.
                if BG.done.load(Ordering::Acquire) == done && BG.fd.load(Ordering::Acquire) == fd {
                    keep(&out[..n]);
                    BG.done.store(done + consumed, Ordering::Release);
                }
            }
            None => break,
        }
    }
    BG.clock.store(0, Ordering::Relaxed);
    BG.tid.store(0, Ordering::Release);
    BG.running.store(false, Ordering::Release);
    std::ptr::null_mut()
}

/// Compresses the records starting at `from` (up to `to`, at most one piece) into `out` as
/// one chunk (or raw, when that is smaller). Returns (raw bytes consumed, bytes in `out`).
fn piece(
    fd: c_int,
    from: u64,
    to: u64,
    comp: &mut zstd::bulk::Compressor<'_>,
    input: &mut [u8],
    out: &mut [u8],
) -> Option<(u64, usize)> {
    let want = (to - from).min(PIECE as u64) as usize;
    let got = sys::pread_full(fd, &mut input[..want], from).ok()?;
    let mut cut = record_boundary(&input[..got]);
    if cut == 0 {
        // Nothing whole (a record longer than a piece, or the cut end of a crashed
        // writer's records): keep it raw.
        cut = got;
    }
    if cut == 0 {
        return None;
    }
    let raw = &input[..cut];
    let mut head = [0u8; 24];
    match comp.compress_to_buffer(raw, &mut out[24..]) {
        Ok(z) if z + 24 < cut => {
            let h = chunk_header(&mut head, Codec::Zstd, cut, z).ok()?;
            out.copy_within(24..24 + z, h);
            out[..h].copy_from_slice(&head[..h]);
            Some((cut as u64, h + z))
        }
        _ => {
            out[..cut].copy_from_slice(raw);
            Some((cut as u64, cut))
        }
    }
}

fn stop_helper() {
    BG.stop.store(true, Ordering::Release);
    while BG.running.load(Ordering::Acquire) {
        sys::yield_now();
    }
}

/// After `fork`, in the child: the helper thread is not there; forget its work.
pub fn forget_in_child() {
    BG.clock.store(0, Ordering::Relaxed);
    BG.tid.store(0, Ordering::Release);
    BG.running.store(false, Ordering::Release);
    BG.fd.store(-1, Ordering::Release);
    BG.chunks.lock().clear();
    // The spill is the parent's: this copy of its descriptor goes (the next log gets its own).
    set_spill(-1);
}

/// Takes the helper's lock around `fork`.
pub fn fork_prepare() {
    BG.chunks.lock_for_fork();
    crate::logfile::fork_prepare();
}

/// Releases the lock taken by [`fork_prepare`].
pub fn fork_release() {
    crate::logfile::fork_release();
    // SAFETY: taken by fork_prepare in this thread (or, in the child, its copy).
    unsafe { BG.chunks.force_unlock() };
}

/// Finishes compressing the records in `[start, end)` of `fd` (stopping the helper, then
/// doing the rest here). Returns the chunks that stand for them, or `None` (the raw records
/// are then left as they are) when that could not be done. The caller puts them in place
/// (see `LogFile::finish`), and closes the spill afterwards.
pub fn finish(fd: c_int, start: u64, end: u64) -> Option<Chunks> {
    stop_helper();
    if BG.fd.load(Ordering::Acquire) != fd {
        reset(fd, start, -1);
    }
    let mut chunks = std::mem::take(&mut *BG.chunks.lock());
    let spill = BG.spill.load(Ordering::Acquire);
    let mut spilled = (spill >= 0).then(|| (spill, BG.spilled.load(Ordering::Acquire)));
    if BG.spill_failed.load(Ordering::Acquire) {
        return None;
    }
    let mut done = BG.done.load(Ordering::Acquire);
    if done < start || done > end {
        chunks.clear();
        spilled = None;
        done = start;
    }
    // When the helper fell behind (a busy machine, a burst just before exit), compress the
    // rest on two threads: a second one takes the first half.
    let mid = if end - done > 2 * MIN_PIECE {
        split_point(fd, done, done + (end - done) / 2)
    } else {
        done
    };
    let first_half = (mid > done).then(|| {
        let from = done;
        spawn_blocked(move || {
            crate::guard::Guard::hold_forever();
            compress_range(fd, from, mid)
        })
    });
    let second = compress_range(fd, mid, end)?;
    if let Some(t) = first_half {
        chunks.extend_from_slice(&t.join().ok()??);
    }
    chunks.extend_from_slice(&second);
    BG.fd.store(-1, Ordering::Release);
    Some(Chunks {
        spill: spilled,
        tail: chunks,
    })
}

/// Closes the spill (after [`finish`]'s chunks were copied out, or given up).
pub fn close_spill() {
    set_spill(-1);
}

/// Compresses the records in `[from, to)` (which start and end at record boundaries) into
/// chunks.
fn compress_range(fd: c_int, mut from: u64, to: u64) -> Option<Vec<u8>> {
    let mut comp = compressor()?;
    let mut input = vec![0u8; PIECE];
    let mut out = vec![0u8; zstd::zstd_safe::compress_bound(PIECE) + 32];
    let mut chunks = Vec::new();
    while from < to {
        let (consumed, n) = piece(fd, from, to, &mut comp, &mut input, &mut out)?;
        chunks.extend_from_slice(&out[..n]);
        from += consumed;
    }
    Some(chunks)
}

/// The first record boundary at or after `target`, walking whole records from `from` (a
/// boundary); `from` when the records can't be walked.
fn split_point(fd: c_int, from: u64, target: u64) -> u64 {
    let mut buf = vec![0u8; 1 << 20];
    let mut at = from;
    loop {
        let got = match sys::pread_full(fd, &mut buf, at) {
            Ok(0) | Err(_) => return from,
            Ok(n) => n,
        };
        let mut i = 0;
        loop {
            let n = first_item_len(&buf[i..got]);
            if n == 0 {
                break;
            }
            i += n;
            if at + i as u64 >= target {
                return at + i as u64;
            }
        }
        if i == 0 {
            return from;
        }
        at += i as u64;
    }
}

/// The length of the first whole item in `buf` (0 when it is cut).
fn first_item_len(buf: &[u8]) -> usize {
    let Some(&t) = buf.first() else { return 0 };
    if t == 0 {
        return 1;
    }
    let mut j = 1;
    let mut lens = [0u64; 2];
    let count = if t & CHUNK_BIT != 0 { 2 } else { 1 };
    for l in lens.iter_mut().take(count) {
        match uleb(buf, &mut j) {
            Some(v) => *l = v,
            None => return 0,
        }
    }
    let body = if t & CHUNK_BIT != 0 { lens[1] } else { lens[0] };
    match (j as u64).checked_add(body) {
        Some(n) if n <= buf.len() as u64 => n as usize,
        _ => 0,
    }
}

/// A thread with every signal blocked (the program's handlers must not run on it).
fn spawn_blocked<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> std::thread::JoinHandle<T> {
    // The thread inherits the all-blocked mask; ours is restored right after the spawn.
    let old = sys::set_thread_sigmask(&sys::full_sigset());
    let t = std::thread::spawn(f);
    sys::set_thread_sigmask(&old);
    t
}

/// The end of the last whole item (record, padding byte, chunk) in `buf`.
pub fn record_boundary(buf: &[u8]) -> usize {
    let mut i = 0;
    let mut last = 0;
    while i < buf.len() {
        let t = buf[i];
        if t == 0 {
            i += 1;
            last = i;
            continue;
        }
        let mut j = i + 1;
        let mut lens = [0u64; 2];
        let count = if t & CHUNK_BIT != 0 { 2 } else { 1 };
        for l in lens.iter_mut().take(count) {
            match uleb(buf, &mut j) {
                Some(v) => *l = v,
                None => return last,
            }
        }
        let body = if t & CHUNK_BIT != 0 { lens[1] } else { lens[0] };
        let Some(next) = (j as u64).checked_add(body) else {
            return last;
        };
        if next > buf.len() as u64 {
            return last;
        }
        i = next as usize;
        last = i;
    }
    last
}

fn uleb(buf: &[u8], i: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*i)?;
        *i += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundary_stops_before_a_cut_record() {
        // record (tag 5, len 2), padding, record cut short
        let buf = [5u8, 2, 9, 9, 0, 6, 3, 1];
        assert_eq!(record_boundary(&buf), 5);
        assert_eq!(record_boundary(&buf[..4]), 4);
        assert_eq!(record_boundary(&buf[..3]), 0);
    }
}
