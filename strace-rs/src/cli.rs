//! strace's command line, parsed into a [`Config`]. Options stop at the first non-option
//! (POSIX `+` getopt), so `strace-rs ls -l` passes `-l` to `ls`.

use std::ffi::OsString;
use std::fmt;

use crate::config::{
    Config, InjectRule, Interruptible, NumberSet, Quiet, StatusSet, SummaryBy, SummaryMode,
    SyscallSet, Timestamps,
};
use crate::summary::{Column, SortBy};
use crate::sysent::{self, class};
use crate::text::{HexMode, XlatStyle};

/// A command-line problem, printed as `strace-rs: MESSAGE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError {
    /// The message.
    pub message: String,
    /// Add "Try 'strace-rs -h' for more information."
    pub hint: bool,
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UsageError {}

fn err(msg: impl Into<String>) -> UsageError {
    UsageError {
        message: msg.into(),
        hint: false,
    }
}

fn err_hint(msg: impl Into<String>) -> UsageError {
    UsageError {
        message: msg.into(),
        hint: true,
    }
}

/// What the command line asks for.
#[derive(Debug, Clone)]
pub enum Action {
    /// Trace.
    Run(Box<Config>),
    /// `-h`.
    Help,
    /// `-V`.
    Version,
}

/// The usage text.
pub const USAGE: &str = "\
Usage: strace-rs [-ACdffhikqqrtttTvVwxxyyzZ] [-I N] [-b execve] [-e EXPR]...
              [-a COLUMN] [-o FILE] [-s STRSIZE] [-X FORMAT] [-S SORTBY]
              [-p PID]... [--seccomp-bpf] [--log FILE]
              { -p PID | [-DDD] [-E VAR=VAL]... [-u USERNAME] PROG [ARGS] }
   or: strace-rs -c[dfwzZ] [-e EXPR]... [-S SORTBY] [-p PID]... [--seccomp-bpf]
              { -p PID | [-E VAR=VAL]... [-u USERNAME] PROG [ARGS] }

A system call tracer with strace's options and output. See strace(1); the options below
are supported:
  -f, -ff        follow forks (-ff with -o: one file per process, FILE.PID)
  -o FILE        write the trace to FILE        -A  append to it
  -c, -C         count time, calls and errors per syscall (-C: and trace)
  -w             summarise wall-clock latency    -S SORTBY  sort the summary
  -U COLUMNS     summary columns: time-percent,total-time,min-time,max-time,avg-time,
                 calls,errors,name, and p1..p99 (percentiles of the calls' times)
  --summary-percentiles   the default columns with p50,p90,p99,max-time
  -O OVERHEAD    subtract OVERHEAD (s, ms, us, ns; us by default) from each call's time in -c
  --argv0=NAME   start the command with argv[0] NAME
  -b execve      detach from a process when it calls execve (not the command's first)
  --summary-by=tid|pid|fd|path   one -c table per thread, process, descriptor or file
  -e trace=SET   syscalls to trace: names, !negation, %file %process %network %signal
                 %ipc %desc %memory %creds %clock %stat %lstat %fstat %%stat %statfs
                 %fstatfs %%statfs %pure, /regex, all, none
  -e signal=SET  signals to print     -e status=SET  successful,failed,unfinished,...
  -e trace-fds=SET   only calls on these descriptors     -P PATH  only calls on PATH
  -e quiet=SET   attach,exit,path-resolution,personality,thread-execve, all, none
  -D, -DD, -DDD  run the tracer as a detached grandchild (-DD: in a new process group,
                 -DDD: in a new session); also --daemonize[=grandchild|pgroup|session]
  -I N           when SIGINT/SIGTERM/... stop the tracer: 1 anywhere, 2 waiting (default),
                 3 never (default with -o FILE PROG), 4 never_tstp (also ignore ^Z; -D)
  -z, -Z         print only successful / failed calls
  -e read=FDS, -e write=FDS   hex dumps of data read/written
  -e inject=SET:error=ERRNO|retval=N|signal=SIG[:when=FIRST[..LAST][+[STEP]]]
  -e raw=SET     print arguments undecoded
  -s N           string limit (default 32)       -v  unabbreviated structures
  -x, -xx        non-ASCII / all strings in hex   -X raw|abbrev|verbose
  -y, -yy        decode descriptor paths / socket endpoints and devices
  -t, -tt, -ttt  absolute timestamps    -r  relative timestamps    -T  time in syscall
  -i             instruction pointer    -k  stack trace at each syscall   -n  syscall number
  -q, -qq, -qqq  fewer messages         -a N  column of return values (default 40)
  -p PID         attach (several allowed, or PID,PID)
  -E VAR=VAL, -E VAR   set or remove an environment variable for the command
  -u USER        run the command as USER (needs root)
  --seccomp-bpf  filter syscalls in the kernel (default when -f and a narrowed trace set)
  --no-seccomp-bpf  never use a seccomp filter
  --wait-spin=auto|off|USEC  poll for the next stop this long before sleeping (auto:
                 up to 100 us while polling pays; saves a CPU wake-up a stop, off: as strace)
  --log FILE     also write the tracekit event log (syscall events) to FILE
  --output-format=json, --json   one JSON object per event (schema tracekit.strace/3;
                 `tracekit dump --strace-text` prints it back as text)
  --json-output FILE   also write the JSON events to FILE (the text output unchanged)
  -h, -V         help, version
";

fn parse_num<T: std::str::FromStr>(opt: char, v: &str) -> Result<T, UsageError> {
    v.parse()
        .map_err(|_| err(format!("invalid -{opt} argument: '{v}'")))
}

/// `-O`'s time, as strace's `parse_ts`: a non-negative integer or decimal number, then a
/// unit (`s`, `ms`, `us`, `ns`; microseconds without one); in ns.
fn parse_overhead(v: &str) -> Option<u64> {
    let num_len = v
        .find(|c: char| !(c.is_ascii_digit() || "eE.-+".contains(c)))
        .unwrap_or(v.len());
    let (num, unit) = v.split_at(num_len);
    let scale: f64 = match unit {
        "" | "us" => 1e3,
        "s" => 1e9,
        "ms" => 1e6,
        "ns" => 1.0,
        _ => return None,
    };
    let x: f64 = num.parse().ok()?;
    (x >= 0.0 && x.is_finite()).then_some((x * scale) as u64)
}

/// Parses a set expression with `!` negation into "in set" per item; `items` resolves one
/// token into a list of members.
fn parse_set<F>(spec: &str, universe: &[u32], mut items: F) -> Result<Vec<u32>, UsageError>
where
    F: FnMut(&str) -> Result<Vec<u32>, UsageError>,
{
    let (neg, body) = match spec.strip_prefix('!') {
        Some(b) => (true, b),
        None => (false, spec),
    };
    let mut chosen: Vec<u32> = Vec::new();
    for tok in body.split(',') {
        let tok = tok.trim();
        if tok.is_empty() {
            continue;
        }
        match tok {
            "all" => chosen.extend_from_slice(universe),
            "none" => {}
            _ => chosen.extend(items(tok)?),
        }
    }
    chosen.sort_unstable();
    chosen.dedup();
    if neg {
        Ok(universe
            .iter()
            .copied()
            .filter(|n| chosen.binary_search(n).is_err())
            .collect())
    } else {
        Ok(chosen)
    }
}

fn class_bits(name: &str) -> Option<u32> {
    Some(match name {
        "file" => class::FILE,
        "process" => class::PROCESS,
        "network" | "net" => class::NETWORK,
        "signal" => class::SIGNAL,
        "ipc" => class::IPC,
        "desc" => class::DESC,
        "memory" => class::MEMORY,
        "creds" => class::CREDS,
        "clock" => class::CLOCK,
        "stat" => class::STAT,
        "lstat" => class::LSTAT,
        "fstat" => class::FSTAT,
        "%stat" => class::STAT_LIKE,
        "statfs" => class::STATFS,
        "fstatfs" => class::FSTATFS,
        "%statfs" => class::STATFS_LIKE,
        "pure" => class::PURE,
        _ => return None,
    })
}

/// strace's message for a regular expression regcomp rejects: `regcomp: RE: REASON` (scripts
/// and strace's own tests grep for it), the reason being the regex crate's one-line summary.
fn regcomp_error(re: &str, e: &regex::Error) -> String {
    let full = e.to_string();
    let reason = full
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .unwrap_or_else(|| full.lines().next().unwrap_or("invalid regular expression"));
    format!("regcomp: {re}: {reason}")
}

/// Parses a syscall set (`-e trace=`, `-e raw=`, inject sets).
pub fn parse_syscall_set(spec: &str) -> Result<SyscallSet, UsageError> {
    // strace's qualify_syscall_tokens: each leading '!' inverts, "none"/"all" stand alone,
    // else comma-separated tokens (empty ones skipped, at least one).
    let rest = spec.trim_start_matches('!');
    let inverted = (spec.len() - rest.len()) % 2 == 1;
    let mut set = SyscallSet::all(false);
    match rest {
        "none" => return Ok(if inverted { SyscallSet::all(true) } else { set }),
        "all" => return Ok(if inverted { set } else { SyscallSet::all(true) }),
        _ => {}
    }
    let one = |tok: &str| -> Result<Vec<u32>, UsageError> {
        let optional = tok.starts_with('?');
        let tok = tok.trim_start_matches('?');
        // The token as written (with its personality suffix) is what errors name, as strace.
        let written = tok;
        let tok = tok.strip_suffix("@64").unwrap_or(tok);
        if let Some(re) = tok.strip_prefix('/') {
            let re = regex::Regex::new(re).map_err(|e| err(regcomp_error(re, &e)))?;
            let v: Vec<u32> = sysent::table()
                .iter()
                .flatten()
                .filter(|s| re.is_match(s.name))
                .map(|s| s.nr)
                .collect();
            if v.is_empty() && !optional {
                return Err(err(format!("invalid system call '{written}'")));
            }
            return Ok(v);
        }
        // Class names in any case, as strace's find_xlat_val_case.
        let lower = tok.to_ascii_lowercase();
        let cls = lower.strip_prefix('%').and_then(class_bits).or_else(|| {
            // The old spellings without '%': the classic classes, and "all" (every call).
            match lower.as_str() {
                "all" => Some(u32::MAX),
                "file" | "process" | "network" | "signal" | "ipc" | "desc" | "memory" => {
                    class_bits(&lower)
                }
                _ => None,
            }
        });
        if let Some(bits) = cls {
            return Ok(sysent::table()
                .iter()
                .flatten()
                .filter(|s| bits == u32::MAX || s.classes & bits != 0)
                .map(|s| s.nr)
                .collect());
        }
        // A number selects that system call, as in strace (`-e trace=39`).
        if let Ok(nr) = tok.parse::<u32>() {
            if sysent::table()
                .get(nr as usize)
                .is_some_and(Option::is_some)
            {
                return Ok(vec![nr]);
            }
        }
        match sysent::by_name(tok) {
            Some(nr) => Ok(vec![nr]),
            None if optional => Ok(vec![]),
            None => Err(err(format!("invalid system call '{written}'"))),
        }
    };
    let mut any = false;
    for tok in rest.split(',').filter(|t| !t.is_empty()) {
        for nr in one(tok)? {
            set.set(nr, true);
        }
        any = true;
    }
    if !any {
        return Err(err(format!("invalid system call '{spec}'")));
    }
    if inverted {
        let mut all = SyscallSet::all(true);
        for nr in set.numbers() {
            all.set(nr, false);
        }
        set = all;
    }
    Ok(set)
}

/// `-e signal=` as strace's `qualify_tokens` with `sigstr_to_uint`: the mask of signals 1-64.
fn parse_signal_set(spec: &str) -> Result<u64, UsageError> {
    let set = parse_tokens(spec, "signal", sigstr_to_uint)?;
    let listed = set
        .numbers
        .iter()
        .filter(|s| (1..=64).contains(*s))
        .fold(0u64, |m, s| m | (1u64 << (s - 1)));
    Ok(if set.inverted { !listed } else { listed })
}

fn parse_status_set(spec: &str) -> Result<StatusSet, UsageError> {
    let universe: Vec<u32> = (0..5).collect();
    let v = parse_set(spec, &universe, |tok| {
        Ok(vec![match tok {
            "successful" => 0,
            "failed" => 1,
            "unfinished" => 2,
            "unavailable" => 3,
            "detached" => 4,
            _ => return Err(err(format!("invalid status '{tok}'"))),
        }])
    })?;
    Ok(StatusSet {
        successful: v.contains(&0),
        failed: v.contains(&1),
        unfinished: v.contains(&2),
        unavailable: v.contains(&3),
        detached: v.contains(&4),
    })
}

/// A descriptor set (`-e read=`, `-e write=`) as strace's `qualify_tokens` reads it: each
/// leading `!` inverts the rest, `all`/`none` stand alone, otherwise descriptors separated
/// by commas (empty ones skipped). The set and whether it is inverted (`all`: the empty set
/// inverted).
fn parse_fd_set(spec: &str) -> Result<(Vec<i32>, bool), UsageError> {
    let rest = spec.trim_start_matches('!');
    let inverted = (spec.len() - rest.len()) % 2 == 1;
    match rest {
        "none" => return Ok((Vec::new(), inverted)),
        "all" => return Ok((Vec::new(), !inverted)),
        _ => {}
    }
    let mut v = Vec::new();
    for tok in rest.split(',').filter(|t| !t.is_empty()) {
        let fd = tok
            .trim_start()
            .parse::<u32>()
            .ok()
            .and_then(|n| i32::try_from(n).ok())
            .ok_or_else(|| err(format!("invalid descriptor '{tok}'")))?;
        v.push(fd);
    }
    if v.is_empty() {
        return Err(err(format!("invalid descriptor '{spec}'")));
    }
    Ok((v, inverted))
}

/// strace's `string_to_uint_ex`: a decimal number (after `strtoll`'s optional blanks and
/// sign) not above `max`, followed by nothing or by one of the characters of `ending`; the
/// number and the text after it.
fn string_to_uint_ex<'a>(s: &'a str, max: u64, ending: &str) -> Option<(u64, &'a str)> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let v = t[..digits].bytes().fold(0u64, |v, d| {
        v.saturating_mul(10).saturating_add((d - b'0') as u64)
    });
    if (neg && v != 0) || v > max {
        return None;
    }
    let rest = &t[digits..];
    match rest.chars().next() {
        Some(c) if !ending.contains(c) => None,
        _ => Some((v, rest)),
    }
}

