//! `zkpod join` and `zkpod leave` carried out: talk to the local server as
//! ZooKeeper's superuser and move the committed configuration, one
//! conditional reconfig at a time, until this server is a voter (join) or
//! gone (leave), confirming each change with a write.
//!
//! The decisions are [`reconcile`](crate::membership::reconcile)'s (pure);
//! this module only reads the files the start left, asks, retries what is
//! transient until the deadline, and reports.

use std::path::Path;
use std::time::Duration;

use anyhow::Result;
use log::{info, warn};
use tokio::time::Instant;

use crate::client::kube::{self, Api, Replicas};
use crate::client::reply::{self, Answer};
use crate::client::zk::{Admin, ZkError};
use crate::client::{Endpoint, Session};
use crate::config::dynamic::Config;
use crate::config::superuser;
use crate::config::zoocfg;
use crate::membership::local::{self, Local, Written};
use crate::membership::reconcile::{self, Step};
use crate::sys::file::{self, caps, FileError};
use crate::sys::report::{self, diagnose, Code};

/// How long one question to ZooKeeper may take.
const ASK: Duration = Duration::from_secs(5);
/// The pause before asking again after a transient failure.
const BACKOFF: Duration = Duration::from_millis(500);

/// The start time of process `pid` now, if it runs.
fn started(pid: u32) -> Option<u64> {
    let stat = file::read_capped(Path::new(&format!("/proc/{pid}/stat")), caps::PROC).ok()?;
    local::start_time(&String::from_utf8_lossy(&stat))
}

/// What the running process's `zkpod start` wrote, if it has written it:
/// the conf dir may hold the file of an earlier container.
///
/// Fails (exit code 10) when the file cannot be parsed.
fn current(conf_dir: &Path) -> Result<Option<Written>> {
    let path = conf_dir.join(local::FILE);
    // Bounded and typed, as the probes read it: a FIFO planted in the
    // conf dir must not hang the hook.
    let b = match file::read_capped(&path, caps::RECORD) {
        Ok(b) => b,
        Err(FileError::Missing) => return Ok(None),
        Err(e) => return Err(diagnose(
            Code::Membership,
            format!("{} {e}", report::path(&path)),
            "zkpod cannot tell which server this pod is; its membership was not changed",
            "restart the pod so that zkpod start writes it again (it replaces whatever is there)",
        )),
    };
    let w = Written::parse(&b).map_err(|e| {
        diagnose(
            Code::Membership,
            format!("{} is not zkpod's ({e})", report::path(&path)),
            "zkpod cannot tell which server this pod is",
            "restart the pod so that zkpod start writes it again",
        )
    })?;
    Ok((started(w.pid) == Some(w.started)).then_some(w))
}

