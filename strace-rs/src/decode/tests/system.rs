//! Decoders checked against lines of strace 6.1's own test suite (`bench/strace-upstream.sh`
//! runs it; each line below is one its test programs expect and strace printed): the calls
//! of `decode/system.rs`, `openat2`, and the spellings strace uses for unknown values
//! (`0x10 /* RLIMIT_??? */`, modes as `%#03o`).

use libc::*;

use super::{at, call, check, neg, Recorded};

#[test]
fn pidfds_keys_and_modules() {
    check(
        call("pidfd_open", &[0, 0xffff_ffff]).fails(EINVAL),
        "pidfd_open(0, PIDFD_NONBLOCK|0xfffff7ff) = -1 EINVAL (Invalid argument)",
    );
    check(
        call("pidfd_open", &[25178, 0xfacef6ed]).fails(EINVAL),
        "pidfd_open(25178, 0xfacef6ed /* PIDFD_??? */) = -1 EINVAL (Invalid argument)",
    );
    check(
        call("pidfd_getfd", &[neg(-1), neg(-1), 0xdefaced00000000]).fails(EBADF),
        "pidfd_getfd(-1, -1, 0) = -1 EBADF (Bad file descriptor)",
    );
    check(
        call("process_mrelease", &[0, 0xbadc0dedfacefeed]).fails(EINVAL),
        "process_mrelease(0, 0xfacefeed) = -1 EINVAL (Invalid argument)",
    );
    check(
        call("pkey_alloc", &[0, 0xbadc0ded00000002]).fails(EINVAL),
        "pkey_alloc(0, PKEY_DISABLE_WRITE|0xbadc0ded00000000) = -1 EINVAL (Invalid argument)",
    );
    // A keyring that is not special is a signed decimal; a string cut by unreadable memory
    // before its NUL is printed as its address.
    let m = Recorded::default()
        .cstr(at(0x100), "user")
        .bytes(at(0x1000 - 5), &[6, 7, 8, 9, 10]);
    check(
        call(
            "add_key",
            &[at(0x100), at(0x1000 - 5), 0, 0, neg(-1234567890)],
        )
        .fails(EFAULT)
        .memory(m.clone()),
        "add_key(\"user\", 0x10000ffb, NULL, 0, -1234567890) = -1 EFAULT (Bad address)",
    );
    check(
        call("add_key", &[0, 0, 0, 0, 0xffff_ffff]).fails(EFAULT),
        "add_key(NULL, NULL, NULL, 0, KEY_SPEC_THREAD_KEYRING) = -1 EFAULT (Bad address)",
    );
    check(
        call("finit_module", &[neg(-1091571699), 0, 0xffff_ffff]).fails(ENOSYS),
        "finit_module(-1091571699, NULL, MODULE_INIT_IGNORE_MODVERSIONS|MODULE_INIT_IGNORE_VERMAGIC|MODULE_INIT_COMPRESSED_FILE|0xfffffff8) = -1 ENOSYS (Function not implemented)",
    );
    check(
        call("memfd_secret", &[0xde97face]).fails(EINVAL),
        "memfd_secret(0xde97face) = -1 EINVAL (Invalid argument)",
    );
}

#[test]
fn unknown_values_and_modes_as_strace_spells_them() {
    check(
        call("prctl", &[4, 0xdeadc0de00000001]).fails(EINVAL),
        "prctl(PR_SET_DUMPABLE, 0xdeadc0de00000001 /* SUID_DUMP_??? */) = -1 EINVAL (Invalid argument)",
    );
    check(
        call("prctl", &[4, 0]).returns(0),
        "prctl(PR_SET_DUMPABLE, SUID_DUMP_DISABLE) = 0",
    );
    let m = Recorded::default().cstr(at(0x100), "x");
    // open's mode is a 16-bit mode_t printed with at least three digits.
    check(
        call("chmod", &[at(0x100), 0xffff_0000])
            .fails(ENOENT)
            .memory(m.clone()),
        "chmod(\"x\", 000) = -1 ENOENT (No such file or directory)",
    );
    check(
        call("chmod", &[at(0x100), 4]).fails(ENOENT).memory(m),
        "chmod(\"x\", 004) = -1 ENOENT (No such file or directory)",
    );
}

#[test]
fn openat2_open_how() {
    let how = |extra: &[u8]| {
        let mut b = Vec::new();
        for w in [0x8002u64, 0xbadc0dedfacebeef, 0xfeedfacedcaffef1] {
            b.extend(w.to_ne_bytes());
        }
        b.extend(extra);
        Recorded::default()
            .cstr(at(0x100), "openat2.sample")
            .bytes(at(0x200), &b)
    };
    check(
        call("openat2", &[neg(-1), at(0x100), at(0x200), 24]).fails(EINVAL).memory(how(&[])),
        "openat2(-1, \"openat2.sample\", {flags=O_RDWR|O_LARGEFILE, mode=01353340336677263537357, resolve=RESOLVE_NO_XDEV|RESOLVE_IN_ROOT|RESOLVE_CACHED|0xfeedfacedcaffec0}, 24) = -1 EINVAL (Invalid argument)",
    );
    check(
        call("openat2", &[neg(-1), at(0x100), at(0x200), 32]).fails(EFAULT).memory(how(&[])),
        "openat2(-1, \"openat2.sample\", {flags=O_RDWR|O_LARGEFILE, mode=01353340336677263537357, resolve=RESOLVE_NO_XDEV|RESOLVE_IN_ROOT|RESOLVE_CACHED|0xfeedfacedcaffec0, ???}, 32) = -1 EFAULT (Bad address)",
    );
    check(
        call("openat2", &[neg(-1), at(0x100), at(0x200), 32])
            .fails(E2BIG)
            .memory(how(&[0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87])),
        "openat2(-1, \"openat2.sample\", {flags=O_RDWR|O_LARGEFILE, mode=01353340336677263537357, resolve=RESOLVE_NO_XDEV|RESOLVE_IN_ROOT|RESOLVE_CACHED|0xfeedfacedcaffec0, /* bytes 24..31 */ \"\\x80\\x81\\x82\\x83\\x84\\x85\\x86\\x87\"}, 32) = -1 E2BIG (Argument list too long)",
    );
}
