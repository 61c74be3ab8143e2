//! strace-rs's process and filtering options against the real strace: `-D`/`-DD`/`-DDD`,
//! `-I`, `-e quiet=`, `-P`'s path resolution, `--seccomp-bpf` with `-p`, `-p` of a process
//! that is gone; and `-e trace-fds=` and `--summary-by=fd|path` (newer than the installed
//! strace 6.1, checked against the same run's event log).

use std::collections::BTreeMap;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use tracekit_e2e::{bin, example, require_tool, run, stderr, stdout, tempdir};

fn tool(name: &str) -> Command {
    let mut c = if name == "strace" {
        Command::new("strace")
    } else {
        // argv[0] `strace-rs`: messages start with the name the tracer was invoked as.
        let mut c = Command::new(bin("strace-rs"));
        std::os::unix::process::CommandExt::arg0(&mut c, "strace-rs");
        c
    };
    c.env_remove("LD_LIBRARY_PATH");
    c
}

/// Both tools' outputs for the same arguments: (strace, strace-rs).
fn both(args: &[&str]) -> (Output, Output) {
    (
        run(tool("strace").args(args)),
        run(tool("strace-rs").args(args)),
    )
}

/// Text with every number replaced by `N` and strace's name by strace-rs's.
fn numbers_out(s: &str) -> String {
    let s = s
        .replace("strace: ", "strace-rs: ")
        .replace("'strace -h'", "'strace-rs -h'");
    let mut out = String::new();
    let mut in_num = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            if !in_num {
                out.push('N');
            }
            in_num = true;
        } else {
            in_num = false;
            out.push(c);
        }
    }
    // "[pid %*u]" pads the pid to a fixed width: two runs' pids of different lengths (99999
    // and 100000) pad differently.
    while out.contains("[pid  ") {
        out = out.replace("[pid  ", "[pid ");
    }
    out
}

/// How a process ended: its exit code, or 128 + the signal that killed it.
fn ended(o: &Output) -> i32 {
    o.status
        .code()
        .unwrap_or_else(|| 128 + o.status.signal().unwrap_or(0))
}

#[test]
fn bad_input_fails_like_strace() {
    require_tool!("strace");
    for args in [
        &["-I", "5", "true"][..],
        &["-I", "x", "true"],
        &["--interruptible=0", "true"],
        &["-e", "quiet=bogus", "true"],
        &["--quiet=attach,bogus", "true"],
        &["--quiet=", "true"],
        &["-q", "-e", "quiet=none", "true"],
        &["-e", "quiet=none", "-qq", "true"],
        &["-D", "-p", "1"],
        &["-DDDD", "true"],
        &["--daemonize=x", "true"],
        &["-D", "--daemonize", "true"],
        &["-D", "/nonexistent/prog"],
        // Malformed -P and -U values.
        &["-P"],
        &["-c", "-U", "", "true"],
        &["-c", "-U", ",", "true"],
        &["-c", "-U", "true"],
    ] {
        let (a, b) = both(args);
        assert_eq!(
            stderr(&b),
            stderr(&a)
                .replace("strace: ", "strace-rs: ")
                .replace("'strace -h'", "'strace-rs -h'"),
            "{args:?}"
        );
        assert_eq!(b.status.code(), a.status.code(), "exit status of {args:?}");
    }
}

