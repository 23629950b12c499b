//! zoo.cfg as the probes read it (`zoocfg::parse`, `client_endpoint`), on
//! any bytes. Properties: parsing is a fixpoint (the parsed settings written
//! back as `key=value` lines parse to the same settings), and the endpoint
//! agrees with the parsed clientPort and clientPortAddress.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zkpod::config::{keys, zoocfg};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let parsed = zoocfg::parse(&text);
    let again: String = parsed.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    assert_eq!(zoocfg::parse(&again), parsed, "not a fixpoint: {again:?}");

    let (addr, port) = zoocfg::client_endpoint(&text);
    assert_eq!(
        port,
        parsed
            .get(keys::CLIENT_PORT.name)
            .and_then(|p| p.parse().ok())
    );
    if let Some(a) = addr {
        assert!(!a.is_empty());
        assert_eq!(Some(&a), parsed.get(keys::CLIENT_PORT_ADDRESS.name));
    }
});
