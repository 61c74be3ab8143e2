//! The log file, written through a shared memory map.
//!
//! Records are encoded (with [`tracekit_log::encode`], which never allocates) straight into a
//! `MAP_SHARED` window of the file. The kernel owns those pages from the moment they are
//! written, so whatever was recorded before a crash, `_exit` or `exec` is in the file: a
//! process that dies leaves at most a tail of zero padding, which readers skip. The file
//! grows a chunk at a time ahead of the records (zeros written, pages mapped in: see
//! `Window::ready`), mostly on the compressor thread, so the program's thread rarely pays
//! for it; when the window is used up the next one is mapped. [`LogFile::finish`]
//! compresses the records in place and cuts the file to its used length.

use std::ffi::c_int;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::fmt::FixedBuf;
use crate::lock::SpinLock;

use crate::sys::{self, Errno, SysResult};
use tracekit_log::delta::{self, Encoder, MAX_EVENT};
use tracekit_log::{encode, write_header, Event, Full, HEADER_LEN};

/// Set when the compressor thread should be started; the session does it once it has
/// released its lock ([`take_spawn_request`]).
static SPAWN: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Asks for the compressor thread before the log is a seal long (it samples the process's
/// memory besides compressing): the heap tracker's first `Mapping` does, so that a program
/// whose memory is mostly mappings is sampled from then on. Started by the session once its
/// lock is released, as for a seal.
pub fn request_spawn() {
    if crate::compress::helper_tid() == 0 {
        SPAWN.store(true, std::sync::atomic::Ordering::Release);
    }
}

/// True (once) when a write asked for the compressor thread.
#[inline]
pub fn take_spawn_request() -> bool {
    SPAWN.load(std::sync::atomic::Ordering::Relaxed)
        && SPAWN.swap(false, std::sync::atomic::Ordering::AcqRel)
}

/// Records are handed to the compressor in steps of this many bytes.
const SEAL_EVERY: u64 = 256 << 10;

/// No open batch record.
const NO_BATCH: u64 = u64::MAX;
/// A batch record is closed once it holds this much (its length has 3 LEB128 bytes). The
/// compressor's zstd blocks are no larger, so a cut compressed log loses at most one
/// record's bytes.
pub(crate) const BATCH_LIMIT: u64 = 64 << 10;
const _: () = assert!(BATCH_LIMIT == tracekit_log::ZSTD_MAX_BLOCK as u64);

/// Bytes mapped at a time (address space only: pages are made ready chunk by chunk).
/// Smaller in unit tests, which cross windows.
const WINDOW: usize = if cfg!(test) { 4 << 20 } else { 32 << 20 };
/// Bytes of a window made ready for writing at a time: a run that writes little pays for
/// little, and the file never holds much more than was written. (1 MiB before issue 23's
/// resident-memory target: a chunk and [`AHEAD`] are resident while they wait.)
const CHUNK: usize = 256 << 10;
const PAGE: u64 = 4096;
/// The compressor thread keeps this much of the window ready past the last sealed record
/// (resident: the pages are mapped in). The helper's rounds are 2 ms apart: a program
/// writing 20 MB/s of records uses 40 KiB of it a round.
const AHEAD: usize = 256 << 10;

/// The window being written, as the compressor thread sees it: it readies the window's next
/// chunks ahead of the writer (off the program's thread), which then finds them ready. The
/// lock is held while a chunk is made ready, and by the writer when it changes windows, so
/// the helper never touches a window that is being unmapped.
struct Window {
    map: *mut u8,
    /// The window's file offset.
    off: u64,
    /// How much of it may be used (its size, or less under a file size limit).
    usable: usize,
    /// The log's descriptor and (device, inode), checked before each chunk is written.
    fd: c_int,
    id: (u64, u64),
    /// File offset of the end of the records when the window was mapped: the window's first
    /// page may hold records (or the header) before it.
    data_end: u64,
}

// SAFETY: the pointer is only an address to populate, under the lock.
unsafe impl Send for Window {}

static WINDOW_AHEAD: SpinLock<Window> = SpinLock::new(Window {
    map: std::ptr::null_mut(),
    off: 0,
    usable: 0,
    fd: -1,
    id: (0, 0),
    data_end: 0,
});
/// Bytes of the window in `WINDOW_AHEAD` that are ready (raised under its lock; reset when the
/// window changes).
static READY: AtomicUsize = AtomicUsize::new(0);

/// Zeros to write into the file ahead of the records (in `.bss`: costs nothing until read).
static ZEROS: [u8; 256 << 10] = [0; 256 << 10];

impl Window {
    /// Makes `[from, to)` of the window ready for writing. The range (in the file, past every
    /// record) is first filled with zeros by `pwrite`, which also reserves the disk blocks, so
    /// a full disk is an error here, not a SIGBUS at a store. On ext4 that costs about a
    /// third of faulting in file holes through the mapping (measured: 3.4 against 10 ms per
    /// 8 MiB). The pages, now in the page cache, are then mapped writable in one call.
    fn ready(&self, from: usize, to: usize) -> SysResult<()> {
        // The program may have closed our descriptor and reused its number.
        if sys::file_id(self.fd) != Some(self.id) {
            return Err(Errno(libc::EBADF));
        }
        let mut at = (self.off + from as u64).max(self.data_end);
        let end = self.off + to as u64;
        while at < end {
            let n = ((end - at) as usize).min(ZEROS.len());
            sys::pwrite_all(self.fd, &ZEROS[..n], at)?;
            at += n as u64;
        }
        // SAFETY: `from <= to` and `to` is at most the window's size, so `map + from` is
        // inside (or one past) the window mapped at `map`.
        let start = unsafe { self.map.add(from) };
        // SAFETY: [from, to) is page-aligned (multiples of CHUNK, or the window's
        // page-multiple size) and inside the window, which stays mapped while its lock is held.
        unsafe { sys::populate_write(start, to - from) }
    }
}

/// Called by the compressor thread: readies the current window up to [`AHEAD`] bytes past
/// `pos` (the writer's last sealed file offset), one chunk at a time. A failure (full disk)
/// is left to the writer, which meets it when it readies the chunk itself.
pub(crate) fn ready_ahead(pos: u64) {
    loop {
        let w = WINDOW_AHEAD.lock();
        if w.map.is_null() || pos < w.off {
            return;
        }
        let target = ((pos - w.off) as usize + AHEAD)
            .next_multiple_of(CHUNK)
            .min(w.usable);
        let r = READY.load(Ordering::Relaxed);
        if r >= target {
            return;
        }
        let to = (r + CHUNK).min(target);
        if w.ready(r, to).is_err() {
            return;
        }
        READY.store(to, Ordering::Release);
    }
}

/// Takes the window lock around `fork` (with the other locks the compressor uses).
pub(crate) fn fork_prepare() {
    WINDOW_AHEAD.lock_for_fork();
}

/// Releases the lock taken by [`fork_prepare`].
pub(crate) fn fork_release() {
    // SAFETY: taken by fork_prepare in this thread (or, in the child, its copy).
    unsafe { WINDOW_AHEAD.force_unlock() };
}

/// `encode` builds the payload a few bytes further on and then moves it into place, which
/// can leave stale bytes just past the record: zero them, so that the end of the records is
/// always followed by padding.
#[inline]
fn clear_scratch(room: &mut [u8], n: usize) {
    let end = (n + 8).min(room.len());
    room[n..end].fill(0);
}

/// A log file being written. `const`-constructible in the closed state.
#[derive(Debug)]
pub struct LogFile {
    fd: c_int,
    map: *mut u8,
    map_off: u64,
    /// The window's ready part (faulted in writable): records go only there.
    map_len: usize,
    /// The window's mapped size.
    map_size: usize,
    /// The window's pages before this offset were released (see [`LogFile::release_behind`]).
    map_released: usize,
    /// How much of the window the file size limit (`ulimit -f`) lets us use: growing the file
    /// past it would raise SIGXFSZ, which kills the program.
    map_usable: usize,
    /// File offset of the next record.
    pos: u64,
    /// Where this process's records start (after the header, or at the end of the records
    /// of the image that `exec`ed us).
    start: u64,
    failed: bool,
    /// The next position at which finished records are handed to the compressor.
    next_seal: u64,
    /// The file's (device, inode), checked before touching `fd` again.
    id: (u64, u64),
    /// File offset of the open batch record (`NO_BATCH`: none), which heap events are
    /// appended to.
    batch: u64,
    /// Where the log is (empty when not known): the compressed log is renamed over it.
    path: FixedBuf<{ PATH_ROOM }>,
    /// A `Sync` record goes before the next compact one (after appending to a log, and at
    /// every seal, where a reader that lost its place can resume).
    sync_due: bool,
}

/// Room for the log's path and the suffix of its replacement.
const PATH_ROOM: usize = 4096 + 16;

/// Log descriptors are moved at least this high: programs that close "all" their files
/// usually stop much lower, and a low number is soon reused by the program's own files.
const FD_FLOOR: c_int = 500;

/// Moves `fd` to a high number (keeping it where it is when that fails).
fn lift(fd: c_int) -> c_int {
    match sys::dup_cloexec(fd, FD_FLOOR) {
        Ok(high) => {
            sys::close(fd);
            high
        }
        Err(_) => fd,
    }
}

// SAFETY: the file and its mapping belong to the LogFile; users serialize access.
unsafe impl Send for LogFile {}

impl Default for LogFile {
    fn default() -> Self {
        Self::closed()
    }
}

impl LogFile {
    /// No file.
    pub const fn closed() -> Self {
        LogFile {
            fd: -1,
            map: std::ptr::null_mut(),
            map_off: 0,
            map_len: 0,
            map_size: 0,
            map_released: 0,
            map_usable: 0,
            pos: 0,
            start: 0,
            failed: false,
            next_seal: u64::MAX,
            id: (0, 0),
            sync_due: false,
            batch: NO_BATCH,
            path: FixedBuf::new(),
        }
    }

    /// True while records can be written.
    pub fn is_open(&self) -> bool {
        self.fd >= 0 && !self.failed
    }

    /// The descriptor (for keeping it across `exec`).
    pub fn fd(&self) -> c_int {
        self.fd
    }

    /// File offset of the next record.
    pub fn pos(&self) -> u64 {
        self.pos
    }

    /// Creates the log at `path` (NUL-terminated), mode 0600 (a log holds command lines and
    /// paths), and writes the header. A symlink as the last component is never followed
    /// (`ELOOP`). With `exclusive` (a name tracekit made up) the file must not exist
    /// (`EEXIST`: the caller picks another name); otherwise an existing regular file of this
    /// user is overwritten (strace's `-o`), and anything else is refused (`EPERM`) before a
    /// byte of it changes.
    pub fn create(path: &[u8], exclusive: bool) -> SysResult<LogFile> {
        let flags = libc::O_RDWR | libc::O_CLOEXEC | libc::O_NOFOLLOW;
        let fd = match sys::open(path, flags | libc::O_CREAT | libc::O_EXCL, 0o600) {
            Ok(fd) => fd,
            Err(Errno(libc::EEXIST)) if !exclusive => {
                // There already: only a regular file of ours is taken over.
                let fd = sys::open(path, flags, 0)?;
                let ours = sys::owner_and_kind(fd)
                    .is_some_and(|(uid, regular)| regular && uid == sys::geteuid());
                let emptied = if ours {
                    sys::ftruncate(fd, 0)
                } else {
                    Err(Errno(libc::EPERM))
                };
                if let Err(e) = emptied {
                    sys::close(fd);
                    return Err(e);
                }
                fd
            }
            Err(e) => return Err(e),
        };
        let mut head = [0u8; HEADER_LEN];
        write_header(&mut head).map_err(|Full| Errno(libc::EINVAL))?;
        if let Err(e) = sys::write_all(fd, &head) {
            sys::close(fd);
            return Err(e);
        }
        Ok(Self::with_fd(fd, HEADER_LEN as u64).at(path))
    }

    /// Remembers where the log is (`path` with its NUL).
    fn at(mut self, path: &[u8]) -> LogFile {
        self.path
            .push_bytes(path.strip_suffix(b"\0").unwrap_or(path));
        self
    }

    /// Opens the existing log at `path` to add records after its end (a process that
    /// `exec`ed keeps writing the same log).
    pub fn append(path: &[u8]) -> SysResult<LogFile> {
        let fd = sys::open(path, libc::O_RDWR | libc::O_CLOEXEC, 0)?;
        let mut head = [0u8; 8];
        let len = sys::file_size(fd)?;
        if len < HEADER_LEN as u64
            || sys::pread_full(fd, &mut head, 0)? != 8
            || head != tracekit_log::MAGIC
        {
            sys::close(fd);
            return Err(Errno(libc::EINVAL));
        }
        Ok(Self::with_fd(fd, len).at(path))
    }

    fn with_fd(fd: c_int, pos: u64) -> LogFile {
        let fd = lift(fd);
        LogFile {
            id: sys::file_id(fd).unwrap_or((0, 0)),
            fd,
            map: std::ptr::null_mut(),
            map_off: 0,
            map_len: 0,
            map_size: 0,
            map_released: 0,
            map_usable: 0,
            pos,
            start: pos,
            failed: false,
            next_seal: u64::MAX,
            // The compact-record state starts afresh in every log we open (the encoder the
            // caller passes may have served another log before).
            sync_due: true,
            batch: NO_BATCH,
            path: FixedBuf::new(),
        }
    }

    /// Compresses the records in the background as they are written (call once, after
    /// opening). Writes then raise [`take_spawn_request`] when the helper thread should be
    /// started.
    pub fn compress_in_background(&mut self) {
        if self.fd >= 0 {
            crate::compress::reset(self.fd, self.start, self.open_spill());
            self.next_seal = self.pos + SEAL_EVERY;
        }
    }

    /// An unnamed file in the log's directory for the compressed chunks (see
    /// [`crate::compress`]), or -1 when none can be made (the chunks then wait in memory).
    fn open_spill(&self) -> c_int {
        let mut dir = FixedBuf::<{ PATH_ROOM }>::new();
        match self.path.as_bytes().iter().rposition(|&b| b == b'/') {
            Some(0) => dir.push_bytes(b"/"),
            Some(i) => dir.push_bytes(&self.path.as_bytes()[..i]),
            None => dir.push_bytes(b"."),
        }
        let Some(dir) = dir.as_c_str() else {
            return -1;
        };
        match sys::open(dir, libc::O_TMPFILE | libc::O_RDWR | libc::O_CLOEXEC, 0o600) {
            Ok(fd) => lift(fd),
            Err(_) => -1,
        }
    }

    /// Appends one record. Returns false (and stops logging) when the file can't grow.
    #[inline]
    pub fn write(&mut self, ev: &Event<'_>) -> bool {
        self.batch = NO_BATCH;
        if !self.map.is_null() {
            let at = (self.pos - self.map_off) as usize;
            // SAFETY: `pos` lies within the window (`map_off <= pos <= map_off + map_len`), so
            // `map + at` is inside it or one past its end.
            let start = unsafe { self.map.add(at) };
            // SAFETY: [start, map + map_len) is the rest of the window, mapped writable, and we
            // are its only writer, so no other reference to those bytes exists.
            let room = unsafe { std::slice::from_raw_parts_mut(start, self.map_len - at) };
            if let Ok(n) = encode(ev, room) {
                clear_scratch(room, n);
                self.pos += n as u64;
                if self.pos >= self.next_seal {
                    self.seal();
                }
                return true;
            }
            // `encode` may have used the rest of the window as scratch: zero it, so a crash
            // leaves only padding after the last record.
            room.fill(0);
        }
        self.write_slow(ev)
    }

    /// Appends one heap event built by `fill` (one of [`tracekit_log::delta`]'s batch
    /// encoders) against `enc`, the state of this log's compact heap records (always pass
    /// the same one: it is reset by the `Sync` records this writes). Events go into a batch
    /// record whose length is updated after each one, so the records in the file are whole
    /// at every moment. Returns false when the file can't grow.
    #[inline]
    pub fn write_heap(
        &mut self,
        enc: &mut Encoder,
        fill: impl FnOnce(&mut [u8; MAX_EVENT], &mut Encoder) -> usize,
    ) -> bool {
        const NEED: usize = 2 + 4 + MAX_EVENT;
        let full = self.map.is_null() || (self.pos - self.map_off) as usize + NEED > self.map_len;
        if full && !self.make_room(NEED) {
            return false;
        }
        let mut at = (self.pos - self.map_off) as usize;
        if self.sync_due {
            self.sync_due = false;
            self.batch = NO_BATCH;
            // SAFETY: at + NEED <= map_len (checked above): `map + at` is inside the window.
            let start = unsafe { self.map.add(at) };
            // SAFETY: 2 of the NEED bytes from `start`, inside the window we alone write.
            let room = unsafe { std::slice::from_raw_parts_mut(start, 2) };
            let n = delta::sync(enc, room).unwrap_or(0);
            self.pos += n as u64;
            at += n;
        }
        if self.batch == NO_BATCH || self.pos - self.batch >= BATCH_LIMIT {
            let head = delta::batch_head(0);
            // SAFETY: at + 4 <= at + NEED <= map_len: `map + at` is inside the window.
            let dst = unsafe { self.map.add(at) };
            // SAFETY: 4 of the NEED bytes from `dst`, inside the window we alone write; `head`
            // is a local array, so the two ranges do not overlap.
            unsafe { std::ptr::copy_nonoverlapping(head.as_ptr(), dst, 4) };
            self.batch = self.pos;
            self.pos += 4;
            at += 4;
        }
        // SAFETY: at + MAX_EVENT <= map_len (checked above, a fresh window has room for
        // it): `map + at` is inside the window.
        let start = unsafe { self.map.add(at) };
        // SAFETY: MAX_EVENT bytes from `start` inside the window we alone write; a byte array
        // needs no alignment.
        let room = unsafe { &mut *start.cast::<[u8; MAX_EVENT]>() };
        let n = fill(room, enc);
        self.pos += n as u64;
        // The event is in place: now the batch's length takes it in.
        let head = delta::batch_head((self.pos - self.batch - 4) as usize);
        // SAFETY: the batch started in this window (a window move ends it) at `batch`, so
        // `map + (batch - map_off)` is inside the window.
        let dst = unsafe { self.map.add((self.batch - self.map_off) as usize) };
        // SAFETY: the batch's 4-byte head at `dst`, written before in this window; `head` is a
        // local array, so the ranges do not overlap.
        unsafe { std::ptr::copy_nonoverlapping(head.as_ptr(), dst, 4) };
        if self.pos >= self.next_seal {
            self.seal();
        }
        true
    }

    /// Makes `need` bytes from `pos` ready for writing; false (and logging stops) when the
    /// file can't grow.
    #[cold]
    fn make_room(&mut self, need: usize) -> bool {
        if !self.is_open() {
            return false;
        }
        let Err(e) = self.grow(need) else {
            return true;
        };
        self.failed = true;
        if e == Errno(libc::EFBIG) {
            crate::say!(
                "the log file reached the file size limit (ulimit -f); recording stops here"
            );
        } else if e == Errno(libc::ENOSPC) {
            crate::say!("the disk holding the log is full; recording stops here");
        } else {
            crate::say!("cannot extend the log file; recording stops here");
        }
        false
    }

    #[cold]
    fn seal(&mut self) {
        // What is sealed is final: the compressor reads it. The next event opens a new batch.
        self.batch = NO_BATCH;
        self.next_seal = self.pos + SEAL_EVERY;
        self.sync_due = true;
        if crate::compress::seal(self.pos) {
            SPAWN.store(true, std::sync::atomic::Ordering::Release);
        }
    }

    #[cold]
    fn write_slow(&mut self, ev: &Event<'_>) -> bool {
        // The record's size is known only once it is encoded: offer more room until it fits.
        let mut need = 64 << 10;
        loop {
            if !self.make_room(need) {
                return false;
            }
            let at = (self.pos - self.map_off) as usize;
            // SAFETY: `make_room` left `pos` inside the window, so `map + at` is inside it.
            let start = unsafe { self.map.add(at) };
            // SAFETY: as in `write`: the rest of the window, which we alone write.
            let room = unsafe { std::slice::from_raw_parts_mut(start, self.map_len - at) };
            match encode(ev, room) {
                Ok(n) => {
                    clear_scratch(room, n);
                    self.pos += n as u64;
                    if self.pos >= self.next_seal {
                        self.seal();
                    }
                    return true;
                }
                Err(Full) => {
                    room.fill(0);
                    // A single record larger than a window: drop it.
                    if need >= WINDOW {
                        return false;
                    }
                    need = (need * 4).min(WINDOW);
                }
            }
        }
    }

    fn unmap(&mut self) {
        // A batch never spans windows (its length is updated through the window).
        self.batch = NO_BATCH;
        if !self.map.is_null() {
            {
                let mut w = WINDOW_AHEAD.lock();
                if w.map == self.map {
                    w.map = std::ptr::null_mut();
                    READY.store(0, Ordering::Relaxed);
                }
            }
            // SAFETY: our window, no longer referenced (the helper let go of it above).
            unsafe { sys::unmap(self.map, self.map_size) };
            self.map = std::ptr::null_mut();
            self.map_len = 0;
            self.map_size = 0;
            self.map_released = 0;
            self.map_usable = 0;
        }
    }

    /// Makes `need` bytes from `pos` ready: the next chunks of the window (see
    /// [`Window::ready`]), or a fresh window starting at the page that holds `pos`.
    fn grow(&mut self, need: usize) -> SysResult<()> {
        if self.map.is_null() || (self.pos - self.map_off) as usize + need > self.map_size {
            self.move_window(need)?;
        }
        let end = (self.pos - self.map_off) as usize + need;
        if end > self.map_usable {
            return Err(Errno(libc::EFBIG));
        }
        let want = end.next_multiple_of(CHUNK).min(self.map_usable);
        match self.ready_to(want) {
            // A disk with less than a chunk left: use what it has, a page at a time, so
            // everything that fits is recorded before the log stops.
            Err(Errno(libc::ENOSPC)) => self.ready_to(end.next_multiple_of(PAGE as usize)),
            r => r,
        }
    }

    /// Takes the window's pages that hold only finished records out of the process's
    /// memory: they are in the file's page cache already (a crash loses nothing), they will
    /// not be written again (the open batch's head and everything after it stay), and the
    /// compressor reads the file, not the window. Without this the whole window written so
    /// far stays resident, up to [`WINDOW`] bytes counted in the program's RSS.
    fn release_behind(&mut self) {
        let keep = if self.batch == NO_BATCH {
            self.pos
        } else {
            self.batch
        };
        let upto = ((keep.saturating_sub(self.map_off)) & !(PAGE - 1)) as usize;
        if self.map.is_null() || upto <= self.map_released || upto > self.map_len {
            return;
        }
        // SAFETY: map_released < upto <= map_len <= map_size: inside the window.
        let start = unsafe { self.map.add(self.map_released) };
        // SAFETY: [map_released, upto) is page-aligned (both are multiples of PAGE) and inside
        // our shared window; its bytes are finished records, never written through the map
        // again (writes go at `pos` and the open batch's head, both at or past `upto`).
        unsafe { sys::release_shared(start, upto - self.map_released) };
        self.map_released = upto;
    }

    /// Makes the window ready up to `want` (a no-op when it is already).
    fn ready_to(&mut self, want: usize) -> SysResult<()> {
        if want <= self.map_len {
            return Ok(());
        }
        self.release_behind();
        let w = WINDOW_AHEAD.lock();
        if w.map == self.map {
            // The compressor thread may have readied it already.
            let from = READY.load(Ordering::Relaxed).max(self.map_len);
            if from < want {
                w.ready(from, want)?;
                READY.store(want, Ordering::Release);
            }
            self.map_len = want.max(from);
        } else {
            // Another log took the helper's slot (only in tests, which open several).
            drop(w);
            self.window().ready(self.map_len, want)?;
            self.map_len = want;
        }
        Ok(())
    }

    fn window(&self) -> Window {
        Window {
            map: self.map,
            off: self.map_off,
            usable: self.map_usable,
            fd: self.fd,
            id: self.id,
            data_end: self.pos,
        }
    }

    /// Maps a fresh window (nothing ready yet) starting at the page that holds `pos`, big
    /// enough for `need` bytes from `pos`. The file grows as chunks are made ready.
    fn move_window(&mut self, need: usize) -> SysResult<()> {
        self.unmap();
        if !self.still_ours() {
            return Err(Errno(libc::EBADF));
        }
        let off = self.pos & !(PAGE - 1);
        let size = WINDOW
            .max((self.pos - off) as usize + need)
            .next_multiple_of(PAGE as usize);
        self.map = sys::map_shared(self.fd, off, size)?;
        self.map_off = off;
        self.map_len = 0;
        self.map_size = size;
        self.map_released = 0;
        let room = sys::file_size_limit().saturating_sub(off) & !(PAGE - 1);
        self.map_usable = size.min(usize::try_from(room).unwrap_or(usize::MAX));
        let mut w = WINDOW_AHEAD.lock();
        *w = self.window();
        READY.store(0, Ordering::Relaxed);
        Ok(())
    }

    /// Ends the log: compresses this process's records (when `compress`), cuts the file to
    /// its used length and closes it.
    pub fn finish(&mut self, compress: bool) {
        if self.fd < 0 {
            return;
        }
        self.unmap();
        if !self.still_ours() {
            // The program closed our descriptor (and maybe reuses the number): the records
            // are in the file already; leave it, and the descriptor, alone.
            *self = LogFile::closed();
            return;
        }
        let mut end = self.pos;
        if compress && !self.failed {
            if let Some(new_end) = self.put_compressed() {
                end = new_end;
            }
        }
        let _ = sys::ftruncate(self.fd, end);
        sys::close(self.fd);
        self.fd = -1;
        self.pos = end;
    }

    /// Compresses this process's records and puts the chunks in place of the raw ones,
    /// atomically: a new file holding the log's bytes before `start` and then the chunks is
    /// renamed over the log, so whatever kills the process meanwhile (SIGKILL while a child
    /// exits), the log is either all raw or all compressed, never half overwritten. The log is
    /// then that file; returns its length. `None` leaves the raw records (nothing to
    /// compress, no path known, the log moved or replaced meanwhile, no room for the copy).
    fn put_compressed(&mut self) -> Option<u64> {
        let chunks = crate::compress::finish(self.fd, self.start, self.pos);
        let end = chunks.and_then(|c| self.put_chunks(&c));
        crate::compress::close_spill();
        end
    }

    /// [`LogFile::put_compressed`] with the chunks made.
    fn put_chunks(&mut self, chunks: &crate::compress::Chunks) -> Option<u64> {
        let mut path = FixedBuf::<{ PATH_ROOM }>::new();
        path.push_bytes(self.path.as_bytes());
        let path = path.as_c_str()?;
        // The log is still where it was made (not moved or replaced meanwhile).
        if sys::path_id(path) != Some(self.id) {
            return None;
        }
        let mut tmp = FixedBuf::<{ PATH_ROOM }>::new();
        tmp.push_bytes(self.path.as_bytes());
        tmp.push_bytes(b".tmp");
        let tmp = tmp.as_c_str()?;
        let flags =
            libc::O_RDWR | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        let new = sys::open(tmp, flags, 0o600).ok()?;
        let copied = self
            .copy_head_to(new)
            .and_then(|()| chunks.write_to(new, self.start));
        if copied.is_err() || sys::rename(tmp, path).is_err() {
            sys::close(new);
            let _ = sys::unlink(tmp);
            return None;
        }
        sys::close(self.fd);
        self.fd = lift(new);
        self.id = sys::file_id(self.fd).unwrap_or((0, 0));
        Some(self.start + chunks.len())
    }

    /// Copies the log's bytes before `start` (its header, and the records of the images that
    /// `exec`ed before this one) to `to`.
    fn copy_head_to(&self, to: c_int) -> SysResult<()> {
        let mut buf = vec![0u8; (self.start as usize).clamp(1, 1 << 20)];
        let mut at = 0;
        while at < self.start {
            let n = ((self.start - at) as usize).min(buf.len());
            let got = sys::pread_full(self.fd, &mut buf[..n], at)?;
            if got != n {
                return Err(Errno(libc::EIO));
            }
            sys::pwrite_all(to, &buf[..n], at)?;
            at += n as u64;
        }
        Ok(())
    }

    /// Compresses what this process wrote so far and cuts the file to its used length,
    /// keeping it open: the state to leave behind before `exec`. The next write maps a new
    /// window after the compressed records, so logging goes on if the `exec` fails.
    pub fn compact(&mut self, compress: bool) {
        if self.fd < 0 {
            return;
        }
        self.unmap();
        if !self.still_ours() {
            self.failed = true;
            return;
        }
        if compress && !self.failed {
            if let Some(new_end) = self.put_compressed() {
                self.pos = new_end;
                self.start = new_end;
            }
            if self.next_seal != u64::MAX {
                self.compress_in_background();
            }
        }
        let _ = sys::ftruncate(self.fd, self.pos);
    }

    /// True while `fd` is still the log we opened.
    fn still_ours(&self) -> bool {
        self.fd >= 0 && sys::file_id(self.fd) == Some(self.id)
    }

    /// Drops the file without touching it (a forked child must not write its parent's log).
    pub fn abandon(&mut self) {
        self.unmap();
        if self.still_ours() {
            sys::close(self.fd);
        }
        *self = LogFile::closed();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracekit_log::{Exit, Reader};

    fn temp(name: &str) -> (std::path::PathBuf, Vec<u8>) {
        let p = std::env::temp_dir().join(format!("tk-logfile-{}-{name}", std::process::id()));
        let mut c = p.clone().into_os_string().into_encoded_bytes();
        c.push(0);
        (p, c)
    }

    fn exit(i: u64) -> Event<'static> {
        Event::Exit(Exit {
            time_ns: i,
            pid: 1,
            code: Some(0),
            signal: None,
            freeres: 0,
        })
    }

    #[test]
    fn a_closed_and_reused_descriptor_is_left_alone() {
        let (p, c) = temp("b");
        let (other, other_c) = temp("other");
        let mut log = LogFile::create(&c, false).unwrap();
        assert!(log.fd() >= FD_FLOOR, "moved out of the program's way");
        assert!(log.write(&exit(1)));
        // The program closes "all files" and opens its own, which gets our number.
        sys::close(log.fd());
        let fd = sys::open(
            &other_c,
            libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC,
            0o600,
        )
        .unwrap();
        let moved = sys::dup_cloexec(fd, log.fd()).unwrap();
        assert_eq!(moved, log.fd());
        sys::write_all(moved, b"user data").unwrap();
        log.finish(true);
        assert_eq!(
            std::fs::read(&other).unwrap(),
            b"user data",
            "not truncated or overwritten"
        );
        // What was recorded is still in the log.
        let got = Reader::new(std::fs::File::open(&p).unwrap())
            .unwrap()
            .count();
        assert_eq!(got, 1);
        sys::close(moved);
        sys::close(fd);
        std::fs::remove_file(p).unwrap();
        std::fs::remove_file(other).unwrap();
    }

    /// Resident KiB of our mapping that holds `addr`, from /proc/self/smaps.
    fn resident_kib(addr: u64) -> u64 {
        let smaps = std::fs::read_to_string("/proc/self/smaps").unwrap();
        let mut inside = false;
        for line in smaps.lines() {
            let range = line.split_whitespace().next().unwrap_or("");
            if let Some((lo, hi)) = range.split_once('-') {
                if let (Ok(lo), Ok(hi)) = (u64::from_str_radix(lo, 16), u64::from_str_radix(hi, 16))
                {
                    inside = (lo..hi).contains(&addr);
                    continue;
                }
            }
            if let Some(kib) = line.strip_prefix("Rss:").filter(|_| inside) {
                return kib.trim().trim_end_matches("kB").trim().parse().unwrap();
            }
        }
        panic!("no mapping holds {addr:#x}")
    }

    /// The window's pages of finished records leave the program's resident set as the log
    /// grows (issue 23: the whole window stayed resident), and the records stay in the file.
    #[test]
    fn finished_records_leave_the_programs_memory() {
        let (p, c) = temp("rss");
        let mut log = LogFile::create(&c, false).unwrap();
        let mut n = 0;
        while log.pos() < (WINDOW - CHUNK / 2) as u64 {
            assert!(log.write(&exit(n)));
            n += 1;
        }
        let written_kib = (log.pos() - log.map_off) / 1024;
        let resident = resident_kib(log.map as u64);
        assert!(
            resident <= 2 * CHUNK as u64 / 1024 && written_kib > 3 * CHUNK as u64 / 1024,
            "{resident} KiB resident of {written_kib} KiB written"
        );
        let got = Reader::new(std::fs::File::open(&p).unwrap())
            .unwrap()
            .inspect(|e| assert!(e.is_ok(), "{e:?}"))
            .count();
        assert_eq!(got as u64, n);
        log.finish(false);
        std::fs::remove_file(p).unwrap();
    }

    #[test]
    fn records_are_readable_before_finish_and_after() {
        let (p, c) = temp("a");
        let mut log = LogFile::create(&c, false).unwrap();
        // More than one window's worth.
        let n = 1_200_000u64;
        for i in 0..n {
            assert!(log.write(&exit(i)));
        }
        // Unfinished (as after a crash): zero padding at the end, every record readable.
        let got = Reader::new(std::fs::File::open(&p).unwrap())
            .unwrap()
            .inspect(|e| assert!(e.is_ok(), "{e:?}"))
            .count();
        assert_eq!(got as u64, n);
        log.finish(true);
        let size = std::fs::metadata(&p).unwrap().len();
        assert!(size < n * 4, "compressed to {size} bytes");
        let events: Vec<_> = Reader::new(std::fs::File::open(&p).unwrap())
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(events.len() as u64, n);
        assert_eq!(events[777], exit(777));
        // Another image appends after the compressed records.
        let mut more = LogFile::append(&c).unwrap();
        assert!(more.write(&exit(5)));
        more.finish(true);
        let count = Reader::new(std::fs::File::open(&p).unwrap())
            .unwrap()
            .count();
        assert_eq!(count as u64, n + 1);
        std::fs::remove_file(p).unwrap();
    }
}
