//! Collapsed stacks (`main;parse;xmalloc 4096`), the input of flame-graph tools such as
//! `flamegraph.pl` and `inferno-flamegraph`: one line per distinct symbolized stack, outermost
//! function first, weighted by the bytes allocated there (heaptrack_print's `-F` counterpart).

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::analysis::Analysis;
use crate::symbols::{resolve_stack, Resolve};

/// Writes every allocation site of every process as a collapsed stack with its bytes.
/// Several processes are told apart by a first frame `pid N`.
pub fn write(analysis: &Analysis, r: &mut dyn Resolve, out: &mut dyn Write) -> io::Result<()> {
    let several = analysis.processes.len() > 1;
    let mut lines: BTreeMap<String, u64> = BTreeMap::new();
    for (pi, p) in analysis.processes.iter().enumerate() {
        for site in p.sites().iter().filter(|s| s.bytes > 0) {
            let frames = p
                .stack(site.stack)
                .map(|f| resolve_stack(r, pi, &p.modules, f))
                .unwrap_or_default();
            // Outermost first, starting at main when it is there (the C start-up code below it
            // only adds a common root).
            let mut names: Vec<&str> = frames.iter().rev().map(|f| f.function.as_str()).collect();
            if let Some(m) = names.iter().position(|&n| n == "main") {
                names.drain(..m);
            }
            let mut line = if several {
                format!("pid {}", p.info.pid)
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
            *lines.entry(line).or_insert(0) += site.bytes;
        }
    }
    for (stack, bytes) in lines {
        writeln!(out, "{stack} {bytes}")?;
    }
    Ok(())
}
