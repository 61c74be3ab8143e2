//! Writing the report, from inside the signal handler: everything into fixed buffers, out
//! through raw `write`s.

use alloc::borrow::Cow;
use core::cell::UnsafeCell;
use core::fmt::Write as _;
use core::mem::ManuallyDrop;

use tracekit_log_core::{Access, Arch, Bytes, Crash, FenceKind};

use crate::config::{CPath, Config, TestFail};
use crate::eventlog::{self, CrashRecord};
use crate::fault::{self, BlockNote};
use crate::maps::{self, Mapping, MAPS_CAP};
use crate::out::Report;
use crate::spawn::{self, Argv};
use crate::unwind::Backtrace;
use crate::{describe, dynsym, sys};
use tracekit_preload_core::fmt::Text;

/// The handler's working memory, static so that the handler never allocates.
struct State {
    report: Report,
    maps: [u8; MAPS_CAP],
    bt: Backtrace,
    argv: Argv,
    cmdline: [u8; 4096],
    exe: [u8; 4096],
    record: [u8; eventlog::RECORD_CAP],
    symbolizer: CPath,
}

struct Exclusive(UnsafeCell<State>);

// SAFETY: only the thread that won the report (handler::CRASH_TID) touches the state, once.
unsafe impl Sync for Exclusive {}

static STATE: Exclusive = Exclusive(UnsafeCell::new(State {
    report: Report::new(),
    maps: [0; MAPS_CAP],
    bt: Backtrace::new(),
    argv: Argv::new(),
    cmdline: [0; 4096],
    exe: [0; 4096],
    record: [0; eventlog::RECORD_CAP],
    symbolizer: CPath::empty(),
}));

/// The registers, in `tracekit_log_core::X86_64_REGS` order.
pub fn registers(uc: &libc::ucontext_t) -> [u64; 24] {
    let g = &uc.uc_mcontext.gregs;
    let r = |i: libc::c_int| g[i as usize] as u64;
    let csgsfs = r(libc::REG_CSGSFS);
    [
        r(libc::REG_RAX),
        r(libc::REG_RBX),
        r(libc::REG_RCX),
        r(libc::REG_RDX),
        r(libc::REG_RSI),
        r(libc::REG_RDI),
        r(libc::REG_RBP),
        r(libc::REG_RSP),
        r(libc::REG_R8),
        r(libc::REG_R9),
        r(libc::REG_R10),
        r(libc::REG_R11),
        r(libc::REG_R12),
        r(libc::REG_R13),
        r(libc::REG_R14),
        r(libc::REG_R15),
        r(libc::REG_RIP),
        r(libc::REG_EFL),
        csgsfs & 0xffff,
        (csgsfs >> 32) & 0xffff,
        (csgsfs >> 16) & 0xffff,
        r(libc::REG_ERR),
        r(libc::REG_TRAPNO),
        r(libc::REG_CR2),
    ]
}

const RIP: usize = 16;
const RSP: usize = 7;
const ERR: usize = 21;
const TRAPNO: usize = 22;

fn read_proc(path: &[u8], buf: &mut [u8]) -> usize {
    match sys::open(path, libc::O_RDONLY | libc::O_CLOEXEC, 0) {
        Ok(fd) => {
            let n = sys::read_to_fill(fd, buf);
            sys::close(fd);
            n
        }
        Err(_) => 0,
    }
}

/// Where glibc's `__abort_msg` pointer is: a symbol of libc (private, but exported), found
/// in libc's dynamic symbol table in memory, here rather than with `dlsym` at load, which
/// would cost every program that never crashes.
fn abort_msg_addr(maps: &[u8]) -> Option<u64> {
    maps::parse(maps)
        .filter(|m| m.offset == 0 && m.is_file())
        .filter(|m| {
            let file = m.path.rsplit(|&b| b == b'/').next().unwrap_or(m.path);
            file.starts_with(b"libc.so") || file.starts_with(b"libc-")
        })
        .find_map(|m| dynsym::find(m.start, b"__abort_msg"))
}

