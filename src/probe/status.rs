//! The `zkpod status` model: mode, zxid, connections and (on a leader) the
//! followers, from `srvr` and `mntr`, rendered as text or JSON.

use std::fmt::Write as _;

use serde_json::json;

use crate::client::reply::{classify, parse_mntr, Answer, Mode, Srvr};
use crate::client::Outcome;
use crate::probe::verdict::{quote, Reason};

/// Asks `srvr` and, of a leader, `mntr` (for the follower counts), and
/// builds the status of the server called `name`. Fails with the [`Reason`]
/// to print when `srvr` fails, is not whitelisted or is not ZooKeeper's.
pub fn ask_status(name: &str, ask: &mut dyn FnMut(&[u8; 4]) -> Outcome) -> Result<Status, Reason> {
    let srvr = ask(b"srvr");
    let mntr = match &srvr {
        Ok(b) if wants_mntr(b) => Some(ask(b"mntr")),
        _ => None,
    };
    srvr.map_err(Reason::from)
        .and_then(|bytes| status_from_replies(name, bytes, mntr))
}

/// What `zkpod status` shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    pub endpoint: String,
    /// `None` while the server is not serving (no quorum).
    pub mode: Option<Mode>,
    pub zxid: Option<u64>,
    pub connections: Option<u64>,
    pub outstanding: Option<u64>,
    pub node_count: Option<u64>,
    pub latency: Option<String>,
    pub version: Option<String>,
    /// Leader only: followers (and observers) connected, from `mntr`.
    pub followers: Option<u64>,
    /// Leader only: followers in sync, from `mntr`.
    pub synced_followers: Option<u64>,
    /// Why follower counts are missing on a leader, if they are.
    pub note: Option<String>,
    /// Why the Secret's current TLS files were not taken by the probes'
    /// refresh (`tls::stores::REFUSED`), if they were not.
    pub tls_refused: Option<String>,
}

/// Builds the status from a `srvr` report (`None`: not serving) and, for a
/// leader, its `mntr` pairs (`None`: not available, e.g. not whitelisted).
pub fn status(endpoint: &str, srvr: Option<&Srvr>, mntr: Option<&[(String, String)]>) -> Status {
    let get = |key: &str| -> Option<u64> {
        mntr?
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| v.parse().ok())
    };
    let leader = srvr.and_then(|s| s.mode.as_ref()) == Some(&Mode::Leader);
    // 3.6+ prints zk_learners; 3.4/3.5 printed zk_followers.
    let followers = leader
        .then(|| get("zk_learners").or_else(|| get("zk_followers")))
        .flatten();
    let synced = leader.then(|| get("zk_synced_followers")).flatten();
    let note = (leader && mntr.is_none())
        .then(|| "follower counts need mntr: add it to 4lw.commands.whitelist".to_string());
    Status {
        endpoint: endpoint.to_string(),
        mode: srvr.and_then(|s| s.mode.clone()),
        zxid: srvr.and_then(|s| s.zxid),
        connections: srvr.and_then(|s| s.connections),
        outstanding: srvr.and_then(|s| s.outstanding),
        node_count: srvr.and_then(|s| s.node_count),
        latency: srvr.and_then(|s| s.latency.clone()),
        version: srvr.and_then(|s| s.version.clone()),
        followers,
        synced_followers: synced,
        note,
        tls_refused: None,
    }
}

/// True when a `srvr` reply comes from a leader, whose follower counts only
/// `mntr` has.
pub fn wants_mntr(srvr: &[u8]) -> bool {
    matches!(classify(srvr), Answer::Srvr(s) if s.mode == Some(Mode::Leader))
}

/// The status from the replies: `srvr`'s bytes and, for a leader, the
/// outcome of `mntr`. Fails with the [`Reason`] to print when `srvr` is not
/// whitelisted or the reply is not ZooKeeper's; a missing or refused `mntr`
/// only leaves the follower counts out, with a note saying why.
pub fn status_from_replies(
    endpoint: &str,
    srvr: Vec<u8>,
    mntr: Option<Outcome>,
) -> Result<Status, Reason> {
    let report = match classify(&srvr) {
        Answer::Srvr(s) => Some(s),
        Answer::NotServing => None,
        Answer::NotWhitelisted(w) => return Err(Reason::NotWhitelisted(vec![w])),
        Answer::Imok | Answer::Unexpected(_) => {
            return Err(Reason::Unexpected {
                word: "srvr".into(),
                reply: srvr,
            })
        }
    };
    let (pairs, why) = match mntr {
        None => (None, None),
        // status() itself notes a refused mntr.
        Some(Ok(b)) if matches!(classify(&b), Answer::NotWhitelisted(_)) => (None, None),
        Some(Ok(b)) => {
            let p = parse_mntr(&String::from_utf8_lossy(&b));
            if p.is_empty() {
                (None, Some(format!("mntr answered {}", quote(&b))))
            } else {
                (Some(p), None)
            }
        }
        Some(Err(e)) => (None, Some(format!("mntr failed: {e}"))),
    };
    let mut st = status(endpoint, report.as_ref(), pairs.as_deref());
    if why.is_some() {
        st.note = why;
    }
    Ok(st)
}

