//! `tracekit pack LOG...`: makes logs self-contained. Every address the log's stacks hold is
//! symbolized with the modules' files on this machine (the same build-id check as the report:
//! a file rebuilt since the run is not used), and the frames are written into the log as
//! `Symbols` records, so it reports the same where those files are gone (another machine, after
//! `make clean` or a rebuild). `tracekit heap` packs the logs it wrote unless `--no-pack`.
//!
//! The records go right after the header, where a reader has them before any stack and damage
//! further on cannot hide them. The log is rewritten next to itself and renamed over the
//! original (same mode), so it is never left half-written; a damaged log, or one a process
//! still writes, is left alone with a clear error. Packing again adds only addresses no record
//! has yet (say, a module whose file was missing the first time), and nothing when there are
//! none.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use tracekit_log::{Bytes, Codec, Event, FileWriter, Module, ModuleNote, Reader, HEADER_LEN};
use tracekit_symbolize::{records, ModuleMap, PackedSymbols, Resolution, Symbolizer};

/// Runs `tracekit pack`: one line per log on stdout, an error per log that cannot be packed on
/// stderr; returns the exit status.
pub fn run(logs: &[PathBuf]) -> anyhow::Result<u8> {
    let mut code = 0;
    for log in logs {
        match pack(log) {
            Ok(p) => println!("{}: {p}", log.display()),
            Err(e) => {
                eprintln!("tracekit: cannot pack {}: {e:#}", log.display());
                code = 2;
            }
        }
    }
    Ok(code)
}

/// For `tracekit heap`: packs the logs a run wrote and says so in one line on stderr. A log
/// that cannot be packed is left as it was, with a message: the run and its report stand.
/// `verbose: false` (`-q`) leaves out the summary line, not the messages.
pub fn pack_after_run(logs: &[PathBuf], verbose: bool) {
    let mut total = Packed::default();
    let mut packed = 0;
    for log in logs {
        match pack(log) {
            Ok(p) => {
                total.merge(p);
                packed += 1;
            }
            Err(e) => eprintln!("tracekit heap: {} left unpacked: {e:#}", log.display()),
        }
    }
    match packed {
        _ if !verbose => {}
        0 => {}
        1 => eprintln!("tracekit heap: symbols packed into the log: {total}"),
        n => eprintln!("tracekit heap: symbols packed into {n} logs: {total}"),
    }
}

/// What packing did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Packed {
    /// Addresses symbolized now and written into the log.
    pub added: usize,
    /// Addresses the log's records already had.
    pub already: usize,
    /// Addresses whose module's file could not be used, by module and reason.
    pub unresolved: BTreeMap<(String, String), usize>,
    /// Bytes the log grew by.
    pub grew: u64,
}

impl Packed {
    fn merge(&mut self, other: Packed) {
        self.added += other.added;
        self.already += other.already;
        self.grew += other.grew;
        for (k, n) in other.unresolved {
            *self.unresolved.entry(k).or_default() += n;
        }
    }

    /// Addresses left without symbols.
    pub fn unresolved_count(&self) -> usize {
        self.unresolved.values().sum()
    }
}

impl fmt::Display for Packed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = |n: usize| if n == 1 { "" } else { "es" };
        if self.added > 0 {
            write!(
                f,
                "{} address{} symbolized ({} bytes added)",
                self.added,
                plural(self.added),
                self.grew
            )?;
        } else {
            write!(f, "nothing new to pack")?;
        }
        if self.already > 0 {
            write!(f, ", {} already in the log", self.already)?;
        }
        let n = self.unresolved_count();
        if n > 0 {
            write!(f, "; {n} address{} left unresolved:", plural(n))?;
            const SHOWN: usize = 3;
            for (i, ((module, why), k)) in self.unresolved.iter().enumerate() {
                if i == SHOWN {
                    write!(f, " and {} more modules", self.unresolved.len() - SHOWN)?;
                    break;
                }
                let sep = if i == 0 { "" } else { ";" };
                write!(f, "{sep} {module} ({k}: {why})")?;
            }
        }
        Ok(())
    }
}

/// Packs one log (see the module docs).
pub fn pack(log: &Path) -> anyhow::Result<Packed> {
    // A symbolic link is followed: the file it names is the log to rewrite.
    let path = fs::canonicalize(log).context("cannot open the log")?;
    let before = fs::metadata(&path).context("cannot open the log")?;
    if !before.is_file() {
        bail!("not a regular file");
    }
    let (contents, damage) = read(&path)?;
    // Checked before the damage: a log caught in the middle of a write reads as damaged,
    // and the reason is that a process is still writing it.
    if let Some(pid) = open_in(&contents.pids, &before) {
        bail!(
            "process {pid} is still writing it; pack it once that process has ended \
             (the log is left as it was)"
        );
    }
    if let Some(e) = damage {
        bail!("{e} (the log is left as it was)");
    }
    let (events, mut packed) = symbolize(&contents, &mut Symbolizer::new());
    if !events.is_empty() {
        packed.grew = rewrite(&path, &before, &events, contents.codec)
            .context("the log is left as it was")?;
    }
    Ok(packed)
}

