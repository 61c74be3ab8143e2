//! pprof's format: a gzipped `profile.proto` (github.com/google/pprof, `proto/profile.proto`)
//! with the sample types of a heap profile in the order `go tool pprof` expects of one:
//! `alloc_objects/count`, `alloc_space/bytes`, `inuse_objects/count`, `inuse_space/bytes`
//! (default `inuse_space`). One sample per allocation site, labelled with its `pid`; one
//! location per return address, its inlined calls as several lines innermost first (as pprof
//! writes them); functions with their file and line as `tracekit-symbolize` found them; one
//! mapping per module of the log. Readable by `go tool pprof`, Pyroscope and Parca.
//!
//! The numbers are valgrind's, as the report's: a `realloc` is a new block of its whole size
//! at its own site, so `alloc_space` adds up to the report's bytes allocated and `inuse_space`
//! to the bytes leaked.

use std::collections::HashMap;
use std::io::{self, Write};

use prost::Message;

use super::{ExportOptions, Format, Writer};
use crate::model::Report;
use crate::symbols::ResolvedFrame;

/// The pprof writer.
#[derive(Debug, Clone, Copy)]
pub struct Pprof;

impl Writer for Pprof {
    fn needs_detail(&self) -> bool {
        true
    }

    fn every_site(&self) -> bool {
        true
    }

    fn write(&self, report: &Report, _opts: &ExportOptions, out: &mut dyn Write) -> io::Result<()> {
        let profile = profile(report)?;
        let mut gz = flate2::write::GzEncoder::new(out, flate2::Compression::default());
        gz.write_all(&profile.encode_to_vec())?;
        gz.finish()?;
        Ok(())
    }
}

/// The sample types, in their order in every sample's values.
pub const SAMPLE_TYPES: [(&str, &str); 4] = [
    ("alloc_objects", "count"),
    ("alloc_space", "bytes"),
    ("inuse_objects", "count"),
    ("inuse_space", "bytes"),
];