/// strace's `string_to_uint_upto`: a decimal number not above `max` and nothing after it.
fn string_to_uint_upto(s: &str, max: u64) -> Option<u64> {
    string_to_uint_ex(s, max, "").map(|(v, _)| v)
}

/// strace's `sigstr_to_uint`: a number up to 255, or a signal name with or without `SIG`
/// (any case).
fn sigstr_to_uint(s: &str) -> Option<u32> {
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        return string_to_uint_upto(s, 255).map(|n| n as u32);
    }
    let s = match s.get(..3) {
        Some(p) if p.eq_ignore_ascii_case("SIG") => &s[3..],
        _ => s,
    };
    (1..=64u32).find(|&i| {
        crate::signals::name(i as i64)
            .strip_prefix("SIG")
            .is_some_and(|n| n.eq_ignore_ascii_case(s))
    })
}

/// strace's `find_errno_by_name` after a number up to 4095: `error=`'s value.
fn errno_by_name(name: &str) -> Option<u16> {
    if let Some(n) = string_to_uint_upto(name, 4095) {
        return (n >= 1).then_some(n as u16);
    }
    (1..4096u64)
        .find(|&e| crate::errno_names::errno_name(e).is_some_and(|n| n.eq_ignore_ascii_case(name)))
        .map(|e| e as u16)
}

/// `strtoull(val, &end, 0)` accepting only a whole, in-range number: `retval=`'s value
/// (decimal, `0x` hex or `0` octal; a `-` negates modulo 2^64, as in C).
fn parse_retval(v: &str) -> Option<u64> {
    let t = v.trim_start_matches([' ', '\t', '\n', '\x0b', '\x0c', '\r']);
    let (neg, t) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (radix, digits) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (16, h)
    } else if t.len() > 1 && t.starts_with('0') {
        (8, &t[1..])
    } else {
        (10, t)
    };
    let n = u64::from_str_radix(digits, radix).ok()?;
    if digits.starts_with(['+', '-']) {
        return None;
    }
    Some(if neg { n.wrapping_neg() } else { n })
}

/// `poke_enter=`/`poke_exit=`'s value: `@argN=HEX` items (N 1-7, 1-1024 bytes) separated by
/// commas, each argument at most once.
fn parse_pokes(v: &str) -> Option<Vec<super::config::Poke>> {
    let mut pokes: Vec<super::config::Poke> = Vec::new();
    for tok in v.split(',').filter(|t| !t.is_empty()) {
        let rest = tok.strip_prefix("@arg")?;
        let b = rest.as_bytes();
        if b.len() < 2 || !(b'1'..=b'7').contains(&b[0]) || b[1] != b'=' {
            return None;
        }
        let arg = b[0] - b'0';
        let hex = &rest[2..];
        if hex.is_empty() || hex.len() % 2 != 0 || hex.len() > 2048 {
            return None;
        }
        let data = hex
            .as_bytes()
            .chunks(2)
            .map(|p| {
                std::str::from_utf8(p)
                    .ok()
                    .filter(|p| p.bytes().all(|c| c.is_ascii_hexdigit()))
                    .and_then(|p| u8::from_str_radix(p, 16).ok())
            })
            .collect::<Option<Vec<u8>>>()?;
        if pokes.iter().any(|p| p.arg == arg) {
            return None;
        }
        pokes.push(super::config::Poke { arg, data });
    }
    (!pokes.is_empty()).then_some(pokes)
}

