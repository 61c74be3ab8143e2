//! `bpf`, in strace's format (strace's `bpf.c`): the command and the `union bpf_attr` layout
//! of that command, cut where the size the program passes ends (the kernel versions that added
//! each field), and `...` when bytes past the layout strace knows are not zero.
//!
//! Decoded: the map commands (create, lookup, update, delete, next key, freeze, lookup and
//! delete), program load, object pin/get, program attach/detach, test run, the next-id and
//! fd-by-id commands. The others print the attribute's address, as strace prints a command it
//! has no decoder for; the instructions of a program print as their address (strace lists
//! them with `-v`).

use std::fmt::Write as _;

use super::calls_xlat as bx;
use super::Decoder::{self, Func};
use super::{Ctx, Rval, Step};
use crate::text::{self, XlatStyle};

pub fn decoder(name: &str) -> Option<Decoder> {
    match name {
        "bpf" => Some(Func(bpf)),
        _ => None,
    }
}

/// The attribute as the program passed it: its first `len` bytes (at most the layout's size,
/// the rest zero), reading fields by offset.
struct Attr {
    b: Vec<u8>,
    len: usize,
}

impl Attr {
    fn u32(&self, o: usize) -> u32 {
        u32::from_ne_bytes(self.b[o..o + 4].try_into().unwrap())
    }

    fn u64(&self, o: usize) -> u64 {
        u64::from_ne_bytes(self.b[o..o + 8].try_into().unwrap())
    }

    /// Whether the field at offset `o` is past what the program passed (strace's
    /// `len <= offsetof(...)`: decoding stops there).
    fn ends_before(&self, o: usize) -> bool {
        self.len <= o
    }
}

/// The size of the attribute layout of each command strace decodes (`None`: not decoded).
fn attr_size(cmd: u32) -> Option<usize> {
    Some(match cmd {
        0 => 72,                 // BPF_MAP_CREATE
        1 | 21 => 32,            // BPF_MAP_LOOKUP_ELEM, BPF_MAP_LOOKUP_AND_DELETE_ELEM
        2 => 32,                 // BPF_MAP_UPDATE_ELEM
        3 => 16,                 // BPF_MAP_DELETE_ELEM
        4 => 24,                 // BPF_MAP_GET_NEXT_KEY
        5 => 128,                // BPF_PROG_LOAD
        6 | 7 => 16,             // BPF_OBJ_PIN, BPF_OBJ_GET
        8 => 20,                 // BPF_PROG_ATTACH
        9 => 12,                 // BPF_PROG_DETACH
        10 => 76,                // BPF_PROG_TEST_RUN
        11 | 12 | 23 | 31 => 12, // BPF_{PROG,MAP,BTF,LINK}_GET_NEXT_ID
        13 | 14 => 12,           // BPF_PROG_GET_FD_BY_ID, BPF_MAP_GET_FD_BY_ID
        22 => 4,                 // BPF_MAP_FREEZE
        _ => return None,
    })
}

fn bpf(ctx: &mut Ctx<'_>) -> Step {
    let cmd = ctx.arg(0) as u32;
    let addr = ctx.arg(1);
    let size = ctx.arg(2) as u32;
    if !ctx.exiting {
        ctx.xval(bx::BPF_COMMANDS, u64::from(cmd), "BPF_???");
        ctx.comma();
    }
    let mut step = Step::Decoded;
    match attr_size(cmd) {
        Some(attr_size) if size > 0 && size <= 4096 => {
            // Read even after a failed call (strace's umoven_or_printaddr_ignore_syserror).
            match ctx.read_bytes(addr, size as usize).filter(|_| addr != 0) {
                Some(data) => {
                    let len = (size as usize).min(attr_size);
                    let mut b = vec![0u8; attr_size];
                    b[..len].copy_from_slice(&data[..len]);
                    let a = Attr { b, len };
                    // The commands that return a descriptor (when their attribute is shown).
                    if matches!(cmd, 0 | 5 | 6 | 7 | 13 | 14) {
                        ctx.rfmt = Rval::Fd;
                    }
                    if !ctx.exiting {
                        ctx.push("{");
                    }
                    step = decode(ctx, cmd, &a);
                    if step == Step::Decoded {
                        extra_data(ctx, &data, attr_size);
                        ctx.push("}");
                    }
                }
                None => ctx.addr(addr),
            }
        }
        _ => ctx.addr(addr),
    }
    if step == Step::Decoded {
        let _ = write!(ctx.out, ", {size}");
    }
    step
}

