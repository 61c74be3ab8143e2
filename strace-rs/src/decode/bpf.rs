//! `bpf`, in strace's format (strace's `bpf.c`): the command and the `union bpf_attr` layout
//! of that command, cut where the size the program passes ends (the kernel versions that added
//! each field), and `...` when bytes past the layout strace knows are not zero.
//!
//! Decoded: every command strace 6.1 decodes (maps, batches, program load, pin/get,
//! attach/detach, test run, queries, ids, BTF, links, task fd query); an unknown command prints
//! the attribute's address, as strace. With `-v` a program's instructions are listed, and the
//! map or program information `BPF_OBJ_GET_INFO_BY_FD` fills (else its address).

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
        16 => 28,                // BPF_PROG_QUERY
        17 => 12,                // BPF_RAW_TRACEPOINT_OPEN
        18 => 28,                // BPF_BTF_LOAD
        19 | 30 => 4,            // BPF_BTF_GET_FD_BY_ID, BPF_LINK_GET_FD_BY_ID
        20 => 48,                // BPF_TASK_FD_QUERY
        24..=27 => 56,           // BPF_MAP_{LOOKUP,LOOKUP_AND_DELETE,UPDATE,DELETE}_BATCH
        29 => 16,                // BPF_LINK_UPDATE
        15 => 16,                // BPF_OBJ_GET_INFO_BY_FD
        28 => 48,                // BPF_LINK_CREATE
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
                    if matches!(cmd, 0 | 5 | 6 | 7 | 13 | 14 | 18 | 19 | 28 | 30) {
                        ctx.rfmt = Rval::Fd;
                    }
                    if (24..=27).contains(&cmd) {
                        // The batch commands close the attribute at entry and show the
                        // count the kernel changed at exit.
                        step = batch(ctx, cmd, &a, &data, attr_size);
                    } else {
                        if !ctx.exiting {
                            ctx.push("{");
                        }
                        step = decode(ctx, cmd, &a);
                        if step == Step::Decoded {
                            let attr_size = if cmd == 28 {
                                link_create_size(&a)
                            } else {
                                attr_size
                            };
                            extra_data(ctx, &data, attr_size);
                            ctx.push("}");
                        }
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
        19 => {
            let _ = write!(ctx.out, "btf_id={}", a.u32(0));
        }
        15 => {
            // The info structure prints as its address; with -v, a map's or a program's
            // fields (a program's counts as they were at entry and as the kernel left them).
            if !ctx.exiting {
                ctx.stash = u64::from(a.u32(4));
                if ctx.opts.verbose {
                    ctx.stash_bytes = obj_info(ctx, a.u64(8), a.u32(4)).unwrap_or_default();
                }
                fd_field(ctx, "info={bpf_fd", a.u32(0));
                let _ = write!(ctx.out, ", info_len={}", a.u32(4));
                return Step::Exit;
            }
            if ctx.stash != u64::from(a.u32(4)) {
                let _ = write!(ctx.out, " => {}", a.u32(4));
            }
            ctx.push(", info=");
            let saved = std::mem::take(&mut ctx.stash_bytes);
            let kind = if ctx.opts.verbose {
                obj_kind(ctx, a.u32(0) as i32)
            } else {
                None
            };
            match (kind, obj_info(ctx, a.u64(8), a.u32(4))) {
                (Some(ObjKind::Map), Some(info)) => map_info(ctx, &info, a.u32(4)),
                (Some(ObjKind::Prog), Some(info)) => prog_info(ctx, &info, &saved, a.u32(4)),
                _ => ctx.addr(a.u64(8)),
            }
            ctx.push("}");
        }
        28 => link_create(ctx, a),
        30 => {
            let _ = write!(ctx.out, "link_id={}", a.u32(0));
        }
        29 => {
            let flags = a.u32(8);
            fd_field(ctx, "link_update={link_fd", a.u32(0));
            fd_field(ctx, ", new_prog_fd", a.u32(4));
            ctx.push(", flags=");
            ctx.flags(bx::BPF_ATTACH_FLAGS, u64::from(flags), "BPF_F_???");
            // BPF_F_REPLACE
            if flags & 4 != 0 {
                fd_field(ctx, ", old_prog_fd", a.u32(12));
            }
            ctx.push("}");
        }
        17 => {
            ctx.push("raw_tracepoint={name=");
            sized_str(ctx, a.u64(0), 128);
            fd_field(ctx, ", prog_fd", a.u32(8));
            ctx.push("}");
        }
        18 => {
            ctx.push("btf=");
            ctx.buf(a.u64(0), u64::from(a.u32(16)));
            addr_field(ctx, ", btf_log_buf", a.u64(8));
            let _ = write!(
                ctx.out,
                ", btf_size={}, btf_log_size={}, btf_log_level={}",
                a.u32(16),
                a.u32(20),
                a.u32(24)
            );
        }
        16 => {
            if !ctx.exiting {
                fd_field(ctx, "query={target_fd", a.u32(0));
                ctx.push(", attach_type=");
                ctx.xval(bx::BPF_ATTACH_TYPE, u64::from(a.u32(4)), "BPF_???");
                ctx.push(", query_flags=");
                ctx.flags(bx::BPF_QUERY_FLAGS, u64::from(a.u32(8)), "BPF_F_QUERY_???");
                ctx.push(", attach_flags=");
                ctx.flags(bx::BPF_ATTACH_FLAGS, u64::from(a.u32(12)), "BPF_F_???");
                ctx.push(", prog_ids=");
                ctx.stash = u64::from(a.u32(24));
                return Step::Exit;
            }
            let cnt = a.u32(24);
            // Nothing is read back from a failed call (strace's tfetch_mem).
            if ctx.error && a.u64(16) != 0 && cnt != 0 {
                ctx.addr(a.u64(16));
            } else {
                ctx.array(a.u64(16), cnt.into(), 4, &mut |c, e| {
                    let _ = write!(c.out, "{}", u32::from_ne_bytes(e[..4].try_into().unwrap()));
                });
            }
            ctx.push(", prog_cnt=");
            if ctx.stash != u64::from(cnt) {
                let _ = write!(ctx.out, "{} => ", ctx.stash);
            }
            let _ = write!(ctx.out, "{cnt}}}");
        }
        20 => {
            if !ctx.exiting {
                ctx.stash = u64::from(a.u32(12));
                let _ = write!(ctx.out, "task_fd_query={{pid={}", a.u32(0) as i32);
                fd_field(ctx, ", fd", a.u32(4));
                let _ = write!(ctx.out, ", flags={}, buf_len={}", a.u32(8), a.u32(12));
                return Step::Exit;
            }
            let buf_len = a.u32(12);
            if ctx.stash != u64::from(buf_len) {
                let _ = write!(ctx.out, " => {buf_len}");
            }
            ctx.push(", buf=");
            sized_str(ctx, a.u64(16), (ctx.stash as u32).min(buf_len) as usize);
            let _ = write!(ctx.out, ", prog_id={}, fd_type=", a.u32(24));
            ctx.xval(
                bx::BPF_TASK_FD_TYPE,
                u64::from(a.u32(28)),
                "BPF_FD_TYPE_???",
            );
            let _ = write!(
                ctx.out,
                ", probe_offset={}, probe_addr={}}}",
                text::Hx(a.u64(32)),
                text::Hx(a.u64(40))
            );
        }
        _ => {}
    }
    Step::Decoded
}

