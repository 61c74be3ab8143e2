//! Messages to the user on a private copy of fd 2, taken at start-up: a program that closes
//! or redirects its stderr (as `ls` does at exit) still gets tracekit's announcements and
//! errors where the user is looking.

use core::fmt::Write as _;
use core::sync::atomic::{AtomicI32, Ordering};

use crate::fmt::FixedBuf;
use tracekit_preload_sys as sys;

static FD: AtomicI32 = AtomicI32::new(-1);

/// Takes the private copy of fd 2 (once; later calls keep the first copy).
pub fn init() {
    if FD.load(Ordering::Relaxed) >= 0 {
        return;
    }
    if let Ok(fd) = sys::dup_cloexec(2, 500) {
        if FD
            .compare_exchange(-1, fd, Ordering::AcqRel, Ordering::Relaxed)
            .is_err()
        {
            sys::close(fd);
        }
    }
}

/// Forgets the copy without closing it (after `fork` the child keeps the inherited one).
pub fn fd() -> i32 {
    let fd = FD.load(Ordering::Relaxed);
    if fd >= 0 {
        fd
    } else {
        2
    }
}

/// Writes `tracekit: <message>\n` to the user's stderr. Never allocates.
pub fn say(args: core::fmt::Arguments<'_>) {
    say_as("tracekit", args);
}

/// Writes `<who>: <message>\n` to the user's stderr (`who` names the tool: `tracekit efence`).
/// Never allocates; a message too long for 1 KiB is cut.
pub fn say_as(who: &str, args: core::fmt::Arguments<'_>) {
    let mut b = FixedBuf::<1024>::new();
    b.push_bytes(who.as_bytes());
    b.push_bytes(b": ");
    let _ = b.write_fmt(args);
    b.push_bytes(b"\n");
    let _ = sys::write_all(fd(), b.as_bytes());
}

/// `say!("...", args)`: a one-line message on the user's stderr, without allocating.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => { $crate::stderr::say(format_args!($($arg)*)) };
}
