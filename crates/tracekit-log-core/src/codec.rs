//! Records: one event, framed as `tag, payload length, payload`.
//!
//! Encoding writes into a caller's slice and never allocates. Decoding borrows from the
//! input. A payload longer than this version knows is fine (newer writers may append
//! fields); a shorter one is corruption.

use alloc::borrow::Cow;
use alloc::vec::Vec;

use crate::event::*;
use crate::wire::{Dec, DecodeError, Enc, Full};

/// Record tags (the first byte of a record). 0 is padding; bit 7 set marks a chunk.
pub mod tag {
    /// [`crate::Process`]
    pub const PROCESS: u8 = 1;
    /// [`crate::Module`]
    pub const MODULE: u8 = 2;
    /// [`crate::ModuleUnload`]
    pub const MODULE_UNLOAD: u8 = 3;
    /// [`crate::Stack`]
    pub const STACK: u8 = 4;
    /// [`crate::Thread`]
    pub const THREAD: u8 = 5;
    /// [`crate::Alloc`]
    pub const ALLOC: u8 = 6;
    /// [`crate::Free`]
    pub const FREE: u8 = 7;
    /// [`crate::Realloc`]
    pub const REALLOC: u8 = 8;
    /// [`crate::Syscall`]
    pub const SYSCALL: u8 = 9;
    /// [`crate::LibCall`]
    pub const LIBCALL: u8 = 10;
    /// [`crate::Signal`]
    pub const SIGNAL: u8 = 11;
    /// [`crate::Crash`]
    pub const CRASH: u8 = 12;
    /// [`crate::Fence`]
    pub const FENCE: u8 = 13;
    /// [`crate::Exec`]
    pub const EXEC: u8 = 14;
    /// [`crate::Exit`]
    pub const EXIT: u8 = 15;
    /// Resets the state compact records are coded against (`tracekit_log::delta`).
    pub const SYNC: u8 = 16;
    /// [`crate::Alloc`], compact (`tracekit_log::delta`).
    pub const C_ALLOC: u8 = 17;
    /// [`crate::Free`], compact (`tracekit_log::delta`).
    pub const C_FREE: u8 = 18;
    /// [`crate::Realloc`], compact (`tracekit_log::delta`).
    pub const C_REALLOC: u8 = 19;
    /// Heap events back to back, compact (`tracekit_log::delta`).
    pub const BATCH: u8 = 20;
    /// [`crate::Symbols`]
    pub const SYMBOLS: u8 = 21;
    /// [`crate::Leak`]
    pub const LEAK: u8 = 22;
    /// [`crate::Attach`]
    pub const ATTACH: u8 = 23;
    /// [`crate::ModuleNote`]
    pub const MODULE_NOTE: u8 = 24;
    /// [`crate::Region`]
    pub const REGION: u8 = 25;
    /// [`crate::Mapping`]
    pub const MAPPING: u8 = 26;
    /// [`crate::MemorySample`]
    pub const MEMORY_SAMPLE: u8 = 27;
}

/// True for the tags this version decodes; others are skipped by readers.
pub fn is_known(t: u8) -> bool {
    (tag::PROCESS..=tag::MEMORY_SAMPLE).contains(&t)
}

/// True for the records that carry heap events or the state they are coded against (full,
/// compact, batched, `Sync`): a reader that wants no heap events can skip them undecoded.
pub fn is_heap(t: u8) -> bool {
    matches!(t, tag::ALLOC | tag::FREE | tag::REALLOC) || (tag::SYNC..=tag::BATCH).contains(&t)
}

/// True for the compact heap records, decoded with `tracekit_log::delta::decode`.
pub fn is_compact(t: u8) -> bool {
    (tag::C_ALLOC..=tag::C_REALLOC).contains(&t)
}

/// Room reserved for a record's header: the tag and a length of up to 5 LEB128 bytes.
const HEAD_ROOM: usize = 6;

