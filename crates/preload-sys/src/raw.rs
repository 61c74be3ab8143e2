//! The `syscall` instruction (x86_64 Linux), and the [`syscall!`](crate::syscall) macro over
//! it. Nothing outside this crate issues a system call: a test of the workspace checks it.

use core::ffi::c_long;

/// A system-call argument, widened to the register the kernel reads.
pub trait Arg {
    /// The register's value.
    fn arg(self) -> usize;
}
macro_rules! int_arg {
    ($($t:ty),*) => {$(
        impl Arg for $t {
            #[inline]
            fn arg(self) -> usize {
                // Sign-extended for signed types (the kernel reads -1 as all ones).
                self as usize
            }
        }
    )*};
}
int_arg!(i32, i64, u32, u64, usize, isize);
impl<T> Arg for *const T {
    #[inline]
    fn arg(self) -> usize {
        self as usize
    }
}
impl<T> Arg for *mut T {
    #[inline]
    fn arg(self) -> usize {
        self as usize
    }
}
impl<T> Arg for &T {
    #[inline]
    fn arg(self) -> usize {
        self as *const T as usize
    }
}
impl<T> Arg for &mut T {
    #[inline]
    fn arg(self) -> usize {
        self as *mut T as usize
    }
}

/// System call `nr` with up to six arguments (unused ones are 0); returns what the kernel
/// returned: the result, or a negative errno.
///
/// # Safety
/// As the system call requires of its arguments.
#[inline]
pub unsafe fn call(nr: c_long, a: [usize; 6]) -> c_long {
    let ret: c_long;
    // SAFETY: the kernel's x86_64 system-call convention: number in rax, arguments in rdi,
    // rsi, rdx, r10, r8, r9; it clobbers rcx and r11 and no user stack. Memory the call reads
    // or writes is the caller's contract.
    unsafe {
        core::arch::asm!(
            "syscall",
            inlateout("rax") nr => ret,
            in("rdi") a[0],
            in("rsi") a[1],
            in("rdx") a[2],
            in("r10") a[3],
            in("r8") a[4],
            in("r9") a[5],
            lateout("rcx") _,
            lateout("r11") _,
            options(nostack),
        );
    }
    ret
}

/// `syscall!(libc::SYS_x, args...)`: [`call`] with each argument widened by [`Arg`].
/// Unsafe to use: the caller vouches for the arguments, as for [`call`].
#[macro_export]
macro_rules! syscall {
    ($nr:expr $(, $a:expr)* $(,)?) => {{
        let given: &[usize] = &[$($crate::raw::Arg::arg($a)),*];
        let mut args = [0usize; 6];
        args[..given.len()].copy_from_slice(given);
        $crate::raw::call($nr, args)
    }};
}
