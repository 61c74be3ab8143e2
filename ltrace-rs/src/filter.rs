//! ltrace's `-e` filter expressions: `malloc+free`, `!strlen`, `*@libc.so*`, `-l LIB`.
//!
//! A call has a caller (the program, which ltrace calls `MAIN`, or a library) and a callee
//! library. The starting state and wildcard rules without `@` (`!strlen`, `*-strlen`) are
//! about the program's calls; a plain name without `@` (`-e cos`) is that function called by
//! anyone, as in ltrace. A rule's `@LIB` matches a call when LIB names the caller (ltrace's
//! meaning: `-e '*@libfoo.so'` is what libfoo calls) or the callee (`-e '*@libm*'`: calls into
//! libm, from the program or from any library); `@MAIN` names the program. `-l LIB` is about
//! the program's calls into LIB. (ltrace's wildcards without `@` also take every library's
//! internal PLT calls, mostly nameless IFUNC slots: noise we leave out.)

/// One rule: a glob on the symbol name and one on the library's file name.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    add: bool,
    name: String,
    lib: String,
    /// `-l`: only the callee is matched.
    callee_only: bool,
}

/// Which (function, library) pairs are traced.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    rules: Vec<Rule>,
    /// The first rule removes (`!x`, `-x`): start from everything.
    start_all: bool,
}

impl Filter {
    /// Everything (no `-e`).
    pub fn all() -> Filter {
        Filter {
            rules: Vec::new(),
            start_all: true,
        }
    }

    /// Adds one `-e` expression: `[!]rule([+-]rule)*`, a rule being `NAME[@LIB]` with globs.
    pub fn add_expr(&mut self, expr: &str) {
        let (mut add, mut rest) = match expr.strip_prefix('!') {
            Some(r) => (false, r),
            None => (true, expr),
        };
        if self.rules.is_empty() {
            self.start_all = !add;
        }
        loop {
            let end = rest.find(['+', '-']).unwrap_or(rest.len());
            let part = &rest[..end];
            if !part.is_empty() {
                let (name, lib) = match part.split_once('@') {
                    Some((n, l)) => (if n.is_empty() { "*" } else { n }, l),
                    None => (part, "*"),
                };
                self.rules.push(Rule {
                    add,
                    name: name.to_owned(),
                    lib: lib.to_owned(),
                    callee_only: false,
                });
            }
            if end == rest.len() {
                break;
            }
            add = rest.as_bytes()[end] == b'+';
            rest = &rest[end + 1..];
        }
    }

    /// Traces only functions of libraries matching `lib` (`-l`).
    pub fn add_library(&mut self, lib: &str) {
        if self.rules.is_empty() {
            self.start_all = false;
        }
        self.rules.push(Rule {
            add: true,
            name: "*".into(),
            lib: lib.to_owned(),
            callee_only: true,
        });
    }

    /// True when no rule restricts anything.
    pub fn is_default(&self) -> bool {
        self.rules.is_empty()
    }

    /// Is the program's call of `name`, implemented in the library file `lib` (its base
    /// name), traced?
    pub fn matches(&self, name: &str, lib: &str) -> bool {
        self.matches_call(name, None, lib)
    }

    /// Is a call of `name`, implemented in `callee` (a library's base name), made by `caller`
    /// (a library's base name, `None` for the program), traced?
    pub fn matches_call(&self, name: &str, caller: Option<&str>, callee: &str) -> bool {
        let mut on = caller.is_none() && self.start_all;
        for r in &self.rules {
            if !glob(&r.name, name) {
                continue;
            }
            let hit = match caller {
                None if r.lib == "MAIN" => !r.callee_only,
                None => lib_matches(&r.lib, callee),
                Some(_) if r.callee_only => false,
                Some(_) if r.lib == "*" => !has_wildcard(&r.name),
                Some(c) => lib_matches(&r.lib, c) || lib_matches(&r.lib, callee),
            };
            if hit {
                on = r.add;
            }
        }
        on
    }

