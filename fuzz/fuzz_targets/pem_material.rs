//! The PEM files of a mounted Secret (`tls.crt`, `tls.key`, `ca.crt`), as
//! `zkpod start --tls-dir` and the TLS probes read them: `tls::pem::parse`,
//! `tls::check::parse_material` and `check`, and the key store rendered for
//! ZooKeeper. The input is split into the three files at the first two
//! NUL bytes. Properties: every refusal is one line with a fix; material
//! that passes `check_key` renders to a key store that parses back to the
//! same chain with one PKCS#8 key.
#![no_main]

use std::path::PathBuf;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use rustls_pki_types::UnixTime;
use zkpod::tls::check::{check, check_key, parse_material, Sources};
use zkpod::tls::{bundle, pem};

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |b| *b == 0);
    let cert = parts.next().unwrap_or_default();
    let key = parts.next().unwrap_or_default();
    let ca = parts.next().unwrap_or_default();
    let _ = pem::parse(data);
    let sources = Sources {
        cert: PathBuf::from("/tls/tls.crt"),
        key: PathBuf::from("/tls/tls.key"),
        ca: PathBuf::from("/tls/ca.crt"),
    };
    let one_line = |l: String| {
        assert!(!l.contains(['\n', '\r']), "{l}");
        assert!(l.contains(". Fix: "), "{l}");
    };
    let m = match parse_material(sources, cert, key, ca) {
        Ok(m) => m,
        Err(p) => return one_line(p.line()),
    };
    let now = UnixTime::since_unix_epoch(Duration::from_secs(1_800_000_000));
    if let Err(p) = check(&m, now, Some("zk-0.zk-hs.default.svc.cluster.local")) {
        one_line(p.line());
    }
    if check_key(&m).is_ok() {
        if let Ok(ks) = bundle::keystore(&m) {
            let back = pem::parse(ks.as_bytes()).expect("the key store is PEM");
            assert_eq!(back.certs, m.chain);
            assert_eq!(back.keys.len(), 1);
            assert_eq!(back.keys[0].format, pem::KeyFormat::Pkcs8);
        }
    }
});