/// `when=`'s value (strace's grammar: `F`, `F+`, `F+S`, `F..L`, `F..L+S`, numbers up to
/// 65535, L below 65535): (first, last, step).
fn parse_when(v: &str) -> Option<(u16, u16, u16)> {
    let (first, mut end) = string_to_uint_ex(v, 0xffff, "+.")?;
    if first < 1 {
        return None;
    }
    let last = if let Some(r) = end.strip_prefix('.') {
        let r = r.strip_prefix('.')?;
        let (l, e) = string_to_uint_ex(r, 0xffff, "+")?;
        if l < first || l == crate::config::INJECT_LAST_INF as u64 {
            return None;
        }
        end = e;
        l as u16
    } else {
        crate::config::INJECT_LAST_INF
    };
    let step = match end.strip_prefix('+') {
        Some("") => 1,
        Some(s) => {
            let n = string_to_uint_upto(s, 0xffff)?;
            if n < 1 {
                return None;
            }
            n as u16
        }
        None if last == crate::config::INJECT_LAST_INF => 0,
        None => 1,
    };
    Some((first as u16, last, step))
}

/// One `:`-separated token after the set of `-e inject=`/`-e fault=` (strace's
/// `parse_inject_token`); false when it is invalid, a duplicate, or not allowed in `fault=`.
fn parse_inject_token(tok: &str, rule: &mut InjectRule, fault: bool) -> bool {
    use crate::config::InjectReturn;
    if let Some(v) = tok.strip_prefix("when=") {
        let Some((f, l, s)) = parse_when(v) else {
            return false;
        };
        (rule.first, rule.last, rule.step) = (f, l, s);
    } else if let Some(v) = tok.strip_prefix("syscall=") {
        if rule.syscall.is_some() {
            return false;
        }
        // Only pure system calls (no side effects) may replace another.
        match sysent::by_name(v).and_then(|nr| sysent::table().get(nr as usize)?.as_ref()) {
            Some(s) if s.classes & class::PURE != 0 => rule.syscall = Some(s.nr),
            _ => return false,
        }
    } else if let Some(v) = tok.strip_prefix("error=") {
        if rule.ret.is_some() {
            return false;
        }
        let Some(e) = errno_by_name(v) else {
            return false;
        };
        rule.ret = Some(InjectReturn::Error(e));
    } else if fault {
        return false;
    } else if let Some(v) = tok.strip_prefix("retval=") {
        if rule.ret.is_some() {
            return false;
        }
        let Some(n) = parse_retval(v) else {
            return false;
        };
        if (n as i64) < 0 && (n as i64) >= -4095 {
            eprintln!(
                "{}: Inadvertent injection of error {} is possible for retval={n}",
                crate::progname(),
                -(n as i64)
            );
        }
        rule.ret = Some(InjectReturn::Retval(n));
    } else if let Some(v) = tok.strip_prefix("signal=") {
        if rule.signal.is_some() {
            return false;
        }
        match sigstr_to_uint(v) {
            Some(s @ 1..=64) => rule.signal = Some(s),
            _ => return false,
        }
    } else if let Some((v, enter)) = tok
        .strip_prefix("poke_enter=")
        .map(|v| (v, true))
        .or_else(|| tok.strip_prefix("poke_exit=").map(|v| (v, false)))
    {
        let slot = if enter {
            &mut rule.poke_enter
        } else {
            &mut rule.poke_exit
        };
        if !slot.is_empty() {
            return false;
        }
        let Some(p) = parse_pokes(v) else {
            return false;
        };
        *slot = p;
    } else if let Some((v, enter)) = tok
        .strip_prefix("delay_enter=")
        .map(|v| (v, true))
        .or_else(|| tok.strip_prefix("delay_exit=").map(|v| (v, false)))
    {
        let slot = if enter {
            &mut rule.delay_enter
        } else {
            &mut rule.delay_exit
        };
        if slot.is_some() {
            return false;
        }
        let Some(ns) = parse_overhead(v) else {
            return false;
        };
        *slot = Some(std::time::Duration::from_nanos(ns));
    } else {
        return false;
    }
    true
}

/// `-e inject=SET:TOKEN...` and `-e fault=` (strace's `qualify_inject_common`): the tokens
/// first ("invalid inject argument 'SPEC'"), then the set ("invalid system call"), then an
/// action is required (`fault=` defaults to `error=ENOSYS`).
fn parse_inject(spec: &str, fault: bool) -> Result<InjectRule, UsageError> {
    let what = if fault { "fault" } else { "inject" };
    let invalid = || err(format!("invalid {what} argument '{spec}'"));
    let mut rule = InjectRule {
        syscalls: SyscallSet::all(false),
        first: 1,
        last: crate::config::INJECT_LAST_INF,
        step: 1,
        ret: None,
        signal: None,
        syscall: None,
        poke_enter: Vec::new(),
        poke_exit: Vec::new(),
        delay_enter: None,
        delay_exit: None,
    };
    let name = if spec.is_empty() || spec.starts_with(':') {
        ""
    } else {
        let mut toks = spec.split(':').filter(|t| !t.is_empty());
        let name = toks.next().unwrap_or("");
        for tok in toks {
            if !parse_inject_token(tok, &mut rule, fault) {
                return Err(invalid());
            }
        }
        name
    };
    rule.syscalls = parse_syscall_set(name)?;
    let acts = rule.ret.is_some()
        || rule.signal.is_some()
        || !rule.poke_enter.is_empty()
        || !rule.poke_exit.is_empty()
        || rule.delay_enter.is_some()
        || rule.delay_exit.is_some();
    if !acts {
        if !fault {
            return Err(invalid());
        }
        rule.ret = Some(crate::config::InjectReturn::Error(libc::ENOSYS as u16));
    }
    Ok(rule)
}

/// A set as strace's `qualify_tokens` reads it: leading `!`s invert, `all` and `none`, else
/// comma-separated tokens that `number` maps to numbers; an unknown token (or none at all)
/// is "invalid WHAT 'TOKEN'".
fn parse_tokens(
    spec: &str,
    what: &str,
    number: impl Fn(&str) -> Option<u32>,
) -> Result<NumberSet, UsageError> {
    let mut set = NumberSet::default();
    let mut s = spec;
    loop {
        while let Some(rest) = s.strip_prefix('!') {
            set.inverted = !set.inverted;
            s = rest;
        }
        match s {
            "none" => return Ok(set),
            // "all" is "!none".
            "all" => s = "!none",
            _ => break,
        }
    }
    for tok in s.split(',').filter(|t| !t.is_empty()) {
        let n = number(tok).ok_or_else(|| err(format!("invalid {what} '{tok}'")))?;
        set.numbers.push(n);
    }
    if set.numbers.is_empty() {
        return Err(err(format!("invalid {what} '{spec}'")));
    }
    Ok(set)
}

/// `-I`'s argument (a number 1-4 or its name), as strace's `parse_interruptible_arg`.
fn parse_interruptible(v: &str) -> Option<Interruptible> {
    Some(match v {
        "1" | "anywhere" | "always" => Interruptible::Anywhere,
        "2" | "waiting" => Interruptible::Waiting,
        "3" | "never" => Interruptible::Never,
        "4" | "never_tstp" => Interruptible::NeverTstp,
        _ => return None,
    })
}

