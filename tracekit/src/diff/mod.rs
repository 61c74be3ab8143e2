//! `tracekit diff BASE NEW`: what changed between two runs, for CI.
//!
//! Each side is one or more logs (a directory: the logs of one `tracekit heap` run), read by the
//! same analysis as `tracekit report` and modelled with every site. For heap logs, the totals
//! (peak, leaked, bytes allocated, allocations, temporary) and every allocation site are
//! compared; sites are matched across the runs by their symbolized backtrace (each frame's
//! [`label`](crate::symbols::ResolvedFrame::label): function and file:line, not addresses, which
//! ASLR and rebuilds move) with the allocation function and the executable's name. For strace-rs
//! logs, the calls, errors and total time of each system call. The changes are sorted by
//! regression; gates (`--max-peak-increase 5%`) turn them into an exit status.
//!
//! Exit status: 0; 1 when a gate fails; 3 when a log is damaged (the diff covers the events
//! before the damage); 2 for errors (unreadable logs, logs of two different tools).

pub mod write;

use std::collections::HashMap;
use std::fmt;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::str::FromStr;

use crate::export::Format;
use crate::model::{self, DamageReport, Report, Selection};
use crate::report::{self as rep, GateResult, EXIT_DAMAGED, EXIT_GATE};
use crate::size::Size;
use crate::symbols::{NoSymbols, Resolve, Symbols};

/// The schema name and version of the JSON diff.
pub const SCHEMA: &str = "tracekit.diff/1";

/// How much a number may grow: a percentage of the base, or an amount (bytes, or a count).
#[derive(Debug, Clone, PartialEq)]
pub enum Limit {
    /// At most this percentage of the base value (`5%`).
    Percent(f64),
    /// At most this much (`64KiB`, `1000`).
    Amount(Size),
}

impl FromStr for Limit {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || {
            format!(
                "invalid limit {s:?}; use a percentage of the base (5%) or an amount (64KiB, 1000)"
            )
        };
        let t = s.trim();
        if let Some(p) = t.strip_suffix('%') {
            let p: f64 = p.trim().parse().map_err(|_| bad())?;
            if !p.is_finite() || p < 0.0 {
                return Err(bad());
            }
            return Ok(Limit::Percent(p));
        }
        t.parse::<Size>().map(Limit::Amount).map_err(|_| bad())
    }
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Limit::Percent(p) => write!(f, "{p}%"),
            Limit::Amount(s) => write!(f, "{}", s.text),
        }
    }
}

/// The diff's gates: how much each total may grow from BASE to NEW.
#[derive(Debug, Clone, Default)]
pub struct DiffGates {
    /// The heap peak.
    pub max_peak_increase: Option<Limit>,
    /// Bytes leaked.
    pub max_leaked_increase: Option<Limit>,
    /// Allocations (blocks handed out).
    pub max_allocs_increase: Option<Limit>,
    /// Temporary allocations.
    pub max_temporary_increase: Option<Limit>,
}

impl DiffGates {
    fn is_empty(&self) -> bool {
        self.max_peak_increase.is_none()
            && self.max_leaked_increase.is_none()
            && self.max_allocs_increase.is_none()
            && self.max_temporary_increase.is_none()
    }

    /// Every configured gate, checked against the heap totals of `d`.
    pub fn results(&self, d: &HeapDiff) -> Vec<GateResult> {
        let gates = [
            (
                "--max-peak-increase",
                &self.max_peak_increase,
                &d.peak,
                "heap peak",
            ),
            (
                "--max-leaked-increase",
                &self.max_leaked_increase,
                &d.leaked,
                "bytes leaked",
            ),
            (
                "--max-allocs-increase",
                &self.max_allocs_increase,
                &d.allocs,
                "allocations",
            ),
            (
                "--max-temporary-increase",
                &self.max_temporary_increase,
                &d.temporary,
                "temporary allocations",
            ),
        ];
        gates
            .into_iter()
            .filter_map(|(gate, limit, change, what)| {
                let limit = limit.as_ref()?;
                let increase = change.new.saturating_sub(change.base);
                let passed = match limit {
                    Limit::Percent(_) if change.base == 0 => increase == 0,
                    Limit::Percent(p) => increase as f64 * 100.0 <= p * change.base as f64,
                    Limit::Amount(a) => increase <= a.bytes,
                };
                let actual = format!(
                    "{what} {} -> {} ({})",
                    change.base,
                    change.new,
                    change.delta_text()
                );
                Some(GateResult {
                    gate: gate.to_owned(),
                    limit: limit.to_string(),
                    message: format!("{actual} exceeds {gate} {limit}"),
                    actual,
                    passed,
                })
            })
            .collect()
    }
}

