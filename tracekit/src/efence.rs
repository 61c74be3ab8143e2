//! `tracekit efence -- CMD ARGS...`: runs a command with the fence allocator
//! (`preload-efence`) preloaded: every block against a guard page, so an overflow, an
//! underflow (`--protect-below`) or a use after free faults where it happens and gets a report
//! with the block's allocation and free stacks. The command replaces tracekit (`exec`): its pid,
//! exit status and death by signal are its own. Each option sets the variable the library
//! reads (Electric Fence's `EF_*` where one exists), so the same run can be had with
//! `LD_PRELOAD` alone.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::preload::{self, absolute};

/// What `tracekit efence` does (the command line's `cli::efence` makes it).
#[derive(Debug, Clone, Default)]
pub struct EfenceConfig {
    /// The command and its arguments (not empty).
    pub command: Vec<OsString>,
    /// `--preload`: the library or its directory.
    pub preload: Option<PathBuf>,
    /// `EF_ALIGNMENT`.
    pub alignment: Option<u32>,
    /// `EF_PROTECT_BELOW=1`.
    pub protect_below: bool,
    /// `EF_PROTECT_FREE=1`.
    pub protect_free: bool,
    /// `EF_ALLOW_MALLOC_0=0`.
    pub forbid_malloc_0: bool,
    /// `EF_FILL`.
    pub fill: Option<u8>,
    /// `TRACEKIT_EFENCE_SAMPLE`.
    pub sample: Option<u32>,
    /// `TRACEKIT_EFENCE_QUARANTINE`, in bytes.
    pub quarantine: Option<u64>,
    /// Also append reports to this file.
    pub output: Option<PathBuf>,
    /// Also record faults in this event log.
    pub log: Option<PathBuf>,
    /// Symbolize the frames; false prints raw frames.
    pub symbolize: bool,
    /// `TRACEKIT_LEAK_CHECK`: `summary` or `full` (the check at exit, as the heap tracker's).
    pub leak_check: Option<String>,
}

impl EfenceConfig {
    /// The variables the library reads, for this configuration.
    pub fn environment(&self) -> anyhow::Result<Vec<(&'static str, OsString)>> {
        let mut env: Vec<(&'static str, OsString)> = Vec::new();
        if let Some(a) = self.alignment {
            env.push(("EF_ALIGNMENT", a.to_string().into()));
        }
        if self.protect_below {
            env.push(("EF_PROTECT_BELOW", "1".into()));
        }
        if self.protect_free {
            env.push(("EF_PROTECT_FREE", "1".into()));
        }
        if self.forbid_malloc_0 {
            env.push(("EF_ALLOW_MALLOC_0", "0".into()));
        }
        if let Some(f) = self.fill {
            env.push(("EF_FILL", f.to_string().into()));
        }
        if let Some(n) = self.sample {
            env.push(("TRACEKIT_EFENCE_SAMPLE", n.to_string().into()));
        }
        if let Some(q) = self.quarantine {
            env.push(("TRACEKIT_EFENCE_QUARANTINE", q.to_string().into()));
        }
        if let Some(o) = &self.output {
            env.push(("TRACEKIT_SEGV_OUTPUT", absolute(o.clone())?.into()));
        }
        if let Some(l) = &self.log {
            env.push(("TRACEKIT_LOG", absolute(l.clone())?.into()));
        }
        if !self.symbolize {
            env.push(("TRACEKIT_SEGV_SYMBOLIZE", "0".into()));
        }
        if let Some(l) = &self.leak_check {
            env.push(("TRACEKIT_LEAK_CHECK", l.into()));
        }
        Ok(env)
    }
}

/// Runs `tracekit efence`: replaces this process with the command; returns the exit status
/// only when the command cannot be started.
pub fn run(c: &EfenceConfig) -> anyhow::Result<u8> {
    let mut cmd = preload::command(preload::EFENCE, c.preload.as_deref(), &c.command)?;
    cmd.envs(c.environment()?);
    crate::segv::exec_with_symbolizer(cmd, &c.command[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_become_the_librarys_variables() {
        let c = EfenceConfig {
            alignment: Some(1),
            protect_below: true,
            fill: Some(0xaa),
            sample: Some(100),
            quarantine: Some(1 << 20),
            symbolize: false,
            leak_check: Some("full".into()),
            ..EfenceConfig::default()
        };
        let env = c.environment().unwrap();
        let get = |k: &str| env.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone());
        assert_eq!(get("EF_ALIGNMENT"), Some("1".into()));
        assert_eq!(get("EF_PROTECT_BELOW"), Some("1".into()));
        assert_eq!(get("EF_FILL"), Some("170".into()));
        assert_eq!(get("TRACEKIT_EFENCE_SAMPLE"), Some("100".into()));
        assert_eq!(get("TRACEKIT_EFENCE_QUARANTINE"), Some("1048576".into()));
        assert_eq!(get("TRACEKIT_SEGV_SYMBOLIZE"), Some("0".into()));
        assert_eq!(get("TRACEKIT_LEAK_CHECK"), Some("full".into()));
        assert_eq!(get("EF_PROTECT_FREE"), None);
    }
}
