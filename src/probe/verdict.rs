//! Probe decisions: what a four-letter-word reply means, as pure functions.
//!
//! The command layer (`cmd::probe`) sends the words through `fourlw`; this
//! module recognises the replies (`imok`, a `srvr` report, ZooKeeper's
//! not-serving and not-whitelisted answers, anything else) and turns an
//! exchange's outcome into a [`Verdict`]: healthy, or unhealthy with one line
//! saying what is wrong, what it means and the fix (issue 3).
//!
//! Semantics (see README): *live* and *startup* mean the process answers on
//! its client port (`ruok`, falling back to `srvr` when `ruok` is not
//! whitelisted); *ready* means `srvr` reports a serving mode, or in `ruok`
//! mode the same check as live.

use std::fmt;
use std::time::Duration;

use crate::client::fourlw::{FourLwError, Phase};

/// ZooKeeper's answer to most words while it is not in a quorum.
pub const NOT_SERVING: &str = "This ZooKeeper instance is not currently serving requests";

/// The zoo.cfg line that lets every zkpod command work; `zkpod start` writes it.
pub const WHITELIST_LINE: &str = "4lw.commands.whitelist=srvr,ruok,mntr,conf";

/// The whitelist line to suggest: [`WHITELIST_LINE`] plus any other word
/// that was refused (e.g. `envi` asked through `zkpod 4lw`).
pub fn whitelist_line(refused: &[String]) -> String {
    let mut line = WHITELIST_LINE.to_string();
    for w in refused {
        if !WHITELIST_LINE.contains(w.as_str()) {
            line.push(',');
            line.push_str(w);
        }
    }
    line
}

/// How many characters of an unexpected reply a message quotes.
const QUOTE_MAX: usize = 80;

/// Where the probe talked to, and with what deadline (for the messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub port: u16,
    pub timeout: Duration,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') && !self.host.starts_with('[') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// The server's mode, from `srvr`'s `Mode:` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Leader,
    Follower,
    Standalone,
    Observer,
    ReadOnly,
    Other(String),
}

impl Mode {
    fn parse(s: &str) -> Mode {
        match s {
            "leader" => Mode::Leader,
            "follower" => Mode::Follower,
            "standalone" => Mode::Standalone,
            "observer" => Mode::Observer,
            "read-only" => Mode::ReadOnly,
            other => Mode::Other(other.to_string()),
        }
    }

    /// True for the modes in which the server serves clients with a quorum.
    pub fn is_serving(&self) -> bool {
        matches!(
            self,
            Mode::Leader | Mode::Follower | Mode::Standalone | Mode::Observer
        )
    }

    /// The name ZooKeeper prints.
    pub fn as_str(&self) -> &str {
        match self {
            Mode::Leader => "leader",
            Mode::Follower => "follower",
            Mode::Standalone => "standalone",
            Mode::Observer => "observer",
            Mode::ReadOnly => "read-only",
            Mode::Other(s) => s,
        }
    }
}

/// A parsed `srvr` report. Fields ZooKeeper did not print stay `None`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Srvr {
    /// `Zookeeper version:` up to the first `-` or `,` (e.g. `3.8.0`).
    pub version: Option<String>,
    /// `Latency min/avg/max:` as printed (e.g. `0/0.0/0`).
    pub latency: Option<String>,
    pub received: Option<u64>,
    pub sent: Option<u64>,
    pub connections: Option<u64>,
    pub outstanding: Option<u64>,
    pub zxid: Option<u64>,
    pub mode: Option<Mode>,
    pub node_count: Option<u64>,
}

/// What a reply is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// `imok` (the answer to `ruok`).
    Imok,
    /// A well-formed `srvr` report (it has a `Mode:` line).
    Srvr(Srvr),
    /// `This ZooKeeper instance is not currently serving requests`.
    NotServing,
    /// `<word> is not executed because it is not in the whitelist.`
    NotWhitelisted(String),
    /// Anything else.
    Unexpected(Vec<u8>),
}

/// Recognises a reply. Pure; `bytes` is whatever the server sent.
pub fn classify(bytes: &[u8]) -> Answer {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.trim_end_matches(['\r', '\n']),
        Err(_) => return Answer::Unexpected(bytes.to_vec()),
    };
    if text == "imok" {
        return Answer::Imok;
    }
    if text == NOT_SERVING {
        return Answer::NotServing;
    }
    if let Some(word) = whitelist_refusal(text) {
        return Answer::NotWhitelisted(word.to_string());
    }
    match parse_srvr(text) {
        Some(s) => Answer::Srvr(s),
        None => Answer::Unexpected(bytes.to_vec()),
    }
}

/// The word ZooKeeper refused, if `text` is its not-whitelisted reply.
pub fn whitelist_refusal(text: &str) -> Option<&str> {
    let word = text
        .trim_end()
        .strip_suffix(" is not executed because it is not in the whitelist.")?;
    (word.len() == 4 && word.bytes().all(|b| b.is_ascii_lowercase())).then_some(word)
}

