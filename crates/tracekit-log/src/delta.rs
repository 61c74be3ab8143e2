//! Compact heap records: `Alloc`, `Free` and `Realloc` coded against the records before them.
//!
//! A heap tracker writes millions of these, and most of each full record repeats the one
//! before: the same thread, the same (coarse) time, a pointer a few KiB from the last one.
//! The compact forms keep a little state, [`Delta`], shared by writer and reader:
//!
//! ```text
//! state   := tid u32, time_ns u64, ptr u64,      all 0 (and the ring empty) at the start
//!            ring: the last RING (2048) nonzero  of the file and after every Sync record
//!            pointers allocations returned
//! Sync    := tag 16, len 0                       resets the state
//! CAlloc  := tag 17, len, flags, [tid], [dtime], dptr, size, stack, [align]
//! CFree   := tag 18, len, flags, [tid], [dtime], rptr, [size, stack]
//! CRealloc:= tag 19, len, flags, [tid], [dtime], rptr(old), dptr(new vs old), size, stack
//! flags   := kind (bits 0-4: the AllocKind / FreeKind code)
//!          | 0x20 tid follows (uleb), and becomes the state's thread
//!          | 0x40 dtime follows (zig-zag: time_ns minus the state's time); else the same time
//!          | 0x80 extra: CAlloc has `align` (else 0), CFree has `size, stack` (else 0, 0)
//! dptr    := zig-zag of (pointer minus the state's ptr, wrapping)
//! rptr    := uleb 0                 a null pointer
//!          | uleb 1, dptr           as dptr
//!          | uleb age + 1           the pointer the age-th most recent allocation returned
//!                                   (age 1 = the last one; at most RING, counted since Sync)
//! ```
//!
//! A batch record holds many heap events back to back, each without a tag or a length:
//!
//! ```text
//! Batch   := tag 20, len, event*             (writers use a 3-byte length, updated in place
//!                                             after each event they add)
//! event   := head, [kind u8], [tid], [dtime], fields as CAlloc / CFree / CRealloc above
//! head    := type (bits 0-1: 1 alloc, 2 free, 3 realloc)
//!          | 0x04 tid follows | 0x08 dtime follows | 0x10 extra (as in flags)
//!          | kind (bits 5-7: 1-7 index the common kinds of the type, see KINDS_ALLOC and
//!            KINDS_FREE; 0: the kind's code follows in a byte)
//! ```
//!
//! After each record the state's `ptr` is the record's pointer (a realloc's new one), and a
//! nonzero pointer an `Alloc` or `Realloc` returned joins the ring. Programs mostly free
//! what they allocated recently: its age takes fewer bits than its address.
//!
//! Each compact record decodes to the same [`Event`] as its full form (tags 6, 7, 8), which
//! stay valid: a log may mix both. The state runs through the logical record stream (chunks
//! are only containers), so a writer that starts in the middle of a file (an `exec`ed image
//! appending) writes `Sync` first; writers also put one every few hundred KiB, where a
//! reader that resumes after damage can pick up again.

use crate::codec::{tag, PayloadError};
use crate::wire::Dec;
use crate::{Alloc, AllocKind, Event, Free, FreeKind, Realloc};

/// Pointers remembered for age coding.
pub const RING: usize = 2048;

/// The state compact records are coded against (see the [module docs](self)): what a
/// reader keeps.
#[derive(Clone, PartialEq, Eq)]
pub struct Delta {
    /// The current thread.
    pub tid: u32,
    /// The time of the last heap record.
    pub time_ns: u64,
    /// The last pointer (an allocation's, a release's, or a realloc's new one).
    pub ptr: u64,
    /// Pointers pushed into `ring` since the last `Sync`.
    pub pushed: u64,
    /// The last [`RING`] pointers allocations returned; push `i` is at `i % RING`.
    pub ring: [u64; RING],
}

