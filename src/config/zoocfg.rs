//! zoo.cfg: rendering it from the settings, knowing its keys, and reading
//! it back (the probes find the client port and address in it).
//!
//! The format is Java properties: `key=value` lines and `#` comments.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use crate::config::settings::Settings;

/// The header of every zoo.cfg zkpod writes.
pub const HEADER: &str = "# Written by zkpod start on every start: edits here are lost.\n# Change settings with zkpod flags, --set key=value or ZOO_CFG_EXTRA.\n";

/// Renders zoo.cfg. The first settings come in the order of the tutorial's
/// start-zookeeper, so the two files diff cleanly; the purge interval key is
/// spelt correctly (the script wrote `autopurge.purgeInteval`, which
/// ZooKeeper ignores).
pub fn render(s: &Settings) -> String {
    let mut out = String::from(HEADER);
    let mut kv = |k: &str, v: &dyn std::fmt::Display| {
        let _ = writeln!(out, "{k}={v}");
    };
    kv("clientPort", &s.client_port);
    kv("dataDir", &s.data_dir.display());
    kv("dataLogDir", &s.data_log_dir.display());
    kv("tickTime", &s.tick_time);
    kv("initLimit", &s.init_limit);
    kv("syncLimit", &s.sync_limit);
    kv("maxClientCnxns", &s.max_client_cnxns);
    kv("minSessionTimeout", &s.min_session_timeout);
    kv("maxSessionTimeout", &s.max_session_timeout);
    kv("autopurge.snapRetainCount", &s.snap_retain_count);
    kv("autopurge.purgeInterval", &s.purge_interval);
    kv("4lw.commands.whitelist", &s.four_letter_words.join(","));
    kv("admin.enableServer", &s.admin_port.is_some());
    if let Some(port) = s.admin_port {
        kv("admin.serverPort", &port);
    }
    if let Some(addr) = &s.client_address {
        kv("clientPortAddress", addr);
    }
    if s.quorum_listen_on_all_ips {
        kv("quorumListenOnAllIPs", &true);
    }
    if s.servers.len() > 1 {
        for m in &s.servers {
            let line = format!("{}:{}:{}", m.host, s.server_port, s.election_port);
            kv(&format!("server.{}", m.id), &line);
        }
    }
    for (k, v) in &s.extra {
        kv(k, v);
    }
    out
}

/// Keys ZooKeeper 3.4-3.9 reads from zoo.cfg (its administrator's guide).
const KNOWN_KEYS: &[&str] = &[
    "clientPort",
    "secureClientPort",
    "observerMasterPort",
    "dataDir",
    "tickTime",
    "dataLogDir",
    "globalOutstandingLimit",
    "preAllocSize",
    "snapCount",
    "commitLogCount",
    "snapSizeLimitInKb",
    "txnLogSizeLimitInKb",
    "maxCnxns",
    "maxClientCnxns",
    "clientPortAddress",
    "secureClientPortAddress",
    "minSessionTimeout",
    "maxSessionTimeout",
    "fsync.warningthresholdms",
    "maxResponseCacheSize",
    "maxGetChildrenResponseCacheSize",
    "autopurge.snapRetainCount",
    "autopurge.purgeInterval",
    "syncEnabled",
    "extendedTypesEnabled",
    "emulate353TTLNodes",
    "watchManagerName",
    "watcherCleanThreadsNum",
    "watcherCleanIntervalInSeconds",
    "maxInProcessingDeadWatchers",
    "electionAlg",
    "initLimit",
    "connectToLearnerMasterLimit",
    "leaderServes",
    "syncLimit",
    "cnxTimeout",
    "quorumCnxnTimeoutMs",
    "standaloneEnabled",
    "reconfigEnabled",
    "4lw.commands.whitelist",
    "tcpKeepAlive",
    "clientTcpKeepAlive",
    "electionPortBindRetry",
    "observer.reconnectDelayMs",
    "observer.election.DelayMs",
    "localSessionsEnabled",
    "localSessionsUpgradingEnabled",
    "skipACL",
    "forceSync",
    "jute.maxbuffer",
    "quorumListenOnAllIPs",
    "multiAddress.enabled",
    "multiAddress.reachabilityCheckTimeoutMs",
    "multiAddress.reachabilityCheckEnabled",
    "admin.enableServer",
    "admin.serverAddress",
    "admin.serverPort",
    "admin.idleTimeout",
    "admin.commandURL",
    "admin.portUnification",
    "admin.forceHttps",
    "metricsProvider.className",
    "metricsProvider.httpHost",
    "metricsProvider.httpPort",
    "metricsProvider.exportJvmInfo",
    "dynamicConfigFile",
    "peerType",
    "quorum.auth.enableSasl",
    "quorum.auth.learnerRequireSasl",
    "quorum.auth.serverRequireSasl",
    "quorum.auth.learner.saslLoginContext",
    "quorum.auth.server.saslLoginContext",
    "quorum.auth.kerberos.servicePrincipal",
    "quorum.cnxn.threads.size",
    "sslQuorum",
    "sslQuorumReloadCertFiles",
    "serverCnxnFactory",
    "portUnification",
    "client.portUnification",
    "snapshot.trust.empty",
    "digest.enabled",
    "audit.enable",
    "learner.asyncSending",
    "largeRequestMaxBytes",
    "largeRequestThreshold",
    "outstandingHandshake.limit",
    "throttledOpWaitTime",
    "enforceQuota",
    "snapshot.compression.method",
    "maxBatchSize",
    "learner.closeSocketAsync",
    "leader.closeSocketAsync",
    "zookeeper.request_throttler.shutdownTimeout",
    "connectionMaxTokens",
    "connectionTokenFillTime",
    "connectionTokenFillCount",
    "connectionFreezeTime",
    "connectionDropIncrease",
    "connectionDropDecrease",
    "connectionDecreaseRatio",
    "requestThrottleLimit",
    "requestThrottleStallTime",
    "requestThrottleDropStale",
    "authProvider.1",
    "superUser",
];