/// Encodes `event` as one record at the start of `buf`; returns the bytes written.
///
/// Never allocates: safe inside a malloc hook or a signal handler. Encoding into zeroed
/// memory leaves zeros after the record (the bytes the payload vacated are cleared).
pub fn encode(event: &Event<'_>, buf: &mut [u8]) -> Result<usize, Full> {
    if buf.len() <= HEAD_ROOM {
        return Err(Full);
    }
    let (t, payload_len) = {
        let mut e = Enc::new(&mut buf[HEAD_ROOM..]);
        let t = payload(event, &mut e)?;
        (t, e.len())
    };
    let mut head = [0u8; HEAD_ROOM];
    let head_len = {
        let mut h = Enc::new(&mut head);
        h.u8(t)?;
        h.u(payload_len as u64)?;
        h.len()
    };
    buf.copy_within(HEAD_ROOM..HEAD_ROOM + payload_len, head_len);
    buf[..head_len].copy_from_slice(&head[..head_len]);
    // The payload moved down by up to five bytes: zero what it left behind, so a writer that
    // encodes into a zeroed window leaves padding, never stale bytes, after the record.
    let end = head_len + payload_len;
    buf[end..HEAD_ROOM + payload_len].fill(0);
    Ok(end)
}

fn payload(event: &Event<'_>, e: &mut Enc<'_>) -> Result<u8, Full> {
    Ok(match event {
        Event::Process(p) => {
            e.u(p.pid.into())?;
            e.u(p.ppid.into())?;
            e.u(p.start_unix_ns)?;
            e.u(p.start_mono_ns)?;
            e.bytes(p.exe.as_bytes())?;
            e.bytes(p.cmdline.as_bytes())?;
            e.bytes(p.tool.as_bytes())?;
            e.u8(p.arch.code())?;
            e.u(p.clock_res_ns)?;
            tag::PROCESS
        }
        Event::Module(m) => {
            e.u(m.time_ns)?;
            e.u(m.base)?;
            e.bytes(m.path.as_bytes())?;
            e.bytes(&m.build_id)?;
            e.u(m.segments.len() as u64)?;
            for s in m.segments.iter() {
                e.u(s.vaddr)?;
                e.u(s.memsz)?;
                e.u(s.file_offset)?;
                e.u(s.flags.into())?;
            }
            tag::MODULE
        }
        Event::ModuleUnload(u) => {
            e.u(u.time_ns)?;
            e.u(u.base)?;
            tag::MODULE_UNLOAD
        }
        Event::Stack(s) => {
            e.u(s.id)?;
            e.u(s.frames.len() as u64)?;
            // Frames of one stack are mostly close together: store deltas.
            let mut prev = 0u64;
            for &f in s.frames.iter() {
                e.s(f.wrapping_sub(prev) as i64)?;
                prev = f;
            }
            tag::STACK
        }
        Event::Thread(t) => {
            e.u(t.time_ns)?;
            e.u(t.tid.into())?;
            e.bytes(t.name.as_bytes())?;
            tag::THREAD
        }
        Event::Alloc(a) => {
            e.u(a.time_ns)?;
            e.u(a.tid.into())?;
            e.u8(a.kind.code())?;
            e.u(a.ptr)?;
            e.u(a.size)?;
            e.u(a.align)?;
            e.u(a.stack)?;
            tag::ALLOC
        }
        Event::Free(f) => {
            e.u(f.time_ns)?;
            e.u(f.tid.into())?;
            e.u8(f.kind.code())?;
            e.u(f.ptr)?;
            e.u(f.size)?;
            e.u(f.stack)?;
            tag::FREE
        }
        Event::Realloc(r) => {
            e.u(r.time_ns)?;
            e.u(r.tid.into())?;
            e.u8(r.kind.code())?;
            e.u(r.old_ptr)?;
            e.u(r.new_ptr)?;
            e.u(r.size)?;
            e.u(r.stack)?;
            tag::REALLOC
        }
        Event::Syscall(s) => {
            e.u(s.pid.into())?;
            e.u(s.tid.into())?;
            e.u(s.entry_ns)?;
            e.u(s.exit_ns)?;
            e.u(s.nr)?;
            e.bytes(s.name.as_bytes())?;
            for a in s.args {
                e.u(a)?;
            }
            opt_i64(e, s.ret)?;
            e.bytes(s.text.as_bytes())?;
            tag::SYSCALL
        }
        Event::LibCall(l) => {
            e.u(l.pid.into())?;
            e.u(l.tid.into())?;
            e.u(l.entry_ns)?;
            e.u(l.exit_ns)?;
            e.bytes(l.library.as_bytes())?;
            e.bytes(l.name.as_bytes())?;
            opt_i64(e, l.ret)?;
            e.bytes(l.text.as_bytes())?;
            tag::LIBCALL
        }
        Event::Signal(s) => {
            e.u(s.time_ns)?;
            e.u(s.pid.into())?;
            e.u(s.tid.into())?;
            e.u(s.signo.into())?;
            e.s(s.code.into())?;
            e.u(s.addr)?;
            tag::SIGNAL
        }
        Event::Crash(c) => {
            e.u(c.time_ns)?;
            e.u(c.pid.into())?;
            e.u(c.tid.into())?;
            e.bytes(c.thread_name.as_bytes())?;
            e.u(c.signo.into())?;
            e.s(c.code.into())?;
            e.u(c.addr)?;
            e.u8(c.access.code())?;
            e.u8(c.arch.code())?;
            e.u(c.regs.len() as u64)?;
            for &r in c.regs.iter() {
                e.u(r)?;
            }
            e.u(c.stack)?;
            e.bytes(c.report.as_bytes())?;
            tag::CRASH
        }
        Event::Fence(f) => {
            e.u(f.time_ns)?;
            e.u(f.tid.into())?;
            e.u8(f.kind.code())?;
            e.u(f.addr)?;
            e.u(f.block)?;
            e.u(f.block_size)?;
            e.u(f.alloc_stack)?;
            e.u(f.free_stack)?;
            e.u(f.access_stack)?;
            tag::FENCE
        }
        Event::Exec(x) => {
            e.u(x.time_ns)?;
            e.u(x.pid.into())?;
            e.bytes(x.path.as_bytes())?;
            tag::EXEC
        }
        Event::Exit(x) => {
            e.u(x.time_ns)?;
            e.u(x.pid.into())?;
            opt_i64(e, x.code.map(i64::from))?;
            opt_i64(e, x.signal.map(i64::from))?;
            e.u(x.freeres.into())?;
            tag::EXIT
        }
        Event::Symbols(s) => {
            symbols(s, e)?;
            tag::SYMBOLS
        }
        Event::Attach(a) => {
            e.u(a.time_ns)?;
            e.u(a.pid.into())?;
            e.u(a.detached.into())?;
            tag::ATTACH
        }
        Event::Leak(l) => {
            e.u(l.time_ns)?;
            e.u(l.pid.into())?;
            e.u(l.layout.into())?;
            e.u8(l.heuristics)?;
            e.u(l.losses.len() as u64)?;
            for x in l.losses.iter() {
                e.u8(x.kind)?;
                e.u8(x.heuristic)?;
                e.u(x.stack)?;
                e.u(x.bytes)?;
                e.u(x.blocks)?;
                e.u(x.indirect_bytes)?;
            }
            if l.check != 0 {
                e.u(l.check.into())?;
                e.u8(l.cause)?;
            }
            tag::LEAK
        }
        Event::ModuleNote(n) => {
            e.bytes(n.path.as_bytes())?;
            e.u8(n.kind.code())?;
            e.bytes(n.name.as_bytes())?;
            e.bytes(n.symbol.as_bytes())?;
            tag::MODULE_NOTE
        }
        Event::Region(r) => {
            e.u(r.time_ns)?;
            e.u(r.tid.into())?;
            e.bytes(r.name.as_bytes())?;
            tag::REGION
        }
        Event::Mapping(m) => {
            e.u(m.time_ns)?;
            e.u(m.tid.into())?;
            e.u8(m.op.code())?;
            e.u(m.addr)?;
            e.u(m.len)?;
            e.u(m.new_addr)?;
            e.u(m.new_len)?;
            e.u(m.stack)?;
            tag::MAPPING
        }
        Event::MemorySample(m) => {
            e.u(m.time_ns)?;
            e.u(m.resident)?;
            e.u(m.size)?;
            e.u(m.data)?;
            tag::MEMORY_SAMPLE
        }
    })
}

