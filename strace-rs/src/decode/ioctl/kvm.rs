//! KVM requests (`linux/kvm.h`, type `0xae`, strace's `kvm.c` and x86_64 `arch_kvm.c`): the
//! descriptors of new VMs and vCPUs, memory regions, registers, special registers, CPUID
//! entries and capabilities.

use std::fmt::Write as _;

use super::fields::{array, fetch, u32_at, u64_at};
use super::xlat as x;
use super::Family;
use crate::decode::{Ctx, Rval, Step};
use crate::text::{self, Hx};

pub(super) const FAMILY: Family = Family {
    handles: |req| {
        matches!(
            req,
            CREATE_VM
                | CHECK_EXTENSION
                | GET_SUPPORTED_CPUID
                | GET_EMULATED_CPUID
                | CREATE_VCPU
                | SET_USER_MEMORY_REGION
                | GET_REGS
                | SET_REGS
                | GET_SREGS
                | SET_SREGS
                | SET_CPUID2
                | RUN
        )
    },
    enter,
    exit,
};

const CREATE_VM: u64 = 0xae01;
const CHECK_EXTENSION: u64 = 0xae03;
const GET_SUPPORTED_CPUID: u64 = 0xc008_ae05;
const GET_EMULATED_CPUID: u64 = 0xc008_ae09;
const CREATE_VCPU: u64 = 0xae41;
const RUN: u64 = 0xae80;
const SET_USER_MEMORY_REGION: u64 = 0x4020_ae46;
const GET_REGS: u64 = 0x8090_ae81;
const SET_REGS: u64 = 0x4090_ae82;
const GET_SREGS: u64 = 0x8138_ae83;
const SET_SREGS: u64 = 0x4138_ae84;
const SET_CPUID2: u64 = 0x4008_ae90;

/// `struct kvm_regs`, `struct kvm_sregs`, `struct kvm_cpuid_entry2`.
const REGS_SIZE: usize = 144;
const SREGS_SIZE: usize = 312;
const CPUID_ENTRY_SIZE: u64 = 40;

fn enter(ctx: &mut Ctx<'_>, req: u64) -> Step {
    let arg = ctx.arg(2);
    match req {
        // The argument is not used: printed as a number.
        CREATE_VM => {
            ctx.comma();
            ctx.hex_value(arg);
            ctx.rfmt = Rval::Fd;
            return Step::Decoded;
        }
        // The argument is not used; with `-e kvm=vcpu` the exit reason follows at exit.
        RUN => {
            ctx.comma();
            ctx.hex_value(arg);
            return if ctx.opts.kvm_vcpu {
                Step::Exit
            } else {
                Step::Decoded
            };
        }
        CREATE_VCPU => {
            ctx.comma();
            let _ = write!(ctx.out, "{}", arg as u32);
            ctx.rfmt = Rval::Fd;
            return Step::Decoded;
        }
        _ => {}
    }
    ctx.comma();
    match req {
        CHECK_EXTENSION => ctx.xval(x::KVM_CAP, arg, "KVM_CAP_???"),
        SET_USER_MEMORY_REGION => memory_region(ctx),
        SET_REGS => regs(ctx),
        SET_SREGS => sregs(ctx),
        SET_CPUID2 => cpuid2(ctx),
        _ => return Step::Exit,
    }
    Step::Decoded
}

fn exit(ctx: &mut Ctx<'_>, req: u64) {
    match req {
        RUN => {
            if !ctx.error {
                if let Some(reason) = exit_reason(ctx) {
                    ctx.rextra = format!(" ({reason})");
                }
            }
        }
        GET_REGS => regs(ctx),
        GET_SREGS => sregs(ctx),
        _ => cpuid2(ctx),
    }
}

/// `struct kvm_userspace_memory_region`.
fn memory_region(ctx: &mut Ctx<'_>) {
    let Some(b) = fetch(ctx, 32) else {
        return;
    };
    let _ = write!(ctx.out, "{{slot={}, flags=", u32_at(&b, 0));
    ctx.flags(x::KVM_MEM_FLAGS, u32_at(&b, 4).into(), "KVM_MEM_???");
    let _ = write!(
        ctx.out,
        ", guest_phys_addr={}, memory_size={}, userspace_addr={}}}",
        Hx(u64_at(&b, 8)),
        u64_at(&b, 16),
        Hx(u64_at(&b, 24))
    );
}

/// `name=0x...` for the `__u64` fields `names`, the first at `b[o..]`, each after `, `.
fn hex_u64s(ctx: &mut Ctx<'_>, b: &[u8], o: usize, names: &[&str]) {
    for (i, name) in names.iter().enumerate() {
        let _ = write!(ctx.out, ", {name}={}", Hx(u64_at(b, o + 8 * i)));
    }
}

/// `struct kvm_regs`: without `-v`, `rax`, `rsp`, `rbp`, `rip`, `rflags`.
fn regs(ctx: &mut Ctx<'_>) {
    let Some(b) = fetch(ctx, REGS_SIZE) else {
        return;
    };
    let _ = write!(ctx.out, "{{rax={}", Hx(u64_at(&b, 0)));
    let verbose = ctx.opts.verbose;
    if verbose {
        hex_u64s(ctx, &b, 8, &["rbx", "rcx", "rdx", "rsi", "rdi"]);
    } else {
        ctx.push(", ...");
    }
    hex_u64s(ctx, &b, 48, &["rsp", "rbp"]);
    if verbose {
        hex_u64s(
            ctx,
            &b,
            64,
            &["r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"],
        );
    } else {
        ctx.push(", ...");
    }
    hex_u64s(ctx, &b, 128, &["rip", "rflags"]);
    ctx.push("}");
}

