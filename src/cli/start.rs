//! The arguments of `zkpod start` and of its drop-in names
//! `start-zookeeper` / `start.sh` (the tutorial scripts' flags), and their
//! conversion into plain values for the `start` package.

use std::path::PathBuf;

use clap::builder::PossibleValue;
use clap::{Args, Parser, ValueEnum};

use crate::cli::DEFAULT_CONF_DIR;
use crate::config::jvm::{parse_heap, HeapSpec};
use crate::config::keys;
use crate::config::logging::LogLevel;
use crate::config::settings::{parse_servers, SettingsInput};
use crate::start::input::{Input, Plaintext, TlsInput};

/// `zkpod start ...`.
#[derive(Parser, Debug)]
#[command(
    name = "zkpod start",
    version,
    about = "Derive the server id, write zoo.cfg, JVM and logging settings, prepare the data dirs, drop root, and exec the ZooKeeper JVM (the ENTRYPOINT)",
    args_override_self = true
)]
pub struct StartCli {
    #[command(flatten)]
    pub args: StartArgs,
}

/// `start-zookeeper [OPTIONS]` / `start.sh [OPTIONS]`: the drop-in for the
/// tutorial scripts; the same flags as `zkpod start`.
#[derive(Parser, Debug)]
#[command(
    name = "start-zookeeper",
    version,
    about = "Starts a ZooKeeper server (zkpod drop-in for start-zookeeper)",
    // A repeated flag overrides the earlier one, as in start-zookeeper.
    args_override_self = true
)]
pub struct StartScriptCli {
    #[command(flatten)]
    pub args: StartArgs,
}

/// `--log_level` takes ZooKeeper's levels by their log4j names.
impl ValueEnum for LogLevel {
    fn value_variants<'a>() -> &'a [Self] {
        &LogLevel::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.name()))
    }
}

/// Flags of `zkpod start`. The underscore names are the tutorial script's
/// (`--data_dir`); each also has a kebab-case alias and an environment variable.
#[derive(Args, Debug, Clone)]
pub struct StartArgs {
    /// Number of servers in the ensemble (server.1..N); 1 gives a standalone server.
    #[arg(long, env = "ZOO_SERVERS", default_value = "1", value_parser = parse_servers)]
    pub servers: u32,