/// Bytes past the layout: `, ...` when any is not zero (`-v`: `extra_data="\x.."`).
fn extra_data(ctx: &mut Ctx<'_>, data: &[u8], attr_size: usize) {
    if data.len() <= attr_size || data[attr_size..].iter().all(|&x| x == 0) {
        return;
    }
    if ctx.opts.verbose {
        ctx.push(", extra_data=");
        text::quote(&mut ctx.out, &data[attr_size..], ctx.opts.hex, true);
        let _ = write!(ctx.out, " /* bytes {}..{} */", attr_size, data.len() - 1);
    } else {
        ctx.push(", ...");
    }
}

/// `name=` and a descriptor field.
fn fd_field(ctx: &mut Ctx<'_>, name: &str, v: u32) {
    let _ = write!(ctx.out, "{name}=");
    ctx.fd_val(v as i32);
}

/// `name=` and a 64-bit address field (`NULL` for 0).
fn addr_field(ctx: &mut Ctx<'_>, name: &str, v: u64) {
    let _ = write!(ctx.out, "{name}=");
    ctx.addr(v);
}

/// A NUL-terminated name in a fixed array (strace's `print_quoted_cstring`): without a NUL,
/// all but its last byte and `...`.
fn cstring(ctx: &mut Ctx<'_>, name: &str, b: &[u8]) {
    let _ = write!(ctx.out, "{name}=");
    match b.iter().position(|&c| c == 0) {
        Some(n) => text::quote(&mut ctx.out, &b[..n], ctx.opts.hex, false),
        // Without a NUL the last byte is taken as the terminator's place, as strace.
        None => {
            text::quote(
                &mut ctx.out,
                &b[..b.len().saturating_sub(1)],
                ctx.opts.hex,
                false,
            );
            ctx.push("...");
        }
    }
}

/// `KERNEL_VERSION(4, 19, 0)` (with `-X raw` the number, verbose both).
fn kernel_version(ctx: &mut Ctx<'_>, v: u32) {
    let style = ctx.opts.xlat;
    if style != XlatStyle::Abbrev {
        ctx.hex_value(u64::from(v));
    }
    if style == XlatStyle::Raw {
        return;
    }
    let s = format!(
        "KERNEL_VERSION({}, {}, {})",
        v >> 16,
        (v >> 8) & 0xff,
        v & 0xff
    );
    if style == XlatStyle::Verbose {
        let _ = write!(ctx.out, " /* {s} */");
    } else {
        ctx.push(&s);
    }
}

