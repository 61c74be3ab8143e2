//! The JSON report: the [`Report`] model serialized as the schema `tracekit.heap-report/2`
//! (`tracekit/SCHEMA.md`), pretty-printed, one document.

use std::io::{self, Write};

use super::{ExportOptions, Writer};
use crate::model::Report;

/// The JSON writer.
#[derive(Debug, Clone, Copy)]
pub struct Json;

impl Writer for Json {
    fn needs_timeline(&self) -> bool {
        true
    }

    fn needs_lifetimes(&self) -> bool {
        true
    }

    fn write(&self, report: &Report, _opts: &ExportOptions, out: &mut dyn Write) -> io::Result<()> {
        // As an io::Error, so a closed pipe is recognized (and is not an error).
        serde_json::to_writer_pretty(&mut *out, report).map_err(io::Error::from)?;
        writeln!(out)
    }
}