    /// Snapshot directory (dataDir); myid lives here.
    #[arg(
        long = "data_dir",
        visible_alias = "data-dir",
        env = "ZOO_DATA_DIR",
        default_value = keys::DATA_DIR.flag_default()
    )]
    pub data_dir: PathBuf,

    /// Transaction log directory (dataLogDir).
    #[arg(
        long = "data_log_dir",
        visible_alias = "data-log-dir",
        env = "ZOO_DATA_LOG_DIR",
        default_value = keys::DATA_LOG_DIR.flag_default()
    )]
    pub data_log_dir: PathBuf,

    /// Directory zkpod writes zoo.cfg, java.env, java.security and the logging config into.
    #[arg(long = "conf_dir", visible_alias = "conf-dir", env = "ZOO_CONF_DIR", default_value = DEFAULT_CONF_DIR)]
    pub conf_dir: PathBuf,

    /// Accepted for compatibility with start-zookeeper; zkpod logs to stdout only.
    #[arg(
        long = "log_dir",
        visible_alias = "log-dir",
        env = "ZOO_LOG_DIR",
        hide = true
    )]
    pub log_dir: Option<PathBuf>,

    /// Client port (clientPort).
    #[arg(
        long = "client_port",
        visible_alias = "client-port",
        env = "ZOO_CLIENT_PORT",
        default_value = keys::CLIENT_PORT.flag_default()
    )]
    pub client_port: u16,

    /// Leader election port (third field of the server lines).
    #[arg(
        long = "election_port",
        visible_alias = "election-port",
        env = "ZOO_ELECTION_PORT",
        default_value_t = 3888
    )]
    pub election_port: u16,

    /// Quorum port followers connect to (second field of the server lines).
    #[arg(
        long = "server_port",
        visible_alias = "server-port",
        env = "ZOO_SERVER_PORT",
        default_value_t = 2888
    )]
    pub server_port: u16,

    /// Length of a tick in milliseconds (tickTime).
    #[arg(
        long = "tick_time",
        visible_alias = "tick-time",
        env = "ZOO_TICK_TIME",
        default_value = keys::TICK_TIME.flag_default()
    )]
    pub tick_time: u32,

    /// Ticks a follower may take to connect and sync to the leader (initLimit).
    #[arg(
        long = "init_limit",
        visible_alias = "init-limit",
        env = "ZOO_INIT_LIMIT",
        default_value = keys::INIT_LIMIT.flag_default()
    )]
    pub init_limit: u32,

    /// Ticks a follower may lag behind the leader (syncLimit).
    #[arg(
        long = "sync_limit",
        visible_alias = "sync-limit",
        env = "ZOO_SYNC_LIMIT",
        default_value = keys::SYNC_LIMIT.flag_default()
    )]
    pub sync_limit: u32,

    /// JVM heap: a size such as 512M or 2G (sets both -Xms and -Xmx), or
    /// `auto` (half of the container's memory limit), or `auto:NN%`.
    #[arg(long, env = "ZOO_HEAP", default_value = "2G", value_parser = parse_heap)]
    pub heap: HeapSpec,

    /// Maximum concurrent connections from one client IP (maxClientCnxns).
    #[arg(
        long = "max_client_cnxns",
        visible_alias = "max-client-cnxns",
        env = "ZOO_MAX_CLIENT_CNXNS",
        default_value = keys::MAX_CLIENT_CNXNS.flag_default()
    )]
    pub max_client_cnxns: u32,

    /// Snapshots to keep when purging (autopurge.snapRetainCount).
    #[arg(
        long = "snap_retain_count",
        visible_alias = "snap-retain-count",
        env = "ZOO_SNAP_RETAIN_COUNT",
        default_value = keys::SNAP_RETAIN_COUNT.flag_default()
    )]
    pub snap_retain_count: u32,

    /// Hours between purges of old snapshots and logs; 0 disables purging
    /// (autopurge.purgeInterval, spelt correctly).
    #[arg(
        long = "purge_interval",
        visible_alias = "purge-interval",
        env = "ZOO_PURGE_INTERVAL",
        default_value = keys::PURGE_INTERVAL.flag_default()
    )]
    pub purge_interval: u32,

    /// Largest session timeout a client may negotiate, in ms (default 20 x tick_time).
    #[arg(
        long = "max_session_timeout",
        visible_alias = "max-session-timeout",
        env = "ZOO_MAX_SESSION_TIMEOUT"
    )]
    pub max_session_timeout: Option<u32>,

    /// Smallest session timeout a client may negotiate, in ms (default 2 x tick_time).
    #[arg(
        long = "min_session_timeout",
        visible_alias = "min-session-timeout",
        env = "ZOO_MIN_SESSION_TIMEOUT"
    )]
    pub min_session_timeout: Option<u32>,

    /// ZooKeeper's log level (logged to stdout).
    #[arg(
        long = "log_level",
        visible_alias = "log-level",
        env = "ZOO_LOG_LEVEL",
        default_value = "INFO",
        ignore_case = true
    )]
    pub log_level: LogLevel,

    /// Server id, overriding the one derived from the hostname's ordinal.
    #[arg(long, env = "ZOO_MY_ID", value_parser = clap::value_parser!(u32).range(1..))]
    pub myid: Option<u32>,

    /// Added to the hostname's ordinal to give the server id (zk-0 -> 1).
    /// ZooKeeper ids start at 1, so the offset must be at least 1.
    #[arg(long = "id-offset", env = "ZOO_ID_OFFSET", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub id_offset: u32,

    /// Pod hostname to derive the id from (default: the system hostname).
    #[arg(long, env = "ZOO_HOSTNAME")]
    pub hostname: Option<String>,

    /// DNS domain of the servers, e.g. zk-hs.default.svc.cluster.local
    /// (default: found in /etc/hosts as the kubelet writes it).
    #[arg(long, env = "ZOO_DOMAIN")]
    pub domain: Option<String>,

    /// Headless Service name, used to compose the domain when /etc/hosts has none.
    #[arg(long, env = "ZOO_SERVICE")]
    pub service: Option<String>,

    /// Namespace, used to compose the domain when /etc/hosts has none.
    #[arg(long, env = "POD_NAMESPACE")]
    pub namespace: Option<String>,

    /// Cluster DNS domain, used to compose the domain.
    #[arg(
        long = "cluster-domain",
        env = "ZOO_CLUSTER_DOMAIN",
        default_value = "cluster.local"
    )]
    pub cluster_domain: String,

    /// The hosts file to read the pod's FQDN from.
    #[arg(
        long = "hosts-file",
        env = "ZOO_HOSTS_FILE",
        default_value = "/etc/hosts",
        hide = true
    )]
    pub hosts_file: PathBuf,

    /// Bind the client port to this address only (clientPortAddress); default: all addresses.
    #[arg(
        long = "client_address",
        visible_alias = "client-address",
        env = "ZOO_CLIENT_ADDRESS"
    )]
    pub client_address: Option<String>,

    /// Listen for quorum and election traffic on all addresses
    /// (quorumListenOnAllIPs=true; needed behind service meshes).
    #[arg(
        long = "quorum-listen-on-all-ips",
        env = "ZOO_QUORUM_LISTEN_ON_ALL_IPS"
    )]
    pub quorum_listen_on_all_ips: bool,

    /// Enable ZooKeeper's AdminServer (admin.enableServer); off by default
    /// because it binds :8080, which often clashes.
    #[arg(long = "admin-server", env = "ZOO_ADMIN_SERVER")]
    pub admin_server: bool,

    /// AdminServer port (admin.serverPort), when --admin-server is on.
    #[arg(long = "admin-port", env = "ZOO_ADMIN_PORT", default_value = keys::ADMIN_SERVER_PORT.flag_default())]
    pub admin_port: u16,

    /// AdminServer address (admin.serverAddress), when --admin-server is on:
    /// loopback by default, since 3.9 it serves the snapshot and restore
    /// commands (zkpod also turns those off on 3.9+ unless --set turns them on).
    #[arg(long = "admin-address", env = "ZOO_ADMIN_ADDRESS", default_value = keys::ADMIN_SERVER_ADDRESS.flag_default())]
    pub admin_address: String,

    /// Serve ZooKeeper's own Prometheus metrics on this port (its
    /// PrometheusMetricsProvider, 3.6+; the provider's jar must be installed).
    #[arg(long = "metrics-port", env = "ZOO_METRICS_PORT")]
    pub metrics_port: Option<u16>,

    /// Address the Prometheus endpoint binds (metricsProvider.httpHost,
    /// 3.8.1+); default: all addresses.
    #[arg(long = "metrics-host", env = "ZOO_METRICS_HOST")]
    pub metrics_host: Option<String>,

    /// Four-letter-word commands to allow; ruok, srvr, mntr and conf are always
    /// added because the probes need them.
    #[arg(
        long = "4lw-whitelist",
        env = "ZOO_4LW_COMMANDS_WHITELIST",
        default_value = keys::FOUR_LETTER_WORDS.flag_default()
    )]
    pub four_letter_words: String,

    /// Extra zoo.cfg setting KEY=VALUE (repeatable). ZOO_CFG_EXTRA adds more,
    /// separated by spaces or newlines.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,

    /// Extra zoo.cfg settings from the environment, `key=value` separated by
    /// whitespace (as in the official image).
    #[arg(long = "cfg-extra", env = "ZOO_CFG_EXTRA", hide = true)]
    pub cfg_extra: Option<String>,

    /// When started as root: the user to run ZooKeeper as, UID[:GID] or a name.
    #[arg(long, env = "ZOO_USER", default_value = "1000:1000")]
    pub user: String,

    /// Accept that this server's id differs from the myid on the volume (or
    /// that the volume holds data but no myid) and take the volume over.
    #[arg(long = "accept-new-id", env = "ZOO_ACCEPT_NEW_ID")]
    pub accept_new_id: bool,

    /// ZooKeeper installation (an unpacked release with lib/*.jar); default:
    /// /opt/zookeeper, then Debian's /usr/share/java/zookeeper.jar.
    #[arg(long = "zk-home", env = "ZOO_HOME")]
    pub zk_home: Option<PathBuf>,

    /// The java executable (default: $JAVA_HOME/bin/java, else java on PATH).
    #[arg(long, env = "ZOO_JAVA")]
    pub java: Option<PathBuf>,

    /// Extra JVM flags (not -Xmx/-Xms: use --heap).
    #[arg(long = "jvm-flags", env = "JVMFLAGS", allow_hyphen_values = true)]
    pub jvm_flags: Option<String>,

    /// Seconds the JVM caches successful DNS lookups (networkaddress.cache.ttl).
    #[arg(long = "dns-ttl", env = "ZOO_DNS_TTL", default_value_t = 10)]
    pub dns_ttl: u32,

    /// Seconds the JVM caches failed DNS lookups (networkaddress.cache.negative.ttl);
    /// 0 so a peer whose record appears late is found at once.
    #[arg(
        long = "dns-negative-ttl",
        env = "ZOO_DNS_NEGATIVE_TTL",
        default_value_t = 0
    )]
    pub dns_negative_ttl: u32,

    /// Print every file that would be written and the java command line; change nothing.
    #[arg(long = "dry-run")]
    pub dry_run: bool,

    /// Where the proc filesystem is mounted (the tests point it at a fake).
    #[arg(long = "proc-root", default_value = "/proc", hide = true)]
    pub proc_root: PathBuf,
    /// How the ensemble's membership is kept: dynamic (ZooKeeper 3.5.3+
    /// reconfig; `kubectl scale` adds and removes servers through `zkpod
    /// join` and `zkpod leave`, and --servers is only the initial size),
    /// static (the server list from --servers; ZooKeeper 3.4's only way), or
    /// auto (dynamic where the ZooKeeper and the pod name allow it).
    #[arg(long, env = "ZOO_MEMBERSHIP", value_enum, default_value = "auto")]
    pub membership: MembershipArg,

    /// File holding ZooKeeper's superuser password (a mounted Secret):
    /// zkpod gives the JVM its digest, and `zkpod join`/`leave` use it to
    /// reconfigure the ensemble.
    #[arg(long = "superuser-password-file", env = "ZOO_SUPERUSER_PASSWORD_FILE")]
    pub superuser_password_file: Option<PathBuf>,

    /// How long a start waits for a peer that answers but does not serve
    /// yet (a leader election) before deciding without it, e.g. 30s.
    #[arg(long = "peer-wait", env = "ZOO_PEER_WAIT", default_value = "30s", value_parser = crate::client::endpoint::parse_duration)]
    pub peer_wait: std::time::Duration,

    /// Client and quorum TLS from a directory in cert-manager's Secret
    /// layout (tls.crt, tls.key, ca.crt): the files are checked, and
    /// ZooKeeper's PEM key store (mode 0600) and trust store are written in
    /// the conf dir.
    #[arg(long = "tls-dir", env = "ZOO_TLS_DIR")]
    pub tls_dir: Option<PathBuf>,

    /// The TLS client port (secureClientPort), with --tls-dir.
    #[arg(
        long = "secure-client-port",
        env = "ZOO_SECURE_CLIENT_PORT",
        default_value_t = 2281
    )]
    pub secure_client_port: u16,

    /// With --tls-dir, who reaches the plaintext client port: loopback
    /// (127.0.0.1: the probes and zkpod join/leave in the pod; clients
    /// outside the pod reach only TLS) or all (every address, while clients
    /// move to TLS).
    #[arg(
        long = "plaintext-client",
        env = "ZOO_PLAINTEXT_CLIENT",
        value_enum,
        default_value = "loopback"
    )]
    pub plaintext_client: PlaintextArg,
}

