//! The settings of one ZooKeeper server: what zoo.cfg is rendered from.
//!
//! Everything here is pure: [`build`] takes the values the operator asked
//! for ([`SettingsInput`], plain values the CLI fills in) plus what `start`
//! decided (the server id and the ensemble's members), and returns the
//! [`Settings`], or the first invalid input as an operator-facing failure.

use std::path::PathBuf;

use crate::config::keys::{self, Key, Owner};
use crate::config::version::{v, Version};
use crate::sys::report::{diagnose, Code, Warning};

/// The oldest release zkpod renders for when the installation does not say
/// which it is: only keys every supported release reads are written then.
pub const OLDEST_SUPPORTED: Version = v(3, 5, 0);

/// The commands the probes and `status`/`metrics` need; always whitelisted.
pub const REQUIRED_4LW: [&str; 4] = ["srvr", "ruok", "mntr", "conf"];

/// One ensemble member: the `server.N=host:quorumPort:electionPort` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: u32,
    pub host: String,
}

/// The zoo.cfg values the operator asked for (flags and environment
/// variables), as plain values. Defaults are the CLI's (see `keys`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsInput {
    pub client_port: u16,
    pub client_address: Option<String>,
    pub server_port: u16,
    pub election_port: u16,
    pub data_dir: PathBuf,
    pub data_log_dir: PathBuf,
    pub tick_time: u32,
    pub init_limit: u32,
    pub sync_limit: u32,
    pub max_client_cnxns: u32,
    pub min_session_timeout: Option<u32>,
    pub max_session_timeout: Option<u32>,
    pub snap_retain_count: u32,
    pub purge_interval: u32,
    /// `--4lw-whitelist` as given: words separated by commas or spaces.
    pub four_letter_words: String,
    pub admin_server: bool,
    pub admin_port: u16,
    /// `--admin-address`: where the AdminServer listens (with --admin-server).
    pub admin_address: String,
    pub quorum_listen_on_all_ips: bool,
    /// `--metrics-port`: ZooKeeper's own Prometheus endpoint (3.6+).
    pub metrics_port: Option<u16>,
    /// `--metrics-host`: the endpoint's address (3.8+).
    pub metrics_host: Option<String>,
    /// `--set KEY=VALUE`, in order.
    pub set: Vec<String>,
    /// `ZOO_CFG_EXTRA`: `key=value` entries separated by whitespace.
    pub cfg_extra: Option<String>,
}

/// Everything zoo.cfg is rendered from: the checked flag values, the
/// members, and what is derived from the flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub myid: u32,
    pub servers: Vec<Member>,
    /// The flag values, checked by [`build`].
    pub input: SettingsInput,
    /// The flags, else 2 and 20 ticks.
    pub min_session_timeout: u32,
    pub max_session_timeout: u32,
    /// `--4lw-whitelist` with the words the probes need added.
    pub four_letter_words: Vec<String>,
    /// The `--set` and `ZOO_CFG_EXTRA` entries, checked; the last one for a
    /// key wins.
    pub extra: Vec<(String, String)>,
    /// Dynamic membership: set once the start has decided which committed
    /// configuration the server starts with (`None`: a static server list).
    pub dynamic: Option<DynamicSettings>,
    /// `--tls-dir`: client and quorum TLS with the PEM stores zkpod writes
    /// in the conf dir (`None`: plaintext only).
    pub tls: Option<TlsSettings>,
}

/// What `--tls-dir` adds to zoo.cfg (issue 13).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsSettings {
    /// `secureClientPort` (`--secure-client-port`).
    pub secure_port: u16,
    /// The key store (PKCS#8 key and chain in one PEM file).
    pub keystore: PathBuf,
    /// The trust store (the CA certificates).
    pub truststore: PathBuf,
}

