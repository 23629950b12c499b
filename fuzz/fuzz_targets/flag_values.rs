//! Flag and environment values with a grammar of their own: `--servers`,
//! `--timeout`, the four-letter word of `zkpod 4lw`, and the hostname with
//! `--myid`/`--id-offset` (`identity::decide`). Properties: accepted values
//! are in their documented ranges (but see the timeout's lower bound); an
//! identity is inside the ensemble; a
//! refusal is one line (unless it echoes a hostname with a line break:
//! issue 8); nothing panics.
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
        // Not "at least 1ms" as its message says: 82e-90 passes as 0ns (found
        // here; issue 8 lists "--timeout 0.0001 is accepted").
        assert!(d <= Duration::from_secs(3600), "{d:?}");
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
        }
        Err(e) => assert!(
            c.hostname.contains(['\n', '\r']) || !e.to_string().contains('\n'),
            "{e}"
        ),
    }
});
