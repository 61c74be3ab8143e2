//! The stack depot: every distinct backtrace is stored once and a block's entry keeps its
//! 4-byte id, not its frames (as AddressSanitizer's depot does). A block entry with two
//! backtraces inline cost 300 bytes, more than Electric Fence's whole per-block overhead;
//! programs allocate from few distinct stacks, so the depot stays small.
//!
//! Records never change once published: a lookup probes the hash table without a lock (an id
//! is stored with Release after its record is written, and loaded with Acquire), and the crash
//! handler reads a record by id from a signal handler. Adding a record takes the lock. The
//! memory is reserved at start and made accessible as records are added; a full depot answers
//! id 0 ("no stack"), and the report then shows none.

use core::sync::atomic::{AtomicU32, Ordering};

use tracekit_crash::fault::NOTE_FRAMES;
use tracekit_preload_rt::lock::SpinLock;
use tracekit_preload_rt::sys;

/// Distinct stacks at most.
const RECORDS: usize = 1 << 18;
/// Hash buckets (twice the records, so probes stay short).
const BUCKETS: usize = RECORDS * 2;
/// Records are made accessible this many bytes at a time.
const COMMIT_STEP: usize = 1 << 20;

/// One stored backtrace.
#[repr(C)]
struct Record {
    len: u64,
    frames: [u64; NOTE_FRAMES],
}

const RECORD: usize = core::mem::size_of::<Record>();

/// Where the depot's memory is (fixed at [`Depot::create`]).
#[derive(Debug, Clone, Copy)]
pub struct Depot {
    /// `BUCKETS` ids (0: empty), accessible.
    buckets: usize,
    /// `RECORDS` records, accessible up to what [`Growth::committed`] says; record 0 unused.
    records: usize,
}

/// What adding a record changes, under the lock.
struct Growth {
    /// Records handed out, record 0 included.
    count: usize,
    /// Bytes of the records' area accessible so far.
    committed: usize,
}

static GROWTH: SpinLock<Growth> = SpinLock::new(Growth {
    count: 1,
    committed: 0,
});

const RW: i32 = libc::PROT_READ | libc::PROT_WRITE;

impl Depot {
    /// No depot (before the allocator is set up): every lookup answers "no stack".
    pub const EMPTY: Depot = Depot {
        buckets: 0,
        records: 0,
    };

    /// Maps the buckets (their pages cost memory only once touched) and reserves the records'
    /// address space.
    pub fn create() -> Option<Depot> {
        let buckets = sys::map_anon(BUCKETS * 4).ok()?;
        let Ok(records) = sys::reserve(RECORDS * RECORD) else {
            // SAFETY: the map just made, unused.
            unsafe { sys::unmap(buckets, BUCKETS * 4) };
            return None;
        };
        Some(Depot {
            buckets: buckets as usize,
            records: records as usize,
        })
    }

    fn bucket(&self, i: usize) -> &AtomicU32 {
        // SAFETY: i < BUCKETS (callers mask it); the buckets are accessible, zeroed at first
        // (empty) and only ever written through atomics.
        unsafe { &*((self.buckets + i * 4) as *const AtomicU32) }
    }

    fn record(&self, id: u32) -> *mut Record {
        (self.records + id as usize * RECORD) as *mut Record
    }

    /// The id of `frames` (0 when empty or when the depot is full), adding it when new.
    pub fn intern(&self, frames: &[u64]) -> u32 {
        let frames = &frames[..frames.len().min(NOTE_FRAMES)];
        if frames.is_empty() || self.buckets == 0 {
            return 0;
        }
        let h = hash(frames);
        if let Probe::Found(id) = self.probe(h, frames) {
            return id;
        }
        let mut g = GROWTH.lock();
        // Another thread may have added it since the probe above.
        let slot = match self.probe(h, frames) {
            Probe::Found(id) => return id,
            Probe::Empty(slot) => slot,
            Probe::Full => return 0,
        };
        let id = g.count;
        if id >= RECORDS {
            return 0;
        }
        let need = (id + 1) * RECORD;
        if need > g.committed {
            let to = need.div_ceil(COMMIT_STEP) * COMMIT_STEP;
            let to = to.min(RECORDS * RECORD);
            // SAFETY: inside the records' reservation, past what is in use.
            let grown = unsafe {
                sys::protect(
                    (self.records + g.committed) as *mut u8,
                    to - g.committed,
                    RW,
                )
            };
            if grown.is_err() {
                return 0;
            }
            g.committed = to;
        }
        let mut rec = Record {
            len: frames.len() as u64,
            frames: [0; NOTE_FRAMES],
        };
        rec.frames[..frames.len()].copy_from_slice(frames);
        // SAFETY: record `id` is accessible (committed above) and unpublished: nobody reads it.
        unsafe { self.record(id as u32).write(rec) };
        g.count += 1;
        // Publishes the record (Release: its bytes are written before the id is seen).
        self.bucket(slot).store(id as u32, Ordering::Release);
        id as u32
    }

    fn probe(&self, h: u64, frames: &[u64]) -> Probe {
        let mut i = h as usize & (BUCKETS - 1);
        for _ in 0..BUCKETS {
            let id = self.bucket(i).load(Ordering::Acquire);
            if id == 0 {
                return Probe::Empty(i);
            }
            // SAFETY: a published id: its record is accessible and never changes again.
            let rec = unsafe { &*self.record(id) };
            if rec.len as usize == frames.len() && rec.frames[..frames.len()] == *frames {
                return Probe::Found(id);
            }
            i = (i + 1) & (BUCKETS - 1);
        }
        Probe::Full
    }

    /// The frames of stack `id` into `out`; how many (0 for id 0). Async-signal-safe: no lock,
    /// only reads of a published record.
    pub fn get(&self, id: u32, out: &mut [u64; NOTE_FRAMES]) -> usize {
        if id == 0 || id as usize >= RECORDS || self.records == 0 {
            return 0;
        }
        // SAFETY: ids come from `intern`, which published the record before handing it out;
        // records never change.
        let rec = unsafe { &*self.record(id) };
        let n = (rec.len as usize).min(NOTE_FRAMES);
        out[..n].copy_from_slice(&rec.frames[..n]);
        n
    }
}

enum Probe {
    Found(u32),
    Empty(usize),
    Full,
}

/// Takes the depot's lock (before `fork`).
pub fn lock_for_fork() {
    GROWTH.lock_for_fork();
}

/// Releases it (after `fork`, in parent and child).
pub fn unlock_after_fork() {
    // SAFETY: taken by `lock_for_fork` in this process or the parent it was forked from.
    unsafe { GROWTH.force_unlock() };
}

/// FxHash's mixing over the return addresses.
fn hash(frames: &[u64]) -> u64 {
    frames.iter().fold(frames.len() as u64, |h, &f| {
        (h.rotate_left(5) ^ f).wrapping_mul(0x517c_c1b7_2722_0a95)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stack_is_stored_once_and_read_back() {
        let d = Depot::create().expect("reserve");
        let a = [0x1000, 0x2000, 0x3000];
        let b = [0x1000, 0x2000];
        let ia = d.intern(&a);
        let ib = d.intern(&b);
        assert_ne!(ia, 0);
        assert_ne!(ia, ib);
        assert_eq!(d.intern(&a), ia);
        assert_eq!(d.intern(&[]), 0);
        let mut out = [0; NOTE_FRAMES];
        assert_eq!(d.get(ia, &mut out), 3);
        assert_eq!(out[..3], a);
        assert_eq!(d.get(ib, &mut out), 2);
        assert_eq!(out[..2], b);
        assert_eq!(d.get(0, &mut out), 0);
    }
}
