//! DHAT's JSON (the `dhatFileVersion: 2` format valgrind's DHAT and the `dhat` crate write),
//! for valgrind's viewer `dh_view.html`. One program point per allocation site: total bytes and
//! blocks (`tb`, `tbk`), the sum of the blocks' lifetimes (`tl`), the most live there at once
//! (`mb`, `mbk`), live at the heap peak (`gb`, `gbk`) and at the end (`eb`, `ebk`); frames
//! innermost first (`fs`, indices into `ftbl`, whose first entry is `[root]`). No access
//! counts (`bkacc: false`): the tracker does not watch reads and writes.
//!
//! Times are µs since the process started (`tu: "µs"`, `Mtu: "s"`), at the resolution of the
//! log's clock. With several processes, each site's last frame names its process, the peak
//! numbers are each process's at its own peak, and `tg` is the largest process's peak.

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::{ExportOptions, Format, Writer};
use crate::model::Report;
use crate::symbols::ResolvedFrame;

/// The DHAT writer.
#[derive(Debug, Clone, Copy)]
pub struct Dhat;

impl Writer for Dhat {
    fn needs_detail(&self) -> bool {
        true
    }

    fn every_site(&self) -> bool {
        true
    }

    fn write(&self, report: &Report, _opts: &ExportOptions, out: &mut dyn Write) -> io::Result<()> {
        serde_json::to_writer(&mut *out, &file(report)?).map_err(io::Error::from)?;
        writeln!(out)
    }
}

/// A DHAT file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[allow(non_snake_case)] // DHAT's field names
pub struct DhatFile {
    /// Always 2.
    pub dhatFileVersion: u32,
    /// `heap`.
    pub mode: &'static str,
    /// `Allocated`.
    pub verb: &'static str,
    /// Block lifetimes are present.
    pub bklt: bool,
    /// Block accesses are not.
    pub bkacc: bool,
    /// The time unit.
    pub tu: &'static str,
    /// A million of them.
    pub Mtu: &'static str,
    /// Lifetimes up to this are short (in `tu`).
    pub tuth: u64,
    /// The command.
    pub cmd: String,
    /// Its pid.
    pub pid: u32,
    /// The end, in `tu`.
    pub te: u64,
    /// The heap peak, in `tu`.
    pub tg: u64,
    /// The program points.
    pub pps: Vec<ProgramPoint>,
    /// The frames, `[root]` first.
    pub ftbl: Vec<String>,
}

/// One program point.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProgramPoint {
    /// Total bytes.
    pub tb: u64,
    /// Total blocks.
    pub tbk: u64,
    /// Total lifetimes (`tu`).
    pub tl: u64,
    /// Most bytes live at once.
    pub mb: u64,
    /// Blocks then.
    pub mbk: u64,
    /// Bytes at the heap peak.
    pub gb: u64,
    /// Blocks then.
    pub gbk: u64,
    /// Bytes at the end.
    pub eb: u64,
    /// Blocks then.
    pub ebk: u64,
    /// Frames, innermost first (indices into `ftbl`).
    pub fs: Vec<usize>,
}

/// The DHAT file of `report` (built with every site and the detail pass).
pub fn file(report: &Report) -> io::Result<DhatFile> {
    let detail = report
        .detail
        .as_deref()
        .ok_or_else(|| super::needs_detail(Format::Dhat))?;
    let several = report.heap.processes.len() > 1;
    let mut ftbl = vec!["[root]".to_owned()];
    let mut frame_index: BTreeMap<String, usize> = BTreeMap::new();
    let mut frame = |name: String| {
        *frame_index.entry(name).or_insert_with_key(|k| {
            ftbl.push(k.clone());
            ftbl.len() - 1
        })
    };
    // Program points by their frames: DHAT's viewer wants each once.
    let mut pps: BTreeMap<Vec<usize>, ProgramPoint> = BTreeMap::new();
    for (site, d) in super::detailed_sites(report, Format::Dhat)? {
        let mut fs: Vec<usize> = site.frames.iter().map(|f| frame(frame_text(f))).collect();
        if fs.is_empty() {
            fs.push(frame("[no backtrace]".to_owned()));
        }
        if several {
            let exe = &report.heap.processes[site.process].exe;
            fs.push(frame(format!("pid {}: {exe}", site.pid)));
        }
        let pp = pps.entry(fs).or_default();
        pp.tb += d.bytes;
        pp.tbk += d.blocks;
        pp.tl += d.lifetimes_ns / 1000;
        pp.mb += d.max_bytes;
        pp.mbk += d.max_blocks;
        pp.gb += d.peak_bytes;
        pp.gbk += d.peak_blocks;
        pp.eb += d.live_bytes;
        pp.ebk += d.live_blocks;
    }
    let first = report.heap.processes.first();
    let largest = detail.processes.iter().max_by_key(|p| p.peak);
    Ok(DhatFile {
        dhatFileVersion: 2,
        mode: "heap",
        verb: "Allocated",
        bklt: true,
        bkacc: false,
        tu: "µs",
        Mtu: "s",
        tuth: 500,
        cmd: first.map_or_else(String::new, |p| {
            if p.argv.is_empty() {
                p.exe.clone()
            } else {
                p.argv.join(" ")
            }
        }),
        pid: first.map_or(0, |p| p.pid),
        te: detail.processes.iter().map(|p| p.end_ns).max().unwrap_or(0) / 1000,
        tg: largest.map_or(0, |p| p.peak_ns) / 1000,
        pps: pps
            .into_iter()
            .map(|(fs, pp)| ProgramPoint { fs, ..pp })
            .collect(),
        ftbl,
    })
}

/// A frame as DHAT prints one: `0x10A3F4: main (heap_known.c:23)`, or the module when there
/// is no line (`0x4A2B: ?? (in /usr/lib/libfoo.so)`).
fn frame_text(f: &ResolvedFrame) -> String {
    let at = match (&f.file, f.line, &f.module) {
        (Some(file), Some(line), _) => {
            let file = file.rsplit('/').next().unwrap_or(file);
            format!("{file}:{line}")
        }
        (_, _, Some(module)) => format!("in {module}"),
        _ => "in ???".to_owned(),
    };
    let inl = if f.inlined { " [inlined]" } else { "" };
    format!("0x{:X}: {}{inl} ({at})", f.addr, f.function)
}
