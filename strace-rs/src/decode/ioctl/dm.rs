//! Device mapper requests (`linux/dm-ioctl.h`, type `0xfd`, strace's `dm.c`): the
//! `struct dm_ioctl` header every request carries and the payload after it (target specs,
//! dependencies, device and target lists, messages, strings), each at entry and, when the
//! kernel changed the header, again after ` => `.

use std::fmt::Write as _;

use super::fields::{cstring, str0, u32_at, u64_at};
use super::xlat as x;
use super::Family;
use crate::decode::structs::makedev;
use crate::decode::{Ctx, Step};

pub(super) const FAMILY: Family = Family {
    handles: |req| (VERSION..=DEV_ARM_POLL).contains(&req),
    enter,
    exit,
};

const VERSION: u64 = 0xc138_fd00;
const REMOVE_ALL: u64 = 0xc138_fd01;
const LIST_DEVICES: u64 = 0xc138_fd02;
const DEV_CREATE: u64 = 0xc138_fd03;
const DEV_REMOVE: u64 = 0xc138_fd04;
const DEV_RENAME: u64 = 0xc138_fd05;
const DEV_SUSPEND: u64 = 0xc138_fd06;
const DEV_STATUS: u64 = 0xc138_fd07;
const DEV_WAIT: u64 = 0xc138_fd08;
const TABLE_LOAD: u64 = 0xc138_fd09;
const TABLE_CLEAR: u64 = 0xc138_fd0a;
const TABLE_DEPS: u64 = 0xc138_fd0b;
const TABLE_STATUS: u64 = 0xc138_fd0c;
const LIST_VERSIONS: u64 = 0xc138_fd0d;
const TARGET_MSG: u64 = 0xc138_fd0e;
const DEV_SET_GEOMETRY: u64 = 0xc138_fd0f;
const DEV_ARM_POLL: u64 = 0xc138_fd10;

const DM_VERSION_MAJOR: u32 = 4;
const DM_SUSPEND_FLAG: u32 = 1 << 1;
const DM_DATA_OUT_FLAG: u32 = 1 << 16;

/// `offsetof(struct dm_ioctl, data)`: the header strace reads.
const HEADER: usize = 305;
/// `offsetof(struct dm_ioctl, data_size)`.
const DATA_SIZE_END: u32 = 12;
/// `struct dm_target_spec`.
const TARGET_SPEC_SIZE: u32 = 40;

/// The header's fields by offset.
struct Header<'a>(&'a [u8]);

impl Header<'_> {
    fn u(&self, o: usize) -> u32 {
        u32_at(self.0, o)
    }
    fn data_size(&self) -> u32 {
        self.u(12)
    }
    fn data_start(&self) -> u32 {
        self.u(16)
    }
    fn target_count(&self) -> u32 {
        self.u(20)
    }
    fn flags(&self) -> u32 {
        self.u(28)
    }
}

/// The header at the argument, when readable and its `data_size` covers `data_size`.
fn read_header(ctx: &Ctx<'_>) -> Option<Vec<u8>> {
    let arg = ctx.arg(2);
    let b = if arg == 0 {
        None
    } else {
        ctx.read_bytes(arg, HEADER)
    }?;
    (Header(&b).data_size() >= DATA_SIZE_END).then_some(b)
}

/// A fingerprint of the header fields the kernel may change (version, sizes, flags), to
/// tell at exit whether to print the header again; never 0 (0: nothing printed at entry).
fn fingerprint(b: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &c in b[..20].iter().chain(&b[28..32]) {
        h = (h ^ u64::from(c)).wrapping_mul(0x100_0000_01b3);
    }
    h | 1
}

fn enter(ctx: &mut Ctx<'_>, req: u64) -> Step {
    ctx.comma();
    ctx.stash = 0;
    if let Some(b) = read_header(ctx) {
        ctx.stash = fingerprint(&b);
        ioctl_struct(ctx, req, &b);
    }
    Step::Exit
}

