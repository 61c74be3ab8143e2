//! Prototypes in ltrace.conf(5) syntax (`int puts(string);`) and formatting arguments and
//! return values with them, the way ltrace prints them.

use std::collections::HashMap;
use std::fmt::Write as _;

/// Where the length of a string argument comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Len {
    /// NUL-terminated, cut at `-s`.
    Nul,
    /// The value of argument N (1-based); 0 is the return value.
    Arg(usize),
    /// A fixed number of bytes.
    Fixed(usize),
    /// ltrace's legacy `stringN` and `string[argN]`/`string[retval]`: NUL-terminated, at most
    /// the value of argument N (0: the return value) bytes.
    ArgNul(usize),
}

/// A type, as far as ltrace-rs formats it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    /// Signed integer of `bytes` bytes.
    Int(u8),
    /// Unsigned integer of `bytes` bytes.
    Uint(u8),
    /// Integer in octal (`octal`, `oct(T)`).
    Octal,
    /// Integer in hex (`hex(T)`).
    Hex(u8),
    /// `char`.
    Char,
    /// `bool`.
    Bool,
    /// `void`.
    Void,
    /// A pointer (`addr`, `file`, `T*` of other types): `0x...`.
    Addr,
    /// A string.
    Str(Len),
    /// A printf format, followed by the variadic arguments it describes.
    Format,
    /// An enumeration.
    Enum(Vec<(String, i64)>),
    /// ltrace's type for functions without a prototype: decimal when small, hex otherwise.
    Unknown,
    /// `array(T, LEN)`: LEN elements in place (inside a struct), or behind a pointer
    /// (`array(T, LEN)*`, see [`Ty::Ptr`]); printed `[ a, b... ]`, cut at `-A` elements.
    Array(Box<Ty>, Len),
    /// `struct(T, ...)`: fields laid out as C does; printed `{ a, b }`.
    Struct(Vec<Ty>),
    /// A pointer whose target is printed (`int*`, `struct(...)*`, `array(...)*`); `nil` when
    /// null, the address when unreadable.
    Ptr(Box<Ty>),
    /// `float`: passed in an SSE register, printed with C's `%f` as ltrace does.
    Float,
    /// `double`: as `float`.
    Double,
    /// `long double` (from DWARF; ltrace's files have no such type): passed on the stack,
    /// returned in `st0`; printed with `%f` of its value rounded to a double.
    LongDouble,
}

/// A function's prototype.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proto {
    /// Return type.
    pub ret: Ty,
    /// Parameters; `true` marks an output parameter (`+T`), printed at return.
    pub params: Vec<(Ty, bool)>,
}

impl Proto {
    /// ltrace's prototype for a function it knows nothing about: four unknown arguments.
    pub fn unknown() -> Proto {
        Proto {
            ret: Ty::Unknown,
            params: vec![(Ty::Unknown, false); 4],
        }
    }

    /// How many parameters are printed at the entry (those before the first output one).
    pub fn entry_params(&self) -> usize {
        self.params
            .iter()
            .position(|(_, out)| *out)
            .unwrap_or(self.params.len())
    }
}

/// Prototypes by function name.
#[derive(Debug, Default, Clone)]
pub struct Protos {
    map: HashMap<String, Proto>,
    typedefs: HashMap<String, Ty>,
}

/// The files ltrace reads, in its order (a later definition does not replace an earlier one).
pub fn default_files() -> Vec<std::path::PathBuf> {
    let mut v = Vec::new();
    if let Some(home) = std::env::var_os("HOME") {
        v.push(std::path::Path::new(&home).join(".ltrace.conf"));
    }
    v.push("/etc/ltrace.conf".into());
    v.push("/usr/share/ltrace/libc.so.conf".into());
    v
}

/// The prototypes ltrace-rs ships, read after ltrace's files: every function ltrace's file
/// declares, typed the same (so the output does not depend on ltrace being installed), and the
/// libc functions it lacks (`atoi`, `strtol`, `openat`, ...).
pub const BUNDLED: &str = include_str!("libc.conf");

impl Protos {
    /// What a run uses: `-F` files alone when given (as ltrace), else ltrace's files then the
    /// bundled set.
    pub fn for_run(config_files: &[std::path::PathBuf]) -> Protos {
        if !config_files.is_empty() {
            return Protos::load(config_files);
        }
        let mut p = Protos::load(&default_files());
        p.parse_text(BUNDLED);
        p
    }

    /// Reads every file of `paths` that exists.
    pub fn load(paths: &[std::path::PathBuf]) -> Protos {
        let mut p = Protos::default();
        for path in paths {
            if let Ok(text) = std::fs::read_to_string(path) {
                p.parse_text(&text);
            }
        }
        p
    }

    /// The prototype a file declares for `name`, if one does.
    pub fn declared(&self, name: &str) -> Option<&Proto> {
        self.map.get(name)
    }

    /// The prototype of `name`, or ltrace's default.
    pub fn get(&self, name: &str) -> Proto {
        self.map.get(name).cloned().unwrap_or_else(Proto::unknown)
    }

