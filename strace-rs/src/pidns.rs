//! `--pidns-translation`: a process id a tracee in another pid namespace passes or gets
//! back, followed by the same process's id in strace-rs's namespace
//! (`2 /* 1234 in strace's PID NS */`), found through `/proc/*/status` (`NSpid:` and the
//! like list a process's ids from the namespace of the `/proc` mount down to its own).

use std::collections::HashMap;
use std::fs;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

/// Which id of a process a number is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A thread id.
    Tid,
    /// A thread group (process) id.
    Tgid,
    /// A process group id.
    Pgid,
    /// A session id.
    Sid,
}

impl Kind {
    fn field(self) -> &'static str {
        match self {
            Kind::Tid => "NSpid:",
            Kind::Tgid => "NStgid:",
            Kind::Pgid => "NSpgid:",
            Kind::Sid => "NSsid:",
        }
    }
}

/// The ids on the `field` line of a `status` file, outermost namespace first.
fn ids(status: &str, field: &str) -> Option<Vec<i32>> {
    let line = status.lines().find(|l| l.starts_with(field))?;
    line[field.len()..]
        .split_whitespace()
        .map(|t| t.parse().ok())
        .collect()
}

fn status(entry: &str) -> Option<String> {
    fs::read_to_string(format!("/proc/{entry}/status")).ok()
}

/// strace-rs's depth below the namespace of the `/proc` mount (0 when they are the same).
fn our_level() -> usize {
    static LEVEL: OnceLock<usize> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        status("self")
            .and_then(|s| ids(&s, "NSpid:"))
            .map_or(0, |v| v.len().saturating_sub(1))
    })
}

/// The processes `/proc` lists, threads too with `tasks`, as `/proc`-relative paths.
fn entries(tasks: bool) -> Vec<String> {
    let Ok(dir) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in dir.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|c| c.is_ascii_digit()) {
            continue;
        }
        if tasks {
            if let Ok(t) = fs::read_dir(format!("/proc/{name}/task")) {
                for te in t.flatten() {
                    out.push(format!("{name}/task/{}", te.file_name().to_string_lossy()));
                }
            }
        }
        out.push(name);
    }
    out
}

/// strace-rs's own id in the namespace of the `/proc` mount.
fn our_outer_pid() -> Option<i32> {
    static PID: OnceLock<Option<i32>> = OnceLock::new();
    *PID.get_or_init(|| {
        status("self")
            .and_then(|s| ids(&s, "NSpid:"))?
            .first()
            .copied()
    })
}

fn our_ns() -> Option<&'static PathBuf> {
    static NS: OnceLock<Option<PathBuf>> = OnceLock::new();
    NS.get_or_init(|| ns_of("self")).as_ref()
}

fn ns_of(entry: &str) -> Option<PathBuf> {
    fs::read_link(format!("/proc/{entry}/ns/pid")).ok()
}

/// Whether `/proc` entry `e` is the tracee strace-rs knows as `pid`.
fn is_tracee(e: &str, pid: i32, level: usize, tracer: &str) -> bool {
    status(e).is_some_and(|s| {
        ids(&s, "NSpid:").is_some_and(|v| v.get(level) == Some(&pid))
            && s.lines()
                .find_map(|l| l.strip_prefix("TracerPid:"))
                .is_some_and(|t| t.trim() == tracer)
    })
}

/// What earlier lookups found, each checked again before use (ids are reused): the `/proc`
/// entry of a tracee, and the process that had an id in a namespace.
#[derive(Default)]
struct Cache {
    entries: HashMap<i32, String>,
    found: HashMap<(PathBuf, Kind, i32), String>,
}

fn cache() -> &'static Mutex<Cache> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

/// The `/proc` entry of the tracee strace-rs knows as `pid` (ids of strace-rs's depth repeat
/// in other namespaces: the one strace-rs traces).
pub fn proc_entry(pid: i32) -> Option<String> {
    let level = our_level();
    if level == 0 {
        return Some(pid.to_string());
    }
    let tracer = our_outer_pid()?.to_string();
    let known = cache().lock().ok()?.entries.get(&pid).cloned();
    if let Some(e) = known.filter(|e| is_tracee(e, pid, level, &tracer)) {
        return Some(e);
    }
    let e = entries(true)
        .into_iter()
        .find(|e| is_tracee(e, pid, level, &tracer))?;
    cache().lock().ok()?.entries.insert(pid, e.clone());
    Some(e)
}

/// The `/proc`-relative directory of the tracee strace-rs knows as `pid`: `pid` itself,
/// unless `/proc` was mounted in an outer pid namespace (`unshare -pf` without
/// `--mount-proc`), where the tracee's entry has another name.
pub fn proc_dir(pid: i32) -> String {
    proc_entry(pid).unwrap_or_else(|| pid.to_string())
}

/// Process `tracee`'s id `v` of `kind`, in strace-rs's namespace: `None` when the tracee
/// shares that namespace, or no process has that id.
pub fn translate(tracee: i32, v: i32, kind: Kind) -> Option<i32> {
    if v <= 0 {
        return None;
    }
    let entry = proc_entry(tracee)?;
    let ns = ns_of(&entry)?;
    if Some(&ns) == our_ns() {
        return None;
    }
    let depth = ids(&status(&entry)?, "NSpid:")?.len().checked_sub(1)?;
    let level = our_level();
    // The id of process `e` in strace-rs's namespace when `e` has id `v` in the tracee's.
    let answer = |e: &str| -> Option<i32> {
        let line = ids(&status(e)?, kind.field())?;
        if line.get(depth) != Some(&v) || ns_of(e).as_ref() != Some(&ns) {
            return None;
        }
        line.get(level).copied()
    };
    let key = (ns.clone(), kind, v);
    let known = cache().lock().ok()?.found.get(&key).cloned();
    if let Some(p) = known.as_deref().and_then(answer) {
        return Some(p);
    }
    let (e, p) = entries(kind == Kind::Tid)
        .into_iter()
        .find_map(|e| answer(&e).map(|p| (e, p)))?;
    cache().lock().ok()?.found.insert(key, e);
    Some(p)
}

/// ` /* 1234 in strace's PID NS */` after `v` when it translates to another id.
pub fn comment(out: &mut String, tracee: i32, v: i32, kind: Kind) {
    if let Some(p) = translate(tracee, v, kind).filter(|&p| p != v) {
        out.push_str(&format!(" /* {p} in strace's PID NS */"));
    }
}
