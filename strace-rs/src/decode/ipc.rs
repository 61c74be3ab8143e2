//! System V IPC: message queues, semaphores and shared memory (`msgget`/`msgctl`/`msgsnd`/
//! `msgrcv`, `semget`/`semctl`/`semop`/`semtimedop`, `shmget`/`shmctl`/`shmat`/`shmdt`), in
//! the x86_64 layouts of `<asm-generic/ipcbuf.h>` and friends (the `*64_ds` structures,
//! which are also what glibc hands the kernel there).

use std::fmt::Write as _;

use super::table::Arg::{self, *};
use super::Decoder::{Func, Row};
use super::{Abi, Ctx, Decoder, Step};
use crate::text::{self, Xlat};

const IPC_PRIVATE: Xlat = &[(0, "IPC_PRIVATE")];
const IPC_64: u64 = 0x100;
const IPC_GET_FLAGS: Xlat = &[
    (0o1000, "IPC_CREAT"),
    (0o2000, "IPC_EXCL"),
    (0o4000, "IPC_NOWAIT"),
];
const SHM_GET_FLAGS: Xlat = &[
    (0o1000, "IPC_CREAT"),
    (0o2000, "IPC_EXCL"),
    (0o4000, "SHM_HUGETLB"),
    (0o10000, "SHM_NORESERVE"),
];
const SHMAT_FLAGS: Xlat = &[
    (0o10000, "SHM_RDONLY"),
    (0o20000, "SHM_RND"),
    (0o40000, "SHM_REMAP"),
    (0o100000, "SHM_EXEC"),
];
const MSG_FLAGS: Xlat = &[
    (0o4000, "IPC_NOWAIT"),
    (0o10000, "MSG_NOERROR"),
    (0o20000, "MSG_EXCEPT"),
    (0o40000, "MSG_COPY"),
];
const SEM_FLAGS: Xlat = &[(0x1000, "SEM_UNDO"), (0o4000, "IPC_NOWAIT")];
const MSGCTL_CMDS: Xlat = &[
    (0, "IPC_RMID"),
    (1, "IPC_SET"),
    (2, "IPC_STAT"),
    (3, "IPC_INFO"),
    (11, "MSG_STAT"),
    (12, "MSG_INFO"),
    (13, "MSG_STAT_ANY"),
];
const SEMCTL_CMDS: Xlat = &[
    (0, "IPC_RMID"),
    (1, "IPC_SET"),
    (2, "IPC_STAT"),
    (3, "IPC_INFO"),
    (11, "GETPID"),
    (12, "GETVAL"),
    (13, "GETALL"),
    (14, "GETNCNT"),
    (15, "GETZCNT"),
    (16, "SETVAL"),
    (17, "SETALL"),
    (18, "SEM_STAT"),
    (19, "SEM_INFO"),
    (20, "SEM_STAT_ANY"),
];
const SHMCTL_CMDS: Xlat = &[
    (0, "IPC_RMID"),
    (1, "IPC_SET"),
    (2, "IPC_STAT"),
    (3, "IPC_INFO"),
    (11, "SHM_LOCK"),
    (12, "SHM_UNLOCK"),
    (13, "SHM_STAT"),
    (14, "SHM_INFO"),
    (15, "SHM_STAT_ANY"),
];

pub fn decoder(name: &str) -> Option<Decoder> {
    const KEY: Arg = Const(IPC_PRIVATE, "");
    Some(match name {
        "msgget" => Row(&[KEY, In(msg_get_flags)]),
        "semget" => Row(&[KEY, Int, In(msg_get_flags)]),
        "shmget" => Row(&[KEY, Ulong, In(shm_get_flags)]),
        "msgctl" => Func(msgctl),
        "semctl" => Func(semctl),
        "shmctl" => Func(shmctl),
        "shmat" => Row(&[Int, Ptr, Flags(SHMAT_FLAGS, "SHM_???")]),
        "shmdt" => Row(&[Ptr]),
        "semop" => Row(&[Int, In(sembufs), Uint]),
        "semtimedop" => Row(&[Int, In(sembufs), Uint, In(super::structs::timespec)]),
        "msgsnd" => Func(msgsnd),
        "msgrcv" => Func(msgrcv),
        _ => return None,
    })
}