/// A `Symbols` payload: path, build-id, the strings (count, then each), the addresses (count,
/// then each: offset as a signed difference from the one before, frame count, note as
/// index + 1 or 0, then its frames: function index, file index + 1 or 0, line + 1 or 0,
/// column + 1 or 0, flags with bit 0 set for an inlined frame).
fn symbols(s: &Symbols<'_>, e: &mut Enc<'_>) -> Result<(), Full> {
    let opt = |v: Option<u32>| v.map_or(0, |v| u64::from(v) + 1);
    e.bytes(s.path.as_bytes())?;
    e.bytes(&s.build_id)?;
    e.u(s.strings.len() as u64)?;
    for st in s.strings.iter() {
        e.bytes(st.as_bytes())?;
    }
    e.u(s.addrs.len() as u64)?;
    let mut frames = s.frames.iter();
    let mut prev = 0u64;
    for a in s.addrs.iter() {
        e.s(a.offset.wrapping_sub(prev) as i64)?;
        prev = a.offset;
        // An address claiming more frames than are left gets those left: the record stays
        // consistent whatever the caller built.
        let n = (a.frames as usize).min(frames.len());
        e.u(n as u64)?;
        e.u(opt(a.note))?;
        for f in frames.by_ref().take(n) {
            e.u(f.function.into())?;
            e.u(opt(f.file))?;
            e.u(opt(f.line))?;
            e.u(opt(f.column))?;
            e.u8(u8::from(f.inlined))?;
        }
    }
    Ok(())
}

