//! blazesym runs in a process of its own, so that what a damaged file does to it cannot take the
//! tool down.
//!
//! blazesym 0.2.7 panics on some damaged DWARF (a line row naming a file its table lacks, found
//! by `tests/corrupt.rs`). `catch_unwind` contains that only in builds that unwind; the release
//! build is `panic = "abort"` (the `no_std` crash handler needs it workspace-wide), where the
//! panic would abort `tracekit report`, and no build survives a stack overflow on a deeply
//! nested unit. So the lookups go to a *worker*: a copy of the calling process, forked at the
//! first lookup, answering over a socket. When it dies, the file it was reading is marked
//! damaged (its addresses get that reason instead of frames) and the next lookup forks a new
//! worker; blazesym's caches live on in the worker between lookups.
//!
//! The worker is a grandchild (the intermediate child exits at once and is reaped here), so it
//! is never a child that a caller's own `wait(-1)` could collect: strace-rs's and ltrace-rs's
//! tracing loops wait for any child, and a child of ours would also keep them from seeing
//! `ECHILD` when their tracees are gone. It ends when the socket closes (the [`Worker`] is
//! dropped, or this process is gone) and leaves with `_exit`, which flushes nothing of the
//! parent's copied buffers.
//!
//! The messages are little-endian integers and length-prefixed strings (see [`Wire`]). A
//! request is a lookup (answered with the frames) or a batch of the addresses about to be
//! looked up in one file (answered with an empty acknowledgement once the worker has read what
//! they need: see `Reducer::prepare`).

use std::io::{self, BufReader, Read};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

use blazesym::symbolize::source::{Elf, Source};
use blazesym::symbolize::{CodeInfo, Input, Symbolized};

use crate::reduce::Reducer;
use crate::{demangle, Frame, Resolution};

/// What one lookup gives: frames (maybe none, with a reason), or why the file cannot be used.
pub(crate) type Answer = Result<Resolution, String>;

/// The longest string a message may carry (a function name, a path); longer is damage.
const MAX_STR: u64 = 1 << 24;

/// The most addresses one batch request may carry; more is damage.
const MAX_BATCH: u64 = 1 << 20;

/// A request's first field: what it asks.
const LOOKUP: u64 = 0;
const PREPARE: u64 = 1;

/// What the worker is asked.
enum Request {
    /// The frames at an offset of a file.
    Lookup(PathBuf, u64),
    /// Ready the lookups of these offsets of a file.
    Prepare(PathBuf, Vec<u64>),
}

/// A worker process and the socket to it.
pub(crate) struct Worker {
    /// The worker's pid, which it sends first.
    pub(crate) pid: u64,
    sock: UnixStream,
    rx: BufReader<UnixStream>,
}

impl Worker {
    /// Forks a worker that looks up with blazesym, finding detached debug info under
    /// `debug_root`.
    pub(crate) fn start(debug_root: &Path) -> io::Result<Worker> {
        // Both ends are close-on-exec (std makes them so).
        let (ours, theirs) = UnixStream::pair()?;
        // SAFETY: fork has no memory preconditions. The child runs `intermediate` only and
        // leaves with `_exit`: it forks the worker and exits, touching nothing shared.
        let pid = unsafe { libc::fork() };
        if pid == -1 {
            return Err(io::Error::last_os_error());
        }
        if pid == 0 {
            drop(ours);
            intermediate(theirs, debug_root);
        }
        drop(theirs);
        reap(pid);
        let mut rx = BufReader::new(ours.try_clone()?);
        let pid = get_u64(&mut rx)?;
        Ok(Worker {
            pid,
            sock: ours,
            rx,
        })
    }

    /// Looks `offset` up in `file`. `Err` when the worker died (or the socket failed) before
    /// it answered, with what happened, in words that follow "the DWARF reader".
    pub(crate) fn ask(&mut self, file: &Path, offset: u64) -> Result<Answer, String> {
        let mut req = Vec::with_capacity(64);
        put_lookup(&mut req, file, offset);
        send_all(&self.sock, &req).map_err(asking)?;
        read_answer(&mut self.rx).map_err(answering)
    }

    /// Readies the lookups of `offsets` in `file` (see `Reducer::prepare`): they answer as
    /// they would without it. `Err` as for [`ask`](Self::ask).
    pub(crate) fn prepare(&mut self, file: &Path, offsets: &[u64]) -> Result<(), String> {
        let mut req = Vec::with_capacity(64 + 8 * offsets.len());
        put_prepare(&mut req, file, offsets);
        send_all(&self.sock, &req).map_err(asking)?;
        get_u64(&mut self.rx).map(drop).map_err(answering)
    }
}

