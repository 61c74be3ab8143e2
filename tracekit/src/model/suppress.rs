//! Leak suppressions, read in valgrind memcheck's format and in LeakSanitizer's, applied to
//! the loss records of a leak check, and written back in memcheck's format
//! (`--gen-suppressions`).
//!
//! memcheck's entries (`{ NAME  Memcheck:Leak  [match-leak-kinds: KINDS]  FRAMES }`) match a
//! loss record when their frame lines match its allocation stack from the innermost frame
//! out: `fun:PATTERN` the function, `obj:PATTERN` the module's path, `src:FILE[:LINE]` the
//! source place, `...` any number of frames; `*` and `?` are wildcards. The stack's first frame
//! is the allocation function (`malloc`, `operator new(unsigned long)`, ...), as in valgrind.
//! Entries for other tools or other kinds of error are read and ignored, as valgrind does.
//! One difference: our frames carry demangled names, so a C++ `fun:` pattern is demangled
//! before it is compared (`fun:_Znwm` matches `operator new(unsigned long)`); a C++ pattern
//! with wildcards is compared with the demangled name as it is.
//!
//! LeakSanitizer's lines (`leak:PATTERN`, `#` comments) match a record when the pattern
//! matches the function, the source file or the module of any of its frames: a substring
//! match, `*` a wildcard, `^` and `$` anchors. They apply to every kind, as LeakSanitizer
//! reports every lost block alike. Both formats may be mixed in one file.
//!
//! A suppressed record leaves its kind's figures for the "suppressed:" line and is not
//! printed; the records keep their numbers, as memcheck's do.

use std::fmt;
use std::io::{self, Write};
use std::path::Path;

use crate::analysis::leak::{LeakKind, LeakKinds};
use crate::model::leak::{LeakReport, LossRecord};
use crate::symbols::ResolvedFrame;