/// The permission bits after the flags: `IPC_CREAT|0600`, `000`.
fn get_flags(ctx: &mut Ctx<'_>, v: u64, table: Xlat, huge: bool) {
    let v = v & 0xffff_ffff;
    let mode = v & 0o777;
    let huge_bits = if huge { (v >> 26) & 0x3f } else { 0 };
    let flags = v & !0o777 & !(if huge { 0x3f << 26 } else { 0 });
    if flags != 0 {
        ctx.flags(table, flags, "");
        ctx.push("|");
    }
    if huge_bits != 0 {
        let _ = write!(ctx.out, "{huge_bits}<<");
        text::named(&mut ctx.out, ctx.opts.xlat, "26", "SHM_HUGE_SHIFT");
        ctx.push("|");
    }
    text::octal03(&mut ctx.out, mode);
}

fn msg_get_flags(ctx: &mut Ctx<'_>, v: u64) {
    get_flags(ctx, v, IPC_GET_FLAGS, false);
}

fn shm_get_flags(ctx: &mut Ctx<'_>, v: u64) {
    get_flags(ctx, v, SHM_GET_FLAGS, true);
}

/// A `*ctl` command: `IPC_64|` when the C library set it, then the command.
fn ctl_cmd(ctx: &mut Ctx<'_>, cmd: u64, table: Xlat, dflt: &str) -> u64 {
    let cmd = cmd & 0xffff_ffff;
    let base = if cmd & IPC_64 != 0 {
        cmd & !IPC_64
    } else {
        cmd
    };
    if cmd & IPC_64 != 0 {
        text::named(&mut ctx.out, ctx.opts.xlat, "0x100", "IPC_64");
        ctx.push("|");
    }
    ctx.xval(table, base, dflt);
    base
}

/// `struct ipc64_perm` at `b[off..]`: `{uid=0, gid=0, mode=0600, key=0, cuid=0, cgid=0}`,
/// or its first three fields (what `IPC_SET` uses).
/// The i386 `ipc64_perm` has a 16-bit mode (x86_64: 32-bit); both are at byte 20.
fn ipc_perm(out: &mut String, b: &[u8], full: bool, abi: Abi) {
    let u = |o: usize| u32::from_ne_bytes(b[o..o + 4].try_into().unwrap());
    let (key, uid, gid, cuid, cgid) = (u(0), u(4), u(8), u(12), u(16));
    let mode = match abi {
        Abi::X86_64 => u(20),
        Abi::I386 => u(20) & 0xffff,
    };
    let _ = write!(out, "{{uid={uid}, gid={gid}, mode=");
    text::octal(out, u64::from(mode));
    if full {
        let _ = write!(out, ", key={key}, cuid={cuid}, cgid={cgid}");
    }
    out.push('}');
}

fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_ne_bytes(b[o..o + 8].try_into().unwrap())
}

/// The `unsigned long` at byte `o64` of an x86_64 structure or `o32` of the i386 one.
fn ulong_at(abi: Abi, b: &[u8], o64: usize, o32: usize) -> u64 {
    match abi {
        Abi::X86_64 => u64_at(b, o64),
        Abi::I386 => u64::from(i32_at(b, o32) as u32),
    }
}

/// The size of a structure in the x86_64 or the i386 ABI.
fn size(abi: Abi, s64: usize, s32: usize) -> usize {
    match abi {
        Abi::X86_64 => s64,
        Abi::I386 => s32,
    }
}

fn i32_at(b: &[u8], o: usize) -> i32 {
    i32::from_ne_bytes(b[o..o + 4].try_into().unwrap())
}

/// Reads `len` bytes at `addr` or prints the address.
fn read_or_addr(ctx: &mut Ctx<'_>, addr: u64, len: usize) -> Option<Vec<u8>> {
    let b = ctx.read_bytes(addr, len);
    if b.is_none() {
        ctx.addr(addr);
    }
    b
}

/// Prints the structure argument of a `*ctl` call: the ones the kernel reads at entry
/// (`IPC_SET`), the ones it fills at exit.
fn ctl_buf(ctx: &mut Ctx<'_>, addr: u64, print: fn(&mut Ctx<'_>, u64)) {
    if ctx.error {
        ctx.addr(addr);
    } else {
        print(ctx, addr);
    }
}