    /// Adds the declarations in `text` (ltrace.conf syntax). Lines it cannot read are skipped,
    /// like ltrace does with a warning.
    pub fn parse_text(&mut self, text: &str) {
        // Declarations end with ';' and may not span lines; ';' after that starts a comment.
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with(';') {
                continue;
            }
            let Some(decl) = split_decl(line) else {
                continue;
            };
            if let Some(rest) = decl.strip_prefix("typedef ") {
                if let Some((name, ty)) = rest.split_once('=') {
                    let ty = self.parse_ty(ty.trim());
                    self.typedefs.insert(name.trim().to_owned(), ty);
                }
                continue;
            }
            if let Some((name, proto)) = self.parse_proto(decl) {
                self.map.entry(name).or_insert(proto);
            }
        }
    }

    fn parse_proto(&self, decl: &str) -> Option<(String, Proto)> {
        // The parameter list is the parenthesis the declaration ends with: the return type
        // may have its own (`hex(uint) inet_addr(string)`).
        let close = decl.rfind(')')?;
        let mut depth = 0;
        let open = decl[..=close].rfind(|c| {
            match c {
                ')' => depth += 1,
                '(' => depth -= 1,
                _ => {}
            }
            depth == 0
        })?;
        let head = decl[..open].trim();
        let split = head.rfind(|c: char| c.is_whitespace() || c == '*' || c == ')')?;
        let (ret, name) = (head[..=split].trim(), head[split + 1..].trim());
        if name.is_empty() {
            return None;
        }
        let params = split_top(&decl[open + 1..close])
            .into_iter()
            .filter(|p| !p.is_empty() && *p != "void")
            .map(|p| match p.strip_prefix('+') {
                Some(rest) => (self.parse_ty(rest.trim()), true),
                None => (self.parse_ty(p), false),
            })
            .collect();
        Some((
            name.to_owned(),
            Proto {
                ret: self.parse_ty(ret),
                params,
            },
        ))
    }

    /// Parses one type expression.
    pub fn parse_ty(&self, s: &str) -> Ty {
        let s = s.trim();
        if let Some(inner) = s.strip_suffix('*') {
            let inner = inner.trim();
            return match self.parse_ty(inner) {
                Ty::Char => Ty::Str(Len::Nul),
                // Targets ltrace prints: aggregates and numbers (`bitvec`, `addr` and the
                // types it does not know stay an address).
                t @ (Ty::Array(..)
                | Ty::Struct(_)
                | Ty::Int(_)
                | Ty::Uint(_)
                | Ty::Hex(_)
                | Ty::Octal
                | Ty::Enum(_)
                | Ty::Bool
                | Ty::Float
                | Ty::Double) => Ty::Ptr(Box::new(t)),
                _ => Ty::Addr,
            };
        }
        let (head, args) = match s.find('(') {
            Some(i) if s.ends_with(')') => (s[..i].trim(), Some(&s[i + 1..s.len() - 1])),
            _ => (s, None),
        };
        match (head, args) {
            ("int", None) => Ty::Int(4),
            ("uint", None) => Ty::Uint(4),
            ("long", None) => Ty::Int(8),
            ("ulong", None) => Ty::Uint(8),
            ("short", None) => Ty::Int(2),
            ("ushort", None) => Ty::Uint(2),
            ("char", None) => Ty::Char,
            ("bool", None) => Ty::Bool,
            ("float", None) => Ty::Float,
            ("double", None) => Ty::Double,
            ("void", None) => Ty::Void,
            ("array", Some(a)) => match split_top(a)[..] {
                [elem, len] => Ty::Array(Box::new(self.parse_ty(elem)), len_spec(len)),
                _ => Ty::Addr,
            },
            ("struct", Some(a)) => {
                Ty::Struct(split_top(a).into_iter().map(|f| self.parse_ty(f)).collect())
            }
            ("addr" | "file" | "array" | "struct" | "bitvec", _) => Ty::Addr,
            ("format", None) => Ty::Format,
            ("octal", _) | ("oct", _) => Ty::Octal,
            ("hex", Some(a)) => match self.parse_ty(a) {
                Ty::Int(n) | Ty::Uint(n) => Ty::Hex(n),
                Ty::Char => Ty::Hex(1),
                _ => Ty::Hex(8),
            },
            ("enum", Some(a)) => {
                let mut next = 0i64;
                let vals = split_top(a)
                    .into_iter()
                    .map(|item| {
                        let (n, v) = match item.split_once('=') {
                            Some((n, v)) => (n.trim(), v.trim().parse().unwrap_or(next)),
                            None => (item, next),
                        };
                        next = v + 1;
                        (n.to_owned(), v)
                    })
                    .collect();
                Ty::Enum(vals)
            }
            ("string", None) => Ty::Str(Len::Nul),
            ("string", Some(a)) => {
                // string(array(char, argN)*), string(array(char, N)*), string[argN].
                let a = a.trim().trim_end_matches('*').trim();
                let len = a
                    .strip_prefix("array(")
                    .and_then(|r| r.strip_suffix(')'))
                    .and_then(|r| r.split_once(','))
                    .map(|(_, n)| n.trim())
                    .map(len_spec)
                    .unwrap_or(Len::Nul);
                Ty::Str(len)
            }
            (h, None) if h.starts_with("string") => {
                let rest = &h[6..];
                let rest = rest.trim_start_matches('[').trim_end_matches(']');
                match rest.parse::<usize>() {
                    Ok(n) => Ty::Str(Len::ArgNul(n)),
                    Err(_) => Ty::Str(match len_spec(rest) {
                        Len::Arg(k) => Len::ArgNul(k),
                        len => len,
                    }),
                }
            }
            (h, None) => self.typedefs.get(h).cloned().unwrap_or(Ty::Unknown),
            _ => Ty::Unknown,
        }
    }
}

fn len_spec(s: &str) -> Len {
    if let Some(n) = s.strip_prefix("arg").and_then(|n| n.parse().ok()) {
        return Len::Arg(n);
    }
    if s == "retval" {
        return Len::Arg(0);
    }
    s.parse().map(Len::Fixed).unwrap_or(Len::Nul)
}

/// The declaration of a line, up to its terminating ';' at paren depth 0.
fn split_decl(line: &str) -> Option<&str> {
    let mut depth = 0i32;
    for (i, c) in line.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ';' if depth == 0 => return Some(line[..i].trim()),
            _ => {}
        }
    }
    None
}

/// Splits at commas outside parentheses.
fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(s[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(s[start..].trim());
    out
}

/// Reading the tracee's memory, as the formatter needs it.
pub trait Memory {
    /// Up to `max` bytes of a NUL-terminated string; `None` when unreadable. The flag says the
    /// NUL was found within `max`.
    fn cstr(&self, addr: u64, max: usize) -> Option<(Vec<u8>, bool)>;
    /// Exactly `len` bytes, or `None`.
    fn bytes(&self, addr: u64, len: usize) -> Option<Vec<u8>>;
}

/// Formatting settings.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// `-s`: the longest string printed.
    pub strsize: usize,
    /// `-A`: the most array elements printed, and how deep pointers (other than to arrays)
    /// are followed.
    pub arraylen: usize,
}

/// ltrace's rendering of a value of unknown type.
pub fn unknown(v: u64) -> String {
    // ltrace's lens_default: beyond ±10000 a number is more likely a mask or an address.
    let l = v as i64;
    if (-10_000..=10_000).contains(&l) {
        l.to_string()
    } else {
        format!("{v:#x}")
    }
}

fn escape_into(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'\r' => out.push_str("\\r"),
            0x07 => out.push_str("\\a"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            0x0b => out.push_str("\\v"),
            0 => out.push_str("\\0"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\{b:03o}");
            }
        }
    }
}

