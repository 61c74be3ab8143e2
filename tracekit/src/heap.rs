//! `tracekit heap` (work in progress).

/// Options of `tracekit heap`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `tracekit heap`; returns the exit status.
pub fn run(_args: Args) -> anyhow::Result<u8> {
    anyhow::bail!("tracekit heap is not implemented yet")
}