/// `--plaintext-client`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaintextArg {
    Loopback,
    All,
}

/// `--membership`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum MembershipArg {
    Auto,
    Dynamic,
    Static,
}

impl StartArgs {
    /// The flags as the plain values `start` works on; `program` is how
    /// zkpod was started (`zkpod start`, `start.sh`).
    pub fn into_input(self, program: &str) -> Input {
        Input {
            settings: self.settings_input(),
            servers: self.servers,
            conf_dir: self.conf_dir,
            myid: self.myid,
            id_offset: self.id_offset,
            hostname: self.hostname,
            domain: self.domain,
            service: self.service,
            namespace: self.namespace,
            cluster_domain: self.cluster_domain,
            hosts_file: self.hosts_file,
            heap: self.heap,
            jvm_flags: self.jvm_flags,
            dns_ttl: self.dns_ttl,
            dns_negative_ttl: self.dns_negative_ttl,
            log_level: self.log_level,
            user: self.user,
            accept_new_id: self.accept_new_id,
            zk_home: self.zk_home,
            java: self.java,
            dry_run: self.dry_run,
            proc_root: self.proc_root,
            program: program.to_string(),
            membership: match self.membership {
                MembershipArg::Auto => crate::membership::Mode::Auto,
                MembershipArg::Dynamic => crate::membership::Mode::Dynamic,
                MembershipArg::Static => crate::membership::Mode::Static,
            },
            superuser_password_file: self.superuser_password_file,
            peer_wait: self.peer_wait,
            tls: self.tls_dir.map(|dir| TlsInput {
                dir,
                secure_port: self.secure_client_port,
                plaintext: match self.plaintext_client {
                    PlaintextArg::Loopback => Plaintext::Loopback,
                    PlaintextArg::All => Plaintext::All,
                },
            }),
        }
    }