/// Waits until the running process's `zkpod start` has written its record:
/// the postStart hook runs beside the start, which may still be asking its
/// peers.
///
/// Fails (exit code 10) at `until`, or when the file cannot be parsed.
fn await_written(conf_dir: &Path, until: Instant) -> Result<Written> {
    loop {
        if let Some(w) = current(conf_dir)? {
            return Ok(w);
        }
        if Instant::now() >= until {
            let path = conf_dir.join(local::FILE);
            return Err(diagnose(
                Code::Membership,
                format!("zkpod start has not written {} for the running container", path.display()),
                "it is still deciding, or it stopped; this server's membership was not changed",
                "check the container's log for zkpod start's last line; check that --conf_dir (ZOO_CONF_DIR) is the conf dir zkpod start writes",
            ));
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The configuration the server started with: the dynamic config file its
/// zoo.cfg names. `None` when either cannot be read or parsed (then `join`
/// asks the server, as for a joiner).
fn started_with(l: &Local) -> Option<Config> {
    let cfg = zoocfg::parse(&file::read_capped(&l.zoo_cfg, caps::ZOO_CFG).ok()?).ok()?;
    let file = Path::new(cfg.get("dynamicConfigFile")?);
    let file = match l.zoo_cfg.parent() {
        Some(dir) if file.is_relative() => dir.join(file),
        _ => file.to_path_buf(),
    };
    Config::parse_bytes(&file::read_capped(&file, caps::ZOO_CFG).ok()?).ok()
}

fn endpoint(l: &Local, timeout: Duration) -> Endpoint {
    Endpoint {
        host: l.client_host.clone(),
        port: l.client_port,
        timeout,
        // The local plaintext listener (127.0.0.1 in TLS-only mode, issue 13).
        tls: None,
    }
}

/// Waits until the local server (process `pid`, started at `started`)
/// serves: it is synced with the leader.
///
/// Fails (exit code 10) at `until`, or as soon as the server has exited.
pub fn wait_serving(l: &Local, w: &Written, until: Instant) -> Result<()> {
    let e = endpoint(l, Duration::from_secs(1));
    loop {
        if started(w.pid) != Some(w.started) {
            return Err(diagnose(
                Code::Membership,
                format!(
                    "server {} (pid {}) exited before it served",
                    l.server.id, w.pid
                ),
                "it cannot be added to the ensemble",
                "check the container's log; the kubelet starts it again",
            ));
        }
        let serving = Session::open(&e)?
            .ask(b"srvr")
            .ok()
            .map(|b| reply::classify(&b))
            .is_some_and(
                |a| matches!(a, Answer::Srvr(s) if s.mode.as_ref().is_some_and(|m| m.is_serving())),
            );
        if serving {
            return Ok(());
        }
        if Instant::now() >= until {
            return Err(diagnose(
                Code::Membership,
                format!("server {} at {e} is not serving", l.server.id),
                "it has not synced with a leader, so it cannot be added to the ensemble yet",
                "check its log and that a majority of the ensemble's voters is up (zkpod status on each pod); the kubelet restarts the container and zkpod join tries again",
            ));
        }
        std::thread::sleep(BACKOFF);
    }
}

/// The superuser password, when the start was given one.
fn password(l: &Local) -> Result<Option<String>> {
    let Some(file) = &l.password_file else {
        return Ok(None);
    };
    // Bounded and typed (a FIFO or a huge file is refused, not read); the
    // message says what the file is, never what it holds.
    let bytes = file::read_capped(file, caps::PASSWORD).map_err(|e| {
        diagnose(
            Code::Membership,
            format!("--superuser-password-file {} {e}", report::path(file)),
            "zkpod cannot authenticate the reconfig; the ensemble was not changed",
            "mount the Secret with the superuser password at that path in every container of the pod",
        )
    })?;
    Ok(Some(superuser::password(&bytes, file)?))
}

/// Where [`converge`] ended.
enum Outcome {
    /// The configuration is as wanted.
    Done(Config),
    /// The step refused to go on (e.g. the last voter), with why.
    Refused(String),
}

/// Moves the ensemble one `step` at a time until `step` says done; returns
/// the final configuration. Transient failures are retried until `until`.
fn converge(
    l: &Local,
    until: Instant,
    what: &str,
    mut step: impl FnMut(&Config) -> Step,
) -> Result<Outcome> {
    let pw = password(l)?;
    let e = endpoint(l, ASK);
    let mut admin: Option<Admin> = None;
    let mut last: Option<ZkError> = None;
    let mut waiting: Option<String> = None;
    loop {
        if Instant::now() >= until {
            let why = match (&waiting, last) {
                (Some(w), _) => format!("waiting: {w}"),
                (None, last) => last.map_or_else(|| "no answer".to_string(), |e| e.to_string()),
            };
            return Err(diagnose(
                Code::Membership,
                format!("zkpod {what}: server {} is still not where it should be when the deadline passed (last: {why})", l.server.id),
                "the ensemble's membership did not change",
                "check that a majority of the ensemble's voters is up and serving (zkpod status on each pod); the next start of this pod tries again",
            ));
        }
        let a = match admin.take() {
            Some(a) => a,
            None => match Admin::connect(&e, pw.as_deref())? {
                Ok(a) => a,
                Err(err) if err.retryable() => {
                    last = Some(err);
                    std::thread::sleep(BACKOFF);
                    continue;
                }
                Err(err) => return Err(refusal(l, what, &err, pw.is_some())),
            },
        };
        let text = match a.config() {
            Ok(t) => t,
            Err(err) if err.retryable() => {
                last = Some(err);
                std::thread::sleep(BACKOFF);
                continue;
            }
            Err(err) => return Err(refusal(l, what, &err, pw.is_some())),
        };
        let cfg = Config::parse(&text).map_err(|err| {
            diagnose(
                Code::Membership,
                format!("the ensemble's configuration cannot be read ({err})"),
                "zkpod will not change a membership it cannot see",
                "check /zookeeper/config with zkCli.sh (config) and the servers' logs",
            )
        })?;
        match step(&cfg) {
            Step::Done => return Ok(Outcome::Done(cfg)),
            Step::Refuse(why) => return Ok(Outcome::Refused(why)),
            Step::Wait(why) => {
                if waiting.as_deref() != Some(why.as_str()) {
                    info!("{what}: server {} waits: {why}", l.server.id);
                }
                waiting = Some(why);
                admin = Some(a);
                std::thread::sleep(BACKOFF);
            }
            Step::Reconfig {
                joining,
                leaving,
                from,
            } => {
                waiting = None;
                match a.reconfig(&joining, &leaving, from) {
                    Ok(new) => {
                        let v = Config::parse(&new)
                            .map(|c| c.version_text())
                            .unwrap_or_default();
                        info!(
                        "{what}: reconfig from version 0x{from:x} to {v} committed (joining {joining:?}, leaving {leaving:?})"
                    );
                        confirm(&a, l, what, &v, until);
                        admin = Some(a);
                    }
                    Err(ZkError::BadVersion) => {
                        // Someone else changed the configuration: read it again.
                        admin = Some(a);
                    }
                    Err(err) if err.retryable() => {
                        last = Some(err);
                        std::thread::sleep(BACKOFF);
                    }
                    Err(err) => return Err(refusal(l, what, &err, pw.is_some())),
                }
            }
        }
    }
}

/// A write after the reconfig: it commits only once the new configuration
/// is active (ZooKeeper's reconfig guide: confirm with a write, not a sync).
/// Best effort until `until`: the next read of the configuration is the
/// real check.
fn confirm(a: &Admin, l: &Local, what: &str, version: &str, until: Instant) {
    let note = format!(
        "server {} {what}: configuration {version} at {}",
        l.server.id,
        crate::sys::clock::utc_stamp(crate::sys::clock::now())
    );
    while Instant::now() < until {
        match a.write_note(&note) {
            Ok(()) => return,
            Err(e) if e.retryable() => std::thread::sleep(BACKOFF),
            Err(e) => {
                warn!("{what}: the confirming write to {} failed ({e}); the configuration is read again instead", crate::client::zk::NOTE);
                return;
            }
        }
    }
}

fn refusal(l: &Local, what: &str, e: &ZkError, have_password: bool) -> anyhow::Error {
    let id = l.server.id;
    match e {
        ZkError::NoAuth if !have_password => diagnose(
            Code::Membership,
            format!("zkpod {what}: server {id}'s reconfig needs ZooKeeper's superuser, and zkpod start got no --superuser-password-file"),
            "the ensemble does not count this server (it serves as a non-voting member) and a removed pod would stay in the configuration",
            "create a Secret with the password (kubectl create secret generic zk-auth --from-literal=password=...), mount it in the pod and set ZOO_SUPERUSER_PASSWORD_FILE to its path",
        ),
        ZkError::NoAuth => diagnose(
            Code::Membership,
            format!("zkpod {what}: ZooKeeper refused the superuser digest for server {id}'s reconfig"),
            "the servers were started with another password, so no reconfig can be made",
            "give every pod the same Secret, then restart the pods one at a time so that each JVM gets the digest of that password",
        ),
        ZkError::Disabled => diagnose(
            Code::Membership,
            format!("zkpod {what}: the ensemble runs with reconfigEnabled=false"),
            "its membership cannot change while it runs",
            "restart its servers with zkpod start (--membership auto) one at a time; they then enable reconfig",
        ),
        other => diagnose(
            Code::Membership,
            format!("zkpod {what}: ZooKeeper refused server {id}'s reconfig ({other})"),
            "the ensemble's membership did not change",
            "check the leader's log for the reconfig request",
        ),
    }
}

/// `zkpod join`: once the local server serves, make it a voter with its
/// line (and remove members the StatefulSet no longer has, when the API
/// says how many it wants).
pub fn join(conf_dir: &Path, timeout: Duration) -> Result<Code> {
    let until = Instant::now() + timeout;
    let w = await_written(conf_dir, until)?;
    let Some(l) = w.member.clone() else {
        info!("join: static membership: nothing to do");
        return Ok(Code::Ok);
    };
    let me = l.server.clone();
    if let Some(cfg) = started_with(&l).filter(|c| reconcile::voter_at_start(c, &me)) {
        info!(
            "join: server {} started as a voter (configuration {}, {} voters): nothing to join",
            me.id,
            cfg.version_text(),
            cfg.voters()
        );
        return Ok(Code::Ok);
    }
    wait_serving(&l, &w, until)?;
    // Required: this server votes.
    let mut cfg = match converge(&l, until, "join", |c| {
        reconcile::participant_step(c, &me, l.id_offset)
    })? {
        Outcome::Done(c) => c,
        Outcome::Refused(why) => unreachable!("participant_step never refuses: {why}"),
    };
    // Then its line as the flags give it (a client endpoint the bootstrap
    // file left out, changed ports): wanted, but a voter with an older line
    // serves fine, so a refusal here (a leader of a static-era ensemble with
    // reconfigEnabled=false, during an upgrade) is only a warning; the next
    // start's join tries again.
    if reconcile::join_step(&cfg, &me) != Step::Done {
        match converge(&l, until, "join", |c| reconcile::join_step(c, &me)) {
            Ok(Outcome::Done(c)) => cfg = c,
            Ok(Outcome::Refused(_)) => {}
            Err(e) => warn!("join: server {} votes, but its line in the configuration could not be updated to {} ({e:#}); the next start tries again", me.id, me.line()),
        }
    }
    info!(
        "join: server {} is a voter (configuration {}, {} voters)",
        me.id,
        cfg.version_text(),
        cfg.voters()
    );
    // Repair what an interrupted scale-down left: members beyond replicas.
    match wanted_replicas(&l) {
        Ok(Some(replicas)) => {
            let stale = reconcile::stale_members(&cfg, replicas, l.id_offset, me.id);
            if !stale.is_empty() {
                info!("join: removing servers {stale:?}, beyond the StatefulSet's {replicas} replicas");
                let gone = stale.clone();
                if let Err(e) = converge(&l, until, "join", move |c| {
                    let left: Vec<u32> = gone
                        .iter()
                        .copied()
                        .filter(|id| c.servers.contains_key(id))
                        .collect();
                    if left.is_empty() {
                        Step::Done
                    } else {
                        Step::Reconfig {
                            joining: Vec::new(),
                            leaving: left,
                            from: c.version.unwrap_or(0),
                        }
                    }
                }) {
                    warn!("join: could not remove servers {stale:?}: {e:#}");
                }
            }
        }
        Ok(None) => {}
        Err(why) => {
            info!("join: not checking for servers beyond the StatefulSet's replicas ({why})")
        }
    }
    Ok(Code::Ok)
}

/// `zkpod leave`: on a scale-down (this pod's ordinal is at or beyond the
/// StatefulSet's replicas) remove this server from the ensemble; on a
/// restart, an eviction or a deleted StatefulSet, leave it as it is.
pub fn leave(conf_dir: &Path, timeout: Duration, force: bool) -> Result<Code> {
    let until = Instant::now() + timeout;
    let Some(l) = current(conf_dir)?.and_then(|w| w.member) else {
        info!("leave: static membership, or this container's zkpod start has not decided yet: nothing to do");
        return Ok(Code::Ok);
    };
    if !force {
        match wanted_replicas(&l) {
            Ok(Some(r)) if l.ordinal < r => {
                info!("leave: {}-{} stops but the StatefulSet still wants {r} replicas (a restart, not a scale-down): server {} stays in the ensemble", l.stateful_set, l.ordinal, l.server.id);
                return Ok(Code::Ok);
            }
            Ok(Some(r)) => info!(
                "leave: the StatefulSet wants {r} replicas: {}-{} leaves the ensemble",
                l.stateful_set, l.ordinal
            ),
            Ok(None) => {
                info!("leave: the StatefulSet {} is gone (deleted, not scaled down): server {} stays in the ensemble", l.stateful_set, l.server.id);
                return Ok(Code::Ok);
            }
            Err(why) => {
                warn!("leave: cannot tell a scale-down from a restart ({why}): server {} stays in the ensemble; zkpod join removes it later if the StatefulSet no longer has it", l.server.id);
                return Ok(Code::Ok);
            }
        }
    }
    let id = l.server.id;
    match converge(&l, until, "leave", |c| reconcile::leave_step(c, id))? {
        Outcome::Done(cfg) => info!(
            "leave: server {id} left the ensemble (configuration {}, {} voters)",
            cfg.version_text(),
            cfg.voters()
        ),
        Outcome::Refused(why) => {
            warn!("leave: {why}: it stays in the configuration and stops (scaling to 0 stops every server)")
        }
    }
    Ok(Code::Ok)
}

/// The StatefulSet's wanted replicas from the Kubernetes API: `Ok(None)`
/// when the StatefulSet is gone; `Err` with the reason when the API cannot
/// say (no token, no RBAC, unreachable).
fn wanted_replicas(l: &Local) -> Result<Option<u32>, String> {
    let var = |k: &str| std::env::var(k).ok();
    // Bounded and typed: the token and namespace are a few KiB at most,
    // the CA bundle a MiB; the error says what the file is, not its bytes.
    let read = |p: &Path| {
        let cap = if p.ends_with("ca.crt") {
            caps::CA
        } else {
            caps::TOKEN
        };
        file::read_capped(p, cap).map_err(|e| std::io::Error::other(e.to_string()))
    };
    let env = kube::Env {
        var: &var,
        read: &read,
    };
    let api = Api::locate(&env)?;
    let ns =
        kube::namespace(&env).ok_or("no namespace (POD_NAMESPACE, or the service account's)")?;
    match kube::replicas(&api, &ns, &l.stateful_set, ASK).map_err(|e| format!("{e:#}"))? {
        Ok(Replicas::Wanted(r)) => Ok(Some(r)),
        Ok(Replicas::Gone) => Ok(None),
        Err(why) => Err(why),
    }
}
