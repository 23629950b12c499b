//! Where to reach a server: the flags shared by the probes and the
//! diagnostic commands, and the drop-in names' equivalent.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use crate::cli::DEFAULT_CONF_DIR;
use crate::client::endpoint::parse_duration;
use crate::probe::endpoint::{Ask, TlsChoice};

/// Where to reach the server: shared by probes and diagnostics.
#[derive(Args, Debug, Clone)]
pub struct ServerArgs {
    /// Server address (default: clientPortAddress of zkpod's zoo.cfg when it
    /// names one address, else 127.0.0.1).
    #[arg(long, env = "ZOO_PROBE_HOST")]
    pub host: Option<String>,

    /// Client port (default: clientPort of zkpod's zoo.cfg, else 2181).
    #[arg(long, env = "ZOO_PROBE_PORT", value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,

    /// Deadline for connect + reply, e.g. 500ms or 2s (Kubernetes' default
    /// timeoutSeconds is 1 s, so keep it below that).
    #[arg(long, env = "ZOO_PROBE_TIMEOUT", default_value = "500ms", value_parser = parse_duration)]
    pub timeout: Duration,

    /// Where zkpod start wrote zoo.cfg (to find the client port and address).
    #[arg(long = "conf_dir", visible_alias = "conf-dir", env = "ZOO_CONF_DIR", default_value = DEFAULT_CONF_DIR)]
    pub conf_dir: PathBuf,

    /// TLS: auto speaks TLS when the port is zoo.cfg's secureClientPort
    /// (the port asked when zoo.cfg has one), with zoo.cfg's key and trust
    /// stores; on and off force it.
    #[arg(long, value_enum, env = "ZOO_PROBE_TLS", default_value = "auto")]
    pub tls: TlsArg,

    /// The certificate, key and CA to use instead of zoo.cfg's stores: a
    /// directory in cert-manager's Secret layout (tls.crt, tls.key, ca.crt).
    #[arg(long, value_name = "DIR")]
    pub tls_dir: Option<PathBuf>,

    /// The name the server's certificate must carry (default: --host when it
    /// is a name, else this pod's name in its own certificate).
    #[arg(long, env = "ZOO_PROBE_TLS_SERVER_NAME", value_name = "NAME")]
    pub tls_server_name: Option<String>,
}

/// `--tls`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsArg {
    Auto,
    On,
    Off,
}

impl ServerArgs {
    /// The flags as the probe layer takes them.
    pub fn ask(&self) -> Ask<'_> {
        Ask {
            host: self.host.as_deref(),
            port: self.port,
            timeout: self.timeout,
            tls: match self.tls {
                TlsArg::Auto => TlsChoice::Auto,
                TlsArg::On => TlsChoice::On,
                TlsArg::Off => TlsChoice::Off,
            },
            tls_dir: self.tls_dir.as_deref(),
            tls_server_name: self.tls_server_name.as_deref(),
            conf_dir: &self.conf_dir,
        }
    }
}

/// The deadline of the drop-in names, well under Kubernetes' 1 s default
/// timeoutSeconds.
pub const SCRIPT_TIMEOUT: Duration = Duration::from_millis(500);

/// The server a drop-in name asks: PORT, else the zoo.cfg defaults; the host
/// from `ZOO_PROBE_HOST` or zoo.cfg (found through `ZOO_CONF_DIR`); 500 ms;
/// TLS as `--tls auto` decides.
pub fn script_server(port: Option<u16>) -> ServerArgs {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    ServerArgs {
        tls: match env("ZOO_PROBE_TLS").as_deref() {
            Some("on") => TlsArg::On,
            Some("off") => TlsArg::Off,
            _ => TlsArg::Auto,
        },
        tls_dir: None,
        tls_server_name: env("ZOO_PROBE_TLS_SERVER_NAME"),
        host: std::env::var("ZOO_PROBE_HOST")
            .ok()
            .filter(|h| !h.is_empty()),
        port,
        timeout: SCRIPT_TIMEOUT,
        conf_dir: std::env::var_os("ZOO_CONF_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_CONF_DIR)),
    }
}
