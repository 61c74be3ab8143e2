//! The export layer: one [`Format`] enum and one [`Writer`] per format, each printing a
//! [`Report`] model to a `&mut dyn Write`.
//!
//! - [`text`]: memusage's summary, leaks, sites with backtraces, crashes, the `-c` table;
//! - [`json`]: the model as the schema `tracekit.heap-report/2`;
//! - [`collapsed`]: folded stacks for flame graphs;
//! - [`massif`]: valgrind massif's file of heap snapshots, for `ms_print`;
//! - [`graph`]: the heap over time as `ms_print` prints it (`--graph`);
//! - [`svg`]: pictures (the heap over time, flame graphs) as SVG or an HTML page.
//! - [`pprof`]: gzipped `profile.proto` with the heap sample types (`go tool pprof`, Pyroscope);
//! - [`dhat`]: DHAT's JSON (valgrind's `dh_view.html`);
//! - [`chrome`]: Chrome's trace events (Perfetto, `chrome://tracing`).
//!
//! The last three need more than the model's sites: what the analysis's detail pass keeps
//! ([`Report::detail`], made by `Analysis::with_detail`, as `tracekit export` does).
//! - [`markdown`]: tables for a CI step summary (also used by `tracekit diff`).
//!
//! A new format is a file here with a type implementing [`Writer`] (saying, if it needs more
//! than the selected sites, which sites its model must hold), and one arm of [`Format`] (and of
//! its `match`es: [`Format::writer`], [`Format::name`], [`Format::ALL`]).

pub mod chrome;
pub mod collapsed;
pub mod command;
pub mod dhat;
pub mod graph;
pub mod json;
pub mod leak;
pub mod markdown;
pub mod massif;
pub mod pprof;
pub mod svg;
pub mod text;

use std::io::{self, Write};

use crate::analysis::detail::SiteDetail;
use crate::model::heap::SiteReport;
use crate::model::{Report, Selection};

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The text report.
    Text,
    /// The JSON report.
    Json,
    /// Collapsed stacks.
    Collapsed,
    /// valgrind massif's `massif.out` file.
    Massif,
    /// The heap over time as `ms_print` prints it.
    Graph,
    /// Pictures: the heap over time and flame graphs, one SVG document.
    Svg,
    /// The same pictures in one HTML page.
    Html,
    /// pprof's gzipped `profile.proto`.
    Pprof,
    /// DHAT's JSON.
    Dhat,
    /// Chrome's trace events.
    Chrome,
    /// GitHub-flavoured Markdown tables, for a CI step summary.
    Markdown,
}

impl Format {
    /// Every format, each snapshot-tested (`tests/export.rs`).
    pub const ALL: &'static [Format] = &[
        Format::Text,
        Format::Json,
        Format::Collapsed,
        Format::Massif,
        Format::Graph,
        Format::Svg,
        Format::Html,
        Format::Pprof,
        Format::Dhat,
        Format::Chrome,
        Format::Markdown,
    ];

    /// Its name, as a command line would take it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Collapsed => "collapsed",
            Format::Massif => "massif",
            Format::Graph => "graph",
            Format::Svg => "svg",
            Format::Html => "html",
            Format::Pprof => "pprof",
            Format::Dhat => "dhat",
            Format::Chrome => "chrome",
            Format::Markdown => "markdown",
        }
    }

    /// The writer of this format.
    pub fn writer(self) -> &'static dyn Writer {
        match self {
            Format::Text => &text::Text,
            Format::Json => &json::Json,
            Format::Collapsed => &collapsed::Collapsed,
            Format::Massif => &massif::Massif,
            Format::Graph => &graph::GraphText,
            Format::Svg => &svg::SVG,
            Format::Html => &svg::HTML,
            Format::Pprof => &pprof::Pprof,
            Format::Dhat => &dhat::Dhat,
            Format::Chrome => &chrome::Chrome,
            Format::Markdown => &markdown::Markdown,
        }
    }

    /// The format named `name` ([`name`](Self::name)'s inverse).
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// A format `tracekit export` writes: every one but the report's own (text, JSON).
    pub fn is_export(self) -> bool {
        !matches!(self, Format::Text | Format::Json)
    }

    /// It holds the heap only, so a log without heap events has nothing to give it (every
    /// format but the report's and Chrome's traces, which also show system calls).
    pub fn is_heap_only(self) -> bool {
        !matches!(self, Format::Text | Format::Json | Format::Chrome)
    }

    /// It is binary (not for a terminal).
    pub fn is_binary(self) -> bool {
        matches!(self, Format::Pprof)
    }
}