/// What `tracekit diff` needs (the command line's `cli::diff` makes it).
#[derive(Debug, Clone)]
pub struct DiffConfig {
    /// The base run's logs (a directory stands for its logs).
    pub base: Vec<PathBuf>,
    /// The new run's logs.
    pub new: Vec<PathBuf>,
    /// Text, JSON or Markdown.
    pub format: Format,
    /// Sites or system calls listed (0: all) in text and Markdown.
    pub top: usize,
    /// Symbolize backtraces (without symbols, sites match only when their addresses do).
    pub symbolize: bool,
    /// CI limits.
    pub gates: DiffGates,
}

/// A number in both runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    /// In BASE.
    pub base: u64,
    /// In NEW.
    pub new: u64,
    /// `new - base`.
    pub delta: i64,
}

impl Change {
    /// The change from `base` to `new`.
    pub fn new(base: u64, new: u64) -> Self {
        let delta = i128::from(new) - i128::from(base);
        Change {
            base,
            new,
            delta: delta.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64,
        }
    }

    /// `+12 (+5.3%)`, `-4 (-100.0%)`, `0`, `+7 (new)`.
    pub fn delta_text(&self) -> String {
        if self.delta == 0 {
            return "0".to_owned();
        }
        if self.base == 0 {
            return format!("{:+} (new)", self.delta);
        }
        let tenths = i128::from(self.delta) * 1000 / i128::from(self.base);
        let sign = if tenths < 0 { "-" } else { "+" };
        let t = tenths.unsigned_abs();
        format!("{:+} ({sign}{}.{}%)", self.delta, t / 10, t % 10)
    }
}

/// What the logs of one side were.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Side {
    /// The logs read.
    pub logs: Vec<String>,
    /// Where damaged logs stop.
    pub damage: Vec<DamageReport>,
}

/// Which tool's logs were compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Heap logs (the heap tracker).
    Heap,
    /// System-call logs (`strace-rs --log`).
    Syscalls,
}

/// The whole diff (serialized: the JSON schema `tracekit.diff/1`).
#[derive(Debug, Clone, serde::Serialize)]
pub struct Diff {
    /// Always [`SCHEMA`].
    pub schema: &'static str,
    /// Which tool's logs.
    pub kind: Kind,
    /// The base run.
    pub base: Side,
    /// The new run.
    pub new: Side,
    /// False when a log was damaged.
    pub complete: bool,
    /// The heap's changes (heap logs).
    pub heap: Option<HeapDiff>,
    /// The system calls' changes (strace-rs logs).
    pub syscalls: Option<SyscallDiff>,
    /// The gates checked.
    pub gates: Vec<GateResult>,
}

/// The heap's changes.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HeapDiff {
    /// The heap peak (of the largest process).
    pub peak: Change,
    /// Bytes leaked.
    pub leaked: Change,
    /// Bytes of every block handed out.
    pub bytes_allocated: Change,
    /// Blocks handed out.
    pub allocs: Change,
    /// Temporary allocations.
    pub temporary: Change,
    /// The leak checks' figures (`TRACEKIT_LEAK_CHECK`, `tracekit heap --leak-check`), when
    /// either run made one.
    pub leak_check: Option<LeakCheckDiff>,
    /// Sites that changed, by regression (see [`SiteDiff::regression`]).
    pub sites: Vec<SiteDiff>,
    /// Sites found in both runs with the same numbers.
    pub unchanged_sites: u64,
}

/// memcheck's LEAK SUMMARY, in bytes, summed over the last check of each process of a run
/// (a run without a check counts 0).
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct LeakCheckDiff {
    /// Definitely lost.
    pub definite: Change,
    /// Indirectly lost.
    pub indirect: Change,
    /// Possibly lost.
    pub possible: Change,
    /// Still reachable.
    pub reachable: Change,
    /// Suppressed (none: the diff applies no suppressions).
    pub suppressed: Change,
}

impl LeakCheckDiff {
    /// The figures of two runs, `None` when neither made a leak check.
    fn of(base: &Report, new: &Report) -> Option<LeakCheckDiff> {
        if base.leaks.is_empty() && new.leaks.is_empty() {
            return None;
        }
        let sum = |r: &Report, f: fn(&model::leak::LeakSummary) -> u64| -> u64 {
            r.leaks
                .iter()
                .filter(|l| l.last)
                .map(|l| f(&l.summary))
                .sum()
        };
        let change =
            |f: fn(&model::leak::LeakSummary) -> u64| Change::new(sum(base, f), sum(new, f));
        Some(LeakCheckDiff {
            definite: change(|s| s.definite.bytes),
            indirect: change(|s| s.indirect.bytes),
            possible: change(|s| s.possible.bytes),
            reachable: change(|s| s.reachable.bytes),
            suppressed: change(|s| s.suppressed.bytes),
        })
    }
}

