//! `-c` without a stop per call: counting stubs in the tracee.
//!
//! `-c` needs of a call only that it happened and how long it took. For a traced function
//! whose first instructions can be moved, the entry gets a 5-byte `jmp` to a per-function
//! *prefix* (`mov $k, %r11d; jmp entry`) in a code mapping of ours. The shared `entry` stub
//! checks the caller (the program's calls only, as the breakpoints do) and the thread (the
//! program's first thread only, without `-f`), takes a free *slot* (a bitmap, `lock bts`),
//! keeps the real return address and the time stamp counter there and swaps the return
//! address for the slot's trampoline (`mov $j, %r11d; jmp return`); then it runs the displaced
//! instructions out of line and jumps back into the function. The `return` stub adds the
//! elapsed ticks and one call to the function's counters (`lock add`), frees the slot and jumps
//! to the real return address. No stop, no system call: the tracer reads the counters at the
//! process's stops that remain (its exit event, a breakpoint at `execve`, a signal, detach).
//!
//! The stubs use only the stack below the return address (free at a function's entry and
//! after its return), `r11` (scratch at both) and the flags; every other register is as the
//! program left it. A function qualifies only when its moved instructions can run anywhere
//! (no RIP-relative operand; relative `jmp`/`jcc` are re-encoded) and no direct branch found
//! anywhere in its code mapping targets an instruction start inside the 5 bytes (a
//! byte-pattern scan of every offset: conservative, it may refuse a function that would have
//! been fine; an indirect jump there is not seen). Anything else keeps its `int3`.
//!
//! The template is assembled with the rest of ltrace-rs (`global_asm!`) and copied into the
//! tracee; the data address is patched into its `movabs` placeholders.

use std::arch::global_asm;
use std::collections::HashMap;
use std::rc::Rc;

/// The counting stubs of one address space.
#[derive(Debug, Clone)]
pub struct Stubs {
    /// The code mapping (template, trampolines, per-function code).
    pub code: u64,
    /// The data mapping (slots, function records).
    pub data: u64,
    /// Per function index: its name and its counters (calls, ticks) as last read.
    pub funcs: Vec<(Rc<str>, u64, u64)>,
    /// Patched entry points: their original bytes and the function's index.
    pub patched: HashMap<u64, ([u8; 5], u64)>,
    /// Per function index: the objects (by start address) whose calls count; `None`: any.
    pub from: Vec<Option<Vec<u64>>>,
}

/// Slots: calls that can be outstanding at once (more are counted without their time).
pub const SLOTS: u64 = 256;
/// Functions one address space can have stubs for.
pub const MAX_FUNCS: u64 = 2048;

// The data mapping.
/// Offset of the free-slot bitmap (`SLOTS` bits).
const BITMAP: u64 = 0;
/// Offset of the thread pointer (`%fs:0`) of the only thread whose calls count (0 = any).
pub const MAIN_FS: u64 = 32;
/// Offset of the return trap (the entry point): a call returning there is a tail call of a
/// traced function, not the caller's call.
pub const EXCLUDED: u64 = 40;
/// Offset of the slots: real return address, the function's record, entry ticks, unused.
const SLOTS_AT: u64 = 64;
const SLOT_LEN: u64 = 32;
/// Offset of the function records: calls, ticks, out-of-line code, number of caller ranges
/// (0 = any caller), up to [`MAX_RANGES`] `[lo, hi)` ranges.
pub const FUNCS: u64 = SLOTS_AT + SLOTS * SLOT_LEN;
/// Bytes of a function record.
pub const FUNC_LEN: u64 = 256;
/// Caller ranges a function record holds.
pub const MAX_RANGES: usize = 14;
/// Bytes of the data mapping.
pub const DATA_LEN: u64 = (FUNCS + MAX_FUNCS * FUNC_LEN).div_ceil(4096) * 4096;