impl std::fmt::Debug for Delta {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delta")
            .field("tid", &self.tid)
            .field("time_ns", &self.time_ns)
            .field("ptr", &self.ptr)
            .field("pushed", &self.pushed)
            .finish()
    }
}

impl Default for Delta {
    fn default() -> Self {
        Self::new()
    }
}

impl Delta {
    /// The state at the start of a file.
    pub const fn new() -> Self {
        Delta {
            tid: 0,
            time_ns: 0,
            ptr: 0,
            pushed: 0,
            ring: [0; RING],
        }
    }

    /// Back to the start state (what `Sync` does). The ring's old contents are never
    /// referred to again (ages count from here), so they stay.
    pub fn reset(&mut self) {
        self.tid = 0;
        self.time_ns = 0;
        self.ptr = 0;
        self.pushed = 0;
    }

    #[inline(always)]
    fn push(&mut self, ptr: u64) {
        if ptr != 0 {
            self.ring[self.pushed as usize % RING] = ptr;
            self.pushed += 1;
        }
    }

    /// The pointer of age `age` (1 = the last pushed), if the ring still holds it.
    #[inline]
    fn aged(&self, age: u64) -> Option<u64> {
        (age >= 1 && age <= RING as u64 && age <= self.pushed)
            .then(|| self.ring[(self.pushed - age) as usize % RING])
    }
}

/// Index slots of [`Encoder`].
const INDEX: usize = 4096;

/// A writer's side of the state: the [`Delta`] without its ring, plus an index from
/// pointer to the push that last returned it (to find ages). Never allocates.
#[derive(Debug)]
pub struct Encoder {
    tid: u32,
    time_ns: u64,
    ptr: u64,
    /// Pushes since the start (never reset: `base` marks the last `Sync`).
    pushed: u64,
    base: u64,
    /// Direct-mapped: (pointer, push number + 1); 0 is empty.
    index: [(u64, u64); INDEX],
}

impl Default for Encoder {
    fn default() -> Self {
        Self::new()
    }
}

impl Encoder {
    /// The state at the start of a file.
    pub const fn new() -> Self {
        Encoder {
            tid: 0,
            time_ns: 0,
            ptr: 0,
            pushed: 0,
            base: 0,
            index: [(0, 0); INDEX],
        }
    }

    /// Back to the start state: call when writing a `Sync` record.
    pub fn reset(&mut self) {
        self.tid = 0;
        self.time_ns = 0;
        self.ptr = 0;
        self.base = self.pushed;
    }

    #[inline(always)]
    fn slot(ptr: u64) -> usize {
        (ptr.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - 12)) as usize
    }

    #[inline(always)]
    fn push(&mut self, ptr: u64) {
        if ptr != 0 {
            self.pushed += 1;
            self.index[Self::slot(ptr)] = (ptr, self.pushed);
        }
    }

    /// The age of `ptr` in the reader's ring, if it is there.
    #[inline(always)]
    fn age(&self, ptr: u64) -> Option<u64> {
        let (p, n) = self.index[Self::slot(ptr)];
        let age = self.pushed.wrapping_sub(n) + 1;
        (p == ptr && n > self.base && age <= RING as u64).then_some(age)
    }
}

/// Room a compact record may need: tag, one-byte length, and a payload of at most 57
/// bytes (a realloc: flags 1, tid 5, time 10, rptr 11, three more integers of 10).
pub const MAX_COMPACT: usize = 2 + 57;

const TID: u8 = 0x20;
const TIME: u8 = 0x40;
const EXTRA: u8 = 0x80;
const KIND: u8 = 0x1f;

struct Out<'a, const N: usize = MAX_COMPACT> {
    buf: &'a mut [u8; N],
    i: usize,
}

impl<'a> Out<'a, MAX_EVENT> {
    #[inline(always)]
    fn batch(buf: &'a mut [u8; MAX_EVENT]) -> Self {
        Out { buf, i: 0 }
    }
}