/// A request that could not be sent, in words that follow "the DWARF reader".
fn asking(e: io::Error) -> String {
    format!("could not be asked ({e})")
}

/// An answer that did not come, in words that follow "the DWARF reader".
fn answering(e: io::Error) -> String {
    match e.kind() {
        io::ErrorKind::UnexpectedEof => "failed on it".to_owned(),
        _ => format!("could not answer ({e})"),
    }
}

/// The forked child: starts the worker and exits, so the worker is nobody's child here.
fn intermediate(sock: UnixStream, debug_root: &Path) -> ! {
    // SAFETY: as in `Worker::start`; the grandchild runs `serve` only and leaves with `_exit`.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        serve(sock, debug_root);
    }
    // SAFETY: `_exit` ends the process at once, without running the parent's exit handlers or
    // flushing its copied stdio buffers.
    unsafe { libc::_exit(i32::from(pid == -1)) }
}

/// Waits for the intermediate child (it exits at once). A caller with a `wait(-1)` loop on
/// another thread may have collected it already: `ECHILD` then, which is fine.
fn reap(pid: libc::pid_t) {
    let mut status = 0;
    loop {
        // SAFETY: waitpid writes one int to `status`, ours.
        let r = unsafe { libc::waitpid(pid, &mut status, 0) };
        if r != -1 || io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            return;
        }
    }
}

/// The worker: answers lookups until the socket closes. A panic (or an abort, or a fault)
/// ends the process, which the other side reads as the end of the stream.
fn serve(sock: UnixStream, debug_root: &Path) -> ! {
    // A panic's message would land on the user's terminal in the middle of a report: the
    // other side says what happened instead.
    std::panic::set_hook(Box::new(|_| {}));
    let code = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: getpid has no preconditions.
        let pid = unsafe { libc::getpid() };
        if send_all(&sock, &u64::from(pid as u32).to_le_bytes()).is_err() {
            return;
        }
        let inner = blazesym_symbolizer(debug_root);
        let mut reducer = Reducer::new(debug_root);
        let Ok(rx) = sock.try_clone() else { return };
        let mut rx = BufReader::new(rx);
        let mut out = Vec::with_capacity(256);
        while let Ok(request) = read_request(&mut rx) {
            out.clear();
            match request {
                Request::Lookup(file, offset) => {
                    let answer = lookup(&inner, &mut reducer, &file, offset);
                    put_answer(&mut out, &answer);
                }
                Request::Prepare(file, offsets) => {
                    reducer.prepare(&file, &offsets);
                    out.put_u64(0);
                }
            }
            if send_all(&sock, &out).is_err() {
                return;
            }
        }
    })) {
        Ok(()) => 0,
        Err(_) => 101,
    };
    // SAFETY: as in `intermediate`.
    unsafe { libc::_exit(code) }
}

/// The blazesym symbolizer every lookup uses: file:line and inlined functions, our own
/// demangling (which leaves names that are not mangled alone), debug files under `root`.
fn blazesym_symbolizer(root: &Path) -> blazesym::symbolize::Symbolizer {
    blazesym::symbolize::Symbolizer::builder()
        .enable_code_info(true)
        .enable_inlined_fns(true)
        .enable_demangling(false)
        .set_debug_dirs(Some([root.to_path_buf()]))
        .build()
}

/// One lookup, in the worker: from the reduced copy of the file's debug file when there is
/// one (see `reduce`), else (or when blazesym fails on the copy) from the file.
fn lookup(
    inner: &blazesym::symbolize::Symbolizer,
    reducer: &mut Reducer,
    file: &Path,
    offset: u64,
) -> Answer {
    if let Some(copy) = reducer.source_for(file, offset) {
        match resolve(inner, &copy, offset) {
            Ok(r) => return Ok(r),
            Err(_) => reducer.give_up(file),
        }
    }
    resolve(inner, file, offset)
}