// The code mapping.
/// Offset of the return trampolines (the template comes first).
const TRAMPS: u64 = 512;
const TRAMP_LEN: u64 = 16;
/// Offset of the per-function code: prefix, then the moved instructions and a jump back.
const PREFIXES: u64 = TRAMPS + SLOTS * TRAMP_LEN;
/// Bytes of a function's code.
pub const PREFIX_LEN: u64 = 64;
/// Where the moved instructions start in a function's code.
const OOL: u64 = 16;
/// Bytes of the code mapping.
pub const CODE_LEN: u64 = (PREFIXES + MAX_FUNCS * PREFIX_LEN).div_ceil(4096) * 4096;

/// The `movabs` immediate that stands for the data mapping's address in the template.
const PLACEHOLDER: u64 = 0x5a5a_5a5a_5a5a_5a5a;

global_asm!(
    ".pushsection .text.tracekit_ltrace_stubs,\"ax\",@progbits",
    ".p2align 6",
    ".globl tracekit_ltrace_stub_start",
    ".hidden tracekit_ltrace_stub_start",
    "tracekit_ltrace_stub_start:",
    ".Ltk_start:",
    // entry: r11 = the function's index; (%rsp) = the return address.
    "push %rax",
    "push %rcx",
    "push %rdx",
    "movabs ${ph}, %rcx",
    "shl $8, %r11",
    "lea {funcs}(%rcx,%r11), %r11",
    // The thread.
    "mov {main_fs}(%rcx), %rax",
    "test %rax, %rax",
    "jz 1f",
    "cmp %fs:0, %rax",
    "jne 9f",
    "1:",
    // The caller: not the return trap, and in a range when the function has ranges.
    "mov 24(%rsp), %rax",
    "cmp {excluded}(%rcx), %rax",
    "je 9f",
    "mov 24(%r11), %rdx",
    "test %rdx, %rdx",
    "jz 3f",
    // rdx = 16 * the ranges left; range i's lo is at 32 + 16 * i.
    "shl $4, %rdx",
    "2:",
    "cmp 16(%r11,%rdx), %rax",
    "jb 21f",
    "cmp 24(%r11,%rdx), %rax",
    "jb 3f",
    "21:",
    "sub $16, %rdx",
    "jnz 2b",
    "jmp 9f",
    // Counted: a free slot.
    "3:",
    "xor %edx, %edx",
    "4:",
    "mov {bitmap}(%rcx,%rdx,8), %rax",
    "not %rax",
    "bsf %rax, %rax",
    "jz 6f",
    "lock btsq %rax, {bitmap}(%rcx,%rdx,8)",
    "jc 4b",
    "shl $6, %rdx",
    "add %rdx, %rax",
    // rdx = the slot's data, rax = its trampoline.
    "mov %rax, %rdx",
    "shl $5, %rdx",
    "lea {slots}(%rcx,%rdx), %rdx",
    "shl $4, %rax",
    "lea (.Ltk_start + {tramps})(%rip), %rcx",
    "add %rcx, %rax",
    "mov 24(%rsp), %rcx",
    "mov %rcx, (%rdx)",
    "mov %r11, 8(%rdx)",
    "mov %rax, 24(%rsp)",
    "mov %rdx, %rcx",
    "rdtsc",
    "shl $32, %rdx",
    "or %rdx, %rax",
    "mov %rax, 16(%rcx)",
    "jmp 9f",
    "6:",
    "inc %edx",
    "cmp ${words}, %edx",
    "jb 4b",
    // No slot free: counted now, without its time.
    "lock incq (%r11)",
    "9:",
    "mov 16(%r11), %r11",
    "pop %rdx",
    "pop %rcx",
    "pop %rax",
    "jmp *%r11",
    // return: r11 = the slot; the function's return registers are kept.
    ".globl tracekit_ltrace_stub_return",
    ".hidden tracekit_ltrace_stub_return",
    "tracekit_ltrace_stub_return:",
    "push %rax",
    "push %rdx",
    "push %rcx",
    "movabs ${ph}, %rcx",
    "mov %r11, %rax",
    "shl $5, %rax",
    "lea {slots}(%rcx,%rax), %rcx",
    "rdtsc",
    "shl $32, %rdx",
    "or %rdx, %rax",
    "sub 16(%rcx), %rax",
    "mov 8(%rcx), %rdx",
    "lock addq %rax, 8(%rdx)",
    "lock incq (%rdx)",
    "mov (%rcx), %rcx",
    "movabs ${ph}, %rax",
    "lock btrq %r11, {bitmap}(%rax)",
    "mov %rcx, %r11",
    "pop %rcx",
    "pop %rdx",
    "pop %rax",
    "jmp *%r11",
    ".globl tracekit_ltrace_stub_end",
    ".hidden tracekit_ltrace_stub_end",
    "tracekit_ltrace_stub_end:",
    ".popsection",
    ph = const PLACEHOLDER,
    bitmap = const BITMAP,
    funcs = const FUNCS,
    main_fs = const MAIN_FS,
    excluded = const EXCLUDED,
    slots = const SLOTS_AT,
    tramps = const TRAMPS,
    words = const SLOTS / 64,
    options(att_syntax)
);

