//! The `-c` summary table, in strace's format (strace's `count.c`), counted by the tracer as
//! it runs (`strace-rs -c`) or from the `Syscall` events of a log (`tracekit report`).

use std::collections::BTreeMap;
use std::io::{self, Write};

/// How rows are sorted (`-S`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortBy {
    /// By total time, longest first (the default).
    #[default]
    Time,
    /// By number of calls.
    Calls,
    /// By number of errors.
    Errors,
    /// By name.
    Name,
    /// By shortest call.
    MinTime,
    /// By longest call.
    MaxTime,
    /// By average time per call.
    AvgTime,
    /// In syscall number order.
    Nothing,
}

impl SortBy {
    /// Parses a `-S` argument (strace's aliases).
    pub fn parse(s: &str) -> Option<SortBy> {
        Some(match s {
            "time" | "time_percent" | "time-percent" | "time_total" | "time-total"
            | "total_time" | "total-time" => SortBy::Time,
            "min_time" | "min-time" | "shortest" | "time_min" | "time-min" => SortBy::MinTime,
            "longest" | "max_time" | "max-time" | "time_max" | "time-max" => SortBy::MaxTime,
            "avg_time" | "avg-time" | "time_avg" | "time-avg" => SortBy::AvgTime,
            "calls" | "count" => SortBy::Calls,
            "error" | "errors" => SortBy::Errors,
            "name" | "syscall" | "syscall_name" | "syscall-name" => SortBy::Name,
            "none" | "nothing" => SortBy::Nothing,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Default)]
struct Row {
    name: String,
    calls: u64,
    errors: u64,
    time_ns: u64,
    min_ns: u64,
    max_ns: u64,
}

/// Per-syscall counts and times.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    rows: BTreeMap<u64, Row>,
}

impl Summary {
    /// An empty summary.
    pub fn new() -> Summary {
        Summary::default()
    }

    /// Counts one finished call of `nr` that took `time_ns` (system or wall time).
    pub fn add(&mut self, nr: u64, name: &str, time_ns: u64, is_error: bool) {
        let r = self.rows.entry(nr).or_insert_with(|| Row {
            name: name.to_owned(),
            min_ns: u64::MAX,
            ..Row::default()
        });
        r.calls += 1;
        r.errors += u64::from(is_error);
        r.time_ns += time_ns;
        r.min_ns = r.min_ns.min(time_ns);
        r.max_ns = r.max_ns.max(time_ns);
    }

    /// Counts one `Syscall` event of the common event log. Times are wall-clock latencies
    /// (entry to exit); a call that never returned is not counted, as strace does.
    pub fn add_event(&mut self, e: &tracekit_log::Syscall<'_>) {
        let Some(ret) = e.ret else { return };
        self.add(
            e.nr,
            &e.name.to_string_lossy(),
            e.exit_ns.saturating_sub(e.entry_ns),
            is_error_ret(ret),
        );
    }

    /// True when nothing was counted.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// `(name, calls, errors)` per syscall, in number order.
    pub fn counts(&self) -> Vec<(String, u64, u64)> {
        self.rows
            .values()
            .map(|r| (r.name.clone(), r.calls, r.errors))
            .collect()
    }

    /// `(name, calls, errors, total time ns)` per syscall, in number order.
    pub fn rows(&self) -> Vec<(String, u64, u64, u64)> {
        self.rows
            .values()
            .map(|r| (r.name.clone(), r.calls, r.errors, r.time_ns))
            .collect()
    }