fn msgctl(ctx: &mut Ctx<'_>) -> Step {
    let addr = ctx.arg(2);
    if !ctx.exiting {
        ctx.int(0);
        ctx.comma();
        let cmd = ctl_cmd(ctx, ctx.arg(1), MSGCTL_CMDS, "MSG_???");
        ctx.comma();
        ctx.stash = cmd;
        match cmd {
            1 => {
                if let Some(b) = read_or_addr(ctx, addr, size(ctx.abi, 120, 88)) {
                    ctx.push("{msg_perm=");
                    ipc_perm(&mut ctx.out, &b, false, ctx.abi);
                    let qbytes = ulong_at(ctx.abi, &b, 88, 68);
                    let _ = write!(ctx.out, ", msg_qbytes={qbytes}}}");
                }
            }
            2 | 3 | 11..=13 => return Step::Exit,
            _ => ctx.addr(addr),
        }
        return Step::Decoded;
    }
    let info = matches!(ctx.stash, 3 | 12);
    ctl_buf(ctx, addr, if info { msginfo } else { msqid_ds });
    Step::Decoded
}

/// `struct msqid64_ds`; the i386 one has 32-bit times (and their high halves, not shown),
/// counts and sizes.
fn msqid_ds(ctx: &mut Ctx<'_>, addr: u64) {
    let abi = ctx.abi;
    let Some(b) = read_or_addr(ctx, addr, size(abi, 120, 88)) else {
        return;
    };
    ctx.push("{msg_perm=");
    ipc_perm(&mut ctx.out, &b, true, ctx.abi);
    let _ = write!(
        ctx.out,
        ", msg_stime={}, msg_rtime={}, msg_ctime={}, msg_qnum={}, msg_qbytes={}, msg_lspid={}, msg_lrpid={}}}",
        ulong_at(abi, &b, 48, 36),
        ulong_at(abi, &b, 56, 44),
        ulong_at(abi, &b, 64, 52),
        ulong_at(abi, &b, 80, 64),
        ulong_at(abi, &b, 88, 68),
        i32_at(&b, size(abi, 96, 72)),
        i32_at(&b, size(abi, 100, 76))
    );
}

fn msginfo(ctx: &mut Ctx<'_>, addr: u64) {
    let Some(b) = read_or_addr(ctx, addr, 32) else {
        return;
    };
    let f: Vec<i32> = (0..7).map(|k| i32_at(&b, 4 * k)).collect();
    let seg = u16::from_ne_bytes([b[28], b[29]]);
    let _ = write!(
        ctx.out,
        "{{msgpool={}, msgmap={}, msgmax={}, msgmnb={}, msgmni={}, msgssz={}, msgtql={}, msgseg={seg}}}",
        f[0], f[1], f[2], f[3], f[4], f[5], f[6]
    );
}

fn semctl(ctx: &mut Ctx<'_>) -> Step {
    semctl_at(ctx, false)
}

/// `semctl` through the i386 `ipc` multiplexer (arguments `semid, semnum, cmd, ptr`): its
/// argument is the `union semun` at `ptr`, shown in brackets unless it is a structure.
pub fn semctl_indirect(ctx: &mut Ctx<'_>) -> Step {
    semctl_at(ctx, true)
}

fn semctl_at(ctx: &mut Ctx<'_>, indirect: bool) -> Step {
    let mut addr = ctx.arg(3);
    if indirect {
        match ctx.read::<u32>(addr) {
            Some(v) => addr = u64::from(v),
            None if ctx.exiting => return Step::Decoded,
            None => {
                ctx.int(0);
                ctx.comma();
                ctx.int(1);
                ctx.comma();
                ctl_cmd(ctx, ctx.arg(2), SEMCTL_CMDS, "SEM_???");
                ctx.comma();
                ctx.addr(addr);
                return Step::Decoded;
            }
        }
    }
    if !ctx.exiting {
        ctx.int(0);
        ctx.comma();
        ctx.int(1);
        ctx.comma();
        let cmd = ctl_cmd(ctx, ctx.arg(2), SEMCTL_CMDS, "SEM_???");
        ctx.comma();
        ctx.stash = cmd;
        match cmd {
            1 => {
                if let Some(b) = read_or_addr(ctx, addr, size(ctx.abi, 104, 64)) {
                    ctx.push("{sem_perm=");
                    ipc_perm(&mut ctx.out, &b, false, ctx.abi);
                    ctx.push("}");
                }
            }
            2 | 3 | 18..=20 => return Step::Exit,
            16 if !indirect => ctx.int(3),
            _ if indirect => {
                ctx.push("[");
                ctx.addr(addr);
                ctx.push("]");
            }
            _ => ctx.addr(addr),
        }
        return Step::Decoded;
    }
    let info = matches!(ctx.stash, 3 | 19);
    ctl_buf(ctx, addr, if info { seminfo } else { semid_ds });
    Step::Decoded
}