fn decode(ctx: &mut Ctx<'_>, cmd: u32, a: &Attr) -> Step {
    match cmd {
        0 => map_create(ctx, a),
        1 | 21 => {
            fd_field(ctx, "map_fd", a.u32(0));
            addr_field(ctx, ", key", a.u64(8));
            addr_field(ctx, ", value", a.u64(16));
            if !a.ends_before(24) {
                ctx.push(", flags=");
                ctx.flags(bx::BPF_MAP_LOOKUP_ELEM_FLAGS, a.u64(24), "BPF_???");
            }
        }
        2 => {
            fd_field(ctx, "map_fd", a.u32(0));
            addr_field(ctx, ", key", a.u64(8));
            addr_field(ctx, ", value", a.u64(16));
            ctx.push(", flags=");
            ctx.xval(bx::BPF_MAP_UPDATE_ELEM_FLAGS, a.u64(24), "BPF_???");
        }
        3 => {
            fd_field(ctx, "map_fd", a.u32(0));
            addr_field(ctx, ", key", a.u64(8));
        }
        4 => {
            fd_field(ctx, "map_fd", a.u32(0));
            addr_field(ctx, ", key", a.u64(8));
            addr_field(ctx, ", next_key", a.u64(16));
        }
        22 => fd_field(ctx, "map_fd", a.u32(0)),
        5 => prog_load(ctx, a),
        6 | 7 => {
            ctx.push("pathname=");
            ctx.path_at(a.u64(0));
            fd_field(ctx, ", bpf_fd", a.u32(8));
            if !a.ends_before(12) {
                ctx.push(", file_flags=");
                ctx.flags(bx::BPF_FILE_MODE_FLAGS, u64::from(a.u32(12)), "BPF_F_???");
            }
        }
        8 => {
            fd_field(ctx, "target_fd", a.u32(0));
            fd_field(ctx, ", attach_bpf_fd", a.u32(4));
            ctx.push(", attach_type=");
            ctx.xval(bx::BPF_ATTACH_TYPE, u64::from(a.u32(8)), "BPF_???");
            ctx.push(", attach_flags=");
            ctx.flags(bx::BPF_ATTACH_FLAGS, u64::from(a.u32(12)), "BPF_F_???");
            if !a.ends_before(16) {
                fd_field(ctx, ", replace_bpf_fd", a.u32(16));
            }
        }
        9 => {
            fd_field(ctx, "target_fd", a.u32(0));
            ctx.push(", attach_type=");
            ctx.xval(bx::BPF_ATTACH_TYPE, u64::from(a.u32(8)), "BPF_???");
        }
        10 => test_run(ctx, a),
        11 | 12 | 23 | 31 => {
            if !ctx.exiting {
                ctx.stash = u64::from(a.u32(4));
                let _ = write!(ctx.out, "start_id={}, next_id={}", a.u32(0), a.u32(4));
                return Step::Exit;
            }
            if ctx.stash != u64::from(a.u32(4)) {
                let _ = write!(ctx.out, " => {}", a.u32(4));
            }
            if !a.ends_before(8) {
                ctx.push(", open_flags=");
                ctx.flags(bx::BPF_FILE_MODE_FLAGS, u64::from(a.u32(8)), "BPF_F_???");
            }
        }
        13 | 14 => {
            let id = if cmd == 13 { "prog_id" } else { "map_id" };
            let _ = write!(ctx.out, "{id}={}, next_id={}", a.u32(0), a.u32(4));
            if !a.ends_before(8) {
                ctx.push(", open_flags=");
                ctx.flags(bx::BPF_FILE_MODE_FLAGS, u64::from(a.u32(8)), "BPF_F_???");
            }
        }
        _ => {}
    }
    Step::Decoded
}

fn map_create(ctx: &mut Ctx<'_>, a: &Attr) {
    ctx.push("map_type=");
    ctx.xval(bx::BPF_MAP_TYPES, u64::from(a.u32(0)), "BPF_MAP_TYPE_???");
    let _ = write!(
        ctx.out,
        ", key_size={}, value_size={}, max_entries={}",
        a.u32(4),
        a.u32(8),
        a.u32(12)
    );
    if a.ends_before(16) {
        return;
    }
    let flags = a.u32(16);
    ctx.push(", map_flags=");
    ctx.flags(bx::BPF_MAP_FLAGS, u64::from(flags), "BPF_F_???");
    if a.ends_before(20) {
        return;
    }
    fd_field(ctx, ", inner_map_fd", a.u32(20));
    if a.ends_before(24) {
        return;
    }
    // BPF_F_NUMA_NODE: the node, its name always in a comment (NUMA_NO_NODE is not UAPI).
    if flags & 4 != 0 {
        let node = a.u32(24);
        let _ = write!(ctx.out, ", numa_node={node}");
        if ctx.opts.xlat != XlatStyle::Raw {
            if let Some(n) = text::lookup(bx::NUMA_NODE, u64::from(node)) {
                let _ = write!(ctx.out, " /* {n} */");
            }
        }
    }
    if a.ends_before(28) {
        return;
    }
    ctx.comma();
    let n = 16.min(a.len - 28);
    cstring(ctx, "map_name", &a.b[28..28 + n]);
    if a.ends_before(44) {
        return;
    }
    ctx.push(", map_ifindex=");
    super::netlink::ifindex(ctx, a.u32(44));
    if a.ends_before(48) {
        return;
    }
    fd_field(ctx, ", btf_fd", a.u32(48));
    let _ = write!(
        ctx.out,
        ", btf_key_type_id={}, btf_value_type_id={}",
        a.u32(52),
        a.u32(56)
    );
    if a.ends_before(60) {
        return;
    }
    let _ = write!(ctx.out, ", btf_vmlinux_value_type_id={}", a.u32(60));
    if a.ends_before(64) {
        return;
    }
    let _ = write!(ctx.out, ", map_extra={}", a.u64(64));
}

