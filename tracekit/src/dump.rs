//! `tracekit dump LOG`: every event as one JSON object per line, for people and scripts.

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
