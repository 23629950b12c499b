//! Flag and environment values with a grammar of their own: `--servers`,
//! `--timeout`, the four-letter word of `zkpod 4lw`, and the hostname with
//! `--myid`/`--id-offset` (`identity::decide`). Properties: accepted values
//! are in their documented ranges (a timeout from 1 ms to 1 h); an identity
//! is inside the ensemble, and two pods of one ensemble never get one id
//! (the ids of --id-offset and --servers never wrap: issue 8); a refusal is
//! one line without control characters; nothing panics.
#![no_main]

use std::time::Duration;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use zkpod::client::endpoint::parse_duration;
use zkpod::client::fourlw::parse_word;
use zkpod::config::settings::parse_servers;
use zkpod::start::identity::{decide, parse_pod_name, IdInput};

#[derive(Arbitrary, Debug)]
struct Case {
    value: String,
    hostname: String,
    myid: Option<u32>,
    offset: u32,
    servers: String,
}

fuzz_target!(|c: Case| {
    if let Ok(n) = parse_servers(&c.value) {
        assert!((1..=255).contains(&n));
    }
    if let Ok(d) = parse_duration(&c.value) {
        // 82e-90 passed as 0ns before issue 8 (found here).
        assert!(
            d >= Duration::from_millis(1) && d <= Duration::from_secs(3600),
            "{d:?}"
        );
    }
    if let Ok(w) = parse_word(&c.value) {
        assert!(w.iter().all(u8::is_ascii_lowercase));
    }
    if let Some(p) = parse_pod_name(&c.hostname) {
        let short = c.hostname.split('.').next().unwrap_or("");
        assert_eq!(short, format!("{}-{}", p.base, p.ordinal));
    }
    // --servers and --id-offset as the CLI accepts them (1..=255, 1..).
    let (Ok(servers), true) = (parse_servers(&c.servers), c.offset >= 1) else {
        return;
    };
    let myid = c.myid.filter(|&m| m >= 1);
    // Dynamic membership (scalable) admits ids beyond --servers; static
    // never does.
    let scalable = c.hostname.len().is_multiple_of(2);
    match decide(IdInput {
        hostname: &c.hostname,
        explicit: myid,
        offset: c.offset,
        servers,
        scalable,
    }) {
        Ok(id) => {
            assert!(id.myid >= c.offset);
            assert!(scalable || u64::from(id.myid) < u64::from(c.offset) + u64::from(servers));
            // Another pod of the same StatefulSet gets another id.
            if let (None, Some(p)) = (myid, &id.pod) {
                if p.ordinal > 0 {
                    let other = format!("{}-{}", p.base, p.ordinal - 1);
                    if let Ok(o) = decide(IdInput {
                        hostname: &other,
                        explicit: None,
                        offset: c.offset,
                        servers,
                        scalable,
                    }) {
                        assert_ne!(o.myid, id.myid, "{other} and {} share an id", c.hostname);
                    }
                }
            }
        }
        Err(e) => assert!(!e.to_string().chars().any(|ch| ch.is_control()), "{e}"),
    }
});
