//! The myid file on the volume (`volume::parse_myid`, `volume::decide`),
//! any bytes. Properties: an id is exactly the digits of a number from 1 to
//! 4294967295 with at most one line end after them (ZooKeeper cannot read
//! anything else); what an invalid myid shows is a quoted, escaped prefix of
//! at most 16 bytes (a myid symlinked to a secret must not leak it); every
//! refusal is one line.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use zkpod::start::volume::{decide, parse_myid, Myid, Volume};

fuzz_target!(|data: &[u8]| {
    let myid = parse_myid(data);
    let body = data
        .strip_suffix(b"\r\n")
        .or_else(|| data.strip_suffix(b"\n"))
        .unwrap_or(data);
    match &myid {
        Myid::Id(n) => {
            assert!(*n > 0);
            assert!(
                !body.is_empty() && body.iter().all(u8::is_ascii_digit),
                "{data:?}"
            );
            assert_eq!(
                std::str::from_utf8(body).unwrap().parse::<u32>().ok(),
                Some(*n)
            );
        }
        Myid::Invalid { shown, why } => {
            assert!(
                shown.starts_with('\'') && shown.ends_with('\''),
                "{shown:?}"
            );
            // 16 bytes at most, each shown as at most \u{10ffff}.
            assert!(shown.chars().count() <= 2 + 16 * 10, "{shown:?}");
            assert!(!shown.chars().any(|c| c.is_control()), "{shown:?}");
            assert!(!why.is_empty());
            let digits_only = !body.is_empty() && body.iter().all(u8::is_ascii_digit);
            assert!(
                !digits_only || why.contains("ids start at 1") || why.contains("larger"),
                "{data:?}: {why}"
            );
        }
        Myid::Absent | Myid::Unreadable(_) => unreachable!("parse_myid reads bytes that exist"),
    }
    let vol = Volume { myid, data: None };
    if let Err(e) = decide(&vol, 1, false, Path::new("/var/lib/zookeeper/data"), "zk-0") {
        let m = e.to_string();
        assert!(!m.chars().any(|c| c.is_control()), "{m:?}");
    }
});