/// Parses a `srvr` (or `stat`) report; `None` unless it has a `Mode:` line,
/// which every well-formed report carries.
pub fn parse_srvr(text: &str) -> Option<Srvr> {
    let mut s = Srvr::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        let num = || value.parse::<u64>().ok();
        match key.trim() {
            "Zookeeper version" => {
                let end = value.find(['-', ',']).unwrap_or(value.len());
                s.version = Some(value[..end].trim().to_string());
            }
            "Latency min/avg/max" => s.latency = Some(value.to_string()),
            "Received" => s.received = num(),
            "Sent" => s.sent = num(),
            "Connections" => s.connections = num(),
            "Outstanding" => s.outstanding = num(),
            "Zxid" => {
                let hex = value.strip_prefix("0x").unwrap_or(value);
                s.zxid = u64::from_str_radix(hex, 16).ok();
            }
            "Mode" => s.mode = Some(Mode::parse(value)),
            "Node count" => s.node_count = num(),
            _ => {}
        }
    }
    s.mode.is_some().then_some(s)
}

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
}

impl Reason {
    /// The one-line diagnosis: what happened at `t`, what it means, the fix.
    pub fn line(&self, t: &Target) -> String {
        let ms = t.timeout.as_millis();
        match self {
            Reason::Resolve { host, detail } => format!(
                "cannot resolve host \"{}\" ({detail}): zkpod does not know where ZooKeeper is. Fix: pass --host (or ZOO_PROBE_HOST) with an address this pod resolves, e.g. 127.0.0.1",
                host.escape_default()
            ),
            Reason::Refused => format!(
                "{t} refused the connection: no ZooKeeper is listening there (not started yet, or it exited). Fix: check the container log and that --port matches clientPort; if it is still starting, add a startupProbe (zkpod probe startup) instead of a longer liveness delay"
            ),
            Reason::TimedOut { phase: Phase::Connect, .. } => format!(
                "{t} did not accept the connection within {ms}ms: the address is unreachable or the server's accept queue is full. Fix: check --host against clientPortAddress in zoo.cfg and the pod's CPU limit; if the server is busy, raise --timeout (keep it below timeoutSeconds)"
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
                    "{t} closed the connection without replying{tries}: the server is shutting down or refusing the connection (maxClientCnxns reached from this address?). Fix: check the container log for \"Too many connections\" and raise --max_client_cnxns; during a restart this clears by itself"
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
                "{t} reports mode \"{}\", which is not leader, follower, standalone or observer: it is not serving. Fix: check the container log; wait for leader election to finish",
                m.escape_default()
            ),
            Reason::NotWhitelisted(refused) => {
                let words = refused.join(" and ");
                let cfg = whitelist_line(refused);
                format!(
                    "{t} refuses {words}: not in 4lw.commands.whitelist, so zkpod cannot ask. Fix: add `{cfg}` to zoo.cfg (zkpod start writes it) and restart the server"
                )
            }
        }
    }
}

impl Verdict {
    /// The stderr line for an unhealthy verdict; `None` when healthy.
    pub fn line(&self, t: &Target) -> Option<String> {
        match self {
            Verdict::Healthy => None,
            Verdict::Unhealthy(r) => Some(r.line(t)),
        }
    }
}

impl From<FourLwError> for Reason {
    fn from(e: FourLwError) -> Reason {
        match e {
            FourLwError::Resolve { host, detail } => Reason::Resolve { host, detail },
            FourLwError::Refused => Reason::Refused,
            FourLwError::TimedOut { phase, partial } => Reason::TimedOut { phase, partial },
            FourLwError::Empty { attempts } => Reason::Empty { attempts },
            FourLwError::Io(d) => Reason::Io(d),
        }
    }
}

/// The outcome of one exchange: the reply bytes or the client's error.
pub type Outcome = Result<Vec<u8>, FourLwError>;

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