fn opt_i64(e: &mut Enc<'_>, v: Option<i64>) -> Result<(), Full> {
    match v {
        None => e.u8(0),
        Some(v) => {
            e.u8(1)?;
            e.s(v)
        }
    }
}

/// Why a record's payload could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadError {
    /// A primitive was cut short or overlong.
    Wire(DecodeError),
    /// A field held a value that has no meaning.
    BadValue(&'static str),
}

impl From<DecodeError> for PayloadError {
    fn from(e: DecodeError) -> Self {
        PayloadError::Wire(e)
    }
}

fn u32f(d: &mut Dec<'_>, what: &'static str) -> Result<u32, PayloadError> {
    u32::try_from(d.u()?).map_err(|_| PayloadError::BadValue(what))
}

fn i32f(d: &mut Dec<'_>, what: &'static str) -> Result<i32, PayloadError> {
    i32::try_from(d.s()?).map_err(|_| PayloadError::BadValue(what))
}

fn opt(d: &mut Dec<'_>) -> Result<Option<i64>, PayloadError> {
    match d.u8()? {
        0 => Ok(None),
        1 => Ok(Some(d.s()?)),
        _ => Err(PayloadError::BadValue("option flag")),
    }
}

fn bytes<'a>(d: &mut Dec<'a>) -> Result<Bytes<'a>, PayloadError> {
    Ok(Bytes::borrowed(d.bytes()?))
}

/// A field appended to a record after its first version: 0 when an older writer's payload
/// ends before it.
fn appended(d: &mut Dec<'_>) -> Result<u64, PayloadError> {
    if d.remaining() == 0 {
        return Ok(0);
    }
    Ok(d.u()?)
}

/// A count of items that each take at least one byte can't exceed what is left.
fn count(d: &mut Dec<'_>, what: &'static str) -> Result<usize, PayloadError> {
    let n = d.u()?;
    if n > d.remaining() as u64 {
        return Err(PayloadError::BadValue(what));
    }
    Ok(n as usize)
}

