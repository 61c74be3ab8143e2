//! Symbolizing real binaries from examples/ and the test process itself.

use std::path::Path;
use std::process::Command;

use tracekit_log::{Bytes, Module};
use tracekit_symbolize::*;

fn file_module(path: &Path, base: u64, build_id: Option<Vec<u8>>) -> Module<'static> {
    let info = elf_info(path).unwrap();
    Module {
        time_ns: 0,
        base,
        path: Bytes::owned(path.to_str().unwrap().as_bytes().to_vec()),
        build_id: build_id.unwrap_or(info.build_id).into(),
        segments: info.segments.into(),
    }
}

fn symbol_addr(exe: &Path, name: &str) -> u64 {
    let out = Command::new("nm")
        .arg(exe)
        .output()
        .expect("nm (binutils) is installed");
    let nm = String::from_utf8(out.stdout).unwrap();
    let line = nm
        .lines()
        .find(|l| l.ends_with(&format!(" {name}")))
        .expect("symbol in nm output");
    u64::from_str_radix(line.split(' ').next().unwrap(), 16).unwrap()
}

#[test]
fn inlined_frames_come_innermost_first_with_their_own_lines() {
    let exe = tracekit_examples::path("sym_inline");
    let base = 0x5555_0000_0000;
    let mut map = ModuleMap::new();
    map.push(file_module(&exe, base, None));
    let outer = symbol_addr(&exe, "outer");
    let mut sym = Symbolizer::new();
    let loc = sym.symbolize(&mut map, base + outer, AddrKind::Exact);
    let names: Vec<_> = loc.frames.iter().map(|f| f.function.as_str()).collect();
    assert_eq!(names, ["inner", "outer"], "{loc:?}");
    assert_eq!(loc.frames[0].line, Some(3));
    assert!(loc.frames[0].inlined);
    assert_eq!(loc.frames[1].line, Some(4));
    assert!(!loc.frames[1].inlined);
    assert!(loc.frames[1]
        .file
        .as_deref()
        .unwrap()
        .ends_with("examples/c/sym_inline.c"));
    assert_eq!(loc.frames[1].function_offset, Some(0));
    assert_eq!(loc.module_offset, outer);
    assert_eq!(loc.function(), "inner");
}

#[test]
fn return_addresses_name_the_calling_line() {
    // A return address just past the last instruction of `outer` belongs to the next
    // function; looked up as a return address it still names `outer`.
    let exe = tracekit_examples::path("sym_inline");
    let mut map = ModuleMap::new();
    map.push(file_module(&exe, 0, None));
    let mut sym = Symbolizer::new();
    let main = symbol_addr(&exe, "main");
    let as_return = sym.symbolize(&mut map, main, AddrKind::Return);
    let exact = sym.symbolize(&mut map, main, AddrKind::Exact);
    assert_eq!(exact.frames.last().unwrap().function, "main");
    assert_ne!(
        as_return.frames.last().map(|f| f.function.as_str()),
        Some("main")
    );
}

#[test]
fn rebuilt_binary_is_not_symbolized_with_the_wrong_file() {
    let exe = tracekit_examples::path("sym_inline");
    let mut map = ModuleMap::new();
    map.push(file_module(&exe, 0, Some(vec![1, 2, 3, 4, 5, 6, 7, 8])));
    let mut sym = Symbolizer::with_debug_root("/nonexistent");
    let loc = sym.symbolize(&mut map, symbol_addr(&exe, "outer"), AddrKind::Exact);
    assert!(loc.frames.is_empty());
    assert!(loc.note.unwrap().contains("build-id differs"));
}

#[inline(never)]
fn a_rust_function_with_a_long_name() -> u64 {
    a_rust_function_with_a_long_name as fn() -> u64 as usize as u64
}

#[test]
fn live_process_rust_symbols_are_demangled_with_lines() {
    let mut map = ModuleMap::from_proc_maps(std::process::id()).unwrap();
    let mut sym = Symbolizer::new();
    let loc = sym.symbolize(
        &mut map,
        a_rust_function_with_a_long_name(),
        AddrKind::Exact,
    );
    let f = loc.frames.last().expect("symbolized");
    assert!(
        f.function.ends_with("a_rust_function_with_a_long_name"),
        "{f:?}"
    );
    assert!(
        f.file.as_deref().unwrap().ends_with("symbolize.rs"),
        "{f:?}"
    );
    assert!(f.line.is_some());
    // libc has no debug info here, but its dynamic symbols still name functions.
    let getpid = libc_getpid as unsafe extern "C" fn() -> i32 as usize as u64;
    let loc = sym.symbolize(&mut map, getpid, AddrKind::Exact);
    assert!(
        loc.module.as_deref().unwrap().contains("libc.so"),
        "{loc:?}"
    );
    assert!(loc.function().contains("getpid"), "{loc:?}");
}

extern "C" {
    #[link_name = "getpid"]
    fn libc_getpid() -> i32;
}

#[test]
fn unknown_address_says_so() {
    let mut map = ModuleMap::new();
    let loc = Symbolizer::new().symbolize(&mut map, 0x1234, AddrKind::Exact);
    assert_eq!(loc.function(), "??");
    assert!(loc.module.is_none());
}
