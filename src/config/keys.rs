//! The zoo.cfg key table: every key zkpod knows, once, with the zkpod flag
//! that owns it (if any), the value zkpod writes by default, and the
//! ZooKeeper releases that read it.
//!
//! Everything that names a zoo.cfg key goes through this table: rendering
//! (`settings::Settings::entries`), the refusal of flag-owned keys in `--set`
//! (`settings::parse_extra`), the hint for an unknown key
//! ([`unknown_key_hint`]), the probes' reading of zoo.cfg
//! (`zoocfg::client_ports`), and the CLI's defaults for the flags that own
//! a key. The versions were read from ZooKeeper's own sources (the first
//! release tag whose server code names the key); version-aware rendering
//! filters on them with [`Key::known_in`].

use crate::config::version::{v, Version};
use crate::sys::report::Warning;

/// Who decides a key's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// Nobody in zkpod: ZooKeeper's default, or `--set key=value`.
    ZooKeeper,
    /// This zkpod flag; `--set` may not set the key, because zkpod acts on
    /// the flag's value (the data-dir guard reads dataDir, the probes read
    /// clientPort).
    Flag(&'static str),
    /// zkpod writes the `server.N` lines from the pod names and `--servers`.
    ServerList,
    /// zkpod's dynamic membership (`--membership`): whether ZooKeeper may
    /// reconfigure, and where its committed configuration lives.
    Membership,
}

/// One zoo.cfg key, or a family of keys sharing a prefix (`server.`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// The key as ZooKeeper spells it (case matters); for a family, its prefix.
    pub name: &'static str,
    /// True when `name` is a prefix: ZooKeeper names the members freely
    /// (numbered servers, per-plugin settings).
    pub family: bool,
    pub owner: Owner,
    /// For a flag-owned key, the value zkpod writes when the flag is not
    /// given; `None` when it is derived (the session timeouts) or absent.
    /// Keys zkpod does not own keep ZooKeeper's own default (`None` here).
    pub default: Option<&'static str>,
    /// The first release that reads the key.
    pub since: Version,
    /// The first release that no longer reads it (`None`: still read by 3.9).
    pub until: Option<Version>,
}

impl Key {
    const fn flag(
        name: &'static str,
        flag: &'static str,
        default: Option<&'static str>,
        since: Version,
    ) -> Key {
        Key {
            name,
            family: false,
            owner: Owner::Flag(flag),
            default,
            since,
            until: None,
        }
    }

    const fn zookeeper(name: &'static str, since: Version) -> Key {
        Key {
            name,
            family: false,
            owner: Owner::ZooKeeper,
            default: None,
            since,
            until: None,
        }
    }

    /// A key no flag owns whose value zkpod decides explicitly (ZooKeeper's
    /// own default is wrong for a pod); `--set` may still change it.
    const fn decided(name: &'static str, default: &'static str, since: Version) -> Key {
        Key {
            name,
            family: false,
            owner: Owner::ZooKeeper,
            default: Some(default),
            since,
            until: None,
        }
    }

    const fn owned(name: &'static str, owner: Owner, since: Version) -> Key {
        Key {
            name,
            family: false,
            owner,
            default: None,
            since,
            until: None,
        }
    }

    const fn family(prefix: &'static str, owner: Owner, since: Version) -> Key {
        Key {
            name: prefix,
            family: true,
            owner,
            default: None,
            since,
            until: None,
        }
    }

    /// The flag's default as the CLI gives it to clap. Panics (at the first
    /// parse, caught by the CLI's unit tests) for a key without one.
    pub fn flag_default(&self) -> &'static str {
        match self.default {
            Some(d) => d,
            None => panic!("zoo.cfg key {} has no default", self.name),
        }
    }

    /// Whether ZooKeeper `version` reads this key.
    pub fn known_in(&self, version: Version) -> bool {
        self.since <= version && self.until.map_or(true, |u| version < u)
    }

    /// Whether `key` is this key, or a member of this family.
    fn matches(&self, key: &str) -> bool {
        if self.family {
            key.starts_with(self.name)
        } else {
            key == self.name
        }
    }
}

