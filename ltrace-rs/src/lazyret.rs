//! Returns without a stop, for `-c` (which needs of a return only its value and its time).
//!
//! At a counted call's entry the return address on the stack is swapped for a *trampoline* in
//! a page of the tracee, one per outstanding call (a *slot*), instead of for the entry
//! point's `int3`. When the function returns there, the trampoline notes the return value and
//! the time stamp counter in the slot's data, marks it done and jumps to the real return
//! address, all inside the tracee: one ptrace stop per call instead of two. The tracer
//! collects finished slots at its next stop of that process (every stop, including the exit
//! event, looks first), so the counts and the order of events are those of the trapping path.
//!
//! A trampoline uses only `r11` and the flags (a caller relies on neither after a call) and
//! keeps every other register: the return registers, and `rcx` and the rest as the function
//! left them (a later call's unknown arguments print as without the trampoline). It reads the
//! real return address before marking the slot done, so the tracer may reuse a done slot at
//! once. Once detached, a pending trampoline still returns where it should.

use std::time::{Duration, Instant};

/// Outstanding calls one process can have at once (more are traced with a return trap).
pub const SLOTS: u32 = 256;
/// Bytes of code per trampoline.
const CODE: u64 = 64;
/// Bytes of data per slot: done flag, real return address, `rax`, time stamp.
pub const DATA: u64 = 32;
const DONE: u64 = 0;
const REAL: u64 = 8;
const RAX: u64 = 16;
const TSC: u64 = 24;

/// Bytes of the code pages.
pub const CODE_LEN: u64 = SLOTS as u64 * CODE;
/// Bytes of the data pages.
pub const DATA_LEN: u64 = SLOTS as u64 * DATA;

/// The machine code of every trampoline, for code pages at `code` and data at `data`;
/// `None` when the two are too far apart for `rip`-relative addressing.
pub fn trampolines(code: u64, data: u64) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(CODE_LEN as usize);
    for k in 0..SLOTS as u64 {
        let at = code + k * CODE;
        let d = data + k * DATA;
        // `disp32` of a `rip`-relative operand at `target`, for an instruction ending at `end`.
        let rel = |target: u64, end: u64| -> Option<[u8; 4]> {
            let v = i32::try_from(target.wrapping_sub(at + end) as i64).ok()?;
            Some(v.to_le_bytes())
        };
        let mut t = Vec::with_capacity(CODE as usize);
        t.extend_from_slice(&[0x48, 0x89, 0x05]); // mov %rax, RAX(%rip)
        t.extend_from_slice(&rel(d + RAX, 7)?);
        t.extend_from_slice(&[0x48, 0x89, 0x15]); // mov %rdx, TSC(%rip) (kept there a moment)
        t.extend_from_slice(&rel(d + TSC, 14)?);
        t.extend_from_slice(&[0x0f, 0x31]); // rdtsc
        t.extend_from_slice(&[0x48, 0xc1, 0xe2, 0x20]); // shl $32, %rdx
        t.extend_from_slice(&[0x48, 0x09, 0xd0]); // or %rdx, %rax
        t.extend_from_slice(&[0x48, 0x87, 0x05]); // xchg %rax, TSC(%rip)
        t.extend_from_slice(&rel(d + TSC, 30)?);
        t.extend_from_slice(&[0x48, 0x89, 0xc2]); // mov %rax, %rdx
        t.extend_from_slice(&[0x48, 0x8b, 0x05]); // mov RAX(%rip), %rax
        t.extend_from_slice(&rel(d + RAX, 40)?);
        t.extend_from_slice(&[0x4c, 0x8b, 0x1d]); // mov REAL(%rip), %r11
        t.extend_from_slice(&rel(d + REAL, 47)?);
        t.extend_from_slice(&[0xc6, 0x05]); // movb $1, DONE(%rip)
        t.extend_from_slice(&rel(d + DONE, 54)?);
        t.push(1);
        t.extend_from_slice(&[0x41, 0xff, 0xe3]); // jmp *%r11
        debug_assert_eq!(t.len(), 57);
        t.resize(CODE as usize, 0xcc);
        out.extend_from_slice(&t);
    }
    Some(out)
}

