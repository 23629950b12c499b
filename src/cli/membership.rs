//! The arguments of `zkpod join` and `zkpod leave`, the pod's postStart and
//! preStop hooks for dynamic membership.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use crate::cli::DEFAULT_CONF_DIR;
use crate::client::endpoint::parse_duration;

/// `zkpod join ...`.
#[derive(Parser, Debug)]
#[command(
    name = "zkpod join",
    version,
    about = "postStart hook: once this server serves, make it a voting member of the ensemble (one conditional reconfig, confirmed with a write)"
)]
pub struct JoinCli {
    /// The conf dir zkpod start wrote (its membership.properties says who this server is).
    #[arg(long = "conf_dir", visible_alias = "conf-dir", env = "ZOO_CONF_DIR", default_value = DEFAULT_CONF_DIR)]
    pub conf_dir: PathBuf,
    /// How long to wait for this server to serve and for the reconfig.
    #[arg(long, env = "ZOO_JOIN_TIMEOUT", default_value = "10m", value_parser = parse_duration_long)]
    pub timeout: Duration,
}

/// `zkpod leave ...`.
#[derive(Parser, Debug)]
#[command(
    name = "zkpod leave",
    version,
    about = "preStop hook: on a scale-down (this pod's ordinal is at or beyond the StatefulSet's replicas) remove this server from the ensemble; on a restart, leave it"
)]
pub struct LeaveCli {
    /// The conf dir zkpod start wrote (its membership.properties says who this server is).
    #[arg(long = "conf_dir", visible_alias = "conf-dir", env = "ZOO_CONF_DIR", default_value = DEFAULT_CONF_DIR)]
    pub conf_dir: PathBuf,
    /// How long the removal may take (keep it below terminationGracePeriodSeconds).
    #[arg(long, env = "ZOO_LEAVE_TIMEOUT", default_value = "60s", value_parser = parse_duration_long)]
    pub timeout: Duration,
    /// Remove this server without asking the Kubernetes API whether this is a scale-down.
    #[arg(long)]
    pub force: bool,
}

/// Like `--timeout` of the probes, in minutes too (`10m`).
fn parse_duration_long(s: &str) -> Result<Duration, String> {
    match s.trim().strip_suffix('m').filter(|n| !n.ends_with('m')) {
        Some(n) if !s.trim().ends_with("ms") => n
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|m| (1..=60).contains(m))
            .map(|m| Duration::from_secs(m * 60))
            .ok_or_else(|| {
                format!("'{s}' is not a duration between 1m and 60m; write it as 10m or 90s")
            }),
        _ => parse_duration(s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_minutes() {
        assert_eq!(parse_duration_long("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration_long("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration_long("500ms"), Ok(Duration::from_millis(500)));
        assert!(parse_duration_long("0m").is_err());
    }
}