// The keys zkpod writes from its own flags, in the order zoo.cfg lists them
// (the tutorial's start-zookeeper order first, so the two files diff cleanly).
pub const CLIENT_PORT: Key = Key::flag("clientPort", "--client_port", Some("2181"), v(3, 4, 0));
pub const DATA_DIR: Key = Key::flag(
    "dataDir",
    "--data_dir",
    Some("/var/lib/zookeeper/data"),
    v(3, 4, 0),
);
pub const DATA_LOG_DIR: Key = Key::flag(
    "dataLogDir",
    "--data_log_dir",
    Some("/var/lib/zookeeper/data/log"),
    v(3, 4, 0),
);
pub const TICK_TIME: Key = Key::flag("tickTime", "--tick_time", Some("2000"), v(3, 4, 0));
pub const INIT_LIMIT: Key = Key::flag("initLimit", "--init_limit", Some("10"), v(3, 4, 0));
pub const SYNC_LIMIT: Key = Key::flag("syncLimit", "--sync_limit", Some("5"), v(3, 4, 0));
pub const MAX_CLIENT_CNXNS: Key = Key::flag(
    "maxClientCnxns",
    "--max_client_cnxns",
    Some("60"),
    v(3, 4, 0),
);
/// Derived: 2 x tickTime unless the flag is given.
pub const MIN_SESSION_TIMEOUT: Key = Key::flag(
    "minSessionTimeout",
    "--min_session_timeout",
    None,
    v(3, 4, 0),
);
/// Derived: 20 x tickTime unless the flag is given.
pub const MAX_SESSION_TIMEOUT: Key = Key::flag(
    "maxSessionTimeout",
    "--max_session_timeout",
    None,
    v(3, 4, 0),
);
pub const SNAP_RETAIN_COUNT: Key = Key::flag(
    "autopurge.snapRetainCount",
    "--snap_retain_count",
    Some("3"),
    v(3, 4, 0),
);
/// Spelt correctly: the tutorial's script wrote `autopurge.purgeInteval`,
/// which ZooKeeper ignores.
pub const PURGE_INTERVAL: Key = Key::flag(
    "autopurge.purgeInterval",
    "--purge_interval",
    Some("12"),
    v(3, 4, 0),
);
pub const FOUR_LETTER_WORDS: Key = Key::flag(
    "4lw.commands.whitelist",
    "--4lw-whitelist",
    Some("srvr,ruok,mntr,conf,stat,isro"),
    v(3, 4, 10),
);
/// Off by default: the AdminServer binds :8080, which often clashes.
pub const ADMIN_ENABLE_SERVER: Key = Key::flag(
    "admin.enableServer",
    "--admin-server",
    Some("false"),
    v(3, 5, 0),
);
pub const ADMIN_SERVER_PORT: Key =
    Key::flag("admin.serverPort", "--admin-port", Some("8080"), v(3, 5, 0));
/// Absent by default: listen on all addresses.
pub const CLIENT_PORT_ADDRESS: Key =
    Key::flag("clientPortAddress", "--client_address", None, v(3, 4, 0));
pub const QUORUM_LISTEN_ON_ALL_IPS: Key = Key::flag(
    "quorumListenOnAllIPs",
    "--quorum-listen-on-all-ips",
    Some("false"),
    v(3, 4, 6),
);
/// Where the AdminServer listens, with --admin-server: loopback unless asked,
/// since 3.9 it serves `snapshot` and `restore` (ZooKeeper binds 0.0.0.0).
pub const ADMIN_SERVER_ADDRESS: Key = Key::flag(
    "admin.serverAddress",
    "--admin-address",
    Some("127.0.0.1"),
    v(3, 5, 1),
);
/// ZooKeeper's own Prometheus endpoint (3.6+), turned on by --metrics-port:
/// the provider class, and its port.
pub const METRICS_PROVIDER: Key = Key::flag(
    "metricsProvider.className",
    "--metrics-port",
    None,
    v(3, 6, 0),
);
pub const METRICS_PORT: Key = Key::flag(
    "metricsProvider.httpPort",
    "--metrics-port",
    None,
    v(3, 6, 0),
);
/// The endpoint's address (3.8+; before, it binds all addresses).
pub const METRICS_HOST: Key = Key::flag(
    "metricsProvider.httpHost",
    "--metrics-host",
    None,
    v(3, 8, 1),
);
/// The provider `--metrics-port` configures.
pub const PROMETHEUS_PROVIDER_CLASS: &str =
    "org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider";