impl<const N: usize> Out<'_, N> {
    /// `v` as an unsigned LEB128 number.
    #[inline(always)]
    fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf[self.i] = v as u8 | 0x80;
            self.i += 1;
            v >>= 7;
        }
        self.buf[self.i] = v as u8;
        self.i += 1;
    }

    /// `v`, a difference that may be negative, zigzag-coded as a [`Out::varint`].
    #[inline(always)]
    fn zigzag(&mut self, v: u64) {
        let v = v as i64;
        self.varint(((v << 1) ^ (v >> 63)) as u64)
    }

    /// Flags byte at 2, then the thread and time when they changed.
    #[inline(always)]
    fn head(&mut self, d: &mut Encoder, kind: u8, tid: u32, time_ns: u64) -> usize {
        debug_assert!(kind <= KIND);
        self.i = 3;
        self.buf[2] = kind | self.thread_time(d, tid, time_ns, TID, TIME);
        2
    }

    /// The thread and the time delta, each only when it changed since the last event; returns
    /// `tid_flag` and `time_flag` for those written.
    #[inline(always)]
    fn thread_time(
        &mut self,
        d: &mut Encoder,
        tid: u32,
        time_ns: u64,
        tid_flag: u8,
        time_flag: u8,
    ) -> u8 {
        let mut flags = 0;
        if tid != d.tid {
            flags |= tid_flag;
            self.varint(tid.into());
            d.tid = tid;
        }
        if time_ns != d.time_ns {
            flags |= time_flag;
            self.zigzag(time_ns.wrapping_sub(d.time_ns));
            d.time_ns = time_ns;
        }
        flags
    }

    /// A pointer by age when the reader's ring has it, else against the last pointer.
    #[inline(always)]
    fn pointer(&mut self, d: &Encoder, ptr: u64) {
        if ptr == 0 {
            return self.varint(0);
        }
        match d.age(ptr) {
            Some(age) => self.varint(age + 1),
            None => {
                self.varint(1);
                self.zigzag(ptr.wrapping_sub(d.ptr));
            }
        }
    }

    #[inline(always)]
    fn finish(self, t: u8) -> usize {
        self.buf[0] = t;
        self.buf[1] = (self.i - 2) as u8;
        self.i
    }
}

/// Encodes `a` as a compact record into `buf`, updating `d`; returns its length. Never
/// allocates.
#[inline]
pub fn alloc(a: &Alloc, d: &mut Encoder, buf: &mut [u8; MAX_COMPACT]) -> usize {
    let mut o = Out { buf, i: 0 };
    let f = o.head(d, a.kind.code(), a.tid, a.time_ns);
    o.zigzag(a.ptr.wrapping_sub(d.ptr));
    d.ptr = a.ptr;
    d.push(a.ptr);
    o.varint(a.size);
    o.varint(a.stack);
    if a.align != 0 {
        o.buf[f] |= EXTRA;
        o.varint(a.align);
    }
    o.finish(tag::C_ALLOC)
}

/// Encodes `fr` as a compact record into `buf`, updating `d`; returns its length.
#[inline]
pub fn free(fr: &Free, d: &mut Encoder, buf: &mut [u8; MAX_COMPACT]) -> usize {
    let mut o = Out { buf, i: 0 };
    let f = o.head(d, fr.kind.code(), fr.tid, fr.time_ns);
    o.pointer(d, fr.ptr);
    d.ptr = fr.ptr;
    if fr.size != 0 || fr.stack != 0 {
        o.buf[f] |= EXTRA;
        o.varint(fr.size);
        o.varint(fr.stack);
    }
    o.finish(tag::C_FREE)
}

