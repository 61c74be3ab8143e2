//! Calls with simple argument rows that the other modules do not group: kernel modules,
//! host names, keys, pidfds, memory protection keys, splicing, namespaces, mounts.

use super::table::Arg::{self, *};
use super::Decoder::Row;
use super::{Ctx, Decoder};
use crate::text::Xlat;

const PIDFD_FLAGS: Xlat = &[(0o4000, "PIDFD_NONBLOCK")];
const PKEY_ACCESS: Xlat = &[
    (1, "PKEY_DISABLE_ACCESS"),
    (2, "PKEY_DISABLE_WRITE"),
    (4, "PKEY_DISABLE_EXECUTE"),
];
const MLOCK_FLAGS: Xlat = &[(1, "MLOCK_ONFAULT")];
const SPLICE_FLAGS: Xlat = &[
    (1, "SPLICE_F_MOVE"),
    (2, "SPLICE_F_NONBLOCK"),
    (4, "SPLICE_F_MORE"),
    (8, "SPLICE_F_GIFT"),
];
const SYNC_FILE_RANGE_FLAGS: Xlat = &[
    (1, "SYNC_FILE_RANGE_WAIT_BEFORE"),
    (2, "SYNC_FILE_RANGE_WRITE"),
    (4, "SYNC_FILE_RANGE_WAIT_AFTER"),
];
const DELETE_MODULE_FLAGS: Xlat = &[(0o4000, "O_NONBLOCK"), (0o1000, "O_TRUNC")];
const MODULE_INIT_FLAGS: Xlat = &[
    (1, "MODULE_INIT_IGNORE_MODVERSIONS"),
    (2, "MODULE_INIT_IGNORE_VERMAGIC"),
    (4, "MODULE_INIT_COMPRESSED_FILE"),
];
const INOTIFY_INIT_FLAGS: Xlat = &[(0o4000, "IN_NONBLOCK"), (0o2000000, "IN_CLOEXEC")];
const UMOUNT_FLAGS: Xlat = &[
    (1, "MNT_FORCE"),
    (2, "MNT_DETACH"),
    (4, "MNT_EXPIRE"),
    (8, "UMOUNT_NOFOLLOW"),
];
const SETNS_TYPES: Xlat = &[
    (0x80, "CLONE_NEWTIME"),
    (0x20000, "CLONE_NEWNS"),
    (0x2000000, "CLONE_NEWCGROUP"),
    (0x4000000, "CLONE_NEWUTS"),
    (0x8000000, "CLONE_NEWIPC"),
    (0x10000000, "CLONE_NEWUSER"),
    (0x20000000, "CLONE_NEWPID"),
    (0x40000000, "CLONE_NEWNET"),
];
const MEMFD_SECRET_FLAGS: Xlat = &[(0o2000000, "O_CLOEXEC")];
/// The special key serial numbers (`KEY_SPEC_*`), printed in decimal when not one of them.
pub(super) const KEY_SPEC: Xlat = &[
    (0xffff_ffff, "KEY_SPEC_THREAD_KEYRING"),
    (0xffff_fffe, "KEY_SPEC_PROCESS_KEYRING"),
    (0xffff_fffd, "KEY_SPEC_SESSION_KEYRING"),
    (0xffff_fffc, "KEY_SPEC_USER_KEYRING"),
    (0xffff_fffb, "KEY_SPEC_USER_SESSION_KEYRING"),
    (0xffff_fffa, "KEY_SPEC_GROUP_KEYRING"),
    (0xffff_fff9, "KEY_SPEC_REQKEY_AUTH_KEY"),
    (0xffff_fff8, "KEY_SPEC_REQUESTOR_KEYRING"),
];

/// A key serial number (strace's `print_keyring_serial_number`).
pub(super) const KEY_SERIAL: Arg = ConstDec(KEY_SPEC, "");

pub fn decoder(name: &str) -> Option<Decoder> {
    Some(match name {
        "pidfd_open" => Row(&[Pid, Flags(PIDFD_FLAGS, "PIDFD_???")]),
        "pidfd_getfd" => Row(&[Fd, Int, Hex32]),
        "process_mrelease" => Row(&[Fd, Hex32]),
        "pidfd_send_signal" => Row(&[Fd, Signal, In(super::signal::siginfo), Hex32]),
        "pkey_alloc" => Row(&[Hex, Flags64(PKEY_ACCESS, "PKEY_???")]),
        "pkey_free" => Row(&[Int]),
        "mlock2" => Row(&[Hex, Ulong, Flags(MLOCK_FLAGS, "MLOCK_???")]),
        "readahead" => Row(&[Fd, Loff, Ulong]),
        "tee" => Row(&[Fd, Fd, Ulong, Flags(SPLICE_FLAGS, "SPLICE_F_???")]),
        "splice" => Row(&[
            Fd,
            In(offset_ptr),
            Fd,
            In(offset_ptr),
            Ulong,
            Flags(SPLICE_FLAGS, "SPLICE_F_???"),
        ]),
        "sync_file_range" => Row(&[
            Fd,
            Loff,
            Loff,
            Flags(SYNC_FILE_RANGE_FLAGS, "SYNC_FILE_RANGE_???"),
        ]),
        "delete_module" => Row(&[Str, Flags(DELETE_MODULE_FLAGS, "O_???")]),
        "init_module" => Row(&[Ptr, Ulong, Str]),
        "finit_module" => Row(&[Fd, Str, Flags(MODULE_INIT_FLAGS, "MODULE_INIT_???")]),
        "eventfd" => Row(&[Uint]),
        "inotify_init1" => Row(&[Flags(INOTIFY_INIT_FLAGS, "IN_???")]),
        "umount2" => Row(&[Str, Flags(UMOUNT_FLAGS, "???")]),
        "setns" => Row(&[Fd, Flags(SETNS_TYPES, "CLONE_NEW???")]),
        "memfd_secret" => Row(&[Flags(MEMFD_SECRET_FLAGS, "")]),
        "add_key" => Row(&[Str, Str, Sent, KEY_SERIAL]),
        "request_key" => Row(&[Str, Str, Str, KEY_SERIAL]),
        _ => return None,
    })
}

/// `[N]`: a 64-bit offset the call reads and updates (`NULL` for none).
fn offset_ptr(ctx: &mut Ctx<'_>, addr: u64) {
    ctx.num_ptr::<i64>(addr);
}
