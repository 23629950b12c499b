//! Asking the peers (the start's only network reads): every candidate's
//! `conf`, at once, under one short deadline, until one serves or
//! `--peer-wait` runs out; then `membership::decide` answers.
//!
//! A host-name lookup runs on tokio's blocking pool; the runtime is shut
//! down before the start writes anything. A lookup still blocked in the
//! resolver is abandoned: its thread ends with the exec, and the privilege
//! drop in between goes through glibc, which applies setuid to every thread.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use log::info;
use tokio::time::Instant;

use crate::client::tls::{Connector, TlsSpec};
use crate::client::{fourlw, reply, Error, Phase};
use crate::config::dynamic;
use crate::membership::decide::{self, Decision, Peer};
use crate::start::membership::{Candidate, Need, PeerTls};

/// How long one round of questions may take.
pub const ROUND: Duration = Duration::from_millis(1500);
/// The pause between rounds while peers answer but none serves.
pub const PAUSE: Duration = Duration::from_millis(500);

/// What one answer means for the decision.
pub fn judge(outcome: Result<Vec<u8>, Error>) -> Peer {
    match outcome {
        Ok(bytes) => match reply::parse_conf(&String::from_utf8_lossy(&bytes))
            .as_ref()
            .and_then(dynamic::from_conf)
        {
            Some(Ok(c)) => Peer::Serving(c),
            // Not serving, not whitelisted, a standalone server, or a line
            // zkpod cannot read: something answers, but no membership.
            _ => Peer::NotServing,
        },
        Err(Error::Refused | Error::Resolve { .. }) => Peer::Silent,
        Err(Error::TimedOut {
            phase: Phase::Connect,
            ..
        }) => Peer::Silent,
        Err(_) => Peer::NotServing,
    }
}

/// Asks every candidate for `conf` once, all at the same time: on its TLS
/// client port with `tls` (each peer's certificate checked for its name).
///
/// Fails when the runtime cannot be made, or (exit code 11) when this
/// pod's own TLS material cannot make a client.
pub fn ask_all(candidates: &[Candidate], tls: Option<&PeerTls>) -> Result<Vec<(String, Peer)>> {
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let secure_port = tls.map(|t| t.port);
    let mut connectors = Vec::new();
    for c in candidates {
        connectors.push(match tls {
            Some(t) => Some(Arc::new(peer_connector(t, &c.host)?)),
            None => None,
        });
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .context("cannot create the tokio runtime to ask the peers")?;
    let deadline = Instant::now() + ROUND;
    let answers = rt.block_on(async {
        let mut set = tokio::task::JoinSet::new();
        for (i, (c, tls)) in candidates.iter().zip(connectors).enumerate() {
            let host = c.host.clone();
            // Over TLS, every member's secure port is this one's (one flag for
            // the StatefulSet); the plaintext port may be loopback-only.
            let port = secure_port.unwrap_or(c.port);
            set.spawn(async move {
                let outcome = fourlw::query(&host, port, b"conf", deadline, tls.as_deref()).await;
                (i, outcome)
            });
        }
        let mut out: Vec<Option<Peer>> = vec![None; candidates.len()];
        while let Some(done) = set.join_next().await {
            if let Ok((i, outcome)) = done {
                out[i] = Some(judge(outcome));
            }
        }
        out
    });
    rt.shutdown_timeout(Duration::from_millis(100));
    Ok(candidates
        .iter()
        .zip(answers)
        .map(|(c, a)| (c.host.clone(), a.unwrap_or(Peer::Silent)))
        .collect())
}

/// A TLS client for asking `host`: this pod's certificate and CA from the
/// Secret, and `host` as the name the peer's certificate must carry.
fn peer_connector(t: &PeerTls, host: &str) -> Result<Connector> {
    let spec = TlsSpec {
        sources: crate::tls::secret_layout(&t.dir),
        origin: format!("--tls-dir {}", t.dir.display()),
        server_name: None,
    };
    Connector::new(&spec, host).map_err(|e| match e {
        crate::client::tls::TlsError::Material(p) => crate::start::tls::refusal(&p),
        other => anyhow::anyhow!("cannot make a TLS client to ask {host}: {other:?}"),
    })
}

/// Asks until the decision no longer says "ask again" or `--peer-wait`
/// runs out, then decides for good.
pub fn decide(need: &Need) -> Result<Decision> {
    let give_up = Instant::now() + need.peer_wait;
    let mut said = false;
    loop {
        let peers = ask_all(&need.candidates, need.tls.as_ref())?;
        let waited_out = Instant::now() >= give_up;
        let d = decide::decide(&decide::Input {
            me: &need.me,
            initial: &need.initial,
            volume: &need.volume,
            peers: &peers,
            waited_out,
        });
        match d {
            Decision::Poll(why) if !waited_out => {
                if !said {
                    info!(
                        "membership: {why}; asking again for up to {}s (--peer-wait)",
                        need.peer_wait.as_secs()
                    );
                    said = true;
                }
                std::thread::sleep(PAUSE);
            }
            d => return Ok(d),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_judged() {
        assert_eq!(judge(Err(Error::Refused)), Peer::Silent);
        assert_eq!(
            judge(Err(Error::TimedOut {
                phase: Phase::Connect,
                partial: vec![]
            })),
            Peer::Silent
        );
        assert_eq!(
            judge(Ok(
                b"This ZooKeeper instance is not currently serving requests\n".to_vec()
            )),
            Peer::NotServing
        );
        let conf = "serverId=1\nmembership: \nserver.1=zk-0.zk-hs:2888:3888:participant;0.0.0.0:2181\nversion=100000000\n";
        match judge(Ok(conf.as_bytes().to_vec())) {
            Peer::Serving(c) => assert_eq!(c.version, Some(0x1_0000_0000)),
            other => panic!("{other:?}"),
        }
        assert_eq!(judge(Ok(b"clientPort=2181\n".to_vec())), Peer::NotServing);
    }
}
