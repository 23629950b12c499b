//! zoo.cfg as the probes read it (`zoocfg::parse`, `client_ports`), on any
//! bytes. Properties: parsing is a fixpoint (the parsed settings written
//! back as `key=value` lines parse to the same settings), and the client
//! ports agree with the parsed clientPort, clientPortAddress,
//! secureClientPort and ssl.keyStore.location.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zkpod::config::{keys, zoocfg};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let parsed = zoocfg::parse(&text);
    let again: String = parsed.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    assert_eq!(zoocfg::parse(&again), parsed, "not a fixpoint: {again:?}");

    let ports = zoocfg::client_ports(&text);
    let port = |k: &keys::Key| parsed.get(k.name).and_then(|p| p.parse::<u16>().ok());
    assert_eq!(ports.plain, port(&keys::CLIENT_PORT));
    assert_eq!(ports.secure, port(&keys::SECURE_CLIENT_PORT));
    for (addr, key) in [
        (&ports.plain_address, &keys::CLIENT_PORT_ADDRESS),
        (&ports.secure_address, &keys::SECURE_CLIENT_PORT_ADDRESS),
    ] {
        if let Some(a) = addr {
            assert!(!a.is_empty());
            assert_eq!(Some(a), parsed.get(key.name));
        }
    }
    if let Some((location, _)) = &ports.keystore {
        assert!(!location.is_empty());
        assert_eq!(Some(location), parsed.get(keys::SSL_KEYSTORE_LOCATION.name));
    }
});
