//! Compiles every program in `c/` (`*.c`, `*.cpp`) into `$OUT_DIR/bin/NAME`.
//!
//! A program can ask for extra compiler flags with a first line such as
//! `// build: -pthread -ldl -O0`; the default is `-g -O1`. The compiler is the one the `cc`
//! crate finds (honouring `CC`/`CXX`), so the programs build wherever the workspace builds.
//!
//! A second line `// variants: now=-Wl,-z,now cet=-fcf-protection=full+-Wl,-z,lazy` also builds
//! `NAME_now`, `NAME_cet`, ... with those extra flags (`+` separates flags within one variant):
//! the same program in each linkage a tracer has to handle.
//!
//! `{bin}` in the flags is the output directory, so a program can link a library built here;
//! the libraries (`-shared` in their build line) are built first.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("bin");
    std::fs::create_dir_all(&out).expect("create OUT_DIR/bin");
    let src = Path::new("c");
    println!("cargo:rerun-if-changed=c");
    let mut names = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(src)
        .expect("examples/c exists")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    let shared = |p: &PathBuf| {
        std::fs::read_to_string(p)
            .ok()
            .and_then(|t| t.lines().next().map(|l| l.contains("-shared")))
            .unwrap_or(false)
    };
    // Stable: libraries first, each group in name order.
    entries.sort_by_key(|p| !shared(p));
    for path in entries {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let cpp = match ext {
            "c" => false,
            "cpp" => true,
            _ => continue,
        };
        let name = path
            .file_stem()
            .unwrap()
            .to_str()
            .expect("UTF-8 example name")
            .to_owned();
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(&path).expect("read example");
        let mut lines = text.lines();
        let words = |line: Option<&str>, tag: &str| -> Vec<String> {
            line.and_then(|l| l.trim().strip_prefix(tag))
                .map(|f| {
                    f.split_whitespace()
                        .map(|w| w.replace("{bin}", &out.to_string_lossy()))
                        .collect()
                })
                .unwrap_or_default()
        };
        let flags = words(lines.next(), "// build:");
        let variants = words(lines.next(), "// variants:");
        compile(cpp, &path, &out.join(&name), &flags);
        for v in variants {
            let (suffix, extra) = v
                .split_once('=')
                .unwrap_or_else(|| panic!("{}: variant {v:?} is not NAME=FLAGS", path.display()));
            let mut all = flags.clone();
            all.extend(extra.split('+').map(str::to_owned));
            let vname = format!("{name}_{suffix}");
            compile(cpp, &path, &out.join(&vname), &all);
            names.push(vname);
        }
        names.push(name);
    }
    let list: String = names.iter().map(|n| format!("    {n:?},\n")).collect();
    std::fs::write(
        out.parent().unwrap().join("names.rs"),
        format!("/// Every example program, by name.\npub const NAMES: &[&str] = &[\n{list}];\n"),
    )
    .expect("write names.rs");
}

fn compile(cpp: bool, src: &Path, dest: &Path, flags: &[String]) {
    let compiler = cc::Build::new()
        .cpp(cpp)
        .cargo_metadata(false)
        .get_compiler();
    let mut cmd: Command = Command::new(compiler.path());
    cmd.arg("-g").arg("-O1").arg("-o").arg(dest).arg(src);
    // Flags after the source so `-l` libraries resolve and `-O0` overrides the default.
    cmd.args(flags);
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("cannot run {:?}: {e}", compiler.path()));
    assert!(
        status.success(),
        "compiling {} failed: {cmd:?}",
        src.display()
    );
}