/// Whether a site is in both runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SiteStatus {
    /// Only in NEW.
    New,
    /// Only in BASE.
    Gone,
    /// In both.
    Changed,
}

/// One allocation site's changes.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SiteDiff {
    /// In both runs or one.
    pub status: SiteStatus,
    /// The executable's file name.
    pub exe: String,
    /// The allocation function.
    pub function: String,
    /// The backtrace, innermost first, as frame labels.
    pub frames: Vec<String>,
    /// Bytes live at the heap peak.
    pub peak_bytes: Change,
    /// Bytes leaked.
    pub leaked_bytes: Change,
    /// Bytes allocated.
    pub bytes: Change,
    /// Allocation calls.
    pub calls: Change,
    /// Temporary allocations.
    pub temporary: Change,
}

impl SiteDiff {
    /// How much worse the site got, the order of [`HeapDiff::sites`]: the growth of its bytes
    /// at the peak, leaked and allocated together, then of its calls.
    pub fn regression(&self) -> (i128, i64, i64) {
        let bytes = i128::from(self.peak_bytes.delta)
            + i128::from(self.leaked_bytes.delta)
            + i128::from(self.bytes.delta);
        (bytes, self.calls.delta, self.temporary.delta)
    }
}

/// The system calls' changes.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SyscallDiff {
    /// Calls of every system call.
    pub calls: Change,
    /// Failed calls.
    pub errors: Change,
    /// Time in system calls, ns (wall-clock latencies, entry to exit).
    pub time_ns: Change,
    /// Each system call in either run: those whose count or errors changed first (most
    /// first), then by the growth of their time.
    pub syscalls: Vec<SyscallRowDiff>,
}

/// One system call's changes.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SyscallRowDiff {
    /// Its name.
    pub name: String,
    /// Calls.
    pub calls: Change,
    /// Failed calls.
    pub errors: Change,
    /// Total time, ns.
    pub time_ns: Change,
}

impl SyscallRowDiff {
    /// True when its count or its errors changed (its time always does a little).
    pub fn count_changed(&self) -> bool {
        self.calls.delta != 0 || self.errors.delta != 0
    }
}

/// One side, read and modelled with every site.
struct Loaded {
    report: Report,
    kind: Option<Kind>,
}

fn load(paths: &[PathBuf], symbolize: bool) -> anyhow::Result<Loaded> {
    let logs = rep::expand_dirs(paths)?;
    let mut analysis = crate::analysis::Analysis::new();
    let names = rep::read_logs(&mut analysis, &logs)?;
    let mut resolver: Box<dyn Resolve> = if symbolize {
        Box::new(Symbols::with_packed(analysis.packed.clone()))
    } else {
        Box::new(NoSymbols)
    };
    let report = model::build(&analysis, &names, Selection { top: 0 }, resolver.as_mut());
    let heap = report
        .heap
        .processes
        .iter()
        .any(|p| p.summary.calls.0.iter().any(|(_, n)| *n > 0));
    let kind = if heap {
        Some(Kind::Heap)
    } else if report.syscalls.events != 0 {
        Some(Kind::Syscalls)
    } else {
        None
    };
    Ok(Loaded { report, kind })
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Heap => "a heap log",
        Kind::Syscalls => "a strace-rs log",
    }
}

