//! Every decoder fed random calls (issue 13's fuzzing): random arguments (small numbers,
//! flags, pointers into random memory, pointers into nothing, garbage), random tracee memory,
//! a result or an error. A decoder must print something and never panic: a real tracee
//! can hand strace-rs any of this. Seeded (every run tries the same calls);
//! `TRACEKIT_FUZZ_ITERS` rounds over all decoders (CI: 20; `bench/fuzz.sh` runs more).

use tracekit_log::fixtures::XorShift;

use super::*;

/// An argument a tracee might pass.
fn arg(rng: &mut XorShift) -> u64 {
    match rng.next() % 8 {
        0 => 0,
        1 => rng.next() % 16,
        2 => rng.next() % 4096,
        // Into the random memory, anywhere in it (reads may run off its end).
        3 | 4 => BASE + rng.next() % (MEMORY as u64 + 64),
        5 => u64::MAX - rng.next() % 4096,
        6 => (rng.next() % 0x1_0000_0000) as u32 as i32 as i64 as u64,
        _ => rng.next(),
    }
}

const MEMORY: usize = 64 << 10;

fn memory(rng: &mut XorShift) -> Recorded {
    let mut bytes = vec![0u8; MEMORY];
    for chunk in bytes.chunks_mut(8) {
        let w = rng.next().to_ne_bytes();
        // Some zeros and small values too, so strings end and counts stay plausible.
        let w = match rng.next() % 4 {
            0 => [0; 8],
            1 => (rng.next() % 64).to_ne_bytes(),
            _ => w,
        };
        chunk.copy_from_slice(&w[..chunk.len()]);
    }
    Recorded::default().bytes(BASE, &bytes)
}

fn random_call(rng: &mut XorShift, c: Call) -> Call {
    let args: Vec<u64> = (0..6).map(|_| arg(rng)).collect();
    let mut c = Call {
        args: args.try_into().expect("six"),
        ..c
    };
    c.memory = memory(rng);
    if rng.next().is_multiple_of(3) {
        c.exit_memory = Some(memory(rng));
    }
    c.result = match rng.next() % 3 {
        0 => Some(Err(-((1 + rng.next() % 133) as i64))),
        1 => Some(Ok((rng.next() % 4096) as i64)),
        _ => Some(Ok(arg(rng) as i64)),
    };
    c.sp = BASE + rng.next() % MEMORY as u64;
    c.previous = rng.next() % 450;
    c
}

#[test]
fn every_decoder_survives_random_calls() {
    let rounds: u64 = std::env::var("TRACEKIT_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let mut rng = XorShift::new(0x2545_f491_4f6c_dd1d);
    let x86_64: Vec<&'static str> = crate::sysent::table()
        .iter()
        .flatten()
        .map(|s| s.name)
        .filter(|n| super::super::decoder(n).is_some())
        .collect();
    let i386: Vec<&'static str> = (0..crate::sysent32::TABLE_LEN as u64)
        .map(crate::sysent32::name)
        .filter(|n| crate::sysent32::decoder(n).is_some())
        .map(|n| &*Box::leak(n.into_boxed_str()))
        .collect();
    assert!(
        x86_64.len() > 200 && i386.len() > 20,
        "{} {}",
        x86_64.len(),
        i386.len()
    );
    let mut calls = 0u64;
    for _ in 0..rounds {
        for &name in &x86_64 {
            let line = random_call(&mut rng, call(name, &[])).line();
            assert!(line.starts_with(name), "{line}");
            calls += 1;
        }
        for &name in &i386 {
            let line = random_call(&mut rng, call32(name, &[])).line();
            assert!(line.starts_with(name), "{line}");
            calls += 1;
        }
    }
    eprintln!("{calls} random calls decoded");
}
