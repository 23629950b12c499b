//! Where to reach a server: the flags shared by the probes and the
//! diagnostic commands, and the drop-in names' equivalent.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::cli::DEFAULT_CONF_DIR;
use crate::client::endpoint::parse_duration;

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
}

/// The deadline of the drop-in names, well under Kubernetes' 1 s default
/// timeoutSeconds.
pub const SCRIPT_TIMEOUT: Duration = Duration::from_millis(500);

/// The server a drop-in name asks: PORT, else the zoo.cfg defaults; the host
/// from `ZOO_PROBE_HOST` or zoo.cfg (found through `ZOO_CONF_DIR`); 500 ms.
pub fn script_server(port: Option<u16>) -> ServerArgs {
    ServerArgs {
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