fn hex(z: u64) -> String {
    format!("0x{z:x}")
}

fn or_dash<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| "-".to_string(), |v| v.to_string())
}

impl Status {
    /// True when the mode is leader, follower, standalone or observer.
    pub fn serving(&self) -> bool {
        self.mode.as_ref().is_some_and(Mode::is_serving)
    }

    /// Aligned `key: value` lines for people.
    pub fn render_text(&self) -> String {
        let mode = match &self.mode {
            Some(m) => m.as_str().to_string(),
            None => "not serving (has not joined a quorum)".to_string(),
        };
        let zxid = self.zxid.map(|z| {
            format!(
                "{} (epoch {}, counter {})",
                hex(z),
                z >> 32,
                z & 0xffff_ffff
            )
        });
        let followers = match (self.followers, self.synced_followers) {
            (Some(f), Some(s)) => format!("{f} ({s} synced)"),
            (Some(f), None) => f.to_string(),
            _ => match &self.note {
                Some(n) => format!("unknown ({n})"),
                None => "-".to_string(),
            },
        };
        let rows = [
            ("server", self.endpoint.clone()),
            ("mode", mode),
            ("zxid", or_dash(zxid)),
            ("connections", or_dash(self.connections)),
            ("outstanding", or_dash(self.outstanding)),
            ("followers", followers),
            ("znodes", or_dash(self.node_count)),
            (
                "latency",
                or_dash(
                    self.latency
                        .as_ref()
                        .map(|l| format!("{l} ms (min/avg/max)")),
                ),
            ),
            ("version", or_dash(self.version.as_ref())),
        ];
        let mut out = String::new();
        for (k, v) in rows {
            let _ = writeln!(out, "{:<12} {v}", format!("{k}:"));
        }
        if let Some(why) = &self.tls_refused {
            let _ = writeln!(
                out,
                "{:<12} the Secret's new files were not taken: {why}",
                "tls:"
            );
        }
        out
    }