#[test]
fn quiet_sets_match_strace() {
    require_tool!("strace");
    let tmp = tempdir();
    let real = std::fs::canonicalize(tmp.path()).unwrap();
    let dotted = format!("{}/../{}", real.display(), {
        let name = real.file_name().unwrap().to_string_lossy().into_owned();
        name
    });
    // A followed child ("Process N attached"), exits, -P's path resolution message.
    let script = "sh -c true; exit 3";
    for quiet in [
        None,
        Some("-q"),
        Some("-qq"),
        Some("-qqq"),
        Some("--quiet"),
        Some("--quiet=exit"),
        Some("--quiet=!exit"),
        Some("-e quiet=attach,path-resolution"),
        Some("-e quiet=all"),
        Some("-e quiet=none"),
        Some("--silent=exits,superseded"),
    ] {
        let mut args: Vec<&str> = quiet.map(|q| q.split(' ').collect()).unwrap_or_default();
        args.extend(["-f", "-e", "trace=none", "-P", &dotted, "sh", "-c", script]);
        let (a, b) = both(&args);
        assert_eq!(
            numbers_out(&stderr(&b)),
            numbers_out(&stderr(&a)),
            "{args:?}"
        );
        assert_eq!((ended(&a), ended(&b)), (3, 3), "{args:?}");
    }
}

#[test]
fn quiet_personality_as_strace() {
    require_tool!("strace");
    let int80 = example("st_int80");
    for quiet in ["none", "personality"] {
        let q = format!("--quiet={quiet}");
        let (a, b) = both(&[&q, "-e", "trace=write", int80.to_str().unwrap()]);
        let mode = |o: &Output| stderr(o).matches("bit mode. ]").count();
        assert_eq!(mode(&b), mode(&a), "{quiet}:\n{}", stderr(&b));
        assert_eq!(mode(&a) > 0, quiet == "none", "{quiet}:\n{}", stderr(&a));
    }
}

#[test]
fn interruptible_modes_match_strace() {
    require_tool!("strace");
    let tmp = tempdir();
    let out = tmp.path().join("out");
    let out = out.to_str().unwrap();
    // The command signals its tracer (its parent), then writes: each mode lets the signal
    // end the tracer (1: at once, by the signal; 2: between two stops, passing it to the
    // command it started) or not (3, 4; and the default of `-o FILE PROG`).
    let term = "kill -TERM $PPID; echo after";
    let tstp = "kill -TSTP $PPID; echo after";
    for (args, script) in [
        (&["-I", "1"][..], term),
        (&["-I", "2"], term),
        (&["-I", "waiting"], term),
        (&["-I", "3"], term),
        (&["--interruptible=never"], term),
        (&["-I", "4"], term),
        (&["-I", "4"], tstp),
        (&["-o", out], term),
    ] {
        let mut full = args.to_vec();
        full.extend(["-e", "trace=none", "sh", "-c", script]);
        let (a, b) = both(&full);
        let what = format!(
            "{full:?}\nstrace:\n{}\nstrace-rs:\n{}",
            stderr(&a),
            stderr(&b)
        );
        assert_eq!(ended(&b), ended(&a), "{what}");
        assert_eq!(stdout(&b), stdout(&a), "{what}");
        assert_eq!(numbers_out(&stderr(&b)), numbers_out(&stderr(&a)), "{what}");
    }
}

/// Runs `args` with `tool` from a new thread's child and returns its output and pid.
fn spawned(tool_name: &str, args: &[&str]) -> (Output, u32) {
    let child = tool(tool_name)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    // Reading both pipes to their end also waits for a detached tracer, which holds them.
    (child.wait_with_output().unwrap(), pid)
}