fn semid_ds(ctx: &mut Ctx<'_>, addr: u64) {
    let abi = ctx.abi;
    let Some(b) = read_or_addr(ctx, addr, size(abi, 104, 64)) else {
        return;
    };
    ctx.push("{sem_perm=");
    ipc_perm(&mut ctx.out, &b, true, ctx.abi);
    let _ = write!(
        ctx.out,
        ", sem_otime={}, sem_ctime={}, sem_nsems={}}}",
        ulong_at(abi, &b, 48, 36),
        ulong_at(abi, &b, 64, 44),
        ulong_at(abi, &b, 80, 52)
    );
}

fn seminfo(ctx: &mut Ctx<'_>, addr: u64) {
    let Some(b) = read_or_addr(ctx, addr, 40) else {
        return;
    };
    let names = [
        "semmap", "semmni", "semmns", "semmnu", "semmsl", "semopm", "semume", "semusz", "semvmx",
        "semaem",
    ];
    ctx.push("{");
    for (k, name) in names.iter().enumerate() {
        if k > 0 {
            ctx.comma();
        }
        let _ = write!(ctx.out, "{name}={}", i32_at(&b, 4 * k));
    }
    ctx.push("}");
}

fn shmctl(ctx: &mut Ctx<'_>) -> Step {
    let addr = ctx.arg(2);
    if !ctx.exiting {
        ctx.int(0);
        ctx.comma();
        let cmd = ctl_cmd(ctx, ctx.arg(1), SHMCTL_CMDS, "SHM_???");
        ctx.comma();
        ctx.stash = cmd;
        match cmd {
            1 => {
                if let Some(b) = read_or_addr(ctx, addr, size(ctx.abi, 112, 84)) {
                    ctx.push("{shm_perm=");
                    ipc_perm(&mut ctx.out, &b, false, ctx.abi);
                    ctx.push("}");
                }
            }
            2 | 3 | 13..=15 => return Step::Exit,
            _ => ctx.addr(addr),
        }
        return Step::Decoded;
    }
    let print = match ctx.stash {
        3 => shminfo,
        14 => shm_info,
        _ => shmid_ds,
    };
    ctl_buf(ctx, addr, print);
    Step::Decoded
}

fn shmid_ds(ctx: &mut Ctx<'_>, addr: u64) {
    let abi = ctx.abi;
    let Some(b) = read_or_addr(ctx, addr, size(abi, 112, 84)) else {
        return;
    };
    ctx.push("{shm_perm=");
    ipc_perm(&mut ctx.out, &b, true, ctx.abi);
    let _ = write!(
        ctx.out,
        ", shm_segsz={}, shm_cpid={}, shm_lpid={}, shm_nattch={}, shm_atime={}, shm_dtime={}, shm_ctime={}}}",
        ulong_at(abi, &b, 48, 36),
        i32_at(&b, size(abi, 80, 64)),
        i32_at(&b, size(abi, 84, 68)),
        ulong_at(abi, &b, 88, 72),
        ulong_at(abi, &b, 56, 40),
        ulong_at(abi, &b, 64, 48),
        ulong_at(abi, &b, 72, 56)
    );
}