fn string(mem: &dyn Memory, addr: u64, len: Option<usize>, style: Style) -> String {
    if addr == 0 {
        return "nil".into();
    }
    let (bytes, complete) = match len {
        Some(n) => {
            let n_read = n.min(style.strsize);
            match mem.bytes(addr, n_read) {
                Some(b) => (b, n <= style.strsize),
                None => return format!("{addr:#x}"),
            }
        }
        // ltrace cuts a string that fills -s, even when its NUL comes right after.
        None => match mem.cstr(addr, style.strsize) {
            Some((b, nul)) => {
                let complete = nul && b.len() < style.strsize;
                (b, complete)
            }
            None => return format!("{addr:#x}"),
        },
    };
    let mut s = String::from("\"");
    escape_into(&mut s, &bytes);
    s.push('"');
    if !complete {
        s.push_str("...");
    }
    s
}

fn sign_extend(v: u64, bytes: u8) -> i64 {
    match bytes {
        1 => v as u8 as i8 as i64,
        2 => v as u16 as i16 as i64,
        4 => v as u32 as i32 as i64,
        _ => v as i64,
    }
}

fn truncate(v: u64, bytes: u8) -> u64 {
    match bytes {
        1 => v as u8 as u64,
        2 => v as u16 as u64,
        4 => v as u32 as u64,
        _ => v,
    }
}

/// Formats one value. `args` gives the call's argument values (for lengths taken from other
/// arguments); `ret` the return value when known.
pub fn value(
    ty: &Ty,
    v: u64,
    args: &[u64],
    ret: Option<u64>,
    mem: &dyn Memory,
    style: Style,
) -> String {
    format_value(
        ty,
        v,
        &Ctx {
            args,
            ret,
            mem,
            style,
        },
    )
}

/// What formatting a value needs besides the value: the call's arguments, its return value
/// when known, the tracee's memory, the settings.
#[derive(Clone, Copy)]
struct Ctx<'a> {
    args: &'a [u64],
    ret: Option<u64>,
    mem: &'a dyn Memory,
    style: Style,
}

fn format_value(ty: &Ty, v: u64, c: &Ctx<'_>) -> String {
    let Ctx {
        args,
        ret,
        mem,
        style,
    } = *c;
    match ty {
        Ty::Int(n) => sign_extend(v, *n).to_string(),
        Ty::Uint(n) => truncate(v, *n).to_string(),
        Ty::Octal => {
            let v = v as u32;
            if v == 0 {
                "0".into()
            } else {
                format!("0{v:o}")
            }
        }
        Ty::Hex(n) => hex(truncate(v, *n)),
        Ty::Char => {
            let mut s = String::from("'");
            match v as u8 {
                b'\'' => s.push_str("\\'"),
                b'"' => s.push('"'),
                b => escape_into(&mut s, &[b]),
            }
            s.push('\'');
            s
        }
        Ty::Bool => if v as u32 != 0 { "true" } else { "false" }.into(),
        Ty::Float => c_f(f32::from_bits(v as u32) as f64),
        Ty::Double | Ty::LongDouble => c_f(f64::from_bits(v)),
        Ty::Void => "<void>".into(),
        // ltrace prints pointers with "%#lx": a null one is "0" (strings say "nil").
        Ty::Addr => hex(v),
        Ty::Str(len) => {
            let n = match len {
                Len::Nul => None,
                Len::Fixed(n) => Some(*n),
                Len::Arg(0) | Len::ArgNul(0) => ret.map(|r| r as i64 as usize),
                Len::Arg(k) | Len::ArgNul(k) => args.get(k - 1).map(|&x| x as usize),
            };
            // A negative length (an error return) prints the pointer.
            if n.is_some_and(|n| n > 1 << 20) {
                return format!("{v:#x}");
            }
            match (len, n) {
                // Up to a NUL, at most `n` bytes: cut by -s only when `n` is longer.
                (Len::ArgNul(_), Some(n)) => {
                    if v == 0 {
                        return "nil".into();
                    }
                    match mem.cstr(v, n.min(style.strsize)) {
                        Some((bytes, nul)) => {
                            let mut s = String::from("\"");
                            escape_into(&mut s, &bytes);
                            s.push('"');
                            if bytes.len() == style.strsize && (!nul || n > style.strsize) {
                                s.push_str("...");
                            }
                            s
                        }
                        None => format!("{v:#x}"),
                    }
                }
                _ => string(mem, v, n, style),
            }
        }
        Ty::Format => string(mem, v, None, style),
        Ty::Enum(vals) => {
            let iv = v as i32 as i64;
            vals.iter()
                .find(|(_, x)| *x == iv)
                .map(|(n, _)| n.clone())
                .unwrap_or_else(|| iv.to_string())
        }
        Ty::Unknown => unknown(v),
        // A struct passed by value in one register: its bytes are the register's.
        Ty::Struct(_) if size_align(ty).0 <= 8 => in_bytes(ty, &v.to_le_bytes(), c),
        Ty::Struct(_) => hex(v),
        // ltrace passes arrays by reference only.
        Ty::Array(..) => pointee(ty, v, c),
        Ty::Ptr(t) => pointee(t, v, c),
    }
}