/// `struct kvm_segment` at `b[o..]`.
fn segment(ctx: &mut Ctx<'_>, b: &[u8], o: usize) {
    let _ = write!(
        ctx.out,
        "{{base={}, limit={}, selector={}, type={}, present={}, dpl={}, db={}, s={}, l={}, g={}, avl={}}}",
        Hx(u64_at(b, o)),
        u32_at(b, o + 8),
        u16::from_ne_bytes([b[o + 12], b[o + 13]]),
        b[o + 14],
        b[o + 15],
        b[o + 16],
        b[o + 17],
        b[o + 18],
        b[o + 19],
        b[o + 20],
        b[o + 21]
    );
}

/// `struct kvm_sregs`: without `-v`, `cs` only.
fn sregs(ctx: &mut Ctx<'_>) {
    let Some(b) = fetch(ctx, SREGS_SIZE) else {
        return;
    };
    ctx.push("{cs=");
    segment(ctx, &b, 0);
    if !ctx.opts.verbose {
        ctx.push(", ...}");
        return;
    }
    for (i, name) in ["ds", "es", "fs", "gs", "ss", "tr", "ldt"]
        .iter()
        .enumerate()
    {
        let _ = write!(ctx.out, ", {name}=");
        segment(ctx, &b, 24 * (i + 1));
    }
    for (o, name) in [(192, "gdt"), (208, "idt")] {
        let _ = write!(
            ctx.out,
            ", {name}={{base={}, limit={}}}",
            Hx(u64_at(&b, o)),
            u16::from_ne_bytes([b[o + 8], b[o + 9]])
        );
    }
    for (i, name) in ["cr0", "cr2", "cr3", "cr4", "cr8", "efer"]
        .iter()
        .enumerate()
    {
        let _ = write!(ctx.out, ", {name}={}", u64_at(&b, 224 + 8 * i));
    }
    let _ = write!(
        ctx.out,
        ", apic_base={}, interrupt_bitmap=",
        Hx(u64_at(&b, 272))
    );
    let bitmap: Vec<u64> = (0..4).map(|i| u64_at(&b, 280 + 8 * i)).collect();
    array(ctx, &bitmap, 4, |c, v| c.hex_value(v));
    ctx.push("}");
}

/// `struct kvm_cpuid2`: `nent` and, with `-v`, the entries after it.
fn cpuid2(ctx: &mut Ctx<'_>) {
    let Some(b) = fetch(ctx, 8) else {
        return;
    };
    let nent = u32_at(&b, 0);
    let _ = write!(ctx.out, "{{nent={nent}, entries=");
    if !ctx.opts.verbose {
        ctx.push(if nent == 0 { "[]}" } else { "[...]}" });
        return;
    }
    let at = ctx.arg(2) + 8;
    ctx.array(at, nent.into(), CPUID_ENTRY_SIZE, &mut |c, e| {
        let _ = write!(
            c.out,
            "{{function={}, index={}, flags=",
            Hx(u32_at(e, 0).into()),
            Hx(u32_at(e, 4).into())
        );
        c.flags(
            x::KVM_CPUID_FLAGS,
            u32_at(e, 8).into(),
            "KVM_CPUID_FLAG_???",
        );
        let _ = write!(
            c.out,
            ", eax={}, ebx={}, ecx={}, edx={}}}",
            Hx(u32_at(e, 12).into()),
            Hx(u32_at(e, 16).into()),
            Hx(u32_at(e, 20).into()),
            Hx(u32_at(e, 24).into())
        );
    });
    ctx.push("}");
}

/// `sizeof(struct kvm_run)` and `offsetof(struct kvm_run, exit_reason)` (x86_64).
const KVM_RUN_SIZE: u64 = 2352;
const EXIT_REASON: u64 = 8;

/// The exit reason in the `struct kvm_run` the vCPU descriptor (argument 0) maps (strace's
/// `vcpu_get_info`): the mapping of `anon_inode:kvm-vcpu:N` in the tracee, the name its
/// descriptor links to.
fn exit_reason(ctx: &Ctx<'_>) -> Option<&'static str> {
    let fd = ctx.arg(0) as i32;
    let path = crate::targets::fd_path(ctx.pid, fd)?;
    let path = String::from_utf8(path).ok()?;
    path.strip_prefix("anon_inode:kvm-vcpu:")?;
    let maps = std::fs::read_to_string(format!("/proc/{}/maps", ctx.pid.0)).ok()?;
    let (start, end) = maps.lines().find_map(|line| {
        // start-end perms offset major:minor inode path
        let mut f = line.split_whitespace();
        let range = f.next()?;
        let dev = f.nth(2)?;
        let name = f.nth(1)?;
        if name != path || !dev.starts_with("00:") {
            return None;
        }
        let (s, e) = range.split_once('-')?;
        Some((
            u64::from_str_radix(s, 16).ok()?,
            u64::from_str_radix(e, 16).ok()?,
        ))
    })?;
    if end.saturating_sub(start) < KVM_RUN_SIZE {
        return None;
    }
    let reason = ctx.read::<u32>(start + EXIT_REASON)?;
    Some(text::lookup(x::KVM_EXIT_REASON, reason.into()).unwrap_or("KVM_EXIT_???"))
}