/// The trampolines of one address space and which slots are in use.
#[derive(Debug, Clone)]
pub struct Returns {
    code: u64,
    data: u64,
    free: Vec<u32>,
    /// Slots of outstanding calls, with the thread that made each.
    pub pending: Vec<(u32, i32)>,
}

/// A finished call, as its slot says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Done {
    /// The slot.
    pub slot: u32,
    /// The return value.
    pub rax: u64,
    /// The time stamp counter at the return.
    pub tsc: u64,
}

impl Returns {
    /// Trampolines at `code`, slots at `data` (both mapped and the code written).
    pub fn new(code: u64, data: u64) -> Returns {
        Returns {
            code,
            data,
            free: (0..SLOTS).rev().collect(),
            pending: Vec::new(),
        }
    }

    /// Takes a free slot for a call of thread `tid`: its number, the trampoline's address (the
    /// return address to plant) and the 16 bytes to write at the slot's data address (done
    /// flag cleared, the real return address `ret`).
    pub fn take(&mut self, tid: i32, ret: u64) -> Option<(u32, u64, u64, [u8; 16])> {
        let k = self.free.pop()?;
        self.pending.push((k, tid));
        let mut init = [0u8; 16];
        init[8..].copy_from_slice(&ret.to_le_bytes());
        Some((
            k,
            self.code + k as u64 * CODE,
            self.data + k as u64 * DATA,
            init,
        ))
    }

    /// The data range covering the pending slots (to read in one go), if any.
    pub fn pending_range(&self) -> Option<(u64, usize)> {
        let lo = self.pending.iter().map(|p| p.0).min()? as u64;
        let hi = self.pending.iter().map(|p| p.0).max()? as u64 + 1;
        Some((self.data + lo * DATA, ((hi - lo) * DATA) as usize))
    }

    /// The pending slots that are done, from the bytes of [`Returns::pending_range`]; they are
    /// no longer pending and free again. With the thread of each.
    pub fn collect(&mut self, bytes: &[u8]) -> Vec<(Done, i32)> {
        let Some(lo) = self.pending.iter().map(|p| p.0).min() else {
            return Vec::new();
        };
        let word = |k: u32, off: u64| -> Option<u64> {
            let at = ((k - lo) as u64 * DATA + off) as usize;
            let b = bytes.get(at..at + 8)?;
            Some(u64::from_le_bytes(b.try_into().ok()?))
        };
        let mut done = Vec::new();
        self.pending.retain(|&(k, tid)| {
            if word(k, DONE).unwrap_or(0) & 0xff == 0 {
                return true;
            }
            done.push((
                Done {
                    slot: k,
                    rax: word(k, RAX).unwrap_or(0),
                    tsc: word(k, TSC).unwrap_or(0),
                },
                tid,
            ));
            false
        });
        self.free.extend(done.iter().map(|(d, _)| d.slot));
        done
    }

    /// Gives the pending slots of thread `from` to `to` (a forked child, whose copy of the
    /// calls returns in its own memory) and forgets the other threads' (not in the child).
    pub fn hand_over(&mut self, from: i32, to: i32) {
        self.pending.retain_mut(|(_, t)| {
            if *t == from {
                *t = to;
                true
            } else {
                false
            }
        });
    }
}