unsafe extern "C" {
    static tracekit_ltrace_stub_start: u8;
    static tracekit_ltrace_stub_return: u8;
    static tracekit_ltrace_stub_end: u8;
}

/// The template's bytes and the offset of its `return` stub.
fn template() -> (&'static [u8], u64) {
    // SAFETY: the three symbols are labels of one section of this binary's text, in this order
    // (the global_asm above); the bytes between them are code, readable and never written.
    unsafe {
        let start = &raw const tracekit_ltrace_stub_start;
        let ret = &raw const tracekit_ltrace_stub_return;
        let end = &raw const tracekit_ltrace_stub_end;
        let len = end as usize - start as usize;
        (
            std::slice::from_raw_parts(start, len),
            (ret as usize - start as usize) as u64,
        )
    }
}

/// A `jmp rel32` at `at` to `to`, if in reach.
pub fn jmp(at: u64, to: u64) -> Option<[u8; 5]> {
    let rel = i32::try_from(to.wrapping_sub(at + 5) as i64).ok()?;
    let mut b = [0xe9, 0, 0, 0, 0];
    b[1..].copy_from_slice(&rel.to_le_bytes());
    Some(b)
}

/// `mov $v, %r11d; jmp to` at `at`.
fn load_and_jump(at: u64, v: u32, to: u64) -> Vec<u8> {
    let mut b = vec![0x41, 0xbb];
    b.extend_from_slice(&v.to_le_bytes());
    b.extend_from_slice(&jmp(at + 6, to).expect("inside one mapping"));
    b
}

/// The first bytes of the code mapping at `code` for data at `data`: the template, then the
/// return trampolines.
pub fn code_head(code: u64, data: u64) -> Vec<u8> {
    let (tpl, ret) = template();
    assert!(tpl.len() as u64 <= TRAMPS, "the template outgrew its room");
    let mut out = tpl.to_vec();
    let ph = PLACEHOLDER.to_le_bytes();
    let mut i = 0;
    while i + 8 <= out.len() {
        if out[i..i + 8] == ph {
            out[i..i + 8].copy_from_slice(&data.to_le_bytes());
            i += 8;
        } else {
            i += 1;
        }
    }
    out.resize(TRAMPS as usize, 0xcc);
    for j in 0..SLOTS {
        let at = code + TRAMPS + j * TRAMP_LEN;
        let mut t = load_and_jump(at, j as u32, code + ret);
        t.resize(TRAMP_LEN as usize, 0xcc);
        out.extend_from_slice(&t);
    }
    out
}

/// Where function `k`'s prefix is.
pub fn prefix_at(code: u64, k: u64) -> u64 {
    code + PREFIXES + k * PREFIX_LEN
}

/// Where function `k`'s moved instructions run.
pub fn ool_at(code: u64, k: u64) -> u64 {
    prefix_at(code, k) + OOL
}

/// Function `k`'s code: its prefix, then `moved` (the instructions the `jmp` replaces, as
/// [`movable`] made them for [`ool_at`]) and a jump back to `back`. `None` when they are too
/// long.
pub fn func_code(code: u64, k: u64, moved: &[u8], back: u64) -> Option<Vec<u8>> {
    let at = prefix_at(code, k);
    let mut b = load_and_jump(at, k as u32, code);
    b.resize(OOL as usize, 0xcc);
    b.extend_from_slice(moved);
    b.extend_from_slice(&[0xff, 0x25, 0, 0, 0, 0]); // jmp *0(%rip)
    b.extend_from_slice(&back.to_le_bytes());
    (b.len() as u64 <= PREFIX_LEN).then_some(b)
}