// Keys no flag owns whose value zkpod decides, because ZooKeeper's default
// is wrong for a StatefulSet pod. Written for the releases that read them;
// `--set` overrides each.

/// Retry binding the election port without limit. ZooKeeper gives up after
/// 3 tries, and in Kubernetes the pod's own name can take longer to resolve
/// (ZOOKEEPER-3320; its administrator's guide recommends 0 there).
pub const ELECTION_PORT_BIND_RETRY: Key = Key::decided("electionPortBindRetry", "0", v(3, 5, 6));
/// `fips-mode=false`: ZooKeeper's own TLS trust manager, which checks the
/// peer's host name against its certificate. 3.9 turned fips-mode on by
/// default, which replaces that with the JDK's trust manager and so stops
/// checking host names on quorum and client TLS; zkpod keeps the check on
/// every release that has the switch (3.8.2+). A FIPS deployment sets
/// `--set fips-mode=true` and gets certificates checked by the JDK alone.
pub const FIPS_MODE: Key = Key::decided("fips-mode", "false", v(3, 8, 2));
/// The AdminServer's `snapshot` and `restore` commands (3.9+), on by default
/// in ZooKeeper: off unless asked, whenever zkpod turns the AdminServer on.
pub const ADMIN_SNAPSHOT_ENABLED: Key = Key::decided("admin.snapshot.enabled", "false", v(3, 9, 0));
pub const ADMIN_RESTORE_ENABLED: Key = Key::decided("admin.restore.enabled", "false", v(3, 9, 0));

/// Dynamic membership (`--membership dynamic`): ZooKeeper commits every
/// membership change through reconfig, and zkpod starts it with the
/// committed configuration.
pub const STANDALONE_ENABLED: Key = Key::owned("standaloneEnabled", Owner::Membership, v(3, 5, 0));
pub const RECONFIG_ENABLED: Key = Key::owned("reconfigEnabled", Owner::Membership, v(3, 5, 3));
pub const DYNAMIC_CONFIG_FILE: Key = Key::owned("dynamicConfigFile", Owner::Membership, v(3, 5, 0));

// Keys of ZooKeeper's TLS for clients that the probes read back from
// zoo.cfg: the secure client port and ZooKeeper's own key and trust stores,
// which a probe uses as its client material.
pub const SECURE_CLIENT_PORT: Key = Key::zookeeper("secureClientPort", v(3, 5, 1));
pub const SECURE_CLIENT_PORT_ADDRESS: Key = Key::zookeeper("secureClientPortAddress", v(3, 5, 1));
pub const SSL_KEYSTORE_LOCATION: Key = Key::zookeeper("ssl.keyStore.location", v(3, 5, 1));
pub const SSL_KEYSTORE_TYPE: Key = Key::zookeeper("ssl.keyStore.type", v(3, 5, 5));
pub const SSL_TRUSTSTORE_LOCATION: Key = Key::zookeeper("ssl.trustStore.location", v(3, 5, 1));
pub const SSL_TRUSTSTORE_TYPE: Key = Key::zookeeper("ssl.trustStore.type", v(3, 5, 5));

// Keys `zkpod start --tls-dir` writes (issue 13): the Netty factory the
// secure client port needs, quorum TLS with the same PEM stores, and the
// reload switches. PEM stores came in 3.5.5, which is why --tls-dir needs it.
pub const SERVER_CNXN_FACTORY: Key = Key::zookeeper("serverCnxnFactory", v(3, 4, 0));
pub const NETTY_SERVER_CNXN_FACTORY: &str = "org.apache.zookeeper.server.NettyServerCnxnFactory";
pub const SSL_QUORUM: Key = Key::zookeeper("sslQuorum", v(3, 5, 5));
pub const SSL_QUORUM_KEYSTORE_LOCATION: Key =
    Key::zookeeper("ssl.quorum.keyStore.location", v(3, 5, 5));
pub const SSL_QUORUM_KEYSTORE_TYPE: Key = Key::zookeeper("ssl.quorum.keyStore.type", v(3, 5, 5));
pub const SSL_QUORUM_TRUSTSTORE_LOCATION: Key =
    Key::zookeeper("ssl.quorum.trustStore.location", v(3, 5, 5));
pub const SSL_QUORUM_TRUSTSTORE_TYPE: Key =
    Key::zookeeper("ssl.quorum.trustStore.type", v(3, 5, 5));
