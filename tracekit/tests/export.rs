//! Every export format pinned byte for byte (insta snapshots) on the shared log fixture: one
//! event of each kind (`tracekit_log::fixtures::one_of_each`), so each writer meets a heap, a
//! crash, a fence finding and a system call in one report, with the fixture's awkward values.
//! The backtrace is symbolized from the log's own `Symbols` record (its module's file does not
//! exist), as a packed log is. A new format is in `Format::ALL`, so it gets a snapshot here.

use tracekit::analysis::Analysis;
use tracekit::export::{ExportOptions, Format};
use tracekit::model::build;
use tracekit::symbols::Symbols;
use tracekit_log::fixtures::one_of_each;
use tracekit_log::{Codec, FileWriter};

fn fixture_analysis() -> Analysis {
    let mut w = FileWriter::new(Vec::new(), Codec::Stored).unwrap();
    for e in one_of_each() {
        w.write(&e).unwrap();
    }
    let log = w.finish().unwrap();
    let mut a = Analysis::new();
    a.read_log("one_of_each.tklog", &log[..]).unwrap();
    a
}

fn export(a: &Analysis, format: Format, opts: &ExportOptions) -> String {
    let writer = format.writer();
    let mut symbols = Symbols::with_packed(a.packed.clone());
    let report = build(
        a,
        &["one_of_each.tklog".into()],
        writer.selection(opts),
        &mut symbols,
    );
    let mut out = Vec::new();
    writer.write(&report, opts, &mut out).unwrap();
    String::from_utf8(out).unwrap()
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
}
