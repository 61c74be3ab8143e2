//! Binds every symbol the library uses at load time (`-z now`), so the signal handler never
//! runs the dynamic linker's lazy binding (which can take the loader's lock).
fn main() {
    println!("cargo:rustc-cdylib-link-arg=-Wl,-z,now");
}