/// C's `%f` (glibc's spelling of infinities and NaNs, the sign of a negative zero).
pub fn c_f(x: f64) -> String {
    if x.is_nan() {
        return if x.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if x.is_infinite() {
        return if x < 0.0 { "-inf" } else { "inf" }.into();
    }
    // Rust's fixed precision is exact (as glibc's) and prints the sign of -0.0.
    format!("{x:.6}")
}

/// The x87 80-bit `long double` in `b` (10 bytes, little-endian) rounded to a double, as the
/// bits formatting uses for [`Ty::LongDouble`].
pub fn f80_to_f64_bits(b: &[u8]) -> u64 {
    let mut m = [0u8; 8];
    let mut e = [0u8; 2];
    m.copy_from_slice(&b[..8]);
    e.copy_from_slice(&b[8..10]);
    let (mant, se) = (u64::from_le_bytes(m), u16::from_le_bytes(e));
    let neg = se & 0x8000 != 0;
    let exp = (se & 0x7fff) as i32;
    let x = if exp == 0x7fff {
        if mant << 1 == 0 {
            f64::INFINITY
        } else {
            f64::NAN
        }
    } else if mant == 0 {
        0.0
    } else {
        // mant * 2^(exp - 16383 - 63); the scaling split in steps a double can hold.
        let mut x = mant as f64;
        let mut k = exp - 16383 - 63;
        while k != 0 {
            let step = k.clamp(-1000, 1000);
            x *= 2f64.powi(step);
            k -= step;
        }
        x
    };
    (if neg { -x } else { x }).to_bits()
}

/// C's `%#x`: `0` for zero, `0x...` otherwise.
fn hex(v: u64) -> String {
    if v == 0 {
        "0".into()
    } else {
        format!("{v:#x}")
    }
}

/// The size and alignment of a type laid out in memory (x86-64 SysV).
fn size_align(ty: &Ty) -> (usize, usize) {
    match ty {
        Ty::Char | Ty::Bool => (1, 1),
        Ty::Int(n) | Ty::Uint(n) | Ty::Hex(n) => (*n as usize, *n as usize),
        Ty::Octal | Ty::Enum(_) | Ty::Float => (4, 4),
        Ty::LongDouble => (16, 16),
        Ty::Void => (0, 1),
        Ty::Array(elem, Len::Fixed(n)) => {
            let (s, a) = size_align(elem);
            (s * n, a)
        }
        Ty::Struct(fields) => {
            let (mut size, mut align) = (0usize, 1usize);
            for f in fields {
                let (s, a) = size_align(f);
                size = size.next_multiple_of(a) + s;
                align = align.max(a);
            }
            (size.next_multiple_of(align), align)
        }
        _ => (8, 8),
    }
}

/// How many elements an array has: its fixed length, or the value of the argument (or return
/// value) it names; `None` while that is not known (a return value at the entry).
fn array_len(len: &Len, args: &[u64], ret: Option<u64>) -> Option<usize> {
    match len {
        Len::Fixed(n) => Some(*n),
        Len::Arg(0) | Len::ArgNul(0) => ret.map(|r| r as usize),
        Len::Arg(k) | Len::ArgNul(k) => args.get(k - 1).map(|&x| x as usize),
        Len::Nul => Some(0),
    }
}

/// What a pointer to `ty` points at: `nil` when null, `?` when an array's length is not known
/// yet, the address when unreadable.
/// With `-A 0` only arrays are followed (`...` otherwise, as ltrace prints); ltrace also cuts
/// pointers nested deeper than `-A`, which is not done here.
fn pointee(ty: &Ty, v: u64, c: &Ctx<'_>) -> String {
    let (args, ret, style) = (c.args, c.ret, c.style);
    let (ty, size) = match ty {
        Ty::Array(elem, len) => {
            let Some(n) = array_len(len, args, ret) else {
                return "?".into();
            };
            // Only the elements printed are read.
            let shown = n.min(style.arraylen);
            let fixed = Ty::Array(elem.clone(), Len::Fixed(n));
            (fixed, size_align(elem).0 * shown)
        }
        t => (t.clone(), size_align(t).0),
    };
    if v == 0 {
        return "nil".into();
    }
    if !matches!(ty, Ty::Array(..)) && style.arraylen == 0 {
        return "...".into();
    }
    match c.mem.bytes(v, size) {
        Some(b) => in_bytes(&ty, &b, c),
        None => hex(v),
    }
}

/// Formats a value of type `ty` held in `b` (memory read from the tracee, or a register's
/// bytes); an array's elements past `b` are the ones cut by `-A`.
fn in_bytes(ty: &Ty, b: &[u8], c: &Ctx<'_>) -> String {
    match ty {
        Ty::Struct(fields) => {
            let mut parts = Vec::with_capacity(fields.len());
            let mut off = 0usize;
            for f in fields {
                let (s, a) = size_align(f);
                off = off.next_multiple_of(a);
                parts.push(in_bytes(f, b.get(off..).unwrap_or(&[]), c));
                off += s;
            }
            format!("{{ {} }}", parts.join(", "))
        }
        Ty::Array(elem, len) => {
            let n = array_len(len, c.args, c.ret).unwrap_or(0);
            let size = size_align(elem).0.max(1);
            let shown = n.min(c.style.arraylen).min(b.len() / size);
            let parts: Vec<String> = (0..shown)
                .map(|i| in_bytes(elem, &b[i * size..], c))
                .collect();
            let more = if shown < n { "..." } else { "" };
            format!("[ {}{more} ]", parts.join(", "))
        }
        Ty::LongDouble if b.len() >= 10 => format_value(ty, f80_to_f64_bits(b), c),
        _ => {
            let size = size_align(ty).0.min(8).min(b.len());
            let mut word = [0u8; 8];
            word[..size].copy_from_slice(&b[..size]);
            format_value(ty, u64::from_le_bytes(word), c)
        }
    }
}

/// The types of the variadic arguments a printf format describes (ltrace prints them after the
/// format).
pub fn format_args(fmt: &[u8]) -> Vec<Ty> {
    use crate::wire::Conv;
    let mut out = Vec::new();
    crate::wire::conversions(fmt, |c| {
        out.push(match c {
            Conv::Int(n) => Ty::Int(n),
            Conv::Uint(n) => Ty::Uint(n),
            Conv::Hex(n) => Ty::Hex(n),
            Conv::Octal => Ty::Octal,
            Conv::Char => Ty::Char,
            Conv::Str => Ty::Str(Len::Nul),
            Conv::Addr => Ty::Addr,
            Conv::Double => Ty::Double,
            Conv::LongDouble => Ty::LongDouble,
        })
    });
    out
}

/// The registers a call's arguments are in at its entry (x86-64 SysV).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Regs {
    /// rdi, rsi, rdx, rcx, r8, r9.
    pub gp: [u64; 6],
    /// The low 8 bytes of xmm0-7 (read only when the prototype has floating point or variadic
    /// arguments: [`needs_fp`]).
    pub xmm: [u64; 8],
}

impl Regs {
    /// Integer registers only.
    pub fn gp(gp: [u64; 6]) -> Regs {
        Regs { gp, xmm: [0; 8] }
    }
}

/// Whether printing a call of `proto` needs the SSE registers at its entry: a `float` or
/// `double` parameter, or a printf format (its variadic doubles).
pub fn needs_fp(proto: &Proto) -> bool {
    proto
        .params
        .iter()
        .any(|(t, _)| matches!(t, Ty::Float | Ty::Double | Ty::Format))
}

/// As [`needs_fp`] for a call whose `rax` at the entry is `rax`: a variadic call says in `al`
/// how many SSE registers its arguments use, so a printf with no floating point argument in
/// them (most) needs none.
pub fn needs_fp_at(proto: &Proto, rax: u64) -> bool {
    let fixed = proto
        .params
        .iter()
        .any(|(t, _)| matches!(t, Ty::Float | Ty::Double));
    fixed || (needs_fp(proto) && rax as u8 != 0)
}