/// Decodes a record payload with tag `t`. `Ok(None)` for a tag this version does not know,
/// and for `Sync` and the compact heap records, which need the reader's state
/// (`tracekit_log::delta`; `tracekit_log::Reader` handles them).
pub fn decode(t: u8, p: &[u8]) -> Result<Option<Event<'_>>, PayloadError> {
    let d = &mut Dec::new(p);
    let alloc_kind = |c: u8| AllocKind::from_code(c).ok_or(PayloadError::BadValue("alloc kind"));
    Ok(Some(match t {
        tag::PROCESS => Event::Process(Process {
            pid: u32f(d, "pid")?,
            ppid: u32f(d, "ppid")?,
            start_unix_ns: d.u()?,
            start_mono_ns: d.u()?,
            exe: bytes(d)?,
            cmdline: bytes(d)?,
            tool: bytes(d)?,
            arch: Arch::from_code(d.u8()?).unwrap_or(Arch::Unknown),
            clock_res_ns: appended(d)?,
        }),
        tag::MODULE => {
            let time_ns = d.u()?;
            let base = d.u()?;
            let path = bytes(d)?;
            let build_id = Cow::Borrowed(d.bytes()?);
            let n = count(d, "segment count")?;
            let mut segments = Vec::with_capacity(n);
            for _ in 0..n {
                segments.push(Segment {
                    vaddr: d.u()?,
                    memsz: d.u()?,
                    file_offset: d.u()?,
                    flags: u32f(d, "segment flags")?,
                });
            }
            Event::Module(Module {
                time_ns,
                base,
                path,
                build_id,
                segments: Cow::Owned(segments),
            })
        }
        tag::MODULE_UNLOAD => Event::ModuleUnload(ModuleUnload {
            time_ns: d.u()?,
            base: d.u()?,
        }),
        tag::STACK => {
            let id = d.u()?;
            let n = count(d, "frame count")?;
            let mut frames = Vec::with_capacity(n);
            let mut prev = 0u64;
            for _ in 0..n {
                prev = prev.wrapping_add(d.s()? as u64);
                frames.push(prev);
            }
            Event::Stack(Stack {
                id,
                frames: Cow::Owned(frames),
            })
        }
        tag::THREAD => Event::Thread(Thread {
            time_ns: d.u()?,
            tid: u32f(d, "tid")?,
            name: bytes(d)?,
        }),
        tag::ALLOC => Event::Alloc(Alloc {
            time_ns: d.u()?,
            tid: u32f(d, "tid")?,
            kind: alloc_kind(d.u8()?)?,
            ptr: d.u()?,
            size: d.u()?,
            align: d.u()?,
            stack: d.u()?,
        }),
        tag::FREE => Event::Free(Free {
            time_ns: d.u()?,
            tid: u32f(d, "tid")?,
            kind: FreeKind::from_code(d.u8()?).ok_or(PayloadError::BadValue("free kind"))?,
            ptr: d.u()?,
            size: d.u()?,
            stack: d.u()?,
        }),
        tag::REALLOC => Event::Realloc(Realloc {
            time_ns: d.u()?,
            tid: u32f(d, "tid")?,
            kind: alloc_kind(d.u8()?)?,
            old_ptr: d.u()?,
            new_ptr: d.u()?,
            size: d.u()?,
            stack: d.u()?,
        }),
        tag::SYSCALL => Event::Syscall(Syscall {
            pid: u32f(d, "pid")?,
            tid: u32f(d, "tid")?,
            entry_ns: d.u()?,
            exit_ns: d.u()?,
            nr: d.u()?,
            name: bytes(d)?,
            args: [d.u()?, d.u()?, d.u()?, d.u()?, d.u()?, d.u()?],
            ret: opt(d)?,
            text: bytes(d)?,
        }),
        tag::LIBCALL => Event::LibCall(LibCall {
            pid: u32f(d, "pid")?,
            tid: u32f(d, "tid")?,
            entry_ns: d.u()?,
            exit_ns: d.u()?,
            library: bytes(d)?,
            name: bytes(d)?,
            ret: opt(d)?,
            text: bytes(d)?,
        }),
        tag::SIGNAL => Event::Signal(Signal {
            time_ns: d.u()?,
            pid: u32f(d, "pid")?,
            tid: u32f(d, "tid")?,
            signo: u32f(d, "signo")?,
            code: i32f(d, "si_code")?,
            addr: d.u()?,
        }),
        tag::CRASH => {
            let time_ns = d.u()?;
            let pid = u32f(d, "pid")?;
            let tid = u32f(d, "tid")?;
            let thread_name = bytes(d)?;
            let signo = u32f(d, "signo")?;
            let code = i32f(d, "si_code")?;
            let addr = d.u()?;
            let access = Access::from_code(d.u8()?).unwrap_or(Access::Unknown);
            let arch = Arch::from_code(d.u8()?).unwrap_or(Arch::Unknown);
            let n = count(d, "register count")?;
            let mut regs = Vec::with_capacity(n);
            for _ in 0..n {
                regs.push(d.u()?);
            }
            Event::Crash(Crash {
                time_ns,
                pid,
                tid,
                thread_name,
                signo,
                code,
                addr,
                access,
                arch,
                regs: Cow::Owned(regs),
                stack: d.u()?,
                report: bytes(d)?,
            })
        }
        tag::FENCE => Event::Fence(Fence {
            time_ns: d.u()?,
            tid: u32f(d, "tid")?,
            kind: FenceKind::from_code(d.u8()?).ok_or(PayloadError::BadValue("fence kind"))?,
            addr: d.u()?,
            block: d.u()?,
            block_size: d.u()?,
            alloc_stack: d.u()?,
            free_stack: d.u()?,
            access_stack: d.u()?,
        }),
        tag::EXEC => Event::Exec(Exec {
            time_ns: d.u()?,
            pid: u32f(d, "pid")?,
            path: bytes(d)?,
        }),
        tag::EXIT => {
            let time_ns = d.u()?;
            let pid = u32f(d, "pid")?;
            let code = opt(d)?
                .map(|c| i32::try_from(c).map_err(|_| PayloadError::BadValue("exit code")))
                .transpose()?;
            let signal = opt(d)?
                .map(|c| u32::try_from(c).map_err(|_| PayloadError::BadValue("signal")))
                .transpose()?;
            let freeres =
                u32::try_from(appended(d)?).map_err(|_| PayloadError::BadValue("freeres flags"))?;
            Event::Exit(Exit {
                time_ns,
                pid,
                code,
                signal,
                freeres,
            })
        }
        tag::SYMBOLS => Event::Symbols(decode_symbols(d)?),
        tag::ATTACH => Event::Attach(Attach {
            time_ns: d.u()?,
            pid: u32f(d, "pid")?,
            detached: d.u()? != 0,
        }),
        tag::LEAK => {
            let time_ns = d.u()?;
            let pid = u32f(d, "pid")?;
            let layout = u32f(d, "leak layout")?;
            if layout > Leak::LAYOUT {
                // A later layout: skipped, as an unknown tag is.
                return Ok(None);
            }
            let heuristics = d.u8()?;
            let n = count(d, "loss count")?;
            let mut losses = Vec::with_capacity(n);
            for _ in 0..n {
                let kind = d.u8()?;
                if kind > 3 {
                    return Err(PayloadError::BadValue("leak kind"));
                }
                losses.push(LeakLoss {
                    kind,
                    heuristic: d.u8()?,
                    stack: d.u()?,
                    bytes: d.u()?,
                    blocks: d.u()?,
                    indirect_bytes: d.u()?,
                });
            }
            let check = u32::try_from(appended(d)?)
                .map_err(|_| PayloadError::BadValue("leak check number"))?;
            let cause = if d.remaining() > 0 { d.u8()? } else { 0 };
            Event::Leak(Leak {
                time_ns,
                pid,
                layout,
                heuristics,
                losses: Cow::Owned(losses),
                check,
                cause,
            })
        }
        tag::MODULE_NOTE => {
            let path = bytes(d)?;
            let kind = NoteKind::from_code(d.u8()?);
            let name = bytes(d)?;
            let symbol = bytes(d)?;
            // A kind of note a later version writes: skipped, as an unknown tag is.
            let Some(kind) = kind else { return Ok(None) };
            Event::ModuleNote(ModuleNote {
                path,
                kind,
                name,
                symbol,
            })
        }
        tag::REGION => Event::Region(Region {
            time_ns: d.u()?,
            tid: u32f(d, "tid")?,
            name: bytes(d)?,
        }),
        tag::MAPPING => {
            let time_ns = d.u()?;
            let tid = u32f(d, "tid")?;
            // A call a later version records: skipped, as an unknown tag is.
            let Some(op) = MapOp::from_code(d.u8()?) else {
                return Ok(None);
            };
            Event::Mapping(Mapping {
                time_ns,
                tid,
                op,
                addr: d.u()?,
                len: d.u()?,
                new_addr: d.u()?,
                new_len: d.u()?,
                stack: d.u()?,
            })
        }
        tag::MEMORY_SAMPLE => Event::MemorySample(MemorySample {
            time_ns: d.u()?,
            resident: d.u()?,
            size: d.u()?,
            data: d.u()?,
        }),
        _ => return Ok(None),
    }))
}

