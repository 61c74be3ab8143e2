//! Reading logs: a streaming reader that stops at the first damage, with its byte offset,
//! after handing out every event before it.
//!
//! A file cut short (a writer killed before it compressed, an interrupted copy, a full disk)
//! loses only what the cut falls in: a cut stored chunk gives its records up to the cut, a cut
//! zstd chunk gives what its whole blocks decode to (zstd decodes block by block: at most
//! 128 KiB of records are lost), and a cut batch record gives its events up to the cut; then
//! the reader reports the truncation.

use std::fmt;
use std::io::{self, BufRead, BufReader, Read};

use crate::codec::{self, tag, PayloadError};
use crate::delta::{self, Delta, HeapEvent};
use crate::wire::{Dec, DecodeError};
use crate::{Codec, Event, CHUNK_BIT, HEADER_LEN, MAGIC, MAX_CHUNK, VERSION};

/// What went wrong reading a log.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Reading the file failed.
    Io(io::Error),
    /// The file does not start with the tracekit magic.
    NotALog,
    /// The file is a tracekit log of a version this reader does not know.
    UnsupportedVersion(u16),
    /// The file ends in the middle of a record or chunk (the writer died, or the file was cut).
    Truncated,
    /// A record's fields do not decode.
    BadRecord {
        /// The record's tag.
        tag: u8,
        /// What was wrong.
        detail: String,
    },
    /// A chunk does not decode.
    BadChunk(String),
    /// Nothing but zeros, or nothing at all: the writer stopped (killed) after creating the
    /// file and before its header reached it, so nothing was recorded.
    Empty,
}

/// A read error and the byte offset in the file where the damage starts.
#[derive(Debug)]
pub struct Error {
    /// Byte offset of the record or chunk that could not be read.
    pub offset: u64,
    /// What was wrong.
    pub kind: ErrorKind,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.offset;
        match &self.kind {
            ErrorKind::Io(e) => write!(f, "read error at byte {at}: {e}"),
            ErrorKind::NotALog => write!(f, "not a tracekit log (bad magic at byte {at})"),
            ErrorKind::UnsupportedVersion(v) => write!(
                f,
                "tracekit log version {v} is not supported (this build reads versions 1 to {VERSION})"
            ),
            ErrorKind::Truncated => write!(f, "log is truncated at byte {at} (cut inside a record)"),
            ErrorKind::BadRecord { tag, detail } => {
                write!(f, "corrupt log at byte {at}: record with tag {tag}: {detail}")
            }
            ErrorKind::BadChunk(d) => write!(f, "corrupt log at byte {at}: {d}"),
            ErrorKind::Empty => write!(
                f,
                "empty log: its process stopped before recording anything (killed while starting)"
            ),
        }
    }
}

/// The I/O error is part of the message, so it is not also given as the source: a printer
/// of the whole chain (`anyhow`'s `{:#}`) would say it twice.
impl std::error::Error for Error {}

fn payload_detail(e: PayloadError) -> String {
    match e {
        PayloadError::Wire(DecodeError::Eof) => "fields run past the record's end".into(),
        PayloadError::Wire(DecodeError::Overflow) => "integer longer than 64 bits".into(),
        PayloadError::BadValue(what) => format!("invalid {what}"),
    }
}

/// What [`Reader::next_record`] hands out.
#[derive(Debug)]
pub enum Record<'a> {
    /// A heap event of a batch record (the frequent case), by value.
    Heap(HeapEvent),
    /// Any other event (heap events in their own records too), borrowing the reader's buffer.
    Event(Event<'a>),
}

/// Reads events from a log, one at a time, without loading the whole file.
pub struct Reader<R: Read> {
    src: BufReader<R>,
    version: u16,
    /// File offset of the next byte `src` will give.
    offset: u64,
    rec: Vec<u8>,
    chunk: Vec<u8>,
    chunk_pos: usize,
    chunk_offset: u64,
    zbuf: Vec<u8>,
    failed: std::cell::Cell<bool>,
    skipped: u64,
    /// The state compact heap records are decoded against.
    delta: Box<Delta>,
    /// The batch record being read: its events are at `rec` (or `chunk`) `[pos..end]`.
    batch: Option<Batch>,
    /// The file ended inside the chunk (or batch record) being read: what it held up to the
    /// cut is handed out first, then this error.
    cut: Option<Error>,
    /// Skip heap records undecoded (see [`Reader::skip_heap_events`]).
    skip_heap: bool,
    zstd_chunks: u64,
    /// The zstd context, made at the first zstd chunk.
    zstd: Option<zstd::bulk::Decompressor<'static>>,
    /// The log ended in a torn last write (see [`Reader::torn`]).
    torn: Option<u64>,
    /// Where a top-level record began whose body the end of the file cut (for
    /// [`Reader::torn_record`]).
    cut_record: Option<u64>,
}

