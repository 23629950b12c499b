//! The arguments of `zkpod probe live|ready|startup` and of the drop-in
//! names `zookeeper-ready` / `ready_live.sh`.

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::cli::server::{script_server, ServerArgs};

/// `zkpod probe ...`.
#[derive(Parser, Debug)]
#[command(
    name = "zkpod probe",
    version,
    about = "Kubernetes exec probe: exit 0 when healthy, 1 with one line saying why not"
)]
pub struct ProbeCli {
    #[command(subcommand)]
    pub kind: ProbeKind,
}

#[derive(Subcommand, Debug)]
pub enum ProbeKind {
    /// Liveness: the server process answers on its client port.
    Live(LiveArgs),
    /// Readiness: the server is serving requests (leader, follower,
    /// standalone or observer), or with --mode ruok only that it answers.
    Ready(ReadyArgs),
    /// Startup: like live; use it to give a slow first start time without
    /// loosening the liveness probe.
    Startup(LiveArgs),
}

#[derive(Args, Debug)]
pub struct LiveArgs {
    #[command(flatten)]
    pub server: ServerArgs,
}

/// What `probe ready` requires.
#[derive(ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadyMode {
    /// Ready when `srvr` reports a serving mode (needs a quorum in an ensemble).
    Serving,
    /// Ready when the server answers at all (for OrderedReady StatefulSets,
    /// where a quorum-based check deadlocks).
    Ruok,
}

#[derive(Args, Debug)]
pub struct ReadyArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// serving: quorum-aware (use with podManagementPolicy: Parallel);
    /// ruok: process answers (use with OrderedReady).
    #[arg(long, value_enum, env = "ZOO_READY_MODE", default_value = "serving")]
    pub mode: ReadyMode,
}

/// `zookeeper-ready PORT` / `ready_live.sh PORT`: exit 0 if the server
/// answers `imok`, else 1.
#[derive(Parser, Debug)]
#[command(
    name = "zookeeper-ready",
    version,
    about = "Exit 0 if ZooKeeper answers on PORT (zkpod drop-in)"
)]
pub struct ReadyScriptCli {
    /// Client port (default: clientPort of the zoo.cfg zkpod wrote, else 2181).
    #[arg(value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,
}

impl ReadyScriptCli {
    /// The server to ask (see [`script_server`]).
    pub fn server(&self) -> ServerArgs {
        script_server(self.port)
    }
}