fn decode_symbols<'a>(d: &mut Dec<'a>) -> Result<Symbols<'a>, PayloadError> {
    let path = bytes(d)?;
    let build_id = Cow::Borrowed(d.bytes()?);
    let n = count(d, "string count")?;
    let mut strings = Vec::with_capacity(n);
    for _ in 0..n {
        strings.push(bytes(d)?);
    }
    // An index (stored + 1 when optional) must name one of the strings.
    let index = |v: u64| {
        u32::try_from(v)
            .ok()
            .filter(|&i| (i as usize) < strings.len())
            .ok_or(PayloadError::BadValue("string index"))
    };
    let opt_index = |v: u64| match v {
        0 => Ok(None),
        v => index(v - 1).map(Some),
    };
    let opt_u32 = |v: u64, what| match v {
        0 => Ok(None),
        v => u32::try_from(v - 1)
            .map(Some)
            .map_err(|_| PayloadError::BadValue(what)),
    };
    let n = count(d, "address count")?;
    let mut addrs = Vec::with_capacity(n);
    let mut frames = Vec::new();
    let mut prev = 0u64;
    for _ in 0..n {
        prev = prev.wrapping_add(d.s()? as u64);
        let k = count(d, "frame count")?;
        addrs.push(SymbolAddr {
            offset: prev,
            frames: u32::try_from(k).map_err(|_| PayloadError::BadValue("frame count"))?,
            note: opt_index(d.u()?)?,
        });
        for _ in 0..k {
            frames.push(SymbolFrame {
                function: index(d.u()?)?,
                file: opt_index(d.u()?)?,
                line: opt_u32(d.u()?, "line")?,
                column: opt_u32(d.u()?, "column")?,
                inlined: d.u8()? & 1 != 0,
            });
        }
    }
    Ok(Symbols {
        path,
        build_id,
        strings,
        addrs: Cow::Owned(addrs),
        frames: Cow::Owned(frames),
    })
}

