//! Process events: `exec*` (write `Exec`, leave the log complete, hand it on when exec is
//! followed), `_exit`/`_Exit` (write `Exit`), `dlopen`/`dlclose` (module records),
//! `pthread_setname_np` (a `Thread` record with the new name).
//!
//! `execl`, `execlp` and `execle` are variadic, which Rust can't define: small assembly
//! functions save the register arguments next to the stack ones and call
//! `tk_execl`, which collects the list.

#![allow(non_snake_case)] // `_Exit` is C's name

use std::ffi::{c_char, c_int, c_void};
use tracekit_preload_rt::sys::{self, NextFn};

use tracekit_preload_rt::cabi::set_errno;

use tracekit_preload_rt::exec::ExecEnv;
use tracekit_preload_rt::guard::Guard;
use tracekit_preload_rt::session;

extern "C" {
    static environ: *const *const c_char;
}

fn raw_execve(
    path: *const c_char,
    argv: *const *const c_char,
    envp: *const *const c_char,
) -> c_int {
    // SAFETY: the arguments are the caller's (checked by the kernel); the raw system call
    // avoids calling our own `execve` through the symbol table.
    let e = unsafe { sys::execve(path.cast(), argv.cast(), envp.cast()) };
    set_errno(e.0);
    -1
}

/// `execve`.
///
/// # Safety
/// As C's `execve`.
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn execve(
    path: *const c_char,
    argv: *const *const c_char,
    envp: *const *const c_char,
) -> c_int {
    let _g = Guard::enter();
    let mut env = ExecEnv::new();
    // SAFETY: the caller's contract.
    let envp = unsafe { session::before_exec(path, envp, &mut env) };
    raw_execve(path, argv, envp)
}

/// `execv`.
///
/// # Safety
/// As C's `execv`.
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn execv(path: *const c_char, argv: *const *const c_char) -> c_int {
    // SAFETY: the caller's contract; environ is the process environment.
    unsafe { execve(path, argv, environ) }
}

static REAL_EXECVPE: NextFn = NextFn::new(c"execvpe");

/// `execvpe`.
///
/// # Safety
/// As C's `execvpe`.
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn execvpe(
    file: *const c_char,
    argv: *const *const c_char,
    envp: *const *const c_char,
) -> c_int {
    let _g = Guard::enter();
    type Execvpe =
        unsafe extern "C" fn(*const c_char, *const *const c_char, *const *const c_char) -> c_int;
    // SAFETY: libc's execvpe has this signature.
    let Some(real) = (unsafe { REAL_EXECVPE.get::<Execvpe>() }) else {
        set_errno(libc::ENOSYS);
        return -1;
    };
    let mut env = ExecEnv::new();
    // SAFETY: the caller's contract.
    let envp = unsafe { session::before_exec(file, envp, &mut env) };
    // SAFETY: the caller's contract, with our environment.
    unsafe { real(file, argv, envp) }
}

/// `execvp`.
///
/// # Safety
/// As C's `execvp`.
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn execvp(file: *const c_char, argv: *const *const c_char) -> c_int {
    // SAFETY: the caller's contract.
    unsafe { execvpe(file, argv, environ) }
}

const EXECL: u32 = 0;
const EXECLP: u32 = 1;
const EXECLE: u32 = 2;
const MAX_ARGS: usize = 4096;

/// Collects a variadic argument list (`regs`: the five register arguments after `path`;
/// `stack`: the first stack argument) and runs the matching `exec`.
unsafe extern "C" fn tk_execl(
    path: *const c_char,
    regs: *const *const c_char,
    stack: *const *const c_char,
    variant: u32,
) -> c_int {
    let mut argv = [std::ptr::null::<c_char>(); MAX_ARGS + 1];
    // Argument `i` of the list. The assembly passes the saved register arguments (5) and the
    // caller's stack arguments, which run until the NULL that ends the list (and, for
    // execle, one more): `i` is never past that.
    let arg = |i: usize| {
        let p = if i < 5 {
            // SAFETY: one of the five saved registers, in the assembly's array.
            unsafe { regs.add(i) }
        } else {
            // SAFETY: a stack argument at or before the list's end (see above).
            unsafe { stack.add(i - 5) }
        };
        // SAFETY: p points at a saved argument, aligned and readable (see above).
        unsafe { *p }
    };
    let mut n = 0;
    loop {
        let a = arg(n);
        if n == MAX_ARGS {
            set_errno(libc::E2BIG);
            return -1;
        }
        argv[n] = a;
        if a.is_null() {
            break;
        }
        n += 1;
    }
    match variant {
        // SAFETY: the caller's path and a NULL-terminated argv of its strings.
        EXECLP => unsafe { execvp(path, argv.as_ptr()) },
        // SAFETY: as above, and execle's environment follows the NULL.
        EXECLE => unsafe { execve(path, argv.as_ptr(), arg(n + 1) as *const *const c_char) },
        // SAFETY: as above.
        _ => unsafe { execv(path, argv.as_ptr()) },
    }
}

