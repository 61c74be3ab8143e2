//! `--output-format=json`: the events of `tracekit_log::strace` (schema `tracekit.strace/3`),
//! built from what the text output would print.

use std::time::{SystemTime, UNIX_EPOCH};

use tracekit_log::strace::{self, Header, TraceEvent};

use crate::config::Config;

/// The clock of the events: ns since the trace started, strictly increasing, so that the
/// order of the events' times is the order in which the text would have been printed.
#[derive(Debug)]
pub struct Clock {
    /// The start on [`crate::sys::monotonic_ns`]'s clock.
    start: u64,
    start_unix_ns: u64,
    last: Option<u64>,
}

impl Clock {
    /// Starts now.
    pub fn new() -> Clock {
        Clock {
            start: crate::sys::monotonic_ns(),
            start_unix_ns: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64),
            last: None,
        }
    }

    /// The time of `at` (ns on the monotonic clock, `Instant`'s) on this clock (later than
    /// every time given before).
    pub fn stamp(&mut self, at: u64) -> u64 {
        let ns = at.saturating_sub(self.start);
        let ns = match self.last {
            Some(l) => ns.max(l + 1),
            None => ns,
        };
        self.last = Some(ns);
        ns
    }

    /// The time now.
    pub fn now(&mut self) -> u64 {
        self.stamp(crate::sys::monotonic_ns())
    }

    /// The first line of a stream for `cfg`.
    pub fn header(&self, cfg: &Config, pid_prefix_always: bool) -> String {
        strace::to_line(&TraceEvent::Header(Header {
            schema: strace::SCHEMA.to_owned(),
            start_unix_ns: self.start_unix_ns,
            columns: cfg.acolumn,
            pid_prefix_always,
            shared: !cfg.output_separately,
            syscall_times: cfg.syscall_times,
            syscall_number: cfg.syscall_number,
            whole_lines: !cfg.status.is_all(),
            timestamps: match cfg.timestamps {
                crate::config::Timestamps::None => None,
                crate::config::Timestamps::Time(digits) => Some(strace::Timestamps {
                    digits,
                    unix: false,
                }),
                crate::config::Timestamps::Unix(digits) => {
                    Some(strace::Timestamps { digits, unix: true })
                }
            },
            relative: cfg.relative,
            instruction_pointer: cfg.instruction_pointer,
            pid_comm: cfg.decode.pid_comm,
        }))
    }

    /// The wall-clock time (ns since the epoch) of the event time `ns`.
    pub fn unix(&self, ns: u64) -> u64 {
        self.start_unix_ns + ns
    }
}

impl Default for Clock {
    fn default() -> Clock {
        Clock::new()
    }
}