/// glibc's `__abort_msg` (set by `assert` and by malloc's consistency checks), read without
/// trusting it: through `process_vm_readv`, so a bad pointer cannot fault.
fn abort_message<'a>(maps: &[u8], buf: &'a mut [u8; 1024]) -> Option<&'a [u8]> {
    let at = abort_msg_addr(maps)?;
    let msg = sys::read_u64(at).filter(|&p| p != 0)?;
    // struct abort_msg_s { unsigned int size; char msg[]; }
    let text = msg + 4;
    let mut n = 0;
    while n < buf.len() {
        let chunk = (buf.len() - n).min(64);
        if !sys::read_memory(text + n as u64, &mut buf[n..n + chunk]) {
            // The tail may cross into an unmapped page: read byte by byte.
            if !sys::read_memory(text + n as u64, &mut buf[n..n + 1]) {
                break;
            }
            if buf[n] == 0 {
                break;
            }
            n += 1;
            continue;
        }
        if let Some(z) = buf[n..n + chunk].iter().position(|&b| b == 0) {
            n += z;
            break;
        }
        n += chunk;
    }
    let s = &buf[..n];
    let s = s.strip_suffix(b"\n").unwrap_or(s);
    (!s.is_empty()).then_some(s)
}

fn is_stack_overflow(maps: &[u8], addr: u64, sp: u64) -> Option<Mapping<'_>> {
    if maps::find(maps, addr).is_some_and(|m| m.is_rw()) {
        return None;
    }
    let above = maps::next_above(maps, addr)?;
    let near_sp = sp.abs_diff(addr) <= 64 * 1024;
    let in_guard = above.is_rw() && above.start - addr <= 1 << 20;
    (near_sp && in_guard).then_some(above)
}

/// Writes the diagnosis line, if there is one.
/// True when a frame near the top is libstdc++'s `__cxa_throw`/`__cxa_rethrow` (found by
/// exported name): an exception nobody caught, which ended in `std::terminate` and `abort`.
fn uncaught_exception(bt: &Backtrace, maps: &[u8]) -> bool {
    bt.frames().take(16).any(|f| {
        let look = if f.exact {
            f.pc
        } else {
            f.pc.saturating_sub(1)
        };
        let Some((m, _)) = maps::module_of(maps, look) else {
            return false;
        };
        let header = maps::parse(maps)
            .find(|x| x.path == m.path && x.offset == 0)
            .map(|x| x.start);
        header
            .and_then(|h| dynsym::lookup(h, look))
            .is_some_and(|s| s.name() == b"__cxa_throw" || s.name() == b"__cxa_rethrow")
    })
}

