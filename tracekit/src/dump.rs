//! `tracekit dump LOG`: every event as one JSON object per line, for people and scripts; and
//! `tracekit dump --strace-text`, strace-rs's JSON output as strace's text.

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Context;

/// Dumps `log` to stdout; returns 3 when the log is damaged (after dumping what precedes
/// it), as `tracekit report` does.
pub fn run(log: &Path) -> anyhow::Result<u8> {
    let file =
        std::fs::File::open(log).with_context(|| format!("cannot open {}", log.display()))?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let ok = dump(file, &mut out).with_context(|| log.display().to_string())?;
    out.flush()?;
    Ok(if ok { 0 } else { crate::report::EXIT_DAMAGED })
}

/// `tracekit dump --strace-text FILE`: strace-rs's JSON output (`--output-format=json`,
/// schema `tracekit.strace/3`) back to the text strace-rs prints, on stdout.
pub fn strace_text(path: &Path) -> anyhow::Result<u8> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let events = tracekit_log::strace::read_events(std::io::BufReader::new(file))
        .with_context(|| path.display().to_string())?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    tracekit_log::strace::write_text(&events, &mut out)
        .with_context(|| path.display().to_string())?;
    out.flush()?;
    Ok(0)
}

/// Writes each event of `log` as a JSON line to `out`. Returns false (after writing the events
/// before it and a message on stderr) when the log is damaged.
pub fn dump(log: impl std::io::Read, out: &mut dyn Write) -> anyhow::Result<bool> {
    let mut reader = tracekit_log::Reader::new(log)?;
    loop {
        match reader.next_event() {
            Ok(Some(ev)) => {
                serde_json::to_writer(&mut *out, &tracekit_log::json::Json(&ev))
                    .map_err(std::io::Error::from)?;
                out.write_all(b"\n")?;
            }
            Ok(None) => return Ok(true),
            Err(e) => {
                out.flush()?;
                eprintln!("tracekit: {e}");
                return Ok(false);
            }
        }
    }
}