fn qualify(
    cfg: &mut Config,
    expr: &str,
    trace_seen: &mut bool,
    quiet_seen: &mut bool,
) -> Result<(), UsageError> {
    let (key, val) = match expr.split_once('=') {
        Some((k, v)) => (k, v),
        None => ("trace", expr),
    };
    match key {
        "trace" | "t" => {
            // Each -e trace= replaces the set before it, as in strace.
            cfg.trace = parse_syscall_set(val)?;
            *trace_seen = true;
            cfg.trace_filtered = !cfg.trace.is_all();
        }
        "signal" | "signals" | "s" => cfg.signals = parse_signal_set(val)?,
        "status" => cfg.status = parse_status_set(val)?,
        "read" | "r" => {
            let (fds, all) = parse_fd_set(val)?;
            cfg.read_fds = fds;
            cfg.read_all = all;
        }
        "write" | "w" => {
            let (fds, all) = parse_fd_set(val)?;
            cfg.write_fds = fds;
            cfg.write_all = all;
        }
        "inject" => cfg.inject.push(parse_inject(val, false)?),
        "fault" => cfg.inject.push(parse_inject(val, true)?),
        "raw" => cfg.raw = parse_syscall_set(val)?,
        // Per call, as strace: -v is `abbrev=none`.
        "abbrev" | "a" => {
            cfg.abbrev = parse_syscall_set(val)?;
            cfg.decode.verbose = cfg.abbrev.numbers().is_empty();
        }
        "verbose" | "v" => cfg.verbose_set = parse_syscall_set(val)?,
        "quiet" | "silent" | "silence" | "q" => {
            let set = parse_tokens(val, "quiet", |tok| {
                Some(match tok {
                    "attach" => 0,
                    "exit" | "exits" => 1,
                    "path-resolution" => 2,
                    "personality" => 3,
                    "thread-execve" | "superseded" => 4,
                    _ => return None,
                })
            })?;
            cfg.quiet = Quiet {
                attach: set.contains(0),
                exit: set.contains(1),
                path_resolution: set.contains(2),
                personality: set.contains(3),
                thread_execve: set.contains(4),
            };
            *quiet_seen = true;
        }
        "kvm" => match val {
            "vcpu" => cfg.decode.kvm_vcpu = true,
            _ => return Err(err(format!("invalid -e kvm= argument: '{val}'"))),
        },
        "trace-fds" | "trace-fd" => {
            cfg.trace_fds = Some(parse_tokens(val, "descriptor", |tok| tok.parse().ok())?);
        }
        "decode-pids" | "decode-pid" => {
            // `pidns` is strace's --pidns-translation.
            let (neg, list) = match val.strip_prefix('!') {
                Some(l) => (true, l),
                None => (false, val),
            };
            let (mut comm, mut pidns) = (false, false);
            for tok in list.split(',') {
                match tok {
                    "comm" => comm = true,
                    "pidns" => pidns = true,
                    "none" => {}
                    "all" => (comm, pidns) = (true, true),
                    _ => return Err(err(format!("invalid decode-pids '{val}'"))),
                }
            }
            cfg.decode.pid_comm = comm != neg;
            cfg.decode.pidns = pidns != neg;
        }
        "decode-fds" | "decode-fd" => {
            use crate::decode::{FD_ALL, FD_DEV, FD_PATH, FD_PIDFD, FD_SOCKET};
            let (neg, list) = match val.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, val),
            };
            let mut set = 0;
            for tok in list.split(',') {
                set |= match tok {
                    "all" => FD_ALL,
                    "none" => 0,
                    "path" => FD_PATH,
                    "socket" => FD_SOCKET,
                    "dev" => FD_DEV,
                    "pidfd" => FD_PIDFD,
                    _ => return Err(err(format!("invalid decode-fds '{tok}'"))),
                };
            }
            cfg.decode.decode_fds = if neg { FD_ALL & !set } else { set };
        }
        // Like strace: an unknown qualifier is read as a syscall set (and fails as one).
        _ => {
            let set = parse_syscall_set(expr)?;
            cfg.trace = set;
            *trace_seen = true;
            cfg.trace_filtered = !cfg.trace.is_all();
        }
    }
    Ok(())
}

/// The format of `--absolute-timestamps`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TsFormat {
    None,
    Time,
    Unix,
}

/// One `--absolute-timestamps=` argument applied to the format and precision (digits after
/// the second): comma-separated tokens, each a format (`none`, `time`, `unix`) or a precision
/// (`s`, `ms`, `us`, `ns`), optionally prefixed `format:` or `precision:`; `None` when a
/// token is neither.
fn parse_ts_arg((mut format, mut digits): (TsFormat, u8), arg: &str) -> Option<(TsFormat, u8)> {
    for tok in arg.split(',').filter(|t| !t.is_empty()) {
        let (format_ok, precision_ok, word) = if let Some(w) = tok.strip_prefix("format:") {
            (true, false, w)
        } else if let Some(w) = tok.strip_prefix("precision:") {
            (false, true, w)
        } else {
            (true, true, tok)
        };
        match word {
            "none" if format_ok => format = TsFormat::None,
            "time" if format_ok => format = TsFormat::Time,
            "unix" if format_ok => format = TsFormat::Unix,
            "s" if precision_ok => digits = 0,
            "ms" if precision_ok => digits = 3,
            "us" if precision_ok => digits = 6,
            "ns" if precision_ok => digits = 9,
            _ => return None,
        }
    }
    Some((format, digits))
}

/// Every long option name (strace 6.1's and strace-rs's own).
const LONG_NAMES: &[&str] = &[
    "columns",
    "output-append-mode",
    "detach-on",
    "summary-only",
    "summary",
    "debug",
    "daemonize",
    "daemonise",
    "daemonised",
    "daemonized",
    "env",
    "follow-forks",
    "output-separately",
    "help",
    "instruction-pointer",
    "interruptible",
    "stack-traces",
    "syscall-number",
    "output",
    "summary-syscall-overhead",
    "attach",
    "trace-path",
    "relative-timestamps",
    "string-limit",
    "summary-sort-by",
    "absolute-timestamps",
    "timestamps",
    "syscall-times",
    "user",
    "summary-columns",
    "no-abbrev",
    "version",
    "summary-wall-clock",
    "strings-in-hex",
    "const-print-style",
    "pidns-translation",
    "successful-only",
    "failed-only",
    "failing-only",
    "seccomp-bpf",
    "trace",
    "abbrev",
    "verbose",
    "raw",
    "signal",
    "signals",
    "status",
    "read",
    "write",
    "fault",
    "inject",
    "quiet",
    "silent",
    "silence",
    "decode-fd",
    "decode-fds",
    "decode-pids",
    "json",
    "json-output",
    "kill-on-exit",
    "log",
    "no-seccomp-bpf",
    "output-format",
    "summary-by",
    "summary-percentiles",
    "wait-spin",
];

/// A long option as getopt_long reads it: its full name, or the one name it is a prefix of
/// (`--stack-trace` is `--stack-traces`); unchanged otherwise (then rejected).
fn long_name(name: &str) -> &str {
    if name.is_empty() || LONG_NAMES.contains(&name) {
        return name;
    }
    let mut found = LONG_NAMES.iter().filter(|n| n.starts_with(name));
    match (found.next(), found.next()) {
        (Some(n), None) => n,
        _ => name,
    }
}

/// The short option a long one is another spelling of, where strace-rs parses it as that.
fn long_alias(name: &str) -> Option<char> {
    Some(match name {
        "output-append-mode" => 'A',
        "detach-on" => 'b',
        "debug" => 'd',
        "syscall-number" => 'n',
        "summary-syscall-overhead" => 'O',
        "summary-sort-by" => 'S',
        "const-print-style" => 'X',
        "failing-only" => 'Z',
        _ => return None,
    })
}

fn lookup_user(name: &str) -> Result<(u32, u32), UsageError> {
    let text = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    for line in text.lines() {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() >= 4 && (f[0] == name || f[2] == name) {
            if let (Ok(u), Ok(g)) = (f[2].parse(), f[3].parse()) {
                return Ok((u, g));
            }
        }
    }
    Err(err(format!("Cannot find user '{name}'")))
}

