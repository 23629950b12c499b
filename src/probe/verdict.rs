//! Probe verdicts: what the replies mean for liveness and readiness, as
//! pure functions, and the one line an unhealthy verdict prints (what is
//! wrong, what it means, the fix; issue 3).
//!
//! Semantics (see README): *live* and *startup* mean the process answers on
//! its client port (`ruok`, falling back to `srvr` when `ruok` is not
//! whitelisted); *ready* means `srvr` reports a mode in which the server is
//! serving requests, or in `ruok` mode the same check as live. The words are
//! asked through an `ask` function (a `client::Session` in the binary, a
//! table in the tests), so everything here runs without I/O.

use crate::client::reply::{classify, Answer, Mode, NOT_SERVING};
use crate::client::tls::TlsError;
use crate::client::{Endpoint, Error, Outcome, Phase};
use crate::config::keys;
use crate::config::settings::REQUIRED_4LW;

/// The whitelist line to suggest: the words every zkpod command needs
/// (`zkpod start` writes them), plus any other word that was refused (e.g.
/// `envi` asked through `zkpod 4lw`).
pub fn whitelist_line(refused: &[String]) -> String {
    let mut words: Vec<&str> = REQUIRED_4LW.to_vec();
    for w in refused {
        if !words.contains(&w.as_str()) {
            words.push(w);
        }
    }
    format!("{}={}", keys::FOUR_LETTER_WORDS.name, words.join(","))
}

/// How many characters of an unexpected reply a message quotes.
const QUOTE_MAX: usize = 80;

/// Quotes bytes for a one-line message: escaped, cut to about 80 characters.
pub fn quote(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::from("\"");
    for (shown, c) in text.chars().enumerate() {
        if shown == QUOTE_MAX {
            out.push_str("...");
            break;
        }
        out.extend(c.escape_debug());
    }
    out.push('"');
    out
}

/// The result of a probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Healthy,
    Unhealthy(Reason),
}

/// Why a probe failed. [`Reason::line`] renders the stderr line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    Resolve {
        host: String,
        detail: String,
    },
    Refused,
    TimedOut {
        phase: Phase,
        partial: Vec<u8>,
    },
    Empty {
        attempts: u8,
    },
    Io(String),
    Unexpected {
        word: String,
        reply: Vec<u8>,
    },
    NotServing,
    ReadOnly,
    /// `srvr` reported a mode zkpod does not know.
    UnknownMode(String),
    /// The words refused, in the order tried.
    NotWhitelisted(Vec<String>),
    /// TLS failed (see `probe::tls` for the lines).
    Tls(TlsError),
}

impl Reason {
    /// The one-line diagnosis: what happened at `t`, what it means, the fix.
    pub fn line(&self, t: &Endpoint) -> String {
        let ms = t.timeout.as_millis();
        match self {
            Reason::Resolve { host, detail } => format!(
                "cannot resolve host {} ({}): zkpod does not know where ZooKeeper is. Fix: pass --host (or ZOO_PROBE_HOST) with an address this pod resolves, e.g. 127.0.0.1",
                quote(host.as_bytes()),
                crate::sys::report::clean(detail)
            ),
            Reason::Refused => format!(
                "{t} refused the connection: no ZooKeeper is listening there (not started yet, or it exited). Fix: check the container log and that --port matches clientPort; if it is still starting, add a startupProbe (zkpod probe startup) instead of a longer liveness delay"
            ),
            Reason::TimedOut { phase: Phase::Connect, .. } => format!(
                "{t} did not accept the connection within {ms}ms: the address is unreachable or the server's accept queue is full. Fix: check --host against clientPortAddress in zoo.cfg and the pod's CPU limit; if the server is busy, raise --timeout (keep it below timeoutSeconds)"
            ),
            Reason::TimedOut { phase: Phase::Handshake, .. } => format!(
                "{t} accepted the connection but did not finish the TLS handshake within {ms}ms: the server is stalled (long GC pause, CPU throttling, overload) or this is not a TLS port and it waits for a request. Fix: check that --port is zoo.cfg's secureClientPort and the container log; under load, raise --timeout (below timeoutSeconds)"
            ),
            Reason::TimedOut { phase: Phase::Reply, partial } => {
                let got = if partial.is_empty() {
                    "nothing".to_string()
                } else {
                    format!("only {} bytes: {}", partial.len(), quote(partial))
                };
                format!(
                    "{t} accepted the connection but did not finish its reply within {ms}ms (received {got}): the server is stalled (long GC pause, CPU throttling, overload). Fix: check the container log and its CPU/memory limits; under load, raise --timeout (below timeoutSeconds) and failureThreshold rather than let liveness restart a busy server"
                )
            }
            Reason::Empty { attempts } => {
                let tries = if *attempts > 1 { ", twice" } else { "" };
                format!(
                    "{t} closed the connection without replying{tries}: the server is shutting down or refusing the connection (maxClientCnxns reached from this address?), or it is a TLS port that drops plaintext clients. Fix: check the container log for \"Too many connections\" and raise --max_client_cnxns; during a restart this clears by itself; for zoo.cfg's secureClientPort use --tls auto or on"
                )
            }
            Reason::Io(detail) => format!(
                "talking to {t} failed ({detail}): the probe could not complete the exchange. Fix: check --host/--port against zoo.cfg (clientPortAddress, clientPort) and the container log"
            ),
            Reason::Unexpected { word, reply } => format!(
                "{t} answered {word} with {} which is not a ZooKeeper reply: another program listens on that port, or a proxy is in between. Fix: point --port at ZooKeeper's clientPort (zoo.cfg) and --host at its clientPortAddress",
                quote(reply)
            ),
            Reason::NotServing => format!(
                "{t} is not serving requests (\"{NOT_SERVING}\"): it has not joined a quorum yet. Fix: make sure a majority of the ensemble is running and resolvable; with podManagementPolicy: OrderedReady use `zkpod probe ready --mode ruok`, since pod 0 cannot join a quorum before pod 1 exists"
            ),
            Reason::ReadOnly => format!(
                "{t} is in read-only mode: it lost its quorum and serves reads only. Fix: bring a majority of the ensemble back (check the other pods and the quorum ports 2888/3888)"
            ),
            Reason::UnknownMode(m) => format!(
                "{t} reports mode {}, which is not leader, follower, standalone or observer: it is not serving. Fix: check the container log; wait for leader election to finish",
                quote(m.as_bytes())
            ),
            Reason::NotWhitelisted(refused) => {
                let words = refused.join(" and ");
                let cfg = whitelist_line(refused);
                format!(
                    "{t} refuses {words}: not in {}, so zkpod cannot ask. Fix: add `{cfg}` to zoo.cfg (zkpod start writes it) and restart the server",
                    keys::FOUR_LETTER_WORDS.name
                )
            }
            Reason::Tls(e) => crate::probe::tls::line(t, e),
        }
    }
}