/// The part of `BPF_LINK_CREATE`'s attribute its attach type uses (bytes past it count as
/// extra data).
fn link_create_size(a: &Attr) -> usize {
    if a.ends_before(16) {
        return 48;
    }
    match a.u32(8) {
        0 => 20,
        0x1c => 28, // BPF_TRACE_ITER
        0x29 => 24, // BPF_PERF_EVENT
        0x2a => 48, // BPF_TRACE_KPROBE_MULTI
        _ => 16,
    }
}

fn link_create(ctx: &mut Ctx<'_>, a: &Attr) {
    fd_field(ctx, "link_create={prog_fd", a.u32(0));
    fd_field(ctx, ", target_fd", a.u32(4));
    let attach_type = a.u32(8);
    ctx.push(", attach_type=");
    ctx.xval(bx::BPF_ATTACH_TYPE, u64::from(attach_type), "BPF_???");
    let _ = write!(ctx.out, ", flags={}", text::Hx(u64::from(a.u32(12))));
    if !a.ends_before(16) {
        match attach_type {
            0 if a.u32(16) != 0 => {
                let _ = write!(ctx.out, ", target_btf_id={}", a.u32(16));
            }
            // BPF_TRACE_ITER: union bpf_iter_link_info elements ({map={map_fd=N}}).
            0x1c => {
                ctx.push(", iter_info=");
                let (addr, n) = (a.u64(16), a.u32(24));
                ctx.array(addr, u64::from(n), 4, &mut |c: &mut Ctx<'_>, e: &[u8]| {
                    fd_field(
                        c,
                        "{map={map_fd",
                        u32::from_ne_bytes(e[..4].try_into().unwrap()),
                    );
                    c.push("}}");
                });
                let _ = write!(ctx.out, ", iter_info_len={n}");
            }
            // BPF_PERF_EVENT
            0x29 => {
                let _ = write!(
                    ctx.out,
                    ", perf_event={{bpf_cookie={}}}",
                    text::Hx(a.u64(16))
                );
            }
            // BPF_TRACE_KPROBE_MULTI
            0x2a => {
                let cnt = a.u32(20);
                ctx.push(", kprobe_multi={flags=");
                ctx.flags(
                    bx::BPF_LINK_CREATE_KPROBE_MULTI_FLAGS,
                    u64::from(a.u32(16)),
                    "BPF_F_???",
                );
                let _ = write!(ctx.out, ", cnt={cnt}, syms=");
                ctx.array(
                    a.u64(24),
                    u64::from(cnt),
                    8,
                    &mut |c: &mut Ctx<'_>, e: &[u8]| {
                        c.cstr_at(u64::from_ne_bytes(e.try_into().unwrap()));
                    },
                );
                for (name, addr) in [("addrs", a.u64(32)), ("cookies", a.u64(40))] {
                    let _ = write!(ctx.out, ", {name}=");
                    ctx.array(addr, u64::from(cnt), 8, &mut |c: &mut Ctx<'_>, e: &[u8]| {
                        c.hex_value(u64::from_ne_bytes(e.try_into().unwrap()));
                    });
                }
                ctx.push("}");
            }
            _ => {}
        }
    }
    ctx.push("}");
}

