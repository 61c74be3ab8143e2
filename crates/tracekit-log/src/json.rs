//! The JSON form of events (`tracekit dump`), with serde: `{"type":"alloc","time_ns":3,...}`.
//!
//! The event types live in `tracekit-log-core`, which has no dependencies (so a `no_std`
//! preload library can link it), so they cannot derive `Serialize` themselves: this module
//! mirrors them with serde's [remote derive](https://serde.rs/remote-derive.html), and
//! [`Json`] wraps an event for `serde_json`. Each mirror names every field of its type (a
//! compile-time check below fails when a field is added to the type and not here). Formats:
//! byte strings ([`Bytes`]) are strings with invalid UTF-8 replaced, the code enums
//! ([`AllocKind`], [`Access`]...) are their names, a build-id is lowercase hex, and the event's
//! kind is the `"type"` field, in snake case. A `Symbols` record is shown as stored: its frames
//! name functions and files by their index in its `strings`.
//!
//! ```
//! use tracekit_log::{json::Json, Event, Exit};
//! let ev = Event::Exit(Exit { time_ns: 5, pid: 42, code: None, signal: Some(11), freeres: 0 });
//! assert_eq!(
//!     serde_json::to_string(&Json(&ev)).unwrap(),
//!     r#"{"type":"exit","time_ns":5,"pid":42,"code":null,"signal":11,"freeres":0}"#
//! );
//! ```

use std::borrow::Cow;

use serde::ser::{SerializeSeq, Serializer};
use serde::Serialize;

use crate::*;

/// An event (or any event type: `Json(&alloc)`) as serde sees it: `serde_json::to_writer(out,
/// &Json(&event))`.
#[derive(Debug, Clone, Copy)]
pub struct Json<'e, T: ?Sized>(pub &'e T);

/// The event types that have a JSON form.
pub trait ToJson {
    /// Serializes `self` as [`Json`] does.
    fn to_json<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error>;
}

impl<T: ToJson + ?Sized> Serialize for Json<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.to_json(s)
    }
}

impl ToJson for Event<'_> {
    fn to_json<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        EventDef::serialize(self, s)
    }
}

fn bytes<S: Serializer>(b: &Bytes<'_>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&b.to_string_lossy())
}

#[allow(clippy::ptr_arg)] // serde's `serialize_with` passes the field's own type
fn hex<S: Serializer>(b: &Cow<'_, [u8]>, s: S) -> Result<S::Ok, S::Error> {
    let mut out = String::with_capacity(b.len() * 2);
    for byte in b.iter() {
        out.push_str(&format!("{byte:02x}"));
    }
    s.serialize_str(&out)
}

#[allow(clippy::ptr_arg)] // serde's `serialize_with` passes the field's own type
fn segments<S: Serializer>(segs: &Cow<'_, [Segment]>, s: S) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(segs.len()))?;
    for seg in segs.iter() {
        seq.serialize_element(&Json(seg))?;
    }
    seq.end()
}

#[allow(clippy::ptr_arg)] // serde's `serialize_with` passes the field's own type
fn strings<S: Serializer>(v: &Vec<Bytes<'_>>, s: S) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(v.len()))?;
    for b in v {
        seq.serialize_element(&Json(b))?;
    }
    seq.end()
}

/// A slice of mirrored values (a `Symbols` record's addresses and frames).
fn each<T: ToJson, S: Serializer>(v: &[T], s: S) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(v.len()))?;
    for x in v {
        seq.serialize_element(&Json(x))?;
    }
    seq.end()
}

#[allow(clippy::ptr_arg)] // serde's `serialize_with` passes the field's own type
fn symbol_addrs<S: Serializer>(v: &Cow<'_, [SymbolAddr]>, s: S) -> Result<S::Ok, S::Error> {
    each(v, s)
}

#[allow(clippy::ptr_arg)] // serde's `serialize_with` passes the field's own type
fn leak_losses<S: Serializer>(v: &Cow<'_, [LeakLoss]>, s: S) -> Result<S::Ok, S::Error> {
    each(v, s)
}

