//! zoo.cfg as the probes read it (`zoocfg::parse`, `client_endpoint`), on
//! any bytes, through zkpod's Properties parser (held to Java's by
//! tests/properties_java.rs). Properties: what parses, written back through
//! the encoder, parses to the same settings (or the encoder refuses a value
//! with a control character, which only an escape in the file can give);
//! the endpoint is the parsed clientPort and clientPortAddress, or a
//! one-line reason why they are unusable.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zkpod::config::properties::{first_control, Writer};
use zkpod::config::{keys, zoocfg};

fuzz_target!(|data: &[u8]| {
    let Ok(parsed) = zoocfg::parse(data) else {
        return;
    };
    let mut w = Writer::new();
    let mut kept = parsed.clone();
    for (k, v) in &parsed {
        if w.entry(k, v).is_err() {
            assert!(
                first_control(k).is_some() || first_control(v).is_some(),
                "{k:?}={v:?} refused"
            );
            kept.remove(k);
        }
    }
    let again = w.finish();
    assert_eq!(
        zoocfg::parse(again.as_bytes()).unwrap(),
        kept,
        "not a fixpoint: {again:?}"
    );

    match zoocfg::client_endpoint(data) {
        Ok((addr, port)) => {
            let p = parsed
                .get(keys::CLIENT_PORT.name)
                .map(|p| p.trim())
                .filter(|p| !p.is_empty());
            assert_eq!(
                port.map(|n| n.to_string()),
                p.map(|p| p.parse::<u16>().unwrap().to_string())
            );
            if let Some(a) = addr {
                assert!(!a.is_empty());
                assert_eq!(
                    Some(a.as_str()),
                    parsed.get(keys::CLIENT_PORT_ADDRESS.name).map(|v| v.trim())
                );
            }
        }
        Err(why) => {
            assert!(!why.chars().any(|c| c.is_control()), "{why:?}");
            assert!(why.chars().count() <= 2048, "{why}");
        }
    }
    // The TLS-aware reader (client_ports) agrees with the checked one.
    if let Ok((_, port)) = zoocfg::client_endpoint(data) {
        assert_eq!(zoocfg::client_ports(data).plain, port);
    }
});