macro_rules! execl_like {
    ($(#[$m:meta])* $name:ident, $variant:expr) => {
        $(#[$m])*
        #[unsafe(naked)]
        #[cfg_attr(not(test), no_mangle)]
        pub extern "C" fn $name(_path: *const c_char, _arg0: *const c_char) -> c_int {
            core::arch::naked_asm!(
                ".cfi_startproc",
                "sub rsp, 56",
                ".cfi_adjust_cfa_offset 56",
                "mov [rsp], rsi",
                "mov [rsp + 8], rdx",
                "mov [rsp + 16], rcx",
                "mov [rsp + 24], r8",
                "mov [rsp + 32], r9",
                "mov rsi, rsp",
                "lea rdx, [rsp + 64]",
                "mov ecx, {variant}",
                "call {imp}",
                "add rsp, 56",
                ".cfi_adjust_cfa_offset -56",
                "ret",
                ".cfi_endproc",
                variant = const $variant,
                imp = sym tk_execl,
            )
        }
    };
}

execl_like!(
    /// `execl(path, arg0, ..., NULL)`.
    execl, EXECL
);
execl_like!(
    /// `execlp(file, arg0, ..., NULL)`.
    execlp, EXECLP
);
execl_like!(
    /// `execle(path, arg0, ..., NULL, envp)`.
    execle, EXECLE
);

/// `_exit`.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn _exit(code: c_int) -> ! {
    session::exit_now(code)
}

/// `_Exit`.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn _Exit(code: c_int) -> ! {
    session::exit_now(code)
}

/// `tracekit_do_leak_check()`: a leak check now, as valgrind's `VALGRIND_DO_LEAK_CHECK`
/// (the program calls it through `preload-heaptrack/include/tracekit_leak.h`, a weak
/// reference that is null, and the call skipped, when the tracker is not loaded). Nothing
/// happens when the check is off (`TRACEKIT_LEAK_CHECK`) or when called from inside the
/// tracker.
#[cfg_attr(not(test), no_mangle)]
pub extern "C" fn tracekit_do_leak_check() {
    let Some(_g) = tracekit_preload_rt::guard::Guard::enter() else {
        return;
    };
    let frame = 0u64;
    tracekit_preload_rt::leak::on_request(std::hint::black_box(&frame) as *const u64 as u64);
}

static REAL_SETNAME: NextFn = NextFn::new(c"pthread_setname_np");

/// `pthread_setname_np`: a thread naming itself gets a new `Thread` record.
///
/// # Safety
/// As the C function.
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn pthread_setname_np(thread: libc::pthread_t, name: *const c_char) -> c_int {
    let g = Guard::enter();
    type SetName = unsafe extern "C" fn(libc::pthread_t, *const c_char) -> c_int;
    // SAFETY: libc's pthread_setname_np has this signature.
    let Some(real) = (unsafe { REAL_SETNAME.get::<SetName>() }) else {
        return libc::ENOSYS;
    };
    // SAFETY: the caller's contract.
    let r = unsafe { real(thread, name) };
    // SAFETY: pthread_self has no preconditions.
    if r == 0 && g.is_some() && thread == unsafe { libc::pthread_self() } {
        session::thread_renamed();
    }
    r
}

static REAL_DLOPEN: NextFn = NextFn::new(c"dlopen");
static REAL_DLCLOSE: NextFn = NextFn::new(c"dlclose");

/// `dlopen`: records the modules it loaded.
///
/// # Safety
/// As C's `dlopen`.
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn dlopen(file: *const c_char, flags: c_int) -> *mut c_void {
    type Dlopen = unsafe extern "C" fn(*const c_char, c_int) -> *mut c_void;
    // SAFETY: libc's dlopen has this signature.
    let Some(real) = (unsafe { REAL_DLOPEN.get::<Dlopen>() }) else {
        return std::ptr::null_mut();
    };
    // SAFETY: the caller's contract.
    let h = unsafe { real(file, flags) };
    if let Some(_g) = Guard::enter() {
        // SAFETY: `h` is what dlopen just returned.
        unsafe { session::dlopened(h) };
        crate::attach::after_dlopen();
    }
    h
}

/// `dlclose`: records the modules it unloaded.
///
/// # Safety
/// As C's `dlclose`.
#[cfg_attr(not(test), no_mangle)]
pub unsafe extern "C" fn dlclose(handle: *mut c_void) -> c_int {
    type Dlclose = unsafe extern "C" fn(*mut c_void) -> c_int;
    // SAFETY: libc's dlclose has this signature.
    let Some(real) = (unsafe { REAL_DLCLOSE.get::<Dlclose>() }) else {
        return -1;
    };
    // SAFETY: the caller's contract.
    let r = unsafe { real(handle) };
    tracekit_preload_rt::unwind::flush_cache();
    if let Some(_g) = Guard::enter() {
        session::scan_modules();
    }
    r
}