impl Verdict {
    /// The stderr line for an unhealthy verdict; `None` when healthy.
    pub fn line(&self, t: &Endpoint) -> Option<String> {
        match self {
            Verdict::Healthy => None,
            Verdict::Unhealthy(r) => Some(r.line(t)),
        }
    }
}

impl From<Error> for Reason {
    fn from(e: Error) -> Reason {
        match e {
            Error::Resolve { host, detail } => Reason::Resolve { host, detail },
            Error::Refused => Reason::Refused,
            Error::TimedOut { phase, partial } => Reason::TimedOut { phase, partial },
            Error::Empty { attempts } => Reason::Empty { attempts },
            Error::Io(d) => Reason::Io(d),
            Error::Tls(e) => Reason::Tls(e),
        }
    }
}

/// What the probe does after `ruok`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Done(Verdict),
    /// `ruok` is not whitelisted: ask `srvr`, which answers the same question.
    AskSrvr,
}

/// Liveness (and `ready --mode ruok`) after `ruok`: `imok` is healthy; the
/// whitelist reply falls back to `srvr`; anything else is unhealthy.
pub fn after_ruok(ruok: Outcome) -> Step {
    let bytes = match ruok {
        Ok(b) => b,
        Err(e) => return Step::Done(Verdict::Unhealthy(e.into())),
    };
    match classify(&bytes) {
        Answer::Imok => Step::Done(Verdict::Healthy),
        Answer::NotWhitelisted(_) => Step::AskSrvr,
        _ => Step::Done(Verdict::Unhealthy(Reason::Unexpected {
            word: "ruok".into(),
            reply: bytes,
        })),
    }
}

/// Liveness from `srvr` after `ruok` was refused: any well-formed answer,
/// serving or not, proves the process answers.
pub fn live_from_srvr(srvr: Outcome) -> Verdict {
    let bytes = match srvr {
        Ok(b) => b,
        Err(e) => return Verdict::Unhealthy(e.into()),
    };
    match classify(&bytes) {
        Answer::Srvr(_) | Answer::NotServing => Verdict::Healthy,
        Answer::NotWhitelisted(_) => {
            Verdict::Unhealthy(Reason::NotWhitelisted(vec!["ruok".into(), "srvr".into()]))
        }
        _ => Verdict::Unhealthy(Reason::Unexpected {
            word: "srvr".into(),
            reply: bytes,
        }),
    }
}