/// Parses `args` (without the program name).
pub fn parse(args: Vec<OsString>) -> Result<Action, UsageError> {
    let mut cfg = Config::default();
    let mut follow = 0;
    let mut hex = 0;
    let mut fds = 0;
    let mut ts = 0;
    let mut long_ts = (TsFormat::Time, 0);
    let mut long_ts_given = false;
    let mut long_hex = None;
    let mut quiet = 0;
    let mut trace_seen = false;
    let mut quiet_seen = false;
    let mut trace_paths: Vec<String> = Vec::new();
    let mut daemonize_short: u32 = 0;
    let mut daemonize_long = 0u8;
    let mut interruptible = None;
    let mut c = false;
    let mut big_c = false;
    let mut no_seccomp = false;
    let mut i = 0;
    let mut text: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    // Options with an argument.
    const WITH_ARG: &str = "abeEIoOpPsSuUX";
    while i < text.len() {
        let arg = text[i].clone();
        if arg == "--" {
            i += 1;
            break;
        }
        if let Some(long) = arg.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (long_name(n), Some(v.to_owned())),
                None => (long_name(long), None),
            };
            // A long spelling of a short option: parsed as the short one.
            if let Some(short) = long_alias(name) {
                let mut short_arg = format!("-{short}");
                if WITH_ARG.contains(short) {
                    let v = match inline {
                        Some(v) => v,
                        None if i + 1 < text.len() => text.remove(i + 1),
                        None => {
                            return Err(err_hint(format!("option '--{name}' requires an argument")))
                        }
                    };
                    if v.is_empty() {
                        // "-O" alone would take the next argument.
                        return Err(err_hint(format!("invalid --{name} argument: ''")));
                    }
                    short_arg.push_str(&v);
                } else if inline.is_some() {
                    return Err(err_hint(format!(
                        "option '--{name}' doesn't allow an argument"
                    )));
                }
                text[i] = short_arg;
                continue;
            }
            let value = |i: &mut usize| -> Result<String, UsageError> {
                if let Some(v) = &inline {
                    return Ok(v.clone());
                }
                *i += 1;
                text.get(*i)
                    .cloned()
                    .ok_or_else(|| err_hint(format!("option '--{name}' requires an argument")))
            };
            match name {
                "seccomp-bpf" => cfg.seccomp_explicit = true,
                "no-seccomp-bpf" => no_seccomp = true,
                "log" => cfg.log = Some(value(&mut i)?.into()),
                "json-output" => cfg.json_output = Some(value(&mut i)?.into()),
                "output" => cfg.output = Some(value(&mut i)?.into()),
                "follow-forks" => follow = follow.max(1),
                "output-separately" => follow = 2,
                "summary-only" => c = true,
                "summary" => big_c = true,
                "summary-wall-clock" => cfg.wallclock = true,
                "argv0" => cfg.argv0 = Some(value(&mut i)?.into()),
                "wait-spin" => {
                    let v = value(&mut i)?;
                    cfg.wait_spin = tracekit_ptrace::Spin::parse(&v)
                        .ok_or_else(|| err_hint(format!("invalid --wait-spin argument: '{v}'")))?;
                }
                "summary-by" => {
                    let v = value(&mut i)?;
                    cfg.summary_by = Some(match v.as_str() {
                        "tid" => SummaryBy::Tid,
                        "pid" => SummaryBy::Pid,
                        "fd" => SummaryBy::Fd,
                        "path" => SummaryBy::Path,
                        _ => return Err(err_hint(format!("invalid --summary-by argument: '{v}'"))),
                    });
                }
                "summary-columns" => {
                    cfg.summary_columns = Column::parse_list(&value(&mut i)?).map_err(err_hint)?
                }
                "summary-percentiles" => {
                    cfg.summary_columns = Column::parse_list(
                        "time-percent,total-time,avg-time,p50,p90,p99,max-time,calls,errors,name",
                    )
                    .expect("valid columns")
                }
                "attach" => {
                    let v = value(&mut i)?;
                    add_pids(&mut cfg, &v)?;
                }
                "env" => add_env(&mut cfg, &value(&mut i)?),
                "user" => cfg.user = Some(lookup_user(&value(&mut i)?)?),
                "string-limit" => cfg.decode.max_strlen = parse_num('s', &value(&mut i)?)?,
                "columns" => cfg.acolumn = parse_num('a', &value(&mut i)?)?,
                "no-abbrev" => {
                    cfg.decode.verbose = true;
                    cfg.abbrev = SyscallSet::all(false);
                }
                "syscall-times" | "relative-timestamps" => {
                    // strace's str2timescale_optarg: the precision, microseconds by default.
                    let digits = match inline.as_deref() {
                        None | Some("us") => 6,
                        Some("s") => 0,
                        Some("ms") => 3,
                        Some("ns") => 9,
                        Some(v) => {
                            return Err(err_hint(format!("invalid --{name} argument: '{v}'")))
                        }
                    };
                    if name == "syscall-times" {
                        cfg.syscall_times = true;
                        cfg.syscall_times_digits = digits;
                    } else {
                        cfg.relative = true;
                        cfg.relative_digits = digits;
                    }
                }
                "trace-path" => trace_paths.push(value(&mut i)?),
                "pidns-translation" => cfg.decode.pidns = true,
                "timestamps" | "absolute-timestamps" => {
                    long_ts = parse_ts_arg(long_ts, inline.as_deref().unwrap_or("format:time"))
                        .ok_or_else(|| {
                            err_hint(format!(
                                "invalid --{name} argument: '{}'",
                                inline.as_deref().unwrap_or("")
                            ))
                        })?;
                    long_ts_given = true;
                }
                "strings-in-hex" => {
                    let v = inline.as_deref().unwrap_or("all");
                    long_hex = Some(match v {
                        "none" => HexMode::None,
                        "non-ascii-chars" => HexMode::NonAsciiChars,
                        "non-ascii" => HexMode::NonAscii,
                        "all" => HexMode::All,
                        _ => {
                            return Err(err_hint(format!(
                                "invalid --strings-in-hex argument: '{v}'"
                            )))
                        }
                    });
                }
                "instruction-pointer" => cfg.instruction_pointer = true,
                "stack-traces" => cfg.stack_trace = true,
                "kill-on-exit" => cfg.kill_on_exit = true,
                "json" => cfg.json = true,
                "output-format" => {
                    let v = value(&mut i)?;
                    cfg.json = match v.as_str() {
                        "json" => true,
                        "text" => false,
                        _ => {
                            return Err(err_hint(format!(
                                "invalid --output-format argument: '{v}'"
                            )))
                        }
                    };
                }
                "successful-only" => cfg.status = parse_status_set("successful")?,
                "failed-only" => cfg.status = parse_status_set("failed")?,
                "help" => return Ok(Action::Help),
                "version" => return Ok(Action::Version),
                "daemonize" | "daemonise" | "daemonized" | "daemonised" => {
                    daemonize_long = match inline.as_deref() {
                        None | Some("grandchild") => 1,
                        Some("pgroup" | "pgrp") => 2,
                        Some("session") => 3,
                        Some(v) => {
                            return Err(err_hint(format!("invalid --{name} argument: '{v}'")))
                        }
                    };
                }
                "interruptible" => {
                    let v = value(&mut i)?;
                    interruptible = Some(parse_interruptible(&v).ok_or_else(|| {
                        err_hint(format!("invalid --interruptible argument: '{v}'"))
                    })?);
                }
                // An optional argument, attached with `=` only (getopt's optional_argument):
                // alone it is -y's `path`.
                "decode-fds" | "decode-fd" if inline.is_none() => {
                    qualify(
                        &mut cfg,
                        "decode-fds=path",
                        &mut trace_seen,
                        &mut quiet_seen,
                    )?;
                }
                "quiet" | "silent" | "silence" if inline.is_none() => {
                    // Without an argument: strace's -q set.
                    qualify(
                        &mut cfg,
                        "quiet=attach,personality",
                        &mut trace_seen,
                        &mut quiet_seen,
                    )?;
                }
                "trace" | "signal" | "status" | "read" | "write" | "inject" | "fault" | "raw"
                | "quiet" | "silent" | "silence" | "decode-fds" | "decode-pids" | "abbrev"
                | "verbose" | "trace-fds" | "kvm" => {
                    let v = value(&mut i)?;
                    qualify(
                        &mut cfg,
                        &format!("{name}={v}"),
                        &mut trace_seen,
                        &mut quiet_seen,
                    )?;
                }
                _ => return Err(err_hint(format!("unrecognized option '--{name}'"))),
            }
            i += 1;
            continue;
        }
        if !arg.starts_with('-') || arg == "-" {
            break;
        }
        let chars: Vec<char> = arg[1..].chars().collect();
        let mut k = 0;
        while k < chars.len() {
            let o = chars[k];
            k += 1;
            let val =
                if WITH_ARG.contains(o) {
                    let rest: String = chars[k..].iter().collect();
                    k = chars.len();
                    if !rest.is_empty() {
                        Some(rest)
                    } else {
                        i += 1;
                        Some(text.get(i).cloned().ok_or_else(|| {
                            err_hint(format!("option requires an argument -- '{o}'"))
                        })?)
                    }
                } else {
                    None
                };
            let v = val.as_deref().unwrap_or("");
            match o {
                'f' => follow += 1,
                'c' => c = true,
                'C' => big_c = true,
                'w' => cfg.wallclock = true,
                'S' => {
                    cfg.sort_by = SortBy::parse(v)
                        .ok_or_else(|| err_hint(format!("invalid sortby: '{v}'")))?
                }
                'e' => qualify(&mut cfg, v, &mut trace_seen, &mut quiet_seen)?,
                'o' => cfg.output = Some(v.into()),
                'A' => cfg.append = true,
                's' => {
                    let n: i64 = parse_num('s', v)?;
                    if n < 0 {
                        return Err(err_hint(format!("invalid -s argument: '{v}'")));
                    }
                    cfg.decode.max_strlen = n as usize;
                }
                'a' => cfg.acolumn = parse_num('a', v)?,
                'v' => {
                    cfg.decode.verbose = true;
                    cfg.abbrev = SyscallSet::all(false);
                }
                'x' => hex += 1,
                'X' => {
                    cfg.decode.xlat = match v {
                        "raw" => XlatStyle::Raw,
                        "abbrev" => XlatStyle::Abbrev,
                        "verbose" => XlatStyle::Verbose,
                        _ => return Err(err_hint(format!("invalid -X argument: '{v}'"))),
                    }
                }
                'y' => fds += 1,
                't' => ts += 1,
                'T' => {
                    cfg.syscall_times = true;
                    cfg.syscall_times_digits = 6;
                }
                'r' => {
                    cfg.relative = true;
                    cfg.relative_digits = 6;
                }
                'i' => cfg.instruction_pointer = true,
                'n' => cfg.syscall_number = true,
                'k' => cfg.stack_trace = true,
                'q' => quiet += 1,
                'z' => cfg.status = parse_status_set("successful")?,
                'Z' => cfg.status = parse_status_set("failed")?,
                'p' => add_pids(&mut cfg, v)?,
                'E' => add_env(&mut cfg, v),
                'u' => cfg.user = Some(lookup_user(v)?),
                'P' => trace_paths.push(v.to_owned()),
                'Y' => cfg.decode.pid_comm = true,
                'U' => cfg.summary_columns = Column::parse_list(v).map_err(err_hint)?,
                'O' => {
                    cfg.overhead_ns = parse_overhead(v)
                        .ok_or_else(|| err_hint(format!("invalid -O argument: '{v}'")))?
                }
                'b' if v == "execve" => cfg.detach_on_execve = true,
                'b' => return Err(err(format!("Syscall '{v}' for -b isn't supported"))),
                'I' => {
                    interruptible = Some(
                        parse_interruptible(v)
                            .ok_or_else(|| err_hint(format!("invalid -I argument: '{v}'")))?,
                    )
                }
                'D' => daemonize_short += 1,
                'd' => cfg.debug = true,
                'F' => {}
                'h' => return Ok(Action::Help),
                'V' => return Ok(Action::Version),
                _ => return Err(err_hint(format!("invalid option -- '{o}'"))),
            }
        }
        i += 1;
    }
    cfg.command = args[i.min(args.len())..].to_vec();
    if cfg.command.is_empty() && cfg.attach.is_empty() {
        return Err(err_hint("must have PROG [ARGS] or -p PID"));
    }
    if cfg.command.is_empty() && cfg.argv0.is_some() {
        return Err(err_hint("PROG [ARGS] must be specified with --argv0"));
    }
    if daemonize_long > 0 && daemonize_short > 0 {
        return Err(err("-D and --daemonize cannot be provided simultaneously"));
    }
    let daemonize = daemonize_short.max(daemonize_long.into());
    if daemonize > 0 && cfg.command.is_empty() {
        return Err(err_hint(
            "PROG [ARGS] must be specified with -D/--daemonize",
        ));
    }
    if daemonize > 3 {
        return Err(err_hint(format!(
            "Too many -D's ({daemonize}), maximum supported -D count is 3"
        )));
    }
    cfg.daemonize = daemonize as u8;
    if c && big_c {
        return Err(err_hint(
            "-c/--summary-only and -C/--summary are mutually exclusive",
        ));
    }
    cfg.summary = if c {
        SummaryMode::Only
    } else if big_c {
        SummaryMode::Also
    } else {
        SummaryMode::None
    };
    if cfg.wallclock && cfg.summary == SummaryMode::None {
        return Err(err_hint(
            "-w/--summary-wall-clock must be given with (-c/--summary-only or -C/--summary)",
        ));
    }
    cfg.follow_forks = follow >= 1;
    cfg.output_separately = follow >= 2 && cfg.output.is_some();
    if cfg.json_output.is_some() && (cfg.json || cfg.output_separately) {
        return Err(err_hint(
            "--json-output cannot be combined with --output-format=json or -ff",
        ));
    }
    if follow >= 2 && cfg.output.is_some() && cfg.summary != SummaryMode::None {
        return Err(err_hint(
            "(-c/--summary-only or -C/--summary) and -ff/--output-separately are mutually exclusive",
        ));
    }
    cfg.decode.hex = match (hex, long_hex) {
        (0, Some(h)) => h,
        (_, Some(_)) => {
            return Err(err(
                "-x and --strings-in-hex cannot be provided simultaneously",
            ))
        }
        (0, None) => HexMode::None,
        (1, None) => HexMode::NonAscii,
        _ => HexMode::All,
    };
    match fds {
        0 => {}
        1 => cfg.decode.decode_fds |= crate::decode::FD_PATH,
        _ => cfg.decode.decode_fds = crate::decode::FD_ALL,
    }
    if ts > 0 && long_ts_given {
        return Err(err(
            "-t and --absolute-timestamps cannot be provided simultaneously",
        ));
    }
    cfg.timestamps = match ts {
        0 if !long_ts_given => Timestamps::None,
        0 => match long_ts {
            (TsFormat::None, _) => Timestamps::None,
            (TsFormat::Time, d) => Timestamps::Time(d),
            (TsFormat::Unix, d) => Timestamps::Unix(d),
        },
        1 => Timestamps::Time(0),
        2 => Timestamps::Time(6),
        _ => Timestamps::Unix(6),
    };
    // Like strace 6.1: the paths are resolved once the options are read, and only
    // `-e quiet=path-resolution` silences that (not -q, applied after).
    for p in &trace_paths {
        add_trace_path(&mut cfg, p);
    }
    // strace's defaults: -D never lets ^C or ^Z stop the tracer; `-o FILE PROG` ignores the
    // fatal signals (they reach the command) and is quiet about attaching.
    cfg.interruptible = match interruptible {
        Some(i) => i,
        None if cfg.daemonize > 0 => Interruptible::NeverTstp,
        None if cfg.output.is_some() && !cfg.command.is_empty() => Interruptible::Never,
        None => Interruptible::Waiting,
    };
    if cfg.output.is_some() && !cfg.command.is_empty() && quiet == 0 && !quiet_seen {
        quiet = 1;
    }
    if quiet > 0 {
        if quiet_seen {
            return Err(err(
                "-q and -e quiet/--quiet cannot be provided simultaneously",
            ));
        }
        let set = ["attach,personality", "exit,attach,personality", "all"][quiet.min(3) - 1];
        qualify(
            &mut cfg,
            &format!("quiet={set}"),
            &mut trace_seen,
            &mut quiet_seen,
        )?;
    }
    if let (true, Some(out)) = (cfg.output_separately, &cfg.output) {
        if out.as_os_str().as_encoded_bytes().starts_with(b"|")
            || out.as_os_str().as_encoded_bytes().starts_with(b"!")
        {
            return Err(err_hint(
                "piping the output and -ff/--output-separately are mutually exclusive",
            ));
        }
        // strace: room is left for ".PID" (PATH_MAX - 3 * sizeof(int)).
        if out.as_os_str().len() >= libc::PATH_MAX as usize - 12 {
            return Err(err(format!(
                "{}: {}",
                out.display(),
                crate::decode::strerror(libc::ENAMETOOLONG)
            )));
        }
    }
    if cfg.user.is_some() {
        // SAFETY: getuid has no arguments and cannot fail.
        if unsafe { libc::getuid() } != 0 {
            return Err(err("You must be root to use the -u option"));
        }
    }
    if cfg.stack_trace && cfg.summary == SummaryMode::Only {
        eprintln!(
            "{}: -k/--stack-traces has no effect with -c/--summary-only",
            crate::progname()
        );
        cfg.stack_trace = false;
    }
    // An injection set does not widen the trace set: as in strace, a call is tampered with
    // only when it is traced too (`-e trace=` AND the inject set), so an untraced call (the
    // loader's brk and mmap under `-e trace=exit -e fault=!process`) always runs untouched.
    cfg.seccomp = !no_seccomp;
    if cfg.detach_on_execve {
        // A filter would outlive the detach and stop the program for nobody.
        if cfg.seccomp_explicit {
            eprintln!(
                "{}: --seccomp-bpf is not enabled because it is not compatible with -b",
                crate::progname()
            );
        }
        cfg.seccomp = false;
        cfg.seccomp_explicit = false;
    }
    if cfg.seccomp_explicit && !cfg.follow_forks {
        // Like strace: a filter inherited by untraced children would make their traced
        // syscalls fail with ENOSYS.
        eprintln!(
            "{}: --seccomp-bpf cannot be used without -f/--follow-forks, disabling",
            crate::progname()
        );
        cfg.seccomp = false;
    }
    if cfg.seccomp_explicit && cfg.follow_forks && cfg.command.is_empty() {
        // As strace 6.1 (which says nothing when a command is started too: that one gets
        // the filter, the attached processes run without). A filter cannot be given to a
        // running process from outside: seccomp() applies to the calling thread (and, with
        // TSYNC, its siblings) and what it starts later, so the tracer would have to make
        // the call from inside the tracee, with no_new_privs set on it for good, on every
        // thread at a syscall boundary: not done.
        eprintln!(
            "{}: --seccomp-bpf is not enabled for processes attached with -p",
            crate::progname()
        );
        cfg.seccomp_explicit = false;
    }
    Ok(Action::Run(Box::new(cfg)))
}