fn diagnosis(rep: &mut Report, c: &Crash<'_>, sp: u64, maps: &[u8], bt: &Backtrace) {
    let sig = c.signo as i32;
    let addr = c.addr;
    let _ = match sig {
        libc::SIGSEGV if c.code > 0 => {
            if let Some(stack) = is_stack_overflow(maps, addr, sp) {
                let which = if stack.path == b"[stack]" {
                    "the main thread's stack"
                } else {
                    "this thread's stack"
                };
                writeln!(
                    rep,
                    "diagnosis: stack overflow: {:#x} is in the guard area {} bytes below {which} (sp {sp:#x})",
                    addr,
                    stack.start.wrapping_sub(addr)
                )
            } else if addr < 0x10000 && c.access == Access::Exec && addr == 0 {
                writeln!(rep, "diagnosis: call through a NULL function pointer")
            } else if addr < 0x10000 {
                writeln!(
                    rep,
                    "diagnosis: NULL pointer dereference ({} at {addr:#x}, offset {addr} from NULL)",
                    c.access.name()
                )
            } else if c.code == 0x80 {
                writeln!(rep, "diagnosis: general protection fault (a non-canonical or otherwise invalid address; si_addr is not meaningful)")
            } else if c.access == Access::Exec {
                writeln!(rep, "diagnosis: jump to {addr:#x}, which is not executable code")
            } else if c.access == Access::Write && maps::find(maps, addr).is_some_and(|m| !m.is_rw()) {
                writeln!(rep, "diagnosis: write to read-only memory")
            } else {
                Ok(())
            }
        }
        libc::SIGABRT => {
            let mut buf = [0u8; 1024];
            match abort_message(maps, &mut buf) {
                Some(m) if m.windows(9).any(|w| w == b"Assertion") => {
                    writeln!(rep, "diagnosis: assertion failed: {}", Text(m))
                }
                Some(m) => writeln!(rep, "diagnosis: abort: {}", Text(m)),
                None if uncaught_exception(bt, maps) => writeln!(
                    rep,
                    "diagnosis: uncaught C++ exception (std::terminate called abort)"
                ),
                None => writeln!(rep, "diagnosis: abort() was called"),
            }
        }
        libc::SIGFPE if c.code == 1 => writeln!(rep, "diagnosis: integer division by zero"),
        libc::SIGBUS if c.code == 2 => match maps::find(maps, addr) {
            Some(m) if m.is_file() => writeln!(
                rep,
                "diagnosis: access beyond the end of mapped file {} (the file is shorter than its mapping)",
                Text(m.path)
            ),
            _ => writeln!(rep, "diagnosis: access to memory with no backing page"),
        },
        libc::SIGILL => writeln!(
            rep,
            "diagnosis: illegal instruction (a trap such as __builtin_trap, or code for another CPU)"
        ),
        libc::SIGTRAP => writeln!(rep, "diagnosis: breakpoint trap with no debugger attached"),
        _ => Ok(()),
    };
}

/// The diagnosis of a fault or misuse the allocator explained, in AddressSanitizer's words.
fn block_diagnosis(rep: &mut Report, n: &BlockNote, access: Access) {
    let (start, end) = (n.block, n.block.wrapping_add(n.size));
    let what = n.kind.name();
    let _ = match n.kind {
        FenceKind::Overflow if n.corrupted > 0 => writeln!(
            rep,
            "diagnosis: {what}: {} byte(s) past the end of the {}-byte block [{start:#x},{end:#x}) were overwritten (found at {})",
            n.corrupted, n.size, n.free_fn
        ),
        FenceKind::Overflow => writeln!(
            rep,
            "diagnosis: {what}: {} at {:#x} is {} bytes after the {}-byte block [{start:#x},{end:#x})",
            access.name(),
            n.addr,
            n.addr.wrapping_sub(end),
            n.size
        ),
        FenceKind::Underflow if n.corrupted > 0 => writeln!(
            rep,
            "diagnosis: {what}: a write at {:#x} is {} bytes before the {}-byte block [{start:#x},{end:#x}) ({} byte(s) of the canary in front of it overwritten, found at {})",
            n.addr,
            start.wrapping_sub(n.addr),
            n.size,
            n.corrupted,
            n.free_fn
        ),
        FenceKind::Underflow => writeln!(
            rep,
            "diagnosis: {what}: {} at {:#x} is {} bytes before the {}-byte block [{start:#x},{end:#x})",
            access.name(),
            n.addr,
            start.wrapping_sub(n.addr),
            n.size
        ),
        FenceKind::UseAfterFree => writeln!(
            rep,
            "diagnosis: {what}: {} at {:#x} is {} bytes inside the {}-byte block [{start:#x},{end:#x}), freed by {}",
            access.name(),
            n.addr,
            n.addr.wrapping_sub(start),
            n.size,
            n.free_fn
        ),
        FenceKind::DoubleFree => writeln!(
            rep,
            "diagnosis: {what}: the {}-byte block [{start:#x},{end:#x}) was already freed (by {})",
            n.size, n.free_fn
        ),
        FenceKind::InvalidFree if n.block != 0 => writeln!(
            rep,
            "diagnosis: {what}: {} of {:#x}, {} bytes inside the {}-byte block [{start:#x},{end:#x})",
            n.free_fn,
            n.addr,
            n.addr.wrapping_sub(start),
            n.size
        ),
        FenceKind::InvalidFree => writeln!(
            rep,
            "diagnosis: {what}: {} of {:#x}, which no allocation returned",
            n.free_fn, n.addr
        ),
        FenceKind::MismatchedFree => writeln!(
            rep,
            "diagnosis: {what}: the {}-byte block [{start:#x},{end:#x}) was allocated by {} and freed by {}",
            n.size, n.alloc_fn, n.free_fn
        ),
        _ => writeln!(rep, "diagnosis: {what} at {:#x}", n.addr),
    };
}

