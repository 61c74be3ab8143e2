//! The export layer: one [`Format`] enum and one [`Writer`] per format, each printing a
//! [`Report`] model to a `&mut dyn Write`.
//!
//! - [`text`]: memusage's summary, leaks, sites with backtraces, crashes, the `-c` table;
//! - [`json`]: the model as the schema `tracekit.heap-report/1`;
//! - [`collapsed`]: folded stacks for flame graphs;
//! - [`massif`]: valgrind massif's file of heap snapshots, for `ms_print`;
//! - [`graph`]: the heap over time as `ms_print` prints it (`--graph`);
//! - [`svg`]: pictures (the heap over time, flame graphs) as SVG or an HTML page.
//!
//! A new format is a file here with a type implementing [`Writer`] (saying, if it needs more
//! than the selected sites, which sites its model must hold), and one arm of [`Format`] (and of
//! its `match`es: [`Format::writer`], [`Format::name`], [`Format::ALL`]).

pub mod collapsed;
pub mod graph;
pub mod json;
pub mod leak;
pub mod massif;
pub mod svg;
pub mod text;

use std::io::{self, Write};

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
        }
    }
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
}

/// One output format's printer.
pub trait Writer {
    /// Which sites the model written must hold: by default the `top` of each ranking.
    fn selection(&self, opts: &ExportOptions) -> Selection {
        Selection { top: opts.top }
    }

    /// True when the writer draws the heap over time: its model then holds
    /// [`Report::graph`](crate::model::Report::graph), on the configured time axis.
    fn needs_graph(&self) -> bool {
        false
    }

    /// Writes `report` (built with [`selection`](Self::selection)'s sites) to `out`.
    fn write(&self, report: &Report, opts: &ExportOptions, out: &mut dyn Write) -> io::Result<()>;
}
