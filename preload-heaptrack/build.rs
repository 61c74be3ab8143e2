//! The no-allocation test (`tests/no_alloc.rs`) links this library's hooks into its own
//! executable; exporting them (`-rdynamic`) makes libc's internal allocator calls reach them
//! too, as they do under LD_PRELOAD.
fn main() {
    println!("cargo:rustc-link-arg-tests=-rdynamic");
}
