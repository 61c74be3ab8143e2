//! Calls with simple argument rows that the other modules do not group: kernel modules,
//! host names, keys, pidfds, memory protection keys, splicing, namespaces, mounts.

use std::fmt::Write as _;

use super::table::Arg::{self, *};
use super::Decoder::{Func, Row};
use super::{Ctx, Decoder, Rval, Step};
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
const INOTIFY_MASK: Xlat = &[
    (0x1, "IN_ACCESS"),
    (0x2, "IN_MODIFY"),
    (0x4, "IN_ATTRIB"),
    (0x8, "IN_CLOSE_WRITE"),
    (0x10, "IN_CLOSE_NOWRITE"),
    (0x20, "IN_OPEN"),
    (0x40, "IN_MOVED_FROM"),
    (0x80, "IN_MOVED_TO"),
    (0x100, "IN_CREATE"),
    (0x200, "IN_DELETE"),
    (0x400, "IN_DELETE_SELF"),
    (0x800, "IN_MOVE_SELF"),
    (0x2000, "IN_UNMOUNT"),
    (0x4000, "IN_Q_OVERFLOW"),
    (0x8000, "IN_IGNORED"),
    (0x100_0000, "IN_ONLYDIR"),
    (0x200_0000, "IN_DONT_FOLLOW"),
    (0x400_0000, "IN_EXCL_UNLINK"),
    (0x1000_0000, "IN_MASK_CREATE"),
    (0x2000_0000, "IN_MASK_ADD"),
    (0x4000_0000, "IN_ISDIR"),
    (0x8000_0000, "IN_ONESHOT"),
];
const TIMERFD_SETTIME_FLAGS: Xlat = &[(1, "TFD_TIMER_ABSTIME"), (2, "TFD_TIMER_CANCEL_ON_SET")];
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
        "_sysctl" => Row(&[In(sysctl_args)]),
        "pidfd_open" => Row(&[Pid, Flags(PIDFD_FLAGS, "PIDFD_???")]),
        "pidfd_getfd" => Row(&[Fd, In(pidfd_target_fd), Hex32]),
        "process_mrelease" => Row(&[Fd, Hex32]),
        "pidfd_send_signal" => Row(&[Fd, Signal, In(super::signal::siginfo), Hex32]),
        "pkey_alloc" => Row(&[Hex, Flags64(PKEY_ACCESS, "PKEY_???")]),
        "pkey_free" => Row(&[Int]),
        "mlock2" => Row(&[Hex, Ulong, Flags(MLOCK_FLAGS, "MLOCK_???")]),
        "readahead" => Row(&[Fd, Loff, Ulong]),
        "tee" => Row(&[Fd, Fd, Ulong, Flags(SPLICE_FLAGS, "SPLICE_F_???")]),
        "vmsplice" => Row(&[
            Fd,
            In(super::file::iovec_sent),
            Ulong,
            Flags(SPLICE_FLAGS, "SPLICE_F_???"),
        ]),
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
        "inotify_add_watch" => Row(&[Fd, Path, Flags(INOTIFY_MASK, "IN_???")]),
        "inotify_rm_watch" => Row(&[Fd, Int]),
        "timerfd_settime" => Row(&[
            Fd,
            Flags(TIMERFD_SETTIME_FLAGS, "TFD_???"),
            In(super::structs::itimerspec),
            Out(super::structs::itimerspec),
        ]),
        "timerfd_gettime" => Row(&[Fd, Out(super::structs::itimerspec)]),
        "inotify_init1" => Row(&[Flags(INOTIFY_INIT_FLAGS, "IN_???")]),
        "umount2" => Row(&[Path, Flags(UMOUNT_FLAGS, "???")]),
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