fn exit(ctx: &mut Ctx<'_>, req: u64) {
    let Some(b) = read_header(ctx) else {
        if ctx.stash == 0 {
            // Neither read: strace's generic printing of the argument.
            ctx.hex_value(ctx.arg(2));
        }
        return;
    };
    let changed = ctx.stash != fingerprint(&b);
    if ctx.error && !changed {
        return;
    }
    ctx.push(" => ");
    ioctl_struct(ctx, req, &b);
}

/// `[{header...}, payload...]`.
fn ioctl_struct(ctx: &mut Ctx<'_>, req: u64, b: &[u8]) {
    ctx.push("[");
    if header(ctx, req, b) {
        payload(ctx, req, &Header(b));
    }
    ctx.push("]");
}

/// The requests whose header shows `data_start`.
fn has_params(req: u64) -> bool {
    !matches!(
        req,
        VERSION
            | REMOVE_ALL
            | DEV_CREATE
            | DEV_REMOVE
            | DEV_SUSPEND
            | DEV_STATUS
            | TABLE_CLEAR
            | DEV_ARM_POLL
    )
}

/// `{version=[...], ...}`; false when the rest can't be decoded (another ABI version,
/// `data_size` smaller than the header).
fn header(ctx: &mut Ctx<'_>, req: u64, b: &[u8]) -> bool {
    let h = Header(b);
    let _ = write!(ctx.out, "{{version=[{}, {}, {}]", h.u(0), h.u(4), h.u(8));
    if h.u(0) != DM_VERSION_MAJOR {
        ctx.push(" /* unsupported device mapper ABI version */}");
        return false;
    }
    let _ = write!(ctx.out, ", data_size={}", h.data_size());
    if (h.data_size() as usize) < HEADER {
        ctx.push(" /* data_size too small */}");
        return false;
    }
    if has_params(req) {
        let _ = write!(ctx.out, ", data_start={}", h.data_start());
    }
    if !matches!(req, REMOVE_ALL | LIST_DEVICES | LIST_VERSIONS) {
        let dev = u64_at(b, 40);
        if dev != 0 {
            let _ = write!(ctx.out, ", dev={}", makedev(dev));
        }
        if b[48] != 0 {
            ctx.push(", name=");
            cstring(ctx, &b[48..176]);
        }
        if b[176] != 0 {
            ctx.push(", uuid=");
            cstring(ctx, &b[176..305]);
        }
    }
    values(ctx, req, &h);
    ctx.push(", flags=");
    ctx.flags(x::DM_FLAGS, h.flags().into(), "DM_???");
    ctx.push("}");
    true
}

/// The counters: what the kernel reads at entry, what it reports at exit.
fn values(ctx: &mut Ctx<'_>, req: u64, h: &Header<'_>) {
    if !ctx.exiting {
        match req {
            TABLE_LOAD => {
                let _ = write!(ctx.out, ", target_count={}", h.target_count());
            }
            DEV_SUSPEND if h.flags() & DM_SUSPEND_FLAG != 0 => {}
            DEV_SUSPEND | DEV_RENAME | DEV_REMOVE | DEV_WAIT => {
                let _ = write!(ctx.out, ", event_nr={}", h.u(32));
            }
            _ => {}
        }
    } else if !ctx.error
        && matches!(
            req,
            DEV_CREATE
                | DEV_RENAME
                | DEV_SUSPEND
                | DEV_STATUS
                | DEV_WAIT
                | TABLE_LOAD
                | TABLE_CLEAR
                | TABLE_DEPS
                | TABLE_STATUS
                | TARGET_MSG
        )
    {
        let _ = write!(
            ctx.out,
            ", target_count={}, open_count={}, event_nr={}",
            h.target_count(),
            h.u(24),
            h.u(32)
        );
    }
}

