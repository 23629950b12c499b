//! zkpod as a library: the layers the `zkpod` binary (src/main.rs) and the
//! fuzz targets (fuzz/) are built from. ARCHITECTURE.md maps each concern to
//! its module; a module imports only the layers below its own.

pub mod cli;
pub mod client;
pub mod cmd;
pub mod config;
pub mod membership;
pub mod probe;
pub mod start;
pub mod sys;
pub mod tls;
pub mod zkcli;

#[cfg(test)]
mod golden;