const FSOPEN_FLAGS: Xlat = &[(1, "FSOPEN_CLOEXEC")];
const FSOPEN_FLAGS_MOUNT: Xlat = &[(1, "FSMOUNT_CLOEXEC")];
/// `fsmount`'s attributes (strace 6.1's `fsmount_attr_flags`): `mount_setattr`'s without
/// `MOUNT_ATTR_IDMAP` and `MOUNT_ATTR_NOSYMFOLLOW`.
const MOUNT_ATTR_FLAGS: Xlat = MOUNT_ATTRS.split_at(7).0;
/// `open_tree`'s flags: its own, then the `AT_*` ones.
const OPEN_TREE_FLAGS: Xlat = &[
    (0x1, "OPEN_TREE_CLONE"),
    (0x80000, "OPEN_TREE_CLOEXEC"),
    (0x100, "AT_SYMLINK_NOFOLLOW"),
    (0x200, "AT_REMOVEDIR"),
    (0x400, "AT_SYMLINK_FOLLOW"),
    (0x800, "AT_NO_AUTOMOUNT"),
    (0x1000, "AT_EMPTY_PATH"),
    (0x8000, "AT_RECURSIVE"),
];
const UFFD_FLAGS: Xlat = &[
    (0x1, "UFFD_USER_MODE_ONLY"),
    (0x800, "O_NONBLOCK"),
    (0x80000, "O_CLOEXEC"),
];
const SWAP_FLAGS: Xlat = &[
    (0x8000, "SWAP_FLAG_PREFER"),
    (0x10000, "SWAP_FLAG_DISCARD"),
    (0x20000, "SWAP_FLAG_DISCARD_ONCE"),
    (0x40000, "SWAP_FLAG_DISCARD_PAGES"),
];

/// `swapon`'s flags: the flags, then the priority (`SWAP_FLAG_PREFER|42`).
fn swap_flags(ctx: &mut Ctx<'_>, v: u64) {
    const PRIO_MASK: u64 = 0x7fff;
    let v = v & 0xffff_ffff;
    if v & !PRIO_MASK != 0 {
        ctx.flags(SWAP_FLAGS, v & !PRIO_MASK, "SWAP_FLAG_???");
        ctx.push("|");
    }
    let _ = write!(ctx.out, "{}", v & PRIO_MASK);
}

const FSPICK_FLAGS: Xlat = &[
    (1, "FSPICK_CLOEXEC"),
    (2, "FSPICK_SYMLINK_NOFOLLOW"),
    (4, "FSPICK_NO_AUTOMOUNT"),
    (8, "FSPICK_EMPTY_PATH"),
];
const MOVE_MOUNT_FLAGS: Xlat = &[
    (0x1, "MOVE_MOUNT_F_SYMLINKS"),
    (0x2, "MOVE_MOUNT_F_AUTOMOUNTS"),
    (0x4, "MOVE_MOUNT_F_EMPTY_PATH"),
    (0x10, "MOVE_MOUNT_T_SYMLINKS"),
    (0x20, "MOVE_MOUNT_T_AUTOMOUNTS"),
    (0x40, "MOVE_MOUNT_T_EMPTY_PATH"),
    (0x100, "MOVE_MOUNT_SET_GROUP"),
];
const LANDLOCK_RULE_TYPES: Xlat = &[(1, "LANDLOCK_RULE_PATH_BENEATH")];
const LANDLOCK_CREATE_FLAGS: Xlat = &[(1, "LANDLOCK_CREATE_RULESET_VERSION")];
const LANDLOCK_ACCESS_FS: Xlat = &[
    (0x1, "LANDLOCK_ACCESS_FS_EXECUTE"),
    (0x2, "LANDLOCK_ACCESS_FS_WRITE_FILE"),
    (0x4, "LANDLOCK_ACCESS_FS_READ_FILE"),
    (0x8, "LANDLOCK_ACCESS_FS_READ_DIR"),
    (0x10, "LANDLOCK_ACCESS_FS_REMOVE_DIR"),
    (0x20, "LANDLOCK_ACCESS_FS_REMOVE_FILE"),
    (0x40, "LANDLOCK_ACCESS_FS_MAKE_CHAR"),
    (0x80, "LANDLOCK_ACCESS_FS_MAKE_DIR"),
    (0x100, "LANDLOCK_ACCESS_FS_MAKE_REG"),
    (0x200, "LANDLOCK_ACCESS_FS_MAKE_SOCK"),
    (0x400, "LANDLOCK_ACCESS_FS_MAKE_FIFO"),
    (0x800, "LANDLOCK_ACCESS_FS_MAKE_BLOCK"),
    (0x1000, "LANDLOCK_ACCESS_FS_MAKE_SYM"),
    (0x2000, "LANDLOCK_ACCESS_FS_REFER"),
];

