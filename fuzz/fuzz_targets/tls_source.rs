//! `tls.source` in the conf dir (`config::tls_source`), which the probes
//! read back to refresh the TLS stores. Properties: no panic on any bytes;
//! a parsed record rendered again through the Properties encoder parses to
//! the same (or the encoder refuses a control character an escape made);
//! any source and name rendered parse back exactly, and the text is ASCII.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zkpod::config::tls_source::{parse, render, State};

fuzz_target!(|data: &[u8]| {
    if let Some(s) = parse(data) {
        if let Ok(out) = render(&s) {
            assert_eq!(parse(out.as_bytes()), Some(s), "{out}");
        }
    }
    let text = String::from_utf8_lossy(data);
    let (source, name) = text.split_once('\0').unwrap_or((&text, ""));
    let s = State {
        source: source.into(),
        name: (!name.is_empty()).then(|| name.to_string()),
    };
    match render(&s) {
        Ok(out) => {
            assert!(out.is_ascii(), "{out}");
            if source.is_empty() {
                assert_eq!(parse(out.as_bytes()), None);
            } else {
                assert_eq!(parse(out.as_bytes()), Some(s), "{out}");
            }
        }
        Err(why) => {
            assert!(why.starts_with("tls.source entry '"), "{why}");
            assert!(!why.contains(['\n', '\r']), "{why}");
        }
    }
});