/// Encodes `r` as a compact record into `buf`, updating `d`; returns its length.
#[inline]
pub fn realloc(r: &Realloc, d: &mut Encoder, buf: &mut [u8; MAX_COMPACT]) -> usize {
    let mut o = Out { buf, i: 0 };
    o.head(d, r.kind.code(), r.tid, r.time_ns);
    o.pointer(d, r.old_ptr);
    o.zigzag(r.new_ptr.wrapping_sub(r.old_ptr));
    d.ptr = r.new_ptr;
    d.push(r.new_ptr);
    o.varint(r.size);
    o.varint(r.stack);
    o.finish(tag::C_REALLOC)
}

/// Encodes a `Sync` record (2 bytes) into `buf` and resets `d`.
#[inline]
pub fn sync(d: &mut Encoder, buf: &mut [u8]) -> Option<usize> {
    let b = buf.get_mut(..2)?;
    b.copy_from_slice(&[tag::SYNC, 0]);
    d.reset();
    Some(2)
}

/// Encodes a heap event compactly into `buf` (any length), updating `d`; `Err(Full)` when
/// `buf` is too short, `Ok(None)` for events that have no compact form.
pub fn encode(
    ev: &Event<'_>,
    d: &mut Encoder,
    buf: &mut [u8],
) -> Result<Option<usize>, crate::Full> {
    transact::<MAX_COMPACT>(ev, d, buf, alloc, free, realloc)
}

/// Encodes heap event `ev` with the matching one of `on_alloc`, `on_free`, `on_realloc` into
/// a scratch buffer, then copies it into `buf`. When `buf` is too short, `d` is put back as it
/// was, so nothing half-written shifts the coding state; `Ok(None)` for other events.
fn transact<const N: usize>(
    ev: &Event<'_>,
    d: &mut Encoder,
    buf: &mut [u8],
    on_alloc: fn(&Alloc, &mut Encoder, &mut [u8; N]) -> usize,
    on_free: fn(&Free, &mut Encoder, &mut [u8; N]) -> usize,
    on_realloc: fn(&Realloc, &mut Encoder, &mut [u8; N]) -> usize,
) -> Result<Option<usize>, crate::Full> {
    let mut tmp = [0u8; N];
    let saved = (d.tid, d.time_ns, d.ptr, d.pushed);
    let pushes = match ev {
        Event::Alloc(a) => a.ptr,
        Event::Realloc(r) => r.new_ptr,
        _ => 0,
    };
    let saved_slot = d.index[Encoder::slot(pushes)];
    let n = match ev {
        Event::Alloc(a) => on_alloc(a, d, &mut tmp),
        Event::Free(f) => on_free(f, d, &mut tmp),
        Event::Realloc(r) => on_realloc(r, d, &mut tmp),
        _ => return Ok(None),
    };
    let Some(out) = buf.get_mut(..n) else {
        // Undo: the record is not written.
        (d.tid, d.time_ns, d.ptr, d.pushed) = saved;
        d.index[Encoder::slot(pushes)] = saved_slot;
        return Err(crate::Full);
    };
    out.copy_from_slice(&tmp[..n]);
    Ok(Some(n))
}

/// Allocation kinds a batch event's head names in bits 5-7 (index 1-7).
pub const KINDS_ALLOC: [AllocKind; 8] = [
    AllocKind::Malloc,
    AllocKind::Malloc,
    AllocKind::Calloc,
    AllocKind::Realloc,
    AllocKind::New,
    AllocKind::NewArray,
    AllocKind::Reallocarray,
    AllocKind::PosixMemalign,
];

/// Release kinds a batch event's head names in bits 5-7 (index 1-7).
pub const KINDS_FREE: [FreeKind; 8] = [
    FreeKind::Free,
    FreeKind::Free,
    FreeKind::Delete,
    FreeKind::DeleteArray,
    FreeKind::DeleteSized,
    FreeKind::DeleteArraySized,
    FreeKind::DeleteAligned,
    FreeKind::DeleteSizedAligned,
];

/// Room one batch event may need: head, kind, tid 5, time 10, and at most 41 more.
pub const MAX_EVENT: usize = 60;

