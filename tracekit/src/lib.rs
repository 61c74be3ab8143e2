//! The tracekit library behind the `tracekit` binary: launching commands under the preload
//! libraries, and turning event logs into reports. It knows nothing of the command line: the
//! binary's `cli` module parses arguments into the plain configs each module takes
//! ([`heap::HeapConfig`], [`report::Config`], [`segv::SegvConfig`], ...).
//!
//! - [`analysis`] streams logs into per-process heap statistics (the engine);
//! - [`report`] builds the report model, its JSON schema and the text printer;
//! - [`symbols`] symbolizes the backtraces of the sites a report prints;
//! - [`heap`] runs a command under `libpreload_heaptrack.so` and reports on its logs;
//! - [`segv`] runs a command under `libpreload_segv.so`; [`segv::symbolizer`] is the crash
//!   handler's call back to name its frames;
//! - [`preload`] is the one launcher: finding a library, `LD_PRELOAD`, failing to start.
//! - [`pack`] writes the symbols of a log's stacks into it, so it reports without the binaries.

pub mod analysis;
pub mod dump;
pub mod heap;
pub mod pack;
pub mod preload;
pub mod report;
pub mod segv;
pub mod size;
pub mod symbols;
