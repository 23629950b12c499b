//! Replies to `conf` (`reply::parse_conf`): the settings, the 3.5+
//! membership and its version. Properties: keys are non-empty; a member's
//! addresses hold no `;`, its role is participant or observer; and the
//! parsed reply written back in ZooKeeper's format parses to the same.
#![no_main]

use std::fmt::Write as _;

use libfuzzer_sys::fuzz_target;
use zkpod::client::reply::{parse_conf, Conf};

fn render(c: &Conf) -> String {
    let mut out = String::new();
    for (k, v) in &c.settings {
        let _ = writeln!(out, "{k}={v}");
    }
    if !c.members.is_empty() || c.version.is_some() {
        out.push_str("membership: \n");
        for m in &c.members {
            let _ = write!(out, "server.{}={}", m.id, m.addresses);
            if let Some(r) = &m.role {
                let _ = write!(out, ":{r}");
            }
            if let Some(cl) = &m.client {
                let _ = write!(out, ";{cl}");
            }
            out.push('\n');
        }
        if let Some(v) = c.version {
            let _ = writeln!(out, "version={v:x}");
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Some(conf) = parse_conf(&text) else {
        return;
    };
    for (k, _) in &conf.settings {
        assert!(!k.is_empty() && !k.contains('='));
    }
    for m in &conf.members {
        assert!(!m.addresses.contains(';'), "{m:?}");
        if let Some(r) = &m.role {
            assert!(r == "participant" || r == "observer");
        }
    }
    let again = render(&conf);
    assert_eq!(parse_conf(&again).as_ref(), Some(&conf), "{again}");
});
