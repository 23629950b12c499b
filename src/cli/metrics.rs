//! The arguments of `zkpod metrics` and of the drop-in name `metrics.sh`.

use clap::{Args, Parser, ValueEnum};

use crate::cli::server::{script_server, ServerArgs};

/// `zkpod metrics ...`.
#[derive(Parser, Debug)]
#[command(
    name = "zkpod metrics",
    version,
    about = "Print the server's mntr metrics, as text or Prometheus exposition"
)]
pub struct MetricsCli {
    #[command(flatten)]
    pub args: MetricsArgs,
}

/// Output format of `zkpod metrics`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsFormat {
    /// `mntr` as ZooKeeper prints it.
    Text,
    /// Prometheus text exposition format.
    Prometheus,
}

/// Metric names of `--format prometheus`.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricsNames {
    /// `zookeeper_<key>` (zookeeper_znode_count).
    Zookeeper,
    /// mntr's own `zk_<key>` (zk_znode_count), as the popular mntr exporters name them.
    Zk,
}

#[derive(Args, Debug)]
pub struct MetricsArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    #[arg(long, value_enum, default_value = "text")]
    pub format: MetricsFormat,
    /// Metric names with --format prometheus: the prefix before each mntr
    /// key (zkpod never sends `srst`, which would reset the server's statistics).
    #[arg(long, value_enum, default_value = "zookeeper")]
    pub prefix: MetricsNames,
}

/// `metrics.sh PORT`: print `mntr`.
#[derive(Parser, Debug)]
#[command(
    name = "metrics.sh",
    version,
    about = "Print ZooKeeper's mntr output (zkpod drop-in)"
)]
pub struct MetricsScriptCli {
    /// Client port (default: clientPort of the zoo.cfg zkpod wrote, else 2181).
    #[arg(value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,
}

impl MetricsScriptCli {
    /// The server to ask (see [`script_server`]).
    pub fn server(&self) -> ServerArgs {
        script_server(self.port)
    }
}