const B_ALLOC: u8 = 1;
const B_FREE: u8 = 2;
const B_REALLOC: u8 = 3;
const B_TID: u8 = 0x04;
const B_TIME: u8 = 0x08;
const B_EXTRA: u8 = 0x10;

/// Writes the head (type, kind, thread, time) of a batch event; returns the head's index.
#[inline(always)]
fn bhead(
    o: &mut Out<'_, MAX_EVENT>,
    d: &mut Encoder,
    ty: u8,
    idx: u8,
    code: u8,
    tid: u32,
    time: u64,
) {
    let mut head = ty;
    o.i = 1;
    if idx != 0 {
        head |= idx << 5;
    } else {
        o.buf[1] = code;
        o.i = 2;
    }
    head |= o.thread_time(d, tid, time, B_TID, B_TIME);
    o.buf[0] = head;
}

#[inline(always)]
fn alloc_index(k: AllocKind) -> u8 {
    match k {
        AllocKind::Malloc => 1,
        AllocKind::Calloc => 2,
        AllocKind::Realloc => 3,
        AllocKind::New => 4,
        AllocKind::NewArray => 5,
        AllocKind::Reallocarray => 6,
        AllocKind::PosixMemalign => 7,
        _ => 0,
    }
}

#[inline(always)]
fn free_index(k: FreeKind) -> u8 {
    match k {
        FreeKind::Free => 1,
        FreeKind::Delete => 2,
        FreeKind::DeleteArray => 3,
        FreeKind::DeleteSized => 4,
        FreeKind::DeleteArraySized => 5,
        FreeKind::DeleteAligned => 6,
        FreeKind::DeleteSizedAligned => 7,
        _ => 0,
    }
}

/// Encodes `a` as a batch event (no tag, no length) at the start of `buf`, updating `d`;
/// returns its length. Never allocates.
#[inline]
pub fn batch_alloc(a: &Alloc, d: &mut Encoder, buf: &mut [u8; MAX_EVENT]) -> usize {
    let mut o = Out::batch(buf);
    let k = a.kind;
    bhead(
        &mut o,
        d,
        B_ALLOC,
        alloc_index(k),
        k.code(),
        a.tid,
        a.time_ns,
    );
    o.zigzag(a.ptr.wrapping_sub(d.ptr));
    d.ptr = a.ptr;
    d.push(a.ptr);
    o.varint(a.size);
    o.varint(a.stack);
    if a.align != 0 {
        o.buf[0] |= B_EXTRA;
        o.varint(a.align);
    }
    o.i
}

/// Encodes `fr` as a batch event, updating `d`; returns its length.
#[inline]
pub fn batch_free(fr: &Free, d: &mut Encoder, buf: &mut [u8; MAX_EVENT]) -> usize {
    let mut o = Out::batch(buf);
    let k = fr.kind;
    bhead(
        &mut o,
        d,
        B_FREE,
        free_index(k),
        k.code(),
        fr.tid,
        fr.time_ns,
    );
    o.pointer(d, fr.ptr);
    d.ptr = fr.ptr;
    if fr.size != 0 || fr.stack != 0 {
        o.buf[0] |= B_EXTRA;
        o.varint(fr.size);
        o.varint(fr.stack);
    }
    o.i
}

/// Encodes `r` as a batch event, updating `d`; returns its length.
#[inline]
pub fn batch_realloc(r: &Realloc, d: &mut Encoder, buf: &mut [u8; MAX_EVENT]) -> usize {
    let mut o = Out::batch(buf);
    let k = r.kind;
    bhead(
        &mut o,
        d,
        B_REALLOC,
        alloc_index(k),
        k.code(),
        r.tid,
        r.time_ns,
    );
    o.pointer(d, r.old_ptr);
    o.zigzag(r.new_ptr.wrapping_sub(r.old_ptr));
    d.ptr = r.new_ptr;
    d.push(r.new_ptr);
    o.varint(r.size);
    o.varint(r.stack);
    o.i
}

