//! `mntr` for `zkpod metrics`: checking that a reply is `mntr` output, and
//! rendering it as Prometheus text exposition (format 0.0.4).
//!
//! Prometheus mapping: `zk_<key>` becomes `zookeeper_<key>` (sanitised to
//! `[a-zA-Z0-9_]`), or with [`Names::Zk`] keeps mntr's own `zk_<key>`, the
//! names the popular `mntr` exporters use. Only keys that never decrease while the server runs are
//! counters (see [`is_counter`]); the rest are gauges, including
//! `zk_watch_count`, `zk_ephemerals_count` and `zk_znode_count`, which go up
//! and down although they end in `_count`. String values become labels of a
//! constant-1 gauge (`zookeeper_info{version="..."} 1`); other non-numeric
//! values are skipped.

use std::fmt::Write as _;

use crate::client::reply::{classify, parse_mntr, Answer};
use crate::client::Outcome;
use crate::probe::verdict::Reason;

/// Asks `mntr` and checks the reply (see [`check_mntr`]).
pub fn fetch_mntr(ask: &mut dyn FnMut(&[u8; 4]) -> Outcome) -> Result<Vec<u8>, Reason> {
    ask(b"mntr").map_err(Reason::from).and_then(check_mntr)
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

/// String-valued keys rendered as labels: (key, metric name after the
/// prefix, label name).
const LABELS: &[(&str, &str, &str)] = &[
    ("version", "info", "version"),
    ("server_state", "server_state", "state"),
    ("peer_state", "peer_state", "state"),
];

/// How `mntr` keys are named as metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Names {
    /// `zookeeper_<key>`: zkpod's own names.
    Zookeeper,
    /// `zk_<key>`: mntr's own keys, as the popular exporters name them.
    Zk,
}

impl Names {
    fn prefix(self) -> &'static str {
        match self {
            Names::Zookeeper => "zookeeper_",
            Names::Zk => "zk_",
        }
    }
}

/// True when the `mntr` key (with or without `zk_`) is a counter: a listed
/// event count, or the `cnt_`/`sum_` part of a 3.6+ summary (a running count
/// and total of observations). Everything else is a gauge.
pub fn is_counter(key: &str) -> bool {
    let k = key.strip_prefix("zk_").unwrap_or(key);
    COUNTERS.contains(&k) || k.starts_with("cnt_") || k.starts_with("sum_")
}

/// The prefix (`zookeeper_` or `zk_`) + the key without `zk_`, every
/// character outside `[a-zA-Z0-9_]` replaced by `_`.
pub fn metric_name(key: &str, names: Names) -> String {
    let k = key.strip_prefix("zk_").unwrap_or(key);
    let mut name = String::with_capacity(10 + k.len());
    name.push_str(names.prefix());
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
pub fn prometheus(pairs: &[(String, String)], names: Names) -> String {
    let mut out = String::with_capacity(pairs.len() * 96);
    for (key, value) in pairs {
        let k = key.strip_prefix("zk_").unwrap_or(key);
        if let Some((_, suffix, label)) = LABELS.iter().find(|(lk, _, _)| *lk == k) {
            let name = format!("{}{suffix}", names.prefix());
            let _ = writeln!(out, "# HELP {name} ZooKeeper mntr {key}, as a label.");
            let _ = writeln!(out, "# TYPE {name} gauge");
            let _ = writeln!(out, "{name}{{{label}=\"{}\"}} 1", escape_label(value));
            continue;
        }
        let Some(v) = numeric(value) else {
            continue;
        };
        let name = metric_name(key, names);
        let kind = if is_counter(key) { "counter" } else { "gauge" };
        let _ = writeln!(out, "# HELP {name} ZooKeeper mntr {key}.");
        let _ = writeln!(out, "# TYPE {name} {kind}");
        let _ = writeln!(out, "{name} {v}");
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The start of `mntr` from Debian's ZooKeeper 3.8.0 as a leader
    /// (captured on 127.0.0.30), plus summary lines from further down.
    pub(crate) const MNTR_LEADER: &str = include_str!("../../tests/golden/mntr.leader");

    #[test]
    fn mntr_to_prometheus_golden() {
        let pairs = parse_mntr(MNTR_LEADER);
        assert_eq!(pairs.len(), 19);
        crate::golden::check("metrics.leader.prom", &prometheus(&pairs, Names::Zookeeper));
        crate::golden::check("metrics.leader.zk.prom", &prometheus(&pairs, Names::Zk));
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
        assert_eq!(metric_name("zk_a.b-c", Names::Zookeeper), "zookeeper_a_b_c");
        assert_eq!(
            metric_name("weird key", Names::Zookeeper),
            "zookeeper_weird_key"
        );
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        let out = prometheus(
            &parse_mntr("zk_version\t3.9 \"x\"\\y\nzk_odd\tfoo\nzk_nan\tNaN\n"),
            Names::Zookeeper,
        );
        assert_eq!(
            out,
            "# HELP zookeeper_info ZooKeeper mntr zk_version, as a label.\n# TYPE zookeeper_info gauge\nzookeeper_info{version=\"3.9 \\\"x\\\"\\\\y\"} 1\n"
        );
    }
}