/// A string of at most `n` bytes ending at a NUL (strace's `printstr_ex` with
/// `QUOTE_0_TERMINATED`): `""` for none.
fn sized_str(ctx: &mut Ctx<'_>, addr: u64, n: usize) {
    if addr != 0 && n == 0 {
        ctx.push("\"\"");
    } else {
        ctx.cstr_at_most(addr, n.min(ctx.opts.max_strlen));
    }
}

/// `BPF_MAP_*_BATCH`: `{batch={...}}` at entry, ` => {batch={count=N}}` at exit when the
/// kernel changed the count.
fn batch(ctx: &mut Ctx<'_>, cmd: u32, a: &Attr, data: &[u8], attr_size: usize) -> Step {
    let count = a.u32(32);
    if ctx.exiting {
        if ctx.stash != u64::from(count) {
            let _ = write!(ctx.out, " => {{batch={{count={count}}}}}");
        }
        return Step::Decoded;
    }
    ctx.stash = u64::from(count);
    ctx.push("{batch={");
    if cmd == 24 || cmd == 25 {
        addr_field(ctx, "in_batch", a.u64(0));
        addr_field(ctx, ", out_batch", a.u64(8));
        ctx.comma();
    }
    if cmd != 27 {
        addr_field(ctx, "keys", a.u64(16));
        addr_field(ctx, ", values", a.u64(24));
    } else {
        addr_field(ctx, "keys", a.u64(16));
    }
    let _ = write!(ctx.out, ", count={count}");
    fd_field(ctx, ", map_fd", a.u32(36));
    ctx.push(", elem_flags=");
    ctx.flags(bx::BPF_MAP_LOOKUP_ELEM_FLAGS, a.u64(40), "BPF_???");
    let _ = write!(ctx.out, ", flags={}}}", text::Hx(a.u64(48)));
    extra_data(ctx, data, attr_size);
    ctx.push("}");
    Step::Exit
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
    // The instructions: listed with -v (at most BPF_MAXINSNS), else their address.
    if ctx.opts.verbose {
        ctx.push(", insns=");
        let mut n = 0u32;
        ctx.array(
            a.u64(8),
            u64::from(a.u32(4)),
            8,
            &mut |c: &mut Ctx<'_>, e: &[u8]| {
                n += 1;
                if n > 4096 {
                    c.push("...");
                    return;
                }
                ebpf_insn(c, e);
            },
        );
    } else {
        addr_field(ctx, ", insns", a.u64(8));
    }
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

