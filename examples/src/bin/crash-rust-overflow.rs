//! A Rust program that overflows its main thread's stack. Rust's runtime installs its own
//! SIGSEGV handler only when none is installed, so under the crash handler ours reports it.

use std::hint::black_box;

#[inline(never)]
fn recurse(depth: u64, buf: &mut [u8; 256]) -> u64 {
    if black_box(depth) == u64::MAX {
        return 0;
    }
    let mut local = [0u8; 256];
    local[0] = depth as u8;
    buf[1] = local[0];
    black_box(&mut local);
    recurse(depth + 1, black_box(&mut local)) + local[1] as u64
}

fn main() {
    let mut buf = [0u8; 256];
    println!("{}", recurse(0, &mut buf));
}
