//! The settings of one ZooKeeper server: what zoo.cfg is rendered from.
//!
//! Everything here is pure: [`build`] takes the values the operator asked
//! for ([`SettingsInput`], plain values the CLI fills in) plus what `start`
//! decided (the server id and the ensemble's members), and returns the
//! [`Settings`], or the first invalid input as an operator-facing failure.

use std::path::{Path, PathBuf};

use crate::config::keys::{self, Key, Owner};
use crate::config::properties::{self, EntryError};
use crate::config::version::{v, Version};
use crate::config::{flags, shell, values};
use crate::sys::report::{self, diagnose, Code, Warning};

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

/// The zoo.cfg keys whose value is a port, other than the flag-owned ones:
/// checked like the flags' ports (a number 1-65535, not one zkpod already
/// listens on).
pub const PORT_KEYS: [&str; 2] = ["secureClientPort", "observerMasterPort"];

/// The most `--set` and `ZOO_CFG_EXTRA` entries zkpod takes together.
pub const MAX_EXTRA: usize = 512;

/// The most distinct words a `--4lw-whitelist` may list (ZooKeeper knows
/// about 25).
pub const MAX_4LW: usize = 64;

/// Why a (decoded) zoo.cfg key cannot be one: ZooKeeper's keys hold only
/// letters, digits, `.`, `_` and `-`.
fn key_problem(key: &str) -> Option<String> {
    if key.is_empty() {
        return Some("is empty".into());
    }
    key.chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
        .map(|c| {
            format!(
                "holds {}; a zoo.cfg key has only letters, digits, '.', '_' and '-'",
                values::describe_char(c)
            )
        })
}

/// The command-line form that sets what `--set key=value` tried to set
/// through `flag`, as the CLI accepts it: a bool flag takes no value, a
/// number must be one.
pub fn flag_fix(flag: &str, value: &str) -> String {
    let number = |max: u64| value.parse::<u64>().is_ok_and(|n| n <= max);
    match flag {
        "--admin-server" | "--quorum-listen-on-all-ips" => {
            if value.eq_ignore_ascii_case("true") {
                format!("pass {flag} instead (it takes no value)")
            } else {
                format!("drop the entry: {flag} is off unless it is given")
            }
        }
        "--client_port" | "--admin-port" | "--metrics-port" => {
            if number(65535) && value != "0" {
                format!("pass {flag}={value} instead")
            } else {
                format!(
                    "pass {flag}=<port 1-65535> instead ({} is not a port)",
                    report::shown(value)
                )
            }
        }
        "--data_dir" | "--data_log_dir" | "--client_address" | "--4lw-whitelist"
        | "--admin-address" | "--metrics-host" => {
            format!("pass {flag}={} instead", shell::word(value))
        }
        _ => {
            if number(values::JAVA_INT_MAX) {
                format!("pass {flag}={value} instead")
            } else {
                format!(
                    "pass {flag}=<a number> instead ({} is not one)",
                    report::shown(value)
                )
            }
        }
    }
}

fn entry_refused(item: &str, source: &str, e: EntryError) -> anyhow::Error {
    let it = report::shown(item);
    let (what, means, fix) = match e {
        EntryError::Control(r) => (
            format!("{source} entry {it} {r}"),
            "zoo.cfg is read line by line, so a line break would add settings of its own",
            format!("pass one key=value per {source} entry, without line breaks or control characters"),
        ),
        EntryError::Empty => (
            format!("{source} has an empty entry"),
            "it sets nothing",
            "drop the empty entry".to_string(),
        ),
        EntryError::Comment => (
            format!("{source} entry {it} starts with '#' or '!'"),
            "ZooKeeper reads such a line as a comment and would ignore the setting",
            "drop the entry, or write the key without the leading character".to_string(),
        ),
        EntryError::Continuation => (
            format!("{source} entry {it} ends with a backslash"),
            "in zoo.cfg a line ending in a backslash continues on the next one, swallowing the setting after it",
            "write a backslash that ends the value twice (\\\\), or remove it".to_string(),
        ),
        EntryError::NoSeparator => (
            format!("{source} entry {it} has no '='"),
            "zkpod cannot tell the zoo.cfg key from its value",
            format!("write it as key=value, e.g. {source} snapCount=100000"),
        ),
        EntryError::Malformed => (
            format!("{source} entry {it} has a malformed \\uXXXX escape"),
            "ZooKeeper would refuse to read zoo.cfg",
            "write four hex digits after \\u, or \\\\u for a literal backslash and u".to_string(),
        ),
    };
    diagnose(Code::Config, what, means, fix)
}

