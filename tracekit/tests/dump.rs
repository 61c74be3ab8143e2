//! `tracekit dump`'s JSON lines, pinned byte for byte (an insta snapshot): one event of each
//! kind, with the awkward values (invalid UTF-8, a build-id, empty and absent fields, negative
//! numbers, `u64::MAX`), written to a log and dumped as the command does. The JSON is a schema
//! people script against; a change to it must show up here.

use tracekit_log::fixtures::one_of_each;
use tracekit_log::*;

#[test]
fn dump_json_of_every_event_kind_is_pinned() {
    let mut w = FileWriter::new(Vec::new(), Codec::Stored).unwrap();
    for e in one_of_each() {
        w.write(&e).unwrap();
    }
    let log = w.finish().unwrap();
    let mut out = Vec::new();
    assert!(tracekit::dump::dump(&log[..], &mut out).unwrap());
    let text = String::from_utf8(out).unwrap();
    assert_eq!(text.lines().count(), one_of_each().len());
    insta::assert_snapshot!(text);
}
