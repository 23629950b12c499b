//! `zkpod probe live|ready|startup` and the `zookeeper-ready` /
//! `ready_live.sh` drop-ins (issue 3).
//!
//! Each probe builds a current_thread tokio runtime, asks one or two
//! four-letter words under ONE deadline (`--timeout`), lets `probe` judge the
//! replies, and exits 0 quietly or 1 with the verdict's line. The probe path
//! sets up no logging and starts no thread (an IP literal host needs none).

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use tokio::time::Instant;

use crate::cli::{self, LiveArgs, ReadyArgs, ReadyMode};
use crate::client::fourlw;
use crate::config::zoocfg;
use crate::probe::verdict::{self, Outcome, Step, Target, Verdict};
use crate::sys::report::{fail, Code};

/// The deadline of the drop-in names, well under Kubernetes' 1 s default
/// timeoutSeconds.
const SCRIPT_TIMEOUT: Duration = Duration::from_millis(500);

/// Liveness: the server process answers on its client port.
pub fn live(a: &LiveArgs) -> anyhow::Result<Code> {
    let t = endpoint(&a.target);
    finish(&t, block_on(answers(&t))?)
}

/// Startup: the same check as liveness (used with a generous failureThreshold).
pub fn startup(a: &LiveArgs) -> anyhow::Result<Code> {
    live(a)
}

/// Readiness: `srvr` reports a serving mode, or with `--mode ruok` the
/// liveness check.
pub fn ready(a: &ReadyArgs) -> anyhow::Result<Code> {
    let t = endpoint(&a.target);
    let verdict = match a.mode {
        ReadyMode::Serving => block_on(serving(&t))?,
        ReadyMode::Ruok => block_on(answers(&t))?,
    };
    finish(&t, verdict)
}

/// `zookeeper-ready [PORT]` / `ready_live.sh [PORT]`: the scripts' `ruok`
/// check (with the `srvr` fallback when `ruok` is not whitelisted), 500 ms.
pub fn ready_script(port: Option<u16>) -> anyhow::Result<Code> {
    let t = endpoint(&script_target(port));
    finish(&t, block_on(answers(&t))?)
}

/// The target of a drop-in name: PORT, else the zoo.cfg defaults; the host
/// from `ZOO_PROBE_HOST` or zoo.cfg (found through `ZOO_CONF_DIR`).
pub(crate) fn script_target(port: Option<u16>) -> cli::Target {
    cli::Target {
        host: std::env::var("ZOO_PROBE_HOST")
            .ok()
            .filter(|h| !h.is_empty()),
        port,
        timeout: SCRIPT_TIMEOUT,
        conf_dir: std::env::var_os("ZOO_CONF_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(cli::DEFAULT_CONF_DIR)),
    }
}

/// Fills in the host and port: flags first, then zoo.cfg's clientPortAddress
/// (when it names one address) and clientPort, then 127.0.0.1:2181.
pub(crate) fn endpoint(t: &cli::Target) -> Target {
    // zoo.cfg is only read when a flag leaves something to fill in.
    let (addr, port) = match (&t.host, t.port) {
        (Some(_), Some(_)) => (None, None),
        _ => zoocfg::read(&t.conf_dir)
            .as_deref()
            .map(zoocfg::client_endpoint)
            .unwrap_or((None, None)),
    };
    Target {
        host: t
            .host
            .clone()
            .or(addr)
            .unwrap_or_else(|| "127.0.0.1".to_string()),
        port: t.port.or(port).unwrap_or(2181),
        timeout: t.timeout,
    }
}

/// Runs `f` on a fresh current_thread runtime. Fails only when the runtime
/// cannot be created (no epoll or timer available).
pub(crate) fn block_on<F: Future>(f: F) -> anyhow::Result<F::Output> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .context("cannot create the tokio runtime for the four-letter-word client")?;
    let out = rt.block_on(f);
    // Do not wait for a host-name lookup still running on the blocking pool.
    rt.shutdown_background();
    Ok(out)
}

/// Sends `word` to the target before `deadline`; the reply bytes or the error.
pub(crate) async fn ask(t: &Target, word: &[u8; 4], deadline: Instant) -> Outcome {
    fourlw::query(&t.host, t.port, word, deadline)
        .await
        .map(|r| r.bytes)
}

/// Does the process answer? `ruok`, then `srvr` if `ruok` is not whitelisted;
/// both under one deadline.
async fn answers(t: &Target) -> Verdict {
    let deadline = Instant::now() + t.timeout;
    match verdict::after_ruok(ask(t, b"ruok", deadline).await) {
        Step::Done(v) => v,
        Step::AskSrvr => verdict::live_from_srvr(ask(t, b"srvr", deadline).await),
    }
}

/// Is the server serving? One `srvr`.
async fn serving(t: &Target) -> Verdict {
    let deadline = Instant::now() + t.timeout;
    verdict::serving(ask(t, b"srvr", deadline).await)
}

/// Exit 0 when healthy, else the verdict's line with exit code 1.
fn finish(t: &Target, v: Verdict) -> anyhow::Result<Code> {
    match v.line(t) {
        None => Ok(Code::Ok),
        Some(line) => Err(fail(Code::Unhealthy, line)),
    }
}

/// Writes a diagnostic command's output to stdout. A closed pipe (`| head`)
/// is not an error; any other write failure is, naming `what`.
pub(crate) fn emit(bytes: &[u8], what: &str) -> anyhow::Result<Code> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).with_context(|| format!("cannot write {what} to stdout"))
        }
        _ => Ok(Code::Ok),
    }
}
