//! `tracekit report` (work in progress).

/// Options of `tracekit report`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `tracekit report`; returns the exit status.
pub fn run(_args: Args) -> anyhow::Result<u8> {
    anyhow::bail!("tracekit report is not implemented yet")
}