/// What dynamic membership changes in zoo.cfg: no server lines (they live in
/// the dynamic file ZooKeeper commits), the switches that let it
/// reconfigure, and the client endpoint this server's line in the committed
/// configuration gives it (ZooKeeper refuses a zoo.cfg whose clientPort or
/// clientPortAddress disagrees with it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynamicSettings {
    /// `dynamicConfigFile`: next to zoo.cfg on the data volume.
    pub file: PathBuf,
    pub client_port: u16,
    /// `None`: all addresses.
    pub client_address: Option<String>,
}

/// What the installation found offers, for [`Settings::check_release`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    /// The release, when its jars say which it is.
    pub release: Option<Version>,
    /// The Prometheus provider's jar is installed.
    pub prometheus: bool,
    /// Jetty, the AdminServer's HTTP server, is installed.
    pub jetty: bool,
}

impl Found {
    /// Everything a full upstream layout of `release` has.
    pub fn complete(release: Version) -> Found {
        Found {
            release: Some(release),
            prometheus: true,
            jetty: true,
        }
    }
}

impl Settings {
    /// The keys zkpod writes for ZooKeeper `release`, with their values, in
    /// the order zoo.cfg lists them: those derived from its flags (optional
    /// ones only when set), then those it decides ([`keys::Key::decided`])
    /// unless `--set` gives them. A key `release` does not read is never
    /// written (`keys::Key::known_in`).
    pub fn entries(&self, release: Version) -> Vec<(&'static Key, String)> {
        let i = &self.input;
        let (client_port, client_address) = match &self.dynamic {
            Some(d) => (d.client_port, d.client_address.clone()),
            None => (i.client_port, i.client_address.clone()),
        };
        let mut e = vec![
            (&keys::CLIENT_PORT, client_port.to_string()),
            (&keys::DATA_DIR, i.data_dir.display().to_string()),
            (&keys::DATA_LOG_DIR, i.data_log_dir.display().to_string()),
            (&keys::TICK_TIME, i.tick_time.to_string()),
            (&keys::INIT_LIMIT, i.init_limit.to_string()),
            (&keys::SYNC_LIMIT, i.sync_limit.to_string()),
            (&keys::MAX_CLIENT_CNXNS, i.max_client_cnxns.to_string()),
            (
                &keys::MIN_SESSION_TIMEOUT,
                self.min_session_timeout.to_string(),
            ),
            (
                &keys::MAX_SESSION_TIMEOUT,
                self.max_session_timeout.to_string(),
            ),
            (&keys::SNAP_RETAIN_COUNT, i.snap_retain_count.to_string()),
            (&keys::PURGE_INTERVAL, i.purge_interval.to_string()),
            (&keys::FOUR_LETTER_WORDS, self.four_letter_words.join(",")),
            (&keys::ADMIN_ENABLE_SERVER, i.admin_server.to_string()),
        ];
        if i.admin_server {
            e.push((&keys::ADMIN_SERVER_PORT, i.admin_port.to_string()));
            e.push((&keys::ADMIN_SERVER_ADDRESS, i.admin_address.clone()));
        }
        if let Some(addr) = client_address {
            e.push((&keys::CLIENT_PORT_ADDRESS, addr));
        }
        if i.quorum_listen_on_all_ips {
            e.push((&keys::QUORUM_LISTEN_ON_ALL_IPS, true.to_string()));
        }
        if let Some(port) = i.metrics_port {
            e.push((
                &keys::METRICS_PROVIDER,
                keys::PROMETHEUS_PROVIDER_CLASS.to_string(),
            ));
            e.push((&keys::METRICS_PORT, port.to_string()));
            if let Some(host) = &i.metrics_host {
                e.push((&keys::METRICS_HOST, host.clone()));
            }
        }
        if let Some(t) = &self.tls {
            e.extend(tls_entries(t, release));
        }
        let mut decided = vec![&keys::ELECTION_PORT_BIND_RETRY, &keys::FIPS_MODE];
        if i.admin_server {
            decided.extend([&keys::ADMIN_SNAPSHOT_ENABLED, &keys::ADMIN_RESTORE_ENABLED]);
        }
        for key in decided {
            if !self.extra.iter().any(|(k, _)| k == key.name) {
                e.push((key, key.flag_default().to_string()));
            }
        }
        if let Some(d) = &self.dynamic {
            e.push((&keys::STANDALONE_ENABLED, false.to_string()));
            e.push((&keys::RECONFIG_ENABLED, true.to_string()));
            e.push((&keys::DYNAMIC_CONFIG_FILE, d.file.display().to_string()));
        }
        e.retain(|(key, _)| key.known_in(release));
        e
    }