#[allow(clippy::ptr_arg)] // serde's `serialize_with` passes the field's own type
fn symbol_frames<S: Serializer>(v: &Cow<'_, [SymbolFrame]>, s: S) -> Result<S::Ok, S::Error> {
    each(v, s)
}

/// The code enums: their names.
macro_rules! by_name {
    ($($name:ident => $f:ident),* $(,)?) => {$(
        fn $f<S: Serializer>(v: &$name, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_str(v.name())
        }
        impl ToJson for $name {
            fn to_json<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                $f(self, s)
            }
        }
    )*};
}

by_name! {
    AllocKind => alloc_kind,
    FreeKind => free_kind,
    Access => access,
    FenceKind => fence_kind,
    Arch => arch,
    NoteKind => note_kind,
    MapOp => map_op,
}

impl ToJson for Bytes<'_> {
    fn to_json<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        bytes(self, s)
    }
}

/// Mirrors an event type for serde (`$def` serializes a `$ty`) and makes it [`ToJson`]. The
/// destructuring without `..` is the compile-time check that the mirror names every field.
macro_rules! mirror {
    ($(
        $remote:literal $ty:ident $(<$lt:lifetime>)? as $def:ident {
            $($(#[$fa:meta])* $field:ident: $fty:ty,)*
        }
    )*) => {$(
        #[derive(Serialize)]
        #[serde(remote = $remote)]
        struct $def $(<$lt>)? {
            $($(#[$fa])* $field: $fty,)*
        }

        impl $(<$lt>)? ToJson for $ty $(<$lt>)? {
            fn to_json<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                $def::serialize(self, s)
            }
        }

        const _: () = {
            #[allow(dead_code)]
            fn names_every_field $(<$lt>)? (v: &$ty $(<$lt>)?) {
                let $ty { $($field: _,)* } = v;
            }
        };
    )*};
}

mirror! {
    "Process" Process<'a> as ProcessDef {
        pid: u32,
        ppid: u32,
        start_unix_ns: u64,
        start_mono_ns: u64,
        clock_res_ns: u64,
        #[serde(serialize_with = "bytes")]
        exe: Bytes<'a>,
        #[serde(serialize_with = "bytes")]
        cmdline: Bytes<'a>,
        #[serde(serialize_with = "bytes")]
        tool: Bytes<'a>,
        #[serde(serialize_with = "arch")]
        arch: Arch,
    }

    "Segment" Segment as SegmentDef {
        vaddr: u64,
        memsz: u64,
        file_offset: u64,
        flags: u32,
    }

    "Module" Module<'a> as ModuleDef {
        time_ns: u64,
        base: u64,
        #[serde(serialize_with = "bytes")]
        path: Bytes<'a>,
        #[serde(serialize_with = "hex")]
        build_id: Cow<'a, [u8]>,
        #[serde(serialize_with = "segments")]
        segments: Cow<'a, [Segment]>,
    }

    "ModuleUnload" ModuleUnload as ModuleUnloadDef {
        time_ns: u64,
        base: u64,
    }

    "Stack" Stack<'a> as StackDef {
        id: u64,
        frames: Cow<'a, [u64]>,
    }

    "Thread" Thread<'a> as ThreadDef {
        time_ns: u64,
        tid: u32,
        #[serde(serialize_with = "bytes")]
        name: Bytes<'a>,
    }

    "Alloc" Alloc as AllocDef {
        time_ns: u64,
        tid: u32,
        #[serde(serialize_with = "alloc_kind")]
        kind: AllocKind,
        ptr: u64,
        size: u64,
        align: u64,
        stack: u64,
    }

    "Free" Free as FreeDef {
        time_ns: u64,
        tid: u32,
        #[serde(serialize_with = "free_kind")]
        kind: FreeKind,
        ptr: u64,
        size: u64,
        stack: u64,
    }

    "Realloc" Realloc as ReallocDef {
        time_ns: u64,
        tid: u32,
        #[serde(serialize_with = "alloc_kind")]
        kind: AllocKind,
        old_ptr: u64,
        new_ptr: u64,
        size: u64,
        stack: u64,
    }

    "Syscall" Syscall<'a> as SyscallDef {
        pid: u32,
        tid: u32,
        entry_ns: u64,
        exit_ns: u64,
        nr: u64,
        #[serde(serialize_with = "bytes")]
        name: Bytes<'a>,
        args: [u64; 6],
        ret: Option<i64>,
        #[serde(serialize_with = "bytes")]
        text: Bytes<'a>,
    }

    "LibCall" LibCall<'a> as LibCallDef {
        pid: u32,
        tid: u32,
        entry_ns: u64,
        exit_ns: u64,
        #[serde(serialize_with = "bytes")]
        library: Bytes<'a>,
        #[serde(serialize_with = "bytes")]
        name: Bytes<'a>,
        ret: Option<i64>,
        #[serde(serialize_with = "bytes")]
        text: Bytes<'a>,
    }

    "Signal" Signal as SignalDef {
        time_ns: u64,
        pid: u32,
        tid: u32,
        signo: u32,
        code: i32,
        addr: u64,
    }

    "Crash" Crash<'a> as CrashDef {
        time_ns: u64,
        pid: u32,
        tid: u32,
        #[serde(serialize_with = "bytes")]
        thread_name: Bytes<'a>,
        signo: u32,
        code: i32,
        addr: u64,
        #[serde(serialize_with = "access")]
        access: Access,
        #[serde(serialize_with = "arch")]
        arch: Arch,
        regs: Cow<'a, [u64]>,
        stack: u64,
        #[serde(serialize_with = "bytes")]
        report: Bytes<'a>,
    }

    "Fence" Fence as FenceDef {
        time_ns: u64,
        tid: u32,
        #[serde(serialize_with = "fence_kind")]
        kind: FenceKind,
        addr: u64,
        block: u64,
        block_size: u64,
        alloc_stack: u64,
        free_stack: u64,
        access_stack: u64,
    }

    "Exec" Exec<'a> as ExecDef {
        time_ns: u64,
        pid: u32,
        #[serde(serialize_with = "bytes")]
        path: Bytes<'a>,
    }

    "Exit" Exit as ExitDef {
        time_ns: u64,
        pid: u32,
        code: Option<i32>,
        signal: Option<u32>,
        freeres: u32,
    }

    "LeakLoss" LeakLoss as LeakLossDef {
        kind: u8,
        heuristic: u8,
        stack: u64,
        bytes: u64,
        blocks: u64,
        indirect_bytes: u64,
    }

    "Leak" Leak<'a> as LeakDef {
        time_ns: u64,
        pid: u32,
        layout: u32,
        heuristics: u8,
        #[serde(serialize_with = "leak_losses")]
        losses: Cow<'a, [LeakLoss]>,
        check: u32,
        cause: u8,
    }

    "Attach" Attach as AttachDef {
        time_ns: u64,
        pid: u32,
        detached: bool,
    }

    "ModuleNote" ModuleNote<'a> as ModuleNoteDef {
        #[serde(serialize_with = "bytes")]
        path: Bytes<'a>,
        #[serde(serialize_with = "note_kind")]
        kind: NoteKind,
        #[serde(serialize_with = "bytes")]
        name: Bytes<'a>,
        #[serde(serialize_with = "bytes")]
        symbol: Bytes<'a>,
    }

    "Region" Region<'a> as RegionDef {
        time_ns: u64,
        tid: u32,
        #[serde(serialize_with = "bytes")]
        name: Bytes<'a>,
    }

    "Mapping" Mapping as MappingDef {
        time_ns: u64,
        tid: u32,
        #[serde(serialize_with = "map_op")]
        op: MapOp,
        addr: u64,
        len: u64,
        new_addr: u64,
        new_len: u64,
        stack: u64,
    }

    "MemorySample" MemorySample as MemorySampleDef {
        time_ns: u64,
        resident: u64,
        size: u64,
        data: u64,
    }

    "SymbolAddr" SymbolAddr as SymbolAddrDef {
        offset: u64,
        frames: u32,
        note: Option<u32>,
    }

    "SymbolFrame" SymbolFrame as SymbolFrameDef {
        function: u32,
        file: Option<u32>,
        line: Option<u32>,
        column: Option<u32>,
        inlined: bool,
    }

    "Symbols" Symbols<'a> as SymbolsDef {
        #[serde(serialize_with = "bytes")]
        path: Bytes<'a>,
        #[serde(serialize_with = "hex")]
        build_id: Cow<'a, [u8]>,
        #[serde(serialize_with = "strings")]
        strings: Vec<Bytes<'a>>,
        #[serde(serialize_with = "symbol_addrs")]
        addrs: Cow<'a, [SymbolAddr]>,
        #[serde(serialize_with = "symbol_frames")]
        frames: Cow<'a, [SymbolFrame]>,
    }
}

