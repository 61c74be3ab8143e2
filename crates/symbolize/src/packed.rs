//! Symbols carried by the log itself (`Symbols` records, written by `tracekit pack`): the
//! frames of a module's addresses as its file gave them when the log was packed, for when
//! that file is gone or has been rebuilt.
//!
//! [`records`] turns resolved addresses into records; [`PackedSymbols`] reads them back and
//! answers lookups by module (build-id, else path) and module offset.

use std::borrow::Cow;
use std::collections::HashMap;

use tracekit_log::{Bytes, Module, SymbolAddr, SymbolFrame, Symbols};

use crate::Frame;

/// What a module's file says about one address: its frames (innermost first), or none and why.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Resolution {
    /// The inline chain, innermost first; empty when no symbol covers the address.
    pub frames: Vec<Frame>,
    /// Why there are no frames, when known.
    pub note: Option<String>,
}

/// How records name a module: by build-id, which says which file it was, else by path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    BuildId(Vec<u8>),
    Path(Vec<u8>),
}

impl Key {
    fn new(path: &[u8], build_id: &[u8]) -> Key {
        if build_id.is_empty() {
            Key::Path(path.to_vec())
        } else {
            Key::BuildId(build_id.to_vec())
        }
    }
}

/// The symbols of one or more logs' `Symbols` records, by module and module offset.
#[derive(Debug, Clone, Default)]
pub struct PackedSymbols {
    modules: HashMap<Key, HashMap<u64, Resolution>>,
    addrs: usize,
}

impl PackedSymbols {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a record's addresses. An address already known keeps its first resolution
    /// (packing again adds records only for addresses no record has).
    pub fn add(&mut self, rec: &Symbols<'_>) {
        let text = |i: u32| String::from_utf8_lossy(rec.string(i)).into_owned();
        let by_offset = self
            .modules
            .entry(Key::new(rec.path.as_bytes(), &rec.build_id))
            .or_default();
        let mut frames = rec.frames.iter();
        for a in rec.addrs.iter() {
            let resolution = Resolution {
                frames: frames
                    .by_ref()
                    .take(a.frames as usize)
                    .map(|f| Frame {
                        function: text(f.function),
                        function_offset: None,
                        file: f.file.map(text),
                        line: f.line,
                        column: f.column,
                        inlined: f.inlined,
                    })
                    .collect(),
                note: a.note.map(text),
            };
            if let std::collections::hash_map::Entry::Vacant(v) = by_offset.entry(a.offset) {
                v.insert(resolution);
                self.addrs += 1;
            }
        }
    }

    /// The resolution of `offset` (module-relative, as looked up) in `module`, if a record has it.
    pub fn get(&self, module: &Module<'_>, offset: u64) -> Option<&Resolution> {
        self.modules
            .get(&Key::new(module.path.as_bytes(), &module.build_id))?
            .get(&offset)
    }

    /// How many addresses the records resolve.
    pub fn len(&self) -> usize {
        self.addrs
    }

    /// True when no record was added.
    pub fn is_empty(&self) -> bool {
        self.addrs == 0
    }
}

/// Addresses per record: a module with more is split, so that no record approaches the
/// format's size limit (each record interns its own strings).
pub const ADDRS_PER_RECORD: usize = 4096;

