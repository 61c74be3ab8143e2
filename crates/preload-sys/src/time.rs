//! Clocks and sleeping.

use crate::syscall;

fn ns(ts: &libc::timespec) -> u64 {
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// A clock in nanoseconds, by the `clock_gettime` system call: no libc import (the crash
/// handler's load cost), but a kernel entry each time. Hot paths use [`fast_clock_ns`].
pub fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid timespec to fill.
    unsafe { syscall!(libc::SYS_clock_gettime, clock, &mut ts) };
    ns(&ts)
}

/// A clock in nanoseconds through libc's `clock_gettime`, which reads the vDSO without
/// entering the kernel (a few ns instead of ~100): for the per-event timestamps of a hook.
/// Not a system call for the clocks used here, so it lives here only to keep clocks together.
#[inline]
pub fn fast_clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid out-pointer; the clocks used here always exist on Linux.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ns(&ts)
}

/// `CLOCK_MONOTONIC_COARSE` in ns: a vDSO read of a few ns, with the kernel tick's resolution.
#[inline]
pub fn mono_coarse_ns() -> u64 {
    fast_clock_ns(libc::CLOCK_MONOTONIC_COARSE)
}

/// `CLOCK_MONOTONIC` in ns (vDSO).
#[inline]
pub fn mono_ns() -> u64 {
    fast_clock_ns(libc::CLOCK_MONOTONIC)
}

/// `CLOCK_REALTIME` in ns since the epoch (vDSO).
pub fn realtime_ns() -> u64 {
    fast_clock_ns(libc::CLOCK_REALTIME)
}

/// The resolution of `CLOCK_MONOTONIC_COARSE` in ns (`clock_getres`: the kernel tick, 4 ms
/// at 250 Hz), or 0 when the kernel does not say.
pub fn mono_coarse_res_ns() -> u64 {
    clock_res_ns(libc::CLOCK_MONOTONIC_COARSE)
}

/// The resolution of `clock` in ns (`clock_getres`: 1 for `CLOCK_MONOTONIC` on a kernel with
/// high-resolution timers), or 0 when the kernel does not say.
pub fn clock_res_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid out-pointer.
    let r = unsafe { syscall!(libc::SYS_clock_getres, clock, &mut ts) };
    if r != 0 {
        return 0;
    }
    ns(&ts)
}

/// Sleeps for `ns` nanoseconds (once: an interrupting signal ends it early).
pub fn sleep_ns(ns: u64) {
    let ts = libc::timespec {
        tv_sec: (ns / 1_000_000_000) as _,
        tv_nsec: (ns % 1_000_000_000) as _,
    };
    let none = core::ptr::null_mut::<libc::timespec>();
    // SAFETY: ts is a valid timespec; the remainder pointer may be NULL.
    unsafe { syscall!(libc::SYS_nanosleep, &ts, none) };
}

/// Sleeps for `ms` milliseconds (once).
pub fn sleep_ms(ms: u64) {
    sleep_ns(ms.saturating_mul(1_000_000));
}

/// Sleeps for `us` microseconds (once).
pub fn sleep_us(us: u64) {
    sleep_ns(us.saturating_mul(1000));
}

/// Arms (or with 0, disarms) `ITIMER_REAL` to fire once after `ms` milliseconds.
pub fn alarm_ms(ms: u64) {
    let zero = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    let t = libc::itimerval {
        it_interval: zero,
        it_value: libc::timeval {
            tv_sec: (ms / 1000) as _,
            tv_usec: ((ms % 1000) * 1000) as _,
        },
    };
    let none = core::ptr::null_mut::<libc::itimerval>();
    // SAFETY: t is a valid itimerval; the old value pointer may be NULL.
    unsafe { syscall!(libc::SYS_setitimer, libc::ITIMER_REAL, &t, none) };
}
