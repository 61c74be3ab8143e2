//! The console requests of `ioctl/kd.rs`; expected lines as strace 6.1 prints them (from
//! strace's own `tests/ioctl_kd.c` runs).

use libc::EBADF;

use super::{at, call, check, Recorded};

const KDMKTONE: u64 = 0x4b30;
const KDGKBENT: u64 = 0x4b46;
const KDSKBSENT: u64 = 0x4b49;
const GIO_UNIMAP: u64 = 0x4b66;

#[test]
fn tone_prints_its_frequency_and_duration() {
    check(
        call("ioctl", &[3, KDMKTONE, 0xdead_face]).fails(EBADF),
        "ioctl(3, KDMKTONE, 57005<<16|64206 /* 18 Hz, 57005 ms */) = -1 EBADF (Bad file descriptor)",
    );
    check(
        call("ioctl", &[3, KDMKTONE, 0x1_0000]).fails(EBADF),
        "ioctl(3, KDMKTONE, 1<<16|0 /* off */) = -1 EBADF (Bad file descriptor)",
    );
}

#[test]
fn key_entry_names_the_table_and_the_key_read_at_exit() {
    let entry = Recorded::default().bytes(at(0x100), &[1, 69, 0, 0]);
    let done = Recorded::default().bytes(at(0x100), &[1, 69, 0x00, 0x01]);
    check(
        call("ioctl", &[3, KDGKBENT, at(0x100)])
            .returns(0)
            .memory(entry)
            .exit_memory(done),
        "ioctl(3, KDGKBENT, {kb_table=K_SHIFTTAB, kb_index=69, kb_value=0x100 /* K_F1 */}) = 0",
    );
    // A table number beyond the named ones is a set of modifiers; a key without a name
    // is spelled K(type, value).
    let m = Recorded::default().bytes(at(0x100), &[0xa8, 20, 0x14, 0x02]);
    check(
        call("ioctl", &[3, KDGKBENT, at(0x100)]).returns(0).memory(m),
        "ioctl(3, KDGKBENT, {kb_table=1<<KG_ALT|1<<KG_SHIFTR|1<<KG_CTRLR, kb_index=20, kb_value=0x214 /* K(KT_SPEC, 0x14) */}) = 0",
    );
}

#[test]
fn function_key_string_is_cut_at_the_string_limit() {
    let mut b = vec![0x10u8];
    b.extend(b"YZ[\\]^_`abcdefghijklmnopqrstuvwxyz");
    b.push(0);
    check(
        call("ioctl", &[3, KDSKBSENT, at(0x100)])
            .fails(EBADF)
            .memory(Recorded::default().bytes(at(0x100), &b)),
        "ioctl(3, KDSKBSENT, {kb_func=KVAL(K_F17), kb_string=\"YZ[\\\\]^_`abcdefghijklmnopqrstuvwx\"...}) = -1 EBADF (Bad file descriptor)",
    );
}

#[test]
fn unimap_prints_as_many_entries_as_there_were_room_for() {
    // struct unimapdesc: entry_ct 2 at entry, the kernel's count 3 at exit.
    let mut desc = vec![2u8, 0, 0, 0, 0, 0, 0, 0];
    desc.extend(at(0x200).to_ne_bytes());
    let mut done = desc.clone();
    done[0] = 3;
    let pairs = [0x41u8, 0, 1, 0, 0x42, 0, 2, 0];
    check(
        call("ioctl", &[3, GIO_UNIMAP, at(0x100)])
            .returns(0)
            .memory(Recorded::default().bytes(at(0x100), &desc))
            .exit_memory(
                Recorded::default()
                    .bytes(at(0x100), &done)
                    .bytes(at(0x200), &pairs),
            ),
        "ioctl(3, GIO_UNIMAP, {entry_ct=2 => 3, entries=[{unicode=0x41, fontpos=0x1}, {unicode=0x42, fontpos=0x2}]}) = 0",
    );
}
