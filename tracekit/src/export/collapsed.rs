//! Collapsed stacks (`main;parse;xmalloc 4096`), the input of flame-graph tools such as
//! `flamegraph.pl` and `inferno-flamegraph`: one line per distinct symbolized stack, outermost
//! function first, weighted by the bytes allocated there (heaptrack_print's `-F` counterpart).

use std::collections::BTreeMap;
use std::io::{self, Write};

use super::{ExportOptions, Writer};
use crate::model::heap::SiteReport;
use crate::model::{Report, Selection};

/// The collapsed-stacks writer.
#[derive(Debug, Clone, Copy)]
pub struct Collapsed;

impl Writer for Collapsed {
    /// Every site, whatever `--top` says.
    fn selection(&self, _opts: &ExportOptions) -> Selection {
        Selection { top: 0 }
    }

    fn write(&self, report: &Report, _opts: &ExportOptions, out: &mut dyn Write) -> io::Result<()> {
        write(report, out)
    }
}

/// Writes every allocation site of `report` (built with every site) as a collapsed stack with
/// its bytes. Several processes are told apart by a first frame `pid N`.
pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    for (stack, bytes) in folded(report, |s| s.bytes) {
        writeln!(out, "{stack} {bytes}")?;
    }
    Ok(())
}

/// Every allocation site of `report` as a collapsed stack, with its `weight` (bytes allocated,
/// leaked, at the peak): the sites with the same symbolized stack added up, those of weight 0
/// left out.
pub fn folded(report: &Report, weight: fn(&SiteReport) -> u64) -> BTreeMap<String, u64> {
    let several = report.heap.processes.len() > 1;
    let mut lines: BTreeMap<String, u64> = BTreeMap::new();
    for site in report.heap.sites.iter().filter(|s| weight(s) > 0) {
        // Outermost first, starting at main when it is there (the C start-up code below it
        // only adds a common root).
        let mut names: Vec<&str> = site
            .frames
            .iter()
            .rev()
            .map(|f| f.function.as_str())
            .collect();
        if let Some(m) = names.iter().position(|&n| n == "main") {
            names.drain(..m);
        }
        let mut line = if several {
            format!("pid {}", site.pid)
        } else {
            String::new()
        };
        for n in names {
            if !line.is_empty() {
                line.push(';');
            }
            // `;` separates frames and the last space the count: keep names free of both.
            line.extend(
                n.chars()
                    .map(|c| if c == ';' || c == ' ' { '_' } else { c }),
            );
        }
        if line.is_empty() {
            line.push_str("[no backtrace]");
        }
        *lines.entry(line).or_insert(0) += weight(site);
    }
    lines
}
