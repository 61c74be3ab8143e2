//! The `-c` summary table, in strace's format (strace's `count.c`), counted by the tracer as
//! it runs (`strace-rs -c`) or from the `Syscall` events of a log (`tracekit report`).

use std::io::{self, Write};

use rustc_hash::FxHashMap;

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

/// A column of the table (`-U`, `--summary-columns`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// `% time`.
    TimePercent,
    /// `seconds`.
    TotalTime,
    /// `shortest`.
    MinTime,
    /// `longest`.
    MaxTime,
    /// `usecs/call`.
    AvgTime,
    /// `calls`.
    Calls,
    /// `errors`.
    Errors,
    /// `syscall`.
    Name,
    /// `pN`: the N-th percentile of the calls' durations (nearest rank), in seconds; not in
    /// strace.
    Percentile(u8),
}

impl Column {
    /// strace's default columns.
    pub const DEFAULT: [Column; 6] = [
        Column::TimePercent,
        Column::TotalTime,
        Column::AvgTime,
        Column::Calls,
        Column::Errors,
        Column::Name,
    ];

    /// One column name: strace's aliases, `min`, `max`, `avg` and `p1`..`p99`.
    fn parse_one(s: &str) -> Option<Column> {
        Some(match s {
            "time" | "time_percent" | "time-percent" => Column::TimePercent,
            "time_total" | "time-total" | "total_time" | "total-time" => Column::TotalTime,
            "min_time" | "min-time" | "shortest" | "time_min" | "time-min" | "min" => {
                Column::MinTime
            }
            "longest" | "max_time" | "max-time" | "time_max" | "time-max" | "max" => {
                Column::MaxTime
            }
            "avg_time" | "avg-time" | "time_avg" | "time-avg" | "avg" => Column::AvgTime,
            "calls" | "count" => Column::Calls,
            "error" | "errors" => Column::Errors,
            "name" | "syscall" | "syscall_name" | "syscall-name" => Column::Name,
            _ => {
                let n: u8 = s.strip_prefix('p')?.parse().ok()?;
                if !(1..=99).contains(&n) || s.starts_with("p0") {
                    return None;
                }
                Column::Percentile(n)
            }
        })
    }

    /// Parses a `-U` list as strace does (its messages: an unknown name, a column given
    /// twice); the name column is added at the end when missing.
    pub fn parse_list(spec: &str) -> Result<Vec<Column>, String> {
        let mut cols = Vec::new();
        let mut rest = spec;
        loop {
            let (item, next) = match rest.split_once(',') {
                Some((a, b)) => (a, Some(b)),
                None => (rest, None),
            };
            match Column::parse_one(item) {
                Some(c) if cols.contains(&c) => {
                    return Err(format!(
                        "call summary column has been provided more than once: '{item}' \
                         (-U option residual: '{rest}')"
                    ))
                }
                Some(c) => cols.push(c),
                None => return Err(format!("unknown column name: '{item}'")),
            }
            match next {
                Some(n) => rest = n,
                None => break,
            }
        }
        if !cols.contains(&Column::Name) {
            cols.push(Column::Name);
        }
        Ok(cols)
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
    /// Every call's time, when percentiles are asked for.
    times: Vec<u64>,
}

/// Per-syscall counts and times.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// By number (the i386 ones with bit 32 set). A hash map, not a `BTreeMap`: strace-rs
    /// adds a call at each return (the B-tree's search was ~100 instructions of the
    /// tracer's ~1400 per call under `-c`); [`Summary::by_number`] orders them for output.
    rows: FxHashMap<u64, Row>,
    keep_times: bool,
}

impl Summary {
    /// An empty summary.
    pub fn new() -> Summary {
        Summary::default()
    }

