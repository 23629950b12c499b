//! The arguments of `zkpod status`.

use clap::{Args, Parser};

use crate::cli::server::ServerArgs;

/// `zkpod status ...`.
#[derive(Parser, Debug)]
#[command(
    name = "zkpod status",
    version,
    about = "Show the server's mode, zxid, connections and followers"
)]
pub struct StatusCli {
    #[command(flatten)]
    pub args: StatusArgs,
}

#[derive(Args, Debug)]
pub struct StatusArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}