    /// Do the rules name functions only (no `@LIB`, no `-l`), so that [`Filter::matches`]
    /// needs no library to decide?
    pub fn names_only(&self) -> bool {
        self.rules.iter().all(|r| r.lib == "*" && !r.callee_only)
    }

    /// Can a library's own calls be traced (a rule names a library)?
    pub fn selects_library_calls(&self) -> bool {
        self.rules.iter().any(|r| {
            r.add && !r.callee_only && r.lib != "MAIN" && (r.lib != "*" || !has_wildcard(&r.name))
        })
    }
}

fn has_wildcard(pat: &str) -> bool {
    pat.contains(['*', '?'])
}

fn lib_matches(pat: &str, lib: &str) -> bool {
    // ltrace matches the soname; `libc.so*`-style patterns and bare `libc` both work.
    glob(pat, lib) || glob(&format!("{pat}.so*"), lib) || glob(&format!("lib{pat}.so*"), lib)
}

/// Shell-style glob with `*` and `?`.
pub fn glob(pat: &str, s: &str) -> bool {
    let (p, s) = (pat.as_bytes(), s.as_bytes());
    let (mut pi, mut si) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while si < s.len() {
        if pi < p.len() && (p[pi] == b'?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == b'*' {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == b'*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(exprs: &[&str]) -> Filter {
        let mut f = Filter::all();
        for e in exprs {
            f.add_expr(e);
        }
        f
    }

    #[test]
    fn expressions_like_ltrace() {
        let ab = f(&["malloc+free"]);
        assert!(ab.matches("malloc", "libc.so.6") && ab.matches("free", "libc.so.6"));
        assert!(!ab.matches("strlen", "libc.so.6"));
        let not = f(&["!strlen"]);
        assert!(!not.matches("strlen", "libc.so.6") && not.matches("puts", "libc.so.6"));
        let lib = f(&["*@libm.so*"]);
        assert!(lib.matches("cos", "libm.so.6") && !lib.matches("puts", "libc.so.6"));
        let minus = f(&["*-strlen"]);
        assert!(!minus.matches("strlen", "libc.so.6") && minus.matches("puts", "libc.so.6"));
        assert!(Filter::all().matches("anything", "x"));
        let mut l = Filter::all();
        l.add_library("libc.so.6");
        assert!(l.matches("puts", "libc.so.6") && !l.matches("cos", "libm.so.6"));
    }

    #[test]
    fn a_library_pattern_names_the_caller_or_the_callee() {
        let m = f(&["*@libm*"]);
        assert!(m.matches_call("cos", Some("lt_plug"), "libm.so.6"));
        assert!(!m.matches_call("strlen", Some("lt_plug"), "libc.so.6"));
        let plug = f(&["*@lt_plug"]);
        assert!(plug.matches_call("strlen", Some("lt_plug"), "libc.so.6"));
        assert!(!plug.matches_call("strlen", Some("libm.so.6"), "libc.so.6"));
        assert!(plug.selects_library_calls());
        // A plain name is anyone's call; a wildcard without `@` the program's, as without -e.
        assert!(f(&["cos"]).matches_call("cos", Some("lt_plug"), "libm.so.6"));
        assert!(f(&["cos"]).selects_library_calls());
        let not = f(&["!strlen"]);
        assert!(!not.matches_call("puts", Some("lt_plug"), "libc.so.6"));
        assert!(!not.selects_library_calls() && !Filter::all().selects_library_calls());
        let main = f(&["*@MAIN"]);
        assert!(main.matches("puts", "libc.so.6"));
        assert!(!main.matches_call("puts", Some("libm.so.6"), "libc.so.6"));
        let mut l = Filter::all();
        l.add_library("libm.so.6");
        assert!(
            !l.matches_call("cos", Some("lt_plug"), "libm.so.6") && l.matches("cos", "libm.so.6")
        );
    }

    #[test]
    fn globs() {
        assert!(glob("str*", "strlen") && glob("*", "") && glob("a?c", "abc"));
        assert!(!glob("str*", "memcpy") && !glob("a?c", "ac"));
    }
}