/// `-P PATH`: the path as given and, when it differs, the file it resolves to (what
/// `/proc/PID/fd` shows for a descriptor open on it), as strace does, saying so on stderr
/// unless `-e quiet=path-resolution`.
fn add_trace_path(cfg: &mut Config, path: &str) {
    use std::os::unix::ffi::OsStrExt;
    cfg.trace_paths.push(path.as_bytes().to_vec());
    if let Ok(real) = std::fs::canonicalize(path) {
        let real = real.as_os_str().as_bytes().to_vec();
        if real != path.as_bytes() && !cfg.quiet.path_resolution {
            let (mut given, mut resolved) = (String::new(), String::new());
            crate::text::quote(&mut given, path.as_bytes(), HexMode::None, false);
            crate::text::quote(&mut resolved, &real, HexMode::None, false);
            eprintln!(
                "{}: Requested path {given} resolved into {resolved}",
                crate::progname()
            );
        }
        if !cfg.trace_paths.contains(&real) {
            cfg.trace_paths.push(real);
        }
    }
}

fn add_pids(cfg: &mut Config, v: &str) -> Result<(), UsageError> {
    for tok in v.split([',', ' ', '\t', '\n']).filter(|t| !t.is_empty()) {
        let pid: i32 = tok
            .parse()
            .ok()
            .filter(|&p: &i32| p > 0)
            .ok_or_else(|| err(format!("Invalid process id: '{tok}'")))?;
        if pid == std::process::id() as i32 {
            return Err(err("I'm sorry, I can't let you do that, Dave."));
        }
        cfg.attach.push(pid);
    }
    Ok(())
}