/// Looks `offset` up in `file` with blazesym.
fn resolve(inner: &blazesym::symbolize::Symbolizer, file: &Path, offset: u64) -> Answer {
    let src = Source::Elf(Elf::new(file));
    match inner.symbolize_single(&src, Input::VirtOffset(offset)) {
        Ok(Symbolized::Sym(sym)) => {
            // blazesym gives the real function with the location of its (first inlined)
            // call, then the inlined functions outermost first, each with its own location.
            let mut frames = Vec::with_capacity(sym.inlined.len() + 1);
            let mut outer = Frame {
                function: demangle(&sym.name).into_owned(),
                function_offset: Some(sym.offset as u64),
                ..Frame::default()
            };
            set_code(&mut outer, sym.code_info.as_deref());
            frames.push(outer);
            for inl in sym.inlined.iter() {
                let mut f = Frame {
                    function: demangle(&inl.name).into_owned(),
                    inlined: true,
                    ..Frame::default()
                };
                set_code(&mut f, inl.code_info.as_ref());
                frames.push(f);
            }
            frames.reverse();
            Ok(Resolution { frames, note: None })
        }
        Ok(Symbolized::Unknown(reason)) => Ok(Resolution {
            frames: Vec::new(),
            note: Some(unknown_reason(reason)),
        }),
        // The file passed the checks but does not parse: as unusable as a missing one.
        Err(e) => Err(e.to_string()),
    }
}

/// Why an address has no symbol, in the words of someone who has to do something about it.
fn unknown_reason(reason: blazesym::symbolize::Reason) -> String {
    use blazesym::symbolize::Reason;
    match reason {
        Reason::MissingSyms => "no symbols: stripped, and no separate debug file found".to_owned(),
        other => other.to_string(),
    }
}

fn set_code(f: &mut Frame, code: Option<&CodeInfo<'_>>) {
    if let Some(c) = code {
        f.file = Some(c.to_path().display().to_string());
        f.line = c.line;
        f.column = c.column.map(u32::from);
    }
}

/// Writes all of `buf`; a closed other end is an `EPIPE` error here, never a `SIGPIPE`
/// (tools that print to pipes may have put `SIGPIPE` back to its default).
fn send_all(sock: &UnixStream, mut buf: &[u8]) -> io::Result<()> {
    while !buf.is_empty() {
        // SAFETY: `buf` is valid for `buf.len()` bytes; the fd is the socket's, open.
        let n = unsafe {
            libc::send(
                sock.as_raw_fd(),
                buf.as_ptr().cast(),
                buf.len(),
                libc::MSG_NOSIGNAL,
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        buf = &buf[n as usize..];
    }
    Ok(())
}

/// Appending the messages' fields.
trait Wire {
    fn put_u64(&mut self, v: u64);
    fn put_bytes(&mut self, b: &[u8]);
    fn put_opt_u64(&mut self, v: Option<u64>) {
        match v {
            Some(v) => {
                self.put_u64(1);
                self.put_u64(v);
            }
            None => self.put_u64(0),
        }
    }
    fn put_opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => {
                self.put_u64(1);
                self.put_bytes(s.as_bytes());
            }
            None => self.put_u64(0),
        }
    }
}

impl Wire for Vec<u8> {
    fn put_u64(&mut self, v: u64) {
        self.extend_from_slice(&v.to_le_bytes());
    }
    fn put_bytes(&mut self, b: &[u8]) {
        self.put_u64(b.len() as u64);
        self.extend_from_slice(b);
    }
}

fn put_lookup(out: &mut Vec<u8>, file: &Path, offset: u64) {
    out.put_u64(LOOKUP);
    out.put_bytes(file.as_os_str().as_bytes());
    out.put_u64(offset);
}

fn put_prepare(out: &mut Vec<u8>, file: &Path, offsets: &[u64]) {
    out.put_u64(PREPARE);
    out.put_bytes(file.as_os_str().as_bytes());
    out.put_u64(offsets.len() as u64);
    for &o in offsets {
        out.put_u64(o);
    }
}

fn put_answer(out: &mut Vec<u8>, answer: &Answer) {
    match answer {
        Ok(r) => {
            out.put_u64(0);
            out.put_opt_str(r.note.as_deref());
            out.put_u64(r.frames.len() as u64);
            for f in &r.frames {
                out.put_bytes(f.function.as_bytes());
                out.put_opt_u64(f.function_offset);
                out.put_opt_str(f.file.as_deref());
                out.put_opt_u64(f.line.map(u64::from));
                out.put_opt_u64(f.column.map(u64::from));
                out.put_u64(u64::from(f.inlined));
            }
        }
        Err(why) => {
            out.put_u64(1);
            out.put_bytes(why.as_bytes());
        }
    }
}

fn get_u64(r: &mut impl Read) -> io::Result<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

fn get_bytes(r: &mut impl Read) -> io::Result<Vec<u8>> {
    let n = get_u64(r)?;
    if n > MAX_STR {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "string too long",
        ));
    }
    let mut v = vec![0u8; n as usize];
    r.read_exact(&mut v)?;
    Ok(v)
}