    /// Checks the settings against the installation [`Found`]. Refuses what
    /// that ZooKeeper cannot do: `--admin-server` without jetty,
    /// `--metrics-port` before 3.6 or without the provider's jar,
    /// `--metrics-host` before 3.8.1, and a `--set` key the release does not
    /// read.
    ///
    /// Fails with exit code 4 (a setting the release does not have) or 7
    /// (a jar it needs is missing).
    pub fn check_release(&self, found: &Found) -> anyhow::Result<()> {
        let (release, prometheus_jar) = (found.release, found.prometheus);
        let i = &self.input;
        if i.admin_server && !found.jetty {
            return Err(diagnose(
                Code::Install,
                "--admin-server (ZOO_ADMIN_SERVER) asks for ZooKeeper's AdminServer, but the installation has no jetty, which it runs on",
                "ZooKeeper would log \"Unable to load jetty\" and run without the AdminServer",
                "install jetty (Debian: apt-get install libjetty9-java libservlet-api-java; upstream releases ship it in lib/), or drop --admin-server",
            ));
        }
        let named = |r: Version| format!("ZooKeeper {r}");
        if let Some(port) = i.metrics_port {
            let source = "--metrics-port (ZOO_METRICS_PORT)";
            if let Some(r) = release.filter(|r| !keys::METRICS_PORT.known_in(*r)) {
                return Err(diagnose(
                    Code::Config,
                    format!("{source} {port} asks for ZooKeeper's own Prometheus endpoint, which {} does not have (it came in {})", named(r), keys::METRICS_PORT.since),
                    "ZooKeeper would ignore the setting and serve no metrics",
                    "drop --metrics-port and scrape with `zkpod metrics --format prometheus`, or run ZooKeeper 3.6 or newer",
                ));
            }
            if !prometheus_jar {
                return Err(diagnose(
                    Code::Install,
                    format!("{source} {port} needs ZooKeeper's Prometheus provider, but the installation has no zookeeper-prometheus-metrics jar"),
                    "ZooKeeper would fail to load the provider class and exit at start",
                    "use an image or layout that ships the provider (scripts/zk-dist.sh VERSION DEST without ZK_DIST_PROMETHEUS=optional; the image's default release has it), or drop --metrics-port",
                ));
            }
        }
        if let Some(host) = &i.metrics_host {
            if i.metrics_port.is_none() {
                return Err(diagnose(
                    Code::Config,
                    format!(
                        "--metrics-host (ZOO_METRICS_HOST) {host} is set without --metrics-port"
                    ),
                    "there is no metrics endpoint for it to bind",
                    "add --metrics-port PORT (e.g. 7000), or drop --metrics-host",
                ));
            }
            if let Some(r) = release.filter(|r| !keys::METRICS_HOST.known_in(*r)) {
                return Err(diagnose(
                    Code::Config,
                    format!("--metrics-host (ZOO_METRICS_HOST) {host}: {} cannot bind its Prometheus endpoint to one address (it can from {})", named(r), keys::METRICS_HOST.since),
                    "the endpoint would listen on all addresses",
                    "drop --metrics-host (the endpoint then listens on all addresses), or run ZooKeeper 3.8.1 or newer",
                ));
            }
        }
        if let Some(r) = release {
            for (k, val) in &self.extra {
                if let Some(key) = keys::find(k).filter(|key| !key.known_in(r)) {
                    return Err(diagnose(
                        Code::Config,
                        format!(
                            "--set {k}={val}: {} does not read {k} (it came in {})",
                            named(r),
                            key.since
                        ),
                        "ZooKeeper would ignore it",
                        format!(
                            "drop the entry (--set or ZOO_CFG_EXTRA), or run ZooKeeper {} or newer",
                            key.since
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Parses `--servers` / `ZOO_SERVERS`: the number of servers in the ensemble.
pub fn parse_servers(s: &str) -> Result<u32, String> {
    let t = s.trim();
    if t.contains("server.") || t.contains(':') || t.contains('=') {
        return Err(format!(
            "'{t}' is a list of server lines (the official image's ZOO_SERVERS form); zkpod builds the server list itself from the pod names: set it to the number of servers, e.g. 3"
        ));
    }
    match t.parse::<u32>() {
        Ok(n) if (1..=255).contains(&n) => Ok(n),
        _ => Err(format!(
            "'{t}' is not a number of servers between 1 and 255 (set it to the StatefulSet's replicas, e.g. 3)"
        )),
    }
}

/// Splits `--set` values and `ZOO_CFG_EXTRA` into key/value pairs, checking
/// each: a key, an `=`, no flag-owned key, no server lines.
///
/// Fails (exit code 4) on the first bad entry.
pub fn parse_extra(
    sets: &[String],
    env_extra: Option<&str>,
) -> anyhow::Result<Vec<(String, String)>> {
    let from_env = env_extra
        .unwrap_or("")
        .split_whitespace()
        .map(|s| (s, "ZOO_CFG_EXTRA"));
    let from_flags = sets.iter().map(|s| (s.as_str(), "--set"));
    let mut out: Vec<(String, String)> = Vec::new();
    for (item, source) in from_env.chain(from_flags) {
        let Some((k, v)) = item.split_once('=') else {
            return Err(diagnose(
                Code::Config,
                format!("{source} entry '{item}' has no '='"),
                "zkpod cannot tell the zoo.cfg key from its value",
                format!("write it as key=value, e.g. {source} snapCount=100000"),
            ));
        };
        let (k, v) = (k.trim(), v.trim());
        if k.is_empty()
            || k.chars().any(|c| c.is_whitespace() || c == '#')
            || v.contains(['\n', '\r'])
        {
            return Err(diagnose(
                Code::Config,
                format!(
                    "{source} entry '{}' is not a valid zoo.cfg setting",
                    item.escape_debug()
                ),
                "it would corrupt zoo.cfg",
                "write it as key=value with a non-empty key and no line breaks",
            ));
        }
        match keys::owner_of(k) {
            Some(Owner::Flag(flag)) => return Err(diagnose(
                Code::Config,
                format!("{source} {k}={v} sets a key that zkpod derives from {flag}"),
                "two sources for one setting would disagree (and zkpod acts on the flag's value)",
                format!("pass {flag}={v} instead"),
            )),
            Some(Owner::ServerList) => return Err(diagnose(
                Code::Config,
                format!("{source} {k}={v} sets a server line"),
                "zkpod builds the server list from the pod names and --servers; a hand-written line would disagree with it",
                "set --servers to the StatefulSet's replicas and drop this entry",
            )),
            Some(Owner::Membership) => return Err(diagnose(
                Code::Config,
                format!("{source} {k}={v} sets a key of zkpod's dynamic membership"),
                "zkpod decides whether ZooKeeper may reconfigure and where its committed configuration lives; a second source would let a restart start a server with a stale view of the ensemble",
                "drop this entry; use --membership static (ZOO_MEMBERSHIP=static) for a fixed server list",
            )),
            Some(Owner::ZooKeeper) | None => {}
        }
        out.retain(|(key, _)| key != k);
        out.push((k.to_string(), v.to_string()));
    }
    Ok(out)
}

/// Parses the whitelist, adding the commands the probes need.
///
/// Fails (exit code 4) when an entry is not a four-letter word or `*`.
pub fn parse_whitelist(list: &str) -> anyhow::Result<Vec<String>> {
    let mut words: Vec<String> = Vec::new();
    for w in list
        .split([',', ' '])
        .map(str::trim)
        .filter(|w| !w.is_empty())
    {
        let ok = w == "*" || (w.len() == 4 && w.bytes().all(|b| b.is_ascii_lowercase()));
        if !ok {
            return Err(diagnose(
                Code::Config,
                format!("--4lw-whitelist entry '{w}' is not a four-letter word"),
                "ZooKeeper would reject or ignore it",
                "list lowercase four-letter commands separated by commas, e.g. srvr,ruok,mntr,conf, or *",
            ));
        }
        if !words.iter().any(|x| x == w) {
            words.push(w.to_string());
        }
    }
    if words.iter().any(|w| w == "*") {
        return Ok(vec!["*".to_string()]);
    }
    for r in REQUIRED_4LW {
        if !words.iter().any(|w| w == r) {
            words.push(r.to_string());
        }
    }
    Ok(words)
}

/// Assembles and validates the settings.
///
/// Fails (exit code 4) on contradictory values: zero ticks or limits,
/// session timeouts out of order, ports that collide.
pub fn build(a: &SettingsInput, myid: u32, servers: Vec<Member>) -> anyhow::Result<Settings> {
    for (name, v) in [
        ("--tick_time", a.tick_time),
        ("--init_limit", a.init_limit),
        ("--sync_limit", a.sync_limit),
    ] {
        if v == 0 {
            return Err(diagnose(
                Code::Config,
                format!("{name}=0"),
                "ZooKeeper cannot run with a zero tick time or limit",
                format!("pass a positive {name} (start-zookeeper's defaults: --tick_time=2000 --init_limit=10 --sync_limit=5)"),
            ));
        }
    }
    let min = a
        .min_session_timeout
        .unwrap_or(a.tick_time.saturating_mul(2));
    let max = a
        .max_session_timeout
        .unwrap_or(a.tick_time.saturating_mul(20));
    if min > max {
        return Err(diagnose(
            Code::Config,
            format!("--min_session_timeout={min} is larger than --max_session_timeout={max}"),
            "no client could negotiate a session timeout",
            format!("swap them: --min_session_timeout={max} --max_session_timeout={min} (start-zookeeper's help text had the two defaults swapped: min is 2 x tick_time, max is 20 x tick_time)"),
        ));
    }
    let mut ports = vec![
        ("--client_port", a.client_port),
        ("--server_port", a.server_port),
        ("--election_port", a.election_port),
    ];
    if a.admin_server {
        ports.push(("--admin-port", a.admin_port));
    }
    if let Some(p) = a.metrics_port {
        ports.push(("--metrics-port", p));
    }
    for (i, (n1, p1)) in ports.iter().enumerate() {
        if *p1 == 0 {
            return Err(diagnose(
                Code::Config,
                format!("{n1}=0"),
                "port 0 would make ZooKeeper listen on a random port nobody can find",
                format!("pass a fixed {n1}"),
            ));
        }
        if let Some((n2, _)) = ports[i + 1..].iter().find(|(_, p2)| p2 == p1) {
            return Err(diagnose(
                Code::Config,
                format!("{n1} and {n2} are both {p1}"),
                "ZooKeeper would fail to bind the second listener",
                "give each its own port (defaults: client 2181, server 2888, election 3888, admin 8080; metrics usually 7000)",
            ));
        }
    }
    for (flag, value) in [
        ("--admin-address", Some(a.admin_address.as_str())),
        ("--metrics-host", a.metrics_host.as_deref()),
    ] {
        if let Some(addr) = value.filter(|v| v.trim().is_empty() || v.contains(char::is_whitespace))
        {
            return Err(diagnose(
                Code::Config,
                format!("{flag} '{addr}' is not an address"),
                "ZooKeeper could not bind that listener",
                format!("pass one IP address or host name, e.g. {flag} 127.0.0.1"),
            ));
        }
    }
    if let Some(addr) = a.client_address.as_deref() {
        if addr.trim().is_empty() || addr.contains(char::is_whitespace) {
            return Err(diagnose(
                Code::Config,
                format!("--client_address '{addr}' is not an address"),
                "ZooKeeper could not bind its client port",
                "pass one IP address or host name, e.g. --client_address 127.0.0.1, or leave it unset to listen on all",
            ));
        }
    }
    Ok(Settings {
        myid,
        servers,
        input: a.clone(),
        min_session_timeout: min,
        max_session_timeout: max,
        four_letter_words: parse_whitelist(&a.four_letter_words)?,
        extra: parse_extra(&a.set, a.cfg_extra.as_deref())?,
        dynamic: None,
        tls: None,
    })
}

/// The zoo.cfg lines of `--tls-dir` for `release`: the secure client port
/// on Netty, quorum TLS, both with the same PEM stores (a pod's certificate
/// serves as server and client), and reloading where `release` has it.
/// Hostname verification stays on (ZooKeeper's default; `fips-mode=false`
/// keeps its verifying trust manager on 3.8.2+).
pub fn tls_entries(t: &TlsSettings, release: Version) -> Vec<(&'static Key, String)> {
    let ks = t.keystore.display().to_string();
    let ts = t.truststore.display().to_string();
    let mut e = vec![
        (
            &keys::SERVER_CNXN_FACTORY,
            keys::NETTY_SERVER_CNXN_FACTORY.to_string(),
        ),
        (&keys::SECURE_CLIENT_PORT, t.secure_port.to_string()),
        (&keys::SSL_KEYSTORE_LOCATION, ks.clone()),
        (&keys::SSL_KEYSTORE_TYPE, "PEM".to_string()),
        (&keys::SSL_TRUSTSTORE_LOCATION, ts.clone()),
        (&keys::SSL_TRUSTSTORE_TYPE, "PEM".to_string()),
        (&keys::SSL_QUORUM, true.to_string()),
        (&keys::SSL_QUORUM_KEYSTORE_LOCATION, ks),
        (&keys::SSL_QUORUM_KEYSTORE_TYPE, "PEM".to_string()),
        (&keys::SSL_QUORUM_TRUSTSTORE_LOCATION, ts),
        (&keys::SSL_QUORUM_TRUSTSTORE_TYPE, "PEM".to_string()),
        (&keys::SSL_QUORUM_RELOAD, true.to_string()),
    ];
    if keys::client_cert_reload_in(release) {
        e.push((&keys::CLIENT_CERT_RELOAD, true.to_string()));
    }
    e
}

/// Warnings about settings that are valid but probably not what was meant.
pub fn warnings(s: &Settings) -> Vec<Warning> {
    let mut w = Vec::new();
    if s.input.snap_retain_count < 3 {
        w.push(Warning::new(
            format!(
                "--snap_retain_count={} is below 3",
                s.input.snap_retain_count
            ),
            "ZooKeeper raises it to 3 and keeps three snapshots anyway",
            "pass --snap_retain_count=3 or more",
        ));
    }
    if s.input.purge_interval == 0 {
        w.push(Warning::new(
            "--purge_interval=0 disables purging",
            "old snapshots and transaction logs will fill the volume",
            "set it to e.g. --purge_interval=12 (hours)",
        ));
    }
    for (k, _) in &s.extra {
        w.extend(keys::unknown_key_hint(k));
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_number_or_clear_error() {
        assert_eq!(parse_servers("3"), Ok(3));
        assert!(parse_servers("0")
            .unwrap_err()
            .contains("between 1 and 255"));
        let e =
            parse_servers("server.1=zoo1:2888:3888;2181 server.2=zoo2:2888:3888;2181").unwrap_err();
        assert!(e.contains("official image's ZOO_SERVERS form"), "{e}");
    }

    #[test]
    fn whitelist_always_has_probe_commands() {
        assert_eq!(
            parse_whitelist("stat").unwrap(),
            ["stat", "srvr", "ruok", "mntr", "conf"]
        );
        assert_eq!(
            parse_whitelist("ruok, srvr,ruok").unwrap(),
            ["ruok", "srvr", "mntr", "conf"]
        );
        assert_eq!(parse_whitelist("*,stat").unwrap(), ["*"]);
        let e = parse_whitelist("srvr,status").unwrap_err().to_string();
        assert!(e.contains("'status' is not a four-letter word"), "{e}");
    }

    #[test]
    fn extra_settings() {
        let got = parse_extra(
            &["snapCount=1000".into(), "globalOutstandingLimit=500".into()],
            Some("jute.maxbuffer=4194304 snapCount=10"),
        )
        .unwrap();
        // Flags come after the environment and win over it.
        assert_eq!(
            got,
            vec![
                ("jute.maxbuffer".to_string(), "4194304".to_string()),
                ("snapCount".to_string(), "1000".to_string()),
                ("globalOutstandingLimit".to_string(), "500".to_string()),
            ]
        );
    }

    #[test]
    fn warnings_name_problem_consequence_and_fix() {
        let mut input = fixtures::defaults();
        input.snap_retain_count = 1;
        input.purge_interval = 0;
        input.set = vec!["autopurge.purgeInteval=1".into()];
        let w: Vec<String> = warnings(&build(&input, 1, Vec::new()).unwrap())
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            w,
            [
                "--snap_retain_count=1 is below 3: ZooKeeper raises it to 3 and keeps three snapshots anyway. Fix: pass --snap_retain_count=3 or more",
                "--purge_interval=0 disables purging: old snapshots and transaction logs will fill the volume. Fix: set it to e.g. --purge_interval=12 (hours)",
                "zoo.cfg key 'autopurge.purgeInteval' is not a ZooKeeper setting (did you mean 'autopurge.purgeInterval'?): ZooKeeper will ignore it. Fix: write 'autopurge.purgeInterval' if that is the setting you meant, or drop the entry",
            ]
        );
        assert!(warnings(&build(&fixtures::defaults(), 1, Vec::new()).unwrap()).is_empty());
    }

    #[test]
    fn extra_settings_refused() {
        let e = parse_extra(&["tickTime=3000".into()], None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("--set tickTime=3000 sets a key that zkpod derives from --tick_time"),
            "{e}"
        );
        assert!(e.contains("Fix: pass --tick_time=3000 instead"), "{e}");
        let e = parse_extra(&[], Some("server.4=x:1:2"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("ZOO_CFG_EXTRA server.4=x:1:2 sets a server line"),
            "{e}"
        );
        let e = parse_extra(&["snapCount".into()], None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--set entry 'snapCount' has no '='"), "{e}");
        let e = parse_extra(&["a=b\nc=d".into()], None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a valid zoo.cfg setting"), "{e}");
        // Flag-owned keys in another case are still the flag's.
        let e = parse_extra(&["TICKTIME=3000".into()], None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("derives from --tick_time"), "{e}");
    }

    // Found by the fuzz targets; fixed by issue 8 (an encoder for zoo.cfg,
    // one-line messages). Run with --ignored to see them fail.
    #[test]
    #[ignore = "issue 8: a --set key starting with '!' is rendered as a Properties comment"]
    fn regression_fuzz_zoo_cfg_render_a_bang_key_is_not_lost() {
        let mut i = fixtures::defaults();
        i.set = vec!["!x=1".into()];
        if let Ok(s) = build(&i, 1, Vec::new()) {
            let back =
                crate::config::zoocfg::parse(&crate::config::zoocfg::render(&s, OLDEST_SUPPORTED));
            assert_eq!(back.get("!x").map(String::as_str), Some("1"));
        }
    }

    #[test]
    #[ignore = "issue 8: a refusal echoes a line break in --set or --4lw-whitelist raw"]
    fn regression_fuzz_set_values_refusals_stay_on_one_line() {
        let e = parse_extra(&["a\nb".into()], None).unwrap_err().to_string();
        assert!(!e.contains('\n'), "{e}");
        let e = parse_whitelist("srvr,ab\ncd").unwrap_err().to_string();
        assert!(!e.contains('\n'), "{e}");
    }

    #[test]
    fn settings_are_checked() {
        let mut i = fixtures::defaults();
        i.client_port = 2888;
        let e = build(&i, 1, Vec::new()).unwrap_err().to_string();
        assert!(
            e.contains("--client_port and --server_port are both 2888"),
            "{e}"
        );
        let mut i = fixtures::defaults();
        i.min_session_timeout = Some(50000);
        i.max_session_timeout = Some(40000);
        let e = build(&i, 1, Vec::new()).unwrap_err().to_string();
        assert!(
            e.contains("is larger than --max_session_timeout=40000"),
            "{e}"
        );
        let mut i = fixtures::defaults();
        i.tick_time = 0;
        let e = build(&i, 1, Vec::new()).unwrap_err().to_string();
        assert!(e.starts_with("--tick_time=0: ZooKeeper cannot run"), "{e}");
        let s = build(&fixtures::defaults(), 1, Vec::new()).unwrap();
        assert_eq!(
            (s.min_session_timeout, s.max_session_timeout),
            (4000, 40000)
        );
    }
}

/// The flag values of the tests' reference command lines, as the CLI gives
/// them (the CLI's tests parse the same command lines and compare).
#[cfg(test)]
pub(crate) mod fixtures {
    use super::*;

    /// `start.sh` with no flags: every default.
    pub(crate) fn defaults() -> SettingsInput {
        SettingsInput {
            client_port: 2181,
            client_address: None,
            server_port: 2888,
            election_port: 3888,
            data_dir: "/var/lib/zookeeper/data".into(),
            data_log_dir: "/var/lib/zookeeper/data/log".into(),
            tick_time: 2000,
            init_limit: 10,
            sync_limit: 5,
            max_client_cnxns: 60,
            min_session_timeout: None,
            max_session_timeout: None,
            snap_retain_count: 3,
            purge_interval: 12,
            four_letter_words: "srvr,ruok,mntr,conf,stat,isro".into(),
            admin_server: false,
            admin_port: 8080,
            admin_address: "127.0.0.1".into(),
            quorum_listen_on_all_ips: false,
            metrics_port: None,
            metrics_host: None,
            set: Vec::new(),
            cfg_extra: None,
        }
    }

    /// The tutorial manifests' command line (seeds 001 and 004).
    pub(crate) fn seed004() -> SettingsInput {
        SettingsInput {
            min_session_timeout: Some(4000),
            max_session_timeout: Some(40000),
            ..defaults()
        }
    }

    /// Every zoo.cfg option zkpod has a flag for.
    pub(crate) fn all_options() -> SettingsInput {
        SettingsInput {
            client_address: Some("127.0.0.12".into()),
            quorum_listen_on_all_ips: true,
            admin_server: true,
            admin_port: 9090,
            admin_address: "0.0.0.0".into(),
            metrics_port: Some(7000),
            metrics_host: Some("0.0.0.0".into()),
            four_letter_words: "srvr,stat".into(),
            set: vec!["snapCount=50000".into()],
            cfg_extra: Some("metricsProvider.exportJvmInfo=false".into()),
            ..defaults()
        }
    }
}
