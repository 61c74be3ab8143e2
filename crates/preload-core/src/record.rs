//! Appending event-log records to a file with plain writes, from a fixed buffer: for a writer
//! that has no log session (a crash handler writing its one crash, at the worst moment).

use core::mem::ManuallyDrop;

use tracekit_log_core::Event;
use tracekit_preload_sys as sys;

/// Encodes `ev` into `buf` and appends it to `fd`. Takes the event by value and never drops
/// it: an event here borrows its data, and the drop code of the owned form (never used) would
/// import libc's `free` into a `no_std` library, one more symbol for the dynamic linker to bind
/// in every program that loads it. A record that does not fit in `buf` is not written.
pub fn append(fd: i32, buf: &mut [u8], ev: Event<'_>) -> sys::SysResult<()> {
    let ev = ManuallyDrop::new(ev);
    match tracekit_log_core::encode(&ev, buf) {
        Ok(n) => sys::write_all(fd, &buf[..n]),
        Err(_) => Err(sys::Errno(libc::E2BIG)),
    }
}

/// Writes the file header when `fd` is an empty file; true when it did (the caller then
/// writes the `Process` record that opens a log).
pub fn start_if_empty(fd: i32, buf: &mut [u8]) -> bool {
    if sys::file_size(fd) != Ok(0) {
        return false;
    }
    match tracekit_log_core::write_header(buf) {
        Ok(n) => sys::write_all(fd, &buf[..n]).is_ok(),
        Err(_) => false,
    }
}
