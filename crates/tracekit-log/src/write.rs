//! [`FileWriter`], for tools that run as ordinary programs. (The no-allocation pieces a preload
//! library needs, [`crate::write_header`] and [`crate::chunk_header`], are in
//! `tracekit-log-core`.)

use std::io::{self, Write};

use crate::wire::Full;
use crate::{chunk_header, codec, write_header, Codec, Event, HEADER_LEN};

/// A buffered log writer for ordinary programs (strace-rs, tracekit itself): records gather
/// in a buffer that is written as one chunk, compressed or not, when it fills.
pub struct FileWriter<W: Write> {
    out: W,
    codec: Codec,
    buf: Vec<u8>,
    used: usize,
    zstd: Option<zstd::bulk::Compressor<'static>>,
}

impl<W: Write> std::fmt::Debug for FileWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileWriter")
            .field("codec", &self.codec)
            .field("used", &self.used)
            .finish()
    }
}

const CHUNK_TARGET: usize = 1 << 20;

/// zstd blocks of at most 8 KiB raw: a tracer's records are single events (tens of bytes), so
/// a cut log loses at most 8 KiB of them; its logs are small, so the 1-2% it costs in size
/// does not matter.
const FILE_WRITER_BLOCK: u32 = 8 << 10;

impl<W: Write> FileWriter<W> {
    /// Writes the header to `out` and returns a writer.
    pub fn new(mut out: W, codec: Codec) -> io::Result<Self> {
        let mut head = [0u8; HEADER_LEN];
        write_header(&mut head).expect("header fits");
        out.write_all(&head)?;
        Ok(Self::without_header(out, codec))
    }

    /// A writer that writes no header, for adding records to a log whose header `out`
    /// already has (`tracekit pack`).
    pub fn without_header(out: W, codec: Codec) -> Self {
        FileWriter {
            out,
            codec,
            buf: vec![0; CHUNK_TARGET],
            used: 0,
            zstd: None,
        }
    }

    /// Appends one event.
    pub fn write(&mut self, event: &Event<'_>) -> io::Result<()> {
        loop {
            match codec::encode(event, &mut self.buf[self.used..]) {
                Ok(n) => {
                    self.used += n;
                    if self.used >= CHUNK_TARGET / 2 {
                        self.flush_chunk()?;
                    }
                    return Ok(());
                }
                Err(Full) if self.used > 0 => self.flush_chunk()?,
                Err(Full) => {
                    // A record larger than the buffer: grow for it.
                    let len = self.buf.len() * 2;
                    if len > crate::MAX_CHUNK {
                        return Err(io::Error::new(
                            io::ErrorKind::InvalidInput,
                            "event too large for a log record",
                        ));
                    }
                    self.buf.resize(len, 0);
                }
            }
        }
    }

    /// Writes what is buffered as one chunk.
    pub fn flush_chunk(&mut self) -> io::Result<()> {
        if self.used == 0 {
            return Ok(());
        }
        let raw = &self.buf[..self.used];
        let mut head = [0u8; 24];
        match self.codec {
            Codec::Stored => {
                let n = chunk_header(&mut head, Codec::Stored, raw.len(), raw.len()).expect("fits");
                self.out.write_all(&head[..n])?;
                self.out.write_all(raw)?;
            }
            Codec::Zstd => {
                let zstd = match &mut self.zstd {
                    Some(z) => z,
                    None => self
                        .zstd
                        .insert(crate::zstd_compressor(3, FILE_WRITER_BLOCK)?),
                };
                let z = zstd.compress(raw)?;
                let n = chunk_header(&mut head, Codec::Zstd, raw.len(), z.len()).expect("fits");
                self.out.write_all(&head[..n])?;
                self.out.write_all(&z)?;
            }
            other => {
                return Err(io::Error::new(
                    io::ErrorKind::Unsupported,
                    format!("FileWriter cannot write {other:?} chunks"),
                ))
            }
        }
        self.used = 0;
        Ok(())
    }

    /// Flushes the buffered chunk and the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.flush_chunk()?;
        self.out.flush()
    }

    /// Flushes and returns the underlying writer.
    pub fn finish(mut self) -> io::Result<W> {
        self.flush()?;
        Ok(self.out)
    }
}

/// How every output file of the tracers is opened (strace-rs's and ltrace-rs's `-o` and
/// `--log`): created mode 0600 (a trace holds command lines, paths and data), and a symlink as the last component is not followed (`ELOOP`), so a link
/// planted at a predictable name cannot redirect a root run's output. The descriptor aliases
/// `/dev/stdout`, `/dev/stderr`, `/dev/fd/N` and `/proc/self/fd/N` are symlinks that users
/// name on purpose: they are followed.
pub fn output_file_rules(o: &mut std::fs::OpenOptions, path: &std::ffi::OsStr) {
    use std::os::unix::fs::OpenOptionsExt;
    o.mode(0o600);
    no_follow(o, path);
}

/// A symlink as the last component of `path` is not followed, unless `path` names one of the
/// descriptor aliases (`/dev/stdout`, `/dev/fd/N`, ...).
fn no_follow(o: &mut std::fs::OpenOptions, path: &std::ffi::OsStr) {
    use std::os::unix::fs::OpenOptionsExt;
    let p = path.to_string_lossy();
    let alias = matches!(&*p, "/dev/stdout" | "/dev/stderr" | "/dev/tty")
        || p.starts_with("/dev/fd/")
        || p.starts_with("/proc/self/fd/");
    if !alias {
        o.custom_flags(libc::O_NOFOLLOW);
    }
}

/// Creates (or truncates) a report or export that tracekit writes (`--report FILE`, `--svg`,
/// `--html`, `--massif`, `export -o`): like `File::create`, with the file's usual mode (0666
/// less the umask: a report is meant to be shared), but a symlink as the last component is not
/// followed (`ELOOP`), so a link planted at the name cannot redirect a root run's output.
pub fn create_output(path: &std::path::Path) -> io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    no_follow(&mut o, path.as_os_str());
    o.open(path)
}
