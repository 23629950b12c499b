//! The myid file on the volume (`volume::parse_myid`, `volume::decide`).
//! Properties: an id is the trimmed content as a positive number; what an
//! invalid myid quotes is escaped and at most 40 characters; every refusal
//! is one line.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use zkpod::start::volume::{decide, parse_myid, Myid, Volume};

fuzz_target!(|data: &[u8]| {
    let content = String::from_utf8_lossy(data);
    let myid = parse_myid(&content);
    match &myid {
        Myid::Id(n) => {
            assert!(*n > 0);
            assert_eq!(content.trim().parse::<u32>().ok(), Some(*n));
        }
        Myid::Invalid(shown) => {
            assert!(shown.chars().count() <= 40, "{shown:?}");
            assert!(!shown.contains(|c: char| c.is_control()), "{shown:?}");
        }
        Myid::Absent => unreachable!("parse_myid never says absent"),
    }
    let vol = Volume {
        myid,
        myid_bytes: data.to_vec(),
        data: Vec::new(),
    };
    if let Err(e) = decide(&vol, 1, false, Path::new("/var/lib/zookeeper/data"), "zk-0") {
        assert!(!e.to_string().contains('\n'), "{e}");
    }
});
