//! The length of an x86-64 instruction, for running a function's first instruction out of line
//! (a copy in a scratch page followed by a jump back) instead of single-stepping over the
//! breakpoint that replaced it. Only what function entries contain is decoded: prefixes, REX,
//! VEX and EVEX, the one-, two- and three-byte opcode maps. Instructions whose meaning depends
//! on where they are (RIP-relative operands, relative jumps and calls) are refused, as is
//! anything not understood: the caller then single-steps.

/// The length of the instruction at the start of `code` when it can run anywhere, else `None`.
pub fn relocatable_len(code: &[u8]) -> Option<usize> {
    let mut i = 0;
    let mut opsize16 = false;
    let mut rex_w = false;
    // Legacy prefixes.
    while let Some(&b) = code.get(i) {
        match b {
            0x66 => opsize16 = true,
            0x67 | 0xf2 | 0xf3 | 0x2e | 0x36 | 0x3e | 0x26 | 0x64 | 0x65 | 0xf0 => {}
            _ => break,
        }
        i += 1;
        if i > 14 {
            return None;
        }
    }
    let b = *code.get(i)?;
    if (0x40..=0x4f).contains(&b) {
        rex_w = b & 8 != 0;
        i += 1;
    }
    let op = *code.get(i)?;
    i += 1;
    let len = match op {
        // VEX, 2 bytes: map 0f.
        0xc5 => {
            let opc = *code.get(i + 1)?;
            i += 2;
            if opc == 0x77 {
                Some(i) // vzeroupper / vzeroall
            } else {
                modrm(code, i, 0)
            }
        }
        // VEX, 3 bytes: the map is in the low bits of the first payload byte.
        0xc4 => {
            let map = *code.get(i)? & 0x1f;
            let opc = *code.get(i + 2)?;
            i += 3;
            match map {
                1 if opc == 0x77 => Some(i),
                1 | 2 => modrm(code, i, 0),
                3 => modrm(code, i, 1),
                _ => None,
            }
        }
        // EVEX: 4 bytes of prefix, then opcode and ModRM.
        0x62 => {
            let map = *code.get(i)? & 0x7;
            i += 4;
            match map {
                1 | 2 | 5 | 6 => modrm(code, i, 0),
                3 => modrm(code, i, 1),
                _ => None,
            }
        }
        0x0f => two_byte(code, i),
        _ => one_byte(code, i, op, opsize16, rex_w),
    }?;
    (len <= 15 && len <= code.len()).then_some(len)
}

fn imm_z(opsize16: bool) -> usize {
    if opsize16 {
        2
    } else {
        4
    }
}

fn one_byte(code: &[u8], i: usize, op: u8, opsize16: bool, rex_w: bool) -> Option<usize> {
    match op {
        // ALU r/m forms.
        0x00..=0x3f if op & 7 < 4 && !matches!(op, 0x26 | 0x2e | 0x36 | 0x3e) => modrm(code, i, 0),
        // ALU al/eax, imm.
        0x00..=0x3f if op & 7 == 4 => Some(i + 1),
        0x00..=0x3f if op & 7 == 5 => Some(i + imm_z(opsize16)),
        0x50..=0x5f
        | 0x90..=0x99
        | 0x9c
        | 0x9d
        | 0xc3
        | 0xc9
        | 0xcc
        | 0xf4
        | 0xf5
        | 0xf8..=0xfd => Some(i),
        0x63 | 0x84..=0x8f | 0xd0..=0xd3 | 0xfe | 0xff => {
            if op == 0xff {
                // ff /2 and /3 are indirect calls: they push where they are.
                let reg = (*code.get(i)? >> 3) & 7;
                if reg == 2 || reg == 3 {
                    return None;
                }
            }
            modrm(code, i, 0)
        }
        0x69 | 0x81 | 0xc7 => modrm(code, i, imm_z(opsize16)),
        0x6b | 0x80 | 0x83 | 0xc0 | 0xc1 | 0xc6 => modrm(code, i, 1),
        0x68 => Some(i + 4),
        0x6a | 0xa8 | 0xb0..=0xb7 => Some(i + 1),
        0xa9 => Some(i + imm_z(opsize16)),
        0xb8..=0xbf => Some(i + if rex_w { 8 } else { imm_z(opsize16) }),
        0xc2 => Some(i + 2),
        0xf6 | 0xf7 => {
            let reg = (*code.get(i)? >> 3) & 7;
            let imm = match (reg, op) {
                (0 | 1, 0xf6) => 1,
                (0 | 1, _) => imm_z(opsize16),
                _ => 0,
            };
            modrm(code, i, imm)
        }
        // Relative jumps and calls (70-7f, e0-e3, e8, e9, eb) and everything else.
        _ => None,
    }
}

