//! The tracekit library behind the `tracekit` binary: launching commands under the preload
//! libraries, and turning event logs into reports. It knows nothing of the command line: the
//! binary's `cli` module parses arguments into the plain configs each module takes
//! ([`heap::HeapConfig`], [`report::Config`], [`segv::SegvConfig`], ...).
//!
//! - [`analysis`] streams logs through passes (heap, crashes, fence findings, system calls),
//!   each gathering what its model needs (the engine);
//! - [`model`] is the report as data, one model per pass (serialized: the JSON schema);
//! - [`export`] writes a model in a [`export::Format`] (text, JSON, collapsed stacks);
//! - [`report`] is `tracekit report`: logs to analysis to model to formats, and the gates;
//! - [`symbols`] symbolizes the backtraces of the sites a report prints;
//! - [`heap`] runs a command under `libpreload_heaptrack.so` and reports on its logs;
//! - [`segv`] runs a command under `libpreload_segv.so`; [`segv::symbolizer`] is the crash
//!   handler's call back to name its frames;
//! - [`preload`] is the one launcher: finding a library, `LD_PRELOAD`, failing to start.
//! - [`diff`] is `tracekit diff`: two runs' reports compared site by site, with gates;
//! - [`pack`] writes the symbols of a log's stacks into it, so it reports without the binaries.

pub mod analysis;
pub mod diff;
pub mod dump;
pub mod efence;
pub mod export;
pub mod heap;
pub mod model;
pub mod pack;
pub mod pertest;
pub mod preload;
pub mod report;
pub mod segv;
pub mod size;
pub mod symbols;
pub mod top;