/// Splits `--set` values and `ZOO_CFG_EXTRA` into key/value pairs, checking
/// each: read as the Properties line it becomes (escapes undone, the key
/// ending at the first `=`, `:` or white space), one line, a key ZooKeeper
/// could know, no flag-owned key (compared after unescaping, and in any
/// case), no server line.
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
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (n, (item, source)) in from_env.chain(from_flags).enumerate() {
        if n == MAX_EXTRA {
            return Err(diagnose(
                Code::Config,
                format!("--set and ZOO_CFG_EXTRA hold more than {MAX_EXTRA} entries"),
                "ZooKeeper has about 150 settings; so many entries are a mistake (or a flood of zoo.cfg and zkpod's log)",
                "pass only the settings you mean to change",
            ));
        }
        let (k, v) = properties::parse_entry(item).map_err(|e| entry_refused(item, source, e))?;
        // ZooKeeper trims every value it reads.
        let v = v.trim().to_string();
        let (shown_item, shown_key) = (report::shown(item), report::shown(&k));
        if let Some(why) = key_problem(&k) {
            return Err(diagnose(
                Code::Config,
                format!("{source} entry {shown_item} has the key {shown_key}, which {why}"),
                "ZooKeeper knows no such key and zoo.cfg would have to escape it",
                "check the key against the administrator's guide of your ZooKeeper release",
            ));
        }
        match keys::owner_of(&k) {
            Some(Owner::Flag(flag)) => return Err(diagnose(
                Code::Config,
                format!("{source} {shown_item} sets {k}, a key that zkpod derives from {}", flags::origin(flag)),
                "two sources for one setting would disagree (and zkpod acts on the flag's value)",
                flag_fix(flag, &v),
            )),
            Some(Owner::ServerList) => return Err(diagnose(
                Code::Config,
                format!("{source} {shown_item} sets {k}, which belongs to the server list"),
                "zkpod builds the server list from the pod names and --servers; a hand-written line would disagree with it",
                "set --servers (ZOO_SERVERS) to the StatefulSet's replicas and drop this entry",
            )),
            Some(Owner::Membership) => return Err(diagnose(
                Code::Config,
                format!("{source} {shown_item} sets a key of zkpod's dynamic membership ({k})"),
                "zkpod decides whether ZooKeeper may reconfigure and where its committed configuration lives; a second source would let a restart start a server with a stale view of the ensemble",
                "drop this entry; use --membership static (ZOO_MEMBERSHIP=static) for a fixed server list",
            )),
            Some(Owner::ZooKeeper) | None => {}
        }
        // The last entry for a key wins, at its first entry's place; a
        // map keeps this linear however many entries a variable holds.
        match index.get(&k) {
            Some(&i) => out[i].1 = v,
            None => {
                index.insert(k.clone(), out.len());
                out.push((k, v));
            }
        }
    }
    Ok(out)
}