/// A process of the log: its modules and the return addresses of its stacks.
#[derive(Debug, Default)]
struct Process {
    modules: Vec<Module<'static>>,
    addrs: BTreeSet<u64>,
}

/// What packing needs from a log.
#[derive(Debug)]
struct Contents {
    processes: Vec<Process>,
    /// The pids of its `Process` records (the processes that may still write it).
    pids: Vec<u32>,
    /// Its `Symbols` records.
    packed: PackedSymbols,
    /// How it stores its chunks (the symbols are written the same way).
    codec: Codec,
    /// The module paths its `ModuleNote` records name.
    noted: HashSet<Vec<u8>>,
}

/// The log's contents, and the reader's error if it stopped at damage (the contents are then
/// what came before it).
fn read(path: &Path) -> anyhow::Result<(Contents, Option<tracekit_log::Error>)> {
    let file = File::open(path).context("cannot open the log")?;
    // The heap events are most of a log and packing needs none of them.
    let mut reader = Reader::new(file)?.skip_heap_events();
    let mut c = Contents {
        processes: Vec::new(),
        pids: Vec::new(),
        packed: PackedSymbols::new(),
        codec: Codec::Stored,
        noted: HashSet::new(),
    };
    loop {
        let ev = match reader.next_event() {
            Ok(Some(ev)) => ev,
            Ok(None) => break,
            Err(e) => return Ok((c, Some(e))),
        };
        if let Event::Process(p) = &ev {
            c.pids.push(p.pid);
            c.processes.push(Process::default());
        }
        if c.processes.is_empty() {
            c.processes.push(Process::default());
        }
        let cur = c.processes.last_mut().expect("pushed above");
        match ev {
            Event::Module(m) => {
                if let Event::Module(m) = Event::Module(m).into_owned() {
                    cur.modules.push(m);
                }
            }
            Event::Stack(s) => cur.addrs.extend(s.frames.iter().copied()),
            Event::Symbols(s) => c.packed.add(&s),
            Event::ModuleNote(n) => {
                c.noted.insert(n.path.as_bytes().to_vec());
            }
            _ => {}
        }
    }
    if reader.zstd_chunks() > 0 {
        c.codec = Codec::Zstd;
    }
    Ok((c, None))
}

/// Symbolizes every address of `c` that its records do not have yet, from the modules'
/// files: the new records, and what was done.
fn symbolize(c: &Contents, sym: &mut Symbolizer) -> (Vec<Event<'static>>, Packed) {
    let mut packed = Packed::default();
    // Per module (path, build-id): the module and its resolved addresses.
    type Resolved = (Module<'static>, Vec<(u64, Resolution)>);
    let mut by_module: BTreeMap<(Vec<u8>, Vec<u8>), Resolved> = BTreeMap::new();
    let mut done: HashSet<(Vec<u8>, Vec<u8>, u64)> = HashSet::new();
    for p in &c.processes {
        let mut map = ModuleMap::new();
        for m in &p.modules {
            map.push(m.clone());
        }
        for &addr in &p.addrs {
            // Looked up as the report does: a return address, so the call before it.
            let lookup = addr.saturating_sub(1);
            // An address in no module, or in the vDSO, is never resolved from a file.
            let Some(m) = map.find(lookup) else { continue };
            if m.path.as_bytes().starts_with(b"[") {
                continue;
            }
            let offset = lookup.wrapping_sub(m.base);
            if c.packed.get(m, offset).is_some() {
                packed.already += 1;
                continue;
            }
            let key = (m.path.as_bytes().to_vec(), m.build_id.to_vec());
            if !done.insert((key.0.clone(), key.1.clone(), offset)) {
                continue;
            }
            match sym.symbolize_file(m, offset) {
                Ok(r) => {
                    by_module
                        .entry(key)
                        .or_insert_with(|| (m.clone(), Vec::new()))
                        .1
                        .push((offset, r));
                    packed.added += 1;
                }
                Err(why) => {
                    let module = m.path.to_string_lossy().into_owned();
                    *packed.unresolved.entry((module, why)).or_default() += 1;
                }
            }
        }
    }
    let mut events: Vec<Event<'static>> = by_module
        .into_values()
        .flat_map(|(m, resolved)| records(&m, resolved))
        .map(Event::Symbols)
        .collect();
    events.extend(notes(c));
    (events, packed)
}

/// `ModuleNote` records for the modules of `c` whose symbol tables show an allocator of their
/// own or a test harness (`tracekit_symbolize::module_findings`), each module path once and
/// none the log has already. The tracker's own libraries are left out (they have a Rust
/// `#[global_allocator]`: glibc's malloc, called directly).
fn notes(c: &Contents) -> Vec<Event<'static>> {
    let mut seen: HashSet<&[u8]> = HashSet::new();
    let mut out = Vec::new();
    for m in c.processes.iter().flat_map(|p| &p.modules) {
        let path = m.path.as_bytes();
        let file = Path::new(std::ffi::OsStr::from_bytes(path));
        let ours = file
            .file_name()
            .is_some_and(|n| n.as_bytes().starts_with(b"libpreload_"));
        if path.starts_with(b"[") || ours || c.noted.contains(path) || !seen.insert(path) {
            continue;
        }
        let Ok(found) = tracekit_symbolize::module_findings(file, &m.build_id) else {
            continue;
        };
        out.extend(found.into_iter().map(|f| {
            Event::ModuleNote(ModuleNote {
                path: Bytes::owned(path.to_vec()),
                kind: f.kind,
                name: Bytes::owned(f.name.as_bytes().to_vec()),
                symbol: Bytes::owned(f.symbol.into_bytes()),
            })
        }));
    }
    out
}