/// `{code=BPF_JMP|BPF_K|BPF_EXIT, dst_reg=BPF_REG_0, src_reg=BPF_REG_0, off=0, imm=0}`.
fn ebpf_insn(ctx: &mut Ctx<'_>, e: &[u8]) {
    let code = e[0];
    ctx.push("{code=");
    ebpf_code(ctx, code);
    ctx.push(", dst_reg=");
    ctx.xval(bx::EBPF_REGS, u64::from(e[1] & 0xf), "BPF_REG_???");
    ctx.push(", src_reg=");
    ctx.xval(bx::EBPF_REGS, u64::from(e[1] >> 4), "BPF_REG_???");
    let off = i16::from_ne_bytes([e[2], e[3]]);
    let imm = u32::from_ne_bytes(e[4..8].try_into().unwrap());
    let _ = write!(ctx.out, ", off={off}, imm={}}}", text::Hx(u64::from(imm)));
}

/// A constant looked up in `first`, then in `second` (strace's `printxvals`).
fn xval2(ctx: &mut Ctx<'_>, first: text::Xlat, second: text::Xlat, v: u64, dflt: &str) {
    if text::lookup(first, v).is_some() {
        ctx.xval(first, v, dflt);
    } else {
        ctx.xval(second, v, dflt);
    }
}