#[cfg(test)]
mod note_tests {
    use super::*;

    /// The records of issue 20 come back as written, and a note of an unknown kind is skipped.
    #[test]
    fn module_note_and_region_round_trip() {
        let evs = [
            Event::ModuleNote(ModuleNote {
                path: "/bin/prog".into(),
                kind: NoteKind::Allocator,
                name: "mimalloc".into(),
                symbol: "mi_malloc".into(),
            }),
            Event::Region(Region {
                time_ns: 7,
                tid: 42,
                name: "suite.case".into(),
            }),
            Event::Mapping(Mapping {
                time_ns: 9,
                tid: 42,
                op: MapOp::Mremap,
                addr: 0x7f00_0000_0000,
                len: 1 << 20,
                new_addr: 0x7f10_0000_0000,
                new_len: 2 << 20,
                stack: 3,
            }),
            Event::MemorySample(MemorySample {
                time_ns: 11,
                resident: 100 << 20,
                size: 300 << 20,
                data: 120 << 20,
            }),
        ];
        for ev in evs {
            let mut buf = [0u8; 128];
            let n = encode(&ev, &mut buf).unwrap();
            let (t, len_at) = (buf[0], 2);
            assert_eq!(usize::from(buf[1]), n - len_at);
            assert_eq!(decode(t, &buf[len_at..n]).unwrap(), Some(ev));
        }
        let unknown = [1, b'p', 99, 0, 0];
        assert_eq!(decode(tag::MODULE_NOTE, &unknown).unwrap(), None);
    }
}
