//! `zkpod cli` and the drop-in names `zkCli.sh` and `zkCli` take none of
//! zkpod's own arguments: every argument goes to ZooKeeper's `ZooKeeperMain`
//! exactly as given, as the tarball's zkCli.sh passes `"$@"` (so there is no
//! `--help` of zkpod's here; ZooKeeperMain prints its usage for a command it
//! does not know). These clap types only describe the commands for
//! `zkpod --help`; `cmd::zkcli` takes the arguments raw, without clap, which
//! would drop a leading `--`. The environment zkCli.sh reads
//! (`ZK_CLIENT_HEAP`, `CLIENT_JVMFLAGS`, `JVMFLAGS`) and `ZOO_CONF_DIR` are
//! read by the command.

use std::ffi::OsString;

use clap::Parser;

/// `zkpod cli [ARGS...]`.
#[derive(Parser, Debug)]
#[command(
    name = "zkpod cli",
    about = "ZooKeeper's command-line client (zkCli.sh): every argument goes to ZooKeeperMain; -server defaults to this pod's client address",
    disable_help_flag = true,
    disable_version_flag = true
)]
pub struct ZkCliCli {
    /// ZooKeeperMain's arguments, e.g. `-server HOST:PORT`, `create /a b`.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
    pub args: Vec<OsString>,
}

/// `zkCli.sh [ARGS...]` (and `zkCli`): the same.
#[derive(Parser, Debug)]
#[command(
    name = "zkCli.sh",
    about = "ZooKeeper's command-line client (zkpod drop-in for zkCli.sh)",
    disable_help_flag = true,
    disable_version_flag = true
)]
pub struct ZkCliScriptCli {
    /// ZooKeeperMain's arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
    pub args: Vec<OsString>,
}