/// Where a function returning `ty` leaves its value: `xmm0` (`float`, `double`), `st0`
/// (`long double`), else `rax`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetReg {
    /// rax.
    Rax,
    /// xmm0's low 8 bytes.
    Xmm0,
    /// The x87 stack's top.
    St0,
}

/// Where a value of `ty` is returned.
pub fn ret_reg(ty: &Ty) -> RetReg {
    match ty {
        Ty::Float | Ty::Double => RetReg::Xmm0,
        Ty::LongDouble => RetReg::St0,
        _ => RetReg::Rax,
    }
}

/// The word the formatter takes for a return value of `ty`: `rax`, `xmm0`'s low 8 bytes, or
/// `st0` (its 10 bytes) rounded to a double.
pub fn ret_word(ty: &Ty, rax: u64, xmm0: u64, st0: Option<&[u8]>) -> u64 {
    match ret_reg(ty) {
        RetReg::Rax => rax,
        RetReg::Xmm0 => xmm0,
        RetReg::St0 => st0.filter(|b| b.len() >= 10).map_or(0, f80_to_f64_bits),
    }
}

/// Where a parameter of type `ty` goes.
fn next_loc(a: &mut crate::wire::Alloc, ty: &Ty) -> crate::wire::Loc {
    match ty {
        Ty::Float | Ty::Double => a.sse(),
        Ty::LongDouble => a.x87(),
        _ => a.int(),
    }
}

/// The locations of `proto`'s parameters, and the allocation after them (where variadic
/// arguments go).
pub fn locations(proto: &Proto) -> (Vec<crate::wire::Loc>, crate::wire::Alloc) {
    let mut a = crate::wire::Alloc::default();
    let locs = proto
        .params
        .iter()
        .map(|(t, _)| next_loc(&mut a, t))
        .collect();
    (locs, a)
}

/// The word holding an argument of type `ty` at `loc` (a `long double`: its value rounded to
/// a double); 0 when its stack word is unreadable.
fn word_at(loc: crate::wire::Loc, ty: &Ty, regs: &Regs, slot: u64, mem: &dyn Memory) -> u64 {
    use crate::wire::Loc;
    match loc {
        Loc::Gp(i) => regs.gp[i],
        Loc::Xmm(i) => regs.xmm[i],
        Loc::Stack(off) => {
            let at = slot + 8 + off as u64;
            if *ty == Ty::LongDouble {
                mem.bytes(at, 10).map_or(0, |b| f80_to_f64_bits(&b))
            } else {
                mem.bytes(at, 8).map_or(0, |b| {
                    u64::from_le_bytes(b[..8].try_into().expect("8 bytes"))
                })
            }
        }
    }
}

/// The value of each of `proto`'s parameters, from the registers and the stack (`slot`: where
/// the return address is).
pub fn param_words(proto: &Proto, regs: &Regs, slot: u64, mem: &dyn Memory) -> Vec<u64> {
    let (locs, _) = locations(proto);
    proto
        .params
        .iter()
        .zip(locs)
        .map(|((ty, _), loc)| word_at(loc, ty, regs, slot, mem))
        .collect()
}

/// The arguments `range` of a call of `proto` formatted as ltrace prints them, joined by
/// `, `: `regs` the registers at the entry, `slot` where the return address is (the arguments
/// not in registers follow it), `ret` the return value once known.
pub fn call_args(
    proto: &Proto,
    regs: &Regs,
    slot: u64,
    range: std::ops::Range<usize>,
    ret: Option<u64>,
    mem: &dyn Memory,
    style: Style,
) -> String {
    let (locs, mut after) = locations(proto);
    let words: Vec<u64> = proto
        .params
        .iter()
        .zip(&locs)
        .map(|((ty, _), loc)| word_at(*loc, ty, regs, slot, mem))
        .collect();
    let mut parts = Vec::new();
    let mut extra: Vec<Ty> = Vec::new();
    for i in range {
        let Some((ty, _)) = proto.params.get(i) else {
            break;
        };
        let v = words[i];
        parts.push(value(ty, v, &words, ret, mem, style));
        if *ty == Ty::Format {
            if let Some((bytes, _)) = mem.cstr(v, crate::wire::FORMAT_MAX) {
                extra = format_args(&bytes);
            }
        }
    }
    // Variadic arguments after a format, where the ABI puts them after the fixed ones.
    for ty in &extra {
        let v = word_at(next_loc(&mut after, ty), ty, regs, slot, mem);
        parts.push(value(ty, v, &words, ret, mem, style));
    }
    parts.join(", ")
}