/// Compares the logs `base` and `new`; `Err` when they cannot be compared.
pub fn diff(config: &DiffConfig) -> anyhow::Result<Diff> {
    let base = load(&config.base, config.symbolize)?;
    let new = load(&config.new, config.symbolize)?;
    let name = |p: &[PathBuf]| {
        p.iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let kind = match (base.kind, new.kind) {
        (Some(a), Some(b)) if a == b => a,
        (Some(a), Some(b)) => anyhow::bail!(
            "cannot diff {} ({}) against {} ({}): give two logs of the same tool",
            kind_name(a),
            name(&config.base),
            kind_name(b),
            name(&config.new)
        ),
        (None, _) => anyhow::bail!(
            "{}: no heap or system-call events to compare",
            name(&config.base)
        ),
        (_, None) => anyhow::bail!(
            "{}: no heap or system-call events to compare",
            name(&config.new)
        ),
    };
    let (heap, syscalls, gates) = match kind {
        Kind::Heap => {
            let h = heap_diff(&base.report, &new.report);
            let gates = config.gates.results(&h);
            (Some(h), None, gates)
        }
        Kind::Syscalls => {
            if !config.gates.is_empty() {
                anyhow::bail!(
                    "the --max-*-increase gates apply to heap logs, not to strace-rs logs"
                );
            }
            (None, Some(syscall_diff(&base.report, &new.report)), vec![])
        }
    };
    let side = |r: &Report| Side {
        logs: r.logs.clone(),
        damage: r.damage.clone(),
    };
    Ok(Diff {
        schema: SCHEMA,
        kind,
        complete: base.report.complete && new.report.complete,
        base: side(&base.report),
        new: side(&new.report),
        heap,
        syscalls,
        gates,
    })
}

/// A site's numbers, summed over the sites of one run that share its key.
#[derive(Debug, Clone, Default)]
struct SiteSum {
    exe: String,
    function: String,
    frames: Vec<String>,
    peak: u64,
    leaked: u64,
    bytes: u64,
    calls: u64,
    temporary: u64,
}

/// Every site of `r` by its run-independent key.
fn sites_by_key(r: &Report) -> HashMap<String, SiteSum> {
    let mut map: HashMap<String, SiteSum> = HashMap::new();
    for s in &r.heap.sites {
        let exe = r
            .heap
            .processes
            .get(s.process)
            .map_or("", |p| p.exe.as_str());
        let exe = exe.rsplit('/').next().unwrap_or(exe).to_owned();
        let frames: Vec<String> = s.frames.iter().map(|f| f.label()).collect();
        let key = format!("{exe}\n{}\n{}", s.function, frames.join("\n"));
        let e = map.entry(key).or_insert_with(|| SiteSum {
            exe,
            function: s.function.clone(),
            frames,
            ..SiteSum::default()
        });
        e.peak += s.peak_bytes;
        e.leaked += s.leaked.bytes;
        e.bytes += s.bytes;
        e.calls += s.calls;
        e.temporary += s.temporary;
    }
    map
}

fn heap_diff(base: &Report, new: &Report) -> HeapDiff {
    let (b, n) = (&base.heap.total, &new.heap.total);
    let mut old = sites_by_key(base);
    let mut sites = Vec::new();
    let mut unchanged_sites = 0;
    // `meta` names the site; `a` and `x` are its numbers in BASE and NEW.
    let mut add = |status, meta: &SiteSum, a: &SiteSum, x: &SiteSum| {
        let d = SiteDiff {
            status,
            exe: meta.exe.clone(),
            function: meta.function.clone(),
            frames: meta.frames.clone(),
            peak_bytes: Change::new(a.peak, x.peak),
            leaked_bytes: Change::new(a.leaked, x.leaked),
            bytes: Change::new(a.bytes, x.bytes),
            calls: Change::new(a.calls, x.calls),
            temporary: Change::new(a.temporary, x.temporary),
        };
        let same = [d.peak_bytes, d.leaked_bytes, d.bytes, d.calls, d.temporary]
            .iter()
            .all(|c| c.delta == 0);
        if same && status == SiteStatus::Changed {
            unchanged_sites += 1;
        } else {
            sites.push(d);
        }
    };
    let none = SiteSum::default();
    for (key, s) in sites_by_key(new) {
        match old.remove(&key) {
            Some(o) => add(SiteStatus::Changed, &s, &o, &s),
            None => add(SiteStatus::New, &s, &none, &s),
        }
    }
    for o in old.values() {
        add(SiteStatus::Gone, o, o, &none);
    }
    sites.sort_by(|x, y| {
        y.regression()
            .cmp(&x.regression())
            .then_with(|| x.frames.cmp(&y.frames))
            .then_with(|| x.function.cmp(&y.function))
            .then_with(|| x.exe.cmp(&y.exe))
    });
    HeapDiff {
        peak: Change::new(b.peak.heap_bytes, n.peak.heap_bytes),
        leaked: Change::new(b.leaked.bytes, n.leaked.bytes),
        bytes_allocated: Change::new(b.bytes_allocated, n.bytes_allocated),
        allocs: Change::new(b.valgrind.allocs, n.valgrind.allocs),
        temporary: Change::new(b.temporary, n.temporary),
        leak_check: LeakCheckDiff::of(base, new),
        sites,
        unchanged_sites,
    }
}

fn syscall_diff(base: &Report, new: &Report) -> SyscallDiff {
    let mut rows: HashMap<String, [(u64, u64, u64); 2]> = HashMap::new();
    for (side, r) in [base, new].into_iter().enumerate() {
        for (name, calls, errors, time) in r.syscalls.summary.rows() {
            rows.entry(name).or_default()[side] = (calls, errors, time);
        }
    }
    let mut syscalls: Vec<SyscallRowDiff> = rows
        .into_iter()
        .map(|(name, [a, b])| SyscallRowDiff {
            name,
            calls: Change::new(a.0, b.0),
            errors: Change::new(a.1, b.1),
            time_ns: Change::new(a.2, b.2),
        })
        .collect();
    syscalls.sort_by(|x, y| {
        let weight =
            |r: &SyscallRowDiff| r.calls.delta.unsigned_abs() + r.errors.delta.unsigned_abs();
        weight(y)
            .cmp(&weight(x))
            .then_with(|| y.time_ns.delta.cmp(&x.time_ns.delta))
            .then_with(|| x.name.cmp(&y.name))
    });
    let total = |f: fn(&SyscallRowDiff) -> Change| {
        syscalls.iter().fold(Change::default(), |acc, r| {
            let c = f(r);
            Change::new(acc.base + c.base, acc.new + c.new)
        })
    };
    SyscallDiff {
        calls: total(|r| r.calls),
        errors: total(|r| r.errors),
        time_ns: total(|r| r.time_ns),
        syscalls,
    }
}

/// Runs `tracekit diff`: prints the diff to stdout, damage and gate messages to stderr;
/// returns the exit status.
pub fn run(config: &DiffConfig) -> anyhow::Result<u8> {
    let d = diff(config)?;
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    write::write(&d, config.format, config.top, &mut out)?;
    out.flush()?;
    Ok(finish(&d))
}

/// Prints damage and gate messages on stderr and returns the exit status they call for.
pub fn finish(d: &Diff) -> u8 {
    let mut code = 0;
    for dm in d.base.damage.iter().chain(&d.new.damage) {
        eprintln!("tracekit: {}: {}", dm.log, dm.message);
        code = EXIT_DAMAGED;
    }
    for g in d.gates.iter().filter(|g| !g.passed) {
        eprintln!("tracekit: {}", g.message);
        if code == 0 {
            code = EXIT_GATE;
        }
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_as_percent_or_amount() {
        assert_eq!("5%".parse::<Limit>().unwrap(), Limit::Percent(5.0));
        assert_eq!(" 0.5 %".parse::<Limit>().unwrap(), Limit::Percent(0.5));
        match "64KiB".parse::<Limit>().unwrap() {
            Limit::Amount(s) => assert_eq!(s.bytes, 65536),
            other => panic!("{other:?}"),
        }
        for bad in ["", "%", "-5%", "five%", "5XB", "inf%"] {
            let e = bad.parse::<Limit>().unwrap_err();
            assert!(e.contains("invalid limit"), "{bad}: {e}");
        }
    }

    #[test]
    fn changes_say_their_percentage() {
        assert_eq!(Change::new(200, 210).delta_text(), "+10 (+5.0%)");
        assert_eq!(Change::new(200, 0).delta_text(), "-200 (-100.0%)");
        assert_eq!(Change::new(0, 7).delta_text(), "+7 (new)");
        assert_eq!(Change::new(3, 3).delta_text(), "0");
    }

    fn heap(peak: (u64, u64)) -> HeapDiff {
        HeapDiff {
            peak: Change::new(peak.0, peak.1),
            leaked: Change::default(),
            bytes_allocated: Change::default(),
            allocs: Change::new(100, 100),
            temporary: Change::new(0, 3),
            leak_check: None,
            sites: vec![],
            unchanged_sites: 0,
        }
    }

    #[test]
    fn gates_compare_the_increase() {
        let gates = DiffGates {
            max_peak_increase: Some("5%".parse().unwrap()),
            max_allocs_increase: Some("0".parse().unwrap()),
            max_temporary_increase: Some("2".parse().unwrap()),
            ..DiffGates::default()
        };
        let passed =
            |h: &HeapDiff| -> Vec<bool> { gates.results(h).iter().map(|g| g.passed).collect() };
        // 5% of 1000 is 50: +50 passes, +51 fails; a decrease always passes.
        assert_eq!(passed(&heap((1000, 1050))), [true, true, false]);
        assert_eq!(passed(&heap((1000, 1051))), [false, true, false]);
        assert_eq!(passed(&heap((1000, 10))), [true, true, false]);
        // From nothing, any growth is more than any percentage.
        assert_eq!(passed(&heap((0, 1))), [false, true, false]);
        let g = &gates.results(&heap((1000, 1051)))[0];
        assert_eq!(
            g.message,
            "heap peak 1000 -> 1051 (+51 (+5.1%)) exceeds --max-peak-increase 5%"
        );
    }
}