fn payload(ctx: &mut Ctx<'_>, req: u64, h: &Header<'_>) {
    let (entering, answered) = (!ctx.exiting, ctx.exiting && !ctx.error);
    match req {
        DEV_WAIT | TABLE_STATUS if answered => target_specs(ctx, h),
        TABLE_LOAD if entering => target_specs(ctx, h),
        TABLE_DEPS if answered => target_deps(ctx, h),
        LIST_DEVICES if answered => name_list(ctx, h),
        LIST_VERSIONS if answered => target_versions(ctx, h),
        TARGET_MSG if entering => target_msg(ctx, h),
        TARGET_MSG if answered && h.flags() & DM_DATA_OUT_FLAG != 0 => string(ctx, h),
        DEV_RENAME | DEV_SET_GEOMETRY if entering => string(ctx, h),
        _ => {}
    }
}

/// A string of the payload at `offset`, up to the end of the data; its length and NUL when
/// it ended before the limit.
fn data_string(ctx: &mut Ctx<'_>, offset: u32, h: &Header<'_>) -> Option<u64> {
    let addr = ctx.arg(2) + u64::from(offset);
    str0(ctx, addr, h.data_size().wrapping_sub(offset).into())
}

/// `, ...` without `-v`; true when the entries are to be printed.
fn full(ctx: &mut Ctx<'_>) -> bool {
    if ctx.opts.verbose {
        return true;
    }
    ctx.push(", ...");
    false
}

fn misplaced(ctx: &mut Ctx<'_>, what: &str) {
    let _ = write!(ctx.out, "??? /* misplaced {what} */");
}

/// `struct dm_target_spec` entries, each followed by its parameter string.
fn target_specs(ctx: &mut Ctx<'_>, h: &Header<'_>) {
    if !ctx.opts.verbose {
        if h.target_count() != 0 {
            ctx.push(", ...");
        }
        return;
    }
    let arg = ctx.arg(2);
    let mut offset = h.data_start();
    let mut offset_end = 0u32;
    for i in 0..h.target_count() {
        ctx.push(", ");
        if i > 0 && offset <= offset_end {
            return misplaced(ctx, "struct dm_target_spec");
        }
        offset_end = offset.wrapping_add(TARGET_SPEC_SIZE);
        if offset_end <= offset || offset_end > h.data_size() {
            return misplaced(ctx, "struct dm_target_spec");
        }
        if i as usize >= ctx.opts.max_strlen {
            ctx.push("...");
            return;
        }
        let at = arg + u64::from(offset);
        let Some(s) = ctx.read_bytes(at, TARGET_SPEC_SIZE as usize) else {
            ctx.addr(at);
            return;
        };
        let _ = write!(
            ctx.out,
            "{{sector_start={}, length={}",
            u64_at(&s, 0),
            u64_at(&s, 8)
        );
        if ctx.exiting {
            let _ = write!(ctx.out, ", status={}", u32_at(&s, 16) as i32);
        }
        ctx.push(", target_type=");
        cstring(ctx, &s[24..40]);
        ctx.push(", string=");
        data_string(ctx, offset_end, h);
        ctx.push("}");
        let next = u32_at(&s, 20);
        offset = if ctx.exiting {
            h.data_start().wrapping_add(next)
        } else {
            offset.wrapping_add(next)
        };
    }
}

/// `struct dm_target_deps`: the count and the devices.
fn target_deps(ctx: &mut Ctx<'_>, h: &Header<'_>) {
    if h.data_start() == h.data_size() {
        return;
    }
    if !full(ctx) {
        return;
    }
    ctx.push(", ");
    let offset = h.data_start();
    let offset_end = offset.wrapping_add(8);
    if offset_end <= offset || offset_end > h.data_size() {
        return misplaced(ctx, "struct dm_target_deps");
    }
    let at = ctx.arg(2) + u64::from(offset);
    let Some(count) = ctx.read::<u32>(at) else {
        ctx.addr(at);
        return;
    };
    if count > (h.data_size() - offset_end) / 8 {
        return misplaced(ctx, "struct dm_target_deps");
    }
    let _ = write!(ctx.out, "{{count={count}, deps=");
    ctx.array(at + 8, count.into(), 8, &mut |c, d| {
        let _ = write!(c.out, "{}", makedev(u64_at(d, 0)));
    });
    ctx.push("}");
}

