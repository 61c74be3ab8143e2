//! `tracekit segv` (work in progress).

/// Options of `tracekit segv`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs `tracekit segv`; returns the exit status.
pub fn run(_args: Args) -> anyhow::Result<u8> {
    anyhow::bail!("tracekit segv is not implemented yet")
}
