//! The tracekit library behind the `tracekit` binary: launching commands under the preload
//! libraries, and turning event logs into reports.
//!
//! - [`analysis`] streams logs into per-process heap statistics (the engine);
//! - [`report`] builds the report model, its JSON schema and the text printer;
//! - [`symbols`] symbolizes the backtraces of the sites a report prints;
//! - [`heap`] runs a command under `libpreload_heaptrack.so` and reports on its logs;
//! - [`segv`] runs a command under `libpreload_segv.so` (and symbolizes its crash frames);
//! - [`preload`] is what both launchers share: finding the library, failing to start.
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