/// A heap event as a batch record holds it, by value: what [`decode_heap_event`] gives a
/// reader that wants the frequent events without building (and moving) an [`Event`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeapEvent {
    /// An allocation.
    Alloc(Alloc),
    /// A release.
    Free(Free),
    /// A `realloc`.
    Realloc(Realloc),
}

impl From<HeapEvent> for Event<'static> {
    #[inline]
    fn from(h: HeapEvent) -> Self {
        match h {
            HeapEvent::Alloc(a) => Event::Alloc(a),
            HeapEvent::Free(f) => Event::Free(f),
            HeapEvent::Realloc(r) => Event::Realloc(r),
        }
    }
}

/// Decodes the batch event at the start of `p` against `st`, updating it; returns the event
/// and the bytes it took.
pub fn decode_event(p: &[u8], st: &mut Delta) -> Result<(Event<'static>, usize), PayloadError> {
    decode_heap_event(p, st).map(|(ev, n)| (ev.into(), n))
}

/// [`decode_event`], the event as a [`HeapEvent`].
#[inline]
pub fn decode_heap_event(p: &[u8], st: &mut Delta) -> Result<(HeapEvent, usize), PayloadError> {
    decode_heap_event_inline(p, st)
}

/// [`decode_heap_event`], inlined into a reader's loop over a batch (its hot path).
#[inline(always)]
pub(crate) fn decode_heap_event_inline(
    p: &[u8],
    st: &mut Delta,
) -> Result<(HeapEvent, usize), PayloadError> {
    let d = &mut Dec::new(p);
    let head = d.u8()?;
    let idx = (head >> 5) as usize;
    let code = if idx == 0 { d.u8()? } else { 0 };
    let mut next = Next {
        tid: st.tid,
        time_ns: st.time_ns,
        ptr: st.ptr,
    };
    if head & B_TID != 0 {
        next.tid = u32::try_from(d.u()?).map_err(|_| PayloadError::BadValue("tid"))?;
    }
    if head & B_TIME != 0 {
        next.time_ns = next.time_ns.wrapping_add(zz(d)?);
    }
    let akind = || match idx {
        0 => AllocKind::from_code(code).ok_or(PayloadError::BadValue("alloc kind")),
        i => Ok(KINDS_ALLOC[i]),
    };
    let ev = match head & 3 {
        B_ALLOC => {
            let kind = akind()?;
            let ptr = next.ptr.wrapping_add(zz(d)?);
            next.ptr = ptr;
            HeapEvent::Alloc(Alloc {
                time_ns: next.time_ns,
                tid: next.tid,
                kind,
                ptr,
                size: d.u()?,
                stack: d.u()?,
                align: if head & B_EXTRA != 0 { d.u()? } else { 0 },
            })
        }
        B_FREE => {
            let kind = match idx {
                0 => FreeKind::from_code(code).ok_or(PayloadError::BadValue("free kind"))?,
                i => KINDS_FREE[i],
            };
            let ptr = rptr(d, st)?;
            next.ptr = ptr;
            let (size, stack) = if head & B_EXTRA != 0 {
                (d.u()?, d.u()?)
            } else {
                (0, 0)
            };
            HeapEvent::Free(Free {
                time_ns: next.time_ns,
                tid: next.tid,
                kind,
                ptr,
                size,
                stack,
            })
        }
        B_REALLOC => {
            let kind = akind()?;
            let old_ptr = rptr(d, st)?;
            let new_ptr = old_ptr.wrapping_add(zz(d)?);
            next.ptr = new_ptr;
            HeapEvent::Realloc(Realloc {
                time_ns: next.time_ns,
                tid: next.tid,
                kind,
                old_ptr,
                new_ptr,
                size: d.u()?,
                stack: d.u()?,
            })
        }
        _ => return Err(PayloadError::BadValue("batch event type")),
    };
    st.tid = next.tid;
    st.time_ns = next.time_ns;
    st.ptr = next.ptr;
    match &ev {
        HeapEvent::Alloc(a) => st.push(a.ptr),
        HeapEvent::Realloc(r) => st.push(r.new_ptr),
        HeapEvent::Free(_) => {}
    }
    Ok((ev, d.pos()))
}

