//! `zkpod metrics [--format text|prometheus]` and the `metrics.sh [PORT]`
//! drop-in (issue 3): ZooKeeper's `mntr`, as printed or as Prometheus text.

use tokio::time::Instant;

use crate::cli::{MetricsArgs, MetricsFormat};
use crate::cmd::probe::{ask, block_on, emit, endpoint, script_target};
use crate::probe::diag;
use crate::probe::verdict::{Reason, Target};
use crate::sys::report::{fail, Code};

/// Prints `mntr` in the chosen format. Fails (exit 1) when the server cannot
/// be reached, does not allow `mntr`, is not serving, or answers something
/// that is not `mntr` output.
pub fn run(a: &MetricsArgs) -> anyhow::Result<Code> {
    let t = endpoint(&a.target);
    let bytes = fetch(&t)?;
    let out = match a.format {
        MetricsFormat::Text => bytes,
        MetricsFormat::Prometheus => {
            diag::prometheus(&diag::parse_mntr(&String::from_utf8_lossy(&bytes))).into_bytes()
        }
    };
    emit(&out, "the metrics")
}

/// `metrics.sh [PORT]`: prints the `mntr` reply exactly; exit 1 with one
/// line on failure.
pub fn script(port: Option<u16>) -> anyhow::Result<Code> {
    let t = endpoint(&script_target(port));
    let bytes = fetch(&t)?;
    emit(&bytes, "the metrics")
}

/// Asks `mntr` and checks that the reply is `mntr` output.
fn fetch(t: &Target) -> anyhow::Result<Vec<u8>> {
    let outcome = block_on(async {
        let deadline = Instant::now() + t.timeout;
        ask(t, b"mntr", deadline).await
    })?;
    outcome
        .map_err(Reason::from)
        .and_then(diag::check_mntr)
        .map_err(|r| fail(Code::Unhealthy, r.line(t)))
}