/// The mount API and Landlock rows, kept apart from the table above for reading.
pub fn decoder_more(name: &str) -> Option<Decoder> {
    Some(match name {
        "fspick" => Row(&[Dirfd, Path, Flags(FSPICK_FLAGS, "FSPICK_???")]),
        "fsopen" => Row(&[Str, Flags(FSOPEN_FLAGS, "FSOPEN_???")]),
        "fsmount" => Row(&[
            Fd,
            Flags(FSOPEN_FLAGS_MOUNT, "FSMOUNT_???"),
            Flags(MOUNT_ATTR_FLAGS, "MOUNT_ATTR_???"),
        ]),
        "open_tree" => Row(&[Dirfd, Path, Flags(OPEN_TREE_FLAGS, "OPEN_TREE_???")]),
        "userfaultfd" => Row(&[Flags(UFFD_FLAGS, "UFFD_???")]),
        "swapon" => Row(&[Path, In(swap_flags)]),
        "move_mount" => Row(&[
            Dirfd,
            Path,
            Dirfd,
            Path,
            Flags(MOVE_MOUNT_FLAGS, "MOVE_MOUNT_???"),
        ]),
        "landlock_create_ruleset" => Row(&[
            In(ruleset_attr),
            Ulong,
            Flags(LANDLOCK_CREATE_FLAGS, "LANDLOCK_CREATE_RULESET_???"),
            Returned(ruleset_returned),
        ]),
        "landlock_add_rule" => Func(landlock_add_rule),
        "fsconfig" => Func(fsconfig),
        "kexec_load" => Row(&[Ptr, Ulong, In(kexec_segments), In(kexec_flags)]),
        "kexec_file_load" => Row(&[
            Fd,
            Fd,
            Ulong,
            In(kexec_cmdline),
            Flags64(KEXEC_FILE_FLAGS, "KEXEC_FILE_???"),
        ]),
        "mount_setattr" => Row(&[
            Dirfd,
            Path,
            Flags(MOUNT_SETATTR_FLAGS, "AT_???"),
            In(mount_attr),
            Ulong,
        ]),
        "landlock_restrict_self" => Row(&[Fd, Hex32]),
        _ => return None,
    })
}

/// `pidfd_getfd`'s descriptor: one of the process the pidfd (argument 0) names, decorated
/// from that process's table under `-y` (strace's `printfd_pid_tracee_ns`).
fn pidfd_target_fd(ctx: &mut Ctx<'_>, v: u64) {
    let fd = v as i32;
    let owner = super::structs::pidfd_pid(ctx.pid, ctx.arg(0) as i32);
    match owner {
        Some(pid) if pid > 0 => {
            let _ = write!(ctx.out, "{fd}");
            let pid = tracekit_ptrace::Pid(pid);
            if let Some(d) =
                super::structs::fd_decoration(pid, fd, ctx.opts.decode_fds, ctx.opts.hex)
            {
                ctx.out.push_str(&d);
            }
        }
        _ => {
            let _ = write!(ctx.out, "{fd}");
        }
    }
}

/// With `LANDLOCK_CREATE_RULESET_VERSION` the result is the ABI version, not a descriptor.
fn ruleset_returned(ctx: &mut Ctx<'_>) {
    if ctx.arg(2) & 1 != 0 {
        ctx.rfmt = Rval::Dec;
    }
}

/// `{handled_access_fs=...}` when the size covers it, else the address.
fn ruleset_attr(ctx: &mut Ctx<'_>, addr: u64) {
    let size = ctx.arg(1);
    match ctx.read::<u64>(addr) {
        Some(v) if size >= 8 => {
            ctx.push("{handled_access_fs=");
            ctx.flags(LANDLOCK_ACCESS_FS, v, "LANDLOCK_ACCESS_FS_???");
            // strace 6.1 knows one field and says only that more follows.
            if size > 8 {
                ctx.push(", ...");
            }
            ctx.push("}");
        }
        _ => ctx.ptr(0),
    }
}

/// `landlock_add_rule(ruleset_fd, type, attr, flags)`: a path-beneath rule's attribute
/// (`struct landlock_path_beneath_attr`, packed: 64-bit access mask, 32-bit descriptor).
fn landlock_add_rule(ctx: &mut Ctx<'_>) -> Step {
    ctx.fd(0);
    ctx.comma();
    let kind = ctx.arg(1) as u32 as u64;
    ctx.xval(LANDLOCK_RULE_TYPES, kind, "LANDLOCK_RULE_???");
    ctx.comma();
    let addr = ctx.arg(2);
    match ctx.read::<[u32; 3]>(addr) {
        Some([lo, hi, fd]) if kind == 1 => {
            ctx.push("{allowed_access=");
            ctx.flags(
                LANDLOCK_ACCESS_FS,
                u64::from(lo) | u64::from(hi) << 32,
                "LANDLOCK_ACCESS_FS_???",
            );
            ctx.push(", parent_fd=");
            ctx.fd_val(fd as i32);
            ctx.push("}");
        }
        _ => ctx.ptr(2),
    }
    ctx.comma();
    ctx.hex_value(ctx.arg(3) & 0xffff_ffff);
    Step::Decoded
}