impl<R: Read> fmt::Debug for Reader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reader")
            .field("version", &self.version)
            .field("offset", &self.offset)
            .finish()
    }
}

/// Where the rest of a batch record's events are.
#[derive(Debug, Clone, Copy)]
struct Batch {
    in_chunk: bool,
    pos: usize,
    end: usize,
    /// Offset of the batch record (for errors).
    at: u64,
    /// Offset of its first event in the buffer (errors name the event by its position).
    start: usize,
    /// The file was cut inside it: an event that does not decode is where the cut is.
    cut: bool,
}

enum Next {
    /// A record's payload is in `rec` (from the stream) or at `chunk[range]`.
    Stream(u8, u64),
    Chunk(u8, std::ops::Range<usize>, u64),
    /// A batch record the file cuts: its events up to the cut are in `rec`, or at
    /// `chunk[range]`.
    CutStream(u64),
    CutBatch(std::ops::Range<usize>, u64),
    End,
}

/// The most bytes a torn last write leaves: one compact heap event or a batch record's
/// header, or the payload of a record `encode` built but had not framed yet (it builds the
/// payload a few bytes on and writes the head last), a stack of a few thousand frames.
const TORN_MAX: u64 = 16 << 10;

/// What the complete zstd frames and blocks of a cut chunk (`z`) decode to: at most `raw_len`
/// bytes, fewer when the cut came first.
fn decode_prefix(z: &[u8], raw_len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw_len);
    if let Ok(mut d) = zstd::stream::read::Decoder::with_buffer(z) {
        let mut buf = [0u8; 1 << 14];
        while out.len() < raw_len {
            match d.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => out.extend_from_slice(&buf[..n.min(raw_len - out.len())]),
            }
        }
    }
    out
}