fn get_string(r: &mut impl Read) -> io::Result<String> {
    Ok(String::from_utf8_lossy(&get_bytes(r)?).into_owned())
}

fn get_opt<R: Read, T>(r: &mut R, get: fn(&mut R) -> io::Result<T>) -> io::Result<Option<T>> {
    match get_u64(r)? {
        0 => Ok(None),
        _ => get(r).map(Some),
    }
}

fn read_request(r: &mut impl Read) -> io::Result<Request> {
    let kind = get_u64(r)?;
    let file = PathBuf::from(std::ffi::OsString::from_vec(get_bytes(r)?));
    match kind {
        LOOKUP => Ok(Request::Lookup(file, get_u64(r)?)),
        PREPARE => {
            let n = get_u64(r)?;
            if n > MAX_BATCH {
                return Err(io::Error::new(io::ErrorKind::InvalidData, "batch too long"));
            }
            let offsets = (0..n).map(|_| get_u64(r)).collect::<io::Result<_>>()?;
            Ok(Request::Prepare(file, offsets))
        }
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "unknown request",
        )),
    }
}

fn read_answer<R: Read>(r: &mut R) -> io::Result<Answer> {
    if get_u64(r)? != 0 {
        return Ok(Err(get_string(r)?));
    }
    let note = get_opt(r, get_string)?;
    let n = get_u64(r)?;
    let mut frames = Vec::with_capacity(n.min(64) as usize);
    for _ in 0..n {
        let function = get_string(r)?;
        let function_offset = get_opt(r, get_u64)?;
        let file = get_opt(r, get_string)?;
        let line = get_opt(r, get_u64)?.map(|v| v as u32);
        let column = get_opt(r, get_u64)?.map(|v| v as u32);
        let inlined = get_u64(r)? != 0;
        frames.push(Frame {
            function,
            function_offset,
            file,
            line,
            column,
            inlined,
        });
    }
    Ok(Ok(Resolution { frames, note }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_round_trip() {
        let answers: Vec<Answer> = vec![
            Ok(Resolution {
                frames: vec![
                    Frame {
                        function: "inlined_one".into(),
                        file: Some("/src/a.c".into()),
                        line: Some(7),
                        column: Some(3),
                        inlined: true,
                        ..Frame::default()
                    },
                    Frame {
                        function: "main".into(),
                        function_offset: Some(0x2a),
                        ..Frame::default()
                    },
                ],
                note: None,
            }),
            Ok(Resolution {
                frames: Vec::new(),
                note: Some("no symbols".into()),
            }),
            Err("not an ELF file".into()),
        ];
        let mut buf = Vec::new();
        for a in &answers {
            put_answer(&mut buf, a);
        }
        let mut r = &buf[..];
        for a in &answers {
            assert_eq!(&read_answer(&mut r).unwrap(), a);
        }
        assert!(r.is_empty());
    }

    #[test]
    fn requests_round_trip() {
        let mut buf = Vec::new();
        put_lookup(&mut buf, Path::new("/lib/libc.so.6"), 0x1234);
        put_prepare(&mut buf, Path::new("/bin/x"), &[1, 2, 0xffff_ffff_ffff]);
        put_prepare(&mut buf, Path::new("/bin/y"), &[]);
        let mut r = &buf[..];
        assert!(matches!(read_request(&mut r).unwrap(),
            Request::Lookup(f, 0x1234) if f == Path::new("/lib/libc.so.6")));
        assert!(matches!(read_request(&mut r).unwrap(),
            Request::Prepare(f, o) if f == Path::new("/bin/x") && o == [1, 2, 0xffff_ffff_ffff]));
        assert!(matches!(read_request(&mut r).unwrap(),
            Request::Prepare(f, o) if f == Path::new("/bin/y") && o.is_empty()));
        assert!(r.is_empty());
        // An unknown kind, and a batch longer than allowed, are damage.
        let mut bad = Vec::new();
        bad.put_u64(7);
        bad.put_bytes(b"/bin/x");
        assert!(read_request(&mut &bad[..]).is_err());
        let mut long = Vec::new();
        long.put_u64(PREPARE);
        long.put_bytes(b"/bin/x");
        long.put_u64(MAX_BATCH + 1);
        assert!(read_request(&mut &long[..]).is_err());
    }

    #[test]
    fn a_worker_that_dies_is_reported_not_inherited() {
        let mut w = Worker::start(Path::new("/nonexistent")).unwrap();
        // A real lookup first: the worker answers.
        let me = std::env::current_exe().unwrap();
        assert!(w.ask(&me, 0).is_ok());
        // A batch is acknowledged, and the worker goes on answering.
        assert!(w.prepare(&me, &[0, 1]).is_ok());
        assert!(w.ask(&me, 1).is_ok());
        // The worker is not our child, so a wait(-1) loop of ours never collects it.
        let status = std::fs::read_to_string(format!("/proc/{}/status", w.pid)).unwrap();
        let ppid = status
            .lines()
            .find_map(|l| l.strip_prefix("PPid:"))
            .unwrap()
            .trim();
        assert_ne!(
            ppid,
            std::process::id().to_string(),
            "the worker is our child"
        );
        // Close its end by shutting the socket down: the next lookup fails, it does not hang.
        w.sock.shutdown(std::net::Shutdown::Both).unwrap();
        assert!(w.ask(&me, 0).is_err());
        assert!(w.prepare(&me, &[0]).is_err());
    }

    /// glibc's separate debug file (compressed DWARF) read through a reduced copy gives
    /// blazesym's answers from the whole file, for functions all over it, half of them readied
    /// as a batch, the others asked in an order that makes the copy grow several times. Skipped where libc has no debug file installed.
    /// Run in a child process, as the worker is: blazesym's and the copy's mappings would
    /// otherwise come and go under the other tests that read this process's maps.
    #[test]
    fn a_reduced_debug_file_answers_as_the_whole_one() {
        // SAFETY: the child runs `compare_reduced_with_whole` and leaves with `_exit`.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0);
        if pid == 0 {
            let ok = std::panic::catch_unwind(compare_reduced_with_whole).is_ok();
            // SAFETY: as in `intermediate`.
            unsafe { libc::_exit(if ok { 0 } else { 1 }) }
        }
        let mut status = 0;
        // SAFETY: waitpid writes one int to `status`, ours.
        assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "the comparison failed (its message is above): status {status:#x}"
        );
    }

    fn compare_reduced_with_whole() {
        use object::{Object, ObjectSymbol};
        let map = crate::ModuleMap::from_proc_maps(std::process::id()).unwrap();
        let Some(libc) = map
            .modules()
            .iter()
            .map(|m| std::path::PathBuf::from(m.path.to_string_lossy().into_owned()))
            .find(|p| p.file_name().is_some_and(|n| n == "libc.so.6"))
        else {
            eprintln!("no libc.so.6 mapped: skipped");
            return;
        };
        let root = Path::new("/usr/lib/debug");
        let Some(debug) = crate::reduce::debug_file_for(&libc, root) else {
            eprintln!("no debug file for {}: skipped", libc.display());
            return;
        };
        let data = std::fs::read(&debug).unwrap();
        let file = object::File::parse(&*data).unwrap();
        let mut addrs: Vec<u64> = file
            .symbols()
            .filter(|s| s.kind() == object::SymbolKind::Text && s.size() > 8)
            .map(|s| s.address() + s.size() / 2)
            .collect();
        addrs.sort_unstable();
        addrs.dedup();
        assert!(addrs.len() > 1000, "{} functions", addrs.len());
        // About 200 addresses, asked in a scattered order.
        let step = addrs.len() / 200;
        let mut picked: Vec<u64> = addrs.iter().step_by(step).copied().collect();
        let n = picked.len();
        picked = (0..n).map(|i| picked[(i * 73) % n]).collect();
        let inner = blazesym_symbolizer(root);
        let whole = blazesym_symbolizer(root);
        let mut reducer = Reducer::new(root);
        // Half of them readied together first (as a report's sites are), the rest asked one
        // by one: the copy made for the batch grows from there.
        let mut batch: Vec<u64> = picked.iter().step_by(2).copied().collect();
        batch.sort_unstable();
        reducer.prepare(&libc, &batch);
        let (mut reduced, mut with_lines) = (0, 0);
        for &a in &picked {
            let want = resolve(&whole, &libc, a);
            if want
                .as_ref()
                .is_ok_and(|r| r.frames.iter().any(|f| f.line.is_some()))
            {
                with_lines += 1;
            }
            if reducer.source_for(&libc, a).is_some() {
                reduced += 1;
            }
            let got = lookup(&inner, &mut reducer, &libc, a);
            assert_eq!(got, want, "{a:#x}");
        }
        assert!(reduced * 10 >= n * 9, "only {reduced} of {n} from the copy");
        assert!(
            with_lines * 10 >= n * 9,
            "only {with_lines} of {n} with lines"
        );
    }
}