/// An eBPF opcode: class, then size and mode or source and operation (strace's
/// `print_bpf_filter_code` for eBPF).
fn ebpf_code(ctx: &mut Ctx<'_>, code: u8) {
    let class = code & 7;
    ctx.xval(bx::EBPF_CLASS, u64::from(class), "BPF_???");
    let rest = code & !7;
    match class {
        // BPF_LD, BPF_LDX, BPF_ST, BPF_STX
        0..=3 => {
            ctx.push("|");
            xval2(
                ctx,
                bx::BPF_SIZE,
                bx::EBPF_SIZE,
                u64::from(code & 0x18),
                "BPF_???",
            );
            ctx.push("|");
            ctx.xval(bx::EBPF_MODE, u64::from(code & 0xe0), "BPF_???");
        }
        // BPF_ALU, BPF_ALU64
        4 | 7 => {
            ctx.push("|");
            ctx.xval(bx::BPF_SRC, u64::from(code & 0x08), "BPF_???");
            ctx.push("|");
            xval2(
                ctx,
                bx::BPF_OP_ALU,
                bx::EBPF_OP_ALU,
                u64::from(code & 0xf0),
                "BPF_???",
            );
        }
        // BPF_JMP
        5 => {
            ctx.push("|");
            ctx.xval(bx::BPF_SRC, u64::from(code & 0x08), "BPF_???");
            ctx.push("|");
            xval2(
                ctx,
                bx::BPF_OP_JMP,
                bx::EBPF_OP_JMP,
                u64::from(code & 0xf0),
                "BPF_???",
            );
        }
        // Reserved in eBPF (BPF_RET of classic BPF).
        _ => {
            if rest != 0 {
                ctx.push("|");
                ctx.hex_value(u64::from(rest));
                ctx.push(" /* BPF_??? */");
            }
        }
    }
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

/// The kinds of object whose information `BPF_OBJ_GET_INFO_BY_FD` prints with `-v`.
enum ObjKind {
    Map,
    Prog,
}

/// What the descriptor `fd` of the tracee is, by its link in `/proc` (strace's
/// `getfdpath`).
fn obj_kind(ctx: &Ctx<'_>, fd: i32) -> Option<ObjKind> {
    let dir = crate::pidns::proc_dir(ctx.pid.0);
    let path = std::fs::read_link(format!("/proc/{dir}/fd/{fd}")).ok()?;
    match path.to_str()? {
        "anon_inode:bpf-map" => Some(ObjKind::Map),
        "anon_inode:bpf-prog" => Some(ObjKind::Prog),
        _ => None,
    }
}

/// The `size` bytes of an info structure at `addr` (at most a page, strace's
/// `fetch_bpf_obj_info`), zero-padded to a page.
fn obj_info(ctx: &Ctx<'_>, addr: u64, size: u32) -> Option<Vec<u8>> {
    const PAGE: usize = 4096;
    if size == 0 || size as usize > PAGE || addr == 0 {
        return None;
    }
    let mut b = ctx.read_bytes(addr, size as usize)?;
    b.resize(PAGE, 0);
    Some(b)
}

fn u32_at(b: &[u8], o: usize) -> u32 {
    u32::from_ne_bytes(b[o..o + 4].try_into().unwrap())
}

fn u64_at(b: &[u8], o: usize) -> u64 {
    u64::from_ne_bytes(b[o..o + 8].try_into().unwrap())
}

/// `struct bpf_map_info` (strace's `print_bpf_map_info`), cut where `size` ends.
fn map_info(ctx: &mut Ctx<'_>, b: &[u8], size: u32) {
    const SIZE: usize = 88;
    let len = (size as usize).min(SIZE);
    ctx.push("{type=");
    ctx.xval(
        bx::BPF_MAP_TYPES,
        u64::from(u32_at(b, 0)),
        "BPF_MAP_TYPE_???",
    );
    let _ = write!(
        ctx.out,
        ", id={}, key_size={}, value_size={}, max_entries={}, map_flags=",
        u32_at(b, 4),
        u32_at(b, 8),
        u32_at(b, 12),
        u32_at(b, 16)
    );
    ctx.flags(bx::BPF_MAP_FLAGS, u64::from(u32_at(b, 20)), "BPF_F_???");
    'fields: {
        if len <= 24 {
            break 'fields;
        }
        cstring(ctx, ", name", &b[24..40]);
        if len <= 40 {
            break 'fields;
        }
        ctx.push(", ifindex=");
        super::netlink::ifindex(ctx, u32_at(b, 40));
        let _ = write!(
            ctx.out,
            ", btf_vmlinux_value_type_id={}, netns_dev={}, netns_ino={}",
            u32_at(b, 44),
            super::structs::makedev(u64_at(b, 48)),
            u64_at(b, 56)
        );
        if len <= 64 {
            break 'fields;
        }
        let _ = write!(
            ctx.out,
            ", btf_id={}, btf_key_type_id={}, btf_value_type_id={}",
            u32_at(b, 64),
            u32_at(b, 68),
            u32_at(b, 72)
        );
        extra_data(ctx, &b[..size as usize], SIZE);
    }
    ctx.push("}");
}