#[test]
fn daemonized_tracer_is_a_grandchild_like_strace() {
    require_tool!("strace");
    let me = std::process::id();
    // What the command sees: its pid (the tracer's original one), its parent (us), and its
    // tracer's process group and session against its own: the same with -D, a group of
    // the tracer's own with -DD, a session with -DDD.
    let probe = r#"T=$(sed -n 's/^TracerPid:[[:space:]]*//p' /proc/$$/status)
set -- $(cut -d' ' -f4-6 /proc/$T/stat); tp=$1 tg=$2 ts=$3
set -- $(cut -d' ' -f5-6 /proc/$$/stat); g=$1 s=$2
echo "$$ $PPID $([ $T = $PPID ] && echo parent || echo not-parent) $([ $tp = $PPID ] && echo child-of-ours || echo elsewhere) $([ $tg = $g ] && echo same-group || ([ $tg = $T ] && echo own-group)) $([ $ts = $s ] && echo same-session || ([ $ts = $T ] && echo own-session))"
exit 5"#;
    for d in ["-D", "-DD", "-DDD", "--daemonize=pgroup"] {
        let mut seen = Vec::new();
        for name in ["strace", "strace-rs"] {
            let (o, pid) = spawned(name, &[d, "-e", "trace=none", "sh", "-c", probe]);
            let line = stdout(&o).replace(&pid.to_string(), "PID");
            let line = line.replace(&format!(" {me} "), " US ");
            seen.push((ended(&o), line, numbers_out(&stderr(&o))));
        }
        assert_eq!(
            seen[1], seen[0],
            "{d}: (exit, what the command saw, stderr)"
        );
        assert_eq!(seen[0].0, 5, "{d}: the command's exit status is ours");
        assert!(
            seen[0].1.starts_with("PID US not-parent elsewhere "),
            "{d}: {}",
            seen[0].1
        );
    }
}

#[test]
fn daemonized_tracer_outlives_the_commands_parent_like_strace() {
    require_tool!("strace");
    let tmp = tempdir();
    // The command's parent (a shell that starts it in the background) is gone at once; the
    // tracer, not in that chain, traces the command to its end.
    let mut traces = Vec::new();
    for name in ["strace", "strace-rs"] {
        let file = tmp.path().join(name);
        let tracer = if name == "strace" {
            "strace".to_owned()
        } else {
            bin("strace-rs").to_string_lossy().into_owned()
        };
        let script = format!(
            "{tracer} -D -o {} -e trace=write,exit_group sh -c 'sleep 0.2; echo done' &",
            file.display()
        );
        let o = run(Command::new("sh")
            .args(["-c", &script])
            .env_remove("LD_LIBRARY_PATH"));
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert_eq!(stdout(&o), "done\n", "{name}: the command ran to its end");
        traces.push(numbers_out(&std::fs::read_to_string(&file).unwrap()));
    }
    assert_eq!(traces[1], traces[0]);
    assert!(
        traces[0].ends_with("+++ exited with N +++\n"),
        "{}",
        traces[0]
    );
}

#[test]
fn seccomp_bpf_with_attach_says_what_strace_says() {
    require_tool!("strace");
    let mut outs = Vec::new();
    for name in ["strace", "strace-rs"] {
        let mut victim = Command::new("sleep").arg("1").spawn().unwrap();
        let pid = victim.id().to_string();
        let o = run(tool(name).args(["--seccomp-bpf", "-f", "-e", "trace=none", "-p", &pid]));
        victim.wait().unwrap();
        outs.push((ended(&o), numbers_out(&stderr(&o))));
    }
    assert_eq!(outs[1], outs[0]);
    assert!(
        outs[0]
            .1
            .contains("--seccomp-bpf is not enabled for processes attached with -p"),
        "{}",
        outs[0].1
    );
}

/// Waits (bounded) until `pid` is a zombie.
fn wait_zombie(pid: u32) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
        if stat
            .rsplit(')')
            .next()
            .unwrap()
            .trim_start()
            .starts_with('Z')
        {
            return;
        }
        assert!(Instant::now() < deadline, "{stat}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn attaching_to_a_process_that_is_gone_fails_like_strace() {
    require_tool!("strace");
    // A zombie (exited, not yet reaped by us) and a process that exits once attached.
    let mut zombie = Command::new("true").spawn().unwrap();
    wait_zombie(zombie.id());
    let z = zombie.id().to_string();
    let (a, b) = both(&["-p", &z]);
    assert_eq!(stderr(&b), stderr(&a).replace("strace: ", "strace-rs: "));
    assert_eq!(b.status.code(), a.status.code());
    let (a, b) = both(&["-f", "-e", "trace=none", "-p", &z, "true"]);
    assert_eq!(numbers_out(&stderr(&b)), numbers_out(&stderr(&a)));
    assert_eq!(b.status.code(), a.status.code());
    zombie.wait().unwrap();
    let mut outs = Vec::new();
    for name in ["strace", "strace-rs"] {
        let mut victim = Command::new("sleep").arg("1").spawn().unwrap();
        let o = run(tool(name).args(["-e", "trace=none", "-p", &victim.id().to_string()]));
        victim.wait().unwrap();
        outs.push((o.status.code(), numbers_out(&stderr(&o))));
    }
    assert_eq!(outs[1], outs[0]);
}

