//! The arguments of `zkpod 4lw`.

use clap::{Args, Parser};

use crate::cli::server::ServerArgs;

/// `zkpod 4lw ...`.
#[derive(Parser, Debug)]
#[command(
    name = "zkpod 4lw",
    version,
    about = "Send a raw four-letter-word command and print the reply"
)]
pub struct FourLwCli {
    #[command(flatten)]
    pub args: FourLwArgs,
}

#[derive(Args, Debug)]
pub struct FourLwArgs {
    /// The four-letter word, e.g. srvr, mntr, conf, cons, envi, ruok.
    pub command: String,
    #[command(flatten)]
    pub server: ServerArgs,
}