/// True when `src` holds only zero bytes to its end (read errors count as not).
fn rest_is_zeros(src: &mut impl Read) -> bool {
    let mut buf = [0u8; 1 << 14];
    loop {
        match src.read(&mut buf) {
            Ok(0) => return true,
            Ok(n) if buf[..n].iter().all(|&b| b == 0) => {}
            Ok(_) => return false,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
}

impl<R: Read> Reader<R> {
    /// Reads and checks the header. A file of zeros (or of nothing) is [`ErrorKind::Empty`]:
    /// created by a writer that was killed before its header reached it.
    pub fn new(src: R) -> Result<Self, Error> {
        let mut src = BufReader::with_capacity(1 << 16, src);
        let mut head = [0u8; HEADER_LEN];
        let mut got = 0;
        while got < HEADER_LEN {
            match src.read(&mut head[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(Error {
                        offset: got as u64,
                        kind: ErrorKind::Io(e),
                    })
                }
            }
        }
        if head[..got].iter().all(|&b| b == 0) && rest_is_zeros(&mut src) {
            return Err(Error {
                offset: 0,
                kind: ErrorKind::Empty,
            });
        }
        if got < MAGIC.len() || head[..8] != MAGIC {
            return Err(Error {
                offset: 0,
                kind: ErrorKind::NotALog,
            });
        }
        if got < HEADER_LEN {
            return Err(Error {
                offset: got as u64,
                kind: ErrorKind::Truncated,
            });
        }
        let version = u16::from_le_bytes([head[8], head[9]]);
        // Version 1 is the first; an older layout would be upgraded here, record by record.
        if version == 0 || version > VERSION {
            return Err(Error {
                offset: 8,
                kind: ErrorKind::UnsupportedVersion(version),
            });
        }
        Ok(Reader {
            src,
            version,
            offset: HEADER_LEN as u64,
            rec: Vec::new(),
            chunk: Vec::new(),
            chunk_pos: 0,
            chunk_offset: 0,
            zbuf: Vec::new(),
            failed: std::cell::Cell::new(false),
            skipped: 0,
            delta: Box::default(),
            batch: None,
            cut: None,
            skip_heap: false,
            zstd_chunks: 0,
            zstd: None,
            torn: None,
            cut_record: None,
        })
    }

    /// Hands out no heap events (`Alloc`, `Free`, `Realloc`): their records are skipped
    /// without being decoded, for a reader that wants only the rest (the modules and stacks)
    /// and reads a large log in about the time decompressing it takes. Damage inside a
    /// skipped record goes unnoticed; damage to the file's framing (a cut, a bad chunk) is
    /// still reported.
    pub fn skip_heap_events(mut self) -> Self {
        self.skip_heap = true;
        self
    }

    /// The zstd chunks read so far (0 for a log written uncompressed).
    pub fn zstd_chunks(&self) -> u64 {
        self.zstd_chunks
    }

    /// The file's format version.
    pub fn version(&self) -> u16 {
        self.version
    }

    /// Bytes of the file consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Records skipped because their tag is newer than this reader.
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// The buffered bytes next in the file (empty at its end).
    fn fill(&mut self) -> Result<&[u8], Error> {
        loop {
            match self.src.fill_buf() {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(Error {
                        offset: self.offset,
                        kind: ErrorKind::Io(e),
                    })
                }
                // Re-borrowed: the loop's borrow ends at each `continue`.
                Ok(_) => return Ok(self.src.buffer()),
            }
        }
    }

    fn byte(&mut self) -> Result<Option<u8>, Error> {
        let Some(&b) = self.fill()?.first() else {
            return Ok(None);
        };
        self.src.consume(1);
        self.offset += 1;
        Ok(Some(b))
    }

    fn uleb(&mut self, start: u64) -> Result<u64, Error> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?.ok_or(Error {
                offset: start,
                kind: ErrorKind::Truncated,
            })?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(Error {
            offset: start,
            kind: ErrorKind::BadChunk("length longer than 64 bits".into()),
        })
    }

    /// Reads up to `n` bytes into `into`; fewer only at the end of the file.
    fn up_to(&mut self, into: Vec<u8>, n: usize) -> Result<Vec<u8>, Error> {
        let mut buf = into;
        buf.clear();
        match (&mut self.src).take(n as u64).read_to_end(&mut buf) {
            Ok(k) => {
                self.offset += k as u64;
                Ok(buf)
            }
            Err(e) => Err(Error {
                offset: self.offset,
                kind: ErrorKind::Io(e),
            }),
        }
    }

    /// The truncation error of a chunk or record starting at `start` that the file cuts.
    fn truncated(start: u64) -> Error {
        Error {
            offset: start,
            kind: ErrorKind::Truncated,
        }
    }

    /// The next item, where a top-level item that does not parse but is followed by nothing
    /// (zeros to the end of the file, as a writer's pre-extended file is) is the torn last
    /// write of a writer killed in the middle of it: the end of the log, not damage.
    fn next_item(&mut self) -> Result<Next, Error> {
        let start = self.offset;
        let in_chunk = self.chunk_pos < self.chunk.len() || self.cut.is_some();
        match self.next_item_raw() {
            Err(e)
                if !in_chunk
                    && matches!(e.kind, ErrorKind::BadChunk(_) | ErrorKind::BadRecord { .. }) =>
            {
                if self.nothing_follows(start)? {
                    self.torn = Some(start);
                    return Ok(Next::End);
                }
                Err(e)
            }
            // Bytes that read as a record longer than the rest of the file: torn too when what
            // the record took in ends in zeros (the file's extension) within TORN_MAX of
            // `start`; a file cut inside a record ends in its bytes instead.
            Err(e) if !in_chunk && matches!(e.kind, ErrorKind::Truncated) => {
                if self.torn_record(start) {
                    self.torn = Some(start);
                    return Ok(Next::End);
                }
                Err(e)
            }
            r => r,
        }
    }

    /// True when, from `start`, at most [`TORN_MAX`] bytes hold anything and zeros follow
    /// them to the end of the file, as in a killed writer's pre-extended file (garbage that
    /// simply ends the file is damage). Reads the rest of the file: called on damage only.
    fn nothing_follows(&mut self, start: u64) -> Result<bool, Error> {
        let mut last_nonzero = start;
        loop {
            let offset = self.offset;
            let buf = self.fill()?;
            if buf.is_empty() {
                // At least one zero after the last byte that holds something.
                return Ok(offset > last_nonzero + 1);
            }
            let n = buf.len();
            if let Some(i) = buf.iter().rposition(|&b| b != 0) {
                last_nonzero = offset + i as u64;
                if last_nonzero - start >= TORN_MAX {
                    return Ok(false);
                }
            }
            self.src.consume(n);
            self.offset += n as u64;
        }
    }

    /// After a top-level record starting at `start` ran into the end of the file (its body,
    /// as far as the file went, in `rec`): true when that body ends in a run of zeros (the
    /// file's extension) and its last byte that holds anything is less than [`TORN_MAX`]
    /// past `start`.
    fn torn_record(&mut self, start: u64) -> bool {
        // Set where the record's body came short (`cut_record`), from its own start.
        let Some(rec_start) = self.cut_record.take() else {
            return false;
        };
        // A body can hold a few zeros of its own (small numbers in wide fields); the file's
        // extension is a long run of them.
        const ZERO_RUN: u64 = 64;
        let last_nonzero = self
            .rec
            .iter()
            .rposition(|&b| b != 0)
            .map_or(0, |i| i as u64 + 1);
        let zeros = self.rec.len() as u64 - last_nonzero;
        let body_at = self.offset - self.rec.len() as u64;
        rec_start >= start && zeros >= ZERO_RUN && body_at + last_nonzero - start < TORN_MAX
    }

    /// Where the log ended in a torn last write, if it did: a writer killed (SIGKILL)
    /// between writing an event's bytes and the length that makes them part of the stream.
    /// At most that one event is lost; everything before it was read.
    pub fn torn(&self) -> Option<u64> {
        self.torn
    }

    fn next_item_raw(&mut self) -> Result<Next, Error> {
        loop {
            if self.chunk_pos >= self.chunk.len() {
                if let Some(e) = self.cut.take() {
                    return Err(e);
                }
            }
            if self.chunk_pos < self.chunk.len() {
                let at = self.chunk_pos;
                let t = self.chunk[at];
                if t == 0 {
                    self.chunk_pos += 1;
                    continue;
                }
                let bad = |detail: &str| Error {
                    offset: self.chunk_offset,
                    kind: ErrorKind::BadChunk(format!("{detail} at byte {at} of the chunk's data")),
                };
                if t & CHUNK_BIT != 0 {
                    return Err(bad("chunk nested in a chunk"));
                }
                let mut d = Dec::new(&self.chunk[at + 1..]);
                let len = d.u();
                let start = at + 1 + d.pos();
                let end = len.ok().and_then(|len| {
                    usize::try_from(len)
                        .ok()
                        .and_then(|l| start.checked_add(l))
                        .filter(|&e| e <= self.chunk.len())
                });
                let Some(end) = end else {
                    let Some(cut) = self.cut.take() else {
                        return Err(if len.is_err() {
                            bad("record length cut short")
                        } else {
                            bad("record runs past the chunk's end")
                        });
                    };
                    // The file was cut in this chunk: the events of a batch record up to
                    // the cut are still good; any other record cut short is lost.
                    self.chunk_pos = self.chunk.len();
                    if t == tag::BATCH && len.is_ok() && start < self.chunk.len() {
                        self.cut = Some(cut);
                        return Ok(Next::CutBatch(start..self.chunk.len(), self.chunk_offset));
                    }
                    return Err(cut);
                };
                self.chunk_pos = end;
                return Ok(Next::Chunk(t, start..end, self.chunk_offset));
            }
            let start = self.offset;
            let Some(t) = self.byte()? else {
                return Ok(Next::End);
            };
            if t == 0 {
                continue;
            }
            if t & CHUNK_BIT == 0 {
                let len = self.uleb(start)?;
                if len > MAX_CHUNK as u64 {
                    return Err(Error {
                        offset: start,
                        kind: ErrorKind::BadRecord {
                            tag: t,
                            detail: format!("implausible length {len}"),
                        },
                    });
                }
                let rec = std::mem::take(&mut self.rec);
                self.rec = self.up_to(rec, len as usize)?;
                if self.rec.len() < len as usize {
                    // A batch record cut short still holds its events up to the cut.
                    if t == tag::BATCH && !self.rec.is_empty() {
                        self.cut = Some(Self::truncated(start));
                        return Ok(Next::CutStream(start));
                    }
                    self.cut_record = Some(start);
                    return Err(Self::truncated(start));
                }
                return Ok(Next::Stream(t, start));
            }
            let codec = Codec::from_code(t & !CHUNK_BIT).ok_or_else(|| Error {
                offset: start,
                kind: ErrorKind::BadChunk(format!("unknown chunk codec {}", t & !CHUNK_BIT)),
            })?;
            let raw_len = self.uleb(start)?;
            let stored_len = self.uleb(start)?;
            if raw_len > MAX_CHUNK as u64 || stored_len > MAX_CHUNK as u64 {
                return Err(Error {
                    offset: start,
                    kind: ErrorKind::BadChunk(format!(
                        "implausible chunk size {raw_len}/{stored_len}"
                    )),
                });
            }
            let (raw_len, stored_len) = (raw_len as usize, stored_len as usize);
            let chunk_err = |d: String| Error {
                offset: start,
                kind: ErrorKind::BadChunk(d),
            };
            match codec {
                Codec::Stored => {
                    if raw_len != stored_len {
                        return Err(chunk_err("stored chunk with differing lengths".into()));
                    }
                    let buf = std::mem::take(&mut self.chunk);
                    self.chunk = self.up_to(buf, stored_len)?;
                    if self.chunk.len() < stored_len {
                        self.cut = Some(Self::truncated(start));
                    }
                }
                Codec::Zstd => {
                    let z = std::mem::take(&mut self.zbuf);
                    self.zbuf = self.up_to(z, stored_len)?;
                    if self.zbuf.len() < stored_len {
                        // Cut inside the compressed data: decode as far as it goes (zstd
                        // streams decode block by block), keep the records up to the cut.
                        self.chunk = decode_prefix(&self.zbuf, raw_len);
                        self.cut = Some(Self::truncated(start));
                        self.zstd_chunks += 1;
                    } else {
                        // One context and one buffer for every chunk: no allocation (and
                        // no fresh pages to fault in) per chunk.
                        let z = match &mut self.zstd {
                            Some(z) => z,
                            None => self.zstd.insert(
                                zstd::bulk::Decompressor::new()
                                    .map_err(|e| chunk_err(format!("zstd cannot start: {e}")))?,
                            ),
                        };
                        self.chunk.resize(raw_len, 0);
                        let decoded = z.decompress_to_buffer(&self.zbuf, &mut self.chunk[..]);
                        let bad = match decoded {
                            Ok(n) if n == raw_len => None,
                            Ok(n) => {
                                Some(format!("chunk decodes to {n} bytes, header says {raw_len}"))
                            }
                            Err(e) => Some(format!("zstd data does not decode: {e}")),
                        };
                        if let Some(d) = bad {
                            // Nothing of it is handed out.
                            self.chunk.clear();
                            self.chunk_pos = 0;
                            return Err(chunk_err(d));
                        }
                        self.zstd_chunks += 1;
                    }
                }
                // `Codec` is non-exhaustive (and defined in tracekit-log-core): a codec this
                // reader does not know is damage, as an unknown code is above.
                _ => return Err(chunk_err(format!("unsupported chunk codec {codec:?}"))),
            }
            self.chunk_pos = 0;
            self.chunk_offset = start;
        }
    }

    /// Starts reading a batch record's events (`pos < end`).
    fn batch_start(
        &mut self,
        in_chunk: bool,
        pos: usize,
        end: usize,
        at: u64,
        cut: bool,
    ) -> Result<Option<Record<'_>>, Error> {
        self.batch = Some(Batch {
            in_chunk,
            pos,
            end,
            at,
            start: pos,
            cut,
        });
        self.next_record()
    }

    /// The next event, borrowing the reader's buffer; `Ok(None)` at a clean end.
    /// After an error, every later call returns `Ok(None)`.
    pub fn next_event(&mut self) -> Result<Option<Event<'_>>, Error> {
        Ok(self.next_record()?.map(|r| match r {
            Record::Heap(h) => h.into(),
            Record::Event(ev) => ev,
        }))
    }

    /// The heap events left in the batch record being read (at most `max`), each handed to
    /// `f` as it decodes; returns how many. Nothing (0) when no batch is being read, after an
    /// error, or at an event that does not decode (which [`next_record`](Self::next_record)
    /// then reports). A reader that calls this after each [`Record::Heap`] gets the same
    /// events as one that calls `next_record` alone, without the per-event hand-over.
    #[inline]
    pub fn next_heap_events(&mut self, max: usize, mut f: impl FnMut(HeapEvent)) -> usize {
        let Some(b) = &mut self.batch else {
            return 0;
        };
        if self.failed.get() {
            return 0;
        }
        let buf = if b.in_chunk { &self.chunk } else { &self.rec };
        let Some(events) = buf.get(..b.end) else {
            return 0;
        };
        let mut n = 0;
        while n < max && b.pos < b.end {
            // An event that does not decode leaves the state as it was: `next_record` decodes
            // it again and reports the error.
            let Ok((ev, len)) = delta::decode_heap_event_inline(&events[b.pos..], &mut self.delta)
            else {
                break;
            };
            b.pos += len;
            f(ev);
            n += 1;
        }
        n
    }

    /// [`next_event`](Self::next_event), with the heap events of batch records (nearly all of
    /// a heap log's events) handed out as they decode, without building an [`Event`].
    pub fn next_record(&mut self) -> Result<Option<Record<'_>>, Error> {
        if self.failed.get() {
            return Ok(None);
        }
        if let Some(b) = self.batch {
            if b.pos < b.end {
                let buf = if b.in_chunk { &self.chunk } else { &self.rec };
                return match delta::decode_heap_event(&buf[b.pos..b.end], &mut self.delta) {
                    Ok((ev, n)) => {
                        self.batch = Some(Batch {
                            pos: b.pos + n,
                            ..b
                        });
                        Ok(Some(Record::Heap(ev)))
                    }
                    Err(_) if b.cut => {
                        // The cut: what follows is the truncation.
                        self.failed.set(true);
                        Err(self.cut.take().unwrap_or(Self::truncated(b.at)))
                    }
                    Err(e) => {
                        self.failed.set(true);
                        Err(Error {
                            offset: b.at,
                            kind: ErrorKind::BadRecord {
                                tag: tag::BATCH,
                                detail: format!(
                                    "event at byte {} of the batch: {}",
                                    b.pos - b.start,
                                    payload_detail(e)
                                ),
                            },
                        })
                    }
                };
            }
            self.batch = None;
        }
        let item = loop {
            let item = match self.next_item() {
                Ok(i) => i,
                Err(e) => {
                    self.failed.set(true);
                    return Err(e);
                }
            };
            match item {
                Next::End => return Ok(None),
                Next::Stream(t, _) | Next::Chunk(t, _, _)
                    if self.skip_heap && codec::is_heap(t) => {}
                // A cut batch holds heap events only.
                Next::CutStream(_) | Next::CutBatch(..) if self.skip_heap => {}
                Next::Stream(tag::SYNC, _) | Next::Chunk(tag::SYNC, _, _) => self.delta.reset(),
                // A batch with events: the call below decodes its first one at once (so it
                // recurses once); empty batches are skipped here.
                Next::Stream(tag::BATCH, at) if !self.rec.is_empty() => {
                    let end = self.rec.len();
                    return self.batch_start(false, 0, end, at, false);
                }
                Next::Chunk(tag::BATCH, r, at) if !r.is_empty() => {
                    return self.batch_start(true, r.start, r.end, at, false)
                }
                Next::CutStream(at) => {
                    let end = self.rec.len();
                    return self.batch_start(false, 0, end, at, true);
                }
                Next::CutBatch(r, at) => return self.batch_start(true, r.start, r.end, at, true),
                Next::Stream(tag::BATCH, _) | Next::Chunk(tag::BATCH, _, _) => {}
                Next::Stream(t, _) | Next::Chunk(t, _, _) if !codec::is_known(t) => {
                    self.skipped += 1
                }
                item => break item,
            }
        };
        let (t, payload, at) = match item {
            Next::Stream(t, at) => (t, &self.rec[..], at),
            Next::Chunk(t, r, at) => (t, &self.chunk[r], at),
            Next::End | Next::CutStream(_) | Next::CutBatch(..) => {
                unreachable!("handled in the loop")
            }
        };
        let decoded = if codec::is_compact(t) {
            delta::decode(t, payload, &mut self.delta).map(Some)
        } else {
            codec::decode(t, payload)
        };
        match decoded {
            Ok(ev) => Ok(ev.map(Record::Event)),
            Err(e) => {
                // `failed` is a Cell: the payload borrow is still live on this path.
                self.failed.set(true);
                Err(Error {
                    offset: at,
                    kind: ErrorKind::BadRecord {
                        tag: t,
                        detail: payload_detail(e),
                    },
                })
            }
        }
    }
}

impl<R: Read> Iterator for Reader<R> {
    type Item = Result<Event<'static>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_event()
            .map(|o| o.map(Event::into_owned))
            .transpose()
    }
}
