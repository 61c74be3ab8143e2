//! [`hook!`](crate::hook!): the shape every hook shares, written once.
//!
//! A hook is exported under the C name it replaces (but not in unit tests, where the test
//! harness must keep the real one). It first takes the per-thread reentrancy guard
//! ([`Guard`](crate::guard::Guard)): a call made while the thread already holds it comes from
//! inside the tool (or from a libc function the tool called) and must go straight to the real
//! function, `nested`; otherwise the body runs with the guard, which it passes on to whatever
//! records the call. A new preload library is a list of these.

/// Defines an exported hook.
///
/// ```ignore
/// hook! {
///     /// `malloc`.
///     fn malloc(size: usize) -> *mut c_void {
///         nested => real::malloc(size),
///         g => record_malloc(&g, size),
///     }
/// }
/// ```
///
/// `unsafe fn` defines an `unsafe extern "C" fn` (give it a `# Safety` section): `nested` and
/// the body are then expressions that may call unsafe functions inside their own `unsafe`
/// blocks, each with its `// SAFETY:` reason.
#[macro_export]
macro_rules! hook {
    (
        $(#[$m:meta])*
        fn $name:ident($($arg:ident: $t:ty),* $(,)?) -> $ret:ty {
            nested => $nested:expr,
            $g:ident => $body:expr $(,)?
        }
    ) => {
        $(#[$m])*
        #[cfg_attr(not(test), no_mangle)]
        pub extern "C" fn $name($($arg: $t),*) -> $ret {
            let Some($g) = $crate::guard::Guard::enter() else {
                return $nested;
            };
            $body
        }
    };
    (
        $(#[$m:meta])*
        unsafe fn $name:ident($($arg:ident: $t:ty),* $(,)?) -> $ret:ty {
            nested => $nested:expr,
            $g:ident => $body:expr $(,)?
        }
    ) => {
        $(#[$m])*
        #[cfg_attr(not(test), no_mangle)]
        pub unsafe extern "C" fn $name($($arg: $t),*) -> $ret {
            let Some($g) = $crate::guard::Guard::enter() else {
                return $nested;
            };
            $body
        }
    };
}