/// Function `k`'s record in the data mapping at `data`: out-of-line code at `ool`, callers in
/// `ranges` (none: any caller; at most [`MAX_RANGES`]); counters zero.
pub fn func_record(ranges: &[(u64, u64)], ool: u64) -> [u8; FUNC_LEN as usize] {
    let mut r = [0u8; FUNC_LEN as usize];
    r[16..24].copy_from_slice(&ool.to_le_bytes());
    r[24..].copy_from_slice(&caller_ranges(ranges));
    r
}

/// The caller part of a function record (from offset 24): the number of ranges, the ranges.
pub fn caller_ranges(ranges: &[(u64, u64)]) -> Vec<u8> {
    assert!(ranges.len() <= MAX_RANGES);
    let mut r = (ranges.len() as u64).to_le_bytes().to_vec();
    for &(lo, hi) in ranges {
        r.extend_from_slice(&lo.to_le_bytes());
        r.extend_from_slice(&hi.to_le_bytes());
    }
    r.resize(FUNC_LEN as usize - 24, 0);
    r
}

/// Where function `k`'s record is.
pub fn func_record_at(data: u64, k: u64) -> u64 {
    data + FUNCS + k * FUNC_LEN
}

/// The counters (calls, ticks) of functions `0..n` from the bytes at [`func_record_at`]`(data,
/// 0)`.
pub fn counters(bytes: &[u8]) -> Vec<(u64, u64)> {
    bytes
        .chunks_exact(FUNC_LEN as usize)
        .map(|r| {
            let w = |o: usize| u64::from_le_bytes(r[o..o + 8].try_into().expect("8 bytes"));
            (w(0), w(8))
        })
        .collect()
}

/// The whole instructions at the start of `code` (at address `addr`) that cover the 5 bytes of
/// a `jmp`, as they run at `to`: their length at `addr`, the offsets where the second and later
/// ones start, and their bytes for `to`. Instructions that can run anywhere are copied;
/// relative jumps (`jmp`, `jcc`, rel8 or rel32) get a rel32 for their new place; anything else
/// (RIP-relative operands, calls) refuses.
pub fn movable(code: &[u8], addr: u64, to: u64) -> Option<(usize, Vec<usize>, Vec<u8>)> {
    let mut len = 0;
    let mut starts = Vec::new();
    let mut out = Vec::new();
    // Relative jumps to fix once the moved length is known: (offset in `out`, target).
    let mut fix: Vec<(usize, u64)> = Vec::new();
    while len < 5 {
        if len > 0 {
            starts.push(len);
        }
        let c = code.get(len..)?;
        let at = addr + len as u64;
        if let Some(n) = crate::insn::relocatable_len(c) {
            out.extend_from_slice(&c[..n]);
            len += n;
            continue;
        }
        let rel8 = |n: usize| Some(*c.get(n)? as i8 as i64);
        let rel32 = |n: usize| Some(i32::from_le_bytes(c.get(n..n + 4)?.try_into().ok()?) as i64);
        let (n, opcode, target): (usize, &[u8], u64) = match *c.first()? {
            op @ 0x70..=0x7f => (
                2,
                &[0x0f, op + 0x10][..],
                (at + 2).wrapping_add(rel8(1)? as u64),
            ),
            0xeb => (2, &[0xe9][..], (at + 2).wrapping_add(rel8(1)? as u64)),
            0xe9 => (5, &[0xe9][..], (at + 5).wrapping_add(rel32(1)? as u64)),
            0x0f if (0x80..=0x8f).contains(c.get(1)?) => {
                (6, &c[..2], (at + 6).wrapping_add(rel32(2)? as u64))
            }
            _ => return None,
        };
        out.extend_from_slice(opcode);
        fix.push((out.len(), target));
        out.extend_from_slice(&[0; 4]);
        len += n;
    }
    for (off, target) in fix {
        // A jump back into the moved bytes (or to the entry) would land in the patch.
        if addr <= target && target < addr + len as u64 {
            return None;
        }
        let rel = i32::try_from(target.wrapping_sub(to + off as u64 + 4) as i64).ok()?;
        out[off..off + 4].copy_from_slice(&rel.to_le_bytes());
    }
    Some((len, starts, out))
}