/// Parses the whitelist, adding the commands the probes need.
///
/// Fails (exit code 4) when an entry is not a four-letter word or `*`.
pub fn parse_whitelist(list: &str) -> anyhow::Result<Vec<String>> {
    let mut words: Vec<String> = Vec::new();
    // Linear in the list's length, whatever the variable holds.
    let mut seen = std::collections::HashSet::new();
    for w in list
        .split([',', ' '])
        .map(str::trim)
        .filter(|w| !w.is_empty())
    {
        let ok = w == "*" || (w.len() == 4 && w.bytes().all(|b| b.is_ascii_lowercase()));
        if !ok {
            return Err(diagnose(
                Code::Config,
                format!(
                    "{} entry {} is not a four-letter word",
                    flags::origin("--4lw-whitelist"),
                    report::shown(w)
                ),
                "ZooKeeper would reject or ignore it",
                "list lowercase four-letter commands separated by commas, e.g. srvr,ruok,mntr,conf, or *",
            ));
        }
        if seen.insert(w) {
            if words.len() == MAX_4LW {
                return Err(diagnose(
                    Code::Config,
                    format!(
                        "{} lists more than {MAX_4LW} words",
                        flags::origin("--4lw-whitelist")
                    ),
                    "ZooKeeper knows about 25 four-letter words; the rest would only bloat zoo.cfg",
                    "list the words the probes and your tools use, e.g. srvr,ruok,mntr,conf,stat,isro, or *",
                ));
            }
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

/// Checks `value` of `flag` against Java's `int`, naming the flag.
fn java_int(flag: &str, value: u64, what: &str) -> anyhow::Result<()> {
    values::java_int(value).map_err(|why| {
        diagnose(
            Code::Config,
            format!("{} {what}{value} {why}", flags::origin(flag)),
            "ZooKeeper would fail to parse zoo.cfg and crash-loop",
            format!("pass a smaller {flag}"),
        )
    })
}

/// Checks a data or log dir (already absolute): clean, only
/// [`values::PATH_CHARS`], and not a system directory; returns it clean.
pub fn check_dir(flag: &str, dir: &Path) -> anyhow::Result<PathBuf> {
    let clean = values::clean_path(dir).map_err(|why| {
        diagnose(
            Code::Config,
            format!("{} {} {why}", flags::origin(flag), report::path(dir)),
            "ZooKeeper's files would end up somewhere other than where zkpod checks and prepares them",
            format!("pass an absolute path of {} to {flag}, e.g. /var/lib/zookeeper/data", values::PATH_CHARS),
        )
    })?;
    if let Some(why) = values::system_dir(&clean) {
        return Err(diagnose(
            Code::Config,
            format!("{} {} {why}", flags::origin(flag), clean.display()),
            "a ZooKeeper server needs a dedicated directory: zkpod would write myid there and, as root, hand everything in it to the ZooKeeper user",
            format!("pass a directory of its own to {flag}, e.g. /var/lib/zookeeper/data on the mounted volume"),
        ));
    }
    Ok(clean)
}

/// Assembles and validates the settings.
///
/// Fails (exit code 4) on contradictory or out-of-domain values: zero ticks
/// or limits, numbers ZooKeeper cannot read into an int (checked
/// arithmetic for the derived ones), session timeouts out of order, ports
/// that collide (the flags' and those `--set` names), an address that is
/// not one, dirs that are not clean or are system directories.
pub fn build(a: &SettingsInput, myid: u32, servers: Vec<Member>) -> anyhow::Result<Settings> {
    for (name, v) in [
        ("--tick_time", a.tick_time),
        ("--init_limit", a.init_limit),
        ("--sync_limit", a.sync_limit),
    ] {
        if v == 0 {
            return Err(diagnose(
                Code::Config,
                flags::given(name, 0),
                "ZooKeeper cannot run with a zero tick time or limit",
                format!("pass a positive {name} (start-zookeeper's defaults: --tick_time=2000 --init_limit=10 --sync_limit=5)"),
            ));
        }
    }
    for (name, v) in [
        ("--tick_time", a.tick_time),
        ("--init_limit", a.init_limit),
        ("--sync_limit", a.sync_limit),
        ("--max_client_cnxns", a.max_client_cnxns),
        ("--snap_retain_count", a.snap_retain_count),
        ("--purge_interval", a.purge_interval),
    ] {
        java_int(name, u64::from(v), "")?;
    }
    // ZooKeeper multiplies the limits by the tick in an int.
    let tick = u64::from(a.tick_time);
    for (name, limit) in [
        ("--init_limit", a.init_limit),
        ("--sync_limit", a.sync_limit),
    ] {
        let product = tick * u64::from(limit);
        if product > values::JAVA_INT_MAX {
            return Err(diagnose(
                Code::Config,
                format!("{name}={limit} x --tick_time={} is {product} ms", a.tick_time),
                "ZooKeeper computes that timeout in a Java int, which overflows: followers would time out at once or never",
                format!("lower {name} or --tick_time so that their product stays below {}", values::JAVA_INT_MAX),
            ));
        }
    }
    let derived = |given: Option<u32>, ticks: u64, flag: &str| -> anyhow::Result<u32> {
        let v = given.map_or(tick * ticks, u64::from);
        match given {
            Some(_) => java_int(flag, v, "")?,
            None => java_int(
                "--tick_time",
                v,
                &format!("{tick} x {ticks} (the default {flag}) = "),
            )?,
        }
        Ok(v as u32)
    };
    let min = derived(a.min_session_timeout, 2, "--min_session_timeout")?;
    let max = derived(a.max_session_timeout, 20, "--max_session_timeout")?;
    if min > max {
        return Err(diagnose(
            Code::Config,
            format!("--min_session_timeout={min} is larger than --max_session_timeout={max}"),
            "no client could negotiate a session timeout",
            format!("swap them: --min_session_timeout={max} --max_session_timeout={min} (start-zookeeper's help text had the two defaults swapped: min is 2 x tick_time, max is 20 x tick_time)"),
        ));
    }
    let extra = parse_extra(&a.set, a.cfg_extra.as_deref())?;
    let mut ports: Vec<(String, u16)> = vec![
        ("--client_port".into(), a.client_port),
        ("--server_port".into(), a.server_port),
        ("--election_port".into(), a.election_port),
    ];
    if a.admin_server {
        ports.push(("--admin-port".into(), a.admin_port));
    }
    for (k, v) in &extra {
        if PORT_KEYS.contains(&k.as_str()) {
            match v.parse::<u16>() {
                Ok(p) => ports.push((format!("--set {k}"), p)),
                Err(_) => {
                    return Err(diagnose(
                        Code::Config,
                        format!("--set {k}={} is not a port", report::shown(v)),
                        "ZooKeeper would fail to parse zoo.cfg and crash-loop",
                        format!("set {k} to a port from 1 to 65535"),
                    ))
                }
            }
        }
    }
    if let Some(p) = a.metrics_port {
        ports.push(("--metrics-port".into(), p));
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
        ("--client_address", a.client_address.as_deref()),
        ("--admin-address", Some(a.admin_address.as_str())),
        ("--metrics-host", a.metrics_host.as_deref()),
    ] {
        if let Some(addr) = value {
            if let Err(why) = values::host(addr) {
                return Err(diagnose(
                    Code::Config,
                    format!("{} {} {why}", flags::origin(flag), report::shown(addr)),
                    "ZooKeeper could not bind that listener",
                    format!("pass one IP address or host name, e.g. {flag} 127.0.0.1, or leave it unset for its default"),
                ));
            }
        }
    }
    // ZooKeeper refuses to start a server with an id above 254 when
    // extended types (TTL nodes) are on: its session ids carry the id in 8 bits.
    let extended = extra
        .iter()
        .any(|(k, v)| k == "extendedTypesEnabled" && v.eq_ignore_ascii_case("true"));
    if extended && myid > 254 {
        return Err(diagnose(
            Code::Config,
            format!("--set extendedTypesEnabled=true with server id {myid}"),
            "ZooKeeper refuses to start with extended types on and an id above 254 (its session ids carry the id in 8 bits)",
            "keep the ids at 254 or below (--id-offset, --servers), or drop extendedTypesEnabled",
        ));
    }
    let mut input = a.clone();
    input.data_dir = check_dir("--data_dir", &a.data_dir)?;
    input.data_log_dir = check_dir("--data_log_dir", &a.data_log_dir)?;
    Ok(Settings {
        myid,
        servers,
        input,
        min_session_timeout: min,
        max_session_timeout: max,
        four_letter_words: parse_whitelist(&a.four_letter_words)?,
        extra,
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
            e.contains("--set 'tickTime=3000' sets tickTime, a key that zkpod derives from --tick_time (ZOO_TICK_TIME)"),
            "{e}"
        );
        assert!(e.contains("Fix: pass --tick_time=3000 instead"), "{e}");
        let e = parse_extra(&[], Some("server.4=x:1:2"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(
                "ZOO_CFG_EXTRA 'server.4=x:1:2' sets server.4, which belongs to the server list"
            ),
            "{e}"
        );
        let e = parse_extra(&["snapCount".into()], None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("--set entry 'snapCount' has no '='"), "{e}");
        let e = parse_extra(&["a=b\nc=d".into()], None)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("--set entry 'a=b\\nc=d' holds the control character U+000A at position 3: zoo.cfg is read line by line"), "{e}");
        // Flag-owned keys in another case are still the flag's.
        let e = parse_extra(&["TICKTIME=3000".into()], None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("derives from --tick_time"), "{e}");
    }

    // Found by the fuzz targets; fixed by issue 8 (an encoder for zoo.cfg,
    // one-line messages).
    #[test]
    fn regression_issue_8_flag_owned_keys_are_compared_after_unescaping() {
        for (entry, key, flag) in [
            ("data\\Dir=/etc/evil", "dataDir", "--data_dir"),
            ("dataDir:/etc/evil=x", "dataDir", "--data_dir"),
            ("DATADIR = /etc/evil", "DATADIR", "--data_dir"),
            ("client\\u0050ort=1", "clientPort", "--client_port"),
        ] {
            let e = parse_extra(&[entry.into()], None).unwrap_err().to_string();
            assert!(
                e.contains(&format!("sets {key}, a key that zkpod derives from {flag}")),
                "{entry}: {e}"
            );
        }
        let e = parse_extra(&["server\\u002e9=evil:1:2".into()], None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("sets server.9, which belongs to the server list"),
            "{e}"
        );
        // A trailing backslash would swallow the next line of zoo.cfg.
        let e = parse_extra(&["snapCount=1\\".into()], None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("ends with a backslash: in zoo.cfg a line ending in a backslash continues"),
            "{e}"
        );
        let e = parse_extra(&["#x=1".into()], None).unwrap_err().to_string();
        assert!(e.contains("starts with '#' or '!'"), "{e}");
        let e = parse_extra(&["a\\ b=1".into()], None)
            .unwrap_err()
            .to_string();
        assert!(e.contains("has the key 'a b', which holds a space"), "{e}");
        // What the Properties reader makes of an entry is what zkpod keeps.
        assert_eq!(
            parse_extra(
                &[
                    "zookeeper.DigestAuthenticationProvider.superDigest=super:abc/d+e=".into(),
                    "ssl.keyStore.password = p\\\\w ".into()
                ],
                None
            )
            .unwrap(),
            vec![
                (
                    "zookeeper.DigestAuthenticationProvider.superDigest".to_string(),
                    "super:abc/d+e=".to_string()
                ),
                ("ssl.keyStore.password".to_string(), "p\\w".to_string()),
            ]
        );
    }

    #[test]
    fn regression_issue_8_a_fix_that_works_for_bool_and_number_flags() {
        assert_eq!(
            flag_fix("--admin-server", "true"),
            "pass --admin-server instead (it takes no value)"
        );
        assert_eq!(
            flag_fix("--admin-server", "false"),
            "drop the entry: --admin-server is off unless it is given"
        );
        assert_eq!(
            flag_fix("--tick_time", "abc"),
            "pass --tick_time=<a number> instead ('abc' is not one)"
        );
        assert_eq!(
            flag_fix("--client_port", "70000"),
            "pass --client_port=<port 1-65535> instead ('70000' is not a port)"
        );
        assert_eq!(
            flag_fix("--data_dir", "/v/a b"),
            "pass --data_dir='/v/a b' instead"
        );
    }

    #[test]
    fn regression_issue_8_ints_and_ports_zookeeper_can_read() {
        let mut i = fixtures::defaults();
        i.tick_time = u32::MAX;
        let e = build(&i, 1, Vec::new()).unwrap_err().to_string();
        assert!(e.starts_with("--tick_time (ZOO_TICK_TIME) 4294967295 is above 2147483647, the largest number ZooKeeper reads (a Java int)"), "{e}");
        let mut i = fixtures::defaults();
        i.tick_time = 300_000_000;
        let e = build(&i, 1, Vec::new()).unwrap_err().to_string();
        assert!(e.starts_with("--init_limit=10 x --tick_time=300000000 is 3000000000 ms: ZooKeeper computes that timeout in a Java int"), "{e}");
        let mut i = fixtures::defaults();
        i.tick_time = 110_000_000;
        i.init_limit = 1;
        i.sync_limit = 1;
        let e = build(&i, 1, Vec::new()).unwrap_err().to_string();
        assert!(e.starts_with("--tick_time (ZOO_TICK_TIME) 110000000 x 20 (the default --max_session_timeout) = 2200000000 is above 2147483647"), "{e}");
        let mut i = fixtures::defaults();
        i.set = vec!["secureClientPort=2181".into()];
        let e = build(&i, 1, Vec::new()).unwrap_err().to_string();
        assert!(
            e.starts_with("--client_port and --set secureClientPort are both 2181"),
            "{e}"
        );
        i.set = vec!["observerMasterPort=http".into()];
        let e = build(&i, 1, Vec::new()).unwrap_err().to_string();
        assert!(
            e.starts_with("--set observerMasterPort='http' is not a port"),
            "{e}"
        );
        let mut i = fixtures::defaults();
        i.client_address = Some("127.0.0.1\nserver.9=x".into());
        let e = build(&i, 1, Vec::new()).unwrap_err().to_string();
        assert!(e.starts_with("--client_address (ZOO_CLIENT_ADDRESS) '127.0.0.1\\nserver.9=x' is neither an IP address nor a DNS name"), "{e}");
    }

    #[test]
    fn attacker_a_flood_of_entries_is_refused_quickly() {
        let many: Vec<String> = (0..100_000).map(|i| format!("k{i}=v")).collect();
        let t = std::time::Instant::now();
        let e = parse_extra(&many, None).unwrap_err().to_string();
        assert!(
            e.starts_with("--set and ZOO_CFG_EXTRA hold more than 512 entries"),
            "{e}"
        );
        let same: Vec<String> = (0..500).map(|i| format!("snapCount={i}")).collect();
        assert_eq!(
            parse_extra(&same, None).unwrap(),
            [("snapCount".to_string(), "499".to_string())]
        );
        let words: Vec<String> = (0..20_000u32)
            .map(|i| {
                (0..4)
                    .map(|j| char::from(b'a' + ((i / 26u32.pow(j)) % 26) as u8))
                    .collect()
            })
            .collect();
        let e = parse_whitelist(&words.join(",")).unwrap_err().to_string();
        assert!(e.contains("lists more than 64 words"), "{e}");
        assert!(parse_whitelist(&"srvr,".repeat(50_000)).is_ok());
        assert!(
            t.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            t.elapsed()
        );
    }

    #[test]
    fn attacker_membership_and_extended_types_cannot_be_set_around_zkpod() {
        let e = parse_extra(&["dynamicConfigFile=/tmp/evil.dynamic".into()], None)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("'dynamicConfigFile=/tmp/evil.dynamic' sets a key of zkpod's dynamic membership (dynamicConfigFile)"),
            "{e}"
        );
        let mut i = fixtures::defaults();
        i.set = vec!["extendedTypesEnabled=true".into()];
        assert!(build(&i, 254, Vec::new()).is_ok());
        let e = build(&i, 255, Vec::new()).unwrap_err().to_string();
        assert!(
            e.starts_with(
                "--set extendedTypesEnabled=true with server id 255: ZooKeeper refuses to start"
            ),
            "{e}"
        );
    }

    #[test]
    fn regression_fuzz_zoo_cfg_render_a_bang_key_is_not_lost() {
        let mut i = fixtures::defaults();
        i.set = vec!["!x=1".into()];
        if let Ok(s) = build(&i, 1, Vec::new()) {
            let text = crate::config::zoocfg::render(&s, OLDEST_SUPPORTED).unwrap();
            let back = crate::config::zoocfg::parse(text.as_bytes()).unwrap();
            assert_eq!(back.get("!x").map(String::as_str), Some("1"));
        }
    }

    #[test]
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
        assert!(
            e.starts_with("--tick_time=0 (ZOO_TICK_TIME): ZooKeeper cannot run"),
            "{e}"
        );
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
