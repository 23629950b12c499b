//! `zkpod status`: mode, zxid, connections and (on a leader) followers, as
//! text or `--json` (issue 3).
//!
//! Asks `srvr` (always whitelisted); on a leader also `mntr` for the follower
//! counts. A server that answers but is not serving is reported as such and
//! exits 0; one that does not answer exits 1 with the probe's line.

use tokio::time::Instant;

use crate::cli::StatusArgs;
use crate::cmd::probe::{ask, block_on, emit, endpoint};
use crate::diag;
use crate::exit::{fail, Code};
use crate::probe::{classify, Answer, Mode, Reason};

/// Prints the status. Fails (exit 1) when the server cannot be reached, does
/// not allow `srvr`, or answers something that is not ZooKeeper's.
pub fn run(a: &StatusArgs) -> anyhow::Result<Code> {
    let t = endpoint(&a.target);
    let (srvr, mntr) = block_on(async {
        let deadline = Instant::now() + t.timeout;
        let srvr = ask(&t, b"srvr", deadline).await;
        let leader = matches!(&srvr, Ok(b) if matches!(classify(b), Answer::Srvr(ref s) if s.mode == Some(Mode::Leader)));
        let mntr = if leader {
            Some(ask(&t, b"mntr", deadline).await)
        } else {
            None
        };
        (srvr, mntr)
    })?;
    let bytes = srvr.map_err(|e| fail(Code::Unhealthy, Reason::from(e).line(&t)))?;
    let report = match classify(&bytes) {
        Answer::Srvr(s) => Some(s),
        Answer::NotServing => None,
        Answer::NotWhitelisted(w) => {
            return Err(fail(
                Code::Unhealthy,
                Reason::NotWhitelisted(vec![w]).line(&t),
            ))
        }
        Answer::Imok | Answer::Unexpected(_) => {
            let r = Reason::Unexpected {
                word: "srvr".into(),
                reply: bytes,
            };
            return Err(fail(Code::Unhealthy, r.line(&t)));
        }
    };
    let (pairs, why) = match mntr {
        None => (None, None),
        Some(Ok(b)) => match classify(&b) {
            Answer::NotWhitelisted(_) => (None, None),
            _ => {
                let p = diag::parse_mntr(&String::from_utf8_lossy(&b));
                if p.is_empty() {
                    (None, Some("mntr gave no key/value lines".to_string()))
                } else {
                    (Some(p), None)
                }
            }
        },
        Some(Err(e)) => (None, Some(format!("mntr failed: {e}"))),
    };
    let mut s = diag::status(&t.to_string(), report.as_ref(), pairs.as_deref());
    if why.is_some() {
        s.note = why;
    }
    let out = if a.json {
        s.render_json() + "\n"
    } else {
        s.render_text()
    };
    emit(out.as_bytes(), "the status")
}
