//! Events for tests: one of every kind, with the awkward values a reader, a writer or a JSON
//! form has to get right (invalid UTF-8, quotes and tabs, a build-id with zero bytes, empty
//! and absent fields, negative numbers, `u64::MAX`). Tests of this crate and of its users
//! (`tracekit dump`'s pinned JSON) share them.

use std::borrow::Cow;

use crate::*;

/// One event of each kind, in the order a log would plausibly hold them.
pub fn one_of_each() -> Vec<Event<'static>> {
    vec![
        Event::Process(Process {
            pid: 4242,
            ppid: 1,
            start_unix_ns: 1_700_000_000_000_000_000,
            start_mono_ns: 123_456_789,
            exe: Bytes::borrowed(b"/usr/bin/tr\"ue"),
            cmdline: Bytes::borrowed(b"true\0--flag\0\xff\0"),
            tool: "heaptrack".into(),
            arch: Arch::X86_64,
            clock_res_ns: 4_000_000,
        }),
        Event::Module(Module {
            time_ns: 1,
            base: 0x5555_5555_0000,
            path: "/usr/lib/libé.so".into(),
            build_id: Cow::Borrowed(&[0xde, 0xad, 0x00, 0x0f]),
            segments: Cow::Owned(vec![
                Segment {
                    vaddr: 0,
                    memsz: 0x1000,
                    file_offset: 0,
                    flags: 4,
                },
                Segment {
                    vaddr: 0x1000,
                    memsz: 0x3000,
                    file_offset: 0x1000,
                    flags: 5,
                },
            ]),
        }),
        Event::Module(Module {
            time_ns: 2,
            base: 0,
            path: "[vdso]".into(),
            build_id: Cow::Borrowed(&[]),
            segments: Cow::Borrowed(&[]),
        }),
        Event::ModuleUnload(ModuleUnload {
            time_ns: 6,
            base: 0x7f00_0000_0000,
        }),
        Event::Stack(Stack {
            id: 1,
            frames: Cow::Owned(vec![0x5555_5555_1234, u64::MAX, 0]),
        }),
        Event::Thread(Thread {
            time_ns: 2,
            tid: 4243,
            name: Bytes::borrowed(b"work\ter\x80"),
        }),
        Event::Alloc(Alloc {
            time_ns: 3,
            tid: 4242,
            kind: AllocKind::NewArrayAlignedNothrow,
            ptr: 0x1000,
            size: 500,
            align: 64,
            stack: 1,
        }),
        Event::Free(Free {
            time_ns: 5,
            tid: 4243,
            kind: FreeKind::DeleteArraySized,
            ptr: 0x2000,
            size: 8,
            stack: 0,
        }),
        Event::Realloc(Realloc {
            time_ns: 4,
            tid: 4242,
            kind: AllocKind::Reallocarray,
            old_ptr: 0x1000,
            new_ptr: 0x2000,
            size: 1 << 40,
            stack: 1,
        }),
        Event::Syscall(Syscall {
            pid: 7,
            tid: 8,
            entry_ns: 9,
            exit_ns: 10,
            nr: 257,
            name: "openat".into(),
            args: [u64::MAX, 1, 2, 3, 4, 5],
            ret: Some(-2),
            text: "openat(AT_FDCWD, \"/nope\", O_RDONLY) = -1 ENOENT (No such file or directory)"
                .into(),
        }),
        Event::LibCall(LibCall {
            pid: 7,
            tid: 7,
            entry_ns: 1,
            exit_ns: 0,
            library: "libc.so.6".into(),
            name: "puts".into(),
            ret: None,
            text: "puts(\"hi\")".into(),
        }),
        Event::Signal(Signal {
            time_ns: 1,
            pid: 7,
            tid: 7,
            signo: 17,
            code: -6,
            addr: 0xffff_ffff_ffff_fff0,
        }),
        Event::Crash(Crash {
            time_ns: 11,
            pid: 7,
            tid: 9,
            thread_name: "boom".into(),
            signo: 11,
            code: 1,
            addr: 0,
            access: Access::Exec,
            arch: Arch::X86_64,
            regs: Cow::Owned((0..X86_64_REGS.len() as u64).collect()),
            stack: 1,
            report: "SIGSEGV\n  #0 main\n".into(),
        }),
        Event::Fence(Fence {
            time_ns: 1,
            tid: 2,
            kind: FenceKind::MismatchedFree,
            addr: 3,
            block: 4,
            block_size: 5,
            alloc_stack: 6,
            free_stack: 7,
            access_stack: 8,
        }),
        Event::Exec(Exec {
            time_ns: 12,
            pid: 7,
            path: "/bin/sh".into(),
        }),
        Event::Exit(Exit {
            time_ns: 13,
            pid: 7,
            code: None,
            signal: Some(11),
            freeres: 0,
        }),
        Event::Exit(Exit {
            time_ns: 13,
            pid: 8,
            code: Some(-1),
            signal: None,
            freeres: Exit::FREERES_LIBC | Exit::FREERES_CXX,
        }),
        Event::Leak(Leak {
            time_ns: 14,
            pid: 8,
            layout: Leak::LAYOUT,
            heuristics: 15,
            losses: Cow::Owned(vec![
                LeakLoss {
                    kind: 3,
                    heuristic: 0,
                    stack: 2,
                    bytes: 48,
                    blocks: 3,
                    indirect_bytes: 32,
                },
                LeakLoss {
                    kind: 0,
                    heuristic: 4,
                    stack: 1,
                    bytes: 88,
                    blocks: 1,
                    indirect_bytes: 0,
                },
            ]),
            check: 0,
            cause: 0,
        }),
        // `tracekit pack` puts it after the header; last here, so the others keep their places.
        Event::Symbols(Symbols {
            path: "/usr/lib/libé.so".into(),
            build_id: Cow::Borrowed(&[0xde, 0xad, 0x00, 0x0f]),
            strings: vec![
                "inner".into(),
                "/src/a \"b\".c".into(),
                "outer".into(),
                Bytes::borrowed(b"no symbol\t\xff"),
            ],
            addrs: Cow::Owned(vec![
                SymbolAddr {
                    offset: 0x1233,
                    frames: 2,
                    note: None,
                },
                SymbolAddr {
                    offset: 0x10,
                    frames: 0,
                    note: Some(3),
                },
            ]),
            frames: Cow::Owned(vec![
                SymbolFrame {
                    function: 0,
                    file: Some(1),
                    line: Some(0),
                    column: None,
                    inlined: true,
                },
                SymbolFrame {
                    function: 2,
                    file: Some(1),
                    line: Some(42),
                    column: Some(7),
                    inlined: false,
                },
            ]),
        }),
        // Added after `Symbols`, so the others keep their places.
        Event::Attach(Attach {
            time_ns: 15,
            pid: 4242,
            detached: true,
        }),
    ]
}

/// A seeded xorshift64 generator: the same numbers every run, for tests that draw many
/// random inputs (heap event streams, corrupt files, decoder fuzzing).
#[derive(Debug, Clone)]
pub struct XorShift(u64);

impl XorShift {
    /// A generator started from `seed` (made odd: zero would stay zero).
    pub fn new(seed: u64) -> XorShift {
        XorShift(seed | 1)
    }

    /// The next number.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}