fn header(rep: &mut Report, c: &Crash<'_>, exe: &[u8]) {
    let sig = c.signo as i32;
    let (code_name, code_text) = describe::code_text(sig, c.code);
    let _ = writeln!(
        rep,
        "\n*** tracekit segv: {} ({}) ***",
        describe::signal_name(sig),
        describe::signal_text(sig)
    );
    let _ = writeln!(
        rep,
        "signal:    {} ({}), {code_name}: {code_text}",
        describe::signal_name(sig),
        sig
    );
    if describe::has_fault_addr(sig, c.code) {
        if sig == libc::SIGSEGV && c.access != Access::Unknown {
            let _ = writeln!(rep, "address:   {:#018x} ({})", c.addr, c.access.name());
        } else {
            let _ = writeln!(rep, "address:   {:#018x}", c.addr);
        }
    }
    let _ = writeln!(rep, "process:   {} {}", c.pid, Text(exe));
    let _ = writeln!(
        rep,
        "thread:    {} \"{}\"",
        c.tid,
        Text(c.thread_name.as_bytes())
    );
}

fn register_dump(rep: &mut Report, regs: &[u64; 24]) {
    let _ = writeln!(rep, "registers:");
    for (i, (name, v)) in tracekit_log_core::X86_64_REGS.iter().zip(regs).enumerate() {
        let sep = if i % 4 == 3 || i + 1 == regs.len() {
            "\n"
        } else {
            "  "
        };
        let _ = write!(rep, "  {name:>6} {v:#018x}{sep}");
    }
}

fn raw_frames(rep: &mut Report, bt: &Backtrace, maps: &[u8]) {
    let mut prev = None;
    for f in bt.frames() {
        if let Some(p) = prev {
            if f.index > p + 1 {
                let _ = writeln!(rep, "      ... {} frames omitted ...", f.index - p - 1);
            }
        }
        prev = Some(f.index);
        let _ = write!(rep, "  #{:<3} {:#018x}", f.index, f.pc);
        // A return address points after the call: look up the call itself.
        let look = if f.exact {
            f.pc
        } else {
            f.pc.saturating_sub(1)
        };
        match maps::module_of(maps, look) {
            Some((m, base)) => {
                let header = maps::parse(maps)
                    .find(|x| x.path == m.path && x.offset == 0)
                    .map(|x| x.start);
                if let Some(sym) = header.and_then(|h| dynsym::lookup(h, look)) {
                    let off = sym.offset + (f.pc - look);
                    let _ = write!(rep, " in {}+{off:#x}", Text(sym.name()));
                    let _ = writeln!(rep, " ({}+{:#x})", Text(m.path), f.pc.wrapping_sub(base));
                } else {
                    let _ = writeln!(rep, " in {}+{:#x}", Text(m.path), f.pc.wrapping_sub(base));
                }
            }
            None => {
                let _ = writeln!(rep, " in ??");
            }
        }
    }
}