/// Readiness from `srvr`: ready when the mode is one in which the server is
/// serving requests (leader, follower, standalone or observer).
pub fn ready_from_srvr(srvr: Outcome) -> Verdict {
    let bytes = match srvr {
        Ok(b) => b,
        Err(e) => return Verdict::Unhealthy(e.into()),
    };
    let reason = match classify(&bytes) {
        Answer::Srvr(s) => match s.mode {
            Some(m) if m.is_serving() => return Verdict::Healthy,
            Some(Mode::ReadOnly) => Reason::ReadOnly,
            Some(m) => Reason::UnknownMode(m.as_str().to_string()),
            None => Reason::UnknownMode(String::new()),
        },
        Answer::NotServing => Reason::NotServing,
        Answer::NotWhitelisted(w) => Reason::NotWhitelisted(vec![w]),
        Answer::Imok | Answer::Unexpected(_) => Reason::Unexpected {
            word: "srvr".into(),
            reply: bytes,
        },
    };
    Verdict::Unhealthy(reason)
}

/// Liveness (and startup, and `ready --mode ruok`): does the process answer?
/// `ruok`, then `srvr` if `ruok` is not whitelisted.
pub fn liveness(ask: &mut dyn FnMut(&[u8; 4]) -> Outcome) -> Verdict {
    match after_ruok(ask(b"ruok")) {
        Step::Done(v) => v,
        Step::AskSrvr => live_from_srvr(ask(b"srvr")),
    }
}