fn shminfo(ctx: &mut Ctx<'_>, addr: u64) {
    let abi = ctx.abi;
    let Some(b) = read_or_addr(ctx, addr, size(abi, 40, 20)) else {
        return;
    };
    let _ = write!(
        ctx.out,
        "{{shmmax={}, shmmin={}, shmmni={}, shmseg={}, shmall={}}}",
        ulong_at(abi, &b, 0, 0),
        ulong_at(abi, &b, 8, 4),
        ulong_at(abi, &b, 16, 8),
        ulong_at(abi, &b, 24, 12),
        ulong_at(abi, &b, 32, 16)
    );
}

fn shm_info(ctx: &mut Ctx<'_>, addr: u64) {
    let abi = ctx.abi;
    let Some(b) = read_or_addr(ctx, addr, size(abi, 48, 24)) else {
        return;
    };
    let _ = write!(
        ctx.out,
        "{{used_ids={}, shm_tot={}, shm_rss={}, shm_swp={}, swap_attempts={}, swap_successes={}}}",
        i32_at(&b, 0),
        ulong_at(abi, &b, 8, 4),
        ulong_at(abi, &b, 16, 8),
        ulong_at(abi, &b, 24, 12),
        ulong_at(abi, &b, 32, 16),
        ulong_at(abi, &b, 40, 20)
    );
}

/// `[{sem_num=0, sem_op=1, sem_flg=SEM_UNDO}, ...]`: `nsops` (argument 2) operations, as
/// many as `-s` allows; an unreadable element ends the list with its address.
fn sembufs(ctx: &mut Ctx<'_>, addr: u64) {
    let n = ctx.arg(2) as u32 as u64;
    if addr == 0 || n == 0 {
        ctx.addr(addr);
        return;
    }
    let max = ctx.opts.max_strlen as u64;
    let mut printed = false;
    for k in 0..n {
        let at = addr.wrapping_add(6 * k);
        if k >= max {
            ctx.push(", ...");
            break;
        }
        let Some([num, op, flg]) = ctx.read::<[u16; 3]>(at) else {
            if printed {
                let _ = write!(ctx.out, ", ... /* {at:#x} */");
            } else {
                ctx.addr(addr);
                return;
            }
            break;
        };
        ctx.push(if printed { ", " } else { "[" });
        printed = true;
        let _ = write!(ctx.out, "{{sem_num={num}, sem_op={}, sem_flg=", op as i16);
        ctx.flags(SEM_FLAGS, u64::from(flg), "");
        ctx.push("}");
    }
    ctx.push("]");
}

/// `msgsnd(id, {mtype, mtext}, size, flags)`.
fn msgsnd(ctx: &mut Ctx<'_>) -> Step {
    ctx.int(0);
    ctx.comma();
    msgbuf(ctx, ctx.arg(1), ctx.arg(2));
    ctx.comma();
    ctx.ulong(2);
    ctx.comma();
    ctx.flags(MSG_FLAGS, ctx.arg(3) & 0xffff_ffff, "");
    Step::Decoded
}

/// `msgrcv(id, {mtype, mtext}, size, type, flags)`: the message at exit.
fn msgrcv(ctx: &mut Ctx<'_>) -> Step {
    if !ctx.exiting {
        ctx.int(0);
        ctx.comma();
        return Step::Exit;
    }
    if ctx.error {
        ctx.ptr(1);
    } else {
        // strace shows the buffer's whole size, not the message's length.
        msgbuf(ctx, ctx.arg(1), ctx.arg(2));
    }
    ctx.comma();
    ctx.ulong(2);
    ctx.comma();
    ctx.long(3);
    ctx.comma();
    ctx.flags(MSG_FLAGS, ctx.arg(4) & 0xffff_ffff, "");
    Step::Decoded
}

/// `{mtype=1, mtext="..."}`: a message's type and `len` bytes of text.
/// The type is a `long` (32-bit on i386).
fn msgbuf(ctx: &mut Ctx<'_>, addr: u64, len: u64) {
    let head = match ctx.abi {
        Abi::X86_64 => ctx.read::<i64>(addr).map(|t| (t, 8)),
        Abi::I386 => ctx.read::<i32>(addr).map(|t| (i64::from(t), 4)),
    };
    match head {
        Some((mtype, text)) => {
            let _ = write!(ctx.out, "{{mtype={mtype}, mtext=");
            ctx.buf(addr + text, len);
            ctx.push("}");
        }
        None => ctx.addr(addr),
    }
}