/// The profile of `report` (built with every site and the detail pass).
pub fn profile(report: &Report) -> io::Result<Profile> {
    let detail = report
        .detail
        .as_deref()
        .ok_or_else(|| super::needs_detail(Format::Pprof))?;
    let mut b = Builder::default();
    b.string("");
    let sample_type = SAMPLE_TYPES
        .iter()
        .map(|(t, u)| ValueType {
            r#type: b.string(t),
            unit: b.string(u),
        })
        .collect();
    let pid_key = b.string("pid");
    // The mappings: every module of every process.
    let mut mappings_of: Vec<Vec<(u64, u64, u64)>> = Vec::new(); // (start, limit, id)
    for p in &detail.processes {
        let mut ranges = Vec::new();
        for m in &p.modules {
            let low = m.segments.iter().min_by_key(|s| s.vaddr);
            let start = m.base.wrapping_add(low.map_or(0, |s| s.vaddr));
            let limit = m.segments.iter().map(|s| s.vaddr + s.memsz).max();
            let limit = m.base.wrapping_add(limit.unwrap_or(0));
            let id = b.mappings.len() as u64 + 1;
            let filename = b.string(&m.path.to_string_lossy());
            let build_id = b.string(&hex(&m.build_id));
            b.mappings.push(Mapping {
                id,
                memory_start: start,
                memory_limit: limit,
                file_offset: low.map_or(0, |s| s.file_offset),
                filename,
                build_id,
                has_functions: true,
                has_filenames: true,
                has_line_numbers: true,
                has_inline_frames: true,
            });
            ranges.push((start, limit, id));
        }
        mappings_of.push(ranges);
    }
    let mut samples = Vec::new();
    for (site, d) in super::detailed_sites(report, Format::Pprof)? {
        let mut location_id = Vec::new();
        let mut rest = &site.frames[..];
        while let Some(first) = rest.first() {
            let n = rest.iter().take_while(|f| f.addr == first.addr).count();
            let ranges = mappings_of.get(site.process).map_or(&[][..], |r| &r[..]);
            location_id.push(b.location(site.process, &rest[..n], ranges));
            rest = &rest[n..];
        }
        if location_id.is_empty() {
            let none = ResolvedFrame {
                function: "[no backtrace]".to_owned(),
                ..ResolvedFrame::default()
            };
            location_id.push(b.location(site.process, &[none], &[]));
        }
        let value = [d.blocks, d.bytes, d.live_blocks, d.live_bytes]
            .map(|v| i64::try_from(v).unwrap_or(i64::MAX))
            .to_vec();
        samples.push(Sample {
            location_id,
            value,
            label: vec![Label {
                key: pid_key,
                num: i64::from(site.pid),
                ..Label::default()
            }],
        });
    }
    let period_type = Some(ValueType {
        r#type: b.string("space"),
        unit: b.string("bytes"),
    });
    let default_sample_type = b.string("inuse_space");
    let comment = report
        .logs
        .iter()
        .map(|l| format!("tracekit export of {l}"))
        .collect::<Vec<_>>()
        .iter()
        .map(|c| b.string(c))
        .collect();
    Ok(Profile {
        sample_type,
        sample: samples,
        mapping: b.mappings,
        location: b.locations,
        function: b.functions,
        string_table: b.strings,
        period_type,
        period: 1,
        comment,
        default_sample_type,
        ..Profile::default()
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The tables of a profile, each entry made once.
#[derive(Default)]
struct Builder {
    strings: Vec<String>,
    string_index: HashMap<String, i64>,
    functions: Vec<Function>,
    function_index: HashMap<(i64, i64), u64>,
    locations: Vec<Location>,
    location_index: HashMap<(usize, u64, String), u64>,
    mappings: Vec<Mapping>,
}

impl Builder {
    fn string(&mut self, s: &str) -> i64 {
        if let Some(&i) = self.string_index.get(s) {
            return i;
        }
        let i = self.strings.len() as i64;
        self.strings.push(s.to_owned());
        self.string_index.insert(s.to_owned(), i);
        i
    }

    fn function(&mut self, name: &str, file: Option<&str>) -> u64 {
        let name = self.string(name);
        let file = self.string(file.unwrap_or(""));
        if let Some(&id) = self.function_index.get(&(name, file)) {
            return id;
        }
        let id = self.functions.len() as u64 + 1;
        self.functions.push(Function {
            id,
            name,
            system_name: name,
            filename: file,
            start_line: 0,
        });
        self.function_index.insert((name, file), id);
        id
    }

    /// The location of `frames` (one return address and the calls inlined there, innermost
    /// first) in process `process`, whose mappings are `ranges`.
    fn location(
        &mut self,
        process: usize,
        frames: &[ResolvedFrame],
        ranges: &[(u64, u64, u64)],
    ) -> u64 {
        let addr = frames[0].addr;
        // A frame without an address (none recorded) is told apart by its name.
        let key_name = if addr == 0 {
            frames[0].function.clone()
        } else {
            String::new()
        };
        if let Some(&id) = self.location_index.get(&(process, addr, key_name.clone())) {
            return id;
        }
        // The call instruction's address: the return address less one, as it was symbolized.
        let address = addr.saturating_sub(1);
        let mapping_id = ranges
            .iter()
            .rev()
            .find(|&&(start, limit, _)| (start..limit).contains(&address))
            .map_or(0, |&(_, _, id)| id);
        let line = frames
            .iter()
            .map(|f| Line {
                function_id: self.function(&f.function, f.file.as_deref()),
                line: f.line.map_or(0, i64::from),
                column: f.column.map_or(0, i64::from),
            })
            .collect();
        let id = self.locations.len() as u64 + 1;
        self.locations.push(Location {
            id,
            mapping_id,
            address,
            line,
            is_folded: false,
        });
        self.location_index.insert((process, addr, key_name), id);
        id
    }
}

// ---- profile.proto (github.com/google/pprof/proto/profile.proto), field numbers as there ----

/// `perftools.profiles.Profile`.
#[derive(Clone, PartialEq, Message)]
pub struct Profile {
    /// What each value of a sample is.
    #[prost(message, repeated, tag = "1")]
    pub sample_type: Vec<ValueType>,
    /// The samples.
    #[prost(message, repeated, tag = "2")]
    pub sample: Vec<Sample>,
    /// The modules.
    #[prost(message, repeated, tag = "3")]
    pub mapping: Vec<Mapping>,
    /// The addresses.
    #[prost(message, repeated, tag = "4")]
    pub location: Vec<Location>,
    /// The functions.
    #[prost(message, repeated, tag = "5")]
    pub function: Vec<Function>,
    /// Every string, the first empty; the other fields refer to them by index.
    #[prost(string, repeated, tag = "6")]
    pub string_table: Vec<String>,
    /// Frames to drop (a regex's string index).
    #[prost(int64, tag = "7")]
    pub drop_frames: i64,
    /// Frames to keep.
    #[prost(int64, tag = "8")]
    pub keep_frames: i64,
    /// When the profile was taken.
    #[prost(int64, tag = "9")]
    pub time_nanos: i64,
    /// Over how long.
    #[prost(int64, tag = "10")]
    pub duration_nanos: i64,
    /// What a period counts.
    #[prost(message, optional, tag = "11")]
    pub period_type: Option<ValueType>,
    /// The sampling period (1: every event).
    #[prost(int64, tag = "12")]
    pub period: i64,
    /// Free-form comments (string indices).
    #[prost(int64, repeated, tag = "13")]
    pub comment: Vec<i64>,
    /// The sample type shown by default (string index).
    #[prost(int64, tag = "14")]
    pub default_sample_type: i64,
}

/// `ValueType`.
#[derive(Clone, PartialEq, Message)]
pub struct ValueType {
    /// Its name (string index).
    #[prost(int64, tag = "1")]
    pub r#type: i64,
    /// Its unit (string index).
    #[prost(int64, tag = "2")]
    pub unit: i64,
}

/// `Sample`.
#[derive(Clone, PartialEq, Message)]
pub struct Sample {
    /// The stack, leaf first.
    #[prost(uint64, repeated, tag = "1")]
    pub location_id: Vec<u64>,
    /// One value per sample type.
    #[prost(int64, repeated, tag = "2")]
    pub value: Vec<i64>,
    /// Labels.
    #[prost(message, repeated, tag = "3")]
    pub label: Vec<Label>,
}

/// `Label`.
#[derive(Clone, PartialEq, Message)]
pub struct Label {
    /// Key (string index).
    #[prost(int64, tag = "1")]
    pub key: i64,
    /// String value (string index).
    #[prost(int64, tag = "2")]
    pub str: i64,
    /// Numeric value.
    #[prost(int64, tag = "3")]
    pub num: i64,
    /// Its unit (string index).
    #[prost(int64, tag = "4")]
    pub num_unit: i64,
}

/// `Mapping`.
#[derive(Clone, PartialEq, Message)]
pub struct Mapping {
    /// Id (from 1).
    #[prost(uint64, tag = "1")]
    pub id: u64,
    /// First address.
    #[prost(uint64, tag = "2")]
    pub memory_start: u64,
    /// Past the last.
    #[prost(uint64, tag = "3")]
    pub memory_limit: u64,
    /// File offset of `memory_start`.
    #[prost(uint64, tag = "4")]
    pub file_offset: u64,
    /// Path (string index).
    #[prost(int64, tag = "5")]
    pub filename: i64,
    /// Build-id in hex (string index).
    #[prost(int64, tag = "6")]
    pub build_id: i64,
    /// Symbolized.
    #[prost(bool, tag = "7")]
    pub has_functions: bool,
    /// With files.
    #[prost(bool, tag = "8")]
    pub has_filenames: bool,
    /// With lines.
    #[prost(bool, tag = "9")]
    pub has_line_numbers: bool,
    /// With inlined calls.
    #[prost(bool, tag = "10")]
    pub has_inline_frames: bool,
}

/// `Location`.
#[derive(Clone, PartialEq, Message)]
pub struct Location {
    /// Id (from 1).
    #[prost(uint64, tag = "1")]
    pub id: u64,
    /// Its mapping (0: none).
    #[prost(uint64, tag = "2")]
    pub mapping_id: u64,
    /// The instruction's address.
    #[prost(uint64, tag = "3")]
    pub address: u64,
    /// Its lines, innermost inlined call first, the caller last.
    #[prost(message, repeated, tag = "4")]
    pub line: Vec<Line>,
    /// Folded frames.
    #[prost(bool, tag = "5")]
    pub is_folded: bool,
}

/// `Line`.
#[derive(Clone, PartialEq, Message)]
pub struct Line {
    /// The function.
    #[prost(uint64, tag = "1")]
    pub function_id: u64,
    /// Line (0: unknown).
    #[prost(int64, tag = "2")]
    pub line: i64,
    /// Column (0: unknown).
    #[prost(int64, tag = "3")]
    pub column: i64,
}

/// `Function`.
#[derive(Clone, PartialEq, Message)]
pub struct Function {
    /// Id (from 1).
    #[prost(uint64, tag = "1")]
    pub id: u64,
    /// Name, demangled (string index).
    #[prost(int64, tag = "2")]
    pub name: i64,
    /// Name as the symbol table has it (string index).
    #[prost(int64, tag = "3")]
    pub system_name: i64,
    /// Source file (string index).
    #[prost(int64, tag = "4")]
    pub filename: i64,
    /// First line of the function (0: unknown).
    #[prost(int64, tag = "5")]
    pub start_line: i64,
}