fn add_env(cfg: &mut Config, v: &str) {
    match v.split_once('=') {
        Some((k, val)) => cfg.env.push((k.to_owned(), Some(val.to_owned()))),
        None => cfg.env.push((v.to_owned(), None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Config, UsageError> {
        match parse(args.iter().map(OsString::from).collect())? {
            Action::Run(c) => Ok(*c),
            a => panic!("{a:?}"),
        }
    }

    #[test]
    fn overhead_in_strace_units() {
        let ns = |v: &str| run(&["-O", v, "true"]).map(|c| c.overhead_ns);
        assert_eq!(ns("5"), Ok(5_000));
        assert_eq!(ns("1ms"), Ok(1_000_000));
        assert_eq!(ns("0.5s"), Ok(500_000_000));
        assert_eq!(ns("7ns"), Ok(7));
        assert_eq!(ns("1e3us"), Ok(1_000_000));
        for bad in ["abc", "-1", "1h", ""] {
            assert_eq!(
                ns(bad).unwrap_err().message,
                format!("invalid -O argument: '{bad}'")
            );
        }
    }

    #[test]
    fn options_stop_at_the_command() {
        let c = run(&["-f", "-s100", "-e", "trace=openat,close", "ls", "-l"]).unwrap();
        assert!(c.follow_forks);
        assert_eq!(c.decode.max_strlen, 100);
        assert_eq!(c.command, vec![OsString::from("ls"), OsString::from("-l")]);
        assert!(c.trace.contains(257) && c.trace.contains(3) && !c.trace.contains(0));
        assert!(c.trace_filtered);
    }

    #[test]
    fn classes_negation_and_regex() {
        let s = parse_syscall_set("%file").unwrap();
        assert!(s.contains(257) && s.contains(59) && !s.contains(0));
        let s = parse_syscall_set("!read,write").unwrap();
        assert!(!s.contains(0) && !s.contains(1) && s.contains(2));
        let s = parse_syscall_set("/^rt_sig").unwrap();
        assert!(s.contains(13) && s.contains(14) && !s.contains(0));
        assert!(parse_syscall_set("nosuchcall").is_err());
    }

    #[test]
    fn errors_like_strace() {
        assert_eq!(
            run(&[]).unwrap_err().message,
            "must have PROG [ARGS] or -p PID"
        );
        assert_eq!(
            run(&["-c", "-C", "true"]).unwrap_err().message,
            "-c/--summary-only and -C/--summary are mutually exclusive"
        );
        assert_eq!(
            run(&["-e", "bogus=1", "true"]).unwrap_err().message,
            "invalid system call 'bogus=1'"
        );
        assert!(run(&["-w", "true"]).unwrap_err().hint);
        assert_eq!(
            run(&["-j", "true"]).unwrap_err().message,
            "invalid option -- 'j'"
        );
        assert_eq!(
            run(&["-p", "x"]).unwrap_err().message,
            "Invalid process id: 'x'"
        );
        assert_eq!(
            run(&["-e", "trace=bogus", "true"]).unwrap_err().message,
            "invalid system call 'bogus'"
        );
        assert_eq!(
            run(&["-e", "trace=/+id", "true"]).unwrap_err().message,
            "regcomp: +id: repetition operator missing expression"
        );
        // "all" and class names in any case are tokens of a list too.
        assert_eq!(
            run(&["-e", "trace=all,nonsense", "true"])
                .unwrap_err()
                .message,
            "invalid system call 'nonsense'"
        );
        assert!(run(&["-e", "trace=%DESC,all", "true"]).is_ok());
        // The personality suffix stays in the message (strace's filtering_syscall-syntax).
        assert_eq!(
            run(&["-e", "trace=-1@64", "true"]).unwrap_err().message,
            "invalid system call '-1@64'"
        );
    }

    #[test]
    fn inject_spec() {
        let c = run(&["-e", "inject=openat:error=ENOENT:when=2+", "true"]).unwrap();
        let r = &c.inject[0];
        assert_eq!(r.ret, Some(crate::config::InjectReturn::Error(2)));
        assert_eq!((r.first, r.last, r.step), (2, u16::MAX, 1));
    }

    #[test]
    fn inject_syntax_like_strace() {
        use crate::config::InjectReturn;
        let rule = |spec: &str| run(&["-e", spec, "true"]).map(|c| c.inject[0].clone());
        // when=: F, F+, F+S, F..L, F..L+S.
        for (when, want) in [
            ("3", (3, u16::MAX, 0)),
            ("3+", (3, u16::MAX, 1)),
            ("3+4", (3, u16::MAX, 4)),
            ("3..5", (3, 5, 1)),
            ("3..5+2", (3, 5, 2)),
            ("65535", (65535, u16::MAX, 0)),
        ] {
            let r = rule(&format!("inject=chdir:error=1:when={when}")).unwrap();
            assert_eq!((r.first, r.last, r.step), want, "{when}");
        }
        let r = rule("inject=chdir:retval=0xffffffffffffffff:signal=usr1:syscall=gettid").unwrap();
        assert_eq!(r.ret, Some(InjectReturn::Retval(u64::MAX)));
        assert_eq!((r.signal, r.syscall), (Some(10), Some(186)));
        let r = rule("inject=chdir:poke_enter=@arg1=00ff,@arg2=aa:delay_exit=2ms").unwrap();
        assert_eq!(r.poke_enter.len(), 2);
        assert_eq!(r.poke_enter[0].data, vec![0, 0xff]);
        assert_eq!(r.delay_exit, Some(std::time::Duration::from_millis(2)));
        assert_eq!(
            rule("fault=chdir").unwrap().ret,
            Some(InjectReturn::Error(38))
        );
        for bad in [
            "inject=chdir",
            "inject=chdir:when=0:error=1",
            "inject=chdir:when=27..65535:error=1",
            "inject=chdir:when=5+-:error=1",
            "inject=chdir:error=4096",
            "inject=chdir:error=1:retval=0",
            "inject=chdir:signal=65",
            "inject=chdir:syscall=chdir:error=1",
            "inject=chdir:poke_enter=@arg1=0:error=1",
            "inject=chdir:delay_enter=-1",
            "fault=chdir:signal=1",
        ] {
            let e = rule(bad).unwrap_err().message;
            let what = bad.split_once('=').unwrap();
            assert_eq!(
                e,
                format!("invalid {} argument '{}'", what.0, what.1),
                "{bad}"
            );
        }
        assert_eq!(
            rule("inject=nosuch:error=1").unwrap_err().message,
            "invalid system call 'nosuch'"
        );
    }

    #[test]
    fn trace_and_signal_sets_like_strace() {
        // A later -e trace= replaces an earlier one.
        let c = run(&["-e", "trace=chdir", "-e", "trace=getpid", "true"]).unwrap();
        assert!(c.trace.contains(39) && !c.trace.contains(80));
        for bad in [" ", "SIG", "-1", "256", "1-1", "9,chdir", ""] {
            let e = run(&["-e", &format!("signal={bad}"), "true"]).unwrap_err();
            assert!(e.message.starts_with("invalid signal '"), "{bad}: {e}");
        }
        // -e abbrev= and -e verbose= are sets of calls; -v is abbrev=none.
        let c = run(&["-e", "verbose=!capget", "-e", "abbrev=execve", "true"]).unwrap();
        assert!(!c.verbose_set.contains(125) && c.verbose_set.contains(126));
        assert!(c.abbrev.contains(59) && !c.abbrev.contains(125));
        assert!(run(&["-v", "true"]).unwrap().abbrev.numbers().is_empty());
        let c = run(&["-e", "signal=!sigint,15", "true"]).unwrap();
        assert_eq!(c.signals & (1 << 1 | 1 << 14), 0);
        assert_ne!(c.signals & 1, 0);
    }

    #[test]
    fn long_options_as_getopt_long() {
        // Unique prefixes, and the long spellings of short options.
        assert!(run(&["--stack-trace", "true"]).unwrap().stack_trace);
        let c = run(&["--summary-sort-by=calls", "-c", "true"]).unwrap();
        assert_eq!(c.sort_by, SortBy::Calls);
        let c = run(&["--summary-syscall-overhead", "2ms", "-c", "true"]).unwrap();
        assert_eq!(c.overhead_ns, 2_000_000);
        let c = run(&["--syscall-num", "--debug", "true"]).unwrap();
        assert!(c.syscall_number && c.debug);
        assert_eq!(
            run(&["--detach-on=chdir", "true"]).unwrap_err().message,
            "Syscall 'chdir' for -b isn't supported"
        );
        // Ambiguous (--summary, --summary-only, ...): not an option.
        assert!(run(&["--summ", "true"]).is_err());
    }

    #[test]
    fn timestamp_precisions() {
        let c = run(&["--relative-timestamps=ms", "--syscall-times=ns", "true"]).unwrap();
        assert_eq!((c.relative_digits, c.syscall_times_digits), (3, 9));
        assert!(run(&["--syscall-times=xs", "true"]).is_err());
        let mut s = String::new();
        crate::output::push_fraction(&mut s, std::time::Duration::from_nanos(1_234_567_891), 3);
        assert_eq!(s, ".234");
        s.clear();
        crate::output::push_fraction(&mut s, std::time::Duration::from_nanos(1_234_567_891), 0);
        assert_eq!(s, "");
    }

    #[test]
    fn absolute_timestamps_like_strace() {
        let ts = |a: &[&str]| run(a).map(|c| c.timestamps);
        assert_eq!(ts(&["--timestamps", "true"]), Ok(Timestamps::Time(0)));
        assert_eq!(
            ts(&[
                "--absolute-timestamps=format:time",
                "--absolute-timestamps=precision:ms",
                "true"
            ]),
            Ok(Timestamps::Time(3))
        );
        assert_eq!(
            ts(&["--timestamps=ns,format:unix", "true"]),
            Ok(Timestamps::Unix(9))
        );
        assert_eq!(ts(&["--timestamps=,,", "true"]), Ok(Timestamps::Time(0)));
        assert_eq!(ts(&["--timestamps=s,,none", "true"]), Ok(Timestamps::None));
        assert_eq!(ts(&["-ttt", "true"]), Ok(Timestamps::Unix(6)));
        assert_eq!(
            run(&["--absolute-timestamps=ss", "true"])
                .unwrap_err()
                .message,
            "invalid --absolute-timestamps argument: 'ss'"
        );
        assert_eq!(
            run(&["--timestamps=precision:none", "true"])
                .unwrap_err()
                .message,
            "invalid --timestamps argument: 'precision:none'"
        );
        assert_eq!(
            run(&["-t", "--timestamps", "true"]).unwrap_err().message,
            "-t and --absolute-timestamps cannot be provided simultaneously"
        );
    }

    #[test]
    fn strings_in_hex_numbers_and_paths() {
        let c = run(&["--strings-in-hex=non-ascii-chars", "true"]).unwrap();
        assert_eq!(c.decode.hex, HexMode::NonAsciiChars);
        assert_eq!(
            run(&["--strings-in-hex", "true"]).unwrap().decode.hex,
            HexMode::All
        );
        assert_eq!(
            run(&["--strings-in-hex=al", "true"]).unwrap_err().message,
            "invalid --strings-in-hex argument: 'al'"
        );
        assert_eq!(
            run(&["-x", "--strings-in-hex", "true"])
                .unwrap_err()
                .message,
            "-x and --strings-in-hex cannot be provided simultaneously"
        );
        let c = run(&["-e", "trace=39,openat", "true"]).unwrap();
        assert!(c.trace.contains(39) && c.trace.contains(257) && !c.trace.contains(0));
        let c = run(&["-P", "/", "--trace-path=/nonexistent", "true"]).unwrap();
        assert_eq!(c.trace_paths, vec![b"/".to_vec(), b"/nonexistent".to_vec()]);
        assert!(run(&["-Y", "true"]).unwrap().decode.pid_comm);
        assert!(
            !run(&["-Y", "--decode-pids=!comm,pidns", "true"])
                .unwrap()
                .decode
                .pid_comm
        );
        assert_eq!(
            run(&["--decode-pids=chdir", "true"]).unwrap_err().message,
            "invalid decode-pids 'chdir'"
        );
    }

    #[test]
    fn quiet_sets_like_strace() {
        let q = |a: &[&str]| run(a).map(|c| c.quiet);
        let all = Quiet {
            attach: true,
            exit: true,
            thread_execve: true,
            personality: true,
            path_resolution: true,
        };
        assert_eq!(q(&["-e", "quiet=all", "true"]), Ok(all));
        assert_eq!(q(&["--quiet=!all", "true"]), Ok(Quiet::default()));
        let c = q(&["--quiet=!exit", "true"]).unwrap();
        assert!(c.attach && !c.exit && c.personality);
        let c = q(&["--quiet", "true"]).unwrap();
        assert!(c.attach && c.personality && !c.exit);
        let c = q(&["-qq", "true"]).unwrap();
        assert!(c.attach && c.exit && !c.thread_execve);
        // `-o FILE PROG` is quiet about attaching, as strace's implied -q.
        let c = q(&["-o", "/dev/null", "true"]).unwrap();
        assert!(c.attach && c.personality && !c.exit);
        let c = q(&["-o", "/dev/null", "-e", "quiet=exit", "true"]).unwrap();
        assert!(!c.attach && c.exit);
        for (args, msg) in [
            (&["-e", "quiet=bogus", "true"][..], "invalid quiet 'bogus'"),
            (&["--quiet=attach,x", "true"], "invalid quiet 'x'"),
            (&["--quiet=", "true"], "invalid quiet ''"),
            (
                &["-q", "-e", "quiet=none", "true"],
                "-q and -e quiet/--quiet cannot be provided simultaneously",
            ),
        ] {
            assert_eq!(q(args).unwrap_err().message, msg, "{args:?}");
        }
    }

    #[test]
    fn trace_fds_interruptible_and_daemonize() {
        let c = run(&["-e", "trace-fds=1,3", "true"]).unwrap();
        let fds = c.trace_fds.unwrap();
        assert!(fds.contains(1) && fds.contains(3) && !fds.contains(2) && !fds.contains(-100));
        let fds = run(&["--trace-fds=!0", "true"]).unwrap().trace_fds.unwrap();
        assert!(!fds.contains(0) && fds.contains(7));
        assert_eq!(
            run(&["-e", "trace-fds=x", "true"]).unwrap_err().message,
            "invalid descriptor 'x'"
        );
        // -e read=/write=: leading `!`s invert, empty tokens are skipped, a set with no
        // descriptor names the whole argument (strace's qualify_tokens).
        let r = |a: &str| run(&["-e", a, "true"]).map(|c| (c.read_fds, c.read_all));
        assert_eq!(r("read=!3,,4"), Ok((vec![3, 4], true)));
        assert_eq!(r("read=!!all"), Ok((vec![], true)));
        assert_eq!(r("read=!none"), Ok((vec![], true)));
        assert_eq!(r("read=,,").unwrap_err().message, "invalid descriptor ',,'");
        assert_eq!(r("read=1,!").unwrap_err().message, "invalid descriptor '!'");
        assert_eq!(
            r("read=2147483648").unwrap_err().message,
            "invalid descriptor '2147483648'"
        );
        let i = |a: &[&str]| run(a).map(|c| c.interruptible);
        assert_eq!(i(&["true"]), Ok(Interruptible::Waiting));
        assert_eq!(i(&["-o", "/dev/null", "true"]), Ok(Interruptible::Never));
        assert_eq!(
            i(&["-o", "/dev/null", "-p", "1"]),
            Ok(Interruptible::Waiting)
        );
        assert_eq!(i(&["-D", "true"]), Ok(Interruptible::NeverTstp));
        assert_eq!(i(&["-I", "anywhere", "true"]), Ok(Interruptible::Anywhere));
        assert_eq!(i(&["-I1", "-D", "true"]), Ok(Interruptible::Anywhere));
        assert_eq!(
            i(&["-I", "5", "true"]).unwrap_err().message,
            "invalid -I argument: '5'"
        );
        assert!(i(&["-I", "x", "true"]).unwrap_err().hint);
        assert_eq!(
            i(&["--interruptible=x", "true"]).unwrap_err().message,
            "invalid --interruptible argument: 'x'"
        );
        let d = |a: &[&str]| run(a).map(|c| c.daemonize);
        assert_eq!(d(&["-DD", "true"]), Ok(2));
        assert_eq!(d(&["--daemonize=session", "true"]), Ok(3));
        assert_eq!(d(&["--daemonize", "true"]), Ok(1));
        for (args, msg) in [
            (
                &["-D", "--daemonize", "true"][..],
                "-D and --daemonize cannot be provided simultaneously",
            ),
            (
                &["-D", "-p", "1"],
                "PROG [ARGS] must be specified with -D/--daemonize",
            ),
            (
                &["-DDDD", "true"],
                "Too many -D's (4), maximum supported -D count is 3",
            ),
            (
                &["--daemonize=x", "true"],
                "invalid --daemonize argument: 'x'",
            ),
        ] {
            assert_eq!(d(args).unwrap_err().message, msg, "{args:?}");
        }
    }

    #[test]
    fn injection_does_not_widen_the_trace_set() {
        let c = run(&[
            "-e",
            "trace=exit_group",
            "-e",
            "fault=!process:error=1",
            "true",
        ])
        .unwrap();
        assert!(c.trace.contains(231) && !c.trace.contains(12) && !c.trace.contains(9));
    }
}
