//! `zkpod status`: mode, zxid, connections and (on a leader) followers, as
//! text or `--json` (issue 3).
//!
//! Asks `srvr` (always whitelisted); on a leader also `mntr` for the follower
//! counts. A server that answers but is not serving is reported as such and
//! exits 0; one that does not answer exits 1 with the probe's line.

use tokio::time::Instant;

use crate::cli::StatusArgs;
use crate::cmd::probe::{ask, block_on, emit, endpoint};
use crate::probe::diag;
use crate::probe::verdict::Reason;
use crate::sys::report::{fail, Code};

/// Prints the status. Fails (exit 1) when the server cannot be reached, does
/// not allow `srvr`, or answers something that is not ZooKeeper's.
pub fn run(a: &StatusArgs) -> anyhow::Result<Code> {
    let t = endpoint(&a.target);
    let (srvr, mntr) = block_on(async {
        let deadline = Instant::now() + t.timeout;
        let srvr = ask(&t, b"srvr", deadline).await;
        let mntr = match &srvr {
            Ok(b) if diag::wants_mntr(b) => Some(ask(&t, b"mntr", deadline).await),
            _ => None,
        };
        (srvr, mntr)
    })?;
    let status = srvr
        .map_err(Reason::from)
        .and_then(|bytes| diag::status_from_replies(&t.to_string(), bytes, mntr))
        .map_err(|r| fail(Code::Unhealthy, r.line(&t)))?;
    let out = if a.json {
        status.render_json() + "\n"
    } else {
        status.render_text()
    };
    emit(out.as_bytes(), "the status")
}