/// Readiness (serving mode) from `srvr`: ready when the mode is leader,
/// follower, standalone or observer.
pub fn serving(srvr: Outcome) -> Verdict {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `srvr` of Debian's ZooKeeper 3.8.0, standalone (captured on 127.0.0.30).
    pub const SRVR_STANDALONE: &str = "Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\nLatency min/avg/max: 0/0.0/0\nReceived: 7\nSent: 7\nConnections: 1\nOutstanding: 0\nZxid: 0x0\nMode: standalone\nNode count: 5\n";
    /// `srvr` of a 3.8.0 leader (2 of 3 servers up).
    pub const SRVR_LEADER: &str = "Zookeeper version: 3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC\nLatency min/avg/max: 0/0.0/0\nReceived: 1\nSent: 0\nConnections: 1\nOutstanding: 0\nZxid: 0x100000000\nMode: leader\nNode count: 5\nProposal sizes last/min/max: -1/-1/-1\n";

    fn t() -> Target {
        Target {
            host: "127.0.0.1".into(),
            port: 2181,
            timeout: Duration::from_millis(800),
        }
    }

    fn line(v: &Verdict) -> String {
        v.line(&t()).expect("unhealthy")
    }

    #[test]
    fn parses_real_srvr_replies() {
        let s = parse_srvr(SRVR_STANDALONE).unwrap();
        assert_eq!(s.version.as_deref(), Some("3.8.0"));
        assert_eq!(s.mode, Some(Mode::Standalone));
        assert_eq!(s.zxid, Some(0));
        assert_eq!(s.connections, Some(1));
        assert_eq!(s.node_count, Some(5));
        assert_eq!(s.latency.as_deref(), Some("0/0.0/0"));
        let l = parse_srvr(SRVR_LEADER).unwrap();
        assert_eq!(l.mode, Some(Mode::Leader));
        assert_eq!(l.zxid, Some(0x1_0000_0000));
        assert_eq!(
            parse_srvr("Zookeeper version: 3.8.0\nConnections: 1\n"),
            None
        );
    }

    #[test]
    fn classifies_replies() {
        assert_eq!(classify(b"imok"), Answer::Imok);
        assert_eq!(classify(b"imok\n"), Answer::Imok);
        assert_eq!(
            classify(format!("{NOT_SERVING}\n").as_bytes()),
            Answer::NotServing
        );
        assert_eq!(
            classify(b"ruok is not executed because it is not in the whitelist.\n"),
            Answer::NotWhitelisted("ruok".into())
        );
        assert!(matches!(classify(SRVR_LEADER.as_bytes()), Answer::Srvr(_)));
        assert_eq!(
            classify(b"HTTP/1.1 400"),
            Answer::Unexpected(b"HTTP/1.1 400".to_vec())
        );
        assert_eq!(
            classify(b"\xff\xfe"),
            Answer::Unexpected(b"\xff\xfe".to_vec())
        );
        assert_eq!(
            whitelist_refusal("x is not executed because it is not in the whitelist."),
            None
        );
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
        assert_eq!(serving(Ok(SRVR_LEADER.into())), Verdict::Healthy);
        assert_eq!(serving(Ok(SRVR_STANDALONE.into())), Verdict::Healthy);
        for m in ["follower", "observer"] {
            let r = SRVR_LEADER.replace("leader", m);
            assert_eq!(serving(Ok(r.into_bytes())), Verdict::Healthy, "{m}");
        }
        let ns = serving(Ok(format!("{NOT_SERVING}\n").into_bytes()));
        assert!(line(&ns).starts_with("127.0.0.1:2181 is not serving requests"));
        assert!(line(&ns).contains("has not joined a quorum yet"));
        assert!(line(&ns).contains("zkpod probe ready --mode ruok"));
        let ro = serving(Ok(SRVR_LEADER.replace("leader", "read-only").into_bytes()));
        assert_eq!(ro, Verdict::Unhealthy(Reason::ReadOnly));
        assert!(line(&ro).contains("read-only mode"));
        let odd = serving(Ok(SRVR_LEADER.replace("leader", "looking").into_bytes()));
        assert!(line(&odd).contains("reports mode \"looking\""));
        // ruok's answer to a srvr question is not a srvr report.
        assert!(matches!(
            serving(Ok(b"imok".to_vec())),
            Verdict::Unhealthy(Reason::Unexpected { .. })
        ));
        let wl = serving(Ok(
            b"srvr is not executed because it is not in the whitelist.\n".to_vec(),
        ));
        assert!(line(&wl).contains("refuses srvr: not in 4lw.commands.whitelist"));
    }

    #[test]
    fn client_errors_become_reasons_with_fixes() {
        let refused = serving(Err(FourLwError::Refused));
        assert!(line(&refused)
            .starts_with("127.0.0.1:2181 refused the connection: no ZooKeeper is listening there"));
        assert!(line(&refused).contains("zkpod probe startup"));
        let stalled = serving(Err(FourLwError::TimedOut {
            phase: Phase::Reply,
            partial: b"Zookeeper ver".to_vec(),
        }));
        assert!(line(&stalled).contains(
            "did not finish its reply within 800ms (received only 13 bytes: \"Zookeeper ver\")"
        ));
        let silent = serving(Err(FourLwError::TimedOut {
            phase: Phase::Reply,
            partial: vec![],
        }));
        assert!(line(&silent).contains("(received nothing)"));
        let conn = serving(Err(FourLwError::TimedOut {
            phase: Phase::Connect,
            partial: vec![],
        }));
        assert!(line(&conn).contains("did not accept the connection within 800ms"));
        let empty = serving(Err(FourLwError::Empty { attempts: 2 }));
        assert!(line(&empty).contains("closed the connection without replying, twice"));
        for v in [refused, stalled, silent, conn, empty] {
            assert!(!line(&v).contains('\n'));
            assert!(line(&v).contains(". Fix: "));
        }
    }

    #[test]
    fn whitelist_fix_names_every_refused_word() {
        assert_eq!(whitelist_line(&["ruok".into()]), WHITELIST_LINE);
        assert_eq!(
            whitelist_line(&["envi".into()]),
            "4lw.commands.whitelist=srvr,ruok,mntr,conf,envi"
        );
    }

    #[test]
    fn ipv6_targets_are_bracketed() {
        let t6 = Target {
            host: "::1".into(),
            port: 2181,
            timeout: Duration::from_secs(1),
        };
        assert_eq!(t6.to_string(), "[::1]:2181");
    }
}