/// The time stamp counter (what the trampolines read).
pub fn tsc() -> u64 {
    // SAFETY: rdtsc reads a counter; it has no memory effects and exists on every x86-64.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Turns time stamp counter ticks into time: calibrated against the monotonic clock over
/// 10 ms at the start, then over the whole run so far.
#[derive(Debug, Clone, Copy)]
pub struct TscClock {
    start: Instant,
    start_tsc: u64,
    ns_per_tick: f64,
}

impl TscClock {
    /// Calibrates (sleeps 10 ms).
    pub fn calibrate() -> TscClock {
        let (start, start_tsc) = (Instant::now(), tsc());
        std::thread::sleep(Duration::from_millis(10));
        let (ns, ticks) = (start.elapsed().as_nanos() as f64, tsc() - start_tsc);
        TscClock {
            start,
            start_tsc,
            ns_per_tick: ns / ticks.max(1) as f64,
        }
    }

    /// The time of `ticks`.
    pub fn duration(&self, ticks: u64) -> Duration {
        let ns = self.start.elapsed().as_nanos() as f64;
        let total = tsc().wrapping_sub(self.start_tsc);
        let rate = if ns > 1e9 && total > 0 {
            ns / total as f64
        } else {
            self.ns_per_tick
        };
        Duration::from_nanos((ticks as f64 * rate) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trampolines_address_their_own_slot_and_end_in_an_indirect_jump() {
        let (code, data) = (0x7000_0000_0000u64, 0x7000_1000_0000u64);
        let t = trampolines(code, data).expect("in reach");
        assert_eq!(t.len() as u64, CODE_LEN);
        for k in [0u64, 1, SLOTS as u64 - 1] {
            let at = code + k * CODE;
            let b = &t[(k * CODE) as usize..][..CODE as usize];
            let disp = |off: usize| i32::from_le_bytes(b[off..off + 4].try_into().unwrap()) as i64;
            // mov %rax, RAX(%rip): the displacement counts from the instruction's end.
            assert_eq!(at as i64 + 7 + disp(3), (data + k * DATA + RAX) as i64);
            // xchg %rax, TSC(%rip).
            assert_eq!(at as i64 + 30 + disp(26), (data + k * DATA + TSC) as i64);
            // mov REAL(%rip), %r11.
            assert_eq!(at as i64 + 47 + disp(43), (data + k * DATA + REAL) as i64);
            // movb $1, DONE(%rip): its end is after the immediate byte.
            assert_eq!(at as i64 + 54 + disp(49), (data + k * DATA + DONE) as i64);
            assert_eq!(&b[54..57], &[0x41, 0xff, 0xe3]);
        }
        assert!(trampolines(code, code + (1 << 33)).is_none());
    }

    #[test]
    fn slots_are_taken_collected_when_done_and_reused() {
        let mut r = Returns::new(0x1000, 0x8000);
        let (k0, tramp, slot, init) = r.take(7, 0xabc).unwrap();
        assert_eq!(
            (tramp, slot),
            (0x1000 + k0 as u64 * CODE, 0x8000 + k0 as u64 * DATA)
        );
        assert_eq!(u64::from_le_bytes(init[8..].try_into().unwrap()), 0xabc);
        let (k1, ..) = r.take(8, 0xdef).unwrap();
        let (base, len) = r.pending_range().unwrap();
        assert_eq!((base, len), (0x8000, 2 * DATA as usize));
        let mut bytes = vec![0u8; len];
        // Slot k1 done with rax 5 at tick 99; k0 still running.
        let at = ((k1 - k0) as u64 * DATA) as usize;
        bytes[at] = 1;
        bytes[at + 16..at + 24].copy_from_slice(&5u64.to_le_bytes());
        bytes[at + 24..at + 32].copy_from_slice(&99u64.to_le_bytes());
        let done = r.collect(&bytes);
        assert_eq!(
            done,
            vec![(
                Done {
                    slot: k1,
                    rax: 5,
                    tsc: 99
                },
                8
            )]
        );
        assert_eq!(r.pending, vec![(k0, 7)]);
        assert_eq!(r.take(9, 0).unwrap().0, k1, "a done slot is reused");
        r.hand_over(7, 70);
        assert_eq!(r.pending, vec![(k0, 70)]);
    }
}
