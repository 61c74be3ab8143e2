//! What the hooks record: one event per call, each allocation with its backtrace.

use std::mem::MaybeUninit;

use tracekit_log::{Alloc, AllocKind, Event, Free, FreeKind, MapOp, Mapping, Realloc};
use tracekit_preload_rt::guard::Guard;
use tracekit_preload_rt::leak;
use tracekit_preload_rt::memo::Found;
use tracekit_preload_rt::session;
use tracekit_preload_rt::unwind::{self, Trace};

/// Frames kept per backtrace (innermost first).
pub const MAX_FRAMES: usize = 128;

/// Starts the session if nothing did yet (an allocation before our constructor).
#[inline]
pub fn ensure_started() {
    session::start(&crate::CONFIG);
}

/// Records an allocation that returned `ptr` (0 when it failed).
#[inline(always)]
pub fn alloc(g: &Guard, kind: AllocKind, ptr: u64, size: u64, align: u64) {
    if !session::is_on() {
        return;
    }
    // Start in the hook's own frame (this function is inlined into it).
    let regs = unwind::here();
    let write = |w: &mut session::Writer, stack: u64| {
        leak::note_alloc(w, ptr, size, stack);
        let tid = w.tid_of(g);
        let time_ns = w.now();
        w.write_alloc(&Alloc {
            time_ns,
            tid,
            kind,
            ptr,
            size,
            align,
            stack,
        });
    };
    // A hot site: the stack as it was last time, if it still is.
    let traced = match session::remembered_stack(regs) {
        Found::Stack(stack) => {
            session::with(|w| write(w, stack));
            leak::run_pending();
            return;
        }
        Found::Walk { trace } => trace,
    };
    let mut buf = [MaybeUninit::<u64>::uninit(); MAX_FRAMES];
    let mut trace = Trace::new();
    let generation = unwind::generation();
    let frames = walk(regs, &mut buf, traced.then_some(&mut trace));
    session::with(|w| {
        let stack = w.stack_of_walk(frames, regs, traced.then_some(&trace), generation);
        write(w, stack);
    });
    leak::run_pending();
}

/// The frames of a walk from `regs`, noted in `trace` when given.
#[inline(always)]
fn walk<'a>(
    regs: unwind::Regs,
    buf: &'a mut [MaybeUninit<u64>],
    trace: Option<&mut Trace>,
) -> &'a [u64] {
    match trace {
        Some(t) => unwind::unwind_traced(regs, session::skip_range(), buf, t),
        None => unwind::unwind_into(regs, session::skip_range(), buf),
    }
}

/// Records a release (before the block goes back to the allocator, so that no other thread
/// can be handed the same address and record it first). `free(NULL)` calls made by the
/// runtimes' freeres at exit are left out (see `freeres::is_running`).
#[inline(always)]
pub fn free(g: &Guard, kind: FreeKind, ptr: u64, size: u64) {
    if ptr == 0 && tracekit_preload_rt::freeres::is_running() {
        return;
    }
    session::with(|w| {
        leak::note_free(w, ptr);
        let tid = w.tid_of(g);
        let time_ns = w.now();
        w.write_free(&Free {
            time_ns,
            tid,
            kind,
            ptr,
            size,
            stack: 0,
        });
    });
    leak::run_pending();
}

/// Runs `real` (the allocator's realloc) and records it as one event. The session lock is
/// held across the call: the old block may be handed to another thread the moment `real`
/// returns, and its event must come after ours.
#[inline(always)]
pub fn realloc(g: &Guard, kind: AllocKind, old: u64, size: u64, real: impl FnOnce() -> u64) -> u64 {
    if !session::is_on() {
        return real();
    }
    let regs = unwind::here();
    let found = session::remembered_stack(regs);
    let traced = found == Found::Walk { trace: true };
    let mut buf = [MaybeUninit::<u64>::uninit(); MAX_FRAMES];
    let mut trace = Trace::new();
    let generation = unwind::generation();
    let frames = match found {
        Found::Stack(_) => &[][..],
        Found::Walk { .. } => walk(regs, &mut buf, traced.then_some(&mut trace)),
    };
    let Some(mut w) = session::lock() else {
        return real();
    };
    let stack = match found {
        Found::Stack(stack) => stack,
        Found::Walk { .. } => w.stack_of_walk(frames, regs, traced.then_some(&trace), generation),
    };
    let new = real();
    if leak::on() {
        leak::note_realloc(&mut w, old, new, size, stack);
    }
    let tid = w.tid_of(g);
    let time_ns = w.now();
    w.write_realloc(&Realloc {
        time_ns,
        tid,
        kind,
        old_ptr: old,
        new_ptr: new,
        size,
        stack,
    });
    drop(w);
    session::after_unlock();
    new
}

/// What a mapping call did, for [`mapping`]: the fields of a [`Mapping`] event.
#[derive(Debug, Clone, Copy, Default)]
pub struct MapChange {
    /// See [`Mapping::addr`].
    pub addr: u64,
    /// See [`Mapping::len`].
    pub len: u64,
    /// See [`Mapping::new_addr`].
    pub new_addr: u64,
    /// See [`Mapping::new_len`].
    pub new_len: u64,
}

/// Runs `real` (the system call) and records what it did (`None`: nothing, it failed or was not
/// of anonymous memory) as one `Mapping` event, with the caller's backtrace when `with_stack`.
/// The session lock is held across the call, as [`realloc`] does: addresses the call releases
/// may be mapped by another thread the moment it returns, and that event must come after ours.
#[inline(always)]
pub fn mapping<R>(
    g: &Guard,
    op: MapOp,
    with_stack: bool,
    real: impl FnOnce() -> (R, Option<MapChange>),
) -> R {
    if !session::is_on() {
        return real().0;
    }
    let regs = unwind::here();
    let found = if with_stack {
        session::remembered_stack(regs)
    } else {
        Found::Stack(0)
    };
    let traced = found == Found::Walk { trace: true };
    let mut buf = [MaybeUninit::<u64>::uninit(); MAX_FRAMES];
    let mut trace = Trace::new();
    let generation = unwind::generation();
    let frames = match found {
        Found::Stack(_) => &[][..],
        Found::Walk { .. } => walk(regs, &mut buf, traced.then_some(&mut trace)),
    };
    let Some(mut w) = session::lock() else {
        return real().0;
    };
    let stack = match found {
        Found::Stack(stack) => stack,
        Found::Walk { .. } => w.stack_of_walk(frames, regs, traced.then_some(&trace), generation),
    };
    let (r, change) = real();
    if let Some(c) = change {
        let tid = w.tid_of(g);
        let time_ns = w.now();
        w.write(&Event::Mapping(Mapping {
            time_ns,
            tid,
            op,
            addr: c.addr,
            len: c.len,
            new_addr: c.new_addr,
            new_len: c.new_len,
            stack,
        }));
        tracekit_preload_rt::logfile::request_spawn();
    }
    drop(w);
    session::after_unlock();
    r
}