/// The first of `pids` (other than this process) that has the file `log` open.
fn open_in(pids: &[u32], log: &Metadata) -> Option<u32> {
    let me = std::process::id();
    pids.iter()
        .copied()
        .filter(|&p| p != me && p != 0)
        .find(|pid| {
            let Ok(fds) = fs::read_dir(format!("/proc/{pid}/fd")) else {
                return false;
            };
            fds.flatten().any(|fd| {
                fs::metadata(fd.path()).is_ok_and(|m| m.dev() == log.dev() && m.ino() == log.ino())
            })
        })
}

/// Writes the header of `path`, `events`, then the rest of `path` into a new file next to it,
/// and renames that over `path`; returns the bytes added.
fn rewrite(
    path: &Path,
    before: &Metadata,
    events: &[Event<'_>],
    codec: Codec,
) -> anyhow::Result<u64> {
    let dir = path.parent().unwrap_or(Path::new("/"));
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{name}.pack-{}", std::process::id()));
    let result = write_packed(path, &tmp, before, events, codec);
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    let added = result?;
    // The rename is durable once the directory is on disk too.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(added)
}

fn write_packed(
    path: &Path,
    tmp: &Path,
    before: &Metadata,
    events: &[Event<'_>],
    codec: Codec,
) -> anyhow::Result<u64> {
    let mut src = File::open(path)?;
    let mut out = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(tmp)
        .with_context(|| format!("cannot create {}", tmp.display()))?;
    let mut head = [0u8; HEADER_LEN];
    src.read_exact(&mut head)?;
    out.write_all(&head)?;
    let mut w = FileWriter::without_header(&mut out, codec);
    for ev in events {
        w.write(ev)?;
    }
    w.finish()?;
    let added = out.stream_position()? - HEADER_LEN as u64;
    let copied = io::copy(&mut src, &mut out)?;
    out.set_permissions(before.permissions())?;
    // Only root can give the file back to its owner; anyone else owns what they packed.
    let _ = std::os::unix::fs::fchown(&out, Some(before.uid()), Some(before.gid()));
    out.sync_all()?;
    let now = fs::metadata(path)?;
    let unchanged = copied + HEADER_LEN as u64 == before.len()
        && now.len() == before.len()
        && now.ino() == before.ino()
        && now.modified().ok() == before.modified().ok();
    if !unchanged {
        bail!("the log changed while it was being packed");
    }
    fs::rename(tmp, path).with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_names_counts_and_reasons() {
        let mut p = Packed {
            added: 1,
            grew: 40,
            ..Packed::default()
        };
        assert_eq!(p.to_string(), "1 address symbolized (40 bytes added)");
        p.unresolved
            .insert(("/a".into(), "binary rebuilt since the run".into()), 2);
        p.already = 3;
        assert_eq!(
            p.to_string(),
            "1 address symbolized (40 bytes added), 3 already in the log; 2 addresses left \
             unresolved: /a (2: binary rebuilt since the run)"
        );
        assert_eq!(Packed::default().to_string(), "nothing new to pack");
    }
}