/// Encodes a heap event as a batch event into `buf` (any length), updating `d`; `Err(Full)`
/// when `buf` is too short (`d` unchanged), `Ok(None)` for other events.
pub fn encode_event(
    ev: &Event<'_>,
    d: &mut Encoder,
    buf: &mut [u8],
) -> Result<Option<usize>, crate::Full> {
    transact::<MAX_EVENT>(ev, d, buf, batch_alloc, batch_free, batch_realloc)
}

/// The head of a batch record holding `len` bytes of events: tag and a 3-byte length (so a
/// writer can update it in place as the batch grows). `len` must be below 2^21.
#[inline]
pub fn batch_head(len: usize) -> [u8; 4] {
    debug_assert!(len < 1 << 21);
    [
        tag::BATCH,
        0x80 | (len & 0x7f) as u8,
        0x80 | ((len >> 7) & 0x7f) as u8,
        ((len >> 14) & 0x7f) as u8,
    ]
}

#[inline(always)]
fn zz(d: &mut Dec<'_>) -> Result<u64, PayloadError> {
    Ok(d.s()? as u64)
}

/// An `rptr`: by age, or against the last pointer.
#[inline(always)]
fn rptr(d: &mut Dec<'_>, st: &Delta) -> Result<u64, PayloadError> {
    match d.u()? {
        0 => Ok(0),
        1 => Ok(st.ptr.wrapping_add(zz(d)?)),
        v => st.aged(v - 1).ok_or(PayloadError::BadValue("pointer age")),
    }
}

/// Decodes the payload `p` of compact record `t` (17, 18 or 19) against `st`, updating it.
pub fn decode(t: u8, p: &[u8], st: &mut Delta) -> Result<Event<'static>, PayloadError> {
    let d = &mut Dec::new(p);
    let flags = d.u8()?;
    // The state changes only when the whole record decodes.
    let mut next = Next {
        tid: st.tid,
        time_ns: st.time_ns,
        ptr: st.ptr,
    };
    if flags & TID != 0 {
        next.tid = u32::try_from(d.u()?).map_err(|_| PayloadError::BadValue("tid"))?;
    }
    if flags & TIME != 0 {
        next.time_ns = next.time_ns.wrapping_add(zz(d)?);
    }
    let kind = flags & KIND;
    let akind = || AllocKind::from_code(kind).ok_or(PayloadError::BadValue("alloc kind"));
    let ev = match t {
        tag::C_ALLOC => {
            let ptr = next.ptr.wrapping_add(zz(d)?);
            next.ptr = ptr;
            Event::Alloc(Alloc {
                time_ns: next.time_ns,
                tid: next.tid,
                kind: akind()?,
                ptr,
                size: d.u()?,
                stack: d.u()?,
                align: if flags & EXTRA != 0 { d.u()? } else { 0 },
            })
        }
        tag::C_FREE => {
            let ptr = rptr(d, st)?;
            next.ptr = ptr;
            let (size, stack) = if flags & EXTRA != 0 {
                (d.u()?, d.u()?)
            } else {
                (0, 0)
            };
            Event::Free(Free {
                time_ns: next.time_ns,
                tid: next.tid,
                kind: FreeKind::from_code(kind).ok_or(PayloadError::BadValue("free kind"))?,
                ptr,
                size,
                stack,
            })
        }
        tag::C_REALLOC => {
            let old_ptr = rptr(d, st)?;
            let new_ptr = old_ptr.wrapping_add(zz(d)?);
            next.ptr = new_ptr;
            Event::Realloc(Realloc {
                time_ns: next.time_ns,
                tid: next.tid,
                kind: akind()?,
                old_ptr,
                new_ptr,
                size: d.u()?,
                stack: d.u()?,
            })
        }
        _ => return Err(PayloadError::BadValue("compact record tag")),
    };
    st.tid = next.tid;
    st.time_ns = next.time_ns;
    st.ptr = next.ptr;
    match &ev {
        Event::Alloc(a) => st.push(a.ptr),
        Event::Realloc(r) => st.push(r.new_ptr),
        _ => {}
    }
    Ok(ev)
}