/// `_sysctl`'s `struct __sysctl_args`: the pointers, `nlen` (an `int` in a long's room) and
/// `newlen`.
fn sysctl_args(ctx: &mut Ctx<'_>, addr: u64) {
    let Some([name, nlen, old, oldlenp, new, newlen]) = super::structs::read_ulongs::<6>(ctx, addr)
    else {
        ctx.addr(addr);
        return;
    };
    ctx.push("{name=");
    ctx.addr(name);
    let _ = write!(ctx.out, ", nlen={}, oldval=", nlen as u32 as i32);
    ctx.addr(old);
    ctx.push(", oldlenp=");
    ctx.addr(oldlenp);
    ctx.push(", newval=");
    ctx.addr(new);
    let _ = write!(ctx.out, ", newlen={newlen}}}");
}

const FSCONFIG_CMDS: Xlat = &[
    (0, "FSCONFIG_SET_FLAG"),
    (1, "FSCONFIG_SET_STRING"),
    (2, "FSCONFIG_SET_BINARY"),
    (3, "FSCONFIG_SET_PATH"),
    (4, "FSCONFIG_SET_PATH_EMPTY"),
    (5, "FSCONFIG_SET_FD"),
    (6, "FSCONFIG_CMD_CREATE"),
    (7, "FSCONFIG_CMD_RECONFIGURE"),
];

/// `fsconfig(fd, cmd, key, value, aux)`: what `key`, `value` and `aux` are depends on the
/// command (strace's `fsconfig`).
fn fsconfig(ctx: &mut Ctx<'_>) -> Step {
    let cmd = ctx.arg(1) as u32;
    let (key, value, aux) = (ctx.arg(2), ctx.arg(3), ctx.arg_int(4));
    // The kernel reads a key or string value into a 256-byte buffer.
    let short = ctx.opts.max_strlen.min(256);
    ctx.fd(0);
    ctx.comma();
    ctx.xval(FSCONFIG_CMDS, u64::from(cmd), "FSCONFIG_???");
    ctx.comma();
    match cmd {
        0..=5 => ctx.cstr_sized(key, short),
        _ => ctx.addr(key),
    }
    ctx.comma();
    match cmd {
        1 => ctx.cstr_sized(value, short),
        3 | 4 => ctx.path_at(value),
        2 if (0..=1024 * 1024).contains(&aux) => ctx.buf_ex(value, aux as u64, true),
        _ => ctx.addr(value),
    }
    ctx.comma();
    match cmd {
        3 | 4 => ctx.dirfd(4),
        5 => ctx.fd(4),
        _ => ctx.int(4),
    }
    Step::Decoded
}

const MOUNT_SETATTR_FLAGS: Xlat = &[
    (0x100, "AT_SYMLINK_NOFOLLOW"),
    (0x800, "AT_NO_AUTOMOUNT"),
    (0x1000, "AT_EMPTY_PATH"),
    (0x8000, "AT_RECURSIVE"),
];
/// `struct mount_attr`'s attributes (strace's `mount_attr_attr`).
const MOUNT_ATTRS: Xlat = &[
    (0x1, "MOUNT_ATTR_RDONLY"),
    (0x2, "MOUNT_ATTR_NOSUID"),
    (0x4, "MOUNT_ATTR_NODEV"),
    (0x8, "MOUNT_ATTR_NOEXEC"),
    (0x10, "MOUNT_ATTR_NOATIME"),
    (0x20, "MOUNT_ATTR_STRICTATIME"),
    (0x80, "MOUNT_ATTR_NODIRATIME"),
    (0x10_0000, "MOUNT_ATTR_IDMAP"),
    (0x20_0000, "MOUNT_ATTR_NOSYMFOLLOW"),
];
const MOUNT_PROPAGATION: Xlat = &[
    (1 << 17, "MS_UNBINDABLE"),
    (1 << 18, "MS_PRIVATE"),
    (1 << 19, "MS_SLAVE"),
    (1 << 20, "MS_SHARED"),
];

