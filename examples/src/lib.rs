//! The example programs, compiled by `build.rs`: tests and benchmarks find them here.
//!
//! ```
//! let p = tracekit_examples::path("heap_known");
//! assert!(p.exists());
//! ```

use std::path::PathBuf;

include!(concat!(env!("OUT_DIR"), "/names.rs"));

/// Where the compiled example `name` is. Panics with the list of examples when there is none.
pub fn path(name: &str) -> PathBuf {
    assert!(
        NAMES.contains(&name),
        "no example named {name:?}; there are: {}",
        NAMES.join(", ")
    );
    PathBuf::from(concat!(env!("OUT_DIR"), "/bin")).join(name)
}
