//! Replies to `ruok` and `srvr`, as any server (or anything listening on
//! the port) may send them: `reply::classify`, `parse_srvr`, the probe
//! verdicts and `zkpod status`. Properties: a `srvr` report has a mode;
//! every verdict's message is one line, whatever the bytes; the status is
//! nine lines of text and one JSON object.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zkpod::client::reply::{classify, parse_srvr, Answer};
use zkpod::client::{Endpoint, Error, Phase};
use zkpod::probe::status::status_from_replies;
use zkpod::probe::verdict::{after_ruok, live_from_srvr, ready_from_srvr, Reason, Step, Verdict};

fuzz_target!(|data: &[u8]| {
    let e = Endpoint {
        host: "127.0.0.1".into(),
        port: 2181,
        timeout: std::time::Duration::from_millis(500),
        tls: None,
    };
    let one_line = |v: &Verdict| {
        if let Some(line) = v.line(&e) {
            assert!(!line.contains(['\n', '\r']), "{line}");
        }
    };
    match classify(data) {
        Answer::Srvr(s) => assert!(s.mode.is_some()),
        Answer::Unexpected(b) => assert_eq!(b, data),
        _ => {}
    }
    if let Some(s) = parse_srvr(&String::from_utf8_lossy(data)) {
        assert!(s.mode.is_some());
    }
    match after_ruok(Ok(data.to_vec())) {
        Step::Done(v) => one_line(&v),
        Step::AskSrvr => assert!(matches!(classify(data), Answer::NotWhitelisted(_))),
    }
    one_line(&live_from_srvr(Ok(data.to_vec())));
    one_line(&ready_from_srvr(Ok(data.to_vec())));
    let stalled = Reason::from(Error::TimedOut {
        phase: Phase::Reply,
        partial: data.to_vec(),
    });
    assert!(!stalled.line(&e).contains('\n'));

    if let Ok(st) = status_from_replies("127.0.0.1:2181", data.to_vec(), Some(Ok(data.to_vec()))) {
        let text = st.render_text();
        assert_eq!(text.lines().count(), 9, "{text}");
        let json: serde_json::Value = serde_json::from_str(&st.render_json()).expect("status JSON");
        assert!(json.is_object());
    }
});