    /// Prints the table.
    pub fn write(&self, sort: SortBy, out: &mut dyn Write) -> io::Result<()> {
        let mut rows: Vec<&Row> = self.rows.values().collect();
        let avg = |r: &Row| r.time_ns / r.calls.max(1);
        // Stable sorts from number order, like glibc's merge-sort qsort.
        match sort {
            SortBy::Time => rows.sort_by_key(|r| std::cmp::Reverse(r.time_ns)),
            SortBy::Calls => rows.sort_by_key(|r| std::cmp::Reverse(r.calls)),
            SortBy::Errors => rows.sort_by_key(|r| std::cmp::Reverse(r.errors)),
            SortBy::Name => rows.sort_by(|a, b| a.name.cmp(&b.name)),
            SortBy::MinTime => rows.sort_by_key(|r| std::cmp::Reverse(r.min_ns)),
            SortBy::MaxTime => rows.sort_by_key(|r| std::cmp::Reverse(r.max_ns)),
            SortBy::AvgTime => rows.sort_by_key(|r| std::cmp::Reverse(avg(r))),
            SortBy::Nothing => {}
        }
        let total_ns: u64 = rows.iter().map(|r| r.time_ns).sum();
        let calls: u64 = rows.iter().map(|r| r.calls).sum();
        let errors: u64 = rows.iter().map(|r| r.errors).sum();
        let secs = |ns: u64| ns as f64 / 1e9;
        let avg_max = rows.iter().map(|r| avg(r) / 1000).max().unwrap_or(0);
        let name_max = rows.iter().map(|r| r.name.len()).max().unwrap_or(0);
        let w_secs = 11.max(format!("{:.6}", secs(total_ns)).len());
        let w_avg = 11.max(avg_max.to_string().len());
        let w_calls = 9.max(calls.to_string().len());
        let w_err = 9.max(errors.to_string().len());
        let w_name = 16.max(name_max + 1);
        writeln!(
            out,
            "{:>6} {:>w_secs$} {:>w_avg$} {:>w_calls$} {:>w_err$} syscall",
            "% time", "seconds", "usecs/call", "calls", "errors"
        )?;
        let divider = format!(
            "{} {} {} {} {} {}",
            "-".repeat(6),
            "-".repeat(w_secs),
            "-".repeat(w_avg),
            "-".repeat(w_calls),
            "-".repeat(w_err),
            "-".repeat(w_name)
        );
        writeln!(out, "{divider}")?;
        let errs = |e: u64| if e == 0 { String::new() } else { e.to_string() };
        for r in &rows {
            let pct = if r.time_ns == 0 {
                0.0
            } else {
                100.0 * secs(r.time_ns) / secs(total_ns)
            };
            writeln!(
                out,
                "{:>6.2} {:>w_secs$.6} {:>w_avg$} {:>w_calls$} {:>w_err$} {}",
                pct,
                secs(r.time_ns),
                avg(r) / 1000,
                r.calls,
                errs(r.errors),
                r.name
            )?;
        }
        writeln!(out, "{divider}")?;
        let total_avg = if calls == 0 {
            0
        } else {
            (secs(total_ns) / calls as f64 * 1e6) as u64
        };
        writeln!(
            out,
            "{:>6.2} {:>w_secs$.6} {:>w_avg$} {:>w_calls$} {:>w_err$} total",
            100.0,
            secs(total_ns),
            total_avg,
            calls,
            errs(errors)
        )
    }
}

/// True when a raw return value is an error (`-4095..=-1`).
pub fn is_error_ret(ret: i64) -> bool {
    (-4095..0).contains(&ret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_from_event_log_records() {
        let ev = |nr: u64, name: &str, ret: Option<i64>, dt: u64| tracekit_log::Syscall {
            pid: 1,
            tid: 1,
            entry_ns: 1000,
            exit_ns: 1000 + dt,
            nr,
            name: tracekit_log::Bytes(name.as_bytes().to_vec().into()),
            args: [0; 6],
            ret,
            text: tracekit_log::Bytes(Vec::new().into()),
        };
        let events = vec![
            ev(257, "openat", Some(3), 3000),
            ev(257, "openat", Some(-2), 1000),
            ev(0, "read", Some(10), 8000),
            ev(231, "exit_group", None, 0),
        ];
        let mut s = Summary::new();
        for e in &events {
            s.add_event(e);
        }
        let mut out = Vec::new();
        s.write(SortBy::Time, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let rows: Vec<&str> = text.lines().collect();
        assert_eq!(
            rows[2],
            " 66.67    0.000008           8         1           read"
        );
        assert_eq!(
            rows[3],
            " 33.33    0.000004           2         2         1 openat"
        );
        assert_eq!(
            rows[5],
            "100.00    0.000012           4         3         1 total"
        );
        assert_eq!(
            rows.len(),
            6,
            "a call that never returned is not counted:\n{text}"
        );
    }

    #[test]
    fn table_format_matches_strace() {
        let mut s = Summary::new();
        s.add(0, "read", 2000, false);
        s.add(0, "read", 4000, true);
        s.add(257, "openat", 6000, false);
        let mut out = Vec::new();
        s.write(SortBy::Time, &mut out).unwrap();
        let expect = "\
% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 50.00    0.000006           3         2         1 read
 50.00    0.000006           6         1           openat
------ ----------- ----------- --------- --------- ----------------
100.00    0.000012           4         3         1 total
";
        assert_eq!(String::from_utf8(out).unwrap(), expect);
    }
}