/// The `Symbols` records for `module`'s resolved addresses (`(offset, resolution)`, offsets
/// as looked up), sorted by offset, at most [`ADDRS_PER_RECORD`] addresses each.
pub fn records(module: &Module<'_>, mut resolved: Vec<(u64, Resolution)>) -> Vec<Symbols<'static>> {
    resolved.sort_by_key(|(offset, _)| *offset);
    resolved.dedup_by_key(|(offset, _)| *offset);
    resolved
        .chunks(ADDRS_PER_RECORD)
        .map(|part| record(module, part))
        .collect()
}

fn record(module: &Module<'_>, part: &[(u64, Resolution)]) -> Symbols<'static> {
    let mut strings = Strings::default();
    let mut addrs = Vec::with_capacity(part.len());
    let mut frames = Vec::new();
    for (offset, r) in part {
        addrs.push(SymbolAddr {
            offset: *offset,
            frames: r.frames.len() as u32,
            note: r.note.as_deref().map(|n| strings.index(n)),
        });
        for f in &r.frames {
            frames.push(SymbolFrame {
                function: strings.index(&f.function),
                file: f.file.as_deref().map(|n| strings.index(n)),
                line: f.line,
                column: f.column,
                inlined: f.inlined,
            });
        }
    }
    Symbols {
        path: module.path.clone().into_owned(),
        build_id: Cow::Owned(module.build_id.to_vec()),
        strings: strings.all,
        addrs: Cow::Owned(addrs),
        frames: Cow::Owned(frames),
    }
}

/// A record's strings, each stored once.
#[derive(Default)]
struct Strings<'s> {
    all: Vec<Bytes<'static>>,
    index: HashMap<&'s str, u32>,
}

impl<'s> Strings<'s> {
    fn index(&mut self, s: &'s str) -> u32 {
        *self.index.entry(s).or_insert_with(|| {
            self.all.push(Bytes::owned(s.as_bytes().to_vec()));
            (self.all.len() - 1) as u32
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracekit_log::{decode, encode, Event};

    fn module(path: &str, build_id: &[u8]) -> Module<'static> {
        Module {
            time_ns: 0,
            base: 0x5555_0000_0000,
            path: Bytes::owned(path.as_bytes().to_vec()),
            build_id: Cow::Owned(build_id.to_vec()),
            segments: Cow::Owned(vec![]),
        }
    }

    fn frame(function: &str, file: Option<&str>, line: Option<u32>, inlined: bool) -> Frame {
        Frame {
            function: function.to_owned(),
            function_offset: None,
            file: file.map(str::to_owned),
            line,
            column: line.map(|l| l % 7),
            inlined,
        }
    }

    fn sample() -> Vec<(u64, Resolution)> {
        vec![
            (
                0x1200,
                Resolution {
                    frames: vec![
                        frame("helper", Some("/src/a.c"), Some(3), true),
                        frame("main", Some("/src/a.c"), Some(0), false),
                    ],
                    note: None,
                },
            ),
            (
                0x40,
                Resolution {
                    frames: vec![],
                    note: Some("no symbol covers it".into()),
                },
            ),
            (
                0x1300,
                Resolution {
                    frames: vec![frame("main", None, None, false)],
                    note: None,
                },
            ),
        ]
    }

    /// Resolutions go into records, through the codec and back, unchanged; a record is
    /// matched to its module by build-id whatever the path, and by path without one.
    #[test]
    fn resolutions_round_trip_through_records() {
        let m = module("/build/prog", &[1, 2, 3]);
        let recs = records(&m, sample());
        assert_eq!(recs.len(), 1);
        // "main" and "/src/a.c" are stored once.
        assert_eq!(recs[0].strings.len(), 4);
        let mut buf = vec![0u8; 4096];
        let n = encode(&Event::Symbols(recs[0].clone()), &mut buf).unwrap();
        let Some(Event::Symbols(back)) = decode(buf[0], &buf[2..n]).unwrap() else {
            panic!("not a Symbols record")
        };
        let mut table = PackedSymbols::new();
        table.add(&back);
        assert_eq!(table.len(), 3);
        for (offset, r) in sample() {
            assert_eq!(table.get(&m, offset), Some(&r));
            assert_eq!(
                table.get(&module("/elsewhere/prog", &[1, 2, 3]), offset),
                Some(&r)
            );
        }
        assert_eq!(table.get(&m, 0x1201), None);
        assert_eq!(table.get(&module("/build/prog", &[9]), 0x1200), None);

        let plain = module("/build/prog", &[]);
        let mut by_path = PackedSymbols::new();
        for rec in records(&plain, sample()) {
            by_path.add(&rec);
        }
        assert!(by_path.get(&plain, 0x40).is_some());
        assert!(by_path.get(&module("/other", &[]), 0x40).is_none());
    }

    #[test]
    fn large_modules_are_split_and_the_first_resolution_stays() {
        let m = module("/lib/big.so", &[7]);
        let many: Vec<_> = (0..ADDRS_PER_RECORD as u64 + 10)
            .map(|i| {
                let r = Resolution {
                    frames: vec![frame(
                        &format!("f{}", i % 100),
                        Some("/x.c"),
                        Some(1),
                        false,
                    )],
                    note: None,
                };
                (i * 4, r)
            })
            .collect();
        let recs = records(&m, many);
        assert_eq!(
            recs.iter().map(|r| r.addrs.len()).collect::<Vec<_>>(),
            [4096, 10]
        );
        let mut table = PackedSymbols::new();
        for r in &recs {
            table.add(r);
        }
        // The same address again, resolved differently: the first record's answer stays.
        let other = Resolution {
            frames: vec![frame("other", None, None, false)],
            note: None,
        };
        table.add(&records(&m, vec![(0, other)])[0]);
        assert_eq!(table.len(), ADDRS_PER_RECORD + 10);
        assert_eq!(table.get(&m, 0).unwrap().frames[0].function, "f0");
    }
}
