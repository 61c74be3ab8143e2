//! Demangling, for mangled names only.
//!
//! blazesym's own demangling hands every name whose language it does not know to
//! `cpp_demangle`, which also parses a bare type encoding: a C function named `f` came out as
//! `float`, `i` as `int`. A name is mangled only when it says so by its prefix: `_Z` (the
//! Itanium C++ ABI, and Rust's legacy `_ZN...E` scheme) or `_R` (Rust's v0 scheme).

use std::borrow::Cow;

/// `name` demangled when it is a mangled C++ or Rust name, else `name` unchanged. A mangled
/// name that does not parse is also left as it is.
pub fn demangle(name: &str) -> Cow<'_, str> {
    if !(name.starts_with("_Z") || name.starts_with("_R")) {
        return Cow::Borrowed(name);
    }
    // Rust first (as blazesym did): a legacy Rust name is also valid Itanium, but the C++
    // demangler would keep its hash as a path segment.
    if let Ok(rust) = rustc_demangle::try_demangle(name) {
        return Cow::Owned(format!("{rust:#}"));
    }
    if name.starts_with("_Z") {
        if let Some(cpp) = cpp_demangle::Symbol::new(name)
            .ok()
            .and_then(|s| s.demangle().ok())
        {
            return Cow::Owned(cpp);
        }
    }
    Cow::Borrowed(name)
}

#[cfg(test)]
mod tests {
    use super::demangle;

    #[test]
    fn c_names_that_read_as_type_codes_stay_as_they_are() {
        // Each of these is a one-letter Itanium type code (float, int, double, void, char...).
        for name in [
            "f", "i", "d", "v", "c", "l", "m", "Dn", "St", "main", "free", "_start",
        ] {
            assert_eq!(demangle(name), name);
        }
    }

    #[test]
    fn mangled_names_are_demangled() {
        assert_eq!(demangle("_ZN3foo3barEv"), "foo::bar()");
        assert_eq!(demangle("_Z1fv"), "f()");
        assert_eq!(demangle("_Znwm"), "operator new(unsigned long)");
        // Rust legacy (hash dropped, as `{:#}` prints it) and v0.
        assert_eq!(
            demangle("_ZN4core3fmt5write17h0123456789abcdefE"),
            "core::fmt::write"
        );
        assert_eq!(demangle("_RNvCs1234_7mycrate4main"), "mycrate::main");
    }

    #[test]
    fn a_prefix_that_does_not_parse_is_kept() {
        assert_eq!(demangle("_Z"), "_Z");
        assert_eq!(demangle("_ZN3foo"), "_ZN3foo");
        assert_eq!(demangle("_Rnope"), "_Rnope");
    }
}
