//! `sendmmsg` and `recvmmsg`: arrays of `struct mmsghdr` (a `msghdr` and the length the
//! kernel sent or received), as strace's `mmsghdr.c` prints them, in both ABIs (the i386
//! `mmsghdr` is seven 32-bit words and the length: 32 bytes; x86_64's is 64).

use std::fmt::Write as _;

use super::structs;
use super::Decoder::Func;
use super::{Abi, Ctx, Decoder, Step};
use crate::xlat;

/// strace's IOV_MAX: at most this many messages are shown.
const IOV_MAX: u64 = 1024;

pub fn decoder(name: &str) -> Option<Decoder> {
    Some(match name {
        "sendmmsg" => Func(sendmmsg),
        "recvmmsg" => Func(recvmmsg),
        _ => return None,
    })
}

fn mmsghdr_size(abi: Abi) -> u64 {
    match abi {
        Abi::X86_64 => 64,
        Abi::I386 => 32,
    }
}

/// `[{msg_hdr={...}, msg_len=N}, ...]`: `n` messages at `addr`; the first `with_len` show
/// their `msg_len`; with `use_len` each message's data is cut at its `msg_len` (received).
/// `namelens`: the `msg_namelen`s the program passed (received messages): no more messages
/// than were read at entry are shown.
fn mmsgvec(
    ctx: &mut Ctx<'_>,
    addr: u64,
    n: u64,
    with_len: u64,
    use_len: bool,
    namelens: Option<&[i32]>,
) {
    // `-e verbose=none`: the address.
    if !ctx.opts.structs {
        ctx.addr(addr);
        return;
    }
    let size = mmsghdr_size(ctx.abi);
    let len_at = size - if ctx.abi == Abi::X86_64 { 8 } else { 4 };
    let mut i = 0u64;
    let mut left = namelens.map_or(IOV_MAX, |l| IOV_MAX.min(l.len() as u64));
    ctx.array(addr, n, size, &mut |c, b| {
        let at = addr + i * size;
        i += 1;
        if left == 0 {
            c.push("...");
            return;
        }
        left -= 1;
        let o = len_at as usize;
        let msg_len = u32::from_ne_bytes(b[o..o + 4].try_into().unwrap());
        c.push("{msg_hdr=");
        let data_len = use_len.then_some(u64::from(msg_len));
        let user_namelen = namelens.and_then(|l| l.get(i as usize - 1).copied());
        structs::msghdr_ex(c, at, data_len, true, user_namelen);
        if i <= with_len {
            let _ = write!(c.out, ", msg_len={msg_len}");
        }
        c.push("}");
    });
}

fn msg_flags(ctx: &mut Ctx<'_>, i: usize) {
    ctx.flags(xlat::MSG_FLAGS, ctx.arg(i) & 0xffff_ffff, "MSG_???");
}

/// `sendmmsg(fd, msgvec, vlen, flags)`: the messages at exit, the first ones (as many as
/// were sent) with their `msg_len`.
fn sendmmsg(ctx: &mut Ctx<'_>) -> Step {
    let vlen = u64::from(ctx.arg(2) as u32);
    if !ctx.exiting {
        ctx.fd(0);
        ctx.comma();
        return Step::Exit;
    }
    let sent = if ctx.error { 0 } else { ctx.rval as u64 };
    mmsgvec(ctx, ctx.arg(1), vlen, sent, false, None);
    let _ = write!(ctx.out, ", {vlen}, ");
    msg_flags(ctx, 3);
    Step::Decoded
}

/// `recvmmsg(fd, msgvec, vlen, flags, timeout)`: the received messages at exit with the
/// timeout as it was at entry, then ` (left {...})` or ` (Timeout)`.
fn recvmmsg(ctx: &mut Ctx<'_>) -> Step {
    let vlen = u64::from(ctx.arg(2) as u32);
    let timeout = ctx.arg(4);
    if !ctx.exiting {
        ctx.fd(0);
        ctx.comma();
        ctx.stash = pack_timeout(ctx, timeout);
        ctx.stash_bytes = namelens(ctx, ctx.arg(1), vlen);
        return Step::Exit;
    }
    if ctx.error {
        ctx.addr(ctx.arg(1));
    } else {
        let n = ctx.rval as u64;
        let namelens: Vec<i32> = std::mem::take(&mut ctx.stash_bytes)
            .chunks_exact(4)
            .map(|c| i32::from_ne_bytes(c.try_into().unwrap()))
            .collect();
        mmsgvec(ctx, ctx.arg(1), n, n, true, Some(&namelens));
    }
    let _ = write!(ctx.out, ", {vlen}, ");
    msg_flags(ctx, 3);
    ctx.comma();
    unpack_timeout(ctx, timeout);
    if ctx.error {
        return Step::Decoded;
    }
    if ctx.rval == 0 {
        ctx.rextra = " (Timeout)".to_owned();
    } else if timeout != 0 && ctx.opts.structs {
        let mut sub = ctx.scratch();
        structs::timespec(&mut sub, timeout);
        ctx.rextra = format!(" (left {})", sub.out);
    }
    Step::Decoded
}

/// The `msg_namelen` (as bytes) of each of the first `vlen` (at most IOV_MAX) messages at `addr`, up to
/// the first that cannot be read (strace's `save_mmsgvec_namelen`).
fn namelens(ctx: &Ctx<'_>, addr: u64, vlen: u64) -> Vec<u8> {
    let size = mmsghdr_size(ctx.abi);
    let namelen_at: usize = if ctx.abi == Abi::X86_64 { 8 } else { 4 };
    let mut out = Vec::new();
    for i in 0..vlen.min(IOV_MAX) {
        let at = addr.wrapping_add(i * size);
        let Some(b) = ctx.read_bytes(at, size as usize) else {
            break;
        };
        out.extend_from_slice(&b[namelen_at..namelen_at + 4]);
    }
    out
}

/// The timeout at entry, kept until exit (the kernel overwrites it with the time left):
/// 0 for NULL, 1 when unreadable or too wide to keep, else bit 63, the seconds (32 bits)
/// and the nanoseconds (31 bits).
fn pack_timeout(ctx: &mut Ctx<'_>, addr: u64) -> u64 {
    if addr == 0 {
        return 0;
    }
    if !ctx.opts.structs {
        return 1;
    }
    let t = match ctx.abi {
        Abi::X86_64 => ctx.read::<[i64; 2]>(addr),
        Abi::I386 => ctx
            .read::<[i32; 2]>(addr)
            .map(|[s, n]| [i64::from(s), i64::from(n)]),
    };
    match t {
        Some([s, n]) if i32::try_from(s).is_ok() && (0..1 << 31).contains(&n) => {
            1 << 63 | u64::from(s as u32) << 31 | n as u64
        }
        _ => 1,
    }
}

fn unpack_timeout(ctx: &mut Ctx<'_>, addr: u64) {
    match ctx.stash {
        0 => ctx.push("NULL"),
        1 => structs::timespec(ctx, addr),
        v => {
            let sec = i64::from((v >> 31) as u32 as i32);
            let nsec = v & 0x7fff_ffff;
            let _ = write!(ctx.out, "{{tv_sec={sec}, tv_nsec={nsec}}}");
        }
    }
}