/// A chain of variable-size entries in the data area (strace's loops over `dm_name_list` and
/// `dm_target_versions`): each entry's `fixed`-byte head must lie after the previous one and
/// inside the data, at most `-s` entries are shown; `entry` prints one from its first 16 bytes
/// and returns the offset of the next (0: the last).
fn entry_list(
    ctx: &mut Ctx<'_>,
    h: &Header<'_>,
    what: &str,
    fixed: u32,
    mut entry: impl FnMut(&mut Ctx<'_>, u64, &[u8], u32) -> u32,
) {
    if h.data_start() == h.data_size() || !full(ctx) {
        return;
    }
    let arg = ctx.arg(2);
    let mut offset = h.data_start();
    let mut offset_end = 0u32;
    let mut count = 0usize;
    loop {
        ctx.push(", ");
        if count > 0 && offset <= offset_end {
            return misplaced(ctx, what);
        }
        offset_end = offset.wrapping_add(fixed);
        if offset_end <= offset || offset_end > h.data_size() {
            return misplaced(ctx, what);
        }
        if count >= ctx.opts.max_strlen {
            ctx.push("...");
            return;
        }
        let at = arg + u64::from(offset);
        let Some(s) = ctx.read_bytes(at, 16) else {
            ctx.addr(at);
            return;
        };
        let next = entry(ctx, at, &s, offset_end);
        if next == 0 {
            return;
        }
        offset = offset.wrapping_add(next);
        count += 1;
    }
}

/// `struct dm_name_list` entries: device, name and, from DM 4.37 on, the event number
/// after the name.
fn name_list(ctx: &mut Ctx<'_>, h: &Header<'_>) {
    let arg = ctx.arg(2);
    entry_list(
        ctx,
        h,
        "struct dm_name_list",
        12,
        |ctx, at, s, offset_end| {
            let next = u32_at(s, 8);
            let _ = write!(ctx.out, "{{dev={}, name=", makedev(u64_at(s, 0)));
            let len = data_string(ctx, offset_end, h);
            if let (Some(len), true) = (len, h.u(4) >= 37) {
                let event_addr = (arg + u64::from(offset_end) + len + 7) & !7;
                if event_addr + 4 <= at + u64::from(next) {
                    if let Some(nr) = ctx.read::<u32>(event_addr) {
                        let _ = write!(ctx.out, ", event_nr={nr}");
                    }
                }
            }
            ctx.push("}");
            next
        },
    );
}

/// `struct dm_target_versions` entries: name and version.
fn target_versions(ctx: &mut Ctx<'_>, h: &Header<'_>) {
    entry_list(
        ctx,
        h,
        "struct dm_target_versions",
        16,
        |ctx, _at, s, offset_end| {
            ctx.push("{name=");
            data_string(ctx, offset_end, h);
            let _ = write!(
                ctx.out,
                ", version=[{}, {}, {}]}}",
                u32_at(s, 4),
                u32_at(s, 8),
                u32_at(s, 12)
            );
            u32_at(s, 0)
        },
    );
}

/// `struct dm_target_msg`: the sector and the message.
fn target_msg(ctx: &mut Ctx<'_>, h: &Header<'_>) {
    if h.data_start() == h.data_size() || !full(ctx) {
        return;
    }
    ctx.push(", ");
    let offset = h.data_start();
    let offset_end = offset.wrapping_add(8);
    if offset_end <= offset || offset_end > h.data_size() {
        return misplaced(ctx, "struct dm_target_msg");
    }
    let at = ctx.arg(2) + u64::from(offset);
    let Some(sector) = ctx.read::<u64>(at) else {
        ctx.addr(at);
        return;
    };
    let _ = write!(ctx.out, "{{sector={sector}, message=");
    data_string(ctx, offset_end, h);
    ctx.push("}");
}

/// `{string=...}` at `data_start`.
fn string(ctx: &mut Ctx<'_>, h: &Header<'_>) {
    if !full(ctx) {
        return;
    }
    ctx.push(", ");
    if h.data_start() > h.data_size() {
        return misplaced(ctx, "string");
    }
    ctx.push("{string=");
    data_string(ctx, h.data_start(), h);
    ctx.push("}");
}