/// The calls the same run logged (`--log`), one text per call, in order.
fn logged_calls(log: &Path) -> Vec<String> {
    tracekit_e2e::read_log(log)
        .into_iter()
        .filter_map(|e| match e {
            tracekit_log::Event::Syscall(s) => Some(String::from_utf8_lossy(&s.text.0).into()),
            _ => None,
        })
        .collect()
}

#[test]
fn trace_fds_keeps_the_calls_on_those_descriptors() {
    let tmp = tempdir();
    // `ls` writes its complaint to descriptor 2 itself (a shell's `>&2` would dup2 it to 1).
    let script = "echo out; ls /nonexistent-dir; cat /etc/hostname > /dev/null";
    let (log, trace) = (tmp.path().join("log"), tmp.path().join("trace"));
    let o = run(tool("strace-rs").args([
        "-e",
        "trace-fds=2",
        "-P",
        "/etc/hostname",
        "--log",
        log.to_str().unwrap(),
        "-o",
        trace.to_str().unwrap(),
        "-f",
        "sh",
        "-c",
        script,
    ]));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let calls = logged_calls(&log);
    let text = std::fs::read_to_string(&trace).unwrap();
    let all = calls.join("\n");
    assert!(all.contains("write(2, \"ls: "), "{all}");
    assert!(!all.contains("write(1, \"out\\n\", 4)"), "{all}");
    assert!(all.contains("openat(AT_FDCWD, \"/etc/hostname\""), "{all}");
    // Every call kept names descriptor 2 or the path (its descriptor once open: cat's
    // reads and close), and nothing else gets in.
    for c in &calls {
        let (name, args) = c.split_once('(').unwrap();
        let first = args.split([',', ')']).next().unwrap();
        let on_fd = |fd: &str| {
            first == fd
                || (matches!(name, "dup2" | "dup3")
                    && args.split([',', ')']).nth(1).map(str::trim) == Some(fd))
        };
        assert!(
            on_fd("2") || c.contains("/etc/hostname") || on_fd("3"),
            "{c}\nin\n{all}"
        );
    }
    assert_eq!(
        text.lines()
            .filter(|l| !l.contains("+++") && !l.contains(" --- "))
            .count(),
        calls.len(),
        "{text}"
    );
}

/// The `-c` tables of `--summary-by`: table title → (syscall → calls).
fn tables(text: &str) -> BTreeMap<String, BTreeMap<String, u64>> {
    let mut out = BTreeMap::new();
    let mut title = String::new();
    for line in text.lines() {
        if let Some(t) = line.strip_prefix("System call usage summary for ") {
            title = t.trim_end_matches(':').to_owned();
            continue;
        }
        let cells: Vec<&str> = line.split_whitespace().collect();
        if cells.len() >= 5 && cells[0].contains('.') && cells.last() != Some(&"total") {
            let calls = cells[3].parse().unwrap();
            out.entry(title.clone())
                .or_insert_with(BTreeMap::new)
                .insert(cells.last().unwrap().to_string(), calls);
        }
    }
    out
}