/// `Event` is `#[non_exhaustive]`: a kind added to it and not here serializes as an error
/// (serde's remote derive adds that arm), and `every_kind_has_a_json_form` below fails.
#[derive(Serialize)]
#[serde(remote = "Event", tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
enum EventDef<'a> {
    Process(#[serde(with = "ProcessDef")] Process<'a>),
    Module(#[serde(with = "ModuleDef")] Module<'a>),
    ModuleUnload(#[serde(with = "ModuleUnloadDef")] ModuleUnload),
    Stack(#[serde(with = "StackDef")] Stack<'a>),
    Thread(#[serde(with = "ThreadDef")] Thread<'a>),
    Alloc(#[serde(with = "AllocDef")] Alloc),
    Free(#[serde(with = "FreeDef")] Free),
    Realloc(#[serde(with = "ReallocDef")] Realloc),
    Syscall(#[serde(with = "SyscallDef")] Syscall<'a>),
    LibCall(#[serde(with = "LibCallDef")] LibCall<'a>),
    Signal(#[serde(with = "SignalDef")] Signal),
    Crash(#[serde(with = "CrashDef")] Crash<'a>),
    Fence(#[serde(with = "FenceDef")] Fence),
    Exec(#[serde(with = "ExecDef")] Exec<'a>),
    Exit(#[serde(with = "ExitDef")] Exit),
    Symbols(#[serde(with = "SymbolsDef")] Symbols<'a>),
    Leak(#[serde(with = "LeakDef")] Leak<'a>),
    Attach(#[serde(with = "AttachDef")] Attach),
    ModuleNote(#[serde(with = "ModuleNoteDef")] ModuleNote<'a>),
    Region(#[serde(with = "RegionDef")] Region<'a>),
    Mapping(#[serde(with = "MappingDef")] Mapping),
    MemorySample(#[serde(with = "MemorySampleDef")] MemorySample),
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every event kind the codec knows (a payload of zeros or of ones decodes under each
    /// full tag) has a JSON form: an `Event` variant added to the core and not mirrored here
    /// fails this.
    #[test]
    fn every_kind_has_a_json_form() {
        let mut kinds = 0;
        for t in 0..=u8::MAX {
            let ev = [[0u8; 256], [1u8; 256]]
                .iter()
                .find_map(|p| crate::decode(t, p).ok().flatten());
            if let Some(ev) = ev {
                let text = serde_json::to_string(&Json(&ev))
                    .unwrap_or_else(|e| panic!("tag {t}: {e}: {ev:?}"));
                assert!(text.starts_with("{\"type\":\""), "{text}");
                kinds += 1;
            }
        }
        assert_eq!(kinds, 22);
    }

    #[test]
    fn parts_serialize_alone() {
        let seg = Segment {
            vaddr: 1,
            memsz: 2,
            file_offset: 3,
            flags: 5,
        };
        assert_eq!(
            serde_json::to_string(&Json(&seg)).unwrap(),
            r#"{"vaddr":1,"memsz":2,"file_offset":3,"flags":5}"#
        );
        assert_eq!(
            serde_json::to_string(&Json(&AllocKind::New)).unwrap(),
            r#""operator new""#
        );
        assert_eq!(
            serde_json::to_string(&Json(&Bytes::borrowed(b"a\xffb"))).unwrap(),
            "\"a\u{fffd}b\""
        );
    }
}