/// Every suppression read from the files of `--suppressions`.
#[derive(Debug, Clone, Default)]
pub struct Suppressions {
    entries: Vec<Suppression>,
}

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Suppression {
    /// The kinds it applies to (`match-leak-kinds:`; every kind without the line).
    kinds: LeakKinds,
    rule: Rule,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Rule {
    /// memcheck's frame lines.
    Frames(Vec<FramePattern>),
    /// LeakSanitizer's pattern, as a wildcard pattern (anchors made explicit).
    Lsan(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum FramePattern {
    Fun(String),
    Obj(String),
    Src(String),
    /// `...`: any number of frames, none included.
    Any,
}

/// A malformed suppression file: `FILE:LINE: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuppressionError {
    /// The file, as given.
    pub file: String,
    /// The line (1-based).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for SuppressionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.message)
    }
}

impl std::error::Error for SuppressionError {}

impl Suppressions {
    /// Reads every file, in order.
    pub fn read(files: &[impl AsRef<Path>]) -> anyhow::Result<Suppressions> {
        let mut all = Suppressions::default();
        for f in files {
            let path = f.as_ref();
            let text = std::fs::read_to_string(path)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            all.entries
                .extend(parse(&path.display().to_string(), &text)?.entries);
        }
        Ok(all)
    }

    /// Parses one file's text (`file` names it in errors).
    pub fn parse(file: &str, text: &str) -> Result<Suppressions, SuppressionError> {
        parse(file, text)
    }

    /// True when no suppression was read.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// True when an entry suppresses a record of `kind` allocated at `frames`.
    pub fn matches(&self, kind: LeakKind, frames: &[ResolvedFrame]) -> bool {
        self.entries.iter().any(|s| {
            s.kinds.has(kind)
                && match &s.rule {
                    Rule::Frames(p) => frames_match(p, frames),
                    Rule::Lsan(p) => frames.iter().any(|f| lsan_matches(p, f)),
                }
        })
    }

    /// Marks the records of `report` that an entry suppresses and moves their figures to the
    /// "suppressed:" line.
    pub fn apply(&self, report: &mut LeakReport) {
        if self.is_empty() {
            return;
        }
        for r in &mut report.records {
            if r.suppressed || !self.matches(r.kind, &r.frames) {
                continue;
            }
            r.suppressed = true;
            let s = &mut report.summary;
            let c = s.get_mut(r.kind);
            c.bytes -= r.bytes;
            c.blocks -= r.blocks;
            s.suppressed.bytes += r.bytes;
            s.suppressed.blocks += r.blocks;
        }
    }
}

fn parse(file: &str, text: &str) -> Result<Suppressions, SuppressionError> {
    let err = |line: usize, message: String| SuppressionError {
        file: file.to_owned(),
        line,
        message,
    };
    let mut out = Suppressions::default();
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
    while let Some((at, line)) = lines.next() {
        if let Some(pattern) = line.strip_prefix("leak:") {
            out.entries.push(Suppression {
                kinds: LeakKinds(0b1111),
                rule: Rule::Lsan(lsan_pattern(pattern.trim())),
            });
            continue;
        }
        if line != "{" {
            return Err(err(
                at,
                format!("expected `{{` (a valgrind suppression) or `leak:PATTERN`, found {line:?}"),
            ));
        }
        let mut next = |what: &str| {
            lines.next().ok_or_else(|| {
                err(
                    at,
                    format!("suppression not closed by `}}`: {what} missing"),
                )
            })
        };
        let (n, name) = next("its name")?;
        if name == "}" {
            return Err(err(n, "suppression without a name".to_owned()));
        }
        let (n, kind_line) = next("its `TOOL:KIND` line")?;
        let Some((tools, kind)) = kind_line.split_once(':') else {
            return Err(err(
                n,
                format!("expected `TOOL:KIND` (such as `Memcheck:Leak`), found {kind_line:?}"),
            ));
        };
        let ours = kind == "Leak" && tools.split(',').any(|t| t == "Memcheck" || t == "*");
        let mut kinds = LeakKinds(0b1111);
        let mut frames = Vec::new();
        loop {
            let (n, line) = next("`}`")?;
            if line == "}" {
                if ours && frames.is_empty() {
                    return Err(err(n, "suppression without a frame line".to_owned()));
                }
                break;
            }
            if let Some(list) = line.strip_prefix("match-leak-kinds:") {
                if ours {
                    kinds = LeakKinds::parse(list.trim()).map_err(|m| err(n, m))?;
                }
                continue;
            }
            frames.push(if line == "..." {
                FramePattern::Any
            } else if let Some(p) = line.strip_prefix("fun:") {
                FramePattern::Fun(p.to_owned())
            } else if let Some(p) = line.strip_prefix("obj:") {
                FramePattern::Obj(p.to_owned())
            } else if let Some(p) = line.strip_prefix("src:") {
                FramePattern::Src(p.to_owned())
            } else if ours || !frames.is_empty() {
                return Err(err(
                    n,
                    format!("expected `fun:`, `obj:`, `src:`, `...` or `}}`, found {line:?}"),
                ));
            } else {
                // Another kind's extra line (`Memcheck:Param`'s system call): not ours.
                continue;
            });
        }
        if ours {
            out.entries.push(Suppression {
                kinds,
                rule: Rule::Frames(frames),
            });
        }
    }
    Ok(out)
}

/// LeakSanitizer's pattern as a wildcard pattern: a substring match unless anchored.
fn lsan_pattern(p: &str) -> String {
    let (start, p) = match p.strip_prefix('^') {
        Some(rest) => ("", rest),
        None => ("*", p),
    };
    let (p, end) = match p.strip_suffix('$') {
        Some(rest) => (rest, ""),
        None => (p, "*"),
    };
    format!("{start}{p}{end}")
}

fn lsan_matches(p: &str, f: &ResolvedFrame) -> bool {
    let m = |s: &str| wildcard(p.as_bytes(), s.as_bytes(), false);
    (f.function != "??" && m(&f.function))
        || f.file.as_deref().is_some_and(m)
        || f.module.as_deref().is_some_and(m)
}

/// memcheck's frame lines against the stack, from its innermost frame (a prefix match).
fn frames_match(pats: &[FramePattern], frames: &[ResolvedFrame]) -> bool {
    match pats.split_first() {
        None => true,
        Some((FramePattern::Any, rest)) => {
            (0..=frames.len()).any(|i| frames_match(rest, &frames[i..]))
        }
        Some((p, rest)) => {
            frames.first().is_some_and(|f| frame_matches(p, f)) && frames_match(rest, &frames[1..])
        }
    }
}

fn frame_matches(p: &FramePattern, f: &ResolvedFrame) -> bool {
    let m = |p: &str, s: &str| wildcard(p.as_bytes(), s.as_bytes(), true);
    match p {
        FramePattern::Fun(p) => {
            if f.function == "??" {
                return m(p, "???");
            }
            let wild = p.contains(['*', '?']);
            m(p, &f.function)
                || (!wild && tracekit_symbolize::demangle(p) == f.function)
                || mangled_allocator(&f.function).is_some_and(|name| m(p, name))
        }
        FramePattern::Obj(p) => m(p, f.module.as_deref().unwrap_or("???")),
        FramePattern::Src(p) => match (&f.file, f.line) {
            (Some(file), line) => {
                let base = file.rsplit('/').next().unwrap_or(file);
                m(p, base) || line.is_some_and(|l| m(p, &format!("{base}:{l}")))
            }
            _ => false,
        },
        FramePattern::Any => true,
    }
}

/// valgrind's wildcards: `*` any run of characters, `?` (when `question`) one character.
fn wildcard(p: &[u8], s: &[u8], question: bool) -> bool {
    // Iterative, with one backtrack point per `*` (the classic greedy matcher).
    let (mut pi, mut si) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && (p[pi] == s[si] || (question && p[pi] == b'?')) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some((pi, si));
            pi += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == b'*')
}