fn prog_load(ctx: &mut Ctx<'_>, a: &Attr) {
    ctx.push("prog_type=");
    ctx.xval(bx::BPF_PROG_TYPES, u64::from(a.u32(0)), "BPF_PROG_TYPE_???");
    let _ = write!(ctx.out, ", insn_cnt={}", a.u32(4));
    addr_field(ctx, ", insns", a.u64(8));
    ctx.push(", license=");
    ctx.cstr_at(a.u64(16));
    if a.ends_before(24) {
        return;
    }
    let (log_size, log_buf) = (a.u32(28), a.u64(32));
    let _ = write!(
        ctx.out,
        ", log_level={}, log_size={log_size}, log_buf=",
        a.u32(24)
    );
    if log_buf != 0 && log_size == 0 {
        ctx.push("\"\"");
    } else {
        ctx.cstr_at_most(log_buf, (log_size as usize).min(ctx.opts.max_strlen));
    }
    if a.ends_before(40) {
        return;
    }
    ctx.push(", kern_version=");
    kernel_version(ctx, a.u32(40));
    if a.ends_before(44) {
        return;
    }
    ctx.push(", prog_flags=");
    ctx.flags(bx::BPF_PROG_FLAGS, u64::from(a.u32(44)), "BPF_F_???");
    if a.ends_before(48) {
        return;
    }
    ctx.comma();
    let n = 16.min(a.len - 48);
    cstring(ctx, "prog_name", &a.b[48..48 + n]);
    if a.ends_before(64) {
        return;
    }
    ctx.push(", prog_ifindex=");
    super::netlink::ifindex(ctx, a.u32(64));
    if a.ends_before(68) {
        return;
    }
    ctx.push(", expected_attach_type=");
    ctx.xval(bx::BPF_ATTACH_TYPE, u64::from(a.u32(68)), "BPF_???");
    if a.ends_before(72) {
        return;
    }
    fd_field(ctx, ", prog_btf_fd", a.u32(72));
    let _ = write!(ctx.out, ", func_info_rec_size={}", a.u32(76));
    addr_field(ctx, ", func_info", a.u64(80));
    let _ = write!(
        ctx.out,
        ", func_info_cnt={}, line_info_rec_size={}",
        a.u32(88),
        a.u32(92)
    );
    addr_field(ctx, ", line_info", a.u64(96));
    let _ = write!(ctx.out, ", line_info_cnt={}", a.u32(104));
    if a.ends_before(108) {
        return;
    }
    let _ = write!(ctx.out, ", attach_btf_id={}", a.u32(108));
    if a.ends_before(112) {
        return;
    }
    fd_field(ctx, ", attach_prog_fd", a.u32(112));
    if a.ends_before(120) {
        return;
    }
    addr_field(ctx, ", fd_array", a.u64(120));
}

fn test_run(ctx: &mut Ctx<'_>, a: &Attr) {
    ctx.push("test={");
    fd_field(ctx, "prog_fd", a.u32(0));
    let _ = write!(
        ctx.out,
        ", retval={}, data_size_in={}, data_size_out={}",
        a.u32(4),
        a.u32(8),
        a.u32(12)
    );
    addr_field(ctx, ", data_in", a.u64(16));
    addr_field(ctx, ", data_out", a.u64(24));
    let _ = write!(ctx.out, ", repeat={}, duration={}", a.u32(32), a.u32(36));
    if !a.ends_before(40) {
        let _ = write!(
            ctx.out,
            ", ctx_size_in={}, ctx_size_out={}",
            a.u32(40),
            a.u32(44)
        );
        addr_field(ctx, ", ctx_in", a.u64(48));
        addr_field(ctx, ", ctx_out", a.u64(56));
    }
    if !a.ends_before(64) {
        ctx.push(", flags=");
        ctx.flags(bx::BPF_TEST_RUN_FLAGS, u64::from(a.u32(64)), "BPF_F_???");
        let _ = write!(ctx.out, ", cpu={}", a.u32(68));
    }
    if !a.ends_before(72) {
        let _ = write!(ctx.out, ", batch_size={}", a.u32(72));
    }
    ctx.push("}");
}
