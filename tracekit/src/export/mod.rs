//! The export layer: one [`Format`] enum and one [`Writer`] per format, each printing a
//! [`Report`] model to a `&mut dyn Write`.
//!
//! - [`text`]: memusage's summary, leaks, sites with backtraces, crashes, the `-c` table;
//! - [`json`]: the model as the schema `tracekit.heap-report/1`;
//! - [`collapsed`]: folded stacks for flame graphs;
//! - [`markdown`]: tables for a CI step summary (also used by `tracekit diff`).
//!
//! A new format is a file here with a type implementing [`Writer`] (saying, if it needs more
//! than the selected sites, which sites its model must hold), and one arm of [`Format`] (and of
//! its `match`es: [`Format::writer`], [`Format::name`], [`Format::ALL`]).

pub mod collapsed;
pub mod json;
pub mod markdown;
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
    /// GitHub-flavoured Markdown tables, for a CI step summary.
    Markdown,
}

impl Format {
    /// Every format, each snapshot-tested (`tests/export.rs`).
    pub const ALL: &'static [Format] = &[
        Format::Text,
        Format::Json,
        Format::Collapsed,
        Format::Markdown,
    ];

    /// Its name, as a command line would take it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Collapsed => "collapsed",
            Format::Markdown => "markdown",
        }
    }

    /// The writer of this format.
    pub fn writer(self) -> &'static dyn Writer {
        match self {
            Format::Text => &text::Text,
            Format::Json => &json::Json,
            Format::Collapsed => &collapsed::Collapsed,
            Format::Markdown => &markdown::Markdown,
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
    /// The lifetime histograms and the sites by short-lived bytes (text; JSON always has them).
    pub lifetimes: bool,
}

/// One output format's printer.
pub trait Writer {
    /// Which sites the model written must hold: by default the `top` of each ranking.
    fn selection(&self, opts: &ExportOptions) -> Selection {
        Selection { top: opts.top }
    }

    /// Writes `report` (built with [`selection`](Self::selection)'s sites) to `out`.
    fn write(&self, report: &Report, opts: &ExportOptions, out: &mut dyn Write) -> io::Result<()>;
}