/// Key families whose members ZooKeeper names freely (numbered or per-plugin).
const KNOWN_PREFIXES: &[&str] = &[
    "server.",
    "group.",
    "weight.",
    "ssl.",
    "authProvider.",
    "metricsProvider.",
    "zookeeper.",
    "jvm.pause.",
    "netty.",
    "kerberos.",
    "sasl.",
];

/// For a key ZooKeeper does not know, a warning naming the nearest known key;
/// `None` for known keys.
pub fn unknown_key_hint(key: &str) -> Option<String> {
    if KNOWN_KEYS.contains(&key) || KNOWN_PREFIXES.iter().any(|p| key.starts_with(p)) {
        return None;
    }
    let lower = key.to_ascii_lowercase();
    let (distance, nearest) = KNOWN_KEYS
        .iter()
        .map(|k| (strsim::levenshtein(&lower, &k.to_ascii_lowercase()), *k))
        .min()?;
    Some(if distance == 0 {
        format!("zoo.cfg key '{key}' is spelt '{nearest}': ZooKeeper's keys are case-sensitive and it will ignore '{key}'; use '{nearest}'")
    } else if distance <= (key.len() / 3).max(2) {
        format!("zoo.cfg key '{key}' is not a ZooKeeper setting (did you mean '{nearest}'?); ZooKeeper will ignore it")
    } else {
        format!("zoo.cfg key '{key}' is not a ZooKeeper setting zkpod knows (the nearest known key is '{nearest}'); ZooKeeper may ignore it")
    })
}

/// Parses zoo.cfg text into its settings. Later lines win, as in
/// `java.util.Properties`. Blank lines and `#`/`!` comments are skipped.
pub fn parse(text: &str) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            continue;
        }
        let (key, value) = match line.find(['=', ':']) {
            Some(i) => (&line[..i], &line[i + 1..]),
            None => (line, ""),
        };
        map.insert(key.trim().to_string(), value.trim().to_string());
    }
    map
}

/// Where a server configured by `text` takes client connections:
/// (clientPortAddress when it names one address, clientPort).
pub fn client_endpoint(text: &str) -> (Option<String>, Option<u16>) {
    let cfg = parse(text);
    let port = cfg.get("clientPort").and_then(|p| p.parse().ok());
    let addr = cfg
        .get("clientPortAddress")
        .filter(|a| !a.is_empty() && a.as_str() != "0.0.0.0" && a.as_str() != "::")
        .cloned();
    (addr, port)
}

/// Reads `conf_dir/zoo.cfg` if it exists and is readable.
pub fn read(conf_dir: &Path) -> Option<String> {
    std::fs::read_to_string(conf_dir.join("zoo.cfg")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_for_unknown_keys() {
        assert_eq!(unknown_key_hint("snapCount"), None);
        assert_eq!(unknown_key_hint("server.7"), None);
        assert_eq!(unknown_key_hint("ssl.quorum.keyStore.location"), None);
        let h = unknown_key_hint("autopurge.purgeInteval").unwrap();
        assert!(h.contains("did you mean 'autopurge.purgeInterval'"), "{h}");
        let h = unknown_key_hint("ticktime").unwrap();
        assert!(h.contains("is spelt 'tickTime'"), "{h}");
        let h = unknown_key_hint("completelyUnrelatedThing").unwrap();
        assert!(
            h.contains("not a ZooKeeper setting zkpod knows (the nearest known key is '"),
            "{h}"
        );
    }

    #[test]
    fn parses_properties() {
        let cfg = parse(
            "# c\nclientPort=2181\n\n tickTime = 2000 \nserver.1=a:2888:3888\nclientPort=2182\n",
        );
        assert_eq!(cfg["clientPort"], "2182");
        assert_eq!(cfg["tickTime"], "2000");
        assert_eq!(cfg["server.1"], "a:2888:3888");
    }

    #[test]
    fn endpoint() {
        assert_eq!(
            client_endpoint("clientPort=2190\nclientPortAddress=127.0.0.12\n"),
            (Some("127.0.0.12".to_string()), Some(2190))
        );
        assert_eq!(client_endpoint("clientPortAddress=0.0.0.0\n"), (None, None));
    }
}
