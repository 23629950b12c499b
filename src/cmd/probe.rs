//! `zkpod probe live|ready|startup` and the `zookeeper-ready` /
//! `ready_live.sh` drop-ins (issue 3): ask under one deadline (`--timeout`),
//! exit 0 quietly or 1 with the verdict's line.

use crate::cli::probe::{LiveArgs, ProbeCli, ProbeKind, ReadyArgs, ReadyMode, ReadyScriptCli};
use crate::cli::server::ServerArgs;
use crate::client::Endpoint;
use crate::cmd::{entry, open, Command, Entry, Name};
use crate::probe::refresh::refresh;
use crate::probe::verdict::{self, Verdict};
use crate::sys::report::{fail, Code};

pub const ENTRIES: &[Entry] = &[entry::<ProbeCli>(), entry::<ReadyScriptCli>()];

impl Command for ProbeCli {
    const NAME: Name = Name::Sub("probe");
    const FAILURE: Code = Code::Unhealthy;
    fn run(self) -> anyhow::Result<Code> {
        match self.kind {
            ProbeKind::Live(a) => live(&a),
            ProbeKind::Ready(a) => ready(&a),
            ProbeKind::Startup(a) => startup(&a),
        }
    }
}

impl Command for ReadyScriptCli {
    const NAME: Name = Name::DropIn(&["zookeeper-ready", "ready_live.sh"]);
    const FAILURE: Code = Code::Unhealthy;
    fn run(self) -> anyhow::Result<Code> {
        ready_script(&self.server())
    }
}

/// Liveness: the server process answers on its client port.
pub fn live(a: &LiveArgs) -> anyhow::Result<Code> {
    alive(&a.server)
}

/// Startup: the same check as liveness (used with a generous failureThreshold).
pub fn startup(a: &LiveArgs) -> anyhow::Result<Code> {
    alive(&a.server)
}

/// Readiness: `srvr` reports a mode in which the server is serving
/// requests, or with `--mode ruok` the liveness check.
pub fn ready(a: &ReadyArgs) -> anyhow::Result<Code> {
    refresh_tls(&a.server);
    let (e, s) = open(&a.server)?;
    let verdict = match a.mode {
        ReadyMode::Serving => verdict::readiness(&mut |w| s.ask(w)),
        ReadyMode::Ruok => verdict::liveness(&mut |w| s.ask(w)),
    };
    finish(&e, verdict)
}

/// `zookeeper-ready [PORT]` / `ready_live.sh [PORT]`: the scripts' `ruok`
/// check (with the `srvr` fallback when `ruok` is not whitelisted).
pub fn ready_script(server: &ServerArgs) -> anyhow::Result<Code> {
    alive(server)
}

fn alive(server: &ServerArgs) -> anyhow::Result<Code> {
    refresh_tls(server);
    let (e, s) = open(server)?;
    finish(&e, verdict::liveness(&mut |w| s.ask(w)))
}

/// Brings ZooKeeper's TLS stores in step with a rotated Secret (see
/// `probe::refresh`). Its outcome does not change the verdict: new files
/// that fail a check leave the old stores, which still serve, and the
/// reason in the conf dir for `zkpod status`.
fn refresh_tls(server: &ServerArgs) {
    refresh(&server.conf_dir, rustls_pki_types::UnixTime::now());
}

/// Exit 0 when healthy, else the verdict's line with exit code 1.
fn finish(e: &Endpoint, v: Verdict) -> anyhow::Result<Code> {
    match v.line(e) {
        None => Ok(Code::Ok),
        Some(line) => Err(fail(Code::Unhealthy, line)),
    }
}