    /// A summary that keeps every call's time, for the percentile columns.
    pub fn with_percentiles() -> Summary {
        Summary {
            keep_times: true,
            ..Summary::default()
        }
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
        if self.keep_times {
            r.times.push(time_ns);
        }
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

    /// The rows in number order.
    fn by_number(&self) -> Vec<&Row> {
        let mut rows: Vec<(&u64, &Row)> = self.rows.iter().collect();
        rows.sort_unstable_by_key(|(nr, _)| **nr);
        rows.into_iter().map(|(_, r)| r).collect()
    }

    /// `(name, calls, errors)` per syscall, in number order.
    pub fn counts(&self) -> Vec<(String, u64, u64)> {
        self.by_number()
            .into_iter()
            .map(|r| (r.name.clone(), r.calls, r.errors))
            .collect()
    }

    /// `(name, calls, errors, total time ns)` per syscall, in number order.
    pub fn rows(&self) -> Vec<(String, u64, u64, u64)> {
        self.by_number()
            .into_iter()
            .map(|r| (r.name.clone(), r.calls, r.errors, r.time_ns))
            .collect()
    }

    /// Prints the table with strace's default columns.
    pub fn write(&self, sort: SortBy, out: &mut dyn Write) -> io::Result<()> {
        self.write_columns(sort, &Column::DEFAULT, out)
    }

    /// Prints the table with `columns` (`-U`), as strace's `call_summary_pers` does: widths
    /// from the widest value, the name left-aligned, errors blank when 0.
    pub fn write_columns(
        &self,
        sort: SortBy,
        columns: &[Column],
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let mut rows = self.by_number();
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
        let total = Row {
            name: "total".to_owned(),
            calls: rows.iter().map(|r| r.calls).sum(),
            errors: rows.iter().map(|r| r.errors).sum(),
            time_ns: rows.iter().map(|r| r.time_ns).sum(),
            min_ns: rows.iter().map(|r| r.min_ns).min().unwrap_or(u64::MAX),
            max_ns: rows.iter().map(|r| r.max_ns).max().unwrap_or(0),
            times: {
                let mut t: Vec<u64> = rows.iter().flat_map(|r| r.times.iter().copied()).collect();
                t.sort_unstable();
                t
            },
        };
        let secs = |ns: u64| ns as f64 / 1e9;
        let whole_secs = |ns: u64| format!("{}.000000", ns / 1_000_000_000).len();
        let width = |c: Column| -> usize {
            match c {
                Column::TimePercent => 6,
                Column::TotalTime => 11.max(format!("{:.6}", secs(total.time_ns)).len()),
                Column::MinTime => {
                    8.max(whole_secs(rows.iter().map(|r| r.min_ns).max().unwrap_or(0)))
                }
                Column::MaxTime => 7.max(whole_secs(total.max_ns)),
                Column::AvgTime => 11.max(
                    (rows.iter().map(|r| avg(r)).max().unwrap_or(0) / 1000)
                        .to_string()
                        .len(),
                ),
                Column::Calls => 9.max(total.calls.to_string().len()),
                Column::Errors => 9.max(total.errors.to_string().len()),
                Column::Name => 16.max(rows.iter().map(|r| r.name.len()).max().unwrap_or(0) + 1),
                Column::Percentile(p) => format!("p{p}").len().max(whole_secs(total.max_ns)),
            }
        };
        let last = columns.len().saturating_sub(1);
        let mut header = Vec::new();
        let mut divider = Vec::new();
        for (i, &c) in columns.iter().enumerate() {
            let w = width(c);
            let title = match c {
                Column::TimePercent => "% time".to_owned(),
                Column::TotalTime => "seconds".to_owned(),
                Column::MinTime => "shortest".to_owned(),
                Column::MaxTime => "longest".to_owned(),
                Column::AvgTime => "usecs/call".to_owned(),
                Column::Calls => "calls".to_owned(),
                Column::Errors => "errors".to_owned(),
                Column::Name if i == last => "syscall".to_owned(),
                Column::Name => format!("{:<w$}", "syscall"),
                Column::Percentile(p) => format!("p{p}"),
            };
            header.push(match c {
                Column::Name => title,
                _ => format!("{title:>w$}"),
            });
            divider.push("-".repeat(w));
        }
        writeln!(out, "{}", header.join(" "))?;
        let divider = divider.join(" ");
        writeln!(out, "{divider}")?;
        let cells = |r: &Row, is_total: bool| -> String {
            let mut line = Vec::new();
            for (i, &c) in columns.iter().enumerate() {
                let w = width(c);
                line.push(match c {
                    Column::TimePercent => {
                        let pct = if is_total {
                            100.0
                        } else if r.time_ns == 0 {
                            0.0
                        } else {
                            100.0 * secs(r.time_ns) / secs(total.time_ns)
                        };
                        format!("{pct:>w$.2}")
                    }
                    Column::TotalTime => format!("{:>w$.6}", secs(r.time_ns)),
                    Column::MinTime => format!("{:>w$.6}", secs(r.min_ns)),
                    Column::MaxTime => format!("{:>w$.6}", secs(r.max_ns)),
                    Column::AvgTime if is_total => {
                        let a = if r.calls == 0 {
                            0
                        } else {
                            (secs(r.time_ns) / r.calls as f64 * 1e6) as u64
                        };
                        format!("{a:>w$}")
                    }
                    Column::AvgTime => format!("{:>w$}", avg(r) / 1000),
                    Column::Calls => format!("{:>w$}", r.calls),
                    Column::Errors if r.errors == 0 => " ".repeat(w),
                    Column::Errors => format!("{:>w$}", r.errors),
                    Column::Name if i == last => r.name.clone(),
                    Column::Name => format!("{:<w$}", r.name),
                    Column::Percentile(p) => {
                        let mut t = r.times.clone();
                        t.sort_unstable();
                        format!("{:>w$.6}", secs(percentile(&t, p)))
                    }
                });
            }
            line.join(" ")
        };
        for r in &rows {
            writeln!(out, "{}", cells(r, false))?;
        }
        writeln!(out, "{divider}")?;
        writeln!(out, "{}", cells(&total, true))
    }
}

/// The `p`-th percentile of `sorted` by nearest rank (the smallest value with at least `p`%
/// of the values at or below it); 0 when empty.
fn percentile(sorted: &[u64], p: u8) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (usize::from(p) * sorted.len()).div_ceil(100);
    sorted[rank.clamp(1, sorted.len()) - 1]
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
    fn columns_parse_like_strace() {
        assert_eq!(
            Column::parse_list("max-time,calls").unwrap(),
            [Column::MaxTime, Column::Calls, Column::Name]
        );
        assert_eq!(
            Column::parse_list("p50,p99,max,name").unwrap(),
            [
                Column::Percentile(50),
                Column::Percentile(99),
                Column::MaxTime,
                Column::Name
            ]
        );
        assert_eq!(
            Column::parse_list("calls,foo").unwrap_err(),
            "unknown column name: 'foo'"
        );
        assert_eq!(
            Column::parse_list("calls,count").unwrap_err(),
            "call summary column has been provided more than once: 'count' (-U option \
             residual: 'count')"
        );
        for bad in ["p0", "p100", "p05", "p", "", "none"] {
            assert!(Column::parse_list(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let mut s = Summary::with_percentiles();
        for us in 1..=100 {
            s.add(0, "read", us * 1000, false);
        }
        s.add(1, "write", 7_000_000_000, false);
        let mut out = Vec::new();
        let cols = Column::parse_list("p50,p90,p99,max,calls").unwrap();
        s.write_columns(SortBy::Name, &cols, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "     p50      p90      p99  longest     calls syscall
-------- -------- -------- -------- --------- ----------------
0.000050 0.000090 0.000099 0.000100       100 read
7.000000 7.000000 7.000000 7.000000         1 write
-------- -------- -------- -------- --------- ----------------
0.000051 0.000091 0.000100 7.000000       101 total
"
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