/// `name=N` or, when the kernel changed it from what the program passed, `name=P => N`.
fn changed_u32(ctx: &mut Ctx<'_>, name: &str, before: u32, after: u32) {
    let _ = write!(ctx.out, ", {name}=");
    if before != after {
        let _ = write!(ctx.out, "{before} => ");
    }
    let _ = write!(ctx.out, "{after}");
}

/// [`changed_u32`] of an address.
fn changed_addr(ctx: &mut Ctx<'_>, name: &str, before: u64, after: u64) {
    let _ = write!(ctx.out, ", {name}=");
    if before != after {
        ctx.addr(before);
        ctx.push(" => ");
    }
    ctx.addr(after);
}

/// ` /* 2026-12-07T19:58:09+0000 */`: the wall-clock time of a boot-time stamp, to the
/// second (strace's `print_boottime`; approximate, as the offset is taken now).
fn boottime_comment(ctx: &mut Ctx<'_>, ns: u64) {
    if ctx.opts.xlat == XlatStyle::Raw {
        return;
    }
    let now = |clock| {
        // SAFETY: timespec is plain integers; all-zero is valid before clock_gettime fills it.
        let mut ts: libc::timespec = unsafe { std::mem::zeroed() };
        // SAFETY: clock_gettime writes one timespec into `ts`.
        (unsafe { libc::clock_gettime(clock, &mut ts) } == 0)
            .then(|| i128::from(ts.tv_sec) * 1_000_000_000 + i128::from(ts.tv_nsec))
    };
    let (Some(boot), Some(real)) = (now(libc::CLOCK_BOOTTIME), now(libc::CLOCK_REALTIME)) else {
        return;
    };
    let t = i128::from(ns) + (real - boot);
    let sec = t.div_euclid(1_000_000_000) as i64;
    super::admin::time_comment(&mut ctx.out, sec, 0, 0, 0);
}

