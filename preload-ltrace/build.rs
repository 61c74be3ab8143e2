//! The no-allocation test (`tests/no_alloc.rs`) exports its own `malloc` family (`-rdynamic`)
//! so that every allocation of the process, libc's own included, is counted.
fn main() {
    println!("cargo:rustc-link-arg-tests=-rdynamic");
}
