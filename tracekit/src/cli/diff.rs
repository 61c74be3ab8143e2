//! `tracekit diff`'s arguments.

use std::path::PathBuf;

use super::report::{chosen_format, ReportFormat};
use tracekit::diff::{DiffConfig, DiffGates, Limit};

/// Options of `tracekit diff`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "LIMIT: a percentage of the base (5%) or an amount (64KiB, 1000).\n\
Exit status: 0; 1 when a --max-*-increase gate fails; 3 when a log is damaged (the diff \
covers what precedes the damage); 2 on errors.\n\
JSON schema: tracekit.diff/1 (tracekit/SCHEMA.md)."
)]
pub struct Args {
    /// Print JSON (schema `tracekit.diff/1`, see SCHEMA.md) instead of text.
    #[arg(long)]
    pub json: bool,
    /// The format: `text`, `json` (as --json), or `markdown` (tables for a CI step summary).
    #[arg(long, value_enum, value_name = "FORMAT", conflicts_with = "json")]
    pub format: Option<ReportFormat>,
    /// Sites (or system calls) listed, by regression; 0 lists all (JSON always has all).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,
    /// Match sites by their addresses instead of their symbolized backtraces (only useful
    /// for two runs of one binary without ASLR).
    #[arg(long)]
    pub no_symbols: bool,
    /// Fail (exit 1) when the heap peak grew by more than LIMIT.
    #[arg(long, value_name = "LIMIT")]
    pub max_peak_increase: Option<Limit>,
    /// Fail (exit 1) when the bytes leaked grew by more than LIMIT.
    #[arg(long, value_name = "LIMIT")]
    pub max_leaked_increase: Option<Limit>,
    /// Fail (exit 1) when the number of allocations grew by more than LIMIT.
    #[arg(long, value_name = "LIMIT")]
    pub max_allocs_increase: Option<Limit>,
    /// Fail (exit 1) when the number of temporary allocations grew by more than LIMIT.
    #[arg(long, value_name = "LIMIT")]
    pub max_temporary_increase: Option<Limit>,
    /// The base run's log (a directory: every `*.tklog` in it).
    #[arg(value_name = "BASE")]
    pub base: PathBuf,
    /// The new run's log.
    #[arg(value_name = "NEW")]
    pub new: PathBuf,
}

impl Args {
    /// The diff's plain config.
    pub fn into_config(self) -> DiffConfig {
        DiffConfig {
            base: vec![self.base],
            new: vec![self.new],
            format: chosen_format(self.json, self.format),
            top: self.top,
            symbolize: !self.no_symbols,
            gates: DiffGates {
                max_peak_increase: self.max_peak_increase,
                max_leaked_increase: self.max_leaked_increase,
                max_allocs_increase: self.max_allocs_increase,
                max_temporary_increase: self.max_temporary_increase,
            },
        }
    }
}