fn memory(rep: &mut Report, c: &Crash<'_>, maps: &[u8]) {
    if describe::has_fault_addr(c.signo as i32, c.code) {
        match maps::find(maps, c.addr) {
            Some(m) => {
                let _ = writeln!(
                    rep,
                    "fault address {:#x} is in {:#x}-{:#x} {} offset {:#x} {}",
                    c.addr,
                    m.start,
                    m.end,
                    Text(&m.perms),
                    m.offset.wrapping_add(c.addr.wrapping_sub(m.start)),
                    Text(m.path)
                );
            }
            None => {
                let _ = writeln!(rep, "fault address {:#x} is not in any mapping", c.addr);
            }
        }
    }
    let _ = writeln!(rep, "loaded modules:");
    for m in maps::modules(maps) {
        let _ = writeln!(rep, "  {:#014x}-{:#014x}  {}", m.start, m.end, Text(m.path));
    }
}

/// Writes the whole report for this crash.
///
/// # Safety
/// Only the one thread that claimed the report may call this, once at a time.
pub unsafe fn write(cfg: &Config, sig: i32, info: &libc::siginfo_t, uc: &libc::ucontext_t) {
    // SAFETY: per the contract, this thread has exclusive use of the state.
    let st = unsafe { &mut *STATE.0.get() };
    // A setuid/setgid program: the environment that named the output file, the log and the
    // symbolizer is the unprivileged caller's. Only stderr, and raw frames.
    let secure = tracekit_preload_core::env::secure_execution();
    let out_fd = (!secure)
        .then(|| cfg.output.get())
        .flatten()
        .and_then(|p| {
            sys::open(
                p.with_nul(),
                // 0600, and never through a symlink planted at the name.
                libc::O_WRONLY
                    | libc::O_CREAT
                    | libc::O_APPEND
                    | libc::O_CLOEXEC
                    | libc::O_NOFOLLOW,
                0o600,
            )
            .ok()
        })
        .unwrap_or(-1);
    // A program that closed every descriptor also closed our duplicate: fall back to fd 2.
    let err_fd = if sys::is_open(cfg.stderr_fd) {
        cfg.stderr_fd
    } else {
        2
    };
    st.report.reset([err_fd, out_fd]);

    let pid = sys::getpid();
    let regs = registers(uc);
    // SAFETY: for fault signals si_addr is the fault address; for others it reads the union's
    // first word, which we only print when has_fault_addr says it is an address.
    let addr = unsafe { info.si_addr() } as u64;
    let mut name = [0u8; 16];
    let name_len = sys::thread_name(&mut name);
    let exe_len = sys::readlink(b"/proc/self/exe\0", &mut st.exe).unwrap_or(0);
    let cmd_len = read_proc(b"/proc/self/cmdline\0", &mut st.cmdline);
    let maps_len = maps::read_self(&mut st.maps);
    let maps = &st.maps[..maps_len];
    let access = describe::access(sig, info.si_code, regs[TRAPNO], regs[ERR], regs[RIP], addr);
    // Events here only borrow: never dropping them keeps the drop code of their (never
    // used) owned form out of the library, and with it an import of libc's `free`.
    let crash = ManuallyDrop::new(Crash {
        time_ns: 0,
        pid: pid as u32,
        tid: sys::gettid(),
        thread_name: Bytes::borrowed(&name[..name_len]),
        signo: sig as u32,
        code: info.si_code,
        addr: if describe::has_fault_addr(sig, info.si_code) {
            addr
        } else {
            0
        },
        access,
        arch: Arch::X86_64,
        regs: Cow::Borrowed(&regs),
        stack: 0,
        report: Bytes::borrowed(b""),
    });

    let rep = &mut st.report;
    header(rep, &crash, &st.exe[..exe_len]);
    if info.si_code <= 0 {
        // SAFETY: for signals sent by a process, the union holds the sender's pid.
        let sender = unsafe { info.si_pid() };
        let _ = writeln!(
            rep,
            "sent by:   process {sender}{}",
            if sender as u32 == pid {
                " (this process)"
            } else {
                ""
            }
        );
    }
    rep.flush();
    // Our own frame in threads' stacks (the trampoline our pthread_create starts them with)
    // is not the program's: leave it out.
    st.bt
        .capture(regs[RIP], crate::threads::trampoline as *const () as u64);
    if !st.bt.found_fault {
        st.bt.fallback(regs[RIP], regs[RSP]);
    }
    // What a fence allocator knows: the block a fault address belongs to, or the misuse it
    // aborted for.
    let note = match sig {
        libc::SIGABRT => fault::pending(),
        libc::SIGSEGV | libc::SIGBUS if describe::has_fault_addr(sig, info.si_code) => {
            fault::describe(crash.addr)
        }
        _ => None,
    };
    if sig == libc::SIGABRT && note.is_some() {
        // The allocator aborted for a misuse it found: its own frames (down to the program's
        // call of free) are not the program's.
        let here = fault::report_and_abort as *const () as u64;
        if let Some(m) = maps::modules(maps).find(|m| m.start <= here && here < m.end) {
            st.bt.drop_leading_in(m.start, m.end);
        }
    }
    match &note {
        Some(n) => block_diagnosis(rep, n, crash.access),
        None => diagnosis(rep, &crash, regs[RSP], maps, &st.bt),
    }
    rep.flush();
    match cfg.test_fail {
        TestFail::None => {}
        // SAFETY: deliberately invalid: this test hook must fault here.
        TestFail::Fault => unsafe { core::ptr::write_volatile(8 as *mut u8, 1) },
        TestFail::Hang => loop {
            sys::sleep_ms(1000);
        },
        TestFail::Panic => panic!("test hook: a panic inside the handler"),
    }
    register_dump(rep, &regs);
    rep.flush();

    let _ = writeln!(rep, "backtrace (from the faulting instruction):");
    rep.flush();
    let symbolizer = if secure {
        let _ = writeln!(rep, "  (a secure-execution program: no symbolizer is run)");
        None
    } else {
        cfg.symbolizer(maps, &mut st.symbolizer)
    };
    if !spawn::symbolize(symbolizer, cfg.timeout_ms, pid, &st.bt, &mut st.argv, rep) {
        if symbolizer.is_some() {
            let _ = writeln!(rep, "  (symbolizer failed; raw frames:)");
        }
        raw_frames(rep, &st.bt, maps);
    }
    rep.flush();
    // The crash's own frames for the event log, taken before the block's stacks below
    // reuse the backtrace (the log's crash and fence records named the block's last stack
    // as the faulting one).
    let mut frames = [0u64; crate::unwind::HEAD + crate::unwind::TAIL];
    let mut nframes = 0;
    for f in st.bt.frames() {
        frames[nframes] = f.pc;
        nframes += 1;
    }
    if let Some(n) = &note {
        let stacks = [
            ("allocated", n.alloc_stack(), n.alloc_tid, n.alloc_fn),
            ("freed", n.free_stack(), n.free_tid, n.free_fn),
        ];
        for (what, frames, tid, func) in stacks {
            if frames.is_empty() {
                continue;
            }
            let _ = writeln!(rep, "the block was {what} by thread {tid} ({func}) at:");
            rep.flush();
            st.bt.set_return_addresses(frames);
            if !spawn::symbolize(symbolizer, cfg.timeout_ms, pid, &st.bt, &mut st.argv, rep) {
                raw_frames(rep, &st.bt, maps);
            }
            rep.flush();
        }
    }
    memory(rep, &crash, maps);
    let _ = writeln!(rep, "*** end of tracekit segv report ***");
    rep.flush();
    if out_fd >= 0 {
        sys::close(out_fd);
    }

    let mut rec = CrashRecord {
        crash: ManuallyDrop::new(Crash {
            thread_name: Bytes::borrowed(crash.thread_name.as_bytes()),
            regs: Cow::Borrowed(&regs),
            report: Bytes::borrowed(st.report.text()),
            ..*crash
        }),
        frames: &frames[..nframes],
        maps,
        cmdline: &st.cmdline[..cmd_len],
        exe: &st.exe[..exe_len],
        note: note.as_ref(),
    };
    if !secure {
        eventlog::append(cfg, &mut rec, &mut st.record);
    }
}