struct Next {
    tid: u32,
    time_ns: u64,
    ptr: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_records_round_trip_and_are_small() {
        let evs = [
            Event::Alloc(Alloc {
                time_ns: 5_000_000,
                tid: 4242,
                kind: AllocKind::Malloc,
                ptr: 0x5555_5555_a000,
                size: 100,
                align: 0,
                stack: 3,
            }),
            Event::Free(Free {
                time_ns: 5_000_000,
                tid: 4242,
                kind: FreeKind::Free,
                ptr: 0x5555_5555_a100,
                size: 0,
                stack: 0,
            }),
            Event::Realloc(Realloc {
                time_ns: 4_000_000,
                tid: 7,
                kind: AllocKind::Realloc,
                old_ptr: 0,
                new_ptr: u64::MAX,
                size: 1 << 40,
                stack: 0,
            }),
            Event::Alloc(Alloc {
                time_ns: u64::MAX,
                tid: u32::MAX,
                kind: AllocKind::NewArrayAlignedNothrow,
                ptr: 0,
                size: u64::MAX,
                align: 1 << 12,
                stack: u64::MAX,
            }),
            Event::Free(Free {
                time_ns: 0,
                tid: 1,
                kind: FreeKind::DeleteArraySizedAligned,
                ptr: 1,
                size: 77,
                stack: 9,
            }),
        ];
        let mut w = Encoder::new();
        let mut r = Delta::new();
        let mut lens = Vec::new();
        for ev in &evs {
            let mut buf = [0u8; 64];
            let n = encode(ev, &mut w, &mut buf).unwrap().unwrap();
            assert!(n <= MAX_COMPACT);
            assert_eq!(usize::from(buf[1]) + 2, n);
            let back = decode(buf[0], &buf[2..n], &mut r).unwrap();
            assert_eq!(&back, ev);
            assert_eq!((w.tid, w.time_ns, w.ptr), (r.tid, r.time_ns, r.ptr));
            lens.push(n);
        }
        // Same thread and time, a pointer not allocated lately but close by: 6 bytes.
        assert_eq!(lens[1], 6);
        // Freeing a recent allocation (two allocations ago): 4 bytes.
        let mut buf = [0u8; MAX_COMPACT];
        let n = free(
            &Free {
                time_ns: 0,
                tid: 1,
                kind: FreeKind::DeleteArraySizedAligned,
                ptr: 0x5555_5555_a000,
                size: 0,
                stack: 0,
            },
            &mut w,
            &mut buf,
        );
        assert_eq!(n, 4, "{:?}", &buf[..n]);
        let back = decode(buf[0], &buf[2..n], &mut r).unwrap();
        assert!(matches!(back, Event::Free(f) if f.ptr == 0x5555_5555_a000));
    }

    #[test]
    fn too_short_a_buffer_leaves_the_state_alone() {
        let mut d = Encoder::new();
        let ev = Event::Free(Free {
            time_ns: 1,
            tid: 2,
            kind: FreeKind::Free,
            ptr: 3,
            size: 0,
            stack: 0,
        });
        assert_eq!(encode(&ev, &mut d, &mut [0u8; 3]), Err(crate::Full));
        assert_eq!((d.tid, d.time_ns, d.ptr, d.pushed), (0, 0, 0, 0));
    }
}