/// `mount_setattr`'s `struct mount_attr` of the size in argument 4 (strace's
/// `print_mount_attr`): the user namespace as a descriptor only with `MOUNT_ATTR_IDMAP`;
/// bytes past the structure shown when not zero.
fn mount_attr(ctx: &mut Ctx<'_>, addr: u64) {
    const SIZE_VER0: u64 = 32;
    let size = ctx.arg(4);
    if size < SIZE_VER0 {
        ctx.addr(addr);
        return;
    }
    let Some([set, clr, propagation, userns]) = ctx.read::<[u64; 4]>(addr) else {
        ctx.addr(addr);
        return;
    };
    ctx.push("{attr_set=");
    ctx.flags(MOUNT_ATTRS, set, "MOUNT_ATTR_???");
    ctx.push(", attr_clr=");
    ctx.flags(MOUNT_ATTRS, clr, "MOUNT_ATTR_???");
    ctx.push(", propagation=");
    ctx.xval(MOUNT_PROPAGATION, propagation, "MS_???");
    ctx.push(", userns_fd=");
    if userns > i32::MAX as u64 || (set | clr) & 0x10_0000 == 0 {
        let _ = write!(ctx.out, "{userns}");
    } else {
        ctx.fd_val(userns as i32);
    }
    if size > SIZE_VER0 {
        super::structs::nonzero_tail(ctx, addr, SIZE_VER0, size.min(4096));
    }
    ctx.push("}");
}

const KEXEC_ARCH_MASK: u64 = 0xffff_0000;
const KEXEC_ARCHES: Xlat = &[
    (0, "KEXEC_ARCH_DEFAULT"),
    (3 << 16, "KEXEC_ARCH_386"),
    (4 << 16, "KEXEC_ARCH_68K"),
    (15 << 16, "KEXEC_ARCH_PARISC"),
    (62 << 16, "KEXEC_ARCH_X86_64"),
    (20 << 16, "KEXEC_ARCH_PPC"),
    (21 << 16, "KEXEC_ARCH_PPC64"),
    (50 << 16, "KEXEC_ARCH_IA_64"),
    (40 << 16, "KEXEC_ARCH_ARM"),
    (22 << 16, "KEXEC_ARCH_S390"),
    (42 << 16, "KEXEC_ARCH_SH"),
    (10 << 16, "KEXEC_ARCH_MIPS_LE"),
    (8 << 16, "KEXEC_ARCH_MIPS"),
    (183 << 16, "KEXEC_ARCH_AARCH64"),
    (243 << 16, "KEXEC_ARCH_RISCV"),
    (258 << 16, "KEXEC_ARCH_LOONGARCH"),
];
const KEXEC_FLAGS: Xlat = &[(1, "KEXEC_ON_CRASH"), (2, "KEXEC_PRESERVE_CONTEXT")];
const KEXEC_FILE_FLAGS: Xlat = &[
    (1, "KEXEC_FILE_UNLOAD"),
    (2, "KEXEC_FILE_ON_CRASH"),
    (4, "KEXEC_FILE_NO_INITRAMFS"),
];

/// `kexec_load`'s segments (argument 1 of them, at most the kernel's 16): `{buf, bufsz, mem,
/// memsz}` each, in the tracee's word size.
fn kexec_segments(ctx: &mut Ctx<'_>, addr: u64) {
    const KEXEC_SEGMENT_MAX: u64 = 16;
    let n = ctx.arg(1);
    if n > KEXEC_SEGMENT_MAX {
        ctx.addr(addr);
        return;
    }
    let word = match ctx.abi {
        super::Abi::X86_64 => 8,
        super::Abi::I386 => 4,
    };
    ctx.array(addr, n, 4 * word as u64, &mut |c, b| {
        let w = |i: usize| {
            let mut v = [0u8; 8];
            v[..word].copy_from_slice(&b[i * word..(i + 1) * word]);
            u64::from_le_bytes(v)
        };
        c.push("{buf=");
        c.addr(w(0));
        let _ = write!(c.out, ", bufsz={}, mem=", w(1));
        c.addr(w(2));
        let _ = write!(c.out, ", memsz={}}}", w(3));
    });
}

/// `kexec_load`'s flags: the architecture in the high half, then the flags.
fn kexec_flags(ctx: &mut Ctx<'_>, v: u64) {
    ctx.xval(KEXEC_ARCHES, v & KEXEC_ARCH_MASK, "KEXEC_ARCH_???");
    let rest = v & !KEXEC_ARCH_MASK;
    if rest != 0 {
        ctx.push("|");
        ctx.flags(KEXEC_FLAGS, rest, "KEXEC_???");
    }
}

/// `kexec_file_load`'s command line: the length in argument 2.
fn kexec_cmdline(ctx: &mut Ctx<'_>, addr: u64) {
    ctx.buf(addr, ctx.arg(2));
}
