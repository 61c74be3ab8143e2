//! Chrome's trace event format (the JSON object form, `{"traceEvents": [...]}`, as Perfetto UI
//! and `chrome://tracing` open it): per process a counter track of its heap (`C` events,
//! `heap` with the bytes live), crashes, fence findings and signals as instant events (`i`),
//! and for strace-rs logs one complete slice (`X`) per system call per thread, with the line
//! strace prints and the return value in its args. Processes and threads are named with
//! metadata events (`M`); a strace-rs log's process by the program it ran and its parent
//! (`ls (124, child of 123)`: the process tree).
//!
//! Times are µs (`ts`, `dur`, fractional). A heap log's times count from its process's start,
//! shifted by the process's start on the monotonic clock so the processes of one run line up;
//! a strace-rs log's count from the tracer's start. The heap counter has one value per span of
//! the log's clock (at most [`Counter::MAX_POINTS`](crate::analysis::detail::Counter::MAX_POINTS)
//! per process): the most bytes live during it, then, when it ended lower, the bytes live after
//! its last event, one clock tick after that event's time (when the event happened at the
//! latest).

use std::io::{self, Write};

use serde_json::{json, Value};

use super::{ExportOptions, Format, Writer};
use crate::analysis::detail::Detail;
use crate::model::Report;

/// The Chrome trace writer.
#[derive(Debug, Clone, Copy)]
pub struct Chrome;

impl Writer for Chrome {
    fn needs_detail(&self) -> bool {
        true
    }

    fn needs_heap_counter(&self) -> bool {
        true
    }

    fn write(&self, report: &Report, _opts: &ExportOptions, out: &mut dyn Write) -> io::Result<()> {
        let events = events(report)?;
        writeln!(out, "{{\"displayTimeUnit\":\"ms\",\"traceEvents\":[")?;
        for (i, e) in events.iter().enumerate() {
            if i > 0 {
                writeln!(out, ",")?;
            }
            serde_json::to_writer(&mut *out, e).map_err(io::Error::from)?;
        }
        writeln!(out, "\n]}}")
    }
}

fn us(ns: u64) -> f64 {
    ns as f64 / 1000.0
}

/// Every event of the trace of `report` (built with the detail pass).
pub fn events(report: &Report) -> io::Result<Vec<Value>> {
    let detail: &Detail = report
        .detail
        .as_deref()
        .ok_or_else(|| super::needs_detail(Format::Chrome))?;
    let mut ev = Vec::new();
    // The processes' starts, relative to the earliest (0 when the log has no start).
    let base = detail
        .processes
        .iter()
        .map(|p| p.start_mono_ns)
        .filter(|&s| s != 0)
        .min()
        .unwrap_or(0);
    let offset = |i: usize| {
        detail
            .processes
            .get(i)
            .map_or(0, |p| p.start_mono_ns.saturating_sub(base))
    };
    // A strace-rs log's processes are named by the program they last ran (their successful
    // `execve`; a forked child's record names its parent's program) and by their parent, so
    // the process tree reads from the track names.
    let mut ran: std::collections::HashMap<u32, &str> = std::collections::HashMap::new();
    for s in &detail.syscalls {
        if s.name == "execve" && s.ret == Some(0) {
            if let Some(path) = s
                .text
                .strip_prefix("execve(\"")
                .and_then(|t| t.split('"').next())
            {
                ran.insert(s.pid, path);
            }
        }
    }
    let pids: std::collections::HashSet<u32> =
        report.heap.processes.iter().map(|p| p.pid).collect();
    for (i, p) in report.heap.processes.iter().enumerate() {
        let exe = ran.get(&p.pid).copied().unwrap_or(&p.exe);
        let name = exe.rsplit('/').next().unwrap_or(exe);
        let name = if name.is_empty() { "?" } else { name };
        let label = match p.ppid {
            ppid if ppid != p.pid && pids.contains(&ppid) => {
                format!("{name} ({}, child of {ppid})", p.pid)
            }
            _ => format!("{name} ({})", p.pid),
        };
        ev.push(
            json!({"ph": "M", "name": "process_name", "ts": 0, "pid": p.pid, "tid": p.pid,
            "args": {"name": label}}),
        );
        let Some(d) = detail.processes.get(i) else {
            continue;
        };
        for (tid, name) in &d.threads {
            ev.push(
                json!({"ph": "M", "name": "thread_name", "ts": 0, "pid": p.pid, "tid": tid,
                "args": {"name": name}}),
            );
        }
        let at = offset(i);
        // An event stamped t happened in [t, t + resolution): by then the point's heap was
        // at its last value, unless the next point starts first.
        let res = p.clock_res_ns.max(1);
        let points = &d.counter.points;
        for (k, pt) in points.iter().enumerate() {
            ev.push(
                json!({"ph": "C", "name": "heap", "cat": "heap", "ts": us(at + pt.first_ns),
                "pid": p.pid, "tid": p.pid, "args": {"bytes": pt.max}}),
            );
            let settled = pt.last_ns.max(pt.first_ns + res);
            let next = points.get(k + 1).map_or(u64::MAX, |n| n.first_ns);
            if pt.last != pt.max && settled < next {
                ev.push(json!({"ph": "C", "name": "heap", "cat": "heap",
                    "ts": us(at + settled), "pid": p.pid, "tid": p.pid,
                    "args": {"bytes": pt.last}}));
            }
        }
    }
    for m in &detail.marks {
        let at = m.process.map_or(0, offset);
        ev.push(json!({"ph": "i", "s": "t", "name": m.name, "cat": "event",
            "ts": us(at + m.time_ns), "pid": m.pid, "tid": m.tid}));
    }
    // A call that never returned lasts to the end of the trace.
    let end = detail
        .syscalls
        .iter()
        .map(|s| s.exit_ns.unwrap_or(s.entry_ns))
        .max()
        .unwrap_or(0);
    let mut calls: Vec<_> = detail.syscalls.iter().collect();
    calls.sort_by_key(|s| (s.pid, s.tid, s.entry_ns));
    for s in calls {
        let exit = s.exit_ns.unwrap_or(end).max(s.entry_ns);
        let mut args = json!({"call": s.text});
        match s.ret {
            Some(r) if s.exit_ns.is_some() => args["return"] = json!(r),
            _ => args["returned"] = json!(false),
        }
        ev.push(
            json!({"ph": "X", "name": s.name, "cat": "syscall", "ts": us(s.entry_ns),
            "dur": us(exit - s.entry_ns), "pid": s.pid, "tid": s.tid, "args": args}),
        );
    }
    Ok(ev)
}
