//! The READMEs' example commands, run as written, so that none of them can be false.
//!
//! - `tracekit/README.md`'s first `sh` block runs line by line in a directory holding a
//!   `Makefile` that builds `hello` from `hello.c`, with the built `tracekit` first on PATH.
//! - The top README's hand-preload block runs with `target/release/` meaning the profile the
//!   tests were built in.
//! - The top README's first two commands (build + main job, and the test command) are run as
//!   written by `.ci/run`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use tracekit_e2e::{require_tool, run, stderr, stdout, target_dir, tempdir};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The command lines of the `n`th fenced `sh` block of a markdown file (comments and blank
/// lines left out; a trailing `# comment` stays, the shell ignores it).
fn sh_block(markdown: &Path, n: usize) -> Vec<String> {
    let text = std::fs::read_to_string(markdown).unwrap();
    let mut blocks = Vec::new();
    let mut cur: Option<Vec<String>> = None;
    for line in text.lines() {
        match (&mut cur, line.trim_start()) {
            (None, l) if l.starts_with("```sh") => cur = Some(Vec::new()),
            (Some(_), l) if l.starts_with("```") => blocks.push(cur.take().unwrap()),
            (Some(b), l) if !l.is_empty() && !l.starts_with('#') => b.push(l.to_owned()),
            _ => {}
        }
    }
    blocks
        .into_iter()
        .nth(n)
        .unwrap_or_else(|| panic!("{} has no sh block {n}", markdown.display()))
}

/// Runs `line` with bash (pipefail: every stage of a pipe must succeed) in `dir`, the built
/// binaries first on PATH; returns stdout and stderr.
fn sh(line: &str, dir: &Path) -> (String, String) {
    let path = format!(
        "{}:{}",
        target_dir().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = run(Command::new("bash")
        .args(["-o", "pipefail", "-c", line])
        .current_dir(dir)
        .env("PATH", path));
    assert_eq!(
        out.status.code(),
        Some(0),
        "README line failed: {line}\nstdout:\n{}\nstderr:\n{}",
        stdout(&out),
        stderr(&out)
    );
    (stdout(&out), stderr(&out))
}

#[test]
fn tracekit_readme_examples_run_as_written() {
    require_tool!("python3");
    require_tool!("make");
    require_tool!("cc");
    let dir = tempdir();
    let d = dir.path();
    std::fs::write(
        d.join("hello.c"),
        "#include <stdlib.h>\n#include <string.h>\n#include <unistd.h>\n\
         int main(void) {\n  char *p = malloc(100);\n  strcpy(p, \"hello\\n\");\n  \
         write(1, p, 6);\n  free(p);\n  return 0;\n}\n",
    )
    .unwrap();
    std::fs::write(
        d.join("Makefile"),
        "hello: hello.c\n\tcc -g -o hello hello.c\n",
    )
    .unwrap();
    let lines = sh_block(&workspace().join("tracekit/README.md"), 0);
    assert!(lines.len() >= 6, "{lines:?}");
    let mut outputs = Vec::new();
    for line in &lines {
        outputs.push(sh(line, d));
    }
    // What the lines' comments claim.
    let (_, err) = &outputs[0];
    assert!(err.contains("Memory usage summary: heap total: "), "{err}");
    let make: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("make.json")).unwrap()).unwrap();
    let exes: Vec<&str> = make["processes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["exe"].as_str().unwrap())
        .collect();
    assert!(exes.iter().any(|e| e.ends_with("/make")), "{exes:?}");
    assert!(exes.iter().any(|e| e.ends_with("/cc1")), "{exes:?}");
    let (out, _) = &outputs[4];
    let cc1: Value = serde_json::from_str(out).unwrap();
    assert!(cc1["processes"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["exe"].as_str().unwrap().ends_with("/cc1")));
    let (out, _) = &outputs[5];
    assert_eq!(out.lines().count(), 3, "{out}");
    assert!(out.starts_with('{'), "{out}");
}

#[test]
fn top_readme_preload_examples_run_as_written() {
    let dir = tempdir();
    let profile = format!("{}/", target_dir().display());
    for line in sh_block(&workspace().join("README.md"), 1) {
        let line = line.replace("target/release/", &profile);
        sh(&line, dir.path());
    }
    // The heap tracker's log is there and reports.
    let logs: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(logs.len(), 1, "{logs:?}");
    let (out, _) = sh(
        &format!("tracekit report {}", logs[0].display()),
        dir.path(),
    );
    assert!(out.contains("Memory usage summary: heap total: "), "{out}");
}

#[test]
fn preload_heaptrack_readme_runs_as_written() {
    let dir = tempdir();
    let profile = format!("{}/", target_dir().display());
    let lines = sh_block(&workspace().join("preload-heaptrack/README.md"), 0);
    let mut last = String::new();
    for line in lines {
        last = sh(&line.replace("target/release/", &profile), dir.path()).0;
    }
    assert!(
        last.contains("Memory usage summary: heap total: "),
        "{last}"
    );
}

#[test]
fn strace_rs_readme_runs_as_written() {
    let dir = tempdir();
    let lines = sh_block(&workspace().join("strace-rs/README.md"), 0);
    assert_eq!(lines.len(), 6, "{lines:?}");
    let outputs: Vec<(String, String)> = lines.iter().map(|l| sh(l, dir.path())).collect();
    let trace = std::fs::read_to_string(dir.path().join("trace.txt")).unwrap();
    assert!(
        trace.contains("execve(") && trace.contains("+++ exited with 0 +++"),
        "{trace}"
    );
    assert!(
        outputs[1].1.contains("% time     seconds  usecs/call"),
        "{}",
        outputs[1].1
    );
    assert!(outputs[2].1.contains("</"), "{}", outputs[2].1);
    assert!(outputs[3].1.contains("attached"), "{}", outputs[3].1);
    assert!(
        outputs[4].1.contains("write(1, \"hello\\n\", 6)"),
        "{}",
        outputs[4].1
    );
    assert!(dir.path().join("trace.log").is_file());
}