/// The memory the in-process agent must copy for the formatter to print a call of `proto`
/// as [`call_args`] and [`value`] do with the tracee's memory: strings and what pointers point
/// at, one level deep (a pointer inside a pointed-at struct prints as its address).
pub fn reads(proto: &Proto, style: Style) -> Vec<crate::wire::Read> {
    use crate::wire::{op, Loc, Read};
    let entry = proto.entry_params();
    let (locs, after) = locations(proto);
    let mut out = Vec::new();
    // The registers and stack the formatter reads besides the integer registers come first
    // (the plan has room for [`crate::wire::READS`]).
    if needs_fp(proto) {
        out.push(Read {
            op: op::FPREGS,
            ..Read::default()
        });
    }
    if ret_reg(&proto.ret) == RetReg::St0 {
        out.push(Read {
            op: op::ST0,
            at_exit: true,
            ..Read::default()
        });
    }
    let has_format = proto.params.iter().any(|(t, _)| *t == Ty::Format);
    if after.stack > 0 && !has_format {
        out.push(Read {
            op: op::STACK,
            max: after.stack.min(256) as u64,
            ..Read::default()
        });
    }
    // A read's address or count: the return value (0) or the integer register (1..=6) that
    // holds parameter `k` (1-based).
    let src_of = |k: usize| match locs.get(k.wrapping_sub(1)) {
        Some(Loc::Gp(g)) => Some(*g as u8 + 1),
        _ => None,
    };
    let len_src = |len: &Len| match len {
        Len::Arg(0) => Some(0),
        Len::Arg(k) => src_of(*k),
        _ => None,
    };
    // The elements printed of an array (behind a pointer): a fixed count, or one an argument
    // (the return value) gives.
    let array = |elem: &Ty, len: &Len, read: &dyn Fn(u8, usize) -> Read| -> Option<Read> {
        let size = size_align(elem).0;
        match len {
            Len::Fixed(n) => Some(read(op::BYTES, size * (*n).min(style.arraylen))),
            len => len_src(len).map(|k| Read {
                len_src: k,
                elem: size as u32,
                ..read(op::BYTES_LEN, size * style.arraylen)
            }),
        }
    };
    let one = |ty: &Ty, src: u8, at_exit: bool, out: &mut Vec<Read>| {
        let read = |op, max: usize| Read {
            op,
            at_exit,
            src,
            max: max as u64,
            ..Read::default()
        };
        let r = match ty {
            Ty::Str(Len::Nul | Len::ArgNul(_)) => read(op::CSTR, style.strsize),
            Ty::Str(Len::Fixed(n)) => read(op::BYTES, (*n).min(style.strsize)),
            // A length not known yet (the return value, at the entry) reads up to a NUL.
            Ty::Str(len) => match len_src(len).filter(|&k| k > 0 || at_exit) {
                Some(k) => Read {
                    len_src: k,
                    elem: 1,
                    ..read(op::BYTES_LEN, style.strsize)
                },
                None => read(op::CSTR, style.strsize),
            },
            Ty::Format => Read {
                elem: after.encode(),
                ..read(op::FORMAT, style.strsize)
            },
            Ty::Array(elem, len) => array(elem, len, &read).unwrap_or_default(),
            Ty::Ptr(t) => match t.as_ref() {
                Ty::Array(elem, len) => array(elem, len, &read),
                t if style.arraylen > 0 => Some(read(op::BYTES, size_align(t).0)),
                _ => None,
            }
            .unwrap_or_default(),
            _ => return,
        };
        if r.op != op::NONE {
            out.push(r);
        }
    };
    for (i, (ty, _)) in proto.params.iter().enumerate() {
        if let Loc::Gp(g) = locs[i] {
            one(ty, g as u8 + 1, i >= entry, &mut out);
        }
    }
    one(&proto.ret, 0, true, &mut out);
    out.truncate(crate::wire::READS);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_set_reads_whole_and_types_what_ltrace_conf_lacks() {
        let mut p = Protos::default();
        p.parse_text(BUNDLED);
        let declared = BUNDLED
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with(';') && !l.starts_with("typedef"))
            .count();
        assert_eq!(p.map.len(), declared, "a line the parser skipped");
        assert_eq!(p.get("atoi").params, vec![(Ty::Str(Len::Nul), false)]);
        assert_eq!(p.get("atoi").ret, Ty::Int(4));
        assert_eq!(p.get("strtoul").ret, Ty::Uint(8));
    }

    /// Where ltrace's file differs from the C declaration, ltrace-rs follows C.
    const CORRECTED: &[&str] = &[
        // pid_t setsid(void): ltrace's file gives it an argument.
        "SYS_setsid",
    ];

    /// The bundled set alone types every function ltrace's file declares exactly as that file
    /// does, so the output is the same whether or not ltrace is installed.
    #[test]
    fn the_bundled_set_alone_types_what_ltraces_file_declares_the_same() {
        let path = "/etc/ltrace.conf";
        let Ok(theirs_text) = std::fs::read_to_string(path) else {
            eprintln!("skipped: {path} is missing (ltrace is not installed)");
            return;
        };
        let mut theirs = Protos::default();
        theirs.parse_text(&theirs_text);
        let mut ours = Protos::default();
        ours.parse_text(BUNDLED);
        assert!(theirs.map.len() > 400, "{path} read whole");
        let mut differ = Vec::new();
        for (name, proto) in &theirs.map {
            if CORRECTED.contains(&name.as_str()) {
                assert!(ours.map.contains_key(name), "{name} not bundled");
                continue;
            }
            match ours.map.get(name) {
                Some(p) if p == proto => {}
                Some(p) => differ.push(format!("{name}: ltrace {proto:?}, bundled {p:?}")),
                None => differ.push(format!("{name}: not bundled")),
            }
        }
        differ.sort();
        assert!(differ.is_empty(), "{}", differ.join("\n"));
    }

    #[test]
    fn the_bundled_set_alone_prints_puts_as_a_string() {
        let mut p = Protos::default();
        p.parse_text(BUNDLED);
        assert_eq!(p.get("puts").params, vec![(Ty::Str(Len::Nul), false)]);
        assert_eq!(p.get("puts").ret, Ty::Int(4));
        assert_eq!(p.get("read").params[1], (Ty::Str(Len::ArgNul(0)), true));
        assert!(
            matches!(p.get("kill").params[1].0, Ty::Enum(ref v) if v[8] == ("SIGKILL".into(), 9))
        );
    }

    struct NoMem;
    impl Memory for NoMem {
        fn cstr(&self, _: u64, _: usize) -> Option<(Vec<u8>, bool)> {
            Some((b"hello world".to_vec(), true))
        }
        fn bytes(&self, _: u64, len: usize) -> Option<Vec<u8>> {
            Some(b"copy\0rest"[..len].to_vec())
        }
    }

    const STYLE: Style = Style {
        strsize: 32,
        arraylen: 4,
    };

    #[test]
    fn parses_ltrace_conf_lines() {
        let mut p = Protos::default();
        p.parse_text(
            "; comment\nulong strlen(string);\naddr memcpy(addr,string(array(char, arg3)*),ulong);\n\
             int snprintf(+string2,ulong,format);\nstring setlocale(enum(LC_CTYPE=0, LC_ALL=6), string);\n\
             typedef in_addr = struct(hex(uint));\nin_addr inet_makeaddr(hex(int), hex(int));\n\
             int open(string,int,octal);\t\t; WARNING: 3rd argument may not be there\n",
        );
        assert_eq!(p.get("strlen").params, vec![(Ty::Str(Len::Nul), false)]);
        assert_eq!(p.get("strlen").ret, Ty::Uint(8));
        assert_eq!(p.get("memcpy").params[1].0, Ty::Str(Len::Arg(3)));
        assert_eq!(p.get("snprintf").params[0], (Ty::Str(Len::ArgNul(2)), true));
        assert_eq!(p.get("snprintf").entry_params(), 0);
        assert_eq!(p.get("open").params[2].0, Ty::Octal);
        // A struct returned by value (in a register).
        assert_eq!(p.get("inet_makeaddr").ret, Ty::Struct(vec![Ty::Hex(4)]));
        assert_eq!(
            p.get("setlocale").params[0].0,
            Ty::Enum(vec![("LC_CTYPE".into(), 0), ("LC_ALL".into(), 6)])
        );
        assert_eq!(p.get("atoi"), Proto::unknown());
    }

    #[test]
    fn formats_like_ltrace() {
        let m = NoMem;
        let f = |ty: &Ty, v: u64, args: &[u64]| value(ty, v, args, None, &m, STYLE);
        assert_eq!(f(&Ty::Str(Len::Nul), 0, &[]), "nil");
        assert_eq!(f(&Ty::Str(Len::Nul), 0x1000, &[]), "\"hello world\"");
        assert_eq!(f(&Ty::Str(Len::Arg(3)), 0x1000, &[1, 2, 5]), "\"copy\\0\"");
        assert_eq!(f(&Ty::Int(4), u32::MAX as u64, &[]), "-1");
        assert_eq!(f(&Ty::Addr, 0x5555, &[]), "0x5555");
        assert_eq!(f(&Ty::Addr, 0, &[]), "0");
        assert_eq!(f(&Ty::Void, 0, &[]), "<void>");
        assert_eq!(f(&Ty::Unknown, 1, &[]), "1");
        assert_eq!(f(&Ty::Unknown, 0x79706f63, &[]), "0x79706f63");
        assert_eq!(f(&Ty::Unknown, 4096, &[]), "4096");
        assert_eq!(f(&Ty::Unknown, 0x5401, &[]), "0x5401");
        assert_eq!(f(&Ty::Unknown, -25i64 as u64, &[]), "-25");
        assert_eq!(f(&Ty::Octal, 0o644, &[]), "0644");
        assert_eq!(f(&Ty::Char, b'a' as u64, &[]), "'a'");
    }

    /// Tracee memory: `bytes` at `base`.
    struct Buf(u64, Vec<u8>);
    impl Memory for Buf {
        fn cstr(&self, addr: u64, max: usize) -> Option<(Vec<u8>, bool)> {
            let from = self.1.get(addr.checked_sub(self.0)? as usize..)?;
            let end = from.iter().position(|&b| b == 0)?;
            Some((from[..end.min(max)].to_vec(), end <= max))
        }
        fn bytes(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
            let at = addr.checked_sub(self.0)? as usize;
            self.1.get(at..at + len).map(<[u8]>::to_vec)
        }
    }

    #[test]
    fn arrays_and_structs_print_as_ltrace_with_a_limit() {
        let mut p = Protos::default();
        p.parse_text(
            "void f(array(int, arg2)*, ulong, struct(char, short), struct(int, array(int, 2), string)*, \
             array(int, retval)*, int*, array(hex(char), 3)*);\n",
        );
        let f = p.get("f");
        let ty = |i: usize| &f.params[i].0;
        // 0x1000: the ints 1..=6; 0x2000: { 7, [8, 9], 0x3000 }; 0x3000: "hi".
        let mut bytes = vec![0u8; 0x2010];
        for i in 0..6u32 {
            bytes[4 * i as usize..][..4].copy_from_slice(&(i + 1).to_le_bytes());
        }
        for (off, v) in [(0x1000, 7u32), (0x1004, 8), (0x1008, 9)] {
            bytes[off..off + 4].copy_from_slice(&v.to_le_bytes());
        }
        bytes[0x1010..0x1018].copy_from_slice(&0x3000u64.to_le_bytes());
        bytes[0x2000..0x2003].copy_from_slice(b"hi\0");
        let m = Buf(0x1000, bytes);
        let fmt = |i: usize, v: u64, args: &[u64], ret: Option<u64>, arraylen: usize| {
            let style = Style {
                strsize: 32,
                arraylen,
            };
            value(ty(i), v, args, ret, &m, style)
        };
        assert_eq!(fmt(0, 0x1000, &[0x1000, 6], None, 4), "[ 1, 2, 3, 4... ]");
        assert_eq!(fmt(0, 0x1000, &[0x1000, 6], None, 2), "[ 1, 2... ]");
        assert_eq!(fmt(0, 0x1000, &[0x1000, 3], None, 4), "[ 1, 2, 3 ]");
        assert_eq!(fmt(0, 0x1000, &[0x1000, 0], None, 4), "[  ]");
        assert_eq!(fmt(0, 0, &[0, 3], None, 4), "nil");
        assert_eq!(fmt(0, 0x9000, &[0x9000, 3], None, 4), "0x9000");
        assert_eq!(fmt(2, 43, &[], None, 4), "{ '+', 0 }");
        assert_eq!(fmt(3, 0x2000, &[], None, 4), "{ 7, [ 8, 9 ], \"hi\" }");
        assert_eq!(fmt(3, 0x2000, &[], None, 1), "{ 7, [ 8... ], \"hi\" }");
        assert_eq!(fmt(4, 0x1000, &[], None, 4), "?");
        assert_eq!(fmt(4, 0x1000, &[], Some(2), 4), "[ 1, 2 ]");
        assert_eq!(fmt(5, 0x1004, &[], None, 4), "2");
        assert_eq!(fmt(6, 0x1000, &[], None, 4), "[ 0x1, 0, 0 ]");
    }

    #[test]
    fn floating_point_prints_as_c_prints_it_with_percent_f() {
        assert_eq!(c_f(1.0 / 3.0), "0.333333");
        assert_eq!(c_f(-0.0), "-0.000000");
        assert_eq!(c_f(1e20), "100000000000000000000.000000");
        assert_eq!(c_f(f64::NAN), "nan");
        assert_eq!(c_f(-f64::NAN), "-nan");
        assert_eq!(c_f(f64::NEG_INFINITY), "-inf");
        assert_eq!(c_f(2.5e-7), "0.000000");
        // 80-bit long doubles: 1.5 (sign 0, exponent 16383, mantissa 0xc000...), -2, inf.
        let f80 = |mant: u64, se: u16| {
            let mut b = mant.to_le_bytes().to_vec();
            b.extend(se.to_le_bytes());
            f64::from_bits(f80_to_f64_bits(&b))
        };
        assert_eq!(f80(0xc000_0000_0000_0000, 0x3fff), 1.5);
        assert_eq!(f80(0x8000_0000_0000_0000, 0xc000), -2.0);
        assert_eq!(f80(0x8000_0000_0000_0000, 0x7fff), f64::INFINITY);
        assert!(f80(0xc000_0000_0000_0000, 0x7fff).is_nan());
        assert_eq!(f80(0x8000_0000_0000_0000, 0x3fff - 1074), 5e-324);
        let m = NoMem;
        let v = |ty: &Ty, w: u64| value(ty, w, &[], None, &m, STYLE);
        assert_eq!(v(&Ty::Double, 2.5f64.to_bits()), "2.500000");
        // A float is the low 32 bits of its register.
        assert_eq!(
            v(&Ty::Float, 0xdead_beef_0000_0000 | 0.25f32.to_bits() as u64),
            "0.250000"
        );
    }

    /// x86-64 SysV: integers in six registers, float/double in xmm0-7 (counted apart), the rest
    /// on the stack in order (a long double 16-aligned), the variadic ones after the fixed.
    #[test]
    fn arguments_are_where_the_abi_puts_them() {
        let mut p = Protos::default();
        p.parse_text(
            "double f(int, double, string, float, long);\n\
             int g(int, int, int, int, int, int, int, double, double, double, double, double, double, double, double, double);\n\
             int printf(format);\n",
        );
        let words: Vec<u64> = (1..=6).collect();
        let xmm: Vec<u64> = (1..=8).map(|i| (i as f64 * 1.5).to_bits()).collect();
        let regs = Regs {
            gp: words.clone().try_into().unwrap(),
            xmm: xmm.clone().try_into().unwrap(),
        };
        // The stack after the return address at 0x1000: 7, 13.5, then "hi" and 1.25 for printf.
        let mut stack = vec![0u8; 0x40];
        stack[8..16].copy_from_slice(&7u64.to_le_bytes());
        stack[16..24].copy_from_slice(&13.5f64.to_bits().to_le_bytes());
        stack[24..32].copy_from_slice(&0x1020u64.to_le_bytes());
        stack[32..40].copy_from_slice(&1.25f64.to_bits().to_le_bytes());
        stack[0x20..0x23].copy_from_slice(b"hi\0");
        let m = Buf(0x1000, stack.clone());
        let args = |name: &str| {
            let proto = p.get(name);
            call_args(
                &proto,
                &regs,
                0x1000,
                0..proto.params.len(),
                None,
                &m,
                STYLE,
            )
        };
        // f: int rdi=1, double xmm0, string rsi=2 (unreadable here), float xmm1, long rdx=3.
        let f = p.get("f");
        assert_eq!(
            param_words(&f, &regs, 0x1000, &m),
            vec![1, xmm[0], 2, xmm[1], 3]
        );
        assert_eq!(args("g").split(", ").last(), Some("13.500000"));
        assert_eq!(
            args("g").split(", ").take(8).collect::<Vec<_>>(),
            vec!["1", "2", "3", "4", "5", "6", "7", "1.500000"]
        );
        // printf("%d %f %s %f %Lf", ...) with the format at 0x1020: 2 (rsi), xmm0, rdx, xmm1;
        // a long double on the stack, 16-aligned (offset 0 of the stack arguments here).
        let mut mem = vec![0u8; 0x60];
        mem[0x20..0x32].copy_from_slice(b"%d %f %s %f %Lf\0\0\0");
        let ld = [0u8, 0, 0, 0, 0, 0, 0, 0xa0, 0x01, 0x40]; // 5.0
        mem[8..18].copy_from_slice(&ld);
        let m = Buf(0x1000, mem);
        let regs = Regs {
            gp: [0x1020, 2, 0x9999, 0, 0, 0],
            xmm: regs.xmm,
        };
        let printf = p.get("printf");
        assert_eq!(
            call_args(&printf, &regs, 0x1000, 0..1, None, &m, STYLE),
            "\"%d %f %s %f %Lf\", 2, 1.500000, 0x9999, 3.000000, 5.000000"
        );
        // printf's al: SSE registers its variadic arguments use; none, no register read.
        assert!(needs_fp_at(&printf, 2) && !needs_fp_at(&printf, 0x100));
        assert!(needs_fp_at(&p.get("f"), 0) && !needs_fp_at(&p.get("missing"), 1));
        assert_eq!(ret_word(&Ty::Double, 7, 9, None), 9);
        assert_eq!(ret_word(&Ty::LongDouble, 7, 9, Some(&ld)), 5f64.to_bits());
        assert_eq!(ret_word(&Ty::Int(4), 7, 9, None), 7);
    }

    /// The in-process agent copies the SSE registers for floating point arguments and formats,
    /// st0 for a long double return, the stack for fixed parameters past the registers; a
    /// parameter's address source is its integer register, not its position.
    #[test]
    fn plans_read_the_fp_registers_and_stack_the_formatter_needs() {
        use crate::wire::op;
        let mut p = Protos::default();
        p.parse_text(
            "double f(double, string);\nint g(float, int, int, int, int, int, int, string);\n\
             int fprintf(file, format);\n",
        );
        let ops = |name: &str| -> Vec<(u8, bool, u8, u64, u32)> {
            reads(&p.get(name), STYLE)
                .iter()
                .map(|r| (r.op, r.at_exit, r.src, r.max, r.elem))
                .collect()
        };
        assert_eq!(
            ops("f"),
            vec![(op::FPREGS, false, 0, 0, 0), (op::CSTR, false, 1, 32, 0)]
        );
        // g's string is the seventh integer: on the stack, not read for the agent's copy.
        assert_eq!(
            ops("g"),
            vec![(op::FPREGS, false, 0, 0, 0), (op::STACK, false, 0, 8, 0)]
        );
        let fmt = ops("fprintf");
        assert_eq!(fmt[1].0, op::FORMAT);
        assert_eq!(crate::wire::Alloc::decode(fmt[1].4).gp, 2);
        let ld = Proto {
            ret: Ty::LongDouble,
            params: vec![(Ty::LongDouble, false)],
        };
        assert_eq!(
            reads(&ld, STYLE)
                .iter()
                .map(|r| (r.op, r.at_exit, r.max))
                .collect::<Vec<_>>(),
            vec![(op::ST0, true, 0), (op::STACK, false, 16)]
        );
    }

    #[test]
    fn printf_formats_give_argument_types() {
        assert_eq!(
            format_args(b"%d %s %5.2lu %% %c %p %.3f %Lg %le"),
            vec![
                Ty::Int(4),
                Ty::Str(Len::Nul),
                Ty::Uint(8),
                Ty::Char,
                Ty::Addr,
                Ty::Double,
                Ty::LongDouble,
                Ty::Double,
            ]
        );
    }
}
