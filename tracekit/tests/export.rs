//! Every export format pinned byte for byte (insta snapshots) on the shared log fixture: one
//! event of each kind (`tracekit_log::fixtures::one_of_each`), so each writer meets a heap, a
//! crash, a fence finding and a system call in one report, with the fixture's awkward values.
//! The backtrace is symbolized from the log's own `Symbols` record (its module's file does not
//! exist), as a packed log is. A new format is in `Format::ALL`, so it gets a snapshot here.

use tracekit::analysis::Analysis;
use tracekit::export::{ExportOptions, Format};
use tracekit::model::build;
use tracekit::model::graph::TimeAxis;
use tracekit::symbols::Symbols;
use tracekit_log::fixtures::one_of_each;
use tracekit_log::{Codec, FileWriter};

fn fixture_log() -> Vec<u8> {
    let mut w = FileWriter::new(Vec::new(), Codec::Stored).unwrap();
    for e in one_of_each() {
        w.write(&e).unwrap();
    }
    w.finish().unwrap()
}

fn fixture_analysis() -> Analysis {
    let log = fixture_log();
    // With the detail pass, as `tracekit export` reads logs: the formats past the report's
    // need it, and the others must not change with it.
    let mut a = Analysis::with_detail();
    a.read_log("one_of_each.tklog", &log[..]).unwrap();
    a
}

fn export(a: &Analysis, format: Format, opts: &ExportOptions) -> String {
    let writer = format.writer();
    let mut symbols = Symbols::with_packed(a.packed.clone());
    let mut report = build(
        a,
        &["one_of_each.tklog".into()],
        writer.selection(opts),
        &mut symbols,
    );
    if writer.needs_graph() {
        report = report.with_graph(a, TimeAxis::Auto, &mut symbols);
    }
    let mut out = Vec::new();
    writer.write(&report, opts, &mut out).unwrap();
    if format.is_binary() {
        return decoded_pprof(&out);
    }
    String::from_utf8(out).unwrap()
}

/// A gzipped profile.proto, decoded and printed with its strings in place of their indices.
fn decoded_pprof(gz: &[u8]) -> String {
    use prost::Message;
    use std::io::Read;
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(gz)
        .read_to_end(&mut raw)
        .unwrap();
    let p = tracekit::export::pprof::Profile::decode(&raw[..]).unwrap();
    let s = |i: i64| p.string_table[i as usize].as_str();
    let mut out = String::new();
    let types: Vec<String> = p
        .sample_type
        .iter()
        .map(|t| format!("{}/{}", s(t.r#type), s(t.unit)))
        .collect();
    out += &format!("sample types: {}\n", types.join(", "));
    out += &format!("default: {}\n", s(p.default_sample_type));
    for m in &p.mapping {
        out += &format!(
            "mapping {}: {:#x}-{:#x} @{:#x} {} build-id {}\n",
            m.id,
            m.memory_start,
            m.memory_limit,
            m.file_offset,
            s(m.filename),
            s(m.build_id)
        );
    }
    for l in &p.location {
        out += &format!(
            "location {} mapping {} {:#x}\n",
            l.id, l.mapping_id, l.address
        );
        for line in &l.line {
            let f = &p.function[line.function_id as usize - 1];
            out += &format!("  {} {}:{}\n", s(f.name), s(f.filename), line.line);
        }
    }
    for smp in &p.sample {
        let labels: Vec<String> = smp
            .label
            .iter()
            .map(|l| format!("{}={}", s(l.key), l.num))
            .collect();
        out += &format!(
            "sample {:?} at {:?} {}\n",
            smp.value,
            smp.location_id,
            labels.join(" ")
        );
    }
    out
}

#[test]
fn every_format_of_every_event_kind_is_pinned() {
    let a = fixture_analysis();
    let opts = ExportOptions {
        top: 10,
        per_process: true,
        depth: 12,
        lifetimes: false,
    };
    for &format in Format::ALL {
        let text = export(&a, format, &opts);
        insta::assert_snapshot!(format!("{}_of_every_event_kind", format.name()), text);
    }
}

/// The passes see what the fixture holds: its system call, crash and fence finding are each
/// in their own model, and the heap model has the fixture's one process.
#[test]
fn each_pass_builds_its_own_model() {
    let a = fixture_analysis();
    let r = build(
        &a,
        &[],
        tracekit::model::Selection { top: 0 },
        &mut tracekit::symbols::NoSymbols,
    );
    assert_eq!(r.heap.processes.len(), 1);
    assert_eq!(r.heap.processes[0].pid, 4242);
    assert_eq!(r.crashes.len(), 1);
    assert_eq!((r.crashes[0].pid, r.crashes[0].signal), (7, 11));
    assert_eq!(r.fences.len(), 1);
    assert_eq!(r.fences[0].kind, "alloc-dealloc-mismatch");
    assert_eq!(r.syscalls.events, 1);
    assert_eq!(r.syscalls.summary.counts(), [("openat".to_owned(), 1, 1)]);
}

/// The collapsed writer asks for every site whatever `--top` says; the others keep `--top`.
#[test]
fn collapsed_stacks_hold_every_site() {
    let opts = ExportOptions {
        top: 1,
        per_process: false,
        depth: 12,
        lifetimes: false,
    };
    assert_eq!(Format::Collapsed.writer().selection(&opts).top, 0);
    assert_eq!(Format::Text.writer().selection(&opts).top, 1);
    assert_eq!(Format::Json.writer().selection(&opts).top, 1);
    // So do the profiles: their totals are sums over every site.
    assert_eq!(Format::Pprof.writer().selection(&opts).top, 0);
    assert_eq!(Format::Dhat.writer().selection(&opts).top, 0);
}

/// The formats past the report's read the analysis's detail pass; a model built without it is
/// refused with a message, not written half empty.
#[test]
fn detail_formats_need_the_detail_pass() {
    let log = fixture_log();
    let mut a = Analysis::new();
    a.read_log("one_of_each.tklog", &log[..]).unwrap();
    let opts = ExportOptions {
        top: 0,
        per_process: false,
        depth: 0,
        lifetimes: false,
    };
    for format in [Format::Pprof, Format::Dhat, Format::Chrome] {
        let report = build(
            &a,
            &[],
            format.writer().selection(&opts),
            &mut tracekit::symbols::NoSymbols,
        );
        let err = format
            .writer()
            .write(&report, &opts, &mut Vec::new())
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains(format.name()), "{err}");
    }
}

/// Each export format's name is its own, and `tracekit export` takes every format but the
/// report's.
#[test]
fn export_formats_by_name() {
    for &f in Format::ALL {
        assert_eq!(Format::from_name(f.name()), Some(f));
    }
    let exports: Vec<&str> = Format::ALL
        .iter()
        .filter(|f| f.is_export())
        .map(|f| f.name())
        .collect();
    for name in ["collapsed", "pprof", "dhat", "chrome"] {
        assert!(exports.contains(&name), "{exports:?}");
    }
    assert!(!exports.contains(&"text") && !exports.contains(&"json"));
}
