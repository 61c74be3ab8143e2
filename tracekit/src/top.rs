//! `tracekit top LOG|PID` and `tracekit heap --live`: a terminal view that follows a heap log
//! as it grows (memray's live mode): the heap now, its peak, and the sites holding the most
//! live bytes, refreshed every interval. `q` leaves the view; the program goes on running (the
//! view only reads the log, which the program writes whole at every instant).
//!
//! Each refresh reads the log again from its start (the records the program has written so
//! far; the zero padding ahead of them ends the read) and symbolizes only the sites shown,
//! with one resolver kept across refreshes.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};

use crate::analysis::Analysis;
use crate::symbols::{Resolve, Symbols};

/// What `tracekit top` follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A log file.
    Log(PathBuf),
    /// A running process: the heap log it has open.
    Pid(u32),
}

/// `tracekit top`'s config.
#[derive(Debug, Clone)]
pub struct TopConfig {
    /// What to follow.
    pub target: Target,
    /// Time between refreshes.
    pub interval: Duration,
    /// Sites shown.
    pub top: usize,
    /// Print one view and exit (no screen control: for scripts).
    pub once: bool,
}

/// Runs `tracekit top`; returns the exit status.
pub fn run(c: &TopConfig) -> anyhow::Result<u8> {
    let log = match &c.target {
        Target::Log(p) => p.clone(),
        Target::Pid(pid) => log_of(*pid)?,
    };
    let mut view = View::new(c.top);
    if c.once {
        view.render(&log, &mut io::stdout().lock())?;
        return Ok(0);
    }
    let _term = Terminal::raw();
    loop {
        let mut screen = Vec::new();
        view.render(&log, &mut screen)?;
        show(&screen)?;
        if quit_pressed(c.interval) {
            break;
        }
    }
    Ok(0)
}

/// The heap log process `pid` has open (the newest, if several).
pub fn log_of(pid: u32) -> anyhow::Result<PathBuf> {
    let dir = format!("/proc/{pid}/fd");
    let fds = std::fs::read_dir(&dir).with_context(|| format!("cannot read {dir}"))?;
    let mut logs: Vec<PathBuf> = fds
        .flatten()
        .filter_map(|fd| std::fs::read_link(fd.path()).ok())
        .filter(|p| p.extension().is_some_and(|e| e == "tklog"))
        .collect();
    logs.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
    match logs.pop() {
        Some(l) => Ok(l),
        None => bail!(
            "process {pid} has no tracekit log open: start it under `tracekit heap` (or with \
             LD_PRELOAD=libpreload_heaptrack.so)"
        ),
    }
}

/// One view's state kept across refreshes.
#[derive(Debug)]
pub struct View {
    top: usize,
    resolver: Symbols,
}

impl View {
    /// A view showing `top` sites.
    pub fn new(top: usize) -> Self {
        View {
            top,
            resolver: Symbols::new(),
        }
    }

    /// Reads `log` as it is now and writes the view.
    pub fn render(&mut self, log: &Path, out: &mut dyn Write) -> anyhow::Result<()> {
        let mut analysis = Analysis::new();
        let file = File::open(log).with_context(|| format!("cannot open {}", log.display()))?;
        // A log caught between two records ends in damage: what came before is the view.
        if let Err(e) = analysis.read_log(&log.display().to_string(), file) {
            if !matches!(e.kind, tracekit_log::ErrorKind::Empty) {
                return Err(e).context(log.display().to_string());
            }
        }
        writeln!(out, "tracekit top: {}   (q quits)", log.display())?;
        let Some((pi, p)) = analysis.heap.processes.iter().enumerate().next_back() else {
            writeln!(out, "no heap events yet")?;
            return Ok(());
        };
        let sites = p.sites();
        let live: u64 = sites.iter().map(|s| s.live_bytes).sum();
        let blocks: u64 = sites.iter().map(|s| s.live_blocks).sum();
        let state = match p.exit {
            Some(_) => "ended",
            None => "running",
        };
        writeln!(out, "pid {} ({}), {state}", p.info.pid, p.info.exe)?;
        writeln!(
            out,
            "heap now: {live} bytes in {blocks} blocks   peak: {} bytes",
            p.peak
        )?;
        writeln!(out)?;
        writeln!(out, "{:>14}  {:>8}  site", "live bytes", "blocks")?;
        let mut idx: Vec<usize> = (0..sites.len())
            .filter(|&i| sites[i].live_bytes > 0)
            .collect();
        idx.sort_by_key(|&i| std::cmp::Reverse(sites[i].live_bytes));
        for &i in idx.iter().take(self.top) {
            let s = &sites[i];
            let site = p
                .stack(s.stack)
                .and_then(|frames| frames.first().copied())
                .map(|addr| self.resolver.resolve(pi, &p.modules, addr))
                .and_then(|f| f.last().map(|f| f.label()))
                .unwrap_or_else(|| "??".to_owned());
            writeln!(out, "{:>14}  {:>8}  {site}", s.live_bytes, s.live_blocks)?;
        }
        Ok(())
    }
}

/// Clears the terminal and draws `screen` (lines end in CR LF: the terminal is raw).
pub fn show(screen: &[u8]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(b"\x1b[H\x1b[2J")?;
    for line in screen.split(|&b| b == b'\n') {
        out.write_all(line)?;
        out.write_all(b"\r\n")?;
    }
    out.flush()
}

/// Waits up to `wait` for a key on stdin; true when it was `q` (or stdin closed).
pub fn quit_pressed(wait: Duration) -> bool {
    let mut pfd = libc::pollfd {
        fd: libc::STDIN_FILENO,
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = libc::c_int::try_from(wait.as_millis()).unwrap_or(libc::c_int::MAX);
    // SAFETY: one valid pollfd, its count 1.
    let n = unsafe { libc::poll(&mut pfd, 1, ms) };
    if n <= 0 {
        return false;
    }
    let mut buf = [0u8; 16];
    // SAFETY: reading into a buffer of its own length.
    let got = unsafe { libc::read(libc::STDIN_FILENO, buf.as_mut_ptr().cast(), buf.len()) };
    match usize::try_from(got) {
        Ok(0) | Err(_) => pfd.revents & libc::POLLHUP != 0,
        Ok(n) => buf[..n].iter().any(|&b| b == b'q' || b == b'Q'),
    }
}

/// The terminal in raw mode (keys arrive one by one, not echoed) while it lives; restored on
/// drop. Nothing is changed when stdin is not a terminal.
pub struct Terminal {
    saved: Option<libc::termios>,
}

impl Terminal {
    /// Puts stdin's terminal in raw mode, if it is one.
    pub fn raw() -> Self {
        // SAFETY: a zeroed termios is a valid out-parameter for tcgetattr.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: `t` is a valid termios to fill in.
        if unsafe { libc::tcgetattr(libc::STDIN_FILENO, &mut t) } != 0 {
            return Terminal { saved: None };
        }
        let saved = t;
        t.c_lflag &= !(libc::ICANON | libc::ECHO);
        t.c_cc[libc::VMIN] = 1;
        t.c_cc[libc::VTIME] = 0;
        // SAFETY: `t` is the terminal's own settings with two flags cleared.
        unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &t) };
        Terminal { saved: Some(saved) }
    }
}

impl std::fmt::Debug for Terminal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Terminal")
            .field("raw", &self.saved.is_some())
            .finish()
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        if let Some(t) = &self.saved {
            // SAFETY: the settings tcgetattr gave us.
            unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, t) };
        }
    }
}
