//! Link options of the library.
//!
//! - `-z now`: every symbol the library uses is bound at load time, so the signal handler
//!   never runs the dynamic linker's lazy binding (which can take the loader's lock).
//! - GNU ld with `-z noseparate-code`: the headers, read-only data and code share one
//!   read+execute segment, so the loader maps two segments instead of four and the program
//!   takes fewer page faults at start-up. Measured with bench/segv.sh's start-up row
//!   (`crash_benign 0`, 800 alternating runs, against an empty C library preloaded):
//!   x1.027 with the toolchain's default layout (rust-lld, four segments), x1.009 with this
//!   one, which is what a minimal library doing the same system calls at load costs. The
//!   price is that read-only data is executable too (nothing is both writable and
//!   executable; RELRO and `-z now` are kept).
fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,now");
    println!("cargo:rustc-cdylib-link-arg=-fuse-ld=bfd");
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,noseparate-code");
}