    /// One JSON object; absent values are `null`, the zxid is a hex string.
    pub fn render_json(&self) -> String {
        json!({
            "server": self.endpoint,
            "serving": self.serving(),
            "mode": self.mode.as_ref().map(Mode::as_str),
            "zxid": self.zxid.map(hex),
            "connections": self.connections,
            "outstanding": self.outstanding,
            "followers": self.followers,
            "synced_followers": self.synced_followers,
            "node_count": self.node_count,
            "latency_min_avg_max_ms": self.latency,
            "version": self.version,
            "note": self.note,
            "tls_refused": self.tls_refused,
        })
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::reply::parse_srvr;
    use crate::probe::metrics::tests::MNTR_LEADER;

    #[test]
    fn status_of_a_leader_counts_followers() {
        let srvr = parse_srvr(
            "Zookeeper version: 3.8.0-abc, built on x\nLatency min/avg/max: 0/0.0/0\nReceived: 1\nSent: 0\nConnections: 1\nOutstanding: 0\nZxid: 0x100000003\nMode: leader\nNode count: 5\n",
        )
        .unwrap();
        let m = parse_mntr(MNTR_LEADER);
        let s = status("127.0.0.1:2181", Some(&srvr), Some(&m));
        assert_eq!(s.followers, Some(1));
        assert_eq!(s.synced_followers, Some(1));
        assert_eq!(
            s.render_text(),
            "server:      127.0.0.1:2181\nmode:        leader\nzxid:        0x100000003 (epoch 1, counter 3)\nconnections: 1\noutstanding: 0\nfollowers:   1 (1 synced)\nznodes:      5\nlatency:     0/0.0/0 ms (min/avg/max)\nversion:     3.8.0\n"
        );
        let j: serde_json::Value = serde_json::from_str(&s.render_json()).unwrap();
        assert_eq!(j["mode"], "leader");
        assert_eq!(j["serving"], true);
        assert_eq!(j["zxid"], "0x100000003");
        assert_eq!(j["followers"], 1);
        assert_eq!(j["connections"], 1);
        // Without mntr, the leader's follower count is unknown and says why.
        let bare = status("127.0.0.1:2181", Some(&srvr), None);
        assert!(bare
            .render_text()
            .contains("followers:   unknown (follower counts need mntr"));
    }

    #[test]
    fn status_from_real_replies() {
        let leader = b"Zxid: 0x100000000\nMode: leader\nConnections: 1\n".to_vec();
        assert!(wants_mntr(&leader));
        assert!(!wants_mntr(b"Zxid: 0x0\nMode: follower\n"));
        assert!(!wants_mntr(
            b"This ZooKeeper instance is not currently serving requests\n"
        ));
        let s = status_from_replies("h:1", leader.clone(), Some(Ok(MNTR_LEADER.into()))).unwrap();
        assert_eq!(
            (s.followers, s.synced_followers, s.note),
            (Some(1), Some(1), None)
        );
        let refused = b"mntr is not executed because it is not in the whitelist.\n".to_vec();
        let s = status_from_replies("h:1", leader.clone(), Some(Ok(refused))).unwrap();
        assert_eq!(
            s.note.as_deref(),
            Some("follower counts need mntr: add it to 4lw.commands.whitelist")
        );
        let s = status_from_replies(
            "h:1",
            leader.clone(),
            Some(Err(crate::client::Error::Refused)),
        )
        .unwrap();
        assert_eq!(s.note.as_deref(), Some("mntr failed: connection refused"));
        let s = status_from_replies("h:1", leader, Some(Ok(b"junk".to_vec()))).unwrap();
        assert_eq!(s.note.as_deref(), Some("mntr answered \"junk\""));
        assert_eq!(
            status_from_replies(
                "h:1",
                b"srvr is not executed because it is not in the whitelist.\n".to_vec(),
                None
            ),
            Err(Reason::NotWhitelisted(vec!["srvr".into()]))
        );
        assert_eq!(
            status_from_replies("h:1", b"imok".to_vec(), None),
            Err(Reason::Unexpected {
                word: "srvr".into(),
                reply: b"imok".to_vec()
            })
        );
    }

    #[test]
    fn status_of_a_follower_and_of_a_lone_member() {
        let srvr = parse_srvr("Zxid: 0x0\nMode: follower\nConnections: 2\n").unwrap();
        let s = status("h:1", Some(&srvr), Some(&parse_mntr("zk_learners\t9\n")));
        assert_eq!(s.followers, None, "only a leader has followers");
        assert!(s.render_text().contains("followers:   -\n"));
        let lone = status("h:1", None, None);
        assert!(!lone.serving());
        assert!(lone
            .render_text()
            .contains("mode:        not serving (has not joined a quorum)"));
        let j: serde_json::Value = serde_json::from_str(&lone.render_json()).unwrap();
        assert_eq!(j["serving"], false);
        assert!(j["mode"].is_null());
    }
    #[test]
    fn a_leader_is_asked_mntr_and_a_follower_is_not() {
        let leader = b"Zxid: 0x100000000\nMode: leader\n".to_vec();
        let mut asked = Vec::new();
        let s = ask_status("h:1", &mut |w| {
            asked.push(*w);
            Ok(if w == b"srvr" {
                leader.clone()
            } else {
                MNTR_LEADER.into()
            })
        })
        .unwrap();
        assert_eq!(asked, [*b"srvr", *b"mntr"]);
        assert_eq!(s.followers, Some(1));
        let mut asked = Vec::new();
        ask_status("h:1", &mut |w| {
            asked.push(*w);
            Ok(b"Zxid: 0x0\nMode: follower\n".to_vec())
        })
        .unwrap();
        assert_eq!(asked, [*b"srvr"]);
    }

    #[test]
    fn a_refused_tls_refresh_is_shown() {
        let srvr = parse_srvr("Zxid: 0x0\nMode: follower\nConnections: 2\n").unwrap();
        let mut st = status("127.0.0.1:2281", Some(&srvr), None);
        assert!(!st.render_text().contains("tls:"));
        st.tls_refused = Some("the certificate in /etc/zookeeper/tls/tls.crt expired".into());
        assert!(st.render_text().ends_with(
            "tls:         the Secret's new files were not taken: the certificate in /etc/zookeeper/tls/tls.crt expired\n"
        ));
        let j: serde_json::Value = serde_json::from_str(&st.render_json()).unwrap();
        assert_eq!(
            j["tls_refused"],
            "the certificate in /etc/zookeeper/tls/tls.crt expired"
        );
    }
}
