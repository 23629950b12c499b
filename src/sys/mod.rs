//! The bottom layer: exit codes and operator-facing failures, atomic files,
//! privileges, and zkpod's own log lines on stderr.

pub mod clock;
pub mod file;
pub mod fs;
pub mod host;
pub mod log;
pub mod privs;
pub mod report;
pub mod stdout;
