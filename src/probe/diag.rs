//! Diagnostics rendering, as pure functions: `mntr` parsing, the Prometheus
//! text exposition of it, and the `zkpod status` model (text and JSON).
//!
//! Prometheus mapping: `zk_<key>` becomes `zookeeper_<key>` (sanitised to
//! `[a-zA-Z0-9_]`). Only keys that never decrease while the server runs are
//! counters (see [`is_counter`]); the rest are gauges, including
//! `zk_watch_count`, `zk_ephemerals_count` and `zk_znode_count`, which go up
//! and down although they end in `_count`. String values become labels of a
//! constant-1 gauge (`zookeeper_info{version="..."} 1`); other non-numeric
//! values are skipped.

use std::fmt::Write as _;

use serde_json::json;

use crate::probe::verdict::{classify, quote, Answer, Mode, Outcome, Reason, Srvr};

/// Parses `mntr` output: one `key<TAB>value` per line, in order. Lines
/// without a tab are skipped.
pub fn parse_mntr(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

/// Checks that a reply to `mntr` is `mntr` output (key/value lines). Fails
/// with the [`Reason`] to print: not whitelisted, not serving, or unexpected.
pub fn check_mntr(reply: Vec<u8>) -> Result<Vec<u8>, Reason> {
    match classify(&reply) {
        Answer::NotWhitelisted(w) => Err(Reason::NotWhitelisted(vec![w])),
        Answer::NotServing => Err(Reason::NotServing),
        _ if !parse_mntr(&String::from_utf8_lossy(&reply)).is_empty() => Ok(reply),
        _ => Err(Reason::Unexpected {
            word: "mntr".into(),
            reply,
        }),
    }
}

/// Keys (without `zk_`) that count events since the server started; ZooKeeper
/// 3.4 to 3.8. They only reset when the server restarts or on `srst`, which
/// Prometheus handles as a counter reset.
const COUNTERS: &[&str] = &[
    "packets_received",
    "packets_sent",
    "fsync_threshold_exceed_count",
    "auth_failed_count",
    "proposal_count",
    "learner_proposal_received_count",
    "learner_commit_received_count",
    "digest_mismatches_count",
    "bytes_received_count",
    "connection_request_count",
    "connection_revalidate_count",
    "connection_drop_count",
    "connection_rejected",
    "revalidate_count",
    "diff_count",
    "snap_count",
    "commit_count",
    "looking_count",
    "unrecoverable_error_count",
    "unsuccessful_handshake",
    "skip_learner_request_to_next_processor_count",
    "request_throttle_wait_count",
    "outstanding_changes_queued",
    "outstanding_changes_removed",
    "stale_requests",
    "stale_requests_dropped",
    "stale_replies",
    "stale_sessions_expired",
    "sessionless_connections_expired",
    "cnxn_closed_without_zk_server_running",
    "dead_watchers_queued",
    "dead_watchers_cleared",
    "add_dead_watcher_stall_time",
    "large_requests_rejected",
    "insecure_admin_count",
    "throttled_ops",
    "tls_handshake_exceeded",
    "ensemble_auth_success",
    "ensemble_auth_fail",
    "ensemble_auth_skip",
    "quit_leading_due_to_disloyal_voter",
    "response_packet_cache_hits",
    "response_packet_cache_misses",
    "response_packet_get_children_cache_hits",
    "response_packet_get_children_cache_misses",
    "response_bytes",
    "prep_processor_request_queued",
    "sync_processor_request_queued",
    "request_commit_queued",
    "requests_not_forwarded_to_commit_processor",
];

/// String-valued keys rendered as labels: (key, metric name, label name).
const LABELS: &[(&str, &str, &str)] = &[
    ("version", "zookeeper_info", "version"),
    ("server_state", "zookeeper_server_state", "state"),
    ("peer_state", "zookeeper_peer_state", "state"),
];

/// True when the `mntr` key (with or without `zk_`) is a counter: a listed
/// event count, or the `cnt_`/`sum_` part of a 3.6+ summary (a running count
/// and total of observations). Everything else is a gauge.
pub fn is_counter(key: &str) -> bool {
    let k = key.strip_prefix("zk_").unwrap_or(key);
    COUNTERS.contains(&k) || k.starts_with("cnt_") || k.starts_with("sum_")
}

/// `zookeeper_` + the key without `zk_`, every character outside
/// `[a-zA-Z0-9_]` replaced by `_`.
pub fn metric_name(key: &str) -> String {
    let k = key.strip_prefix("zk_").unwrap_or(key);
    let mut name = String::with_capacity(10 + k.len());
    name.push_str("zookeeper_");
    name.extend(k.chars().map(|c| {
        if c.is_ascii_alphanumeric() || c == '_' {
            c
        } else {
            '_'
        }
    }));
    name
}

/// Escapes a label value for the exposition format (`\`, `"`, newline).
pub fn escape_label(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A value Prometheus accepts as a sample: a finite decimal number.
fn numeric(v: &str) -> Option<&str> {
    v.parse::<f64>().ok().filter(|f| f.is_finite()).map(|_| v)
}

/// Renders parsed `mntr` pairs as Prometheus text exposition (format 0.0.4),
/// in the order ZooKeeper printed them, each with `# HELP` and `# TYPE`.
pub fn prometheus(pairs: &[(String, String)]) -> String {
    let mut out = String::with_capacity(pairs.len() * 96);
    for (key, value) in pairs {
        let k = key.strip_prefix("zk_").unwrap_or(key);
        if let Some((_, name, label)) = LABELS.iter().find(|(lk, _, _)| *lk == k) {
            let _ = writeln!(out, "# HELP {name} ZooKeeper mntr {key}, as a label.");
            let _ = writeln!(out, "# TYPE {name} gauge");
            let _ = writeln!(out, "{name}{{{label}=\"{}\"}} 1", escape_label(value));
            continue;
        }
        let Some(v) = numeric(value) else {
            continue;
        };
        let name = metric_name(key);
        let kind = if is_counter(key) { "counter" } else { "gauge" };
        let _ = writeln!(out, "# HELP {name} ZooKeeper mntr {key}.");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        let _ = writeln!(out, "{name} {v}");
    }
    out
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
        })
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::verdict::parse_srvr;

    /// The start of `mntr` from Debian's ZooKeeper 3.8.0 as a leader
    /// (captured on 127.0.0.30), plus summary lines from further down.
    const MNTR_LEADER: &str = "zk_version\t3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC
zk_server_state\tleader
zk_peer_state\tleading - broadcast
zk_ephemerals_count\t0
zk_num_alive_connections\t1
zk_avg_latency\t0.0
zk_znode_count\t5
zk_packets_sent\t1
zk_packets_received\t2
zk_synced_followers\t1
zk_watch_count\t0
zk_approximate_data_size\t179
zk_learners\t1
zk_quorum_size\t3
zk_fsync_threshold_exceed_count\t0
zk_avg_fsynctime\t0.0
zk_cnt_fsynctime\t0
zk_sum_fsynctime\t0
zk_p99_readlatency\t0
";

    const PROM_LEADER: &str = r#"# HELP zookeeper_info ZooKeeper mntr zk_version, as a label.
# TYPE zookeeper_info gauge
zookeeper_info{version="3.8.0-${mvngit.commit.id}, built on 2024-12-29 17:54 UTC"} 1
# HELP zookeeper_server_state ZooKeeper mntr zk_server_state, as a label.
# TYPE zookeeper_server_state gauge
zookeeper_server_state{state="leader"} 1
# HELP zookeeper_peer_state ZooKeeper mntr zk_peer_state, as a label.
# TYPE zookeeper_peer_state gauge
zookeeper_peer_state{state="leading - broadcast"} 1
# HELP zookeeper_ephemerals_count ZooKeeper mntr zk_ephemerals_count.
# TYPE zookeeper_ephemerals_count gauge
zookeeper_ephemerals_count 0
# HELP zookeeper_num_alive_connections ZooKeeper mntr zk_num_alive_connections.
# TYPE zookeeper_num_alive_connections gauge
zookeeper_num_alive_connections 1
# HELP zookeeper_avg_latency ZooKeeper mntr zk_avg_latency.
# TYPE zookeeper_avg_latency gauge
zookeeper_avg_latency 0.0
# HELP zookeeper_znode_count ZooKeeper mntr zk_znode_count.
# TYPE zookeeper_znode_count gauge
zookeeper_znode_count 5
# HELP zookeeper_packets_sent ZooKeeper mntr zk_packets_sent.
# TYPE zookeeper_packets_sent counter
zookeeper_packets_sent 1
# HELP zookeeper_packets_received ZooKeeper mntr zk_packets_received.
# TYPE zookeeper_packets_received counter
zookeeper_packets_received 2
# HELP zookeeper_synced_followers ZooKeeper mntr zk_synced_followers.
# TYPE zookeeper_synced_followers gauge
zookeeper_synced_followers 1
# HELP zookeeper_watch_count ZooKeeper mntr zk_watch_count.
# TYPE zookeeper_watch_count gauge
zookeeper_watch_count 0
# HELP zookeeper_approximate_data_size ZooKeeper mntr zk_approximate_data_size.
# TYPE zookeeper_approximate_data_size gauge
zookeeper_approximate_data_size 179
# HELP zookeeper_learners ZooKeeper mntr zk_learners.
# TYPE zookeeper_learners gauge
zookeeper_learners 1
# HELP zookeeper_quorum_size ZooKeeper mntr zk_quorum_size.
# TYPE zookeeper_quorum_size gauge
zookeeper_quorum_size 3
# HELP zookeeper_fsync_threshold_exceed_count ZooKeeper mntr zk_fsync_threshold_exceed_count.
# TYPE zookeeper_fsync_threshold_exceed_count counter
zookeeper_fsync_threshold_exceed_count 0
# HELP zookeeper_avg_fsynctime ZooKeeper mntr zk_avg_fsynctime.
# TYPE zookeeper_avg_fsynctime gauge
zookeeper_avg_fsynctime 0.0
# HELP zookeeper_cnt_fsynctime ZooKeeper mntr zk_cnt_fsynctime.
# TYPE zookeeper_cnt_fsynctime counter
zookeeper_cnt_fsynctime 0
# HELP zookeeper_sum_fsynctime ZooKeeper mntr zk_sum_fsynctime.
# TYPE zookeeper_sum_fsynctime counter
zookeeper_sum_fsynctime 0
# HELP zookeeper_p99_readlatency ZooKeeper mntr zk_p99_readlatency.
# TYPE zookeeper_p99_readlatency gauge
zookeeper_p99_readlatency 0
"#;

    #[test]
    fn mntr_to_prometheus_golden() {
        let pairs = parse_mntr(MNTR_LEADER);
        assert_eq!(pairs.len(), 19);
        assert_eq!(prometheus(&pairs), PROM_LEADER);
    }

    #[test]
    fn mntr_replies_are_checked() {
        assert_eq!(check_mntr(MNTR_LEADER.into()), Ok(MNTR_LEADER.into()));
        assert_eq!(
            check_mntr(b"mntr is not executed because it is not in the whitelist.\n".to_vec()),
            Err(Reason::NotWhitelisted(vec!["mntr".into()]))
        );
        assert_eq!(
            check_mntr(b"This ZooKeeper instance is not currently serving requests\n".to_vec()),
            Err(Reason::NotServing)
        );
        assert_eq!(
            check_mntr(b"imok".to_vec()),
            Err(Reason::Unexpected {
                word: "mntr".into(),
                reply: b"imok".to_vec()
            })
        );
    }

    #[test]
    fn gauges_that_end_in_count_stay_gauges() {
        for g in [
            "zk_watch_count",
            "zk_ephemerals_count",
            "zk_znode_count",
            "zk_max_file_descriptor_count",
            "zk_open_file_descriptor_count",
            "zk_num_alive_connections",
            "zk_avg_fsynctime",
            "zk_p99_readlatency",
        ] {
            assert!(!is_counter(g), "{g}");
        }
        for c in [
            "zk_packets_received",
            "zk_packets_sent",
            "zk_fsync_threshold_exceed_count",
            "zk_learner_proposal_received_count",
            "zk_cnt_fsynctime",
        ] {
            assert!(is_counter(c), "{c}");
        }
    }

    #[test]
    fn names_are_sanitised_and_labels_escaped() {
        assert_eq!(metric_name("zk_a.b-c"), "zookeeper_a_b_c");
        assert_eq!(metric_name("weird key"), "zookeeper_weird_key");
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        let out = prometheus(&parse_mntr(
            "zk_version\t3.9 \"x\"\\y\nzk_odd\tfoo\nzk_nan\tNaN\n",
        ));
        assert_eq!(
            out,
            "# HELP zookeeper_info ZooKeeper mntr zk_version, as a label.\n# TYPE zookeeper_info gauge\nzookeeper_info{version=\"3.9 \\\"x\\\"\\\\y\"} 1\n"
        );
    }

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
            Some(Err(crate::client::fourlw::FourLwError::Refused)),
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
}