/// The mangled names of the C++ allocation functions, which valgrind's suppressions use.
const ALLOCATORS: [&str; 8] = [
    "_Znwm",
    "_Znam",
    "_ZnwmRKSt9nothrow_t",
    "_ZnamRKSt9nothrow_t",
    "_ZnwmSt11align_val_t",
    "_ZnamSt11align_val_t",
    "_ZnwmSt11align_val_tRKSt9nothrow_t",
    "_ZnamSt11align_val_tRKSt9nothrow_t",
];

fn mangled_allocator(demangled: &str) -> Option<&'static str> {
    ALLOCATORS
        .iter()
        .find(|m| tracekit_symbolize::demangle(m) == demangled)
        .copied()
}

/// memcheck's `fun:` name for a frame: a C name as it is, an allocation function mangled;
/// `None` for another C++ or Rust name, whose mangled form the symbolizer did not keep.
fn fun_name(f: &ResolvedFrame) -> Option<&str> {
    if f.function == "??" {
        return None;
    }
    if let Some(m) = mangled_allocator(&f.function) {
        return Some(m);
    }
    let c_name = f
        .function
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'$');
    c_name.then_some(f.function.as_str())
}

/// Writes the suppression memcheck's `--gen-suppressions=all` prints for record `r`, with at
/// most `depth` frames (0: all). A frame whose name cannot be written as valgrind reads it
/// (a C++ name other than an allocation function; an unknown one) is written `obj:MODULE`, which
/// matches the same frame in both checkers.
pub fn write_entry(r: &LossRecord, depth: usize, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{{")?;
    writeln!(out, "   <insert_a_suppression_name_here>")?;
    writeln!(out, "   Memcheck:Leak")?;
    writeln!(out, "   match-leak-kinds: {}", r.kind.name())?;
    let n = if depth == 0 {
        r.frames.len()
    } else {
        r.frames.len().min(depth)
    };
    for f in &r.frames[..n] {
        match (fun_name(f), &f.module) {
            (Some(name), _) => writeln!(out, "   fun:{name}")?,
            (None, Some(m)) => writeln!(out, "   obj:{m}")?,
            (None, None) => writeln!(out, "   obj:*")?,
        }
    }
    writeln!(out, "}}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(function: &str, file: Option<&str>, module: &str) -> ResolvedFrame {
        ResolvedFrame {
            addr: 0x1000,
            module: Some(module.to_owned()),
            function: function.to_owned(),
            file: file.map(str::to_owned),
            line: Some(39),
            column: None,
            offset: Some(0x1000),
            inlined: false,
            note: None,
        }
    }

    fn stack() -> Vec<ResolvedFrame> {
        vec![
            frame("calloc", None, "/x/libpreload_heaptrack.so"),
            frame("make_list", Some("/src/leak_shapes.c"), "/bin/leak_shapes"),
            frame("main", Some("/src/leak_shapes.c"), "/bin/leak_shapes"),
        ]
    }

    fn supp(text: &str) -> Suppressions {
        Suppressions::parse("t.supp", text).unwrap()
    }

    #[test]
    fn wildcards_match_as_valgrind_does() {
        assert!(wildcard(b"ma*", b"malloc", true));
        assert!(wildcard(b"*lo?", b"malloc", true));
        assert!(wildcard(b"*", b"", true));
        assert!(!wildcard(b"ma?", b"malloc", true));
        assert!(!wildcard(b"ma?loc", b"ma?loc2", false));
        assert!(wildcard(b"a*b*c", b"axxbyybc", true));
    }

    #[test]
    fn a_memcheck_entry_matches_its_frames_from_the_innermost() {
        let s = supp("# c\n{\n  list\n  Memcheck:Leak\n  match-leak-kinds: definite\n  fun:calloc\n  fun:make_*\n}\n");
        assert!(s.matches(LeakKind::Definite, &stack()));
        assert!(!s.matches(LeakKind::Possible, &stack()));
        let s = supp("{\n n\n Memcheck:Leak\n fun:make_list\n}\n");
        assert!(
            !s.matches(LeakKind::Definite, &stack()),
            "not the first frame"
        );
        let s = supp("{\n n\n Memcheck:Leak\n ...\n fun:main\n}\n");
        assert!(s.matches(LeakKind::Reachable, &stack()));
        let s = supp(
            "{\n n\n Memcheck:Leak\n fun:calloc\n obj:/bin/leak_*\n src:leak_shapes.c:39\n}\n",
        );
        assert!(s.matches(LeakKind::Definite, &stack()));
        let s = supp("{\n n\n Memcheck:Leak\n fun:calloc\n ...\n fun:main\n fun:below\n}\n");
        assert!(
            !s.matches(LeakKind::Definite, &stack()),
            "longer than the stack"
        );
    }

    #[test]
    fn other_tools_and_kinds_are_read_and_ignored() {
        let s = supp("{\n a\n Memcheck:Param\n write(buf)\n fun:calloc\n}\n{\n b\n Helgrind:Race\n fun:*\n}\n");
        assert!(s.is_empty());
    }

    #[test]
    fn lsan_lines_match_function_file_or_module_anywhere_in_the_stack() {
        assert!(supp("leak:make_list\n").matches(LeakKind::Indirect, &stack()));
        assert!(supp("leak:leak_shapes.c\n").matches(LeakKind::Definite, &stack()));
        assert!(supp("leak:^/bin/leak_shapes$\n").matches(LeakKind::Definite, &stack()));
        assert!(!supp("leak:^leak_shapes\n").matches(LeakKind::Definite, &stack()));
        assert!(!supp("# nothing\nleak:free_list\n").matches(LeakKind::Definite, &stack()));
    }

    #[test]
    fn cxx_patterns_are_demangled() {
        let mut st = stack();
        st[0].function = "operator new(unsigned long)".to_owned();
        assert!(
            supp("{\n n\n Memcheck:Leak\n fun:_Znwm\n fun:make_list\n}\n")
                .matches(LeakKind::Definite, &st)
        );
        assert!(supp("{\n n\n Memcheck:Leak\n fun:_Znw*\n}\n").matches(LeakKind::Definite, &st));
    }

    #[test]
    fn a_malformed_file_says_where() {
        let e = |t: &str| Suppressions::parse("bad.supp", t).unwrap_err().to_string();
        assert_eq!(
            e("{\n n\n Memcheck:Leak\n fun:a\n"),
            "bad.supp:1: suppression not closed by `}`: `}` missing"
        );
        assert_eq!(
            e("\n\nfun:main\n"),
            "bad.supp:3: expected `{` (a valgrind suppression) or `leak:PATTERN`, found \"fun:main\""
        );
        assert!(
            e("{\n n\n Memcheck:Leak\n match-leak-kinds: lots\n fun:a\n}\n")
                .starts_with("bad.supp:4: unknown leak kind \"lots\"")
        );
        assert_eq!(
            e("{\n n\n Memcheck:Leak\n main\n}\n"),
            "bad.supp:4: expected `fun:`, `obj:`, `src:`, `...` or `}`, found \"main\""
        );
        assert_eq!(
            e("{\n n\n Memcheck\n}\n"),
            "bad.supp:3: expected `TOOL:KIND` (such as `Memcheck:Leak`), found \"Memcheck\""
        );
    }

    #[test]
    fn a_generated_entry_is_read_back_and_matches_its_record() {
        let mut st = stack();
        st.push(frame("ns::f()", Some("/src/a.cpp"), "/bin/leak_shapes"));
        let r = LossRecord {
            number: 1,
            kind: LeakKind::Definite,
            bytes: 24,
            indirect_bytes: 0,
            blocks: 1,
            stack_id: 1,
            frames: st.clone(),
            suppressed: false,
        };
        let mut out = Vec::new();
        write_entry(&r, 0, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "{\n   <insert_a_suppression_name_here>\n   Memcheck:Leak\n   match-leak-kinds: definite\n   \
             fun:calloc\n   fun:make_list\n   fun:main\n   obj:/bin/leak_shapes\n}\n"
        );
        assert!(supp(&text).matches(LeakKind::Definite, &st));
    }
}