#[test]
fn summary_by_descriptor_and_path_counts_the_same_runs_calls() {
    let tmp = tempdir();
    let script = "cat /etc/hostname /etc/hostname > /dev/null";
    for (by, key) in [("fd", "descriptor 1"), ("path", "path \"/etc/hostname\"")] {
        let log = tmp.path().join(format!("{by}.log"));
        let o = run(tool("strace-rs").args([
            "-c",
            "-f",
            "-y",
            &format!("--summary-by={by}"),
            "--log",
            log.to_str().unwrap(),
            "sh",
            "-c",
            script,
        ]));
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let t = tables(&stderr(&o));
        let table = t
            .get(key)
            .unwrap_or_else(|| panic!("{by}: no table {key}\n{}", stderr(&o)));
        // The same run's calls, grouped the same way from their text (`-y` names each
        // descriptor's file: `read(3</etc/hostname>, ...`).
        let mut expect: BTreeMap<String, u64> = BTreeMap::new();
        for c in logged_calls(&log) {
            let (name, args) = c.split_once('(').unwrap();
            let first = args.split([',', ')']).next().unwrap();
            let hit = match by {
                "fd" => first == "1" || first.starts_with("1<"),
                _ => {
                    first.ends_with("</etc/hostname>")
                        || (name == "openat" && args.contains("\"/etc/hostname\""))
                }
            };
            if hit {
                *expect.entry(name.to_owned()).or_default() += 1;
            }
        }
        assert_eq!(table, &expect, "{by}\n{}", stderr(&o));
        if by == "path" {
            assert_eq!(table.get("openat"), Some(&2), "{}", stderr(&o));
            assert!(table.get("read").is_some_and(|&n| n >= 4), "{}", stderr(&o));
        }
    }
    let o = run(tool("strace-rs").args(["-c", "--summary-by=inode", "true"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("invalid --summary-by argument: 'inode'"));
}

#[test]
fn timeline_of_a_strace_rs_log_has_the_process_tree_and_signals() {
    let tmp = tempdir();
    let log = tmp.path().join("t.tklog");
    let o = run(tool("strace-rs").args([
        "-f",
        "-o",
        "/dev/null",
        "--log",
        log.to_str().unwrap(),
        "sh",
        "-c",
        "ls / > /dev/null; kill -USR1 $$ 2>/dev/null; true",
    ]));
    assert_eq!(ended(&o), 128 + libc::SIGUSR1, "{}", stderr(&o));
    let events = tracekit_e2e::read_log(&log);
    let processes: Vec<(u32, u32)> = events
        .iter()
        .filter_map(|e| match e {
            tracekit_log::Event::Process(p) => Some((p.pid, p.ppid)),
            _ => None,
        })
        .collect();
    assert_eq!(processes.len(), 2, "sh and the ls it forked: {processes:?}");
    let (sh, ls) = (processes[0].0, processes[1]);
    assert_eq!(ls.1, sh, "ls's parent is sh");
    let signals: Vec<(u32, u32)> = events
        .iter()
        .filter_map(|e| match e {
            tracekit_log::Event::Signal(s) => Some((s.pid, s.signo)),
            _ => None,
        })
        .collect();
    assert!(signals.contains(&(sh, libc::SIGCHLD as u32)), "{signals:?}");
    assert!(signals.contains(&(sh, libc::SIGUSR1 as u32)), "{signals:?}");
    let out = tmp.path().join("t.json");
    let o = run(tracekit_e2e::tracekit().args([
        "export",
        "--format",
        "chrome",
        "-o",
        out.to_str().unwrap(),
        log.to_str().unwrap(),
    ]));
    assert!(o.status.success(), "{}", stderr(&o));
    let trace: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let evs = trace["traceEvents"].as_array().unwrap();
    let names: Vec<&str> = evs
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "process_name")
        .map(|e| e["args"]["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&format!("sh ({sh})").as_str()), "{names:?}");
    assert!(
        names.contains(&format!("ls ({}, child of {sh})", ls.0).as_str()),
        "{names:?}"
    );
    let instants: Vec<&str> = evs
        .iter()
        .filter(|e| e["ph"] == "i" && e["pid"] == sh)
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(instants, ["SIGCHLD", "SIGUSR1"], "{evs:?}");
}

/// `--pidns-translation`: a shell in a new pid namespace gets pid 1 from `getpid` and
/// signals itself; both tools follow each id with the same process's id in their own
/// namespace (the numbers differ between the runs, the lines must not).
#[test]
fn pidns_translation_names_the_ids_in_the_tracers_namespace_like_strace() {
    require_tool!("strace");
    require_tool!("unshare");
    let args = [
        "-qq",
        "-f",
        "--pidns-translation",
        "-e",
        "trace=getpid,kill",
        "unshare",
        "-Upf",
        "--map-root-user",
        "sh",
        "-c",
        "kill -0 $$",
    ];
    let probe = run(Command::new("unshare").args(["-Upf", "--map-root-user", "true"]));
    if !probe.status.success() {
        assert!(
            std::env::var_os("CI").is_none(),
            "unshare -Upf is not permitted; .ci/run needs user namespaces"
        );
        eprintln!("SKIP: unshare -Upf is not permitted here");
        return;
    }
    let (s, r) = both(&args);
    let keep = |o: &Output| -> Vec<String> {
        stderr(o)
            .lines()
            .filter(|l| l.contains("getpid(") || l.contains("kill("))
            .map(|l| numbers_out(&l.split_whitespace().collect::<Vec<_>>().join(" ")))
            .collect()
    };
    let (want, got) = (keep(&s), keep(&r));
    assert!(
        want.iter().any(|l| l.contains("in strace's PID NS")),
        "strace translated nothing: {want:?}"
    );
    assert_eq!(got, want);
}

/// The tracer polls for the next stop before it sleeps (`--wait-spin`): a SIGINT that lands
/// while it polls still detaches at once (not at the tracee's next stop, which a sleeping
/// tracee never makes), the tracee left running, untraced. A bad `--wait-spin` value is
/// refused with the usage hint, exit 1.
#[test]
fn interrupt_while_the_tracer_polls_detaches_at_once() {
    let tmp = tempdir();
    let errors = tmp.path().join("err");
    let mut victim = Command::new("sleep").arg("60").spawn().unwrap();
    // A poll of up to a second after every stop: the signal below lands in one.
    let mut tracer = tool("strace-rs")
        .args(["--wait-spin=1000000", "-p", &victim.id().to_string()])
        .stderr(std::fs::File::create(&errors).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !std::fs::read_to_string(&errors)
        .unwrap_or_default()
        .contains("attached")
    {
        assert!(Instant::now() < deadline, "not attached");
        std::thread::sleep(Duration::from_millis(5));
    }
    // SAFETY: kill has no memory arguments.
    unsafe { libc::kill(tracer.id() as i32, libc::SIGINT) };
    let st = tracer.wait().unwrap();
    assert!(
        victim.try_wait().unwrap().is_none(),
        "the tracer ended only when the tracee did ({st:?})"
    );
    let status = std::fs::read_to_string(format!("/proc/{}/status", victim.id())).unwrap();
    assert!(
        status.lines().any(|l| l == "TracerPid:\t0"),
        "still traced:\n{status}"
    );
    let printed = std::fs::read_to_string(&errors).unwrap();
    assert!(printed.contains("detached"), "{printed}");
    victim.kill().unwrap();
    victim.wait().unwrap();

    for bad in ["fast", "-5", "2000000"] {
        let o = run(tool("strace-rs").args([&format!("--wait-spin={bad}"), "true"]));
        assert_eq!(o.status.code(), Some(1), "{bad}");
        assert!(
            stderr(&o).contains(&format!("invalid --wait-spin argument: '{bad}'")),
            "{}",
            stderr(&o)
        );
    }
}