/// Readiness: is the server serving requests? One `srvr`.
pub fn readiness(ask: &mut dyn FnMut(&[u8; 4]) -> Outcome) -> Verdict {
    ready_from_srvr(ask(b"srvr"))
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::time::Duration;

    /// `srvr` of Debian's ZooKeeper 3.8.0, standalone (captured on 127.0.0.30).
    pub const SRVR_STANDALONE: &str = "Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\nLatency min/avg/max: 0/0.0/0\nReceived: 7\nSent: 7\nConnections: 1\nOutstanding: 0\nZxid: 0x0\nMode: standalone\nNode count: 5\n";
    /// `srvr` of a 3.8.0 leader (2 of 3 servers up).
    pub const SRVR_LEADER: &str = "Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\nLatency min/avg/max: 0/0.0/0\nReceived: 1\nSent: 0\nConnections: 1\nOutstanding: 0\nZxid: 0x100000000\nMode: leader\nNode count: 5\nProposal sizes last/min/max: -1/-1/-1\n";

    fn t() -> Endpoint {
        Endpoint {
            host: "127.0.0.1".into(),
            port: 2181,
            timeout: Duration::from_millis(800),
            tls: None,
        }
    }

    fn line(v: &Verdict) -> String {
        v.line(&t()).expect("unhealthy")
    }

    #[test]
    fn quotes_escaped_and_truncated() {
        assert_eq!(quote(b"a\"b\n\x01"), r#""a\"b\n\u{1}""#);
        let long = quote(&[b'x'; 200]);
        assert_eq!(long, format!("\"{}...\"", "x".repeat(80)));
        assert_eq!(quote(b"\xffok"), "\"\u{fffd}ok\"");
    }

    #[test]
    fn live_imok_is_healthy_and_garbage_is_quoted() {
        assert_eq!(
            after_ruok(Ok(b"imok".to_vec())),
            Step::Done(Verdict::Healthy)
        );
        let Step::Done(v) = after_ruok(Ok(b"SSH-2.0-OpenSSH_9.2\r\n".to_vec())) else {
            panic!()
        };
        assert_eq!(
            line(&v),
            "127.0.0.1:2181 answered ruok with \"SSH-2.0-OpenSSH_9.2\\r\\n\" which is not a ZooKeeper reply: another program listens on that port, or a proxy is in between. Fix: point --port at ZooKeeper's clientPort (zoo.cfg) and --host at its clientPortAddress"
        );
    }

    #[test]
    fn live_falls_back_to_srvr_when_ruok_is_not_whitelisted() {
        let refused = b"ruok is not executed because it is not in the whitelist.\n".to_vec();
        assert_eq!(after_ruok(Ok(refused)), Step::AskSrvr);
        assert_eq!(live_from_srvr(Ok(SRVR_STANDALONE.into())), Verdict::Healthy);
        // Not in a quorum still proves the process answers.
        assert_eq!(live_from_srvr(Ok(NOT_SERVING.into())), Verdict::Healthy);
        let both = live_from_srvr(Ok(
            b"srvr is not executed because it is not in the whitelist.\n".to_vec(),
        ));
        assert_eq!(
            line(&both),
            "127.0.0.1:2181 refuses ruok and srvr: not in 4lw.commands.whitelist, so zkpod cannot ask. Fix: add `4lw.commands.whitelist=srvr,ruok,mntr,conf` to zoo.cfg (zkpod start writes it) and restart the server"
        );
    }

    #[test]
    fn ready_needs_a_serving_mode() {
        assert_eq!(ready_from_srvr(Ok(SRVR_LEADER.into())), Verdict::Healthy);
        assert_eq!(
            ready_from_srvr(Ok(SRVR_STANDALONE.into())),
            Verdict::Healthy
        );
        for m in ["follower", "observer"] {
            let r = SRVR_LEADER.replace("leader", m);
            assert_eq!(ready_from_srvr(Ok(r.into_bytes())), Verdict::Healthy, "{m}");
        }
        let ns = ready_from_srvr(Ok(format!("{NOT_SERVING}\n").into_bytes()));
        assert!(line(&ns).starts_with("127.0.0.1:2181 is not serving requests"));
        assert!(line(&ns).contains("has not joined a quorum yet"));
        assert!(line(&ns).contains("zkpod probe ready --mode ruok"));
        let ro = ready_from_srvr(Ok(SRVR_LEADER.replace("leader", "read-only").into_bytes()));
        assert_eq!(ro, Verdict::Unhealthy(Reason::ReadOnly));
        assert!(line(&ro).contains("read-only mode"));
        let odd = ready_from_srvr(Ok(SRVR_LEADER.replace("leader", "looking").into_bytes()));
        assert!(line(&odd).contains("reports mode \"looking\""));
        // ruok's answer to a srvr question is not a srvr report.
        assert!(matches!(
            ready_from_srvr(Ok(b"imok".to_vec())),
            Verdict::Unhealthy(Reason::Unexpected { .. })
        ));
        let wl = ready_from_srvr(Ok(
            b"srvr is not executed because it is not in the whitelist.\n".to_vec(),
        ));
        assert!(line(&wl).contains("refuses srvr: not in 4lw.commands.whitelist"));
    }

    #[test]
    fn client_errors_become_reasons_with_fixes() {
        let refused = ready_from_srvr(Err(Error::Refused));
        assert!(line(&refused)
            .starts_with("127.0.0.1:2181 refused the connection: no ZooKeeper is listening there"));
        assert!(line(&refused).contains("zkpod probe startup"));
        let stalled = ready_from_srvr(Err(Error::TimedOut {
            phase: Phase::Reply,
            partial: b"Zookeeper ver".to_vec(),
        }));
        assert!(line(&stalled).contains(
            "did not finish its reply within 800ms (received only 13 bytes: \"Zookeeper ver\")"
        ));
        let silent = ready_from_srvr(Err(Error::TimedOut {
            phase: Phase::Reply,
            partial: vec![],
        }));
        assert!(line(&silent).contains("(received nothing)"));
        let conn = ready_from_srvr(Err(Error::TimedOut {
            phase: Phase::Connect,
            partial: vec![],
        }));
        assert!(line(&conn).contains("did not accept the connection within 800ms"));
        let empty = ready_from_srvr(Err(Error::Empty { attempts: 2 }));
        assert!(line(&empty).contains("closed the connection without replying, twice"));
        for v in [refused, stalled, silent, conn, empty] {
            assert!(!line(&v).contains('\n'));
            assert!(line(&v).contains(". Fix: "));
        }
    }

    #[test]
    fn whitelist_fix_names_every_refused_word() {
        assert_eq!(
            whitelist_line(&["ruok".into()]),
            "4lw.commands.whitelist=srvr,ruok,mntr,conf"
        );
        assert_eq!(
            whitelist_line(&["envi".into()]),
            "4lw.commands.whitelist=srvr,ruok,mntr,conf,envi"
        );
    }

    /// An `ask` that answers from a table and records the words asked.
    fn table<'a>(
        replies: &'a [(&'a [u8; 4], Outcome)],
        asked: &'a mut Vec<String>,
    ) -> impl FnMut(&[u8; 4]) -> Outcome + 'a {
        move |w| {
            asked.push(String::from_utf8_lossy(w).into_owned());
            replies
                .iter()
                .find(|(word, _)| *word == w)
                .map(|(_, r)| r.clone())
                .unwrap_or(Err(Error::Refused))
        }
    }

    #[test]
    fn liveness_asks_srvr_only_when_ruok_is_refused() {
        let mut asked = Vec::new();
        let ok = [(b"ruok", Ok(b"imok".to_vec()))];
        assert_eq!(liveness(&mut table(&ok, &mut asked)), Verdict::Healthy);
        assert_eq!(asked, ["ruok"]);
        let mut asked = Vec::new();
        let refused = [
            (
                b"ruok",
                Ok(b"ruok is not executed because it is not in the whitelist.\n".to_vec()),
            ),
            (b"srvr", Ok(SRVR_LEADER.into())),
        ];
        assert_eq!(liveness(&mut table(&refused, &mut asked)), Verdict::Healthy);
        assert_eq!(asked, ["ruok", "srvr"]);
        let mut asked = Vec::new();
        assert_eq!(
            readiness(&mut table(&refused, &mut asked)),
            Verdict::Healthy
        );
        assert_eq!(asked, ["srvr"]);
    }
}