/// Every site of `report` (built with every site) that made a block, with the detail pass's
/// numbers for it; `format`'s error when the model has no detail.
pub(crate) fn detailed_sites(
    report: &Report,
    format: Format,
) -> io::Result<impl Iterator<Item = (&SiteReport, &SiteDetail)>> {
    let detail = report
        .detail
        .as_deref()
        .ok_or_else(|| needs_detail(format))?;
    Ok(report.heap.sites.iter().filter_map(move |site| {
        let d = detail
            .processes
            .get(site.process)?
            .sites
            .get(&site.stack_id)?;
        (d.blocks != 0).then_some((site, d))
    }))
}

/// The error of a writer that needs the detail pass and was given a model without it.
pub(crate) fn needs_detail(format: Format) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "the {} format needs the analysis's detail (tracekit export keeps it)",
            format.name()
        ),
    )
}

/// What the writers may be asked besides the model.
#[derive(Debug, Clone, Copy)]
pub struct ExportOptions {
    /// Sites per ranking (0: every site).
    pub top: usize,
    /// With several processes, each one's full summary after the totals (text).
    pub per_process: bool,
    /// Frames per backtrace (valgrind's `--num-callers`); 0 prints them all (text).
    pub depth: usize,
    /// The lifetime histograms and the sites by short-lived bytes (text; JSON always has them).
    pub lifetimes: bool,
}

/// One output format's printer.
pub trait Writer {
    /// True for a format whose numbers are sums over every site (a profile), whatever `--top`
    /// says.
    fn every_site(&self) -> bool {
        false
    }

    /// Which sites the model written must hold: by default the `top` of each ranking (every
    /// site when [`every_site`](Self::every_site)).
    fn selection(&self, opts: &ExportOptions) -> Selection {
        Selection {
            top: if self.every_site() { 0 } else { opts.top },
        }
    }

    /// True when the writer reads the model's [`detail`](crate::model::Report::detail) (the
    /// analysis then runs its detail pass, which costs on every heap event).
    fn needs_detail(&self) -> bool {
        false
    }

    /// True when the writer reads the detail's heap over time (each process's
    /// [`counter`](crate::analysis::detail::ProcessDetail::counter)).
    fn needs_heap_counter(&self) -> bool {
        false
    }

    /// True when the writer prints the heap over time in slices (each process's
    /// [`timeline`](crate::analysis::HeapProcess::timeline)): then the analysis keeps it (it
    /// costs on every heap event).
    fn needs_timeline(&self) -> bool {
        false
    }

    /// True when the writer prints the histograms of block lifetimes whatever the options
    /// say: then the analysis counts them (they cost on every release). Text prints them only
    /// with `--lifetimes`.
    fn needs_lifetimes(&self) -> bool {
        false
    }

    /// True when the writer draws the heap over time: its model then holds
    /// [`Report::graph`](crate::model::Report::graph), on the configured time axis.
    fn needs_graph(&self) -> bool {
        false
    }

    /// Writes `report` (built with [`selection`](Self::selection)'s sites) to `out`.
    fn write(&self, report: &Report, opts: &ExportOptions, out: &mut dyn Write) -> io::Result<()>;
}
