//! /proc/self/status (`user::parse_cap_eff`, `missing_caps`). Properties:
//! the capability set is the first `CapEff:` line's hex value, and nothing
//! is missing exactly when CAP_CHOWN, CAP_SETGID and CAP_SETUID are all in it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zkpod::start::user::{missing_caps, parse_cap_eff};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let caps = parse_cap_eff(&text);
    let first = text.lines().find_map(|l| l.strip_prefix("CapEff:"));
    assert_eq!(
        caps,
        first.and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
    );
    if let Some(c) = caps {
        let all = (1 << 0) | (1 << 6) | (1 << 7);
        assert_eq!(missing_caps(c, true, true).is_empty(), c & all == all);
        assert!(missing_caps(c, false, false).is_empty());
    }
});