/// ZOOKEEPER-3174 (branch-3.5, released in 3.5.5).
pub const SSL_QUORUM_RELOAD: Key = Key::zookeeper("sslQuorumReloadCertFiles", v(3, 5, 5));
/// ZOOKEEPER-3806, released in 3.7.2, 3.8.1 and 3.9.0 (not 3.8.0): see
/// [`client_cert_reload_in`].
pub const CLIENT_CERT_RELOAD: Key = Key::zookeeper("client.certReload", v(3, 7, 2));

/// Whether `release` reloads the client port's key and trust store
/// (`client.certReload`): 3.7.2+ on 3.7, 3.8.1+ on 3.8, and 3.9.0+. The
/// key table holds one first release per key; this one has two branches.
pub fn client_cert_reload_in(release: Version) -> bool {
    CLIENT_CERT_RELOAD.known_in(release) && !(v(3, 8, 0) <= release && release < v(3, 8, 1))
}

/// `server.N=host:quorumPort:electionPort`, one line per member.
pub const SERVER: Key = Key::family("server.", Owner::ServerList, v(3, 4, 0));

/// Every key zkpod knows: the flag-owned ones above, then those only
/// `--set` writes (ZooKeeper's administrator's guide, 3.4 to 3.9), then the
/// families whose members ZooKeeper names freely.
pub const KEYS: &[Key] = &[
    CLIENT_PORT,
    DATA_DIR,
    DATA_LOG_DIR,
    TICK_TIME,
    INIT_LIMIT,
    SYNC_LIMIT,
    MAX_CLIENT_CNXNS,
    MIN_SESSION_TIMEOUT,
    MAX_SESSION_TIMEOUT,
    SNAP_RETAIN_COUNT,
    PURGE_INTERVAL,
    FOUR_LETTER_WORDS,
    ADMIN_ENABLE_SERVER,
    ADMIN_SERVER_PORT,
    CLIENT_PORT_ADDRESS,
    QUORUM_LISTEN_ON_ALL_IPS,
    ADMIN_SERVER_ADDRESS,
    METRICS_PROVIDER,
    METRICS_PORT,
    METRICS_HOST,
    ELECTION_PORT_BIND_RETRY,
    FIPS_MODE,
    ADMIN_SNAPSHOT_ENABLED,
    ADMIN_RESTORE_ENABLED,
    SECURE_CLIENT_PORT,
    Key::zookeeper("observerMasterPort", v(3, 6, 0)),
    Key::zookeeper("globalOutstandingLimit", v(3, 4, 0)),
    Key::zookeeper("preAllocSize", v(3, 4, 0)),
    Key::zookeeper("snapCount", v(3, 4, 0)),
    Key::zookeeper("commitLogCount", v(3, 6, 0)),
    Key::zookeeper("snapSizeLimitInKb", v(3, 6, 0)),
    Key::zookeeper("txnLogSizeLimitInKb", v(3, 6, 0)),
    Key::zookeeper("maxCnxns", v(3, 6, 0)),
    SECURE_CLIENT_PORT_ADDRESS,
    SSL_KEYSTORE_LOCATION,
    SSL_KEYSTORE_TYPE,
    SSL_TRUSTSTORE_LOCATION,
    SSL_TRUSTSTORE_TYPE,
    Key::zookeeper("fsync.warningthresholdms", v(3, 4, 0)),
    Key::zookeeper("maxResponseCacheSize", v(3, 6, 0)),
    Key::zookeeper("maxGetChildrenResponseCacheSize", v(3, 6, 0)),
    Key::zookeeper("syncEnabled", v(3, 4, 6)),
    Key::zookeeper("extendedTypesEnabled", v(3, 5, 4)),
    Key::zookeeper("emulate353TTLNodes", v(3, 5, 4)),
    Key::zookeeper("watchManagerName", v(3, 6, 0)),
    Key::zookeeper("watcherCleanThreadsNum", v(3, 6, 0)),
    Key::zookeeper("watcherCleanIntervalInSeconds", v(3, 6, 0)),
    Key::zookeeper("maxInProcessingDeadWatchers", v(3, 6, 0)),
    Key::zookeeper("electionAlg", v(3, 4, 0)),
    Key::zookeeper("connectToLearnerMasterLimit", v(3, 6, 0)),
    Key::zookeeper("leaderServes", v(3, 4, 0)),
    Key::zookeeper("cnxTimeout", v(3, 4, 0)),
    Key::zookeeper("quorumCnxnTimeoutMs", v(3, 6, 0)),
    STANDALONE_ENABLED,
    RECONFIG_ENABLED,
    Key::zookeeper("tcpKeepAlive", v(3, 4, 11)),
    Key::zookeeper("clientTcpKeepAlive", v(3, 7, 0)),
    Key::zookeeper("observer.reconnectDelayMs", v(3, 6, 0)),
    Key::zookeeper("observer.election.DelayMs", v(3, 6, 0)),
    Key::zookeeper("localSessionsEnabled", v(3, 5, 0)),
    Key::zookeeper("localSessionsUpgradingEnabled", v(3, 5, 0)),
    Key::zookeeper("skipACL", v(3, 4, 0)),
    Key::zookeeper("forceSync", v(3, 4, 0)),
    Key::zookeeper("jute.maxbuffer", v(3, 4, 0)),
    Key::zookeeper("multiAddress.enabled", v(3, 6, 0)),
    Key::zookeeper("multiAddress.reachabilityCheckTimeoutMs", v(3, 6, 0)),
    Key::zookeeper("multiAddress.reachabilityCheckEnabled", v(3, 6, 0)),
    Key::zookeeper("admin.idleTimeout", v(3, 5, 3)),
    Key::zookeeper("admin.commandURL", v(3, 5, 0)),
    Key::zookeeper("admin.portUnification", v(3, 6, 0)),
    Key::zookeeper("admin.forceHttps", v(3, 6, 3)),
    Key::zookeeper("metricsProvider.exportJvmInfo", v(3, 6, 0)),
    // The membership: a hand-set file would replace the server list zkpod
    // writes (issue 8) and the committed configuration (issue 9), so --set
    // may not name it.
    DYNAMIC_CONFIG_FILE,
    Key::zookeeper("peerType", v(3, 4, 0)),
    Key::zookeeper("quorum.auth.enableSasl", v(3, 4, 10)),
    Key::zookeeper("quorum.auth.learnerRequireSasl", v(3, 4, 10)),
    Key::zookeeper("quorum.auth.serverRequireSasl", v(3, 4, 10)),
    Key::zookeeper("quorum.auth.learner.saslLoginContext", v(3, 4, 10)),
    Key::zookeeper("quorum.auth.server.saslLoginContext", v(3, 4, 10)),
    Key::zookeeper("quorum.auth.kerberos.servicePrincipal", v(3, 4, 10)),
    Key::zookeeper("quorum.cnxn.threads.size", v(3, 4, 10)),
    SSL_QUORUM,
    SSL_QUORUM_RELOAD,
    SERVER_CNXN_FACTORY,
    CLIENT_CERT_RELOAD,
    SSL_QUORUM_KEYSTORE_LOCATION,
    SSL_QUORUM_KEYSTORE_TYPE,
    SSL_QUORUM_TRUSTSTORE_LOCATION,
    SSL_QUORUM_TRUSTSTORE_TYPE,
    Key::zookeeper("portUnification", v(3, 5, 5)),
    Key::zookeeper("client.portUnification", v(3, 5, 7)),
    Key::zookeeper("snapshot.trust.empty", v(3, 5, 6)),
    Key::zookeeper("digest.enabled", v(3, 6, 0)),
    Key::zookeeper("audit.enable", v(3, 6, 0)),
    Key::zookeeper("learner.asyncSending", v(3, 6, 3)),
    Key::zookeeper("largeRequestMaxBytes", v(3, 6, 0)),
    Key::zookeeper("largeRequestThreshold", v(3, 6, 0)),
    Key::zookeeper("outstandingHandshake.limit", v(3, 6, 0)),
    Key::zookeeper("throttledOpWaitTime", v(3, 7, 0)),
    Key::zookeeper("enforceQuota", v(3, 7, 0)),
    Key::zookeeper("snapshot.compression.method", v(3, 6, 0)),
    Key::zookeeper("maxBatchSize", v(3, 6, 0)),
    Key::zookeeper("learner.closeSocketAsync", v(3, 7, 0)),
    Key::zookeeper("leader.closeSocketAsync", v(3, 7, 0)),
    Key::zookeeper("zookeeper.request_throttler.shutdownTimeout", v(3, 6, 0)),
    // The connection and request throttles are documented under these names;
    // ZooKeeper reads their zookeeper.* system properties.
    Key::zookeeper("connectionMaxTokens", v(3, 6, 0)),
    Key::zookeeper("connectionTokenFillTime", v(3, 6, 0)),
    Key::zookeeper("connectionTokenFillCount", v(3, 6, 0)),
    Key::zookeeper("connectionFreezeTime", v(3, 6, 0)),
    Key::zookeeper("connectionDropIncrease", v(3, 6, 0)),
    Key::zookeeper("connectionDropDecrease", v(3, 6, 0)),
    Key::zookeeper("connectionDecreaseRatio", v(3, 6, 0)),
    Key::zookeeper("requestThrottleLimit", v(3, 6, 0)),
    Key::zookeeper("requestThrottleStallTime", v(3, 6, 0)),
    Key::zookeeper("requestThrottleDropStale", v(3, 6, 0)),
    Key::zookeeper("authProvider.1", v(3, 4, 0)),
    Key::zookeeper("superUser", v(3, 4, 0)),
    SERVER,
    Key::family("group.", Owner::ZooKeeper, v(3, 4, 0)),
    Key::family("weight.", Owner::ZooKeeper, v(3, 4, 0)),
    Key::family("ssl.", Owner::ZooKeeper, v(3, 4, 0)),
    Key::family("authProvider.", Owner::ZooKeeper, v(3, 4, 0)),
    Key::family("metricsProvider.", Owner::ZooKeeper, v(3, 6, 0)),
    Key::family("zookeeper.", Owner::ZooKeeper, v(3, 4, 0)),
    Key::family("jvm.pause.", Owner::ZooKeeper, v(3, 5, 10)),
    Key::family("netty.", Owner::ZooKeeper, v(3, 4, 0)),
    Key::family("kerberos.", Owner::ZooKeeper, v(3, 4, 0)),
    Key::family("sasl.", Owner::ZooKeeper, v(3, 4, 0)),
];