/// Whether any direct branch (`jmp`/`jcc`/`loop` rel8, `jmp`/`call`/`jcc` rel32) encoded in
/// `bytes` (which start at address `base`) could target one of `targets`. Every offset is
/// tried (the code is not decoded): a false alarm only costs a stub. Offsets inside
/// `[skip_lo, skip_hi)` (the moved instructions) are skipped.
pub fn branch_into(bytes: &[u8], base: u64, targets: &[u64], skip: (u64, u64)) -> bool {
    let all = branch_targets(bytes, base);
    targets.iter().any(|t| {
        all.get(t)
            .is_some_and(|from| from.iter().any(|&f| f < skip.0 || f >= skip.1))
    })
}

/// Every address a direct branch encoded at any offset of `bytes` (at `base`) could target, with
/// where those branches are (see [`branch_into`]); for a whole mapping at once.
pub fn branch_targets(bytes: &[u8], base: u64) -> HashMap<u64, Vec<u64>> {
    let mut out: HashMap<u64, Vec<u64>> = HashMap::new();
    for o in 0..bytes.len() {
        let at = base + o as u64;
        let b = bytes[o];
        let rel8 = |n: usize| bytes.get(o + n).map(|&d| d as i8 as i64);
        let rel32 = |n: usize| {
            bytes
                .get(o + n..o + n + 4)
                .map(|d| i32::from_le_bytes(d.try_into().expect("4 bytes")) as i64)
        };
        let t = match b {
            0x70..=0x7f | 0xeb | 0xe0..=0xe3 => rel8(1).map(|d| (at + 2).wrapping_add(d as u64)),
            0xe8 | 0xe9 => rel32(1).map(|d| (at + 5).wrapping_add(d as u64)),
            0x0f if bytes.get(o + 1).is_some_and(|n| (0x80..=0x8f).contains(n)) => {
                rel32(2).map(|d| (at + 6).wrapping_add(d as u64))
            }
            _ => None,
        };
        if let Some(t) = t {
            out.entry(t).or_default().push(at);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_fits_and_has_its_data_address_patched() {
        let (tpl, ret) = template();
        assert!(tpl.len() as u64 <= TRAMPS && ret < tpl.len() as u64);
        let ph = PLACEHOLDER.to_le_bytes();
        let count = |b: &[u8], w: &[u8]| b.windows(8).filter(|x| *x == w).count();
        assert_eq!(count(tpl, &ph), 3, "three movabs of the data address");
        let data = 0x7f00_1234_5000u64;
        let head = code_head(0x7f00_0000_0000, data);
        assert_eq!(count(&head, &ph), 0);
        assert_eq!(count(&head, &data.to_le_bytes()), 3);
        assert_eq!(head.len() as u64, PREFIXES);
        // Trampoline 5: mov $5,%r11d; jmp to the return stub.
        let t = &head[(TRAMPS + 5 * TRAMP_LEN) as usize..];
        assert_eq!(&t[..6], &[0x41, 0xbb, 5, 0, 0, 0]);
        let rel = i32::from_le_bytes(t[7..11].try_into().unwrap()) as i64;
        assert_eq!(
            (TRAMPS + 5 * TRAMP_LEN + 11) as i64 + rel,
            ret as i64,
            "jumps to the return stub"
        );
    }

    #[test]
    fn a_functions_code_jumps_to_the_entry_stub_and_back() {
        let code = 0x7000_0000_0000u64;
        let moved = [0xf3, 0x0f, 0x1e, 0xfa, 0x55];
        let b = func_code(code, 3, &moved, 0x7100_0000_0005).unwrap();
        assert_eq!(ool_at(code, 3), prefix_at(code, 3) + OOL);
        assert_eq!(&b[..6], &[0x41, 0xbb, 3, 0, 0, 0]);
        let rel = i32::from_le_bytes(b[7..11].try_into().unwrap()) as i64;
        assert_eq!(prefix_at(code, 3) as i64 + 11 + rel, code as i64);
        assert_eq!(&b[16..21], &[0xf3, 0x0f, 0x1e, 0xfa, 0x55]);
        assert_eq!(&b[21..27], &[0xff, 0x25, 0, 0, 0, 0]);
        assert_eq!(
            u64::from_le_bytes(b[27..35].try_into().unwrap()),
            0x7100_0000_0005
        );
        assert!(jmp(0, 1 << 32).is_none());
        assert_eq!(jmp(0x1000, 0x1000), Some([0xe9, 0xfb, 0xff, 0xff, 0xff]));
    }

    #[test]
    fn moved_instructions_cover_five_bytes() {
        // endbr64; push %rbp; mov %rsp,%rbp
        let (addr, to) = (0x7f00_0000_1000u64, 0x7f00_4000_0010u64);
        let c = [0xf3, 0x0f, 0x1e, 0xfa, 0x55, 0x48, 0x89, 0xe5];
        assert_eq!(movable(&c, addr, to), Some((5, vec![4], c[..5].to_vec())));
        // mov %edi,%eax; mov %edi,%edx; ...: three instructions.
        let c = [0x89, 0xf8, 0x89, 0xfa, 0x48, 0x85, 0xff, 0];
        assert_eq!(
            movable(&c, addr, to),
            Some((7, vec![2, 4], c[..7].to_vec()))
        );
        // endbr64; mov x(%rip),%rax: not movable.
        let c = [0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x8b, 0x05, 1, 2, 3, 4];
        assert_eq!(movable(&c, addr, to), None);
        // free: test %rdi,%rdi; je +0xbf (rel32): the je gets a displacement for its new place.
        let c = [0x48, 0x85, 0xff, 0x0f, 0x84, 0xbf, 0, 0, 0, 0x55];
        let (len, starts, out) = movable(&c, addr, to).unwrap();
        assert_eq!((len, starts), (9, vec![3]));
        assert_eq!(&out[..5], &c[..5]);
        let rel = i32::from_le_bytes(out[5..9].try_into().unwrap()) as i64;
        assert_eq!(to as i64 + 9 + rel, (addr + 9 + 0xbf) as i64);
        // jne rel8 becomes jne rel32.
        let c = [0x85, 0xff, 0x75, 0x10, 0x90];
        let (len, _, out) = movable(&c, addr, to).unwrap();
        assert_eq!((len, &out[..4]), (4 + 1, &[0x85, 0xff, 0x0f, 0x85][..]));
        let rel = i32::from_le_bytes(out[4..8].try_into().unwrap()) as i64;
        assert_eq!(to as i64 + 8 + rel, (addr + 4 + 0x10) as i64);
        // A jump back into the moved bytes: refused.
        let c = [0x85, 0xff, 0x75, 0xfc, 0x90];
        assert_eq!(movable(&c, addr, to), None);
    }

    #[test]
    fn branches_into_the_jump_are_found() {
        let base = 0x1000u64;
        // A loop back to base + 4 (after endbr64) from base + 0x20: jmp rel8 -0x1e.
        let mut code = vec![0x90u8; 0x40];
        code[0x20] = 0xeb;
        code[0x21] = (0x1004i64 - 0x1022) as i8 as u8;
        assert!(branch_into(&code, base, &[base + 4], (base, base + 5)));
        assert!(!branch_into(&code, base, &[base + 3], (base, base + 5)));
        // jne rel32 to base + 4 from base + 0x30.
        let mut code = vec![0x90u8; 0x40];
        code[0x30] = 0x0f;
        code[0x31] = 0x85;
        let d = (0x1004i64 - 0x1036) as i32;
        code[0x32..0x36].copy_from_slice(&d.to_le_bytes());
        assert!(branch_into(&code, base, &[base + 4], (base, base + 5)));
        // The same bytes inside the moved instructions do not count.
        assert!(!branch_into(
            &code,
            base,
            &[base + 4],
            (base + 0x30, base + 0x36)
        ));
    }
}
