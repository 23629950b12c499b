//! The Properties encoder and parser (`config::properties`): any keys and
//! values written through `Writer` are read back exactly by the faithful
//! parser (held to Java's own by tests/properties_java.rs), as one line
//! each, in ASCII; a key or value with a control character is refused,
//! never written; any bytes parse without panicking, and what parses, written
//! again, parses the same (a fixpoint); `parse_entry` agrees with the reader.
#![no_main]

use std::collections::BTreeMap;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zkpod::config::properties::{first_control, parse, parse_entry, parse_str, to_map, Writer};

#[derive(Arbitrary, Debug)]
struct Case {
    entries: Vec<(String, String)>,
    comment: String,
    raw: Vec<u8>,
    line: String,
}

fuzz_target!(|c: Case| {
    let mut w = Writer::new();
    let comment_ok = w.comment(&c.comment).is_ok();
    assert_eq!(comment_ok, first_control(&c.comment).is_none());
    let mut meant = BTreeMap::new();
    let mut written = 0;
    for (k, v) in &c.entries {
        let control = first_control(k).or_else(|| first_control(v));
        match w.entry(k, v) {
            Ok(_) => {
                assert!(control.is_none());
                meant.insert(k.clone(), v.clone());
                written += 1;
            }
            Err(r) => assert_eq!(Some(r), control),
        }
    }
    let text = w.finish();
    assert!(text.is_ascii(), "{text:?}");
    assert_eq!(
        text.lines().count(),
        written + usize::from(comment_ok),
        "{text:?}"
    );
    assert_eq!(to_map(parse(text.as_bytes()).unwrap()), meant, "{text:?}");

    if let Ok(entries) = parse(&c.raw) {
        let map = to_map(entries);
        let mut w = Writer::new();
        let kept: BTreeMap<String, String> = map
            .into_iter()
            .filter(|(k, v)| w.entry(k, v).is_ok())
            .collect();
        assert_eq!(to_map(parse(w.finish().as_bytes()).unwrap()), kept);
    }

    if let Ok((k, v)) = parse_entry(&c.line) {
        assert_eq!(parse_str(&c.line).unwrap(), vec![(k, v)], "{:?}", c.line);
    }
});