fn two_byte(code: &[u8], i: usize) -> Option<usize> {
    let op = *code.get(i)?;
    let i = i + 1;
    match op {
        0x38 => modrm(code, i + 1, 0),
        0x3a => modrm(code, i + 1, 1),
        0x05 | 0x0b | 0x31 | 0xa2 => Some(i),
        0x70..=0x73 | 0xa4 | 0xac | 0xba | 0xc2 | 0xc4..=0xc6 => modrm(code, i, 1),
        0x10..=0x1f
        | 0x28..=0x2f
        | 0x40..=0x6f
        | 0x74..=0x76
        | 0x7e
        | 0x7f
        | 0x90..=0x9f
        | 0xa3
        | 0xab
        | 0xaf
        | 0xb0..=0xb1
        | 0xb3
        | 0xb6..=0xb7
        | 0xbb..=0xbf
        | 0xc0
        | 0xc1
        | 0xc7
        | 0xd0..=0xfe => modrm(code, i, 0),
        // 0f 80-8f: jcc rel32; the rest is not expected at a function entry.
        _ => None,
    }
}

/// The end of an instruction whose ModRM byte is at `i`, followed by `imm` bytes; `None` for
/// a RIP-relative operand.
fn modrm(code: &[u8], i: usize, imm: usize) -> Option<usize> {
    let m = *code.get(i)?;
    let (md, rm) = (m >> 6, m & 7);
    let mut end = i + 1;
    if md == 3 {
        return Some(end + imm);
    }
    if rm == 4 {
        let sib = *code.get(end)?;
        end += 1;
        if md == 0 && sib & 7 == 5 {
            end += 4;
        }
    } else if md == 0 && rm == 5 {
        return None; // RIP-relative
    }
    end += match md {
        1 => 1,
        2 => 4,
        _ => 0,
    };
    Some(end + imm)
}

#[cfg(test)]
mod tests {
    use super::relocatable_len as len;

    #[test]
    fn function_entries_of_libc() {
        assert_eq!(len(&[0x89, 0xf8, 0x48]), Some(2)); // mov %edi,%eax
        assert_eq!(len(&[0x48, 0x89, 0xf8, 0x48]), Some(3)); // mov %rdi,%rax
        assert_eq!(len(&[0x41, 0x54, 0x55]), Some(2)); // push %r12
        assert_eq!(len(&[0x48, 0x85, 0xff, 0x0f]), Some(3)); // test %rdi,%rdi
        assert_eq!(len(&[0x48, 0x83, 0xec, 0x08, 0xba]), Some(4)); // sub $8,%rsp
        assert_eq!(len(&[0x48, 0x81, 0xec, 0xd8, 0, 0, 0, 0x48]), Some(7)); // sub $0xd8,%rsp
        assert_eq!(len(&[0xc5, 0xf9, 0xef, 0xc0]), Some(4)); // vpxor %xmm0,%xmm0,%xmm0
        assert_eq!(len(&[0xc4, 0x41, 0x01, 0xef, 0xff, 0x89]), Some(5)); // vpxor
        assert_eq!(len(&[0xf3, 0x0f, 0x1e, 0xfa]), Some(4)); // endbr64
        assert_eq!(len(&[0x62, 0xe1, 0xfd, 0x28, 0x6f, 0x06]), Some(6)); // vmovdqu64 (%rsi)
        assert_eq!(len(&[0x55]), Some(1)); // push %rbp
        assert_eq!(len(&[0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8]), Some(10)); // movabs
        assert_eq!(len(&[0x8b, 0x44, 0x24, 0x08]), Some(4)); // mov 8(%rsp),%eax
        assert_eq!(len(&[0xf7, 0xc7, 1, 0, 0, 0]), Some(6)); // test $1,%edi
    }

    #[test]
    fn position_dependent_instructions_are_refused() {
        assert_eq!(len(&[0x48, 0x8b, 0x05, 1, 2, 3, 4]), None); // mov x(%rip),%rax
        assert_eq!(len(&[0xe9, 1, 2, 3, 4]), None); // jmp rel32
        assert_eq!(len(&[0xe8, 1, 2, 3, 4]), None); // call rel32
        assert_eq!(len(&[0x74, 0x10]), None); // je
        assert_eq!(len(&[0x0f, 0x84, 1, 2, 3, 4]), None); // je rel32
        assert_eq!(len(&[0xff, 0x15, 1, 2, 3, 4]), None); // call *x(%rip)
        assert_eq!(len(&[0x48]), None); // truncated
    }
}