/// The table's entry for `key`: the key itself (case-sensitive, as ZooKeeper
/// reads it), else the family it belongs to.
pub fn find(key: &str) -> Option<&'static Key> {
    KEYS.iter()
        .find(|k| !k.family && k.matches(key))
        .or_else(|| KEYS.iter().find(|k| k.family && k.matches(key)))
}

/// Who owns `key` if not ZooKeeper alone: a key zkpod owns matches without
/// regard to case (two spellings of one setting would still disagree), a
/// family by its prefix.
pub fn owner_of(key: &str) -> Option<Owner> {
    // Flag-owned and membership keys (dynamicConfigFile, reconfigEnabled,
    // standaloneEnabled), in any case.
    let flag = KEYS
        .iter()
        .find(|k| !k.family && k.owner != Owner::ZooKeeper && k.name.eq_ignore_ascii_case(key));
    flag.or_else(|| KEYS.iter().find(|k| k.family && k.matches(key)))
        .map(|k| k.owner)
        .filter(|o| *o != Owner::ZooKeeper)
}

/// For a key ZooKeeper does not know, a warning naming the nearest known
/// key; `None` for known keys.
pub fn unknown_key_hint(key: &str) -> Option<Warning> {
    if find(key).is_some() {
        return None;
    }
    let lower = key.to_ascii_lowercase();
    let (distance, nearest) = KEYS
        .iter()
        .filter(|k| !k.family)
        .map(|k| {
            (
                strsim::levenshtein(&lower, &k.name.to_ascii_lowercase()),
                k.name,
            )
        })
        .min()?;
    Some(if distance == 0 {
        Warning::new(
            format!("zoo.cfg key '{key}' is spelt '{nearest}'"),
            format!("ZooKeeper's keys are case-sensitive and it will ignore '{key}'"),
            format!("use '{nearest}'"),
        )
    } else if distance <= (key.len() / 3).max(2) {
        Warning::new(
            format!("zoo.cfg key '{key}' is not a ZooKeeper setting (did you mean '{nearest}'?)"),
            "ZooKeeper will ignore it",
            format!("write '{nearest}' if that is the setting you meant, or drop the entry"),
        )
    } else {
        Warning::new(
            format!("zoo.cfg key '{key}' is not a ZooKeeper setting zkpod knows (the nearest known key is '{nearest}')"),
            "ZooKeeper may ignore it",
            "check the key against the administrator's guide of the ZooKeeper release you run",
        )
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn client_cert_reload_is_read_from_3_7_2_3_8_1_and_3_9_0() {
        use crate::config::version::v;
        for (r, read) in [
            (v(3, 7, 1), false),
            (v(3, 7, 2), true),
            (v(3, 8, 0), false),
            (v(3, 8, 1), true),
            (v(3, 9, 0), true),
            (v(3, 5, 10), false),
        ] {
            assert_eq!(super::client_cert_reload_in(r), read, "{r}");
        }
    }

    use super::*;

    #[test]
    fn each_key_once() {
        let mut names: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
        names.sort_unstable();
        let before = names.len();
        names.dedup();
        assert_eq!(names.len(), before, "a key is listed twice");
        // Not even in another case: --set refuses flag-owned keys in any case.
        let mut lower: Vec<String> = KEYS.iter().map(|k| k.name.to_ascii_lowercase()).collect();
        lower.sort_unstable();
        lower.dedup();
        assert_eq!(lower.len(), before);
    }

    #[test]
    fn flag_owned_keys_know_their_flag() {
        assert_eq!(owner_of("tickTime"), Some(Owner::Flag("--tick_time")));
        assert_eq!(owner_of("TICKTIME"), Some(Owner::Flag("--tick_time")));
        assert_eq!(owner_of("server.4"), Some(Owner::ServerList));
        assert_eq!(owner_of("snapCount"), None);
        assert_eq!(owner_of("ssl.keyStore.location"), None);
        assert_eq!(CLIENT_PORT.flag_default(), "2181");
        let flagged = KEYS
            .iter()
            .filter(|k| matches!(k.owner, Owner::Flag(_)))
            .count();
        assert_eq!(flagged, 20);
        assert_eq!(
            owner_of("metricsProvider.httpPort"),
            Some(Owner::Flag("--metrics-port"))
        );
        assert_eq!(owner_of("metricsProvider.exportJvmInfo"), None);
        assert_eq!(owner_of("electionPortBindRetry"), None);
    }

    #[test]
    fn versions() {
        assert!(CLIENT_PORT.known_in(v(3, 4, 0)));
        let observer_master = find("observerMasterPort").unwrap();
        assert!(!observer_master.known_in(v(3, 5, 10)));
        assert!(observer_master.known_in(v(3, 6, 0)));
        assert!(find("admin.serverPort").unwrap().known_in(v(3, 9, 2)));
        let gone = Key {
            until: Some(v(3, 6, 0)),
            ..Key::zookeeper("old", v(3, 4, 0))
        };
        assert!(gone.known_in(v(3, 5, 9)) && !gone.known_in(v(3, 6, 0)));
        // Every key is read by the releases zkpod supports (3.5 on) at the latest by 3.8.
        for k in KEYS {
            assert!(k.known_in(v(3, 9, 0)), "{}", k.name);
        }
    }

    #[test]
    fn hints_for_unknown_keys() {
        assert_eq!(unknown_key_hint("snapCount"), None);
        assert_eq!(unknown_key_hint("server.7"), None);
        assert_eq!(unknown_key_hint("ssl.quorum.keyStore.location"), None);
        let h = unknown_key_hint("autopurge.purgeInteval").unwrap();
        assert_eq!(
            h.to_string(),
            "zoo.cfg key 'autopurge.purgeInteval' is not a ZooKeeper setting (did you mean 'autopurge.purgeInterval'?): ZooKeeper will ignore it. Fix: write 'autopurge.purgeInterval' if that is the setting you meant, or drop the entry"
        );
        let h = unknown_key_hint("ticktime").unwrap();
        assert_eq!(
            h.to_string(),
            "zoo.cfg key 'ticktime' is spelt 'tickTime': ZooKeeper's keys are case-sensitive and it will ignore 'ticktime'. Fix: use 'tickTime'"
        );
        let h = unknown_key_hint("completelyUnrelatedThing").unwrap();
        assert_eq!(
            h.to_string(),
            "zoo.cfg key 'completelyUnrelatedThing' is not a ZooKeeper setting zkpod knows (the nearest known key is 'connectionFreezeTime'): ZooKeeper may ignore it. Fix: check the key against the administrator's guide of the ZooKeeper release you run"
        );
    }
}