    /// The zoo.cfg values among the flags, as plain values.
    pub fn settings_input(&self) -> SettingsInput {
        SettingsInput {
            client_port: self.client_port,
            client_address: self.client_address.clone(),
            server_port: self.server_port,
            election_port: self.election_port,
            data_dir: self.data_dir.clone(),
            data_log_dir: self.data_log_dir.clone(),
            tick_time: self.tick_time,
            init_limit: self.init_limit,
            sync_limit: self.sync_limit,
            max_client_cnxns: self.max_client_cnxns,
            min_session_timeout: self.min_session_timeout,
            max_session_timeout: self.max_session_timeout,
            snap_retain_count: self.snap_retain_count,
            purge_interval: self.purge_interval,
            four_letter_words: self.four_letter_words.clone(),
            admin_server: self.admin_server,
            admin_port: self.admin_port,
            admin_address: self.admin_address.clone(),
            quorum_listen_on_all_ips: self.quorum_listen_on_all_ips,
            metrics_port: self.metrics_port,
            metrics_host: self.metrics_host.clone(),
            set: self.set.clone(),
            cfg_extra: self.cfg_extra.clone(),
        }
    }
}

/// The exact command line of the tutorial manifests (seeds 001 and 004).
#[cfg(test)]
pub(crate) const SEED_004_ARGS: [&str; 18] = [
    "start-zookeeper",
    "--servers=3",
    "--data_dir=/var/lib/zookeeper/data",
    "--data_log_dir=/var/lib/zookeeper/data/log",
    "--conf_dir=/opt/zookeeper/conf",
    "--client_port=2181",
    "--election_port=3888",
    "--server_port=2888",
    "--tick_time=2000",
    "--init_limit=10",
    "--sync_limit=5",
    "--heap=512M",
    "--max_client_cnxns=60",
    "--snap_retain_count=3",
    "--purge_interval=12",
    "--max_session_timeout=40000",
    "--min_session_timeout=4000",
    "--log_level=INFO",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_start_at_one() {
        for bad in ["--id-offset=0", "--myid=0"] {
            let e = StartScriptCli::try_parse_from(["s", bad]).unwrap_err();
            assert!(e.to_string().contains("0 is not in 1.."), "{e}");
        }
        let c = StartScriptCli::try_parse_from(["s", "--servers=1", "--servers=3"]).unwrap();
        assert_eq!(
            c.args.servers, 3,
            "a repeated flag overrides the earlier one"
        );
    }

    #[test]
    fn seed_flags_parse_in_equals_form() {
        use crate::config::settings::fixtures;
        let cli = StartScriptCli::try_parse_from(SEED_004_ARGS).expect("seed flags parse");
        assert_eq!(cli.args.servers, 3);
        assert_eq!(cli.args.log_level, LogLevel::Info);
        assert_eq!(cli.args.heap, HeapSpec::Fixed(512));
        // The values config's golden zoo.cfg files are rendered from.
        assert_eq!(cli.args.settings_input(), fixtures::seed004());
        let defaults = StartScriptCli::try_parse_from(["start.sh"]).unwrap();
        assert_eq!(defaults.args.settings_input(), fixtures::defaults());
        let every = StartScriptCli::try_parse_from([
            "zkpod-start",
            "--servers=5",
            "--client_address=127.0.0.12",
            "--quorum-listen-on-all-ips",
            "--admin-server",
            "--admin-port=9090",
            "--admin-address=0.0.0.0",
            "--metrics-port=7000",
            "--metrics-host=0.0.0.0",
            "--4lw-whitelist=srvr,stat",
            "--set=snapCount=50000",
            "--cfg-extra=metricsProvider.exportJvmInfo=false",
        ])
        .unwrap();
        assert_eq!(every.args.settings_input(), fixtures::all_options());
    }

    #[test]
    fn regression_issue_8_the_fix_for_every_flag_owned_key_is_a_command_line_that_parses() {
        use crate::config::keys::{Owner, KEYS};
        use crate::config::settings::parse_extra;
        let mut checked = 0;
        for key in KEYS {
            let Owner::Flag(flag) = key.owner else {
                continue;
            };
            let sample = match flag {
                "--admin-server" | "--quorum-listen-on-all-ips" => "true",
                "--data_dir" | "--data_log_dir" => "/v/zk data",
                "--client_address" | "--admin-address" | "--metrics-host" => "127.0.0.1",
                "--4lw-whitelist" => "srvr,ruok",
                _ => "2190",
            };
            let e = parse_extra(&[format!("{}={sample}", key.name)], None)
                .unwrap_err()
                .to_string();
            let fix = e
                .split("Fix: pass ")
                .nth(1)
                .unwrap_or_else(|| panic!("{e}"));
            let arg = fix.split(" instead").next().unwrap();
            // The fix is typed into a shell: undo its quoting as sh would.
            let arg = arg.replace('\'', "");
            StartCli::try_parse_from(["zkpod start", &arg])
                .unwrap_or_else(|err| panic!("{} -> {arg}: {err}", key.name));
            checked += 1;
        }
        assert!(checked >= 16, "{checked}");
    }

    #[test]
    fn log_levels_in_any_case() {
        for (s, l) in [("debug", LogLevel::Debug), ("FATAL", LogLevel::Fatal)] {
            let c = StartScriptCli::try_parse_from(["s", &format!("--log_level={s}")]).unwrap();
            assert_eq!(c.args.log_level, l);
        }
        let e = StartScriptCli::try_parse_from(["s", "--log_level=loud"]).unwrap_err();
        assert!(
            e.to_string()
                .contains("[possible values: FATAL, ERROR, WARN, INFO, DEBUG, TRACE]"),
            "{e}"
        );
    }
}
