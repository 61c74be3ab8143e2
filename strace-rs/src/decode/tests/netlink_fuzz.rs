//! Netlink messages of every protocol strace-rs decodes, made of random but well-framed
//! parts (headers, family bytes, fixed headers, nested attributes of random types and
//! lengths, truncated at random) and of plain random bytes, in every `-X` style: the decoders
//! must print something and never panic (a tracee can send any of this on a netlink socket).
//! The syscall fuzzing in `fuzz.rs` does not reach them: they run only on netlink sockets.

use tracekit_log::fixtures::XorShift;

use super::*;
use crate::text::XlatStyle;

/// Random nested attributes of up to `depth` levels, `budget` bytes at most.
fn attrs(rng: &mut XorShift, depth: u32, budget: usize, out: &mut Vec<u8>) {
    let start = out.len();
    while out.len() - start + 4 < budget && !rng.next().is_multiple_of(4) {
        let at = out.len();
        out.extend_from_slice(&[0, 0, 0, 0]);
        let typ = match rng.next() % 8 {
            0..=3 => rng.next() % 16,
            4 | 5 => rng.next() % 64,
            6 => [18, 12, 22, 26, 43, 7, 8, 19, 20][(rng.next() % 9) as usize],
            _ => rng.next() % 0x10000,
        } as u16;
        if depth > 0 && rng.next().is_multiple_of(2) {
            attrs(rng, depth - 1, budget / 2, out);
        } else if rng.next().is_multiple_of(5) {
            // A link kind, so that the data attributes after it are decoded by kind.
            let kind: &[u8] = [&b"bridge\0"[..], b"tun\0", b"can\0"][(rng.next() % 3) as usize];
            out.extend_from_slice(kind);
        } else {
            let n = (rng.next() % 160) as usize;
            out.extend((0..n).map(|_| (rng.next() % 256) as u8));
        }
        let len = out.len() - at;
        let shown = if rng.next().is_multiple_of(8) {
            (rng.next() % 0x10000) as u16
        } else {
            len as u16
        };
        out[at..at + 2].copy_from_slice(&shown.to_ne_bytes());
        out[at + 2..at + 4].copy_from_slice(&typ.to_ne_bytes());
        while !out.len().is_multiple_of(4) {
            out.push(0);
        }
    }
}

/// One or more messages of netlink `protocol`.
fn messages(rng: &mut XorShift, protocol: u32) -> Vec<u8> {
    let mut out = Vec::new();
    for _ in 0..1 + rng.next() % 3 {
        let at = out.len();
        let typ: u16 = match (protocol, rng.next() % 4) {
            (_, 0) => (rng.next() % 20) as u16,
            (0, 1) => [16, 20, 24, 28, 36, 48, 84, 92, 96, 104][(rng.next() % 10) as usize],
            (0, _) => (16 + rng.next() % 100) as u16,
            (4, _) => (16 + rng.next() % 8) as u16,
            (12, _) => (((rng.next() % 14) << 8) | (rng.next() % 30)) as u16,
            _ => (16 + rng.next() % 40) as u16,
        };
        let flags = (rng.next() % 0x1000) as u16;
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&typ.to_ne_bytes());
        out.extend_from_slice(&flags.to_ne_bytes());
        out.extend_from_slice(&(rng.next() as u32).to_ne_bytes());
        out.extend_from_slice(&(rng.next() as u32).to_ne_bytes());
        let family = [0u8, 1, 2, 7, 10, 16, 17, 28, 43, 128, 129][(rng.next() % 11) as usize];
        // Mostly a header of the size the decoders expect for the type and family, so that
        // the attributes after it are reached: (protocol, type, family, header size).
        const PATHS: [(u32, u16, u8, usize); 12] = [
            (0, 16, 0, 16),
            (0, 16, 7, 16),
            (0, 16, 10, 16),
            (0, 94, 0, 12),
            (0, 104, 2, 8),
            (0, 36, 0, 20),
            (0, 48, 2, 4),
            (0, 84, 7, 8),
            (0, 96, 128, 4),
            (4, 20, 43, 64),
            (4, 20, 2, 72),
            (4, 20, 17, 32),
        ];
        let path = PATHS[(rng.next() % PATHS.len() as u64) as usize];
        let (family, fixed) = if path.0 == protocol && rng.next().is_multiple_of(2) {
            out[at + 4..at + 6].copy_from_slice(&path.1.to_ne_bytes());
            if protocol == 4 {
                // An answer: no NLM_F_REQUEST.
                out[at + 6] &= !1;
            }
            (path.2, path.3 - 1)
        } else {
            let fixed = [0usize, 3, 7, 11, 15, 19, 27, 47, 51, 63, 71][(rng.next() % 11) as usize];
            (family, fixed)
        };
        out.push(family);
        out.extend((0..fixed).map(|_| (rng.next() % 256) as u8));
        while !out.len().is_multiple_of(4) {
            out.push(0);
        }
        attrs(rng, 4, 1024, &mut out);
        let len = (out.len() - at) as u32;
        out[at..at + 4].copy_from_slice(&len.to_ne_bytes());
    }
    out
}

#[test]
fn netlink_decoders_survive_random_messages() {
    let rounds: u64 = std::env::var("TRACEKIT_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(20)
        * 20;
    let mut rng = XorShift::new(0x6a09_e667_f3bc_c909);
    let mut printed = 0usize;
    for round in 0..rounds {
        for protocol in [0u32, 4, 6, 7, 9, 12, 15, 16, 21, u32::MAX] {
            let mut bytes = if round % 5 == 4 {
                (0..rng.next() % 512)
                    .map(|_| (rng.next() % 256) as u8)
                    .collect()
            } else {
                messages(&mut rng, protocol)
            };
            // Sometimes the buffer ends early, or the length says more than there is.
            let len = match rng.next() % 4 {
                0 => rng.next() % (bytes.len() as u64 + 1),
                1 => bytes.len() as u64 + rng.next() % 64,
                _ => bytes.len() as u64,
            };
            bytes.truncate(len as usize);
            let memory = Recorded::default().bytes(BASE, &bytes);
            for (style, verbose) in [
                (XlatStyle::Abbrev, false),
                (XlatStyle::Raw, false),
                (XlatStyle::Verbose, true),
            ] {
                let opts = DecodeOpts {
                    xlat: style,
                    verbose,
                    ..DecodeOpts::default()
                };
                let mut ctx = Ctx::new(Pid(0), &memory, 44, [0; 6], &opts);
                super::super::netlink::decode(&mut ctx, protocol, BASE, len);
                assert!(!ctx.out.is_empty(), "protocol {protocol}: nothing printed");
                printed += ctx.out.len();
            }
        }
    }
    eprintln!("{printed} bytes of netlink decoding printed");
}
