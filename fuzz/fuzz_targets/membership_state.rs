//! What `zkpod join` and `zkpod leave` read: the start's
//! `membership.properties` (`membership::local`), `/proc/<pid>/stat`'s
//! start time, and the Kubernetes API's answer about a StatefulSet
//! (`client::kube::parse_response`). Properties: no panic; a parsed record
//! written back through the Properties encoder parses to the same (or the
//! encoder refuses a control character the escapes made); a replica count
//! is what the JSON said.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zkpod::client::kube::{parse_response, Replicas};
use zkpod::membership::local::{start_time, Written};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(w) = Written::parse(data) {
        // A value with a control character (made by an escape) is refused
        // by the encoder; anything else reads back as itself.
        if let Ok(out) = w.render() {
            let again = Written::parse(out.as_bytes()).expect("a rendered record parses");
            assert_eq!(again, w, "{out}");
        }
    }
    let _ = start_time(&text);
    if let Ok(Replicas::Wanted(n)) = parse_response(data) {
        let (_, body) = text.split_once("\r\n\r\n").expect("a 200 has a body");
        let v: serde_json::Value = serde_json::from_str(body).expect("it was JSON");
        let spec = v.pointer("/spec/replicas");
        assert!(spec.map_or(n == 1, |r| r.as_u64() == Some(u64::from(n))
            || (r.is_null() && n == 1)));
    }
});