/// `struct bpf_prog_info` (strace's `print_bpf_prog_info`): `saved` is the structure as the
/// program passed it (the counts and addresses the kernel may change), cut where `size` ends.
fn prog_info(ctx: &mut Ctx<'_>, b: &[u8], saved: &[u8], size: u32) {
    const SIZE: usize = 220;
    let len = (size as usize).min(SIZE);
    let mut before = vec![0u8; 4096];
    let n = saved.len().min(len);
    before[..n].copy_from_slice(&saved[..n]);
    let s = &before[..];
    ctx.push("{type=");
    ctx.xval(
        bx::BPF_PROG_TYPES,
        u64::from(u32_at(b, 0)),
        "BPF_PROG_TYPE_???",
    );
    let _ = write!(ctx.out, ", id={}, tag=", u32_at(b, 4));
    text::quote(&mut ctx.out, &b[8..16], ctx.opts.hex, true);
    changed_u32(ctx, "jited_prog_len", u32_at(s, 16), u32_at(b, 16));
    ctx.push(", jited_prog_insns=");
    ctx.buf_ex(u64_at(b, 24), u64::from(u32_at(b, 16)), true);
    changed_u32(ctx, "xlated_prog_len", u32_at(s, 20), u32_at(b, 20));
    ctx.push(", xlated_prog_insns=");
    let insns = u32_at(s, 20).min(u32_at(b, 20)) / 8;
    let mut count = 0u32;
    ctx.array(
        u64_at(b, 32),
        u64::from(insns),
        8,
        &mut |c: &mut Ctx<'_>, e: &[u8]| {
            count += 1;
            if count > 4096 {
                c.push("...");
                return;
            }
            ebpf_insn(c, e);
        },
    );
    'fields: {
        if len <= 40 {
            break 'fields;
        }
        let load_time = u64_at(b, 40);
        let _ = write!(ctx.out, ", load_time={load_time}");
        boottime_comment(ctx, load_time);
        let uid = u32_at(b, 48);
        if uid == u32::MAX {
            ctx.push(", created_by_uid=-1");
        } else {
            let _ = write!(ctx.out, ", created_by_uid={uid}");
        }
        changed_u32(ctx, "nr_map_ids", u32_at(s, 52), u32_at(b, 52));
        ctx.push(", map_ids=");
        let ids = u32_at(s, 52).min(u32_at(b, 52));
        ctx.array(
            u64_at(b, 56),
            u64::from(ids),
            4,
            &mut |c: &mut Ctx<'_>, e: &[u8]| {
                let _ = write!(c.out, "{}", u32_at(e, 0));
            },
        );
        cstring(ctx, ", name", &b[64..80]);
        if len <= 80 {
            break 'fields;
        }
        ctx.push(", ifindex=");
        super::netlink::ifindex(ctx, u32_at(b, 80));
        let _ = write!(
            ctx.out,
            ", gpl_compatible={}, netns_dev={}, netns_ino={}",
            u32_at(b, 84) & 1,
            super::structs::makedev(u64_at(b, 88)),
            u64_at(b, 96)
        );
        if len <= 104 {
            break 'fields;
        }
        changed_u32(ctx, "nr_jited_ksyms", u32_at(s, 104), u32_at(b, 104));
        changed_u32(ctx, "nr_jited_func_lens", u32_at(s, 108), u32_at(b, 108));
        changed_addr(ctx, "jited_ksyms", u64_at(s, 112), u64_at(b, 112));
        changed_addr(ctx, "jited_func_lens", u64_at(s, 120), u64_at(b, 120));
        if len <= 128 {
            break 'fields;
        }
        let _ = write!(ctx.out, ", btf_id={}", u32_at(b, 128));
        changed_u32(ctx, "func_info_rec_size", u32_at(s, 132), u32_at(b, 132));
        addr_field(ctx, ", func_info", u64_at(b, 136));
        changed_u32(ctx, "nr_func_info", u32_at(s, 144), u32_at(b, 144));
        changed_u32(ctx, "nr_line_info", u32_at(s, 148), u32_at(b, 148));
        addr_field(ctx, ", line_info", u64_at(b, 152));
        changed_addr(ctx, "jited_line_info", u64_at(s, 160), u64_at(b, 160));
        changed_u32(ctx, "nr_jited_line_info", u32_at(s, 168), u32_at(b, 168));
        changed_u32(ctx, "line_info_rec_size", u32_at(s, 172), u32_at(b, 172));
        changed_u32(
            ctx,
            "jited_line_info_rec_size",
            u32_at(s, 176),
            u32_at(b, 176),
        );
        changed_u32(ctx, "nr_prog_tags", u32_at(s, 180), u32_at(b, 180));
        addr_field(ctx, ", prog_tags", u64_at(b, 184));
        if len <= 192 {
            break 'fields;
        }
        let _ = write!(
            ctx.out,
            ", run_time_ns={}, run_cnt={}",
            u64_at(b, 192),
            u64_at(b, 200)
        );
        if len <= 208 {
            break 'fields;
        }
        let misses = u64_at(b, 208);
        if misses == u64::MAX {
            ctx.push(", recursion_misses=");
            text::named(
                &mut ctx.out,
                ctx.opts.xlat,
                &misses.to_string(),
                "UINT64_MAX",
            );
        } else {
            let _ = write!(ctx.out, ", recursion_misses={misses}");
        }
        if len <= 216 {
            break 'fields;
        }
        let _ = write!(ctx.out, ", verified_insns={}", u32_at(b, 216));
        extra_data(ctx, &b[..size as usize], SIZE);
    }
    ctx.push("}");
}
