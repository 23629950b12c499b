//! What the operator asked `zkpod start` for: its flags and environment
//! variables as plain values (the CLI fills this in; nothing here knows
//! clap).

use std::path::PathBuf;

use crate::config::jvm::HeapSpec;
use crate::config::logging::LogLevel;
use crate::config::settings::SettingsInput;

/// The input of `zkpod start`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    /// The zoo.cfg values, the data and log dirs among them.
    pub settings: SettingsInput,
    /// `--servers`: the ensemble's size (1: standalone).
    pub servers: u32,
    pub conf_dir: PathBuf,
    /// `--myid`: overrides the id derived from the hostname.
    pub myid: Option<u32>,
    /// `--id-offset`: added to the hostname's ordinal.
    pub id_offset: u32,
    /// `--hostname`: instead of the system hostname.
    pub hostname: Option<String>,
    pub domain: Option<String>,
    pub service: Option<String>,
    pub namespace: Option<String>,
    pub cluster_domain: String,
    pub hosts_file: PathBuf,
    pub heap: HeapSpec,
    /// `JVMFLAGS` / `--jvm-flags`, unsplit.
    pub jvm_flags: Option<String>,
    pub dns_ttl: u32,
    pub dns_negative_ttl: u32,
    pub log_level: LogLevel,
    /// `--user`: who ZooKeeper runs as when zkpod starts as root.
    pub user: String,
    pub accept_new_id: bool,
    pub zk_home: Option<PathBuf>,
    pub java: Option<PathBuf>,
    pub dry_run: bool,
    /// Where /proc is (a test points it at a fake one).
    pub proc_root: PathBuf,
    /// How zkpod was started (`zkpod start`, `start.sh`), for the fix of a
    /// warning that names the command to exec.
    pub program: String,
    /// `--membership`: dynamic (reconfig, the default) or a static server list.
    pub membership: crate::membership::Mode,
    /// `--superuser-password-file`: ZooKeeper's superuser password, which
    /// `zkpod join` and `leave` authenticate reconfig with.
    pub superuser_password_file: Option<PathBuf>,
    /// `--peer-wait`: how long a start waits for a peer that answers but
    /// does not serve yet, before it decides without it.
    pub peer_wait: std::time::Duration,
    /// `--tls-dir` and its companions: client and quorum TLS.
    pub tls: Option<TlsInput>,
}

/// `--tls-dir`, `--secure-client-port`, `--plaintext-client`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInput {
    /// cert-manager's Secret layout: tls.crt, tls.key, ca.crt.
    pub dir: PathBuf,
    pub secure_port: u16,
    pub plaintext: Plaintext,
}

/// Where the plaintext client port listens when TLS is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plaintext {
    /// 127.0.0.1 only: in-pod use (probes, `zkpod join`/`leave`).
    Loopback,
    /// Every address (`--client_address` still applies).
    All,
}
