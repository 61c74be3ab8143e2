//! Reading a log on two threads: one reads, decompresses and decodes (a second thread, spawned
//! for the log), the other (the caller's) does the accounting. The decoding thread hands the
//! events over in batches of at most [`BATCH`], through a channel that holds at most
//! [`IN_FLIGHT`] of them; the batches go back to it empty to be filled again, so memory stays a
//! few batches whatever the log's length. The order of the events is the log's.
//!
//! Decoding and decompressing are about two fifths of the instructions of reading a heap log,
//! the accounting the rest, so on two cores the wall time is about the accounting's; the
//! hand-over (each event written to a batch and read back) adds about a tenth of the work.
//! On one core, or when every core is busy ([`worth_it`] says no), the analysis keeps its fused
//! loop.

use std::io::Read;
use std::sync::mpsc::{self, Receiver, SyncSender};

use tracekit_log::delta::HeapEvent;
use tracekit_log::{Error, Event, Reader, Record};

/// Events per batch: the batches in flight stay in the cores' caches.
pub(super) const BATCH: usize = 16384;
/// Batches waiting in the channel at most (besides one being filled and one being counted).
const IN_FLIGHT: usize = 2;

/// One event as the decoding thread hands it over, in log order. (`Copy`: a batch is emptied
/// without a pass over its items.)
#[derive(Clone, Copy)]
pub(super) enum Item {
    /// A heap event (of a batch record or a record of its own): the frequent case.
    Heap(HeapEvent),
    /// Any other event (rare: processes, modules, stacks, ...): its index in
    /// [`Batch::others`].
    Other(u32),
}

/// Events handed over together.
#[derive(Default)]
pub(super) struct Batch {
    /// The events, in log order.
    pub items: Vec<Item>,
    /// The events other than heap events, which `items` points to.
    pub others: Vec<Event<'static>>,
}

impl Batch {
    fn with_capacity(n: usize) -> Self {
        Batch {
            items: Vec::with_capacity(n),
            others: Vec::new(),
        }
    }

    fn clear(&mut self) {
        self.items.clear();
        self.others.clear();
    }

    fn len(&self) -> usize {
        self.items.len()
    }
}

/// What the decoding thread found at the end.
pub(super) struct End {
    /// Where the log ended in damage, if it did.
    pub result: Result<(), Error>,
    /// Records skipped because this build does not know them.
    pub skipped: u64,
}

/// A second core is there to use: this process may run on two or more CPUs, and fewer tasks
/// than that are runnable right now, this one included (`/proc/loadavg`'s fourth field). On a
/// machine whose cores are all busy the decoding thread seldom gets one of its own: the two
/// threads then cost a tenth more CPU time (and a context switch a batch) for no wall time
/// saved, measured under load 4-6 on two cores.
pub(super) fn worth_it() -> bool {
    let Ok(cpus) = std::thread::available_parallelism() else {
        return false;
    };
    if cpus.get() < 2 {
        return false;
    }
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| runnable(&l))
        .is_none_or(|running| running < cpus.get())
}

/// The tasks runnable now, from `/proc/loadavg` (`0.52 0.58 0.59 2/467 12345`: the 2).
fn runnable(loadavg: &str) -> Option<usize> {
    loadavg
        .split_whitespace()
        .nth(3)?
        .split('/')
        .next()?
        .parse()
        .ok()
}

/// Reads `reader` to its end on a thread of its own, calling `take` with each batch of events
/// on this one, in order; returns how the log ended.
pub(super) fn run<R: Read + Send>(reader: Reader<R>, mut take: impl FnMut(&Batch)) -> End {
    std::thread::scope(|scope| {
        let (full_tx, full_rx) = mpsc::sync_channel(IN_FLIGHT);
        let (empty_tx, empty_rx) = mpsc::channel();
        let decoder = std::thread::Builder::new()
            .name("tracekit-decode".into())
            .spawn_scoped(scope, move || decode(reader, full_tx, empty_rx));
        let decoder = match decoder {
            Ok(d) => d,
            Err(e) => {
                return End {
                    result: Err(Error {
                        offset: 0,
                        kind: tracekit_log::ErrorKind::Io(e),
                    }),
                    skipped: 0,
                }
            }
        };
        for mut batch in full_rx {
            take(&batch);
            batch.clear();
            // The decoding thread may have finished: the batch is then dropped here.
            let _ = empty_tx.send(batch);
        }
        match decoder.join() {
            Ok(end) => end,
            Err(panic) => std::panic::resume_unwind(panic),
        }
    })
}

/// The decoding thread: every event of `reader`, in batches to `full`, reusing the batches
/// that come back on `empty`.
fn decode<R: Read>(mut reader: Reader<R>, full: SyncSender<Batch>, empty: Receiver<Batch>) -> End {
    let fresh = || {
        empty
            .try_recv()
            .unwrap_or_else(|_| Batch::with_capacity(BATCH))
    };
    let mut batch = fresh();
    let result = loop {
        match reader.next_record() {
            Ok(Some(Record::Heap(h))) => {
                batch.items.push(Item::Heap(h));
                // The rest of the batch record, as much as the batch has room for at a time.
                loop {
                    let room = BATCH - batch.len();
                    let items = &mut batch.items;
                    let got = reader.next_heap_events(room, |h| items.push(Item::Heap(h)));
                    if got < room {
                        break;
                    }
                    if full.send(std::mem::replace(&mut batch, fresh())).is_err() {
                        // The accounting stopped: nobody wants the rest.
                        return End {
                            result: Ok(()),
                            skipped: reader.skipped(),
                        };
                    }
                }
            }
            Ok(Some(Record::Event(ev))) => {
                let item = match ev {
                    Event::Alloc(a) => Item::Heap(HeapEvent::Alloc(a)),
                    Event::Free(f) => Item::Heap(HeapEvent::Free(f)),
                    Event::Realloc(r) => Item::Heap(HeapEvent::Realloc(r)),
                    other => {
                        batch.others.push(other.into_owned());
                        Item::Other((batch.others.len() - 1) as u32)
                    }
                };
                batch.items.push(item);
            }
            Ok(None) => break Ok(()),
            Err(e) => break Err(e),
        }
        if batch.len() >= BATCH && full.send(std::mem::replace(&mut batch, fresh())).is_err() {
            break Ok(());
        }
    };
    if batch.len() != 0 {
        let _ = full.send(batch);
    }
    End {
        result,
        skipped: reader.skipped(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn runnable_tasks_from_loadavg() {
        assert_eq!(super::runnable("0.52 0.58 0.59 2/467 12345\n"), Some(2));
        assert_eq!(super::runnable("4.10 3.00 2.50 11/900 7"), Some(11));
        assert_eq!(super::runnable("garbage"), None);
    }
}
